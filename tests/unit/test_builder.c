/* Unit tests for core/arrow/builder.c: every type with nulls, lazy validity,
 * lagging struct children, nesting, deep copies, node lifetimes, validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arena.h"
#include "builder.h"
#include "schema_testutil.h"
#include "validate.h"

static void assert_valid(const struct ArrowSchema *schema, const struct ArrowArray *a)
{
    char why[256] = "";
    if (sluice_array_validate(schema, a, why) != 0) fail_msg("invalid array: %s", why);
}

static bool valid_at(const struct ArrowArray *a, int64_t i)
{
    return sluice_array_valid(a, a->offset + i);
}

static const char *str_at(const struct ArrowArray *a, int64_t i, char *buf)
{
    const char *p;
    int32_t n = sluice_get_string(a, a->offset + i, &p);
    memcpy(buf, p, (size_t)n);
    buf[n] = '\0';
    return buf;
}

static const int32_t *offsets(const struct ArrowArray *a)
{
    return a->buffers[1];
}

/* ---- one test per type: nulls first, in the middle and last ---- */

static struct sluice_batch build_one_column(struct ArrowSchema *root,
                                            void (*append)(struct sluice_builder *, int))
{
    struct sluice_builder *b = sluice_builder_new(root);
    for (int row = 0; row < 5; row++) {
        sluice_builder_append_struct(b);
        if (row == 0 || row == 2 || row == 4) sluice_builder_append_null(&b->children[0]);
        else append(&b->children[0], row);
    }
    struct sluice_batch out;
    sluice_builder_finish(b, &out);
    sluice_builder_free(b);
    assert_ptr_equal(out.schema, root);
    assert_int_equal(out.array.length, 5);
    assert_int_equal(out.array.null_count, 0);
    assert_null(out.array.buffers[0]);
    assert_valid(root, &out.array);
    const struct ArrowArray *c = out.array.children[0];
    assert_int_equal(c->length, 5);
    assert_int_equal(c->null_count, 3);
    assert_non_null(c->buffers[0]);
    assert_int_equal(((const uint8_t *)c->buffers[0])[0] & 0x1f, 0x0a); /* rows 1 and 3 */
    return out;
}

static void put_long(struct sluice_builder *b, int row) { sluice_builder_append_long(b, row * 100 - 1000); }
static void put_double(struct sluice_builder *b, int row) { sluice_builder_append_double(b, row + 0.5); }
static void put_bool(struct sluice_builder *b, int row) { sluice_builder_append_bool(b, row == 1); }
static void put_ts(struct sluice_builder *b, int row) { sluice_builder_append_timestamp(b, row * 1000000LL); }
static void put_string(struct sluice_builder *b, int row)
{
    sluice_builder_append_string(b, row == 1 ? "one" : "three!", row == 1 ? 3 : 6);
}

static void test_builder_long_column_keeps_nulls_first_middle_and_last(void **state)
{
    struct ArrowSchema *root = S("+s", NULL, 1, S("l", "n", 0));
    struct sluice_batch out = build_one_column(root, put_long);
    const int64_t *v = out.array.children[0]->buffers[1];
    assert_int_equal(v[1], -900);
    assert_int_equal(v[3], -700);
    assert_int_equal(v[0], 0); /* null slots hold zeros, never garbage */
    assert_int_equal(v[4], 0);
    sluice_batch_release(&out);
}

static void test_builder_double_column_keeps_nulls_first_middle_and_last(void **state)
{
    struct ArrowSchema *root = S("+s", NULL, 1, S("g", "d", 0));
    struct sluice_batch out = build_one_column(root, put_double);
    const double *v = out.array.children[0]->buffers[1];
    assert_true(v[1] == 1.5 && v[3] == 3.5);
    sluice_batch_release(&out);
}

static void test_builder_boolean_column_is_bit_packed_with_nulls(void **state)
{
    struct ArrowSchema *root = S("+s", NULL, 1, S("b", "ok", 0));
    struct sluice_batch out = build_one_column(root, put_bool);
    const struct ArrowArray *c = out.array.children[0];
    assert_int_equal(((const uint8_t *)c->buffers[1])[0], 0x02); /* row 1 true, row 3 false */
    sluice_batch_release(&out);
}

static void test_builder_timestamp_column_keeps_nulls_first_middle_and_last(void **state)
{
    struct ArrowSchema *root = S("+s", NULL, 1, S("tsu:UTC", "t", 0));
    struct sluice_batch out = build_one_column(root, put_ts);
    const int64_t *v = out.array.children[0]->buffers[1];
    assert_int_equal(v[1], 1000000);
    assert_int_equal(v[3], 3000000);
    sluice_batch_release(&out);
}

