/* Memory tables (core/runtime/engine/tables.c): micro-batches visible only at commit and
 * all at once, append sharing old batches with old snapshots, complete
 * replacing, replays dropped, snapshots outliving their table, names, and
 * a reader thread taking snapshots while a writer commits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "builder.h"
#include "schema.h"
#include "tables.h"

static struct ArrowSchema schema;

static int setup(void **state)
{
    struct sluice_error err;
    if (sluice_schema_parse("n LONG", &schema, &err)) fail_msg("%s", err.message);
    return 0;
}

static int teardown(void **state)
{
    sluice_schema_release(&schema);
    return 0;
}

/* A batch of rows first, first + 1, ..., first + n - 1. */
static struct sluice_batch rows(int64_t first, int64_t n)
{
    struct sluice_builder *b = sluice_builder_new(&schema);
    for (int64_t i = 0; i < n; i++) {
        sluice_builder_append_struct(b);
        sluice_builder_append_long(&b->children[0], first + i);
    }
    struct sluice_batch out;
    sluice_builder_finish(b, &out);
    out.schema = &schema;
    sluice_builder_free(b);
    return out;
}

static void add(struct sluice_table *t, int64_t first, int64_t n)
{
    struct sluice_batch b = rows(first, n);
    sluice_table_add(t, &b);
    assert_null(b.array.release); /* moved in */
}

/* "1,2,3": every value of the snapshot in order. */
static char *values(const struct sluice_table_snapshot *s)
{
    static char buf[512];
    size_t used = 0;
    buf[0] = '\0';
    const struct sluice_batch **v;
    size_t n = sluice_table_snapshot_batches(s, &v);
    int64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        assert_ptr_equal(v[i]->schema, sluice_table_snapshot_schema(s));
        const int64_t *p = (const int64_t *)v[i]->array.children[0]->buffers[1];
        for (int64_t r = 0; r < sluice_batch_rows(v[i]); r++)
            used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%lld", used ? "," : "", (long long)p[r]);
        total += sluice_batch_rows(v[i]);
    }
    assert_int_equal(total, sluice_table_snapshot_rows(s));
    free(v);
    return buf;
}

static void test_tables_show_a_micro_batch_only_once_committed(void **state)
{
    struct sluice_tables *r = sluice_tables_new();
    struct sluice_table *t;
    struct sluice_error err;
    assert_int_equal(sluice_tables_open(r, "stream_size", &schema, &t, &err), SLUICE_OK);
    struct sluice_table_snapshot *s = sluice_tables_get(r, "stream_size");
    assert_non_null(s);
    assert_int_equal(sluice_table_snapshot_rows(s), 0);
    assert_int_equal(sluice_table_snapshot_batch_id(s), -1);
    assert_string_equal(values(s), "");
    sluice_table_snapshot_unref(s);

    assert_true(sluice_table_begin(t, 0, false));
    add(t, 1, 2);
    add(t, 3, 1);
    s = sluice_tables_get(r, "stream_size");
    assert_string_equal(values(s), ""); /* written, not committed */
    sluice_table_snapshot_unref(s);
    sluice_table_commit(t);
    s = sluice_tables_get(r, "STREAM_SIZE"); /* names are case-insensitive, as Spark's views */
    assert_string_equal(values(s), "1,2,3");
    assert_int_equal(sluice_table_snapshot_batch_id(s), 0);
    assert_string_equal(sluice_table_snapshot_name(s), "stream_size");
    sluice_table_snapshot_unref(s);
    sluice_table_close(t);
    assert_null(sluice_tables_get(r, "stream_size"));
    sluice_tables_free(r);
}

static void test_tables_append_keeps_old_snapshots_as_they_were(void **state)
{
    struct sluice_tables *r = sluice_tables_new();
    struct sluice_table *t;
    assert_int_equal(sluice_tables_open(r, "t", &schema, &t, NULL), SLUICE_OK);
    sluice_table_begin(t, 0, false);
    add(t, 1, 2);
    sluice_table_commit(t);
    struct sluice_table_snapshot *old = sluice_tables_get(r, "t");
    sluice_table_begin(t, 1, false);
    add(t, 3, 2);
    struct sluice_batch empty = rows(0, 0);
    sluice_table_add(t, &empty); /* empty batches are dropped */
    sluice_table_commit(t);
    struct sluice_table_snapshot *now = sluice_tables_get(r, "t");
    assert_string_equal(values(old), "1,2");
    assert_string_equal(values(now), "1,2,3,4");
    const struct sluice_batch **v;
    assert_int_equal(sluice_table_snapshot_batches(now, &v), 2);
    free(v);
    sluice_table_close(t); /* snapshots outlive their table */
    assert_string_equal(values(now), "1,2,3,4");
    sluice_table_snapshot_unref(old);
    sluice_table_snapshot_unref(now);
    sluice_tables_free(r);
}

static void test_tables_complete_mode_replaces_the_table(void **state)
{
    struct sluice_tables *r = sluice_tables_new();
    struct sluice_table *t;
    assert_int_equal(sluice_tables_open(r, "lang_count", &schema, &t, NULL), SLUICE_OK);
    sluice_table_begin(t, 0, true);
    add(t, 1, 3);
    sluice_table_commit(t);
    sluice_table_begin(t, 1, true);
    add(t, 10, 2);
    sluice_table_commit(t);
    struct sluice_table_snapshot *s = sluice_tables_get(r, "lang_count");
    assert_string_equal(values(s), "10,11");
    sluice_table_snapshot_unref(s);
    sluice_table_begin(t, 2, true); /* a batch with no rows empties a complete table */
    sluice_table_commit(t);
    s = sluice_tables_get(r, "lang_count");
    assert_string_equal(values(s), "");
    assert_int_equal(sluice_table_snapshot_batch_id(s), 2);
    sluice_table_snapshot_unref(s);
    sluice_table_close(t);
    sluice_tables_free(r);
}

