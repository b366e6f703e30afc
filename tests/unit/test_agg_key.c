/* Grouping keys (core/runtime/agg/agg_key.c): the hash against XXH64's published
 * values, and the encoding: round trips of every type with nulls, Spark's
 * grouping of -0.0 with 0.0 and of NaNs, and keys that must stay apart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "agg_key.h"
#include "arena.h"
#include "builder.h"
#include "render.h"
#include "schema.h"

#include <sluice/buf.h>

static void test_hash_matches_the_published_xxh64_values(void **state)
{
    assert_true(sluice_hash64("", 0, 0) == 0xEF46DB3751D8E999ULL);
    assert_true(sluice_hash64("a", 1, 0) == 0xD24EC4F1A98C6E5BULL);
    assert_true(sluice_hash64("abc", 3, 0) == 0x44BC2CF5AD770999ULL);
    /* 39 bytes: the 32-byte stripe loop, then the 8-, 4- and 1-byte tails. */
    const char *s = "Nobody inspects the spammish repetition";
    assert_true(sluice_hash64(s, strlen(s), 0) == 0xFBCEA83C8A378BF1ULL);
}

/* ---- a batch to encode ------------------------------------------------------ */

#define SCHEMA "b BOOLEAN, l LONG, d DOUBLE, s STRING, t TIMESTAMP, st STRUCT<x: LONG, y: STRING>, a ARRAY<STRING>"

struct fixture {
    struct ArrowSchema schema;
    struct sluice_batch batch;
    struct sluice_arena *scratch;
};

/* Rows: 0 all values; 1 all nulls; 2 -0.0, empty string, empty array, null
 * struct field; 3 +0.0 and a NaN-free copy of row 2 with another NaN-ish
 * double; 4 NaN; 5 another NaN bit pattern. */
static void build(struct fixture *f)
{
    struct sluice_error err;
    if (sluice_schema_parse(SCHEMA, &f->schema, &err)) fail_msg("%s", err.message);
    struct sluice_builder *b = sluice_builder_new(&f->schema);
    struct sluice_builder *c = b->children;
    double nan2;
    uint64_t bits = 0x7FF0000000000001ULL; /* a signalling NaN, not the canonical one */
    memcpy(&nan2, &bits, 8);
    const double ds[] = { 1.5, 0, -0.0, 0.0, NAN, nan2 };
    for (int r = 0; r < 6; r++) {
        sluice_builder_append_struct(b);
        if (r == 1) {
            for (int k = 0; k < 7; k++) sluice_builder_append_null(&c[k]);
            continue;
        }
        sluice_builder_append_bool(&c[0], r == 0);
        sluice_builder_append_long(&c[1], r == 0 ? -7 : INT64_MIN);
        sluice_builder_append_double(&c[2], ds[r]);
        if (r == 0) sluice_builder_append_string(&c[3], "caf\xc3\xa9\0x", 7);
        else sluice_builder_append_string(&c[3], "", 0);
        sluice_builder_append_timestamp(&c[4], r == 0 ? 1620028540000000 : 0);
        sluice_builder_append_struct(&c[5]);
        sluice_builder_append_long(&c[5].children[0], 42);
        if (r == 0) sluice_builder_append_string(&c[5].children[1], "y", 1);
        else sluice_builder_append_null(&c[5].children[1]);
        sluice_builder_begin_list(&c[6]);
        if (r == 0) {
            sluice_builder_append_string(&c[6].children[0], "p", 1);
            sluice_builder_append_null(&c[6].children[0]);
        }
        sluice_builder_end_list(&c[6]);
    }
    sluice_builder_finish(b, &f->batch);
    f->batch.schema = &f->schema;
    sluice_builder_free(b);
    f->scratch = sluice_arena_new(0);
}

static void release(struct fixture *f)
{
    sluice_batch_release(&f->batch);
    sluice_schema_release(&f->schema);
    sluice_arena_unref(f->scratch);
}

static void encode_all(struct fixture *f, int32_t set_id, struct sluice_agg_keys *keys)
{
    struct sluice_agg_keycol cols[7];
    for (int k = 0; k < 7; k++) cols[k] = (struct sluice_agg_keycol){ f->schema.children[k], f->batch.array.children[k] };
    assert_int_equal(sluice_agg_key_encode(cols, 7, set_id, f->batch.array.length, f->scratch, keys, NULL), SLUICE_OK);
}

