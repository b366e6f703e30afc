/* Every function and cast over the standard rows (offsets and nulls at
 * every level) and on constants, with Spark's edge cases: substring's
 * position rules, HALF_UP rounding on Double.toString digits, size(NULL)
 * = -1, element_at from the end, array_contains with nulls, string casts
 * that fail to null, Java's Double.toString, UTC date parts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "expr_testutil.h"

static struct ArrowSchema *schema, *single_schema;
static struct sluice_batch sliced, single;

static int setup(void **state)
{
    schema = tu_schema();
    tu_rows(schema, &sliced, true);
    tu_single_row(&single_schema, &single);
    return 0;
}

static int teardown(void **state)
{
    sluice_batch_release(&sliced);
    sluice_batch_release(&single);
    tu_schema_free(schema);
    tu_schema_free(single_schema);
    tu_free_bitmaps();
    return 0;
}

static const char *rows(const char *text)
{
    return tu_eval(schema, &sliced, text);
}

static const char *one(const char *text)
{
    return tu_eval(single_schema, &single, text);
}

/* ---- strings ---------------------------------------------------------------------------------- */

static void test_expr_func_maps_case_for_ascii_and_other_scripts(void **state)
{
    assert_string_equal(one("upper('straße ß')"), "'STRASSE SS'"); /* Java's full case mapping */
    assert_string_equal(one("lower('STRASSE')"), "'strasse'");
    assert_string_equal(one("lower('İSTANBUL İ')"), "'i\xCC\x87stanbul i\xCC\x87'"); /* Java: i + U+0307 */
    assert_string_equal(rows("lower(concat(s, 'İ'))"),
                        "'hello covidi\xCC\x87', null, 'ünïcode àé covidi\xCC\x87', '  pad  i\xCC\x87'");
    assert_string_equal(rows("lower(s)"), "'hello covid', null, 'ünïcode àé covid', '  pad  '");
    assert_string_equal(rows("upper(s)"), "'HELLO COVID', null, 'ÜNÏCODE ÀÉ COVID', '  PAD  '");
    assert_string_equal(one("lower('ÀÉÎ ΣΑΣ ЖЁ Ａ Ẁ Ŵ')"), "'àéî σασ жё ａ ẁ ŵ'");
    /* Java's full upper-casing: ß is SS, µ is Greek Μ; ı keeps its bytes (its I would be shorter). */
    assert_string_equal(one("upper('ÿ ς ж ß ı µ straße')"), "'Ÿ Σ Ж SS ı Μ STRASSE'");
    assert_string_equal(one("lower('SS µ')"), "'ss µ'");
    assert_string_equal(one("lower(NULL)"), "null");
    /* Long enough for the 16-byte path, with letters on both sides of every block edge. */
    assert_string_equal(one("lower('ABCDEFGHIJKLMNOPQRSTUVWXYZ@[`{ÀZ')"), "'abcdefghijklmnopqrstuvwxyz@[`{àz'");
    assert_string_equal(one("upper('abcdefghijklmnopqrstuvwxyz@[`{àz')"), "'ABCDEFGHIJKLMNOPQRSTUVWXYZ@[`{ÀZ'");
}

static void test_expr_func_never_maps_a_broken_character_across_rows(void **state)
{
    /* Row 0 ends with a lone lead byte, row 1 starts with a lone continuation byte. */
    struct ArrowSchema one_col;
    struct sluice_error err = { 0 };
    if (sluice_schema_parse("s STRING", &one_col, &err)) fail_msg("%s", err.message);
    struct sluice_builder *b = sluice_builder_new(&one_col);
    const char *rows_in[] = { "\xc3\x89\xc3", "\x80\xc3\x89Z", "\xd0\x96\xe1\xba\x80\xef\xbc\xa1" };
    for (int i = 0; i < 3; i++) {
        sluice_builder_append_struct(b);
        tu_str(&b->children[0], rows_in[i]);
    }
    struct sluice_batch batch;
    sluice_builder_finish(b, &batch);
    sluice_builder_free(b);
    assert_string_equal(tu_eval(&one_col, &batch, "lower(s)"), "'\xc3\xa9\xc3', '\x80\xc3\xa9z', 'жẁａ'");
    assert_string_equal(tu_eval(&one_col, &batch, "upper(lower(s))"), "'\xc3\x89\xc3', '\x80\xc3\x89Z', 'ЖẀＡ'");
    sluice_batch_release(&batch);
    sluice_schema_release(&one_col);
}

static void test_expr_func_counts_length_in_characters(void **state)
{
    assert_string_equal(rows("length(s)"), "11, null, 16, 7");
    assert_string_equal(one("length('')"), "0");
    assert_string_equal(one("length(12345)"), "5");
}

static void test_expr_func_trims_only_spaces(void **state)
{
    assert_string_equal(rows("trim(s)"), "'Hello COVID', null, 'Ünïcode ÀÉ covid', 'pad'");
    assert_string_equal(one("trim('\\t x ')"), "'\t x'");
    assert_string_equal(one("trim('   ')"), "''");
}

static void test_expr_func_concatenates_with_null_if_any_part_is_null(void **state)
{
    assert_string_equal(rows("concat(s, '-', a)"),
                        "'Hello COVID-1', null, 'Ünïcode ÀÉ covid--7', '  pad  -9223372036854775807'");
    assert_string_equal(rows("t || f"), "'xtrue', 'false', null, 'padtrue'");
    assert_string_equal(one("concat('a', NULL)"), "null");
    assert_string_equal(one("concat()"), "''");
    assert_string_equal(one("concat(1.5, true, TIMESTAMP '2021-05-03 07:55:40')"), "'1.5true2021-05-03 07:55:40'");
}

/* Spark's concat_ws: null only when the separator is; null parts and
 * null array elements are left out; arrays are joined element by element. */
static void test_expr_func_concat_ws_skips_nulls_and_joins_arrays(void **state)
{
    assert_string_equal(rows("concat_ws('-', s, t)"), "'Hello COVID-x', '', 'Ünïcode ÀÉ covid-abc', '  pad  -pad'");
    assert_string_equal(rows("concat_ws(',', sarr)"), "'a,b', '', 'c', ''");
    assert_string_equal(rows("concat_ws('/', t, sarr, 'end')"), "'x/a/b/end', '/end', 'abc/c/end', 'pad/end'");
    assert_string_equal(one("concat_ws(NULL, 'a')"), "null");
    assert_string_equal(one("concat_ws('x')"), "''");
    assert_string_equal(one("concat_ws(', ', 'a', NULL, 1, true)"), "'a, 1, true'");
}

