/* The size limits (core/arrow/size_limit.h) and what each place that meets
 * one does instead of aborting: the builder refuses and names the column,
 * take fails and poisons its result, the decoders make the line malformed
 * under the parse mode, aggregation fails the batch (a key too long, a
 * partition full, a complete-mode emission of more key bytes than a column
 * holds). main() sets SLUICE_TEST_SIZE_LIMIT=100 before anything reads it,
 * so every limit is 100 here and a few bytes cross it by the same code a
 * 2 GiB line would take. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agg_key.h"
#include "agg_stage.h"
#include "agg_testutil.h"
#include "arena.h"
#include "builder.h"
#include "decode.h"
#include "error.h"
#include "expr.h"
#include "render.h"
#include "schema.h"
#include "size_limit.h"
#include "take.h"
#include "validate.h"

#define LIMIT 100

static struct ArrowSchema schema;
static struct sluice_error err;

static int setup(void **state)
{
    memset(&schema, 0, sizeof schema);
    memset(&err, 0, sizeof err);
    return 0;
}

static int teardown(void **state)
{
    sluice_schema_release(&schema);
    return 0;
}

static void parse(const char *ddl)
{
    if (sluice_schema_parse(ddl, &schema, &err)) fail_msg("schema: %s", err.message);
}

static char *rendered(const struct sluice_batch *b)
{
    char why[256];
    if (sluice_array_validate(b->schema, &b->array, why)) fail_msg("invalid batch: %s", why);
    struct sluice_buf out = { 0 };
    sluice_buf_puts(&out, "");
    for (int64_t r = 0; r < b->array.length; r++) {
        sluice_render_row_json(b, r, &out);
        sluice_buf_putc(&out, '\n');
    }
    return out.data;
}

static void test_the_environment_lowers_every_limit(void **state)
{
    assert_int_equal(sluice_size_limit(SLUICE_OFFSET_LIMIT), LIMIT);
    assert_int_equal(sluice_size_limit(SLUICE_KEY_LIMIT), LIMIT);
    assert_int_equal(sluice_size_limit(SLUICE_GROUP_LIMIT), LIMIT);
    assert_int_equal(sluice_size_limit(7), 7);
}

/* ---- builder and take ------------------------------------------------------ */

static void test_builder_refuses_a_list_past_the_limit(void **state)
{
    parse("l ARRAY<LONG>");
    struct sluice_builder *b = sluice_builder_new(&schema);
    for (int row = 0; row < 2; row++) {
        sluice_builder_append_struct(b);
        sluice_builder_begin_list(&b->children[0]);
        for (int i = 0; i < 60; i++) sluice_builder_append_long(&b->children[0].children[0], i);
        sluice_builder_end_list(&b->children[0]);
    }
    assert_true(sluice_builder_refused(b));
    assert_int_equal(b->children[0].children[0].length, 60); /* the refused list's elements are gone */
    assert_int_equal(sluice_builder_refusal(b, &err), SLUICE_ELIMIT);
    assert_string_equal(err.message, "column 'l': more than 100 list elements in one batch (Arrow's 32-bit offsets)");
    struct sluice_batch out;
    sluice_builder_finish(b, &out);
    out.schema = &schema;
    assert_null(sluice_array_poisoned(&out.array)); /* the refusal was taken */
    char *rows = rendered(&out);
    assert_int_equal(strlen(rows), strlen("{\"l\":[]}\n{\"l\":null}\n") + 60 * 2 + 49);
    assert_non_null(strstr(rows, "\n{\"l\":null}\n"));
    free(rows);
    sluice_batch_release(&out);
    sluice_builder_free(b);
}

