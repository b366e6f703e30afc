/* The state store (core/runtime/state/state_store.c) with opaque records:
 * one file per version whatever the partitions, snapshots and deltas,
 * removals, operators side by side, compaction, leftovers of an
 * uncommitted batch, and damage named by file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state_store.h"
#include "tmpdir_testutil.h"

static struct sluice_state_store *open_store(const char *sub, int64_t last)
{
    char path[300];
    snprintf(path, sizeof path, "%s/%s", tmpdir, sub);
    struct sluice_state_store *s;
    struct sluice_error err = { 0 };
    if (sluice_state_store_open(path, last, &s, &err)) fail_msg("open: %s", err.message);
    return s;
}

static bool exists(const char *sub, const char *file)
{
    char path[400];
    snprintf(path, sizeof path, "%s/%s/%s", tmpdir, sub, file);
    return access(path, F_OK) == 0;
}

/* Records "key=value" (or "key-" for a removal), space-separated, into
 * section (op, part) of the open version. */
static void section(struct sluice_state_store *s, const char *op, uint32_t part, uint32_t n_parts, bool snapshot,
                    const char *records)
{
    sluice_state_store_section(s, op, part, n_parts, snapshot);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", records);
    for (char *save = NULL, *tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq) {
            sluice_state_store_remove(s, tok, (uint32_t)strlen(tok) - 1);
            continue;
        }
        struct sluice_buf *v = sluice_state_store_put(s, tok, (uint32_t)(eq - tok));
        sluice_buf_puts(v, eq + 1);
    }
}

static void commit(struct sluice_state_store *s, struct sluice_state_store_stats *st)
{
    struct sluice_error err = { 0 };
    if (sluice_state_store_commit(s, st, &err)) fail_msg("commit: %s", err.message);
}

static int collect(void *arg, uint32_t part, int64_t version, const void *key, uint32_t key_len, const void *value,
                   size_t value_len, struct sluice_error *err)
{
    struct sluice_buf *b = arg;
    sluice_buf_printf(b, "%u@%lld:%.*s", part, (long long)version, (int)key_len, (const char *)key);
    if (value) sluice_buf_printf(b, "=%.*s ", (int)value_len, (const char *)value);
    else sluice_buf_puts(b, "- ");
    return SLUICE_OK;
}

/* What scan hands over, as "part@version:key=value " in order. */
static char *scan(struct sluice_state_store *s, const char *op, uint32_t n_parts)
{
    struct sluice_buf b = { 0 };
    sluice_buf_puts(&b, "");
    struct sluice_error err = { 0 };
    if (sluice_state_store_scan(s, op, n_parts, collect, &b, &err)) fail_msg("scan: %s", err.message);
    return b.data;
}

static void test_state_store_writes_one_file_per_version_for_every_partition(void **state)
{
    struct sluice_state_store *s = open_store("one", -1);
    sluice_state_store_begin(s, 0);
    section(s, "counts", 0, 3, true, "a=1 b=2");
    section(s, "counts", 2, 3, true, "c=3");
    section(s, "other", 0, 1, true, "x=9");
    struct sluice_state_store_stats st;
    commit(s, &st);
    assert_int_equal(st.sections, 3);
    assert_int_equal(st.records, 4);
    assert_true(exists("one", "0.state"));
    sluice_state_store_free(s);
    s = open_store("one", 0);
    char *got = scan(s, "counts", 3);
    assert_string_equal(got, "0@0:a=1 0@0:b=2 2@0:c=3 ");
    free(got);
    got = scan(s, "other", 1);
    assert_string_equal(got, "0@0:x=9 ");
    free(got);
    got = scan(s, "nobody", 4);
    assert_string_equal(got, "");
    free(got);
    sluice_state_store_free(s);
}

static void test_state_store_replays_the_chain_from_the_latest_snapshot(void **state)
{
    struct sluice_state_store *s = open_store("chain", -1);
    sluice_state_store_begin(s, 0);
    section(s, "op", 0, 2, true, "a=1 b=1");
    section(s, "op", 1, 2, true, "z=1");
    commit(s, NULL);
    sluice_state_store_begin(s, 1);
    assert_false(sluice_state_store_wants_snapshot(s, "op", 0, 1, 2 * 10));
    section(s, "op", 0, 2, false, "a=2 b-");
    commit(s, NULL);
    sluice_state_store_begin(s, 2);
    section(s, "op", 0, 2, true, "a=3 c=1"); /* b is gone from the snapshot on */
    commit(s, NULL);
    sluice_state_store_begin(s, 3);
    section(s, "op", 0, 2, false, "c=2");
    commit(s, NULL);
    sluice_state_store_free(s);
    s = open_store("chain", 3);
    char *got = scan(s, "op", 2);
    /* Partition 1 from its snapshot at 0; partition 0 from the one at 2. */
    assert_string_equal(got, "1@0:z=1 0@2:a=3 0@2:c=1 0@3:c=2 ");
    free(got);
    sluice_state_store_free(s);
}