static void test_expr_func_takes_substrings_with_sparks_position_rules(void **state)
{
    assert_string_equal(rows("substring(s, 2, 3)"), "'ell', null, 'nïc', ' pa'");
    assert_string_equal(rows("substring(s, -5)"), "'COVID', null, 'covid', 'pad  '");
    assert_string_equal(rows("substr(t, b)"), "'', '', 'bc', 'd'");
    assert_string_equal(one("substring('hello', -3, 2)"), "'ll'");
    assert_string_equal(one("substring('hello', 0, 2)"), "'he'");
    assert_string_equal(one("substring('hello', 2)"), "'ello'");
    assert_string_equal(one("substring('hello', 10)"), "''");
    assert_string_equal(one("substring('hello', -10, 3)"), "''");
    assert_string_equal(one("substring('hello', -10, 7)"), "'he'");
    assert_string_equal(one("substring('hello', 2, -1)"), "''");
    assert_string_equal(one("substring('hello', NULL, 1)"), "null");
}

static void test_expr_func_searches_substrings(void **state)
{
    assert_string_equal(rows("contains(s, 'COVID')"), "true, null, false, false");
    assert_string_equal(rows("contains(s, t)"), "false, null, false, true");
    assert_string_equal(rows("startswith(s, 'Hel')"), "true, null, false, false");
    assert_string_equal(rows("endswith(s, 'covid')"), "false, null, true, false");
    assert_string_equal(one("contains('abc', '')"), "true");
    assert_string_equal(one("startswith('abc', '')"), "true");
    assert_string_equal(one("endswith('', 'a')"), "false");
    assert_string_equal(one("contains('abc', NULL)"), "null");
}

static void test_expr_func_matches_like_patterns(void **state)
{
    assert_string_equal(rows("lower(s) LIKE '%covid%'"), "true, null, true, false");
    assert_string_equal(rows("s LIKE 'H_llo%'"), "true, null, false, false");
    assert_string_equal(rows("s NOT LIKE '%covid'"), "true, null, false, true");
    assert_string_equal(rows("s LIKE '%'"), "true, null, true, true");
    assert_string_equal(rows("t LIKE ''"), "false, true, false, false");
    assert_string_equal(rows("s LIKE NULL"), "null, null, null, null");
    assert_string_equal(one("'a' LIKE 'a\\_'"), "false");
    assert_string_equal(one("'a_' LIKE 'a\\_'"), "true");
    assert_string_equal(one("'a%' LIKE 'a\\%'"), "true");
    assert_string_equal(one("'ab' LIKE 'a\\%'"), "false");
    assert_string_equal(one("'a\\\\b' LIKE 'a\\\\\\\\b'"), "true");
    assert_string_equal(one("'aéb' LIKE 'a_b'"), "true");
    assert_string_equal(one("'a%b' LIKE 'a!%b' ESCAPE '!'"), "true");
    assert_string_equal(one("'axb' LIKE 'a!%b' ESCAPE '!'"), "false");
    assert_string_equal(one("'line1\nline2' LIKE 'line1%line2'"), "true");
    assert_string_equal(one("12 LIKE '1%'"), "true");
}

static void test_expr_func_finds_regular_expressions_anywhere_in_the_string(void **state)
{
    assert_string_equal(rows("s RLIKE '^[A-Z]'"), "true, null, false, false");
    assert_string_equal(rows("s RLIKE 'c.v'"), "false, null, true, false");
    assert_string_equal(rows("rlike(s, '\\\\s{2}')"), "false, null, false, true");
    assert_string_equal(rows("s NOT RLIKE 'O'"), "false, null, true, true");
    assert_string_equal(one("'Ünï' RLIKE '^.n.$'"), "true"); /* . is one character, not one byte */
    assert_string_equal(one("'x' RLIKE NULL"), "null");
}

/* ---- regex functions (Java's String.split, Matcher.find, replaceAll) ------------------------ */

static void test_expr_func_splits_as_java_does(void **state)
{
    assert_string_equal(rows("split(s, ' ')"),
                        "['Hello', 'COVID'], null, ['Ünïcode', 'ÀÉ', 'covid'], ['', '', 'pad', '', '']");
    assert_string_equal(rows("split(s, ' ', 2)"),
                        "['Hello', 'COVID'], null, ['Ünïcode', 'ÀÉ covid'], ['', ' pad  ']");
    assert_string_equal(rows("split(s, 'o')"),
                        "['Hell', ' COVID'], null, ['Ünïc', 'de ÀÉ c', 'vid'], ['  pad  ']");
    assert_string_equal(one("split('a,b,,', ',')"), "['a', 'b', '', '']");   /* trailing empties kept */
    assert_string_equal(one("split('a,b,,', ',', 0)"), "['a', 'b', '', '']");
    assert_string_equal(one("split('', ',')"), "['']");
    assert_string_equal(one("split('ab', '')"), "['a', 'b']");
    assert_string_equal(one("split('aéb', '', 2)"), "['a', 'éb']");
    /* Java 8: no empty first piece, but the empty match at the end cuts: a last "". */
    assert_string_equal(one("split('abc', 'x*')"), "['a', 'b', 'c', '']");
    assert_string_equal(one("split('a,', ',')"), "['a', '']");
    assert_string_equal(one("split(NULL, ',')"), "null");
    assert_string_equal(one("split('a1b22c', '[0-9]+')"), "['a', 'b', 'c']");
    assert_string_equal(one("size(split('a b c', ' ', -5))"), "3");
}

static void test_expr_func_extracts_regex_groups_with_empty_for_no_match(void **state)
{
    assert_string_equal(rows("regexp_extract(s, '(\\\\w+) (\\\\w+)', 2)"), "'COVID', null, '', ''");
    assert_string_equal(rows("regexp_extract(s, 'C(O)', 1)"), "'O', null, '', ''");
    assert_string_equal(rows("regexp_extract(s, 'C(O)')"), "'O', null, '', ''");
    assert_string_equal(rows("regexp_extract(s, '(x)?o', 1)"), "'', null, '', ''"); /* the group took no part */
    assert_string_equal(rows("regexp_extract(s, '[a-z]+', 0)"), "'ello', null, 'n', 'pad'");
}

