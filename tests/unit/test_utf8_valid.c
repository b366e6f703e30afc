/* Checking and repairing UTF-8 (core/util/utf8_valid.c). The repaired
 * forms were computed independently with Python's
 * bytes.decode("utf-8", "replace"), which like Java's decoder replaces
 * each maximal ill-formed subpart with one U+FFFD. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "utf8_valid.h"

#define FFFD "\xEF\xBF\xBD"

struct repair_case {
    const char *in;
    size_t in_len;
    const char *out;
    int64_t replaced;
};

#define C(in, out, k) { in, sizeof(in) - 1, out, k }

static const struct repair_case cases[] = {
    C("plain", "plain", 0),
    C("caf\xC3\xA9", "caf\xC3\xA9", 0),
    C("\xF0\x9F\x98\x80 ok", "\xF0\x9F\x98\x80 ok", 0),
    C(FFFD, FFFD, 0),                           /* a real U+FFFD is text */
    C("\xFF", FFFD, 1),                         /* never a lead byte */
    C("a\xFF" "b", "a" FFFD "b", 1),
    C("\xE2\x82" "A", FFFD "A", 1),             /* a cut character is one subpart */
    C("\xE2\x82", FFFD, 1),                     /* ... also at the end */
    C("x\xF0\x9F\x98", "x" FFFD, 1),
    C("\xC3", FFFD, 1),
    C("\xC0\xAF", FFFD FFFD, 2),                /* overlong '/' */
    C("\xE0\x9F\x80", FFFD FFFD FFFD, 3),       /* overlong: E0 needs A0..BF */
    C("\xED\xA0\x80", FFFD FFFD FFFD, 3),       /* a surrogate */
    C("\xF0\x80\x80", FFFD FFFD FFFD, 3),       /* overlong: F0 needs 90..BF */
    C("\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD, 4), /* past U+10FFFF */
    C("\x80\x80", FFFD FFFD, 2),                /* stray continuations */
    C("\xF8\x88\x80\x80\x80", FFFD FFFD FFFD FFFD FFFD, 5),
    C("long ASCII run before it: 0123456789abcdef\xFF", "long ASCII run before it: 0123456789abcdef" FFFD, 1),
};

static void test_utf8_valid_accepts_well_formed_text_only(void **state)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct repair_case *c = &cases[i];
        if (sluice_utf8_valid(c->in, c->in_len) != (c->replaced == 0))
            fail_msg("case %zu: valid() says %d", i, !c->replaced);
    }
    assert_true(sluice_utf8_valid("", 0));
    /* The byte after the length is not looked at. */
    assert_true(sluice_utf8_valid("ab\xFF", 2));
    assert_false(sluice_utf8_valid("0123456789abcdef\xC3", 17));
}

static void test_utf8_repair_replaces_each_maximal_subpart_as_java_does(void **state)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct repair_case *c = &cases[i];
        char out[256];
        int64_t replaced = 7;
        size_t n = sluice_utf8_repair(c->in, c->in_len, out, &replaced);
        if (n != strlen(c->out) || memcmp(out, c->out, n) != 0) fail_msg("case %zu: repaired wrongly", i);
        if (replaced != 7 + c->replaced) fail_msg("case %zu: %lld replacements", i, (long long)(replaced - 7));
        assert_true(n >= c->in_len);
        assert_true(n <= SLUICE_UTF8_REPAIR_ROOM(c->in_len));
        assert_true(sluice_utf8_valid(out, n));
    }
}

static void test_utf8_clip_never_splits_a_character(void **state)
{
    const char *t = "a\xC3\xA9\xF0\x9F\x98\x80"; /* a, é, 😀: 1 + 2 + 4 bytes */
    assert_int_equal(sluice_utf8_clip(t, 7, 100), 7);
    assert_int_equal(sluice_utf8_clip(t, 7, 7), 7);
    assert_int_equal(sluice_utf8_clip(t, 7, 6), 3);
    assert_int_equal(sluice_utf8_clip(t, 7, 3), 3);
    assert_int_equal(sluice_utf8_clip(t, 7, 2), 1);
    assert_int_equal(sluice_utf8_clip(t, 7, 0), 0);
    /* A run of continuation bytes is no character: cut where asked. */
    assert_int_equal(sluice_utf8_clip("\x80\x80\x80\x80\x80\x80", 6, 5), 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_valid_accepts_well_formed_text_only),
        cmocka_unit_test(test_utf8_repair_replaces_each_maximal_subpart_as_java_does),
        cmocka_unit_test(test_utf8_clip_never_splits_a_character),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
