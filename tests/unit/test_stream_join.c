/* The stream-stream join (core/runtime/join/stream_join.c), by hand: pairs
 * found once, by the later row, only when the rest of the condition
 * holds; late rows dropped; rows evicted at the watermark plus the side's
 * offset, unmatched ones of a preserved side put out with the other side
 * null (a null key among them); left_semi puts a left row out once; the
 * buffer saved and restored through the state store, a restore putting
 * nothing out again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder.h"
#include "expr.h"
#include "render.h"
#include "schema.h"
#include "state_store.h"
#include "stream_join.h"
#include "tmpdir_testutil.h"
#include "watermark.h"

#include <sluice/buf.h>

static struct ArrowSchema left, right, pair, semi_out;

static int setup(void **state)
{
    struct sluice_error err;
    if (make_tmpdir(state)) return -1;
    if (sluice_schema_parse("k LONG, t LONG, s STRING", &left, &err)) return -1;
    if (sluice_schema_parse("k LONG, u LONG", &right, &err)) return -1;
    if (sluice_schema_parse("k LONG, t LONG, s STRING, `r.k` LONG, u LONG", &pair, &err)) return -1;
    if (sluice_schema_parse("k LONG, t LONG, s STRING", &semi_out, &err)) return -1;
    return 0;
}

static int teardown(void **state)
{
    sluice_schema_release(&left);
    sluice_schema_release(&right);
    sluice_schema_release(&pair);
    sluice_schema_release(&semi_out);
    return remove_tmpdir(state);
}

static struct sluice_expr *compile(const struct ArrowSchema *s, const char *text)
{
    struct sluice_expr *e = NULL;
    struct sluice_error err;
    if (sluice_expr_compile(s, text, &e, &err)) fail_msg("%s: %s", text, err.message);
    return e;
}

/* A join on k where u >= t; event times are the plain longs t and u (as
 * microseconds): the left evicted at t <= W - 10, the right at u <= W. */
static struct sluice_stream_join *make(enum sluice_stream_join_type type)
{
    struct sluice_stream_join *j = sluice_stream_join_new(type);
    j->n_keys = 1;
    for (int s = 0; s < 2; s++) {
        j->in[s].keys = calloc(1, sizeof *j->in[s].keys);
        j->in[s].keys[0] = compile(s ? &right : &left, "k");
    }
    sluice_stream_join_ready(j, &left, &right);
    sluice_schema_copy(&pair, &j->pair_schema);
    sluice_schema_copy(&pair, &j->cond_schema);
    j->conds = calloc(1, sizeof *j->conds);
    j->conds[0] = compile(&j->cond_schema, "u >= t");
    j->n_conds = 1;
    j->out_schema = type == SLUICE_SJOIN_LEFT_SEMI ? &semi_out : &pair;
    j->in[0].evict = compile(&left, "t");
    j->in[0].evict_offset_us = -10;
    j->in[1].evict = compile(&right, "u");
    return j;
}

/* Rows "k,t,s" (left) or "k,u" (right), `-` for a null k. */
static void rows_of(const struct ArrowSchema *schema, const char *text, struct sluice_batch *out)
{
    struct sluice_builder *b = sluice_builder_new(schema);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", text);
    for (char *row = strtok(buf, " "); row; row = strtok(NULL, " ")) {
        char k[16], s[16] = "";
        long long t;
        if (sscanf(row, "%15[^,],%lld,%15s", k, &t, s) < 2) fail_msg("bad row %s", row);
        sluice_builder_append_struct(b);
        if (strcmp(k, "-") == 0) sluice_builder_append_null(&b->children[0]);
        else sluice_builder_append_long(&b->children[0], atoll(k));
        sluice_builder_append_long(&b->children[1], t);
        if (schema->n_children == 3) sluice_builder_append_string(&b->children[2], s, strlen(s));
    }
    sluice_builder_finish(b, out);
    out->schema = schema;
    sluice_builder_free(b);
}