static void test_expr_func_replaces_with_java_group_references(void **state)
{
    assert_string_equal(rows("regexp_replace(s, 'o', '0')"), "'Hell0 COVID', null, 'Ünïc0de ÀÉ c0vid', '  pad  '");
    assert_string_equal(rows("regexp_replace(s, '(\\\\w+) (\\\\w+)', '$2 ${1}')"),
                        "'COVID Hello', null, 'Ünïcode ÀÉ covid', '  pad  '");
    assert_string_equal(rows("regexp_replace(s, ' ', '\\\\$')"),
                        "'Hello$COVID', null, 'Ünïcode$ÀÉ$covid', '$$pad$$'");
    assert_string_equal(one("regexp_replace('aaa', 'a*', 'x')"), "'xx'"); /* Java: the empty match at the end */
    assert_string_equal(one("regexp_replace('abc', '', '-')"), "'-a-b-c-'");
}

static void test_expr_func_regex_functions_refuse_what_spark_refuses(void **state)
{
    struct sluice_error err = { 0 };
    struct sluice_expr *e = NULL;
    assert_int_equal(sluice_expr_compile(schema, "regexp_replace(s, 'o', '$x')", &e, &err), SLUICE_ECONFIG);
    assert_string_equal(err.message, "function 'regexp_replace': illegal group reference in the replacement "
                                     "(write \\$ for a dollar sign)");
    assert_int_equal(sluice_expr_compile(schema, "regexp_extract(s, 'a', 1)", &e, &err), SLUICE_ECONFIG);
    assert_string_equal(err.message, "function 'regexp_extract': the regex has 0 groups, so group 1 does not exist");
    assert_int_equal(sluice_expr_compile(schema, "split(s, t)", &e, &err), SLUICE_ECONFIG);
    assert_string_equal(err.message, "function 'split' expects a constant pattern");
    assert_int_equal(sluice_expr_compile(schema, "split(s, '(')", &e, &err), SLUICE_ECONFIG);
    assert_non_null(strstr(err.message, "invalid regular expression '('"));
    assert_int_equal(sluice_expr_compile(schema, "split(s, ',')", &e, &err), SLUICE_OK);
    assert_string_equal(sluice_expr_result(e)->name, "split(s, ,, -1)");
    sluice_expr_free(e);
    assert_int_equal(sluice_expr_compile(schema, "regexp_extract(s, 'a(b)')", &e, &err), SLUICE_OK);
    assert_string_equal(sluice_expr_result(e)->name, "regexp_extract(s, a(b), 1)");
    sluice_expr_free(e);
}

/* ---- arrays -------------------------------------------------------------------------------------- */

static void test_expr_func_sizes_arrays_with_minus_one_for_null(void **state)
{
    assert_string_equal(rows("size(arr)"), "3, -1, 2, 0");
    assert_string_equal(rows("size(sarr)"), "2, 0, 2, -1");
    assert_string_equal(rows("size(lst) > 0"), "true, false, false, true");
    assert_string_equal(one("size(NULL)"), "-1");
}

static void test_expr_func_picks_elements_one_based_and_from_the_end(void **state)
{
    assert_string_equal(rows("element_at(arr, 1)"), "1, null, null, null");
    assert_string_equal(rows("element_at(arr, -1)"), "3, null, 5, null");
    assert_string_equal(rows("element_at(arr, 4)"), "null, null, null, null");
    assert_string_equal(rows("element_at(arr, -4)"), "null, null, null, null");
    assert_string_equal(rows("element_at(sarr, -2)"), "'a', null, null, null");
    assert_string_equal(rows("element_at(lst, 1)"), "{1, 'w1'}, null, null, null");
    assert_string_equal(rows("element_at(lst, -1)"), "{2, null}, null, null, {null, 'w4'}");
    assert_string_equal(rows("element_at(arr, b)"), "null, null, 5, null"); /* b = 0 at row 1 gives null */
}

static void test_expr_func_looks_for_values_in_arrays_with_null_rules(void **state)
{
    assert_string_equal(rows("array_contains(arr, 2)"), "true, null, null, false");
    assert_string_equal(rows("array_contains(arr, 5)"), "false, null, true, false");
    assert_string_equal(rows("array_contains(arr, 2.0)"), "true, null, null, false");
    assert_string_equal(rows("array_contains(sarr, 'b')"), "true, false, null, null");
    assert_string_equal(rows("array_contains(sarr, t)"), "false, false, null, null");
    assert_string_equal(rows("array_contains(arr, NULL)"), "null, null, null, null");
}

/* ---- math ------------------------------------------------------------------------------------------ */

static void test_expr_func_takes_absolute_values(void **state)
{
    assert_string_equal(rows("abs(a)"), "1, null, 7, 9223372036854775807");
    assert_string_equal(rows("abs(d)"), "1.5, null, 2.5, 0.0");
    assert_string_equal(one("abs(-9223372036854775808)"), "-9223372036854775808");
    assert_string_equal(one("abs('-2')"), "2.0");
}

static void test_expr_func_rounds_half_up_like_spark(void **state)
{
    assert_string_equal(rows("round(d)"), "2.0, null, -3.0, 0.0");
    assert_string_equal(rows("round(b, -1)"), "10, 0, 0, 0");
    assert_string_equal(one("round(2.5)"), "3.0");
    assert_string_equal(one("round(-2.5)"), "-3.0");
    assert_string_equal(one("round(0.49999999999999994)"), "0.0");
    assert_string_equal(one("round(2.675, 2)"), "2.68");
    assert_string_equal(one("round(1.005, 2)"), "1.01");
    assert_string_equal(one("round(-1.005, 2)"), "-1.01");
    assert_string_equal(one("round(9.995, 2)"), "10.0");
    assert_string_equal(one("round(123.456, -1)"), "120.0");
    assert_string_equal(one("round(0.004, 2)"), "0.0");
    assert_string_equal(one("round(0.005, 2)"), "0.01");
    assert_string_equal(one("round(15, -1)"), "20");
    assert_string_equal(one("round(-15, -1)"), "-20");
    assert_string_equal(one("round(7, 2)"), "7");
}

static void test_expr_func_floors_and_ceils_to_longs(void **state)
{
    assert_string_equal(rows("floor(d)"), "1, null, -3, 0");
    assert_string_equal(rows("ceil(d)"), "2, null, -2, 0");
    assert_string_equal(rows("floor(a)"), "1, null, -7, 9223372036854775807");
    assert_string_equal(one("ceil(1e30)"), "9223372036854775807");
    assert_string_equal(one("floor(-0.5)"), "-1");
}