static void test_state_store_asks_for_a_snapshot_when_it_should(void **state)
{
    struct sluice_state_store *s = open_store("ask", -1);
    assert_true(sluice_state_store_wants_snapshot(s, "op", 0, 1, 100)); /* none yet */
    sluice_state_store_begin(s, 0);
    section(s, "op", 0, 1, true, "a=1");
    commit(s, NULL);
    assert_false(sluice_state_store_wants_snapshot(s, "op", 0, 1, 100));
    assert_true(sluice_state_store_wants_snapshot(s, "op", 0, 50, 100)); /* half changed */
    for (int64_t v = 1; v <= SLUICE_STATE_MAX_DELTAS; v++) {
        sluice_state_store_begin(s, v);
        section(s, "op", 0, 1, false, "a=2");
        commit(s, NULL);
    }
    assert_true(sluice_state_store_wants_snapshot(s, "op", 0, 1, 100)); /* a long chain */
    sluice_state_store_free(s);
}

static void test_state_store_compaction_keeps_what_a_retained_version_needs(void **state)
{
    struct sluice_state_store *s = open_store("compact", -1);
    sluice_state_store_begin(s, 0);
    section(s, "op", 0, 2, true, "a=0");
    section(s, "op", 1, 2, true, "z=0");
    commit(s, NULL);
    for (int64_t v = 1; v <= 4; v++) {
        sluice_state_store_begin(s, v);
        section(s, "op", 0, 2, v == 3, "a=1");
        commit(s, NULL);
    }
    /* Version 2 needs 0 (both snapshots) and 1, 2; version 4 needs 3, 4 and
     * partition 1's snapshot in 0. */
    sluice_state_store_compact(s, 2);
    assert_true(exists("compact", "0.state") && exists("compact", "1.state") && exists("compact", "2.state"));
    sluice_state_store_compact(s, 4);
    assert_true(exists("compact", "0.state")); /* partition 1's latest */
    assert_false(exists("compact", "1.state") || exists("compact", "2.state"));
    assert_true(exists("compact", "3.state") && exists("compact", "4.state"));
    sluice_state_store_free(s);
    /* The file kept for partition 1 still holds partition 0's old snapshot:
     * a reopened store starts partition 0 at its snapshot in 3 all the same. */
    s = open_store("compact", 4);
    char *got = scan(s, "op", 2);
    assert_string_equal(got, "1@0:z=0 0@3:a=1 0@4:a=1 ");
    free(got);
    sluice_state_store_free(s);
}

static void test_state_store_deletes_what_an_uncommitted_batch_left(void **state)
{
    struct sluice_state_store *s = open_store("left", -1);
    for (int64_t v = 0; v < 2; v++) {
        sluice_state_store_begin(s, v);
        section(s, "op", 0, 1, v == 0, v ? "a=2" : "a=1");
        commit(s, NULL);
    }
    sluice_state_store_free(s);
    s = open_store("left", 0); /* batch 1 never committed */
    assert_false(exists("left", "1.state"));
    char *got = scan(s, "op", 1);
    assert_string_equal(got, "0@0:a=1 ");
    free(got);
    sluice_state_store_free(s);
}

static void test_state_store_refuses_a_chain_with_a_missing_file(void **state)
{
    struct sluice_state_store *s = open_store("gap", -1);
    for (int64_t v = 0; v < 3; v++) {
        sluice_state_store_begin(s, v);
        section(s, "op", 0, 1, v == 0, "a=1");
        commit(s, NULL);
    }
    sluice_state_store_free(s);
    char path[400];
    snprintf(path, sizeof path, "%s/gap/1.state", tmpdir);
    assert_int_equal(unlink(path), 0);
    struct sluice_error err = { 0 };
    snprintf(path, sizeof path, "%s/gap", tmpdir);
    assert_int_equal(sluice_state_store_open(path, 2, &s, &err), SLUICE_EDATA);
    char want[600];
    snprintf(want, sizeof want,
             "checkpoint file '%s/gap/2.state' is damaged: the state of 'op' partition 0 in it builds on a version "
             "that is not there",
             tmpdir);
    assert_string_equal(err.message, want);
}

static void test_state_store_refuses_a_damaged_file_by_name(void **state)
{
    struct sluice_state_store *s = open_store("flip", -1);
    sluice_state_store_begin(s, 0);
    section(s, "op", 0, 1, true, "a=1");
    commit(s, NULL);
    sluice_state_store_free(s);
    char path[400];
    snprintf(path, sizeof path, "%s/flip/0.state", tmpdir);
    FILE *f = fopen(path, "r+");
    fseek(f, -2, SEEK_END);
    fputc('!', f);
    fclose(f);
    struct sluice_error err = { 0 };
    snprintf(path, sizeof path, "%s/flip", tmpdir);
    assert_int_equal(sluice_state_store_open(path, 0, &s, &err), SLUICE_EDATA);
    assert_non_null(strstr(err.message, "flip/0.state' is damaged"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_store_writes_one_file_per_version_for_every_partition),
        cmocka_unit_test(test_state_store_replays_the_chain_from_the_latest_snapshot),
        cmocka_unit_test(test_state_store_asks_for_a_snapshot_when_it_should),
        cmocka_unit_test(test_state_store_compaction_keeps_what_a_retained_version_needs),
        cmocka_unit_test(test_state_store_deletes_what_an_uncommitted_batch_left),
        cmocka_unit_test(test_state_store_refuses_a_chain_with_a_missing_file),
        cmocka_unit_test(test_state_store_refuses_a_damaged_file_by_name),
    };
    return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