static bool same(const struct sluice_agg_keys *k, int64_t i, int64_t j)
{
    uint64_t li = k->offs[i + 1] - k->offs[i], lj = k->offs[j + 1] - k->offs[j];
    return li == lj && memcmp(k->data + k->offs[i], k->data + k->offs[j], li) == 0 && k->hash[i] == k->hash[j];
}

static void test_key_round_trip_keeps_every_type_and_null(void **state)
{
    struct fixture f;
    build(&f);
    struct sluice_agg_keys keys;
    encode_all(&f, -1, &keys);
    assert_int_equal(keys.n, 6);

    struct sluice_builder *b = sluice_builder_new(&f.schema);
    for (int64_t i = 0; i < keys.n; i++) {
        const uint8_t *p = keys.data + keys.offs[i];
        sluice_builder_append_struct(b);
        for (int k = 0; k < 7; k++) p = sluice_agg_key_decode(f.schema.children[k], p, &b->children[k]);
        assert_ptr_equal(p, keys.data + keys.offs[i + 1]);
        /* skip walks the same bytes */
        const uint8_t *q = keys.data + keys.offs[i];
        for (int k = 0; k < 7; k++) q = sluice_agg_key_skip(f.schema.children[k], q);
        assert_ptr_equal(q, p);
    }
    struct sluice_batch back;
    sluice_builder_finish(b, &back);
    back.schema = &f.schema;
    sluice_builder_free(b);

    struct sluice_buf got = { 0 };
    for (int64_t i = 0; i < 3; i++) {
        sluice_render_row_json(&back, i, &got);
        sluice_buf_putc(&got, '\n');
    }
    assert_string_equal(got.data,
                        "{\"b\":true,\"l\":-7,\"d\":1.5,\"s\":\"caf\xc3\xa9\\u0000x\",\"t\":\"2021-05-03T07:55:40.000Z\","
                        "\"st\":{\"x\":42,\"y\":\"y\"},\"a\":[\"p\",null]}\n"
                        "{\"b\":null,\"l\":null,\"d\":null,\"s\":null,\"t\":null,\"st\":null,\"a\":null}\n"
                        "{\"b\":false,\"l\":-9223372036854775808,\"d\":0.0,\"s\":\"\",\"t\":\"1970-01-01T00:00:00.000Z\","
                        "\"st\":{\"x\":42,\"y\":null},\"a\":[]}\n");
    /* Every NaN comes back as the one canonical NaN. */
    const struct ArrowArray *d = back.array.children[2];
    uint64_t bits;
    memcpy(&bits, (const double *)d->buffers[1] + 5, 8);
    assert_true(bits == 0x7FF8000000000000ULL);
    sluice_buf_free(&got);
    sluice_batch_release(&back);
    release(&f);
}

static void test_key_groups_negative_zero_with_zero_and_every_nan_together(void **state)
{
    struct fixture f;
    build(&f);
    struct sluice_agg_keys keys;
    encode_all(&f, -1, &keys);
    assert_true(same(&keys, 2, 3));  /* -0.0 and 0.0, rest equal */
    assert_false(same(&keys, 3, 4)); /* 0.0 and NaN */
    /* NaN and another NaN bit pattern: only the double differs. */
    struct sluice_agg_keycol dcol = { f.schema.children[2], f.batch.array.children[2] };
    struct sluice_agg_keys dk;
    assert_int_equal(sluice_agg_key_encode(&dcol, 1, -1, 6, f.scratch, &dk, NULL), SLUICE_OK);
    assert_true(same(&dk, 4, 5));
    assert_true(same(&dk, 2, 3));
    assert_false(same(&dk, 0, 1));
    release(&f);
}

/* A group member's changelog places a group where the repartition sink
 * placed its rows: Spark's xxhash64 of the key's values, read back from
 * the key's bytes (values computed apart by tests/kafka/spark_hash.py). */