/* Spark's xxhash64 and pmod; the values were computed apart, by a
 * Python XXH64 that gives Spark's documented
 * xxhash64('Spark', array(123), 2) = 5602566077635097486. */
static void test_expr_func_hashes_and_partitions_as_spark_does(void **state)
{
    assert_string_equal(rows("xxhash64(a)"),
                        "-7001672635703045582, 42, -1663473129717591079, -3246596055638297850");
    assert_string_equal(one("xxhash64('en')"), "8891418931827638258");
    assert_string_equal(one("xxhash64(7, 'ja')"), "7937717996276351573");
    assert_string_equal(one("xxhash64(7, NULL, 'ja')"), "7937717996276351573");
    assert_string_equal(one("xxhash64(-0.0)"), "-5252525462095825812");
    assert_string_equal(one("xxhash64(0.0)"), "-5252525462095825812");
    assert_string_equal(one("xxhash64(1.5)"), "7738255526519901366");
    assert_string_equal(one("xxhash64(true)"), "-6698625589789238999");
    assert_string_equal(one("xxhash64(CAST('12.35' AS DECIMAL(4,2)))"), "-5753788848973304900");
    assert_string_equal(one("xxhash64(CAST('2021-01-01' AS DATE))"), "8633556838977974806");
    assert_string_equal(rows("pmod(xxhash64(a), 4)"), "2, 2, 1, 2");
    assert_string_equal(one("pmod(-7, 3)"), "2");
    assert_string_equal(one("pmod(7, -3)"), "1");
    assert_string_equal(one("pmod(-7, -3)"), "-1");
    assert_string_equal(one("pmod(7, 0)"), "null");
    assert_string_equal(one("pmod(-7.5, 2)"), "0.5");
}

/* ---- time -------------------------------------------------------------------------------------------- */

static void test_expr_func_extracts_date_parts_in_utc(void **state)
{
    assert_string_equal(rows("year(ts)"), "2021, null, 1999, 1970");
    assert_string_equal(rows("month(ts)"), "5, null, 12, 1");
    assert_string_equal(rows("dayofmonth(ts)"), "3, null, 31, 1");
    assert_string_equal(rows("hour(ts)"), "7, null, 23, 0");
    assert_string_equal(rows("minute(ts)"), "55, null, 59, 0");
    assert_string_equal(rows("second(ts)"), "40, null, 59, 0");
    assert_string_equal(one("year('2021-05-03')"), "2021");
    assert_string_equal(one("hour(TIMESTAMP '1969-12-31 23:30:00')"), "23");
    assert_string_equal(one("day(TIMESTAMP '1969-12-31 23:30:00')"), "31");
}

static void test_expr_func_extracts_time_of_day_at_the_ends_of_the_timestamp_range(void **state)
{
    /* A long cast to a timestamp saturates, so both ends are reachable from data. */
    assert_string_equal(one("hour(cast(-9223372036854775808 AS timestamp))"), "19");
    assert_string_equal(one("minute(cast(-9223372036854775808 AS timestamp))"), "59");
    assert_string_equal(one("second(cast(-9223372036854775808 AS timestamp))"), "5");
    assert_string_equal(one("hour(cast(9223372036854775807 AS timestamp))"), "4");
    assert_string_equal(one("second(cast(9223372036854775807 AS timestamp))"), "54");
}

/* date_format writes Spark's datetime patterns in UTC; date_trunc keeps
 * what its unit names (weeks start on Monday, as ISO and Spark have it). */
static void test_expr_func_formats_and_truncates_timestamps(void **state)
{
    assert_string_equal(rows("date_format(ts, 'yyyy-MM-dd HH:mm:ss.SSS')"),
                        "'2021-05-03 07:55:40.000', null, '1999-12-31 23:59:59.500', '1970-01-01 00:00:00.000'");
    assert_string_equal(rows("date_format(ts, 'EEE, d MMM yy h a')"),
                        "'Mon, 3 May 21 7 AM', null, 'Fri, 31 Dec 99 11 PM', 'Thu, 1 Jan 70 12 AM'");
    assert_string_equal(one("date_format(TIMESTAMP '2021-05-03 07:55:40', 'EEEE MMMM \\'at\\' HH\\'h\\' XXX xx')"),
                        "'Monday May at 07h Z +0000'");
    assert_string_equal(one("date_format('2021-05-03 07:55:40', 'y')"), "'2021'"); /* a string is cast */
    assert_string_equal(rows("date_trunc('HOUR', ts)"),
                        "2021-05-03T07:00:00.000Z, null, 1999-12-31T23:00:00.000Z, 1970-01-01T00:00:00.000Z");
    assert_string_equal(rows("date_trunc('week', ts)"),
                        "2021-05-03T00:00:00.000Z, null, 1999-12-27T00:00:00.000Z, 1969-12-29T00:00:00.000Z");
    assert_string_equal(rows("date_trunc('quarter', ts)"),
                        "2021-04-01T00:00:00.000Z, null, 1999-10-01T00:00:00.000Z, 1970-01-01T00:00:00.000Z");
    assert_string_equal(rows("date_trunc('yy', ts)"),
                        "2021-01-01T00:00:00.000Z, null, 1999-01-01T00:00:00.000Z, 1970-01-01T00:00:00.000Z");
    assert_string_equal(rows("date_trunc('second', ts)"),
                        "2021-05-03T07:55:40.000Z, null, 1999-12-31T23:59:59.000Z, 1970-01-01T00:00:00.000Z");
    struct sluice_error err = { 0 };
    struct sluice_expr *e = NULL;
    assert_int_equal(sluice_expr_compile(schema, "date_trunc('fortnight', ts)", &e, &err), SLUICE_ECONFIG);
    assert_non_null(strstr(err.message, "function 'date_trunc': unknown unit 'fortnight'"));
    assert_int_equal(sluice_expr_compile(schema, "date_format(ts, 'yyyy-qq')", &e, &err), SLUICE_ECONFIG);
    assert_string_equal(err.message, "function 'date_format': pattern 'yyyy-qq': unsupported pattern letter 'q'");
    assert_int_equal(sluice_expr_compile(schema, "date_format(ts, 'yyyy-MM-dd')", &e, &err), SLUICE_OK);
    assert_string_equal(sluice_expr_result(e)->name, "date_format(ts, yyyy-MM-dd)");
    sluice_expr_free(e);
}