/* Explode repeats rows: a column can come out larger than it went in. */
static void test_take_of_repeated_rows_past_the_limit_fails_and_poisons_its_result(void **state)
{
    parse("s STRUCT<text: STRING, n LONG>");
    struct sluice_builder *b = sluice_builder_new(&schema);
    sluice_builder_append_struct(b);
    sluice_builder_append_struct(&b->children[0]);
    sluice_builder_append_string(&b->children[0].children[0], "thirty bytes of text, exactly.", 30);
    sluice_builder_append_long(&b->children[0].children[1], 7);
    struct sluice_batch in;
    sluice_builder_finish(b, &in);
    in.schema = &schema;
    sluice_builder_free(b);

    const int64_t three[] = { 0, 0, 0 }, four[] = { 0, 0, 0, 0 };
    struct ArrowArray out;
    assert_int_equal(sluice_array_take(schema.children[0], in.array.children[0], three, 3, &out, &err), SLUICE_OK);
    assert_null(sluice_array_poisoned(&out));
    out.release(&out);

    assert_int_equal(sluice_array_take(schema.children[0], in.array.children[0], four, 4, &out, &err), SLUICE_ELIMIT);
    assert_string_equal(err.message,
                        "column 's.text': more than 100 bytes of strings in one batch (Arrow's 32-bit offsets)");
    char why[256];
    if (sluice_array_validate(schema.children[0], &out, why)) fail_msg("invalid take: %s", why);
    assert_int_equal(out.length, 4);
    assert_int_equal(out.children[0]->null_count, 4); /* the column past the limit */
    assert_int_equal(sluice_get_long(out.children[1], 3), 7); /* the others are whole */
    assert_non_null(sluice_array_poisoned(&out));
    assert_string_equal(sluice_array_poisoned(&out), err.message);
    out.release(&out);
    sluice_batch_release(&in);
}

/* ---- decoders -------------------------------------------------------------- */

static struct sluice_decoder *decoder(const char *format, enum sluice_parse_mode mode)
{
    struct sluice_decode_opts o = { .size = sizeof o, .format = format, .schema = &schema, .mode = mode,
                                    .stats_size = sizeof(struct sluice_decode_stats) };
    struct sluice_decoder *d;
    if (sluice_decoder_new(&o, &d, &err)) fail_msg("decoder_new: %s", err.message);
    return d;
}

static int decode(struct sluice_decoder *d, const char *text, struct sluice_batch *out,
                  struct sluice_decode_stats *stats)
{
    struct sluice_decode_input in = { text, strlen(text), "in/big.json", 1, true };
    return sluice_decode(d, &in, out, stats, &err);
}

#define X10 "xxxxxxxxxx"
#define X150 X10 X10 X10 X10 X10 X10 X10 X10 X10 X10 X10 X10 X10 X10 X10
/* 158 bytes: {"t":" + 150 x + "} */
#define BIG_LINE "{\"t\":\"" X150 "\"}"
#define THREE_LINES "{\"t\":\"before\"}\n" BIG_LINE "\n{\"t\":\"after\"}\n"

/* Permissive: the line is a row of nulls with its text in the corrupt
 * column, cut to what fits (here 100 bytes in all) and saying so. */
static void test_a_line_past_the_limit_is_malformed_permissive(void **state)
{
    parse("t STRING, _corrupt_record STRING");
    struct sluice_decoder *d = decoder("json", SLUICE_PARSE_PERMISSIVE);
    struct sluice_batch out;
    struct sluice_decode_stats st = { 0 };
    assert_int_equal(decode(d, THREE_LINES, &out, &st), SLUICE_OK);
    char *rows = rendered(&out);
    /* 59 bytes of the line and the 41 of the note make 100. */
    assert_string_equal(rows, "{\"t\":\"before\",\"_corrupt_record\":null}\n"
                              "{\"t\":null,\"_corrupt_record\":\"{\\\"t\\\":\\\"" X10 X10 X10 X10 X10 "xxx"
                              "... [truncated: the line holds 158 bytes]\"}\n"
                              "{\"t\":\"after\",\"_corrupt_record\":null}\n");
    assert_int_equal(st.rows, 3);
    assert_int_equal(st.malformed, 1);
    assert_null(sluice_array_poisoned(&out.array));
    free(rows);
    sluice_batch_release(&out);
    sluice_decoder_free(d);
}