static void test_key_spark_hash_is_xxhash64_of_its_values(void **state)
{
    struct fixture f;
    build(&f);
    struct sluice_agg_keycol cols[2] = { { f.schema.children[1], f.batch.array.children[1] },
                                         { f.schema.children[3], f.batch.array.children[3] } };
    struct sluice_agg_keys keys;
    assert_int_equal(sluice_agg_key_encode(cols, 2, -1, 2, f.scratch, &keys, NULL), SLUICE_OK);
    const struct ArrowSchema *types[2] = { f.schema.children[1], f.schema.children[3] };
    /* Row 0: -7 and "caf\u00e9\0x", both, the long alone, the string alone (a window skipped). */
    assert_true(sluice_agg_key_spark_hash(types, 2, 0, keys.data) == INT64_C(-4261021675134813384));
    assert_true(sluice_agg_key_spark_hash(types, 1, 0, keys.data) == INT64_C(-1663473129717591079));
    assert_true(sluice_agg_key_spark_hash(types, 2, 1, keys.data) == INT64_C(5915889872891140189));
    /* Row 1: both null, which leave the seed: 42. */
    assert_true(sluice_agg_key_spark_hash(types, 2, 0, keys.data + keys.offs[1]) == 42);
    release(&f);
}

static void test_key_tells_null_from_empty_and_rolled_up_from_null(void **state)
{
    struct fixture f;
    build(&f);
    /* Row 1's string is null, row 2's is empty. */
    struct sluice_agg_keycol scol = { f.schema.children[3], f.batch.array.children[3] };
    struct sluice_agg_keys k;
    assert_int_equal(sluice_agg_key_encode(&scol, 1, -1, 6, f.scratch, &k, NULL), SLUICE_OK);
    assert_false(same(&k, 1, 2));
    assert_int_equal(k.offs[2] - k.offs[1], 1); /* null: the tag alone */
    assert_int_equal(k.offs[3] - k.offs[2], 5); /* empty: tag and length */
    /* The same null under set 0 (key grouped) and set 1 (key rolled up, no
     * column) must differ: the set id leads the key. */
    struct sluice_agg_keys grouped, rolled;
    assert_int_equal(sluice_agg_key_encode(&scol, 1, 0, 6, f.scratch, &grouped, NULL), SLUICE_OK);
    assert_int_equal(sluice_agg_key_encode(NULL, 0, 1, 6, f.scratch, &rolled, NULL), SLUICE_OK);
    assert_int_equal(rolled.offs[2] - rolled.offs[1], 2);
    assert_int_equal(sluice_agg_key_set_id(rolled.data + rolled.offs[1]), 1);
    assert_int_equal(sluice_agg_key_set_id(grouped.data + grouped.offs[1]), 0);
    assert_false(rolled.hash[1] == grouped.hash[1]);
    /* A string holding the bytes of another key's encoding does not collide
     * with two keys: lengths are explicit. */
    release(&f);
}

static void test_key_column_at_an_offset_encodes_its_own_rows(void **state)
{
    struct fixture f;
    build(&f);
    struct sluice_agg_keycol lcol = { f.schema.children[1], f.batch.array.children[1] };
    struct sluice_agg_keys whole, sliced;
    assert_int_equal(sluice_agg_key_encode(&lcol, 1, -1, 6, f.scratch, &whole, NULL), SLUICE_OK);
    struct ArrowArray view = *f.batch.array.children[1];
    view.offset += 2;
    view.length -= 2;
    lcol.array = &view;
    assert_int_equal(sluice_agg_key_encode(&lcol, 1, -1, 4, f.scratch, &sliced, NULL), SLUICE_OK);
    for (int64_t i = 0; i < 4; i++) {
        uint64_t n = whole.offs[i + 3] - whole.offs[i + 2];
        assert_int_equal(sliced.offs[i + 1] - sliced.offs[i], n);
        assert_memory_equal(sliced.data + sliced.offs[i], whole.data + whole.offs[i + 2], n);
    }
    release(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_matches_the_published_xxh64_values),
        cmocka_unit_test(test_key_round_trip_keeps_every_type_and_null),
        cmocka_unit_test(test_key_groups_negative_zero_with_zero_and_every_nan_together),
        cmocka_unit_test(test_key_spark_hash_is_xxhash64_of_its_values),
        cmocka_unit_test(test_key_tells_null_from_empty_and_rolled_up_from_null),
        cmocka_unit_test(test_key_column_at_an_offset_encodes_its_own_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