static void test_expr_func_parses_timestamps_with_and_without_a_pattern(void **state)
{
    assert_string_equal(one("to_timestamp('2021-05-03 07:55:40')"), "2021-05-03T07:55:40.000Z");
    assert_string_equal(one("to_timestamp('nope')"), "null");
    assert_string_equal(one("to_timestamp('03/05/2021 07:55:40.123', 'dd/MM/yyyy HH:mm:ss.SSS')"),
                        "2021-05-03T07:55:40.123Z");
    assert_string_equal(one("to_timestamp('Mon May 03 07:55:40 +0000 2021', 'EEE MMM dd HH:mm:ss Z yyyy')"),
                        "2021-05-03T07:55:40.000Z");
    assert_string_equal(one("to_timestamp('2021-05-03T09:55:40+02:00', 'yyyy-MM-dd''T''HH:mm:ssXXX')"),
                        "2021-05-03T07:55:40.000Z");
    assert_string_equal(one("to_timestamp('5/3/21 7:55 PM', 'M/d/yy h:mm a')"), "2021-05-03T19:55:00.000Z");
    assert_string_equal(one("to_timestamp('2021-02-30', 'yyyy-MM-dd')"), "null");
    assert_string_equal(one("to_timestamp('2021-05-03 extra', 'yyyy-MM-dd')"), "null");
    assert_string_equal(one("to_timestamp('2021-05-03', NULL)"), "null");
    assert_string_equal(rows("to_timestamp(t, 'yyyy')"), "null, null, null, null");
}

/* ---- casts ------------------------------------------------------------------------------------------- */

static void test_expr_func_casts_strings_to_numbers_or_null(void **state)
{
    assert_string_equal(one("CAST('x' AS long)"), "null");
    assert_string_equal(one("CAST(' 12 ' AS long)"), "12");
    assert_string_equal(one("CAST('1.9' AS long)"), "1");
    assert_string_equal(one("CAST('-1.9' AS bigint)"), "-1");
    assert_string_equal(one("CAST('1.x' AS long)"), "null");
    assert_string_equal(one("CAST('9223372036854775807' AS long)"), "9223372036854775807");
    assert_string_equal(one("CAST('9223372036854775808' AS long)"), "null");
    assert_string_equal(one("CAST('-9223372036854775808' AS long)"), "-9223372036854775808");
    assert_string_equal(one("CAST('1e3' AS long)"), "null");
    assert_string_equal(one("CAST('1e3' AS double)"), "1000.0");
    assert_string_equal(one("CAST('  -2.5d ' AS double)"), "-2.5");
    assert_string_equal(one("CAST('Infinity' AS double)"), "inf");
    assert_string_equal(one("CAST('1.2.3' AS double)"), "null");
    assert_string_equal(one("CAST('' AS double)"), "null");
}

static void test_expr_func_casts_strings_to_booleans_and_timestamps(void **state)
{
    assert_string_equal(one("CAST('yes' AS boolean)"), "true");
    assert_string_equal(one("CAST(' T ' AS boolean)"), "true");
    assert_string_equal(one("CAST('0' AS boolean)"), "false");
    assert_string_equal(one("CAST('maybe' AS boolean)"), "null");
    assert_string_equal(one("CAST('2021-05-03T07:55:40Z' AS timestamp)"), "2021-05-03T07:55:40.000Z");
    assert_string_equal(one("CAST('2021-05-03T09:55:40+02:00' AS timestamp)"), "2021-05-03T07:55:40.000Z");
    assert_string_equal(one("CAST('2021-05-03' AS timestamp)"), "2021-05-03T00:00:00.000Z");
    assert_string_equal(one("CAST('2021-13-03' AS timestamp)"), "null");
    assert_string_equal(rows("CAST(s AS timestamp)"), "null, null, null, null");
}

static void test_expr_func_casts_values_to_strings_as_spark_prints_them(void **state)
{
    assert_string_equal(rows("CAST(a AS string)"), "'1', null, '-7', '9223372036854775807'");
    assert_string_equal(rows("CAST(d AS string)"), "'1.5', null, '-2.5', '0.0'");
    assert_string_equal(rows("CAST(f AS string)"), "'true', 'false', null, 'true'");
    assert_string_equal(rows("CAST(ts AS string)"),
                        "'2021-05-03 07:55:40', null, '1999-12-31 23:59:59.5', '1970-01-01 00:00:00'");
    assert_string_equal(one("CAST(1e10 AS string)"), "'1.0E10'");
    assert_string_equal(one("CAST(1e7 AS string)"), "'1.0E7'");
    assert_string_equal(one("CAST(9999999.5 AS string)"), "'9999999.5'");
    assert_string_equal(one("CAST(0.001 AS string)"), "'0.001'");
    assert_string_equal(one("CAST(0.0001 AS string)"), "'1.0E-4'");
    assert_string_equal(one("CAST(123456789.125 AS string)"), "'1.23456789125E8'");
    /* The same Double.toString as show() and JSON, down to the subnormals. */
    assert_string_equal(one("CAST(CAST('4.9E-324' AS double) AS string)"), "'4.9E-324'");
    assert_string_equal(one("CAST(CAST('2.2250738585072014E-308' AS double) AS string)"), "'2.2250738585072014E-308'");
    assert_string_equal(one("CAST(100.0 AS string)"), "'100.0'");
    assert_string_equal(one("CAST(0.1 + 0.2 AS string)"), "'0.30000000000000004'");
    assert_string_equal(one("CAST(-0.0 AS string)"), "'-0.0'");
    assert_string_equal(one("CAST(CAST('nan' AS double) AS string)"), "'NaN'");
    assert_string_equal(one("CAST(-9223372036854775808 AS string)"), "'-9223372036854775808'");
}

static void test_expr_func_casts_between_numbers_booleans_and_timestamps(void **state)
{
    assert_string_equal(rows("CAST(d AS long)"), "1, null, -2, 0");
    assert_string_equal(rows("CAST(a AS double)"), "1.0, null, -7.0, 9.223372036854776e+18");
    assert_string_equal(rows("CAST(a AS boolean)"), "true, null, true, true");
    assert_string_equal(rows("CAST(f AS long)"), "1, 0, null, 1");
    assert_string_equal(rows("CAST(ts AS long)"), "1620028540, null, 946684799, 0");
    assert_string_equal(rows("CAST(ts AS double)"), "1620028540.0, null, 946684799.5, 0.0");
    assert_string_equal(one("CAST(1e30 AS long)"), "9223372036854775807");
    assert_string_equal(one("CAST(-1.5 AS long)"), "-1");
    assert_string_equal(one("CAST(CAST('nan' AS double) AS long)"), "0");
    assert_string_equal(one("CAST(1620028540 AS timestamp)"), "2021-05-03T07:55:40.000Z");
    assert_string_equal(one("CAST(1620028540.5 AS timestamp)"), "2021-05-03T07:55:40.500Z");
    assert_string_equal(one("CAST(CAST('inf' AS double) AS timestamp)"), "null");
    assert_string_equal(one("CAST(NULL AS string)"), "null");
    assert_string_equal(one("CAST(0.0 AS boolean)"), "false");
}