static void test_a_line_past_the_limit_is_malformed_drop_malformed(void **state)
{
    parse("t STRING");
    struct sluice_decoder *d = decoder("json", SLUICE_PARSE_DROP_MALFORMED);
    struct sluice_batch out;
    struct sluice_decode_stats st = { 0 };
    assert_int_equal(decode(d, THREE_LINES, &out, &st), SLUICE_OK);
    char *rows = rendered(&out);
    assert_string_equal(rows, "{\"t\":\"before\"}\n{\"t\":\"after\"}\n");
    assert_int_equal(st.malformed, 1);
    free(rows);
    sluice_batch_release(&out);
    sluice_decoder_free(d);
}

static void test_a_line_past_the_limit_is_malformed_fail_fast(void **state)
{
    parse("t STRING");
    struct sluice_decoder *d = decoder("json", SLUICE_PARSE_FAIL_FAST);
    struct sluice_batch out;
    struct sluice_decode_stats st = { 0 };
    assert_int_equal(decode(d, THREE_LINES, &out, &st), SLUICE_EDATA);
    assert_string_equal(err.message, "malformed JSON at in/big.json:2: column 't': more than 100 bytes of strings "
                                     "in one batch (Arrow's 32-bit offsets)");
    /* The decoder is whole again for the next input. */
    assert_int_equal(decode(d, "{\"t\":\"next\"}\n", &out, &st), SLUICE_OK);
    assert_int_equal(out.array.length, 1);
    sluice_batch_release(&out);
    sluice_decoder_free(d);
}

/* A list too long, a CSV field too long, and text that grows past the
 * limit when its invalid UTF-8 becomes U+FFFD (40 bytes, then 120). */
static void test_lists_csv_fields_and_repaired_text_past_the_limit_are_malformed(void **state)
{
    parse("l ARRAY<LONG>, t STRING");
    struct sluice_decoder *d = decoder("json", SLUICE_PARSE_DROP_MALFORMED);
    struct sluice_buf text = { 0 };
    sluice_buf_puts(&text, "{\"l\":[");
    for (int i = 0; i < 101; i++) sluice_buf_printf(&text, "%s%d", i ? "," : "", i);
    sluice_buf_puts(&text, "]}\n{\"t\":\"");
    for (int i = 0; i < 40; i++) sluice_buf_putc(&text, (char)0xFF);
    sluice_buf_puts(&text, "\"}\n{\"l\":[1],\"t\":\"kept\"}\n");
    struct sluice_batch out;
    struct sluice_decode_stats st = { 0 };
    assert_int_equal(decode(d, text.data, &out, &st), SLUICE_OK);
    char *rows = rendered(&out);
    assert_string_equal(rows, "{\"l\":[1],\"t\":\"kept\"}\n");
    assert_int_equal(st.malformed, 2);
    free(rows);
    sluice_batch_release(&out);
    sluice_decoder_free(d);
    sluice_buf_free(&text);
    sluice_schema_release(&schema);

    parse("n LONG, t STRING");
    d = decoder("csv", SLUICE_PARSE_FAIL_FAST);
    assert_int_equal(decode(d, "1,short\n2," X150 "\n", &out, &st), SLUICE_EDATA);
    assert_string_equal(err.message, "malformed CSV at in/big.json:2: column 't': more than 100 bytes of strings "
                                     "in one batch (Arrow's 32-bit offsets)");
    sluice_decoder_free(d);
}

/* The corrupt column keeps whole characters only: 'é' is two bytes and
 * the cut falls between them. */