static void test_builder_string_column_has_offsets_and_data_with_nulls(void **state)
{
    struct ArrowSchema *root = S("+s", NULL, 1, S("u", "s", 0));
    struct sluice_batch out = build_one_column(root, put_string);
    const struct ArrowArray *c = out.array.children[0];
    assert_int_equal(c->n_buffers, 3);
    const int32_t *o = offsets(c);
    int32_t expect[] = { 0, 0, 3, 3, 9, 9 };
    for (int i = 0; i < 6; i++) assert_int_equal(o[i], expect[i]);
    assert_memory_equal(c->buffers[2], "onethree!", 9);
    sluice_batch_release(&out);
}

static void test_builder_boolean_bits_pack_across_bytes(void **state)
{
    struct ArrowSchema *root = S("+s", NULL, 1, S("b", "ok", 0));
    struct sluice_builder *b = sluice_builder_new(root);
    for (int i = 0; i < 20; i++) {
        sluice_builder_append_struct(b);
        sluice_builder_append_bool(&b->children[0], i % 3 == 0);
    }
    struct sluice_batch out;
    sluice_builder_finish(b, &out);
    const uint8_t *bits = out.array.children[0]->buffers[1];
    assert_int_equal(bits[0], 0x49); /* 0, 3, 6 */
    assert_int_equal(bits[1], 0x92); /* 9, 12, 15 */
    assert_int_equal(bits[2] & 0x0f, 0x04); /* 18 */
    assert_null(out.array.children[0]->buffers[0]);
    sluice_batch_release(&out);
    sluice_builder_free(b);
}

/* ---- validity ---- */

static void test_builder_allocates_validity_only_at_the_first_null(void **state)
{
    struct ArrowSchema *root = S("+s", NULL, 1, S("l", "n", 0));
    struct sluice_builder *b = sluice_builder_new(root);
    struct sluice_builder *n = &b->children[0];
    for (int i = 0; i < 10; i++) {
        sluice_builder_append_struct(b);
        sluice_builder_append_long(n, i);
    }
    assert_null(n->validity);
    sluice_builder_append_struct(b);
    sluice_builder_append_null(n);
    assert_non_null(n->validity);
    assert_int_equal(n->validity[0], 0xff);
    assert_int_equal(n->validity[1], 0x03); /* slots 8, 9 valid, 10 null */
    sluice_builder_append_struct(b);
    sluice_builder_append_long(n, 11);
    assert_int_equal(n->validity[1], 0x0b);
    assert_int_equal(n->null_count, 1);
    assert_null(b->validity); /* the rows themselves never were null */

    struct sluice_batch out;
    sluice_builder_finish(b, &out);
    assert_valid(root, &out.array);
    assert_int_equal(out.array.children[0]->null_count, 1);
    sluice_batch_release(&out);
    sluice_builder_free(b);
}

/* ---- structs ---- */

static void test_builder_pads_lagging_struct_children_with_nulls(void **state)
{
    struct ArrowSchema *root =
        S("+s", NULL, 2, S("+s", "s", 2, S("l", "a", 0), S("u", "b", 0)), S("l", "after", 0));
    struct sluice_builder *b = sluice_builder_new(root);
    struct sluice_builder *s = &b->children[0];
    /* row 0: s = {a: 1}; row 1: s = null; row 2: s = {b: "x"}; "after" only in row 2 */
    sluice_builder_append_struct(b);
    sluice_builder_append_struct(s);
    sluice_builder_append_long(&s->children[0], 1);
    sluice_builder_append_struct(b);
    sluice_builder_append_null(s);
    sluice_builder_append_struct(b);
    sluice_builder_append_struct(s);
    sluice_builder_append_string(&s->children[1], "x", 1);
    sluice_builder_append_long(&b->children[1], 7);
    /* Starting struct slot 2 padded `a` up to it; the last slot waits for finish. */
    assert_int_equal(s->children[0].length, 2);

    struct sluice_batch out;
    sluice_builder_finish(b, &out);
    assert_valid(root, &out.array);
    const struct ArrowArray *sa = out.array.children[0];
    const struct ArrowArray *a = sa->children[0], *bs = sa->children[1];
    const struct ArrowArray *after = out.array.children[1];
    assert_int_equal(sa->null_count, 1);
    assert_true(valid_at(sa, 0) && !valid_at(sa, 1) && valid_at(sa, 2));
    assert_int_equal(a->length, 3);
    assert_int_equal(a->null_count, 2);
    assert_true(valid_at(a, 0) && !valid_at(a, 1) && !valid_at(a, 2));
    assert_int_equal(bs->length, 3);
    assert_int_equal(bs->null_count, 2);
    char buf[16];
    assert_true(!valid_at(bs, 0) && !valid_at(bs, 1) && valid_at(bs, 2));
    assert_string_equal(str_at(bs, 2, buf), "x");
    assert_int_equal(after->null_count, 2);
    assert_int_equal(((const int64_t *)after->buffers[1])[2], 7);
    sluice_batch_release(&out);
    sluice_builder_free(b);
}

