/* Unit tests for the validating skip (core/decode_json_skip.c): the block
 * walker must end where the exact walker ends and accept exactly what it
 * accepts, with the exact walker's message on every error. Each input is
 * copied into a buffer of its own length, so the walker's tail handling
 * runs and ASan sees any read past the line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decode_json_scan.h"

struct outcome {
    int rc;
    ptrdiff_t end; /* where the skip stopped */
    char why[200];
};

static struct outcome run(int (*walker)(struct sluice_json_scan *), const char *buf, size_t len, int depth)
{
    struct outcome o = { 0, 0, "" };
    struct sluice_json_scan s = { .p = buf, .end = buf + len, .lim = buf + len, .line = buf,
                                  .why = o.why, .depth = depth };
    o.rc = walker(&s);
    o.end = s.p - buf;
    return o;
}

/* Skip `text` both ways at nesting `depth`; fail unless they agree.
 * Returns the end offset, or -1 after an error. */
static ptrdiff_t skip_at_depth(const char *text, size_t len, int depth, char *why)
{
    char *buf = malloc(len ? len : 1);
    memcpy(buf, text, len);
    struct outcome fast = run(sluice_json_skip, buf, len, depth);
    struct outcome exact = run(sluice_json_skip_exact, buf, len, depth);
    free(buf);
    if (fast.rc != exact.rc || (fast.rc == 0 && fast.end != exact.end) || strcmp(fast.why, exact.why) != 0)
        fail_msg("'%.*s': block walker %d at %td (%s), exact walker %d at %td (%s)", (int)(len > 200 ? 200 : len),
                 text, fast.rc, fast.end, fast.why, exact.rc, exact.end, exact.why);
    if (why) snprintf(why, 200, "%s", exact.why);
    return fast.rc ? -1 : fast.end;
}

static ptrdiff_t skip_text(const char *text)
{
    return skip_at_depth(text, strlen(text), 0, NULL);
}

/* `text` as the element of an array after 0 to 63 spaces, so each of its
 * bytes lands at every position of a 64-byte block in turn; it must be
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
    /* Escapes and quotes across block boundaries. */
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

static void test_skip_rejects_what_the_exact_walker_rejects_with_its_message(void **state)
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
    /* Jackson's extras, which the block walker leaves to the exact one. */
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

/* Random edits of valid lines: whatever a byte becomes, both walkers agree. */
static void test_skip_agrees_with_the_exact_walker_on_random_edits(void **state)
{
    static const char *const seeds[] = {
        "{\"a\":{\"b\":[1,2,{\"c\":[]}],\"d\":{}},\"e\":[[[\"x\\\"y\"]]],\"f\":\"\\u00e9\\\\\",\"g\":-0.5e10}",
        "[{\"start\":35,\"end\":39,\"tag\":\"BTS\"},{\"start\":40,\"end\":52,\"tag\":\"Data Science\"},true,false,null]",
        "{ \"k\" : [ 1 , 2 ] , \"s\" : \"a b c d e f g h i j k l m n o p q r s t u v w x y z 0 1 2 3 4\" }",
    };
    static const char alphabet[] = "{}[]:,\"\\ \t\r0123456789-+.eEtrufalsenNIu'x\x01\xc3";
    uint64_t x = 0x9E3779B97F4A7C15u;
    char buf[256];
    for (int round = 0; round < 30000; round++) {
        const char *seed = seeds[round % 3];
        size_t n = strlen(seed);
        memcpy(buf, seed, n);
        int edits = 1 + (int)(round % 3);
        for (int e = 0; e < edits; e++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            size_t at = (size_t)(x % n);
            char c = alphabet[(x >> 20) % (sizeof alphabet - 1)];
            switch ((x >> 40) % 3) {
            case 0: buf[at] = c; break;                                          /* replace */
            case 1: memmove(buf + at, buf + at + 1, n - at - 1), n--; break;     /* delete */
            default:
                if (n + 1 < sizeof buf) memmove(buf + at + 1, buf + at, n - at), buf[at] = c, n++; /* insert */
            }
        }
        /* Half the time inside an array after up to 63 spaces, which moves
         * every byte against the 64-byte blocks. */
        char wrapped[330];
        size_t lead = (x >> 50) % 2 ? (size_t)(x >> 52) % 64 : 0, len = n;
        const char *text = buf;
        if (lead) {
            wrapped[0] = '[';
            memset(wrapped + 1, ' ', lead);
            memcpy(wrapped + 1 + lead, buf, n);
            wrapped[1 + lead + n] = ']';
            text = wrapped;
            len = n + lead + 2;
        }
        skip_at_depth(text, len, 0, NULL);
    }
}

#define T(f) cmocka_unit_test(f)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_skip_steps_over_nested_objects_and_arrays),
        T(test_skip_handles_escaped_quotes_and_runs_of_backslashes),
        T(test_skip_checks_unicode_escapes),
        T(test_skip_accepts_whitespace_between_every_token),
        T(test_skip_rejects_what_the_exact_walker_rejects_with_its_message),
        T(test_skip_refuses_nesting_deeper_than_jackson_allows),
        T(test_skip_agrees_with_the_exact_walker_on_random_edits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
