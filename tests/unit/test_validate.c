/* Checking a batch against its schema (core/arrow/validate.c): a batch the
 * builder made passes; each way a hand-built one can be wrong is named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "builder.h"
#include "schema.h"
#include "validate.h"

static struct ArrowSchema schema;

static int setup(void **state)
{
    struct sluice_error err;
    if (sluice_schema_parse("n LONG, s STRING, tags ARRAY<STRING>, d STRUCT<x: DOUBLE>", &schema, &err)) return -1;
    return 0;
}

static int teardown(void **state)
{
    sluice_schema_release(&schema);
    return 0;
}

/* Three rows, the second all nulls. */
static void build(struct sluice_batch *out)
{
    struct sluice_builder *b = sluice_builder_new(&schema);
    for (int r = 0; r < 3; r++) {
        sluice_builder_append_struct(b);
        if (r == 1) {
            for (int k = 0; k < 4; k++) sluice_builder_append_null(&b->children[k]);
            continue;
        }
        sluice_builder_append_long(&b->children[0], r);
        sluice_builder_append_string(&b->children[1], "héllo", strlen("héllo"));
        sluice_builder_begin_list(&b->children[2]);
        sluice_builder_append_string(&b->children[2].children[0], "a", 1);
        sluice_builder_end_list(&b->children[2]);
        sluice_builder_append_struct(&b->children[3]);
        sluice_builder_append_double(&b->children[3].children[0], 0.5);
    }
    sluice_builder_finish(b, out);
    sluice_builder_free(b);
}

static void test_validate_passes_what_the_builder_makes(void **state)
{
    struct sluice_batch b;
    build(&b);
    char why[400] = "";
    assert_true(sluice_batch_validate(&schema, &b.array, why, sizeof why));
    sluice_batch_release(&b);
}

static void expect(const struct sluice_batch *b, const char *want)
{
    char why[400] = "";
    assert_false(sluice_batch_validate(&schema, &b->array, why, sizeof why));
    assert_string_equal(why, want);
}

static void test_validate_names_the_column_and_the_fault(void **state)
{
    struct sluice_batch b;
    build(&b);
    struct ArrowArray *n = b.array.children[0], *s = b.array.children[1];
    n->length = 2;
    expect(&b, "column 0 'n' (long): 2 rows, but the batch has 3");
    n->length = 3;
    int64_t nulls = n->null_count;
    n->null_count = 0;
    expect(&b, "column 0 'n' (long): null count 0, but its bitmap has 1 nulls");
    n->null_count = nulls;
    int32_t *offs = (int32_t *)s->buffers[1];
    int32_t keep = offs[3];
    offs[3] = offs[2] - 1;
    expect(&b, "column 1 's' (string): offsets decrease at row 2 (to 5)");
    offs[3] = keep;
    char *data = (char *)s->buffers[2];
    char c = data[1];
    data[1] = (char)0xff;
    expect(&b, "column 1 's' (string): row 0 is not valid UTF-8");
    data[1] = c;
    struct ArrowArray *x = b.array.children[3]->children[0];
    x->length = 1;
    expect(&b, "column 3 'd' (struct): field 0 has 1 rows, fewer than the struct's");
    x->length = 3;
    x->n_buffers = 3;
    expect(&b, "column 3 'd'.x (double): 3 buffers, the format needs 2");
    x->n_buffers = 2;
    struct ArrowArray *tags = b.array.children[2];
    tags->children[0]->length = 1;
    expect(&b, "column 2 'tags' (array): offsets reach 2, the elements are 1");
    tags->children[0]->length = 2;
    b.array.n_children = 3;
    expect(&b, "the batch has 3 columns, its schema 4");
    b.array.n_children = 4;
    char why[8];
    assert_true(sluice_batch_validate(&schema, &b.array, why, sizeof why));
    sluice_batch_release(&b);
    expect(&b, "the batch is released (or was never filled in)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate_passes_what_the_builder_makes),
        cmocka_unit_test(test_validate_names_the_column_and_the_fault),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