/* ---- lists ---- */

static void test_builder_nests_a_list_of_structs_with_nulls_everywhere(void **state)
{
    struct ArrowSchema *user = S("+s", "element", 2, S("u", "name", 0), S("b", "verified", 0));
    struct ArrowSchema *root = S("+s", NULL, 1, S("+l", "users", 1, user));
    struct sluice_builder *b = sluice_builder_new(root);
    struct sluice_builder *users = &b->children[0], *u = &users->children[0];
    /* row 0: [{name: "a", verified: true}, null, {name: null}] */
    sluice_builder_append_struct(b);
    sluice_builder_begin_list(users);
    sluice_builder_append_struct(u);
    sluice_builder_append_string(&u->children[0], "a", 1);
    sluice_builder_append_bool(&u->children[1], true);
    sluice_builder_append_null(u);
    sluice_builder_append_struct(u);
    sluice_builder_append_null(&u->children[0]);
    sluice_builder_end_list(users);
    /* row 1: null; row 2: []; row 3: [{verified: false}] */
    sluice_builder_append_struct(b);
    sluice_builder_append_null(users);
    sluice_builder_append_struct(b);
    sluice_builder_begin_list(users);
    sluice_builder_end_list(users);
    sluice_builder_append_struct(b);
    sluice_builder_begin_list(users);
    sluice_builder_append_struct(u);
    sluice_builder_append_bool(&u->children[1], false);
    sluice_builder_end_list(users);

    struct sluice_batch out;
    sluice_builder_finish(b, &out);
    assert_valid(root, &out.array);
    const struct ArrowArray *l = out.array.children[0];
    assert_int_equal(l->null_count, 1);
    int32_t expect[] = { 0, 3, 3, 3, 4 };
    for (int i = 0; i < 5; i++) assert_int_equal(offsets(l)[i], expect[i]);
    const struct ArrowArray *e = l->children[0];
    assert_int_equal(e->length, 4);
    assert_int_equal(e->null_count, 1);
    assert_true(valid_at(e, 0) && !valid_at(e, 1) && valid_at(e, 2) && valid_at(e, 3));
    const struct ArrowArray *name = e->children[0], *ver = e->children[1];
    assert_int_equal(name->length, 4);
    assert_int_equal(name->null_count, 3);
    assert_int_equal(ver->null_count, 2);
    assert_true(sluice_get_bool(ver, 0) && !sluice_get_bool(ver, 3));
    sluice_batch_release(&out);
    sluice_builder_free(b);
}

static void test_builder_builds_lists_of_lists(void **state)
{
    struct ArrowSchema *root = S("+s", NULL, 1, S("+l", "m", 1, S("+l", "row", 1, S("l", "v", 0))));
    struct sluice_builder *b = sluice_builder_new(root);
    struct sluice_builder *m = &b->children[0], *r = &m->children[0], *v = &r->children[0];
    /* row 0: [[1, 2], [], null, [3]]; row 1: null; row 2: [[null]] */
    sluice_builder_append_struct(b);
    sluice_builder_begin_list(m);
    sluice_builder_begin_list(r);
    sluice_builder_append_long(v, 1);
    sluice_builder_append_long(v, 2);
    sluice_builder_end_list(r);
    sluice_builder_begin_list(r);
    sluice_builder_end_list(r);
    sluice_builder_append_null(r);
    sluice_builder_begin_list(r);
    sluice_builder_append_long(v, 3);
    sluice_builder_end_list(r);
    sluice_builder_end_list(m);
    sluice_builder_append_struct(b);
    sluice_builder_append_null(m);
    sluice_builder_append_struct(b);
    sluice_builder_begin_list(m);
    sluice_builder_begin_list(r);
    sluice_builder_append_null(v);
    sluice_builder_end_list(r);
    sluice_builder_end_list(m);

    struct sluice_batch out;
    sluice_builder_finish(b, &out);
    assert_valid(root, &out.array);
    const struct ArrowArray *ma = out.array.children[0], *ra = ma->children[0], *va = ra->children[0];
    int32_t mo[] = { 0, 4, 4, 5 }, ro[] = { 0, 2, 2, 2, 3, 4 };
    for (int i = 0; i < 4; i++) assert_int_equal(offsets(ma)[i], mo[i]);
    for (int i = 0; i < 6; i++) assert_int_equal(offsets(ra)[i], ro[i]);
    assert_int_equal(ma->null_count, 1);
    assert_int_equal(ra->null_count, 1);
    assert_int_equal(va->length, 4);
    assert_int_equal(va->null_count, 1);
    assert_int_equal(((const int64_t *)va->buffers[1])[2], 3);
    sluice_batch_release(&out);
    sluice_builder_free(b);
}