/* The batch as JSON lines, freed by the caller; "" for no batch. */
static char *text_of(struct sluice_batch *b)
{
    struct sluice_buf out = { 0 };
    sluice_buf_puts(&out, "");
    for (int64_t r = 0; b->array.release && r < b->array.length; r++) {
        sluice_render_row_json(b, r, &out);
        sluice_buf_putc(&out, '\n');
    }
    sluice_batch_release(b);
    return out.data;
}

static char *feed(struct sluice_stream_join *j, int side, int64_t batch, const char *rows)
{
    struct sluice_batch in, out;
    struct sluice_error err;
    rows_of(side ? &right : &left, rows, &in);
    if (sluice_stream_join_process(j, side, batch, &in, &out, &err)) fail_msg("%s", err.message);
    return text_of(&out);
}

static void check(char *got, const char *want)
{
    assert_string_equal(got, want);
    free(got);
}

struct collected {
    struct sluice_buf text;
};

static int collect(void *arg, struct sluice_batch *b, struct sluice_error *err)
{
    (void)err;
    struct collected *c = arg;
    char *t = text_of(b);
    sluice_buf_puts(&c->text, t);
    free(t);
    return SLUICE_OK;
}

static char *evict(struct sluice_stream_join *j, int64_t watermark)
{
    struct collected c = { { 0 } };
    struct sluice_error err;
    sluice_buf_puts(&c.text, "");
    j->watermark = watermark;
    if (sluice_stream_join_evict(j, collect, &c, &err)) fail_msg("%s", err.message);
    return c.text.data;
}

static void test_stream_join_finds_each_pair_once_by_the_later_row(void **state)
{
    (void)state;
    struct sluice_stream_join *j = make(SLUICE_SJOIN_INNER);
    check(feed(j, 0, 0, "1,10,a 2,10,b -,10,n"), "");
    /* u >= t holds for 1,15 only; 3 has no left row. */
    check(feed(j, 1, 0, "1,15 1,5 3,20"), "{\"k\":1,\"t\":10,\"s\":\"a\",\"r.k\":1,\"u\":15}\n");
    /* A later left row meets both buffered right rows of its key, the condition picks one. */
    check(feed(j, 0, 1, "1,12,c 3,30,d"), "{\"k\":1,\"t\":12,\"s\":\"c\",\"r.k\":1,\"u\":15}\n");
    check(feed(j, 1, 1, "2,11 -,99"), "{\"k\":2,\"t\":10,\"s\":\"b\",\"r.k\":2,\"u\":11}\n");
    /* Inner: a null key is never buffered. */
    assert_int_equal(j->in[0].state.n_rows, 4);
    assert_int_equal(j->in[1].state.n_rows, 4);
    sluice_stream_join_free(j);
}

static void test_stream_join_evicts_and_puts_out_outer_rows(void **state)
{
    (void)state;
    struct sluice_stream_join *j = make(SLUICE_SJOIN_FULL_OUTER);
    check(feed(j, 0, 0, "1,10,a 2,20,b -,10,n"), "");
    check(feed(j, 1, 0, "1,15 5,12"), "{\"k\":1,\"t\":10,\"s\":\"a\",\"r.k\":1,\"u\":15}\n");
    /* W 25: left rows with t <= 15 go (1,10 matched; the null key unmatched); right rows with u <= 25 go. */
    check(evict(j, 25), "{\"k\":null,\"t\":10,\"s\":\"n\",\"r.k\":null,\"u\":null}\n"
                        "{\"k\":null,\"t\":null,\"s\":null,\"r.k\":5,\"u\":12}\n");
    assert_int_equal(j->in[0].state.n_rows, 1);
    assert_int_equal(j->in[1].state.n_rows, 0);
    /* The survivor still joins, and its match keeps it from coming out alone. */
    check(feed(j, 1, 1, "2,26"), "{\"k\":2,\"t\":20,\"s\":\"b\",\"r.k\":2,\"u\":26}\n");
    check(evict(j, 40), "");
    assert_int_equal(j->rows_evicted, 6);
    sluice_stream_join_free(j);
}

