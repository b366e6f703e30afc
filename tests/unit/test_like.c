/* LIKE patterns: the specialised kernels (equal, prefix, suffix, contains
 * over a whole column) and the general matcher, checked against Spark's
 * own definition, a regex translation (`%` -> `.*`, `_` -> `.`, anchored,
 * dot matching newlines) run through PCRE2, on thousands of random
 * patterns and strings. Contains must never match across two rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "arena.h"
#include "like.h"

static struct sluice_arena *arena;

static int setup(void **state)
{
    arena = sluice_arena_new(0);
    return 0;
}

static int teardown(void **state)
{
    sluice_arena_unref(arena);
    return 0;
}

static const struct like_pattern *compile(const char *pat)
{
    const struct like_pattern *p;
    char why[160];
    if (sluice_like_compile(pat, strlen(pat), "\\", 1, arena, &p, why)) fail_msg("'%s': %s", pat, why);
    return p;
}

static bool like(const char *s, const char *pat)
{
    return sluice_like_match(compile(pat), s, strlen(s));
}

/* Spark's translation of a LIKE pattern (escape '\') into a regex. */
static bool like_by_regex(const char *s, size_t n, const char *pat)
{
    char re[512];
    size_t w = 0;
    w += (size_t)snprintf(re, sizeof re, "(?s)^");
    for (const char *p = pat; *p; p++) {
        if (*p == '\\') {
            p++;
            w += (size_t)snprintf(re + w, sizeof re - w, "\\%c", *p);
        } else if (*p == '%') {
            w += (size_t)snprintf(re + w, sizeof re - w, ".*");
        } else if (*p == '_') {
            w += (size_t)snprintf(re + w, sizeof re - w, ".");
        } else {
            re[w++] = *p;
        }
    }
    snprintf(re + w, sizeof re - w, "\\z"); /* matches(): the whole string, not before a final newline */
    int code;
    PCRE2_SIZE at;
    pcre2_code *c = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &code, &at, NULL);
    if (!c) fail_msg("regex '%s' does not compile", re);
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    int rc = pcre2_match(c, (PCRE2_SPTR)s, n, 0, 0, md, NULL);
    pcre2_match_data_free(md);
    pcre2_code_free(c);
    return rc >= 0;
}

static uint64_t rng = 88172645463325252ULL;

static unsigned next(unsigned bound)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % bound);
}

static void test_like_matches_the_basic_shapes(void **state)
{
    assert_true(like("abc", "abc"));
    assert_false(like("abcd", "abc"));
    assert_true(like("abcd", "ab%"));
    assert_false(like("xabc", "ab%"));
    assert_true(like("xabc", "%bc"));
    assert_false(like("xabcx", "%bc"));
    assert_true(like("xxcovidxx", "%covid%"));
    assert_false(like("xxcovixx", "%covid%"));
    assert_true(like("", ""));
    assert_true(like("", "%"));
    assert_true(like("", "%%"));
    assert_false(like("a", ""));
    assert_false(like("", "_"));
}

static void test_like_matches_underscores_as_one_character(void **state)
{
    assert_true(like("abc", "a_c"));
    assert_false(like("ac", "a_c"));
    assert_true(like("aéc", "a_c"));
    assert_true(like("a😀c", "a_c"));
    assert_false(like("aéc", "a__c"));
    assert_true(like("xyzéz", "%_z"));
    assert_true(like("ab", "__"));
}

static void test_like_places_each_segment_leftmost(void **state)
{
    assert_true(like("abcabc", "a%c"));
    assert_true(like("aXbYaZb", "a%b%b"));
    assert_false(like("ab", "a%b%b"));
    assert_true(like("abab", "%ab"));
    assert_true(like("aab", "a%ab"));
    assert_false(like("ab", "a%ab")); /* the prefix and suffix may not overlap */
    assert_true(like("mississippi", "m%iss%pi"));
}

static void test_like_honours_escapes_before_percent_underscore_and_itself(void **state)
{
    assert_true(like("a_", "a\\_"));
    assert_false(like("a", "a\\_"));
    assert_false(like("ab", "a\\_"));
    assert_true(like("50%", "50\\%"));
    assert_false(like("500", "50\\%"));
    assert_true(like("a\\b", "a\\\\b"));
}

static void test_like_rejects_bad_escapes_as_spark_does(void **state)
{
    const struct like_pattern *p;
    char why[160];
    assert_int_equal(sluice_like_compile("a\\", 2, "\\", 1, arena, &p, why), -1);
    assert_string_equal(why, "it ends with the escape character");
    assert_int_equal(sluice_like_compile("a\\b", 3, "\\", 1, arena, &p, why), -1);
    assert_string_equal(why, "the escape character is not allowed to precede 'b'");
    assert_int_equal(sluice_like_compile("a!%", 3, "!", 1, arena, &p, why), 0);
    assert_true(sluice_like_match(p, "a%", 2));
}