/* ---- deep copy from arrays with offsets at every level ---- */

static void no_release(struct ArrowArray *a)
{
    a->release = NULL;
}

static void test_builder_append_from_deep_copies_respecting_offsets(void **state)
{
    struct ArrowSchema *root =
        S("+s", NULL, 3, S("l", "a", 0), S("u", "s", 0), S("+l", "l", 1, S("l", "e", 0)));
    /* Hand-made source, rows 0..1 of a struct sliced at offset 1; every child
     * has its own offset too, so each level must add its own. */
    static const int64_t a_vals[] = { 9, 9, 9, 10, 20, 30 };
    static const uint8_t a_bits[] = { 0xef }; /* physical slot 4 null */
    static const int32_t s_offs[] = { 0, 1, 2, 4, 7 };
    static const char s_data[] = "xyabcde";
    static const int32_t l_offs[] = { 5, 6, 8, 9 };
    static const int64_t e_vals[] = { 0, 0, 0, 0, 0, 0, 0, 100, 0, 300 };
    static const uint8_t e_bits[] = { 0xff, 0x02 }; /* physical slot 8 null */
    const void *a_bufs[] = { a_bits, a_vals }, *s_bufs[] = { NULL, s_offs, s_data };
    const void *l_bufs[] = { NULL, l_offs }, *e_bufs[] = { e_bits, e_vals }, *root_bufs[] = { NULL };
    struct ArrowArray a = { .length = 4, .null_count = 1, .offset = 2, .n_buffers = 2, .buffers = a_bufs,
                            .release = no_release };
    struct ArrowArray s = { .length = 3, .offset = 1, .n_buffers = 3, .buffers = s_bufs, .release = no_release };
    struct ArrowArray e = { .length = 9, .null_count = 1, .offset = 1, .n_buffers = 2, .buffers = e_bufs,
                            .release = no_release };
    struct ArrowArray *e_ptr = &e;
    struct ArrowArray l = { .length = 3, .offset = 0, .n_buffers = 2, .n_children = 1, .buffers = l_bufs,
                            .children = &e_ptr, .release = no_release };
    struct ArrowArray *kids[] = { &a, &s, &l };
    struct ArrowArray src = { .length = 2, .offset = 1, .n_buffers = 1, .n_children = 3, .buffers = root_bufs,
                              .children = kids, .release = no_release };
    assert_valid(root, &src);

    struct sluice_builder *b = sluice_builder_new(root);
    for (int64_t i = 0; i < src.length; i++) sluice_builder_append_from(b, &src, src.offset + i);
    struct sluice_batch out;
    sluice_builder_finish(b, &out);
    assert_valid(root, &out.array);
    assert_int_equal(out.array.length, 2);

    const struct ArrowArray *oa = out.array.children[0], *os = out.array.children[1];
    const struct ArrowArray *ol = out.array.children[2], *oe = ol->children[0];
    assert_true(valid_at(oa, 0) && !valid_at(oa, 1));
    assert_int_equal(sluice_get_long(oa, 0), 10);
    char buf[16];
    assert_string_equal(str_at(os, 0, buf), "ab");
    assert_string_equal(str_at(os, 1, buf), "cde");
    int32_t lo[] = { 0, 2, 3 };
    for (int i = 0; i < 3; i++) assert_int_equal(offsets(ol)[i], lo[i]);
    assert_int_equal(oe->length, 3);
    assert_true(valid_at(oe, 0) && !valid_at(oe, 1) && valid_at(oe, 2));
    assert_int_equal(sluice_get_long(oe, 0), 100);
    assert_int_equal(sluice_get_long(oe, 2), 300);
    sluice_batch_release(&out);
    sluice_builder_free(b);
}