/* ---- JSON ------------------------------------------------------------------------------------- */

/* A one-column batch of strings (NULL for a null row). */
static const char *json_rows(const char *text, const char *const *in, int n)
{
    static struct ArrowSchema col;
    static bool made;
    struct sluice_error err = { 0 };
    if (!made && sluice_schema_parse("v STRING", &col, &err)) fail_msg("%s", err.message);
    made = true;
    struct sluice_builder *b = sluice_builder_new(&col);
    for (int i = 0; i < n; i++) {
        sluice_builder_append_struct(b);
        if (in[i]) tu_str(&b->children[0], in[i]);
        else sluice_builder_append_null(&b->children[0]);
    }
    struct sluice_batch batch;
    sluice_builder_finish(b, &batch);
    sluice_builder_free(b);
    const char *out = tu_eval(&col, &batch, text);
    sluice_batch_release(&batch);
    return out;
}

static void test_expr_func_from_json_parses_as_the_json_reader_does(void **state)
{
    const char *in[] = { "{\"a\": 1, \"b\": \"x\", \"c\": {\"t\": \"2021-05-03T07:55:40Z\"}}",
                         NULL,
                         "",
                         "not json",
                         "{\"a\": \"wrong type\", \"b\": \"kept\"}",
                         "{\n  \"b\": \"pretty\",\n  \"a\": 2\n}" };
    assert_string_equal(json_rows("from_json(v, 'a LONG, b STRING, c STRUCT<t: TIMESTAMP>')", in, 6),
                        "{1, 'x', {2021-05-03T07:55:40.000Z}}, null, null, {null, null, null}, "
                        "{null, 'kept', null}, {2, 'pretty', null}");
    /* Spark's JSON schema text works too, and the result's fields are paths. */
    assert_string_equal(json_rows("from_json(v, '{\"type\":\"struct\",\"fields\":[{\"name\":\"a\","
                                  "\"type\":\"long\",\"nullable\":true,\"metadata\":{}}]}').a + 1",
                                  in, 2),
                        "2, null");
}

static void test_expr_func_to_json_writes_rows_as_the_json_sinks_do(void **state)
{
    const char *in[] = { "{\"a\": 1, \"b\": [1.5, 2], \"c\": {\"t\": \"2021-05-03T07:55:40Z\"}}", NULL,
                         "{\"b\": []}" };
    assert_string_equal(json_rows("to_json(from_json(v, 'a LONG, b ARRAY<DOUBLE>, c STRUCT<t: TIMESTAMP>'))", in, 3),
                        "'{\"a\":1,\"b\":[1.5,2.0],\"c\":{\"t\":\"2021-05-03T07:55:40.000Z\"}}', null, "
                        "'{\"a\":null,\"b\":[],\"c\":null}'");
}

static void test_expr_func_json_functions_refuse_what_spark_refuses(void **state)
{
    struct sluice_error err = { 0 };
    struct sluice_expr *e = NULL;
    assert_int_equal(sluice_expr_compile(schema, "from_json(s, s)", &e, &err), SLUICE_ECONFIG);
    assert_string_equal(err.message,
                        "function 'from_json' expects a constant schema string such as 'a INT, b STRING'");
    assert_int_equal(sluice_expr_compile(schema, "from_json(s, 'a FOO')", &e, &err), SLUICE_ECONFIG);
    assert_non_null(strstr(err.message, "function 'from_json': bad schema: "));
    assert_int_equal(sluice_expr_compile(schema, "to_json(s)", &e, &err), SLUICE_ECONFIG);
    assert_string_equal(err.message, "function 'to_json' expects a struct or an array, got string");
}

/* current_timestamp() and now(): the batch's time the engine set, on every
 * row, never folded into a constant at compile time. */
static void test_expr_func_current_timestamp_is_the_batch_time(void **state)
{
    sluice_expr_set_batch_time(1620028540123000); /* 2021-05-03T07:55:40.123Z */
    assert_string_equal(rows("current_timestamp()"),
                        "2021-05-03T07:55:40.123Z, 2021-05-03T07:55:40.123Z, 2021-05-03T07:55:40.123Z, "
                        "2021-05-03T07:55:40.123Z");
    assert_string_equal(one("now() = current_timestamp()"), "true");
    struct sluice_expr *e;
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_expr_compile(single_schema, "year(current_timestamp())", &e, &err), SLUICE_OK);
    sluice_expr_set_batch_time(1893456000000000); /* 2030-01-01: compiled before, evaluated now */
    struct ArrowArray out;
    assert_int_equal(sluice_expr_eval(e, &single, &out, &err), SLUICE_OK);
    assert_int_equal(((const int64_t *)out.buffers[1])[out.offset], 2030);
    out.release(&out);
    sluice_expr_free(e);
    sluice_expr_set_batch_time(INT64_MIN);
}

/* DATE, by hand: to_date of a timestamp is its UTC day, of a string
 * Spark's cast (a time after the date dropped, a bad one null) or a
 * pattern's parse; date arithmetic across month, leap-day and epoch
 * edges; comparisons with strings and timestamps as Spark coerces them. */