static void test_a_cut_corrupt_record_never_splits_a_character(void **state)
{
    parse("t STRING, _corrupt_record STRING");
    struct sluice_decoder *d = decoder("json", SLUICE_PARSE_PERMISSIVE);
    /* {"t":" is 6 bytes, 30 é 60, then 150 x and "}: 218 bytes. The note
     * takes 41 of the 100, leaving 59: 6 + 26.5 é, so 26 é are kept. */
    struct sluice_buf text = { 0 };
    sluice_buf_puts(&text, "{\"t\":\"");
    for (int i = 0; i < 30; i++) sluice_buf_puts(&text, "\xC3\xA9");
    sluice_buf_puts(&text, X150 "\"}\n");
    struct sluice_batch out;
    struct sluice_decode_stats st = { 0 };
    assert_int_equal(decode(d, text.data, &out, &st), SLUICE_OK);
    const char *p;
    int32_t n = sluice_get_string(out.array.children[1], 0, &p);
    const char *note = "... [truncated: the line holds 218 bytes]";
    assert_int_equal(n, 6 + 52 + (int32_t)strlen(note));
    assert_memory_equal(p, text.data, 6 + 52);
    assert_memory_equal(p + 6 + 52, note, strlen(note));
    assert_int_equal(st.invalid_utf8, 0); /* the cut is not bad input */
    sluice_batch_release(&out);
    sluice_decoder_free(d);
    sluice_buf_free(&text);
}

/* ---- aggregation ------------------------------------------------------------ */

static struct sluice_agg_plan *plan(const char *key, const char *agg)
{
    struct sluice_agg_spec spec = { .grouping = SLUICE_AGG_GROUP_BY, .keys = (const char *const[]){ key },
                                    .n_keys = 1, .aggs = (const char *const[]){ agg }, .n_aggs = 1 };
    struct sluice_agg_plan *p;
    if (sluice_agg_plan_new(&spec, &schema, &tu_catalog, &p, NULL, &err)) fail_msg("plan: %s", err.message);
    return p;
}

/* Rows k = prefix + i (a long key when prefix is NULL), v = i, for i in
 * [from, to). Keep the strings of one batch within the limit. */
static void keys_batch(const char *prefix, int from, int to, struct sluice_batch *out)
{
    struct sluice_builder *b = sluice_builder_new(&schema);
    char k[200];
    for (int i = from; i < to; i++) {
        sluice_builder_append_struct(b);
        if (prefix) {
            int n = snprintf(k, sizeof k, "%s%d", prefix, i);
            sluice_builder_append_string(&b->children[0], k, (size_t)n);
        } else {
            sluice_builder_append_long(&b->children[0], i);
        }
        sluice_builder_append_long(&b->children[1], i);
    }
    assert_false(sluice_builder_refused(b));
    sluice_builder_finish(b, out);
    out->schema = &schema;
    sluice_builder_free(b);
}

static void update_ok(struct sluice_agg_groups *g, const char *prefix, int from, int to, int64_t batch_id)
{
    struct sluice_batch b;
    keys_batch(prefix, from, to, &b);
    if (sluice_agg_groups_update(g, &b, batch_id, NULL, &err)) fail_msg("update: %s", err.message);
    sluice_batch_release(&b);
}

#define P91 X10 X10 X10 X10 X10 X10 X10 X10 X10 "-"

/* A string key is a tag byte, a 4-byte length and the bytes. */
static void test_a_grouping_key_past_the_limit_fails_the_update(void **state)
{
    parse("k STRING, v LONG");
    struct sluice_agg_plan *p = plan("k", "count(*) AS n");
    struct sluice_agg_groups *g = sluice_agg_groups_new(p, 1);
    update_ok(g, P91, 1000, 1001, 0); /* 95 bytes: a key of 100 */
    struct sluice_batch b;
    keys_batch(P91, 10000, 10001, &b); /* 96 bytes: a key of 101 */
    assert_int_equal(sluice_agg_groups_update(g, &b, 0, NULL, &err), SLUICE_ELIMIT);
    assert_string_equal(err.message, "the grouping key of row 0 takes 101 bytes, more than the 100 a key may hold");
    sluice_batch_release(&b);
    struct sluice_agg_stats st;
    sluice_agg_groups_stats(g, &st);
    assert_int_equal(st.groups, 1);
    sluice_agg_groups_free(g);
    sluice_agg_plan_free(p);
}