static void test_builder_append_from_copies_nested_lists_of_structs(void **state)
{
    struct ArrowSchema *user = S("+s", "element", 2, S("u", "name", 0), S("tsu:UTC", "at", 0));
    struct ArrowSchema *root = S("+s", NULL, 2, S("+l", "users", 1, user), S("g", "d", 0));
    struct sluice_builder *b = sluice_builder_new(root);
    struct sluice_builder *users = &b->children[0], *u = &users->children[0];
    for (int row = 0; row < 3; row++) {
        sluice_builder_append_struct(b);
        sluice_builder_begin_list(users);
        for (int k = 0; k <= row; k++) {
            sluice_builder_append_struct(u);
            char name[8];
            int n = snprintf(name, sizeof name, "u%d%d", row, k);
            sluice_builder_append_string(&u->children[0], name, (size_t)n);
            if (k == 1) sluice_builder_append_null(&u->children[1]);
            else sluice_builder_append_timestamp(&u->children[1], row * 10 + k);
        }
        sluice_builder_end_list(users);
        sluice_builder_append_double(&b->children[1], row * 0.25);
    }
    struct sluice_batch src;
    sluice_builder_finish(b, &src);

    /* Copy rows 2 and 0, then release the source: the copy must stand alone. */
    sluice_builder_append_from(b, &src.array, 2);
    sluice_builder_append_from(b, &src.array, 0);
    struct sluice_batch copy;
    sluice_builder_finish(b, &copy);
    sluice_batch_release(&src);
    assert_valid(root, &copy.array);
    const struct ArrowArray *l = copy.array.children[0], *e = l->children[0];
    assert_int_equal(offsets(l)[1], 3);
    assert_int_equal(offsets(l)[2], 4);
    char buf[16];
    assert_string_equal(str_at(e->children[0], 0, buf), "u20");
    assert_string_equal(str_at(e->children[0], 2, buf), "u22");
    assert_string_equal(str_at(e->children[0], 3, buf), "u00");
    assert_false(valid_at(e->children[1], 1));
    assert_int_equal(sluice_get_timestamp(e->children[1], 2), 22);
    assert_true(sluice_get_double(copy.array.children[1], 0) == 0.5);
    sluice_batch_release(&copy);
    sluice_builder_free(b);
}

/* ---- lifetimes ---- */

static void test_builder_moved_out_child_outlives_its_released_parent(void **state)
{
    struct ArrowSchema *root =
        S("+s", NULL, 2, S("u", "s", 0), S("+l", "l", 1, S("u", "e", 0)));
    struct sluice_builder *b = sluice_builder_new(root);
    for (int row = 0; row < 100; row++) {
        sluice_builder_append_struct(b);
        sluice_builder_append_string(&b->children[0], "value", 5);
        sluice_builder_begin_list(&b->children[1]);
        sluice_builder_append_string(&b->children[1].children[0], "elem", 4);
        sluice_builder_end_list(&b->children[1]);
    }
    struct sluice_batch batch;
    sluice_builder_finish(b, &batch);
    sluice_builder_free(b);

    struct ArrowArray col;
    sluice_array_move(&col, batch.array.children[1]);
    assert_null(batch.array.children[1]->release);
    sluice_batch_release(&batch); /* parent first */
    assert_null(batch.array.release);
    /* The list node and its element node are all that still hold the arena. */
    assert_int_equal(sluice_arena_refs(col.private_data), 2);
    assert_valid(root->children[1], &col);
    char buf[16];
    assert_string_equal(str_at(col.children[0], 99, buf), "elem"); /* ASan: no use after free */
    col.release(&col);
    assert_null(col.release);
}

