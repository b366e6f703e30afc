/* The host table's own entries (core/runtime/plugin/host.c), where they are
 * more than a module's function: errors about an option, the hash, rows
 * counted from an array's offset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "arena.h"
#include "builder.h"
#include "host.h"
#include "schema.h"

static void test_host_option_error_names_the_option_and_returns_the_code(void **state)
{
    const struct sluice_host *h = sluice_host();
    struct sluice_error err = { 0 };
    assert_int_equal(h->option_error(&err, SLUICE_ECONFIG, "divisor", "must not be %d", 0), SLUICE_ECONFIG);
    assert_string_equal(err.message, "must not be 0");
    assert_string_equal(err.key, "divisor");
    assert_int_equal(err.code, SLUICE_ECONFIG);
    assert_int_equal(h->option_error(NULL, SLUICE_EIO, "x", "no err"), SLUICE_EIO);
    assert_int_equal(sluice_error_key(&err, "other", SLUICE_OK), SLUICE_OK); /* success leaves the key */
    assert_string_equal(err.key, "divisor");
}

static void test_host_hash64_is_xxh64(void **state)
{
    const struct sluice_host *h = sluice_host();
    /* XXH64's published test vector, and Spark's seed. */
    assert_true(h->hash64("", 0, 0) == UINT64_C(0xEF46DB3751D8E999));
    assert_true(h->hash64("", 0, 42) != h->hash64("", 0, 0));
    assert_true(h->hash64("spark", 5, 42) == h->hash64("spark", 5, 42));
}

static void test_host_append_from_counts_rows_from_the_offset(void **state)
{
    const struct sluice_host *h = sluice_host();
    struct ArrowSchema s;
    h->schema_init(&s, SLUICE_FORMAT_LONG, "n", true, 0);
    struct sluice_builder *b = sluice_builder_new(&s);
    for (int64_t v = 10; v < 15; v++) sluice_builder_append_long(b, v);
    struct sluice_arena *arena = sluice_arena_new(0);
    struct ArrowArray col;
    sluice_builder_finish_array(b, arena, &col);
    sluice_arena_unref(arena);
    sluice_builder_free(b);
    struct ArrowArray view = col; /* rows 2.. of col: 12, 13, 14 */
    view.offset = 2;
    view.length = 3;
    b = sluice_builder_new(&s);
    h->append_from(b, &view, 0);
    h->append_from(b, &view, 2);
    assert_int_equal(b->length, 2);
    assert_int_equal(((int64_t *)b->values)[0], 12);
    assert_int_equal(((int64_t *)b->values)[1], 14);
    sluice_builder_free(b);
    col.release(&col);
    s.release(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_host_option_error_names_the_option_and_returns_the_code),
        cmocka_unit_test(test_host_hash64_is_xxh64),
        cmocka_unit_test(test_host_append_from_counts_rows_from_the_offset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
