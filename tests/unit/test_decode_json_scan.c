/* Unit tests for the validating skip (sluice_json_skip in
 * core/formats/decode_json_scan.c): where it stops on nested objects and arrays,
 * escaped quotes, backslash runs, \u escapes and whitespace, what it
 * rejects and with which message, and, on random edits of valid values,
 * that it accepts exactly what jansson (a strict RFC 8259 parser) accepts
 * wherever Jackson's extras do not apply. Each input is copied into a
 * buffer of its own length, so the 16-byte loads meet the buffer's end and
 * ASan sees any read past it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "decode_json_scan.h"

struct outcome {
    int rc;
    ptrdiff_t end; /* where the skip stopped */
    char why[200];
};

static struct outcome run(const char *buf, size_t len, int depth)
{
    struct outcome o = { 0, 0, "" };
    struct sluice_json_scan s = { .p = buf, .end = buf + len, .lim = buf + len, .line = buf,
                                  .why = o.why, .depth = depth };
    o.rc = sluice_json_skip(&s);
    o.end = s.p - buf;
    return o;
}

/* Skip `text` at nesting `depth`: the end offset, or -1 after an error
 * (its message in `why` when given). */
static ptrdiff_t skip_at_depth(const char *text, size_t len, int depth, char *why)
{
    char *buf = malloc(len ? len : 1);
    memcpy(buf, text, len);
    struct outcome o = run(buf, len, depth);
    free(buf);
    if (o.rc == 0 && o.why[0]) fail_msg("'%.*s': skipped with a message: %s", (int)len, text, o.why);
    if (o.rc != 0 && !o.why[0]) fail_msg("'%.*s': failed without a message", (int)len, text);
    if (why) snprintf(why, 200, "%s", o.why);
    return o.rc ? -1 : o.end;
}

static ptrdiff_t skip_text(const char *text)
{
    return skip_at_depth(text, strlen(text), 0, NULL);
}

/* `text` as the element of an array after 0 to 63 spaces, so each of its
 * bytes lands at every position of the 16-byte loads in turn; it must be
 * skipped whole when `valid`, else rejected. */
static void skip_at_every_alignment(const char *text, bool valid)
{
    ptrdiff_t want = valid ? (ptrdiff_t)strlen(text) : -1;
    size_t n = strlen(text);
    char *buf = malloc(n + 66);
    for (size_t pad = 0; pad < 64; pad++) {
        memset(buf, ' ', pad);
        buf[0] = '[';
        memset(buf + 1, ' ', pad);
        memcpy(buf + 1 + pad, text, n);
        buf[1 + pad + n] = ']';
        ptrdiff_t end = skip_at_depth(buf, n + pad + 2, 0, NULL);
        if (want < 0) assert_int_equal(end, -1);
        else assert_int_equal(end, want + (ptrdiff_t)pad + 2);
    }
    free(buf);
}

static void test_skip_steps_over_nested_objects_and_arrays(void **state)
{
    assert_int_equal(skip_text("{}"), 2);
    assert_int_equal(skip_text("[]"), 2);
    assert_int_equal(skip_text("{\"a\":{\"b\":[1,2,{\"c\":[]}],\"d\":{}},\"e\":[[[]]]},\"x\":1}"), 44);
    assert_int_equal(skip_text("[{\"a\":[{\"b\":[{\"c\":null}]}]}] trailing"), 28);
    const char *tweet =
        "{\"public_metrics\":{\"retweet_count\":3,\"reply_count\":0,\"like_count\":5,\"quote_count\":2},"
        "\"entities\":{\"mentions\":[{\"start\":3,\"end\":15,\"username\":\"Silent_King\"}],"
        "\"hashtags\":[{\"start\":35,\"end\":39,\"tag\":\"BTS\"},{\"start\":40,\"end\":52,\"tag\":\"DataScience\"}]},"
        "\"ok\":true,\"no\":false,\"none\":null,\"x\":-1.5e+3,\"y\":0.25,\"z\":-0}";
    assert_int_equal(skip_text(tweet), (ptrdiff_t)strlen(tweet));
    skip_at_every_alignment("{\"a\":[1,{\"b\":\"c\"},[]],\"d\":-12.5E-3}", true);
}