static void test_tables_drop_a_replayed_batch_id(void **state)
{
    struct sluice_tables *r = sluice_tables_new();
    struct sluice_table *t;
    assert_int_equal(sluice_tables_open(r, "t", &schema, &t, NULL), SLUICE_OK);
    assert_true(sluice_table_begin(t, 0, false));
    add(t, 1, 1);
    sluice_table_commit(t);
    assert_true(sluice_table_begin(t, 1, false));
    add(t, 2, 1);
    sluice_table_commit(t);
    assert_false(sluice_table_begin(t, 1, false)); /* replay after a crash */
    add(t, 2, 1);
    sluice_table_commit(t);
    assert_false(sluice_table_begin(t, 0, true));
    sluice_table_commit(t);
    /* A micro-batch begun again before its commit (a failed attempt) starts over. */
    assert_true(sluice_table_begin(t, 2, false));
    add(t, 99, 1);
    assert_true(sluice_table_begin(t, 2, false));
    add(t, 3, 1);
    sluice_table_commit(t);
    struct sluice_table_snapshot *s = sluice_tables_get(r, "t");
    assert_string_equal(values(s), "1,2,3");
    sluice_table_snapshot_unref(s);
    sluice_table_close(t);
    sluice_tables_free(r);
}

static void test_tables_reject_a_second_table_of_the_same_name(void **state)
{
    struct sluice_tables *r = sluice_tables_new();
    struct sluice_table *a, *b, *c;
    struct sluice_error err;
    assert_int_equal(sluice_tables_open(r, "zeta", &schema, &a, &err), SLUICE_OK);
    assert_int_equal(sluice_tables_open(r, "Zeta", &schema, &b, &err), SLUICE_ECONFIG);
    assert_null(b);
    assert_string_equal(err.message, "memory table 'Zeta' already exists (as 'zeta')");
    assert_int_equal(sluice_tables_open(r, "alpha", &schema, &c, &err), SLUICE_OK);
    char **names;
    size_t n = sluice_tables_names(r, &names);
    assert_int_equal(n, 2);
    assert_string_equal(names[0], "alpha");
    assert_string_equal(names[1], "zeta");
    sluice_tables_names_free(names, n);
    sluice_table_close(a);
    sluice_table_close(c);
    assert_int_equal(sluice_tables_names(r, &names), 0);
    sluice_tables_names_free(names, 0);
    sluice_tables_free(r);
}

struct reader {
    struct sluice_tables *r;
    atomic_int stop;
    int64_t snapshots;
    bool bad;
};

static void *read_loop(void *p)
{
    struct reader *rd = p;
    int64_t last_rows = 0;
    while (!atomic_load(&rd->stop)) {
        struct sluice_table_snapshot *s = sluice_tables_get(rd->r, "t");
        if (!s) continue;
        const struct sluice_batch **v;
        size_t n = sluice_table_snapshot_batches(s, &v);
        int64_t rows = 0, expect = 0;
        for (size_t i = 0; i < n; i++) {
            const int64_t *vals = (const int64_t *)v[i]->array.children[0]->buffers[1];
            for (int64_t k = 0; k < sluice_batch_rows(v[i]); k++)
                if (vals[k] != expect++) rd->bad = true; /* rows in order, none missing */
            rows += sluice_batch_rows(v[i]);
        }
        /* Every micro-batch adds 3 rows at once: never a partial one. */
        if (rows % 3 || rows < last_rows || rows != sluice_table_snapshot_rows(s)) rd->bad = true;
        last_rows = rows;
        free(v);
        sluice_table_snapshot_unref(s);
        rd->snapshots++;
    }
    return NULL;
}

static void test_tables_readers_see_whole_micro_batches_while_the_writer_runs(void **state)
{
    struct reader rd = { .r = sluice_tables_new() };
    struct sluice_table *t;
    assert_int_equal(sluice_tables_open(rd.r, "t", &schema, &t, NULL), SLUICE_OK);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, read_loop, &rd), 0);
    for (int64_t b = 0; b < 300; b++) {
        sluice_table_begin(t, b, false);
        add(t, 3 * b, 2);
        add(t, 3 * b + 2, 1);
        sluice_table_commit(t);
    }
    atomic_store(&rd.stop, 1);
    pthread_join(th, NULL);
    assert_false(rd.bad);
    struct sluice_table_snapshot *s = sluice_tables_get(rd.r, "t");
    assert_int_equal(sluice_table_snapshot_rows(s), 900);
    sluice_table_snapshot_unref(s);
    sluice_table_close(t);
    sluice_tables_free(rd.r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables_show_a_micro_batch_only_once_committed),
        cmocka_unit_test(test_tables_append_keeps_old_snapshots_as_they_were),
        cmocka_unit_test(test_tables_complete_mode_replaces_the_table),
        cmocka_unit_test(test_tables_drop_a_replayed_batch_id),
        cmocka_unit_test(test_tables_reject_a_second_table_of_the_same_name),
        cmocka_unit_test(test_tables_readers_see_whole_micro_batches_while_the_writer_runs),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