static void test_builder_is_reusable_after_finish_and_reserves_the_last_length(void **state)
{
    struct ArrowSchema *root = S("+s", NULL, 2, S("l", "n", 0), S("u", "s", 0));
    struct sluice_builder *b = sluice_builder_new(root);
    for (int i = 0; i < 1000; i++) {
        sluice_builder_append_struct(b);
        sluice_builder_append_long(&b->children[0], i);
        sluice_builder_append_string(&b->children[1], "abcd", 4);
    }
    struct sluice_batch first;
    sluice_builder_finish(b, &first);
    assert_int_equal(b->length, 0);
    assert_int_equal(b->children[0].length, 0);
    assert_null(b->children[0].values);
    assert_int_equal(b->children[0].rows_hint, 1000);

    sluice_builder_append_struct(b);
    sluice_builder_append_long(&b->children[0], -1);
    sluice_builder_append_string(&b->children[1], "z", 1);
    /* One append reserved the whole previous batch's worth. */
    assert_true(b->children[0].values_cap >= 1000 * sizeof(int64_t));
    assert_true(b->children[1].data_cap >= 4000);
    struct sluice_batch second;
    sluice_builder_finish(b, &second);

    assert_valid(root, &first.array);
    assert_valid(root, &second.array);
    assert_int_equal(first.array.length, 1000);
    assert_int_equal(sluice_get_long(first.array.children[0], 999), 999);
    assert_int_equal(second.array.length, 1);
    assert_int_equal(sluice_get_long(second.array.children[0], 0), -1);
    sluice_batch_release(&first);
    sluice_batch_release(&second);
    sluice_builder_free(b);
}

static void test_builder_finishes_an_empty_batch_with_readable_buffers(void **state)
{
    struct ArrowSchema *root = S("+s", NULL, 2, S("u", "s", 0), S("+l", "l", 1, S("l", "e", 0)));
    struct sluice_builder *b = sluice_builder_new(root);
    struct sluice_batch out;
    sluice_builder_finish(b, &out);
    assert_int_equal(out.array.length, 0);
    assert_valid(root, &out.array);
    assert_non_null(out.array.children[0]->buffers[1]);
    assert_int_equal(offsets(out.array.children[0])[0], 0);
    assert_int_equal(offsets(out.array.children[1])[0], 0);
    sluice_batch_release(&out);
    sluice_builder_free(b);
}

static void test_builder_truncate_undoes_a_half_appended_row(void **state)
{
    struct ArrowSchema *root = S("+s", NULL, 2, S("u", "s", 0), S("+l", "l", 1, S("b", "e", 0)));
    struct sluice_builder *b = sluice_builder_new(root);
    sluice_builder_append_struct(b);
    sluice_builder_append_string(&b->children[0], "keep", 4);
    sluice_builder_append_null(&b->children[1]);
    /* A malformed row: a few values in, then the decoder gives up on it. */
    sluice_builder_append_struct(b);
    sluice_builder_append_null(&b->children[0]);
    sluice_builder_begin_list(&b->children[1]);
    sluice_builder_append_bool(&b->children[1].children[0], true);
    sluice_builder_append_null(&b->children[1].children[0]);
    sluice_builder_end_list(&b->children[1]);
    sluice_builder_truncate(b, 1);
    assert_int_equal(b->children[0].null_count, 0);
    assert_int_equal(b->children[1].children[0].length, 0);

    sluice_builder_append_struct(b);
    sluice_builder_append_string(&b->children[0], "next", 4);
    struct sluice_batch out;
    sluice_builder_finish(b, &out);
    assert_valid(root, &out.array);
    assert_int_equal(out.array.length, 2);
    const struct ArrowArray *s = out.array.children[0];
    assert_int_equal(s->null_count, 0);
    assert_null(s->buffers[0]);
    char buf[16];
    assert_string_equal(str_at(s, 1, buf), "next");
    assert_int_equal(out.array.children[1]->null_count, 2);
    assert_int_equal(out.array.children[1]->children[0]->length, 0);
    sluice_batch_release(&out);
    sluice_builder_free(b);
}

static void test_builder_truncate_drops_the_elements_of_an_unfinished_list(void **state)
{
    struct ArrowSchema *root = S("+s", NULL, 1, S("+l", "tags", 1, S("u", "element", 0)));
    struct sluice_builder *b = sluice_builder_new(root);
    struct sluice_builder *tags = &b->children[0], *e = &tags->children[0];
    sluice_builder_append_struct(b);
    sluice_builder_begin_list(tags);
    sluice_builder_append_string(e, "kept", 4);
    sluice_builder_end_list(tags);
    /* The next line breaks inside its array: end_list never comes. */
    sluice_builder_append_struct(b);
    sluice_builder_begin_list(tags);
    sluice_builder_append_string(e, "AWS", 3);
    sluice_builder_append_null(e);
    sluice_builder_truncate(b, 1);
    assert_int_equal(e->length, 1);
    assert_int_equal(e->null_count, 0);

    sluice_builder_append_struct(b);
    sluice_builder_begin_list(tags);
    sluice_builder_append_string(e, "crypto", 6);
    sluice_builder_end_list(tags);
    struct sluice_batch out;
    sluice_builder_finish(b, &out);
    assert_valid(root, &out.array);
    const struct ArrowArray *l = out.array.children[0];
    assert_int_equal(offsets(l)[1], 1);
    assert_int_equal(offsets(l)[2], 2);
    char buf[16];
    assert_string_equal(str_at(l->children[0], 1, buf), "crypto");
    sluice_batch_release(&out);
    sluice_builder_free(b);
}