static void test_skip_handles_escaped_quotes_and_runs_of_backslashes(void **state)
{
    assert_int_equal(skip_text("[\"a\\\"b\"]"), 8);          /* ["a\"b"] */
    assert_int_equal(skip_text("[\"\\\\\"]"), 6);             /* ["\\"] */
    assert_int_equal(skip_text("[\"\\\\\\\"\",1]"), 10);      /* ["\\\"",1] */
    assert_int_equal(skip_text("[\"\\\\\\\\\",\"]\"]"), 12);  /* ["\\\\","]"] */
    assert_int_equal(skip_text("{\"k\\\"ey\":\"}{][,:\"}"), 18);
    /* Escapes and quotes across the 16-byte loads. */
    skip_at_every_alignment("\"\\\"\",\"\\\\\",\"\\\\\\\"\\\\\",\"/\\/\\b\\f\\n\\r\\t\"", true);
    char why[200];
    assert_int_equal(skip_at_depth("[\"a\\x\"]", 7, 0, why), -1);
    assert_string_equal(why, "bad escape at column 5, found 'x'");
    assert_int_equal(skip_text("[\"a\\\"]"), -1); /* the quote is escaped: unterminated */
}

static void test_skip_checks_unicode_escapes(void **state)
{
    assert_int_equal(skip_text("[\"\\u00e9\\uD83D\\uDE00\\uABCD\"]"), 28);
    skip_at_every_alignment("\"\\u0041\",\"\\ud83d\\ude00\"", true);
    assert_int_equal(skip_text("[\"\\u00g9\"]"), -1);
    assert_int_equal(skip_text("[\"\\u00\"]"), -1);
    assert_int_equal(skip_text("[\"\\u"), -1);
}

static void test_skip_accepts_whitespace_between_every_token(void **state)
{
    assert_int_equal(skip_text("{ \"a\" :\t[ 1 ,\r2 ] , \"b\"\t:\t{ } }"), 31);
    assert_int_equal(skip_text("[ ]"), 3);
    assert_int_equal(skip_text("{ }"), 3);
    skip_at_every_alignment(" { \"a\" : [ true , false , null ] } ", true);
}

static void test_skip_rejects_broken_values_with_a_message(void **state)
{
    static const char *const bad[] = {
        "{\"a\":1", "[1,2", "{\"a\":[1}", "[1}", "{\"a\":1]", "{\"a\" 1}", "{\"a\":1 \"b\":2}",
        "{\"a\":1,}", "[1,]", "[,1]", "{,}", "{\"a\"}", "{1:2}", "{\"a\":}", "[tru]", "[nul]",
        "[falsey]", "[truex]", "[01]", "[-]", "[1.]", "[1e]", "[.5]", "[+1x]", "[1x]", "[\"a\tb\"]",
        "[\"abc", "{\"a\":\"b}", "[\"a\"\"b\"]", "[1 2]", "[\\\"a\"]", "[\x01]", "[\xc3\xa9]",
        "{\"a\"::1}", "{\"a\":1,,\"b\":2}", "[{]}", "{\"a\":[}]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char why[200];
        if (skip_at_depth(bad[i], strlen(bad[i]), 0, why) != -1) fail_msg("accepted '%s'", bad[i]);
        assert_true(why[0] != '\0');
    }
    /* Jackson's extras, on as Spark sets them. */
    assert_int_equal(skip_text("['single',{'k':'v'}]"), 20);
    assert_int_equal(skip_text("[NaN,Infinity,-Infinity,+INF]"), 29);
}