/* 101 groups in one partition: the update fails, and merging a partial
 * into a state that cannot take all of it fails too, leaving each side
 * holding what it owns (gather's states own heap memory: ASan would see a
 * leak or a double free). */
static void test_a_full_partition_fails_the_update_and_the_merge(void **state)
{
    parse("k LONG, v LONG");
    struct sluice_agg_plan *p = plan("k", "gather(v) AS vs");
    struct sluice_agg_groups *g = sluice_agg_groups_new(p, 1);
    update_ok(g, NULL, 0, 100, 0);
    struct sluice_batch b;
    keys_batch(NULL, 50, 101, &b);
    assert_int_equal(sluice_agg_groups_update(g, &b, 0, NULL, &err), SLUICE_ELIMIT);
    assert_string_equal(err.message, "a partition of the aggregation state holds 100 groups, the most one may");
    assert_string_equal(err.hint, "raise runtime.shuffle_partitions to spread the groups over more partitions");
    sluice_batch_release(&b);
    sluice_agg_groups_free(g);

    struct sluice_agg_groups *kept = sluice_agg_groups_new(p, 1), *partial = sluice_agg_groups_new(p, 1);
    update_ok(kept, NULL, 0, 60, 0);       /* 0..59 */
    update_ok(partial, NULL, 100, 130, 1); /* 30 new keys */
    update_ok(partial, NULL, 0, 10, 1);    /* 10 the state has: merged without a new group */
    update_ok(partial, NULL, 200, 220, 1); /* 20 new keys, of which 10 fit */
    assert_int_equal(sluice_agg_groups_merge(kept, partial, 1, &err), SLUICE_ELIMIT);
    struct sluice_agg_stats in_state, left;
    sluice_agg_groups_stats(kept, &in_state);
    sluice_agg_groups_stats(partial, &left);
    assert_int_equal(in_state.groups, 100);
    assert_int_equal(left.groups, 10);
    sluice_agg_groups_free(partial);
    sluice_agg_groups_free(kept);
    sluice_agg_plan_free(p);
}

/* Complete mode emits every group each batch, so the keys' strings in one
 * output batch grow with the state: past the limit the emission fails,
 * though no input batch came near it. */
static void test_an_emission_of_more_key_bytes_than_a_column_holds_fails(void **state)
{
    parse("k STRING, v LONG");
    struct sluice_agg_plan *p = plan("k", "count(*) AS n");
    struct sluice_agg_groups *g = sluice_agg_groups_new(p, 4);
    update_ok(g, "key-number-", 10, 15, 0); /* 5 keys of 13 bytes */
    update_ok(g, "key-number-", 15, 19, 0); /* 4 more: 117 bytes in all */
    struct sluice_batch out = { 0 };
    assert_int_equal(sluice_agg_groups_emit(g, SLUICE_AGG_EMIT_ALL, 0, &out, &err), SLUICE_ELIMIT);
    assert_string_equal(err.message, "column 'k': more than 100 bytes of strings in one batch (Arrow's 32-bit offsets)");
    assert_null(out.array.release);
    /* The state is whole: an update-mode emission of what fits works. */
    update_ok(g, "key-number-", 10, 12, 1);
    assert_int_equal(sluice_agg_groups_emit(g, SLUICE_AGG_EMIT_UPDATED, 1, &out, &err), SLUICE_OK);
    assert_int_equal(out.array.length, 2);
    sluice_batch_release(&out);
    sluice_agg_groups_free(g);
    sluice_agg_plan_free(p);
}

/* ---- expressions ------------------------------------------------------------ */