static void test_make_null_shapes_an_all_null_array_like_its_schema(void **state)
{
    struct ArrowSchema *root = S("+s", NULL, 3, S("+s", "s", 2, S("u", "x", 0), S("b", "y", 0)),
                                 S("+l", "l", 1, S("l", "e", 0)), S("tsu:UTC", "t", 0));
    struct sluice_arena *arena = sluice_arena_new(0);
    struct ArrowArray a;
    sluice_array_make_null(root, 5, arena, &a);
    sluice_arena_unref(arena);
    assert_valid(root, &a);
    assert_int_equal(a.null_count, 5);
    assert_int_equal(a.children[0]->length, 5);
    assert_int_equal(a.children[0]->children[0]->null_count, 5);
    assert_int_equal(a.children[1]->children[0]->length, 0);
    for (int i = 0; i < 5; i++) assert_false(valid_at(a.children[2], i));
    a.release(&a);
}

/* ---- validation ---- */

static void assert_invalid(const struct ArrowSchema *schema, const struct ArrowArray *a, const char *needle)
{
    char why[256] = "";
    assert_int_equal(sluice_array_validate(schema, a, why), -1);
    if (!strstr(why, needle)) fail_msg("reason '%s' lacks '%s'", why, needle);
}

static void test_validate_catches_broken_arrays(void **state)
{
    struct ArrowSchema *user = S("+s", "element", 1, S("u", "name", 0));
    struct ArrowSchema *root = S("+s", NULL, 2, S("l", "n", 0), S("+l", "users", 1, user));
    struct sluice_builder *b = sluice_builder_new(root);
    for (int row = 0; row < 3; row++) {
        sluice_builder_append_struct(b);
        if (row == 1) sluice_builder_append_null(&b->children[0]);
        else sluice_builder_append_long(&b->children[0], row);
        sluice_builder_begin_list(&b->children[1]);
        sluice_builder_append_struct(&b->children[1].children[0]);
        sluice_builder_append_string(&b->children[1].children[0].children[0], "ab", 2);
        sluice_builder_end_list(&b->children[1]);
    }
    struct sluice_batch out;
    sluice_builder_finish(b, &out);
    sluice_builder_free(b);
    struct ArrowArray *n = out.array.children[0], *users = out.array.children[1];
    struct ArrowArray *names = users->children[0]->children[0];
    assert_valid(root, &out.array);

    n->null_count = 0;
    assert_invalid(root, &out.array, "n: null_count is 0 but the bitmap has 1 nulls");
    n->null_count = 1;

    int32_t *uo = (int32_t *)users->buffers[1];
    uo[2] = 0;
    assert_invalid(root, &out.array, "users: offsets decrease at slot 1");
    uo[2] = 2;
    uo[3] = 4;
    assert_invalid(root, &out.array, "users: offsets reach 4 but the element array has 3 slots");
    uo[3] = 3;

    int32_t *no = (int32_t *)names->buffers[1];
    no[1] = 5;
    assert_invalid(root, &out.array, "users[].name: offsets decrease");
    no[1] = 2;

    n->length = 2;
    assert_invalid(root, &out.array, "n: field has 2 slots, its struct needs 3");
    n->length = 3;

    names->n_buffers = 2;
    assert_invalid(root, &out.array, "users[].name: string array has 2 buffers, expected 3");
    names->n_buffers = 3;

    const void *saved = n->buffers[0];
    n->buffers[0] = NULL;
    assert_invalid(root, &out.array, "n: null_count 1 without a validity bitmap");
    n->buffers[0] = saved;

    void (*release)(struct ArrowArray *) = users->release;
    users->release = NULL;
    assert_invalid(root, &out.array, "users: array is released");
    users->release = release;

    assert_invalid(S("+s", NULL, 1, S("l", "n", 0)), &out.array, "<root>: struct array has 2 children");
    assert_invalid(S("+s", NULL, 2, S("w:16", "n", 0), S("l", "m", 0)), &out.array, "unsupported format 'w:16'");

    assert_valid(root, &out.array);
    sluice_batch_release(&out);
}

/* ---- offset overflow ---- */