static void test_like_agrees_with_sparks_regex_translation_on_random_cases(void **state)
{
    const char *alpha[] = { "a", "b", "é", "\n" };
    const char *palpha[] = { "a", "b", "é", "%", "_", "\\_", "\\%" };
    for (int round = 0; round < 4000; round++) {
        char s[64] = "", pat[64] = "";
        int sl = (int)next(9), pl = (int)next(7);
        for (int i = 0; i < sl; i++) strcat(s, alpha[next(4)]);
        for (int i = 0; i < pl; i++) strcat(pat, palpha[next(7)]);
        bool want = like_by_regex(s, strlen(s), pat);
        if (like(s, pat) != want) fail_msg("'%s' LIKE '%s' should be %s", s, pat, want ? "true" : "false");
    }
}

/* Rows given as strings, laid out contiguously as a column would be. */
static void column(const char *const *rows, int n, int32_t *offs, char *data)
{
    offs[0] = 0;
    for (int i = 0; i < n; i++) {
        size_t len = strlen(rows[i]);
        memcpy(data + offs[i], rows[i], len);
        offs[i + 1] = offs[i] + (int32_t)len;
    }
}

static void test_like_contains_never_matches_across_rows(void **state)
{
    const char *rows[] = { "co", "vid", "", "covid", "xcovi", "d", "", "covidcovid", "c", "ovid", "covi" };
    int n = sizeof rows / sizeof rows[0];
    int32_t offs[16];
    char data[128];
    column(rows, n, offs, data);
    uint8_t out[16];
    sluice_like_match_column(compile("%covid%"), offs, data, n, out);
    uint8_t want[] = { 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0 };
    assert_memory_equal(out, want, (size_t)n);
    sluice_like_contains_column("d", 1, offs, data, n, out);
    uint8_t want_d[] = { 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0 };
    assert_memory_equal(out, want_d, (size_t)n);
}

static void test_like_column_kernels_agree_with_the_row_matcher_on_long_rows(void **state)
{
    /* Rows longer than the 16-byte blocks, needles near every block edge. */
    enum { N = 600 };
    int32_t offs[N + 1];
    char *data = malloc(N * 80);
    const char *pats[] = { "%covid%", "%co%", "covid%", "%covid", "covid", "%c_vid%", "%cov%id%", "%d%" };
    offs[0] = 0;
    for (int i = 0; i < N; i++) {
        int len = (int)next(70);
        for (int k = 0; k < len; k++) data[offs[i] + k] = "covidx"[next(6)];
        if (next(3) == 0 && len >= 5) memcpy(data + offs[i] + next((unsigned)len - 4), "covid", 5);
        offs[i + 1] = offs[i] + len;
    }
    uint8_t out[N];
    for (size_t p = 0; p < sizeof pats / sizeof pats[0]; p++) {
        const struct like_pattern *lp = compile(pats[p]);
        sluice_like_match_column(lp, offs, data, N, out);
        for (int i = 0; i < N; i++) {
            bool want = like_by_regex(data + offs[i], (size_t)(offs[i + 1] - offs[i]), pats[p]);
            if (out[i] != want) fail_msg("row %d '%.*s' LIKE '%s' should be %d", i, offs[i + 1] - offs[i],
                                         data + offs[i], pats[p], want);
        }
    }
    free(data);
}

static void test_like_column_starts_at_the_first_offset(void **state)
{
    /* A column slice: offsets need not start at 0, and bytes before are not rows. */
    const char *text = "covid|abc|xcovidx";
    int32_t offs[] = { 6, 9, 17 };
    uint8_t out[2];
    sluice_like_match_column(compile("%covid%"), offs, text, 2, out);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1], 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_like_matches_the_basic_shapes),
        cmocka_unit_test(test_like_matches_underscores_as_one_character),
        cmocka_unit_test(test_like_places_each_segment_leftmost),
        cmocka_unit_test(test_like_honours_escapes_before_percent_underscore_and_itself),
        cmocka_unit_test(test_like_rejects_bad_escapes_as_spark_does),
        cmocka_unit_test(test_like_agrees_with_sparks_regex_translation_on_random_cases),
        cmocka_unit_test(test_like_contains_never_matches_across_rows),
        cmocka_unit_test(test_like_column_kernels_agree_with_the_row_matcher_on_long_rows),
        cmocka_unit_test(test_like_column_starts_at_the_first_offset),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
