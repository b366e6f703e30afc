/* Unit tests for core/arrow/arena.c. Leaks (an adopted block or held arena not
 * freed) are caught by LeakSanitizer when the suite runs under ASan. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arena.h"

static void test_arena_allocations_are_16_byte_aligned(void **state)
{
    struct sluice_arena *a = sluice_arena_new(0);
    for (size_t n = 0; n < 200; n++) {
        unsigned char *p = sluice_arena_alloc(a, n);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 16, 0);
        memset(p, 0xab, n); /* ASan flags a block shorter than asked */
    }
    unsigned char *big = sluice_arena_alloc(a, 100000);
    assert_int_equal((uintptr_t)big % 16, 0);
    memset(big, 1, 100000);
    sluice_arena_unref(a);
}

static void test_arena_small_allocations_are_bumped_from_one_chunk(void **state)
{
    struct sluice_arena *a = sluice_arena_new(4096);
    size_t bytes = sluice_arena_bytes(a);
    assert_true(bytes >= 4096);
    char *p1 = sluice_arena_alloc(a, 10);
    char *p2 = sluice_arena_alloc(a, 16);
    char *p3 = sluice_arena_alloc(a, 1);
    assert_ptr_equal(p2, p1 + 16);
    assert_ptr_equal(p3, p2 + 16);
    assert_int_equal(sluice_arena_bytes(a), bytes);
    sluice_arena_unref(a);
}

static void test_arena_big_request_gets_its_own_block_and_the_chunk_keeps_serving(void **state)
{
    struct sluice_arena *a = sluice_arena_new(1024);
    size_t bytes = sluice_arena_bytes(a);
    char *p1 = sluice_arena_alloc(a, 100);
    char *big = sluice_arena_alloc(a, 5000);
    memset(big, 7, 5000);
    size_t grown = sluice_arena_bytes(a) - bytes;
    assert_true(grown >= 5000);
    assert_true(grown < 5000 + 64); /* the block alone, not a new chunk */
    /* The first chunk still has room, so small requests continue there. */
    char *p2 = sluice_arena_alloc(a, 16);
    assert_ptr_equal(p2, p1 + 112);
    sluice_arena_unref(a);
}

static void test_arena_grows_chunks_geometrically(void **state)
{
    struct sluice_arena *a = sluice_arena_new(1024);
    size_t before = sluice_arena_bytes(a);
    size_t deltas[3];
    int found = 0;
    for (int i = 0; i < 1000 && found < 3; i++) {
        sluice_arena_alloc(a, 200);
        size_t now = sluice_arena_bytes(a);
        if (now != before) deltas[found++] = now - before;
        before = now;
    }
    assert_int_equal(found, 3);
    assert_in_range(deltas[0], 2048, 2048 + 64);
    assert_in_range(deltas[1], 4096, 4096 + 64);
    assert_in_range(deltas[2], 8192, 8192 + 64);
    sluice_arena_unref(a);
}

static void test_arena_calloc_zeroes_and_strndup_terminates(void **state)
{
    struct sluice_arena *a = sluice_arena_new(0);
    unsigned char *junk = sluice_arena_alloc(a, 64);
    memset(junk, 0xff, 64);
    unsigned char *z = sluice_arena_calloc(a, 300);
    for (int i = 0; i < 300; i++) assert_int_equal(z[i], 0);
    char *s = sluice_arena_strndup(a, "hello world", 5);
    assert_string_equal(s, "hello");
    assert_string_equal(sluice_arena_strndup(a, "", 0), "");
    sluice_arena_unref(a);
}

static void test_arena_adopted_blocks_die_with_the_arena(void **state)
{
    struct sluice_arena *a = sluice_arena_new(0);
    size_t bytes = sluice_arena_bytes(a);
    sluice_arena_adopt(a, malloc(1000));
    sluice_arena_adopt(a, NULL); /* ignored */
    assert_int_equal(sluice_arena_bytes(a), bytes);
    sluice_arena_adopt_sized(a, malloc(4000), 4000);
    assert_int_equal(sluice_arena_bytes(a), bytes + 4000);
    sluice_arena_unref(a); /* LeakSanitizer reports both blocks if they survive */
}

