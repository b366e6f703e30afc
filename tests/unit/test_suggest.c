#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "suggest.h"

static void test_edit_distance_counts_a_transposition_as_one(void **state)
{
    assert_int_equal(sluice_edit_distance("console", "consloe"), 1);
    assert_int_equal(sluice_edit_distance("kitten", "sitting"), 3);
    assert_int_equal(sluice_edit_distance("", "abc"), 3);
    assert_int_equal(sluice_edit_distance("Lang", "lang"), 0);
}

static void test_suggest_finds_the_closest_name_or_none(void **state)
{
    const char *keys[] = { "path", "format", "schema", "max_files_per_trigger", "latest_first" };
    assert_string_equal(sluice_suggest("max_file_per_trigger", keys, 5), "max_files_per_trigger");
    assert_string_equal(sluice_suggest("fromat", keys, 5), "format");
    assert_null(sluice_suggest("zzzzzz", keys, 5));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edit_distance_counts_a_transposition_as_one),
        cmocka_unit_test(test_suggest_finds_the_closest_name_or_none),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