/* At the real limit, not the test one: the column is made to look as if it
 * held almost 2 GiB already. The append is refused, not wrapped, and the
 * process lives on. */
static void test_builder_refuses_a_string_past_2_gib_and_names_the_column(void **state)
{
    (void)state;
    struct ArrowSchema *root = S("+s", NULL, 1, S("u", "text", 0));
    struct sluice_builder *b = sluice_builder_new(root);
    sluice_builder_append_struct(b);
    sluice_builder_append_string(&b->children[0], "x", 1);
    b->children[0].data_len = (size_t)INT32_MAX - 2;
    sluice_builder_append_struct(b);
    sluice_builder_append_string(&b->children[0], "abcd", 4);
    assert_true(sluice_builder_refused(b));
    assert_int_equal(b->children[0].length, 2);
    assert_int_equal(b->children[0].null_count, 1);
    b->children[0].data_len = 1; /* back to the truth before finishing */

    struct sluice_error err = { 0 };
    assert_int_equal(sluice_builder_refusal(b, &err), SLUICE_ELIMIT);
    assert_string_equal(err.message,
                        "column 'text': more than 2147483647 bytes of strings in one batch (Arrow's 32-bit offsets)");
    assert_false(sluice_builder_refused(b));
    assert_int_equal(sluice_builder_refusal(b, &err), SLUICE_OK);

    struct sluice_batch out;
    sluice_builder_finish(b, &out);
    assert_valid(root, &out.array);
    assert_null(sluice_array_poisoned(&out.array));
    char buf[8];
    assert_string_equal(str_at(out.array.children[0], 0, buf), "x");
    assert_false(valid_at(out.array.children[0], 1));
    sluice_batch_release(&out);
    sluice_builder_free(b);
}

/* A builder whose refusal nobody took (a plugin's, through the host
 * table): the batch still comes out well-formed, its arena says why. */
static void test_builder_poisons_the_batch_of_a_refusal_nobody_took(void **state)
{
    (void)state;
    struct ArrowSchema *root = S("+s", NULL, 1, S("+s", "data", 1, S("u", "text", 0)));
    struct sluice_builder *b = sluice_builder_new(root);
    struct sluice_builder *text = &b->children[0].children[0];
    sluice_builder_append_struct(b);
    sluice_builder_append_struct(&b->children[0]);
    text->data_len = (size_t)INT32_MAX;
    sluice_builder_append_string(text, "y", 1);
    text->data_len = 0;
    struct sluice_batch out;
    sluice_builder_finish(b, &out);
    assert_valid(root, &out.array);
    const char *why = sluice_array_poisoned(&out.array);
    assert_non_null(why);
    assert_non_null(strstr(why, "column 'data.text': more than 2147483647 bytes"));
    sluice_batch_release(&out);

    /* The next batch of the same builder is clean. */
    sluice_builder_append_struct(b);
    sluice_builder_finish(b, &out);
    assert_null(sluice_array_poisoned(&out.array));
    sluice_batch_release(&out);
    sluice_builder_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup(name, reset_schemas)
        T(test_builder_long_column_keeps_nulls_first_middle_and_last),
        T(test_builder_double_column_keeps_nulls_first_middle_and_last),
        T(test_builder_boolean_column_is_bit_packed_with_nulls),
        T(test_builder_timestamp_column_keeps_nulls_first_middle_and_last),
        T(test_builder_string_column_has_offsets_and_data_with_nulls),
        T(test_builder_boolean_bits_pack_across_bytes),
        T(test_builder_allocates_validity_only_at_the_first_null),
        T(test_builder_pads_lagging_struct_children_with_nulls),
        T(test_builder_nests_a_list_of_structs_with_nulls_everywhere),
        T(test_builder_builds_lists_of_lists),
        T(test_builder_append_from_deep_copies_respecting_offsets),
        T(test_builder_append_from_copies_nested_lists_of_structs),
        T(test_builder_moved_out_child_outlives_its_released_parent),
        T(test_builder_is_reusable_after_finish_and_reserves_the_last_length),
        T(test_builder_finishes_an_empty_batch_with_readable_buffers),
        T(test_builder_truncate_undoes_a_half_appended_row),
        T(test_builder_truncate_drops_the_elements_of_an_unfinished_list),
        T(test_make_null_shapes_an_all_null_array_like_its_schema),
        T(test_validate_catches_broken_arrays),
        T(test_builder_refuses_a_string_past_2_gib_and_names_the_column),
        T(test_builder_poisons_the_batch_of_a_refusal_nobody_took),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
