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

/* Issue 11: a fixed two edits suggested 'nvl' for 'col' and 'if' for 'x':
 * the allowance is now a third of the word, none under three letters. */
static void test_suggest_allows_edits_relative_to_the_length(void **state)
{
    const char *fns[] = { "nvl", "if", "lower", "upper", "count" };
    assert_null(sluice_suggest("col", fns, 5));
    assert_null(sluice_suggest("x", fns, 5));
    assert_null(sluice_suggest("cnt", fns, 5));
    assert_string_equal(sluice_suggest("IF", fns, 5), "if");
    assert_string_equal(sluice_suggest("lwoer", fns, 5), "lower");
    assert_string_equal(sluice_suggest("uppr", fns, 5), "upper");
    assert_int_equal(sluice_suggest_limit(2), 0);
    assert_int_equal(sluice_suggest_limit(3), 1);
    assert_int_equal(sluice_suggest_limit(5), 2);
    assert_int_equal(sluice_suggest_limit(8), 3);
    assert_int_equal(sluice_suggest_limit(21), 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edit_distance_counts_a_transposition_as_one),
        cmocka_unit_test(test_suggest_finds_the_closest_name_or_none),
        cmocka_unit_test(test_suggest_allows_edits_relative_to_the_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