/* Rows of (a, b) with strings of x as long as given; -1 is null. */
static void ab_batch(int rows, const int *la, const int *lb, struct sluice_batch *out)
{
    static const char xs[] = X10 X10 X10 X10 X10 X10 X10 X10 X10 X10;
    struct sluice_builder *bl = sluice_builder_new(&schema);
    for (int i = 0; i < rows; i++) {
        sluice_builder_append_struct(bl);
        for (int k = 0; k < 2; k++) {
            int n = k ? lb[i] : la[i];
            if (n < 0) sluice_builder_append_null(&bl->children[k]);
            else sluice_builder_append_string(&bl->children[k], xs, (size_t)n);
        }
    }
    assert_false(sluice_builder_refused(bl));
    sluice_builder_finish(bl, out);
    out->schema = &schema;
    sluice_builder_free(bl);
}

static int eval(const char *text, const struct sluice_batch *in, struct ArrowArray *out)
{
    struct sluice_expr *e;
    if (sluice_expr_compile(&schema, text, &e, &err)) fail_msg("compile %s: %s", text, err.message);
    int rc = sluice_expr_eval(e, in, out, &err);
    sluice_expr_free(e);
    return rc;
}

#define LIT52 "'0123456789012345678901234567890123456789012345678901'"

/* String results were cut short (concat) or wrapped their offsets (a
 * literal repeated over many rows) past 2 GiB: now the evaluation fails. */
static void test_string_results_past_the_limit_fail_the_evaluation(void **state)
{
    parse("a STRING, b STRING");
    struct sluice_batch in;
    struct ArrowArray out;
    ab_batch(2, (const int[]){ 60, 10 }, (const int[]){ 10, 60 }, &in);
    assert_int_equal(eval("concat(a, b) AS ab", &in, &out), SLUICE_ELIMIT);
    assert_string_equal(err.message,
                        "expression 'ab': more than 100 bytes of strings in one batch (Arrow's 32-bit offsets)");
    assert_null(out.release);
    /* A row made null by a null argument counts for nothing. */
    assert_int_equal(eval("concat(a, if(length(b) > 50, null, b)) AS ab", &in, &out), SLUICE_OK);
    assert_int_equal(out.null_count, 1);
    out.release(&out);
    assert_int_equal(eval("CASE WHEN length(a) > length(b) THEN a ELSE b END AS c", &in, &out), SLUICE_ELIMIT);
    assert_int_equal(eval("upper(" LIT52 ") AS u", &in, &out), SLUICE_ELIMIT);
    assert_int_equal(eval(LIT52 " AS k", &in, &out), SLUICE_ELIMIT);
    assert_string_equal(err.message,
                        "expression 'k': more than 100 bytes of strings in one batch (Arrow's 32-bit offsets)");
    assert_int_equal(eval("'01234567890123456789012345678901234567890123456789' AS k", &in, &out), SLUICE_OK);
    out.release(&out);
    sluice_batch_release(&in);
}

int main(void)
{
    /* Before anything asks: the limit is read once. */
    setenv("SLUICE_TEST_SIZE_LIMIT", "100", 1);
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_the_environment_lowers_every_limit),
        T(test_builder_refuses_a_list_past_the_limit),
        T(test_take_of_repeated_rows_past_the_limit_fails_and_poisons_its_result),
        T(test_a_line_past_the_limit_is_malformed_permissive),
        T(test_a_line_past_the_limit_is_malformed_drop_malformed),
        T(test_a_line_past_the_limit_is_malformed_fail_fast),
        T(test_lists_csv_fields_and_repaired_text_past_the_limit_are_malformed),
        T(test_a_cut_corrupt_record_never_splits_a_character),
        T(test_a_grouping_key_past_the_limit_fails_the_update),
        T(test_a_full_partition_fails_the_update_and_the_merge),
        T(test_an_emission_of_more_key_bytes_than_a_column_holds_fails),
        T(test_string_results_past_the_limit_fail_the_evaluation),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
