/* The take kernel: every type, repeated and reordered indices, -1 as null,
 * input slices with offsets at every level, nested nulls, and results that
 * outlive the input (deep copies). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "expr_testutil.h"
#include "take.h"
#include "validate.h"

static struct ArrowSchema *schema;
static struct sluice_batch sliced;
static char got[4096];

static int setup(void **state)
{
    schema = tu_schema();
    tu_rows(schema, &sliced, true);
    return 0;
}

static int teardown(void **state)
{
    sluice_batch_release(&sliced);
    tu_schema_free(schema);
    tu_free_bitmaps();
    return 0;
}

/* take(column, indices) rendered, after checking the layout. */
static const char *take(int column, const int64_t *idx, int64_t n)
{
    const struct ArrowSchema *s = schema->children[column];
    struct ArrowArray out;
    assert_int_equal(sluice_array_take(s, sliced.array.children[column], idx, n, &out, NULL), SLUICE_OK);
    char why[256];
    if (sluice_array_validate(s, &out, why)) fail_msg("invalid take of column %d: %s", column, why);
    assert_int_equal(out.length, n);
    assert_int_equal(out.offset, 0);
    tu_render_all(s, &out, got, sizeof got);
    out.release(&out);
    return got;
}

static const int64_t all4[] = { 0, 1, 2, 3 };
static const int64_t mixed[] = { 3, -1, 0, 0, 2 };

static void test_take_copies_fixed_width_values_and_their_nulls(void **state)
{
    assert_string_equal(take(C_A, all4, 4), "1, null, -7, 9223372036854775807");
    assert_string_equal(take(C_A, mixed, 5), "9223372036854775807, null, 1, 1, -7");
    assert_string_equal(take(C_D, mixed, 5), "0.0, null, 1.5, 1.5, -2.5");
    assert_string_equal(take(C_TS, mixed, 5),
                        "1970-01-01T00:00:00.000Z, null, 2021-05-03T07:55:40.000Z, 2021-05-03T07:55:40.000Z, "
                        "1999-12-31T23:59:59.500Z");
}

static void test_take_copies_booleans_bit_by_bit(void **state)
{
    assert_string_equal(take(C_F, all4, 4), "true, false, null, true");
    assert_string_equal(take(C_F, mixed, 5), "true, null, true, true, null");
}

static void test_take_copies_strings_into_one_buffer(void **state)
{
    assert_string_equal(take(C_S, mixed, 5), "'  pad  ', null, 'Hello COVID', 'Hello COVID', 'Ünïcode ÀÉ covid'");
    assert_string_equal(take(C_T, all4, 4), "'x', '', 'abc', 'pad'");
}

static void test_take_recurses_into_structs_with_their_child_offsets(void **state)
{
    assert_string_equal(take(C_ST, mixed, 5), "{-1, '', {null}}, null, {7, 'p', {'q'}}, {7, 'p', {'q'}}, "
                                              "{null, null, null}");
}

static void test_take_recurses_into_lists_of_every_kind(void **state)
{
    assert_string_equal(take(C_ARR, mixed, 5), "[], null, [1, 2, 3], [1, 2, 3], [null, 5]");
    assert_string_equal(take(C_SARR, all4, 4), "['a', 'b'], [], [null, 'c'], null");
    assert_string_equal(take(C_LST, mixed, 5),
                        "[null, {null, 'w4'}], null, [{1, 'w1'}, {2, null}], [{1, 'w1'}, {2, null}], []");
}

static void test_take_of_nothing_is_an_empty_array(void **state)
{
    assert_string_equal(take(C_LST, NULL, 0), "");
    assert_string_equal(take(C_S, NULL, 0), "");
}

static void test_take_of_only_nulls_marks_every_slot_null(void **state)
{
    const int64_t none[] = { -1, -1, -1 };
    assert_string_equal(take(C_ST, none, 3), "null, null, null");
    assert_string_equal(take(C_SARR, none, 3), "null, null, null");
}

static void test_take_result_outlives_its_input(void **state)
{
    struct sluice_batch b;
    tu_rows(schema, &b, false);
    struct ArrowArray out;
    assert_int_equal(sluice_array_take(schema->children[C_LST], b.array.children[C_LST], mixed, 5, &out, NULL), SLUICE_OK);
    sluice_batch_release(&b);
    tu_render_all(schema->children[C_LST], &out, got, sizeof got);
    assert_string_equal(got, "[null, {null, 'w4'}], null, [{1, 'w1'}, {2, null}], [{1, 'w1'}, {2, null}], []");
    /* A child may be moved out and released after its parent. */
    struct ArrowArray child;
    sluice_array_move(&child, out.children[0]);
    out.release(&out);
    assert_int_equal(child.length, 6);
    child.release(&child);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_take_copies_fixed_width_values_and_their_nulls),
        cmocka_unit_test(test_take_copies_booleans_bit_by_bit),
        cmocka_unit_test(test_take_copies_strings_into_one_buffer),
        cmocka_unit_test(test_take_recurses_into_structs_with_their_child_offsets),
        cmocka_unit_test(test_take_recurses_into_lists_of_every_kind),
        cmocka_unit_test(test_take_of_nothing_is_an_empty_array),
        cmocka_unit_test(test_take_of_only_nulls_marks_every_slot_null),
        cmocka_unit_test(test_take_result_outlives_its_input),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
