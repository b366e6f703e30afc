#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "batch.h"
#include "builder.h"
#include "schema.h"
#include "validate.h"

static struct ArrowSchema schema;

static int setup(void **state)
{
    sluice_schema_init(&schema, SLUICE_FORMAT_STRUCT, "", false, 2);
    sluice_schema_init(schema.children[0], SLUICE_FORMAT_LONG, "n", true, 0);
    sluice_schema_init(schema.children[1], SLUICE_FORMAT_STRING, "s", true, 0);
    return 0;
}

static int teardown(void **state)
{
    sluice_schema_release(&schema);
    return 0;
}

static void make_batch(struct sluice_batch *out, int64_t rows)
{
    struct sluice_builder *b = sluice_builder_new(&schema);
    for (int64_t i = 0; i < rows; i++) {
        sluice_builder_append_struct(b);
        sluice_builder_append_long(&b->children[0], i * 10);
        sluice_builder_append_string(&b->children[1], "abc", (size_t)(i % 4));
    }
    sluice_builder_finish(b, out);
    sluice_builder_free(b);
}

static int64_t long_at(const struct ArrowArray *col, int64_t i)
{
    return ((const int64_t *)col->buffers[1])[col->offset + i];
}

static void test_shared_views_outlive_the_original_and_each_other(void **state)
{
    struct sluice_batch b, v1, v2;
    make_batch(&b, 5);
    sluice_batch_share(&b, &v1);
    sluice_batch_share(&b, &v2);
    sluice_batch_release(&b);
    /* Move a column out of one view and drop the view: the column still reads. */
    struct ArrowArray col;
    sluice_array_move(&col, v1.array.children[0]);
    sluice_batch_release(&v1);
    assert_int_equal(col.length, 5);
    assert_int_equal(long_at(&col, 4), 40);
    assert_int_equal(long_at(v2.array.children[0], 3), 30);
    char why[256];
    assert_int_equal(sluice_array_validate(&schema, &v2.array, why), 0);
    sluice_batch_release(&v2);
    assert_int_equal(long_at(&col, 0), 0);
    col.release(&col);
}

static void test_assemble_takes_moved_columns_without_copying(void **state)
{
    struct sluice_batch a, b;
    make_batch(&a, 3);
    make_batch(&b, 3);
    const void *a_values = a.array.children[0]->buffers[1];
    struct ArrowArray cols[2];
    sluice_array_move(&cols[0], a.array.children[0]);
    sluice_array_move(&cols[1], b.array.children[1]);
    sluice_batch_release(&a);
    sluice_batch_release(&b);
    struct sluice_batch out;
    sluice_batch_assemble(&out, &schema, 3, cols, 2);
    assert_null(cols[0].release);
    assert_ptr_equal(out.array.children[0]->buffers[1], a_values);
    assert_int_equal(out.array.length, 3);
    char why[256];
    assert_int_equal(sluice_array_validate(&schema, &out.array, why), 0);
    sluice_batch_release(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_views_outlive_the_original_and_each_other),
        cmocka_unit_test(test_assemble_takes_moved_columns_without_copying),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