static void test_expr_func_works_with_dates_as_spark_does(void **state)
{
    assert_string_equal(rows("to_date(ts)"), "DATE 2021-05-03, null, DATE 1999-12-31, DATE 1970-01-01");
    assert_string_equal(one("to_date('2021-5-3 23:59')"), "DATE 2021-05-03");
    assert_string_equal(one("to_date('2021-02-29')"), "null");
    assert_string_equal(one("to_date('29/02/2020', 'dd/MM/yyyy')"), "DATE 2020-02-29");
    assert_string_equal(one("to_date(TIMESTAMP '1969-12-31 23:59:59.999')"), "DATE 1969-12-31");
    assert_string_equal(one("date_add(DATE '2020-02-28', 1)"), "DATE 2020-02-29");
    assert_string_equal(one("date_add('2021-01-31', 1)"), "DATE 2021-02-01");
    assert_string_equal(one("date_sub(DATE '1970-01-01', 1)"), "DATE 1969-12-31");
    assert_string_equal(one("date_add(DATE '2021-05-03', -400)"), "DATE 2020-03-29");
    assert_string_equal(one("datediff(DATE '2021-05-03', '2020-05-03')"), "365");
    assert_string_equal(one("datediff('2020-02-28', DATE '2020-03-01')"), "-2");
    assert_string_equal(one("year(DATE '2021-05-03') * 10000 + month(DATE '2021-05-03') * 100 + day(DATE '2021-05-03')"),
                        "20210503");
    assert_string_equal(one("hour(DATE '2021-05-03')"), "0");
    assert_string_equal(one("date_format(DATE '2021-05-03', 'EEE d MMM')"), "'Mon 3 May'");
    assert_string_equal(one("cast(DATE '2021-05-03' AS timestamp)"), "2021-05-03T00:00:00.000Z");
    assert_string_equal(one("cast(DATE '2021-05-03' AS string)"), "'2021-05-03'");
    assert_string_equal(one("DATE '2021-05-03' = '2021-05-03'"), "true");
    assert_string_equal(one("DATE '2021-05-03' < TIMESTAMP '2021-05-03 00:00:01'"), "true");
    assert_string_equal(one("DATE '2021-05-03' = TIMESTAMP '2021-05-03 00:00:00'"), "true");
    assert_string_equal(one("coalesce(NULL, DATE '2021-05-03')"), "DATE 2021-05-03");
    sluice_expr_set_batch_time(1620028540123000); /* 2021-05-03T07:55:40.123Z */
    assert_string_equal(one("current_date()"), "DATE 2021-05-03");
    sluice_expr_set_batch_time(-1); /* a microsecond before the epoch */
    assert_string_equal(one("current_date()"), "DATE 1969-12-31");
    sluice_expr_set_batch_time(INT64_MIN);
    struct sluice_error err = { 0 };
    struct sluice_expr *e = NULL;
    assert_int_equal(sluice_expr_compile(schema, "cast(DATE '2021-05-03' AS bigint)", &e, &err), SLUICE_ECONFIG);
    assert_string_equal(err.message, "cannot cast date to long");
    assert_int_equal(sluice_expr_compile(schema, "DATE '2021-05-03' = 1", &e, &err), SLUICE_ECONFIG);
    assert_int_equal(sluice_expr_compile(schema, "date_add(DATE '2021-05-03', ts)", &e, &err), SLUICE_ECONFIG);
    assert_int_equal(sluice_expr_compile(schema, "DATE '2021-13-01'", &e, &err), SLUICE_ECONFIG);
}

/* Day-time intervals, by hand: added to and subtracted from timestamps
 * (a date at its midnight) in every spelling Spark takes; anywhere else,
 * or with a unit of no fixed length, refused at compile time. */
static void test_expr_func_adds_intervals_to_timestamps(void **state)
{
    assert_string_equal(one("TIMESTAMP '2021-05-03 07:55:40' + INTERVAL 1 HOUR"), "2021-05-03T08:55:40.000Z");
    assert_string_equal(one("TIMESTAMP '2021-05-03 07:55:40' - INTERVAL '90' MINUTE"), "2021-05-03T06:25:40.000Z");
    assert_string_equal(one("INTERVAL '1 day 30 minutes' + TIMESTAMP '2021-05-03 23:40:00'"), "2021-05-05T00:10:00.000Z");
    assert_string_equal(one("TIMESTAMP '2021-05-03 00:00:00' + interval 1 hour 30 minutes 500 milliseconds"),
                        "2021-05-03T01:30:00.500Z");
    assert_string_equal(one("DATE '2021-05-03' + INTERVAL 2 HOURS"), "2021-05-03T02:00:00.000Z");
    assert_string_equal(one("'2021-05-03 10:00:00' - INTERVAL 1 WEEK"), "2021-04-26T10:00:00.000Z");
    assert_string_equal(one("TIMESTAMP '2021-05-03 00:00:00' + INTERVAL 1 DAY > TIMESTAMP '2021-05-03 23:59:59'"), "true");
    assert_string_equal(rows("ts + INTERVAL 1 SECOND"), "2021-05-03T07:55:41.000Z, null, 2000-01-01T00:00:00.500Z, "
                                                         "1970-01-01T00:00:01.000Z");
    struct sluice_error err = { 0 };
    struct sluice_expr *e = NULL;
    assert_int_equal(sluice_expr_compile(schema, "INTERVAL 1 HOUR", &e, &err), SLUICE_ECONFIG);
    assert_string_equal(err.message, "INTERVAL '1 hour' at character 1 can only be added to or subtracted from a timestamp");
    assert_int_equal(sluice_expr_compile(schema, "a + INTERVAL 1 HOUR", &e, &err), SLUICE_ECONFIG);
    assert_int_equal(sluice_expr_compile(schema, "INTERVAL 1 HOUR - ts", &e, &err), SLUICE_ECONFIG);
    assert_int_equal(sluice_expr_compile(schema, "coalesce(INTERVAL 1 HOUR, ts)", &e, &err), SLUICE_ECONFIG);
    assert_int_equal(sluice_expr_compile(schema, "ts + INTERVAL 1 MONTH", &e, &err), SLUICE_ECONFIG);
    assert_non_null(strstr(err.message, "months and years have no fixed length"));
    assert_int_equal(sluice_expr_compile(schema, "ts + INTERVAL", &e, &err), SLUICE_ECONFIG);
}

/* DECIMAL, by hand against Spark 3.5 (spark.sql.decimalOperations.allowPrecisionLoss):
 * result types by DecimalPrecision, literals typed by their digits, exact
 * arithmetic rounded half up, overflow and division by zero null, casts. */
static void test_expr_func_computes_decimals_as_spark_does(void **state)
{
    (void)state;
    struct ArrowSchema dec;
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_schema_parse("x DECIMAL(8,2), y DECIMAL(38,10), n BIGINT, s STRING", &dec, &err), 0);
    struct sluice_builder *b = sluice_builder_new(&dec);
    sluice_builder_append_struct(b);
    sluice_builder_append_decimal(&b->children[0], 1235);                      /* 12.35 */
    sluice_builder_append_decimal(&b->children[1], sluice_dec_pow10(37) * 9); /* 900000000000000000000000000.0000000000 */
    sluice_builder_append_long(&b->children[2], 3);
    sluice_builder_append_string(&b->children[3], " 2.505 ", 7);
    struct sluice_batch row;
    sluice_builder_finish(b, &row);
    row.schema = &dec;
    sluice_builder_free(b);