static void test_stream_join_drops_late_rows(void **state)
{
    (void)state;
    struct sluice_stream_join *j = make(SLUICE_SJOIN_INNER);
    j->in[1].late = compile(&right, "u");
    check(feed(j, 0, 0, "1,10,a"), "");
    j->watermark = 15;
    check(feed(j, 1, 0, "1,15 1,16"), "{\"k\":1,\"t\":10,\"s\":\"a\",\"r.k\":1,\"u\":16}\n");
    assert_int_equal(j->in[1].rows_late, 1);
    assert_int_equal(j->in[1].state.n_rows, 1);
    sluice_stream_join_free(j);
}

static void test_stream_join_left_semi_puts_a_left_row_out_once(void **state)
{
    (void)state;
    struct sluice_stream_join *j = make(SLUICE_SJOIN_LEFT_SEMI);
    check(feed(j, 1, 0, "1,15 1,16"), "");
    /* Two matches, one row; a matched left row is not buffered. */
    check(feed(j, 0, 0, "1,10,a 2,10,b"), "{\"k\":1,\"t\":10,\"s\":\"a\"}\n");
    assert_int_equal(j->in[0].state.n_rows, 1);
    /* Two right rows for the buffered left row: it comes out once. */
    check(feed(j, 1, 1, "2,11 2,12"), "{\"k\":2,\"t\":10,\"s\":\"b\"}\n");
    check(feed(j, 1, 2, "2,13"), "");
    sluice_stream_join_free(j);
}

static void save(struct sluice_stream_join *j, struct sluice_state_store *store, int64_t batch)
{
    struct sluice_error err;
    sluice_state_store_begin(store, batch);
    assert_int_equal(sluice_stream_join_save(j, "j", store, batch, &err), SLUICE_OK);
    assert_int_equal(sluice_state_store_commit(store, NULL, &err), SLUICE_OK);
}

static void test_stream_join_restores_its_buffer(void **state)
{
    (void)state;
    char dir[300];
    snprintf(dir, sizeof dir, "%s/state", tmpdir);
    struct sluice_error err;
    struct sluice_state_store *store;
    assert_int_equal(sluice_state_store_open(dir, -1, &store, &err), SLUICE_OK);
    struct sluice_stream_join *j = make(SLUICE_SJOIN_LEFT_OUTER);
    /* Batch 0: three left rows. */
    check(evict(j, SLUICE_WATERMARK_NONE), "");
    check(feed(j, 0, 0, "1,10,a 2,20,b 3,30,c"), "");
    save(j, store, 0);
    /* Batch 1 runs with W 25: 1,10 leaves alone; 2 matches; the next batch runs with 35. */
    check(evict(j, 25), "{\"k\":1,\"t\":10,\"s\":\"a\",\"r.k\":null,\"u\":null}\n");
    check(feed(j, 1, 1, "2,21"), "{\"k\":2,\"t\":20,\"s\":\"b\",\"r.k\":2,\"u\":21}\n");
    j->watermark = 35;
    save(j, store, 1);
    sluice_stream_join_free(j);
    sluice_state_store_free(store);

    /* The restore drops what batch 1 evicted without putting it out again,
     * keeps 2's match, and runs on with 35. */
    assert_int_equal(sluice_state_store_open(dir, 1, &store, &err), SLUICE_OK);
    j = make(SLUICE_SJOIN_LEFT_OUTER);
    assert_int_equal(sluice_stream_join_restore(j, "j", store, &err), SLUICE_OK);
    assert_int_equal(j->in[0].state.n_rows, 2);
    assert_int_equal(j->in[1].state.n_rows, 0); /* 2,21 is at or below 25 + 0 */
    assert_int_equal(j->watermark, 35);
    check(evict(j, 35), ""); /* 2,20 goes, matched */
    check(evict(j, 45), "{\"k\":3,\"t\":30,\"s\":\"c\",\"r.k\":null,\"u\":null}\n");
    sluice_stream_join_free(j);
    sluice_state_store_free(store);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_join_finds_each_pair_once_by_the_later_row),
        cmocka_unit_test(test_stream_join_evicts_and_puts_out_outer_rows),
        cmocka_unit_test(test_stream_join_drops_late_rows),
        cmocka_unit_test(test_stream_join_left_semi_puts_a_left_row_out_once),
        cmocka_unit_test(test_stream_join_restores_its_buffer),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