static void test_arena_lives_until_its_last_reference_is_dropped(void **state)
{
    struct sluice_arena *a = sluice_arena_new(0);
    char *p = sluice_arena_strndup(a, "alive", 5);
    sluice_arena_ref(a);
    sluice_arena_ref(a);
    assert_int_equal(sluice_arena_refs(a), 3);
    sluice_arena_unref(a);
    sluice_arena_unref(a);
    assert_int_equal(sluice_arena_refs(a), 1);
    assert_string_equal(p, "alive"); /* ASan flags a use after free */
    sluice_arena_unref(a);
}

static void test_arena_hold_keeps_the_other_arena_alive_until_it_dies(void **state)
{
    struct sluice_arena *input = sluice_arena_new(0);
    char *column = sluice_arena_strndup(input, "passed through", 14);
    struct sluice_arena *output = sluice_arena_new(0);
    sluice_arena_hold(output, input);
    assert_int_equal(sluice_arena_refs(input), 2);
    sluice_arena_unref(input); /* the producer is done with its batch */
    assert_int_equal(sluice_arena_refs(input), 1);
    assert_string_equal(column, "passed through");
    sluice_arena_unref(output); /* frees input too, or LeakSanitizer complains */
}

static void test_arena_reset_frees_everything_but_the_first_chunk(void **state)
{
    struct sluice_arena *a = sluice_arena_new(1024);
    size_t initial = sluice_arena_bytes(a);
    char *first = sluice_arena_alloc(a, 32);
    for (int i = 0; i < 50; i++) sluice_arena_alloc(a, 200);
    sluice_arena_alloc(a, 100000);
    sluice_arena_adopt_sized(a, malloc(500), 500);
    struct sluice_arena *other = sluice_arena_new(0);
    sluice_arena_hold(a, other);
    assert_true(sluice_arena_bytes(a) > initial + 100000);

    sluice_arena_reset(a);
    assert_int_equal(sluice_arena_bytes(a), initial);
    assert_int_equal(sluice_arena_refs(other), 1);
    assert_ptr_equal(sluice_arena_alloc(a, 32), first);
    /* After a reset, growth starts over from the first chunk's size. */
    size_t before = sluice_arena_bytes(a);
    for (int i = 0; i < 10 && sluice_arena_bytes(a) == before; i++) sluice_arena_alloc(a, 200);
    assert_in_range(sluice_arena_bytes(a) - before, 2048, 2048 + 64);

    sluice_arena_unref(other);
    sluice_arena_unref(a);
}

static void *ref_unref_many(void *arg)
{
    struct sluice_arena *a = arg;
    for (int i = 0; i < 100000; i++) {
        sluice_arena_ref(a);
        sluice_arena_unref(a);
    }
    return NULL;
}

static void test_arena_references_are_counted_atomically_across_threads(void **state)
{
    struct sluice_arena *a = sluice_arena_new(0);
    pthread_t t[2];
    for (int i = 0; i < 2; i++) assert_int_equal(pthread_create(&t[i], NULL, ref_unref_many, a), 0);
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    assert_int_equal(sluice_arena_refs(a), 1);
    sluice_arena_unref(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena_allocations_are_16_byte_aligned),
        cmocka_unit_test(test_arena_small_allocations_are_bumped_from_one_chunk),
        cmocka_unit_test(test_arena_big_request_gets_its_own_block_and_the_chunk_keeps_serving),
        cmocka_unit_test(test_arena_grows_chunks_geometrically),
        cmocka_unit_test(test_arena_calloc_zeroes_and_strndup_terminates),
        cmocka_unit_test(test_arena_adopted_blocks_die_with_the_arena),
        cmocka_unit_test(test_arena_lives_until_its_last_reference_is_dropped),
        cmocka_unit_test(test_arena_hold_keeps_the_other_arena_alive_until_it_dies),
        cmocka_unit_test(test_arena_reset_frees_everything_but_the_first_chunk),
        cmocka_unit_test(test_arena_references_are_counted_atomically_across_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