#define D(text) tu_eval(&dec, &row, text)
    assert_string_equal(D("x"), "12.35 (8,2)");
    assert_string_equal(D("x * 2"), "24.70 (10,2)");
    assert_string_equal(D("x + 0.5"), "12.85 (9,2)");
    assert_string_equal(D("x + n"), "15.35 (23,2)");
    assert_string_equal(D("x / 3"), "4.116667 (12,6)");
    assert_string_equal(D("x / n"), "4.11666666666666666666667 (29,23)");
    assert_string_equal(D("x % 5"), "2.35 (3,2)");
    assert_string_equal(D("-x"), "-12.35 (8,2)");
    assert_string_equal(D("x * 1.5"), "18.525 (11,3)");
    assert_string_equal(D("x + 1.5e0"), "13.85");             /* a double literal: double arithmetic */
    assert_string_equal(D("x / 0"), "null");
    assert_string_equal(D("x + NULL"), "null");
    assert_string_equal(D("-x * CAST(NULL AS DECIMAL(4,1))"), "null"); /* a typed null has no digits to read */
    assert_string_equal(D("y * y"), "null");                   /* more than 38 digits */
    assert_string_equal(D("y * 10"), "90000000000000000000000000000.0000000 (38,7)");
    assert_string_equal(D("y * 1000000000000"), "null");
    assert_string_equal(D("x > 12.3"), "true");
    assert_string_equal(D("x = '12.350'"), "true");
    assert_string_equal(D("x < n * 4"), "false");
    assert_string_equal(D("x > 12.5e0"), "false");
    assert_string_equal(D("coalesce(NULL, x, n)"), "12.35 (22,2)");
    assert_string_equal(D("CAST(x AS DECIMAL(3,0))"), "12 (3,0)");
    assert_string_equal(D("CAST(x AS DECIMAL(3,1))"), "12.4 (3,1)");
    assert_string_equal(D("CAST(x AS DECIMAL(2,1))"), "null"); /* 12.4 needs three digits */
    assert_string_equal(D("CAST(s AS DECIMAL(4,2))"), "2.51 (4,2)");
    assert_string_equal(D("CAST('abc' AS DECIMAL(4,2))"), "null");
    assert_string_equal(D("CAST(0.1e0 AS DECIMAL(5,4))"), "0.1000 (5,4)");
    assert_string_equal(D("CAST(x AS BIGINT)"), "12");
    assert_string_equal(D("CAST(-x AS BIGINT)"), "-12");
    assert_string_equal(D("CAST(x AS DOUBLE)"), "12.35");
    assert_string_equal(D("CAST(x AS STRING)"), "'12.35'");
    assert_string_equal(D("CAST(n AS DECIMAL(2,1))"), "3.0 (2,1)");
    assert_string_equal(D("abs(-x)"), "12.35");                /* math functions compute in doubles */
    struct sluice_expr *e = NULL;
    assert_int_equal(sluice_expr_compile(&dec, "CAST(x AS TIMESTAMP)", &e, &err), SLUICE_ECONFIG);
    assert_string_equal(err.message, "cannot cast decimal to timestamp");
#undef D
    sluice_batch_release(&row);
    sluice_schema_release(&dec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expr_func_maps_case_for_ascii_and_other_scripts),
        cmocka_unit_test(test_expr_func_never_maps_a_broken_character_across_rows),
        cmocka_unit_test(test_expr_func_counts_length_in_characters),
        cmocka_unit_test(test_expr_func_trims_only_spaces),
        cmocka_unit_test(test_expr_func_concat_ws_skips_nulls_and_joins_arrays),
        cmocka_unit_test(test_expr_func_splits_as_java_does),
        cmocka_unit_test(test_expr_func_extracts_regex_groups_with_empty_for_no_match),
        cmocka_unit_test(test_expr_func_replaces_with_java_group_references),
        cmocka_unit_test(test_expr_func_regex_functions_refuse_what_spark_refuses),
        cmocka_unit_test(test_expr_func_concatenates_with_null_if_any_part_is_null),
        cmocka_unit_test(test_expr_func_takes_substrings_with_sparks_position_rules),
        cmocka_unit_test(test_expr_func_searches_substrings),
        cmocka_unit_test(test_expr_func_matches_like_patterns),
        cmocka_unit_test(test_expr_func_finds_regular_expressions_anywhere_in_the_string),
        cmocka_unit_test(test_expr_func_sizes_arrays_with_minus_one_for_null),
        cmocka_unit_test(test_expr_func_picks_elements_one_based_and_from_the_end),
        cmocka_unit_test(test_expr_func_looks_for_values_in_arrays_with_null_rules),
        cmocka_unit_test(test_expr_func_takes_absolute_values),
        cmocka_unit_test(test_expr_func_rounds_half_up_like_spark),
        cmocka_unit_test(test_expr_func_floors_and_ceils_to_longs),
        cmocka_unit_test(test_expr_func_extracts_date_parts_in_utc),
        cmocka_unit_test(test_expr_func_extracts_time_of_day_at_the_ends_of_the_timestamp_range),
        cmocka_unit_test(test_expr_func_formats_and_truncates_timestamps),
        cmocka_unit_test(test_expr_func_parses_timestamps_with_and_without_a_pattern),
        cmocka_unit_test(test_expr_func_casts_strings_to_numbers_or_null),
        cmocka_unit_test(test_expr_func_casts_strings_to_booleans_and_timestamps),
        cmocka_unit_test(test_expr_func_casts_values_to_strings_as_spark_prints_them),
        cmocka_unit_test(test_expr_func_casts_between_numbers_booleans_and_timestamps),
        cmocka_unit_test(test_expr_func_from_json_parses_as_the_json_reader_does),
        cmocka_unit_test(test_expr_func_to_json_writes_rows_as_the_json_sinks_do),
        cmocka_unit_test(test_expr_func_json_functions_refuse_what_spark_refuses),
        cmocka_unit_test(test_expr_func_current_timestamp_is_the_batch_time),
        cmocka_unit_test(test_expr_func_works_with_dates_as_spark_does),
        cmocka_unit_test(test_expr_func_adds_intervals_to_timestamps),
        cmocka_unit_test(test_expr_func_computes_decimals_as_spark_does),
        cmocka_unit_test(test_expr_func_hashes_and_partitions_as_spark_does),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
