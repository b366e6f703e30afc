/* One partition of aggregation state (core/runtime/agg/agg_table.c): growth, forced
 * collisions, tags that agree while hashes differ, 100k keys, stable state
 * blocks and insertion order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "agg_key.h"
#include "agg_table.h"

static size_t key_of(int i, char *buf)
{
    return (size_t)snprintf(buf, 32, "key-%d", i);
}

static size_t insert(struct sluice_agg_table *t, uint64_t hash, const char *key, size_t len, bool *ins)
{
    return sluice_agg_table_upsert(t, hash, (const uint8_t *)key, (uint32_t)len, ins);
}

static void test_table_grows_keeping_every_group_and_its_index(void **state)
{
    struct sluice_agg_table t;
    sluice_agg_table_init(&t, 12); /* rounded up to 16 */
    assert_int_equal(t.state_size, 16);
    size_t slots0 = t.mask + 1;
    char buf[32];
    for (int i = 0; i < 1000; i++) {
        size_t n = key_of(i, buf);
        bool ins;
        assert_int_equal(insert(&t, sluice_hash64(buf, n, 0), buf, n, &ins), i);
        assert_true(ins);
        /* Never above 70% load after an insert. */
        assert_true(t.n_groups * 10 <= (t.mask + 1) * 7);
    }
    assert_true(t.mask + 1 > slots0);
    assert_int_equal(t.mask + 1, 2048); /* 1000 groups: the first power of two above 1000 / 0.7 */
    for (int i = 0; i < 1000; i++) {
        size_t n = key_of(i, buf);
        bool ins;
        assert_int_equal(insert(&t, sluice_hash64(buf, n, 0), buf, n, &ins), i);
        assert_false(ins);
        assert_int_equal(sluice_agg_table_find(&t, sluice_hash64(buf, n, 0), (const uint8_t *)buf, (uint32_t)n), i);
        assert_memory_equal(t.groups[i].key, buf, n);
        assert_int_equal(t.groups[i].updated, -1);
    }
    assert_int_equal(sluice_agg_table_find(&t, sluice_hash64("nope", 4, 0), (const uint8_t *)"nope", 4), -1);
    sluice_agg_table_free(&t);
}

static void test_table_keeps_colliding_keys_apart(void **state)
{
    struct sluice_agg_table t;
    sluice_agg_table_init(&t, 8);
    char buf[32];
    /* Every key with the same hash: one long probe run, through growth. */
    for (int i = 0; i < 600; i++) {
        size_t n = key_of(i, buf);
        bool ins;
        assert_int_equal(insert(&t, 42, buf, n, &ins), i);
        assert_true(ins);
    }
    for (int i = 599; i >= 0; i--) {
        size_t n = key_of(i, buf);
        assert_int_equal(sluice_agg_table_find(&t, 42, (const uint8_t *)buf, (uint32_t)n), i);
    }
    /* Same low 32 bits (the slot tag) and the same home slot, different hash. */
    uint64_t h1 = 0x0000000100000007ULL, h2 = 0x0000000200000007ULL;
    bool ins;
    size_t a = insert(&t, h1, "same", 4, &ins);
    size_t b = insert(&t, h2, "same", 4, &ins);
    assert_true(ins);
    assert_int_not_equal(a, b);
    /* Same hash, a key that is a prefix of another. */
    size_t c = insert(&t, 7, "ab", 2, &ins);
    size_t d = insert(&t, 7, "abc", 3, &ins);
    size_t e = insert(&t, 7, "", 0, &ins);
    assert_true(ins);
    assert_int_not_equal(c, d);
    assert_int_equal(insert(&t, 7, "", 0, &ins), e);
    assert_false(ins);
    assert_int_equal(insert(&t, 7, "ab", 2, &ins), c);
    sluice_agg_table_free(&t);
}

static void test_table_holds_100k_keys_with_stable_state_blocks(void **state)
{
    struct sluice_agg_table t;
    sluice_agg_table_init(&t, 8);
    char buf[32];
    uint8_t *first = NULL;
    for (int i = 0; i < 100000; i++) {
        size_t n = key_of(i, buf);
        bool ins;
        size_t g = insert(&t, sluice_hash64(buf, n, 0), buf, n, &ins);
        assert_true(ins);
        int64_t v = i * 3;
        memcpy(sluice_agg_table_state(&t, g), &v, 8);
        if (i == 0) first = sluice_agg_table_state(&t, g);
    }
    assert_int_equal(t.n_groups, 100000);
    /* Growth moved slots and records, never state blocks. */
    assert_ptr_equal(sluice_agg_table_state(&t, 0), first);
    for (int i = 0; i < 100000; i += 7) {
        size_t n = key_of(i, buf);
        int64_t g = sluice_agg_table_find(&t, sluice_hash64(buf, n, 0), (const uint8_t *)buf, (uint32_t)n);
        assert_int_equal(g, i);
        int64_t v;
        memcpy(&v, sluice_agg_table_state(&t, (size_t)g), 8);
        assert_int_equal(v, i * 3);
    }
    /* Keys are packed, not one allocation each: well under 100 bytes a group
     * for ~10-byte keys and 8-byte states (slots 8 / 0.7 and records 32 at
     * worst doubled, keys, states). */
    size_t bytes = sluice_agg_table_bytes(&t);
    assert_true(bytes > 100000 * (8 + 10));
    assert_true(bytes < 100000 * 100);
    sluice_agg_table_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_grows_keeping_every_group_and_its_index),
        cmocka_unit_test(test_table_keeps_colliding_keys_apart),
        cmocka_unit_test(test_table_holds_100k_keys_with_stable_state_blocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
