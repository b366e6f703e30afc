/* Counting UTF-8 characters (core/util/utf8.c): positions for carets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "utf8.h"

static void test_utf8_position_counts_characters_not_bytes(void **state)
{
    const char *t = "lang = 'é' AND x"; /* é is two bytes */
    assert_int_equal(sluice_utf8_position(t, 0), 1);
    assert_int_equal(sluice_utf8_position(t, 8), 9);   /* at é */
    assert_int_equal(sluice_utf8_position(t, 10), 10); /* after é: one character, two bytes */
    assert_int_equal(sluice_utf8_position(t, 100), 17); /* stops at the end */
    assert_int_equal(sluice_utf8_position("🙂x", 4), 2);
}

static void test_utf8_chars_counts_lead_bytes(void **state)
{
    assert_int_equal(sluice_utf8_chars("aé🙂", 7), 3);
    assert_int_equal(sluice_utf8_chars("\x80\x80", 2), 0); /* stray continuations are not characters */
    assert_true(sluice_utf8_continuation(0x80));
    assert_false(sluice_utf8_continuation('a'));
    assert_false(sluice_utf8_continuation(0xC3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_position_counts_characters_not_bytes),
        cmocka_unit_test(test_utf8_chars_counts_lead_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