static void test_skip_refuses_nesting_deeper_than_jackson_allows(void **state)
{
    char deep[2100];
    for (int i = 0; i < 1000; i++) deep[i] = '[', deep[1000 + i] = ']';
    assert_int_equal(skip_at_depth(deep, 2000, 0, NULL), 2000);
    char why[200];
    assert_int_equal(skip_at_depth(deep, 2000, 1, why), -1); /* already inside one */
    assert_string_equal(why, "nesting deeper than 1000 at column 1000, found '['");
}

/* Random edits of valid values, checked against jansson: no Jackson extra
 * (single quotes, NaN, Infinity) and no invalid UTF-8 can appear, so both
 * must accept and reject the same texts, and stop at the same place. */
static void test_skip_accepts_what_a_strict_parser_accepts_on_random_edits(void **state)
{
    static const char *const seeds[] = {
        "{\"a\":{\"b\":[1,2,{\"c\":[]}],\"d\":{}},\"e\":[[[\"x\\\"y\"]]],\"f\":\"\\u00e9\\\\\",\"g\":-0.5e10}",
        "[{\"start\":35,\"end\":39,\"tag\":\"BTS\"},{\"start\":40,\"end\":52,\"tag\":\"Data Science\"},true,false,null]",
        "{ \"k\" : [ 1 , 2 ] , \"s\" : \"a b c d e f g h i j k l m n o p q r s t u v w x y z 0 1 2 3 4\" }",
    };
    static const char alphabet[] = "{}[]:,\"\\ \t\r0123456789-.eEtrufalsenu/bx\x01";
    uint64_t x = 0x9E3779B97F4A7C15u;
    char buf[256];
    int accepted = 0, rejected = 0;
    for (int round = 0; round < 20000; round++) {
        const char *seed = seeds[round % 3];
        size_t n = strlen(seed);
        memcpy(buf, seed, n);
        int edits = 1 + (int)(round % 3);
        for (int e = 0; e < edits; e++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            size_t at = (size_t)(x % n);
            char c = alphabet[(x >> 20) % (sizeof alphabet - 1)];
            switch ((x >> 40) % 3) {
            case 0: buf[at] = c; break;                                      /* replace */
            case 1: memmove(buf + at, buf + at + 1, n - at - 1), n--; break; /* delete */
            default:
                if (n + 1 < sizeof buf) memmove(buf + at + 1, buf + at, n - at), buf[at] = c, n++; /* insert */
            }
        }
        if (n == 0 || (buf[0] != '{' && buf[0] != '[')) continue; /* the skip is asked for a value */
        ptrdiff_t end = skip_at_depth(buf, n, 0, NULL);
        json_error_t jerr;
        json_t *j = json_loadb(buf, n, JSON_DISABLE_EOF_CHECK | JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, &jerr);
        /* A number beyond a double's range is still JSON's grammar. */
        if (!j && strstr(jerr.text, "overflow")) continue;
        if ((end >= 0) != (j != NULL))
            fail_msg("'%.*s': skip %s, jansson %s (%s)", (int)n, buf, end >= 0 ? "accepts" : "rejects",
                     j ? "accepts" : "rejects", jerr.text);
        if (j) {
            if (end != jerr.position) fail_msg("'%.*s': skip stops at %td, jansson at %d", (int)n, buf, end, jerr.position);
            accepted++;
            json_decref(j);
        } else {
            rejected++;
        }
    }
    /* Both outcomes are well represented. */
    assert_true(accepted > 2000);
    assert_true(rejected > 2000);
}

#define T(f) cmocka_unit_test(f)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_skip_steps_over_nested_objects_and_arrays),
        T(test_skip_handles_escaped_quotes_and_runs_of_backslashes),
        T(test_skip_checks_unicode_escapes),
        T(test_skip_accepts_whitespace_between_every_token),
        T(test_skip_rejects_broken_values_with_a_message),
        T(test_skip_refuses_nesting_deeper_than_jackson_allows),
        T(test_skip_accepts_what_a_strict_parser_accepts_on_random_edits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
