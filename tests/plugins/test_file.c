/* The `file` source, loaded from its real .so and driven through the real
 * host table, as the engine drives it: listing, offsets, reading. */
#include "file_harness.h"

/* ---- offsets ------------------------------------------------------------ */

static void test_file_source_leaves_the_offset_empty_while_the_directory_is_empty(void **state)
{
    struct fx *fx = *state;
    open_source(fx, NULL, NULL);
    assert_string_equal(latest(fx, NULL, true), "");
    write_file(fx, ".part-00000.json.tmp", "{\"a\":\"x\"}\n"); /* being written: not yet */
    assert_string_equal(latest(fx, NULL, true), "");
}

static void test_file_source_counts_files_that_appear_between_calls(void **state)
{
    struct fx *fx = *state;
    open_source(fx, NULL, NULL);
    write_file(fx, "part-00000.json", "{\"a\":\"x\",\"n\":1}\n");
    assert_string_equal(latest(fx, NULL, true), "{\"logOffset\":1}");
    write_file(fx, "part-00001.json", "{\"a\":\"y\",\"n\":2}\n");
    write_file(fx, "part-00002.json", "{\"a\":\"z\",\"n\":3}\n");
    assert_string_equal(latest(fx, "{\"logOffset\":1}", true), "{\"logOffset\":3}");
    /* Nothing new: the same offset again, which the engine reads as "no data". */
    assert_string_equal(latest(fx, "{\"logOffset\":3}", true), "{\"logOffset\":3}");
    size_t units;
    char *rows = read_range(fx, "{\"logOffset\":1}", "{\"logOffset\":3}", &units, NULL);
    assert_int_equal(units, 2);
    assert_string_equal(rows, "{\"a\":\"y\",\"n\":2}\n{\"a\":\"z\",\"n\":3}\n");
    free(rows);
    /* Replayable: the same range reads the same rows. */
    rows = read_range(fx, NULL, "{\"logOffset\":1}", &units, NULL);
    assert_int_equal(units, 1);
    assert_string_equal(rows, "{\"a\":\"x\",\"n\":1}\n");
    free(rows);
    assert_int_equal(fx->p->commit(fx->state, "{\"logOffset\":3}", &fx->err), SLUICE_OK);
}

static void test_file_source_reads_files_in_name_order_and_skips_hidden_ones(void **state)
{
    struct fx *fx = *state;
    open_source(fx, NULL, NULL);
    write_file(fx, "b.json", "{\"a\":\"b\"}\n");
    write_file(fx, "a.json", "{\"a\":\"a\"}\n");
    write_file(fx, "c.json", "{\"a\":\"c\"}\n");
    write_file(fx, ".hidden.json", "{\"a\":\"hidden\"}\n");
    write_file(fx, "_SUCCESS", "{\"a\":\"underscore\"}\n");
    write_file(fx, "d.json._COPYING_", "{\"a\":\"copying\"}\n");
    char sub[512];
    snprintf(sub, sizeof sub, "%s/subdir", fx->dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    assert_string_equal(latest(fx, NULL, true), "{\"logOffset\":3}");
    size_t units;
    char *rows = read_range(fx, NULL, "{\"logOffset\":3}", &units, NULL);
    assert_int_equal(units, 3);
    assert_string_equal(rows, "{\"a\":\"a\",\"n\":null}\n{\"a\":\"b\",\"n\":null}\n{\"a\":\"c\",\"n\":null}\n");
    free(rows);
}

static void test_file_source_takes_at_most_max_files_per_trigger(void **state)
{
    struct fx *fx = *state;
    open_source(fx, NULL, "max_files_per_trigger = 2;");
    for (int i = 0; i < 5; i++) {
        char name[32], line[64];
        snprintf(name, sizeof name, "part-%05d.json", i);
        snprintf(line, sizeof line, "{\"n\":%d}\n", i);
        write_file(fx, name, line);
    }
    assert_string_equal(latest(fx, NULL, true), "{\"logOffset\":2}");
    assert_string_equal(latest(fx, "{\"logOffset\":2}", true), "{\"logOffset\":4}");
    assert_string_equal(latest(fx, "{\"logOffset\":4}", true), "{\"logOffset\":5}");
    /* Unlimited (trigger once, available_now's target) ignores the limit. */
    assert_string_equal(latest(fx, NULL, false), "{\"logOffset\":5}");
    char *rows = read_range(fx, "{\"logOffset\":2}", "{\"logOffset\":4}", NULL, NULL);
    assert_string_equal(rows, "{\"a\":null,\"n\":2}\n{\"a\":null,\"n\":3}\n");
    free(rows);
}

static void test_file_source_latest_first_reads_the_newest_new_file_first(void **state)
{
    struct fx *fx = *state;
    open_source(fx, NULL, "max_files_per_trigger = 1; latest_first = true;");
    write_file(fx, "a.json", "{\"a\":\"a\"}\n");
    write_file(fx, "b.json", "{\"a\":\"b\"}\n");
    write_file(fx, "c.json", "{\"a\":\"c\"}\n");
    set_mtime(fx, "a.json", 1000);
    set_mtime(fx, "b.json", 3000);
    set_mtime(fx, "c.json", 2000);
    assert_string_equal(latest(fx, NULL, true), "{\"logOffset\":1}");
    char *rows = read_range(fx, NULL, "{\"logOffset\":1}", NULL, NULL);
    assert_string_equal(rows, "{\"a\":\"b\",\"n\":null}\n");
    free(rows);
    /* A newer file arriving meanwhile jumps ahead of the older ones left. */
    write_file(fx, "d.json", "{\"a\":\"d\"}\n");
    set_mtime(fx, "d.json", 4000);
    assert_string_equal(latest(fx, "{\"logOffset\":1}", true), "{\"logOffset\":2}");
    rows = read_range(fx, "{\"logOffset\":1}", "{\"logOffset\":2}", NULL, NULL);
    assert_string_equal(rows, "{\"a\":\"d\",\"n\":null}\n");
    free(rows);
    assert_string_equal(latest(fx, "{\"logOffset\":2}", true), "{\"logOffset\":3}");
    rows = read_range(fx, "{\"logOffset\":2}", "{\"logOffset\":3}", NULL, NULL);
    assert_string_equal(rows, "{\"a\":\"c\",\"n\":null}\n");
    free(rows);
}

static void test_file_source_rejects_an_offset_it_did_not_write(void **state)
{
    struct fx *fx = *state;
    open_source(fx, NULL, NULL);
    sluice_buf_clear(&fx->off);
    assert_int_equal(fx->p->latest_offset(fx->state, "{\"offset\":3}", true, &fx->off, &fx->err),
                     SLUICE_ECONFIG);
    assert_string_equal(fx->err.message, "'{\"offset\":3}' is not a file source offset");
    write_file(fx, "a.json", "{}\n");
    size_t n;
    assert_int_equal(fx->p->plan_read(fx->state, NULL, "{\"logOffset\":7}", &n, &fx->err), SLUICE_EIO);
    char want[256];
    snprintf(want, sizeof want, "offset 7 is past the 1 files in '%s'", fx->dir);
    assert_string_equal(fx->err.message, want);
}

/* ---- reading ------------------------------------------------------------ */

static void test_file_source_reads_an_empty_file_as_no_rows(void **state)
{
    struct fx *fx = *state;
    open_source(fx, NULL, NULL);
    write_file(fx, "empty.json", "");
    assert_string_equal(latest(fx, NULL, true), "{\"logOffset\":1}");
    struct collected c = { 0 };
    char *rows = read_range(fx, NULL, "{\"logOffset\":1}", NULL, &c);
    assert_string_equal(rows, "");
    assert_int_equal(c.batches, 0);
    free(rows);
}

/* Batches are cut by bytes (about 1 MiB of input each), not lines, so a
 * batch's memory stays bounded whatever its lines' length. */
static void test_file_source_reads_a_big_file_in_batches_of_about_a_mebibyte(void **state)
{
    struct fx *fx = *state;
    open_source(fx, NULL, "max_partition_bytes = 0;");
    char path[512];
    snprintf(path, sizeof path, "%s/big.json", fx->dir);
    FILE *f = fopen(path, "wb");
    for (int i = 0; i < 250000; i++) fprintf(f, "{\"n\":%d}\n", i);
    fprintf(f, "{\"n\":250000}"); /* a last line without a newline still counts */
    fclose(f);
    latest(fx, NULL, true);
    struct collected c = { 0 };
    size_t units;
    char *rows = read_range(fx, NULL, "{\"logOffset\":1}", &units, &c);
    assert_int_equal(units, 1);
    /* 3.1 MB (2.99 MiB) of lines of 8 to 13 bytes: three pieces of at most 1 MiB. */
    assert_int_equal(c.batches, 3);
    assert_true(c.max_batch_rows <= (1 << 20) / 8);
    /* Every row, in order. */
    char *p = rows;
    for (int i = 0; i <= 250000; i++) {
        char want[64];
        int n = snprintf(want, sizeof want, "{\"a\":null,\"n\":%d}\n", i);
        if (strncmp(p, want, (size_t)n) != 0) fail_msg("row %d: %.40s", i, p);
        p += n;
    }
    assert_int_equal(*p, '\0');
    free(rows);
}

struct long_check_arg {
    int64_t next, batches;
    size_t first_len;
};

/* Checks n runs 0, 1, 2, ... across batches and records the first a's length. */
static int check_large(void *arg, struct sluice_batch *b, struct sluice_error *err)
{
    struct long_check_arg *c = arg;
    c->batches++;
    const struct ArrowArray *a = b->array.children[0], *n = b->array.children[1];
    for (int64_t r = 0; r < sluice_batch_rows(b); r++) {
        assert_int_equal(sluice_get_long(n, n->offset + r), c->next);
        if (c->next == 0) {
            const char *s;
            c->first_len = (size_t)sluice_get_string(a, a->offset + r, &s);
        }
        c->next++;
    }
    sluice_batch_release(b);
    return SLUICE_OK;
}

/* Bigger than the source's 1 MiB read buffer and cut into units of 8 MiB:
 * lines cross buffer refills and unit cuts, and the first line is longer
 * than the buffer and than a unit, so the units after the first start in
 * its middle and read nothing of it. */
static void test_file_source_reads_files_larger_than_its_buffer_line_by_line(void **state)
{
    struct fx *fx = *state;
    open_source(fx, NULL, NULL);
    char path[512];
    snprintf(path, sizeof path, "%s/large.json", fx->dir);
    FILE *f = fopen(path, "wb");
    size_t long_len = 17u << 20;
    char *filler = malloc(long_len + 1);
    memset(filler, 'x', long_len);
    filler[long_len] = '\0';
    fprintf(f, "{\"a\":\"%s\",\"n\":0}\n", filler);
    for (int i = 1; i <= 20000; i++) fprintf(f, "{\"a\":\"%.1000s\",\"n\":%d}\n", filler, i);
    fclose(f);
    latest(fx, NULL, true);
    size_t n;
    assert_int_equal(fx->p->plan_read(fx->state, NULL, "{\"logOffset\":1}", &n, &fx->err), SLUICE_OK);
    assert_int_equal(n, 5); /* 38 MB */
    struct long_check_arg chk = { 0, 0, 0 };
    for (size_t u = 0; u < n; u++) {
        int rc = fx->p->read(fx->state, u, check_large, &chk, &fx->err);
        if (rc) fail_msg("read: %s", fx->err.message);
    }
    assert_int_equal(chk.next, 20001);
    assert_true(chk.batches >= 2);
    assert_int_equal(chk.first_len, long_len);
    free(filler);
}

static const char mixed[] = "{\"a\":\"ok\",\"n\":1}\n{\"a\":\"broken\n{\"a\":\"ok2\",\"n\":3}\n";

static void test_file_source_keeps_malformed_lines_as_null_rows_in_permissive_mode(void **state)
{
    struct fx *fx = *state;
    open_source(fx, "a STRING, n LONG, _corrupt_record STRING", NULL);
    write_file(fx, "m.json", mixed);
    latest(fx, NULL, true);
    char *rows = read_range(fx, NULL, "{\"logOffset\":1}", NULL, NULL);
    assert_string_equal(rows, "{\"a\":\"ok\",\"n\":1,\"_corrupt_record\":null}\n"
                              "{\"a\":null,\"n\":null,\"_corrupt_record\":\"{\\\"a\\\":\\\"broken\"}\n"
                              "{\"a\":\"ok2\",\"n\":3,\"_corrupt_record\":null}\n");
    free(rows);
    assert_int_equal(sluice_ctx_malformed(&fx->stage.ctx), 1);
}

static void test_file_source_drops_malformed_lines_in_drop_malformed_mode(void **state)
{
    struct fx *fx = *state;
    open_source(fx, NULL, "mode = \"drop_malformed\";");
    write_file(fx, "m.json", mixed);
    latest(fx, NULL, true);
    char *rows = read_range(fx, NULL, "{\"logOffset\":1}", NULL, NULL);
    assert_string_equal(rows, "{\"a\":\"ok\",\"n\":1}\n{\"a\":\"ok2\",\"n\":3}\n");
    free(rows);
    assert_int_equal(sluice_ctx_malformed(&fx->stage.ctx), 1);
}

static void test_file_source_fails_fast_naming_the_file_and_line(void **state)
{
    struct fx *fx = *state;
    open_source(fx, NULL, "mode = \"fail_fast\";");
    write_file(fx, "m.json", mixed);
    latest(fx, NULL, true);
    size_t n;
    assert_int_equal(fx->p->plan_read(fx->state, NULL, "{\"logOffset\":1}", &n, &fx->err), SLUICE_OK);
    struct collected c = { 0 };
    assert_int_equal(fx->p->read(fx->state, 0, collect, &c, &fx->err), SLUICE_EDATA);
    char want[512];
    snprintf(want, sizeof want, "malformed JSON at %s/m.json:2: ", fx->dir);
    if (strncmp(fx->err.message, want, strlen(want)) != 0) fail_msg("message: %s", fx->err.message);
    sluice_buf_free(&c.rows);
}

/* ---- units within a file ------------------------------------------------ */

/* Close the source and open it again with other settings. */
static void reopen(struct fx *fx, const char *schema, const char *extra)
{
    if (fx->state) fx->p->close(fx->state);
    fx->state = NULL;
    sluice_ctx_free(&fx->stage.ctx);
    memset(&fx->stage, 0, sizeof fx->stage);
    sluice_options_storage_free(&fx->storage);
    memset(&fx->storage, 0, sizeof fx->storage);
    free(fx->conf);
    fx->conf = NULL;
    config_destroy(&fx->cfg);
    config_init(&fx->cfg);
    open_source(fx, schema, extra);
}

/* Lines of 12 to ~300 bytes, some blank, some CRLF, the last without a
 * newline: every unit size cuts some of them in the middle. */
static char *ragged_lines(void)
{
    struct sluice_buf b = { 0 };
    uint32_t x = 12345;
    for (int i = 0; i < 100; i++) {
        x = x * 1103515245u + 12345u;
        size_t len = (x >> 8) % 300;
        if (i % 37 == 5) {
            sluice_buf_puts(&b, "\n");
            continue;
        }
        sluice_buf_printf(&b, "{\"a\":\"");
        for (size_t k = 0; k < len; k++) sluice_buf_putc(&b, (char)('a' + (k + (size_t)i) % 26));
        sluice_buf_printf(&b, "\",\"n\":%d}%s", i, i == 99 ? "" : i % 5 == 0 ? "\r\n" : "\n");
    }
    return b.data;
}

static void test_file_source_reads_the_same_rows_whatever_the_unit_size(void **state)
{
    struct fx *fx = *state;
    char *text = ragged_lines();
    write_file(fx, "r.json", text);
    open_source(fx, NULL, "max_partition_bytes = 0;");
    latest(fx, NULL, true);
    size_t units;
    char *whole = read_range(fx, NULL, "{\"logOffset\":1}", &units, NULL);
    assert_int_equal(units, 1);
    static const int sizes[] = { 1, 2, 3, 63, 64, 65, 1000, 4096, 100000 };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char extra[64];
        snprintf(extra, sizeof extra, "max_partition_bytes = %d;", sizes[i]);
        reopen(fx, NULL, extra);
        latest(fx, NULL, true);
        char *cut = read_range(fx, NULL, "{\"logOffset\":1}", &units, NULL);
        size_t want = (strlen(text) + (size_t)sizes[i] - 1) / (size_t)sizes[i];
        if (units != want) fail_msg("size %d: %zu units, want %zu", sizes[i], units, want);
        if (strcmp(cut, whole) != 0) fail_msg("size %d: rows differ from one unit's", sizes[i]);
        free(cut);
    }
    free(whole);
    free(text);
}

/* A unit knows its bytes, not its first line's number: fail_fast counts
 * the lines before it, in a later unit and in a later piece of a unit. */
static void test_file_source_fails_fast_with_the_exact_line_in_a_later_unit_or_piece(void **state)
{
    struct fx *fx = *state;
    static const struct {
        int lines, bad;
        const char *settings;
    } cases[] = {
        { 300000, 299000, "mode = \"fail_fast\"; max_partition_bytes = 0;" },     /* a later 1 MiB piece */
        { 300000, 299000, "mode = \"fail_fast\"; max_partition_bytes = 100000;" }, /* a later unit */
        { 3000, 2999, "mode = \"fail_fast\"; max_partition_bytes = 3;" },         /* units within lines */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sluice_buf b = { 0 };
        for (int k = 1; k <= cases[i].lines; k++) {
            if (k == cases[i].bad) sluice_buf_puts(&b, "{\"n\":1,}\n");
            else sluice_buf_printf(&b, "{\"n\":%d}\n", k);
        }
        char name[32], want[512], msg[512];
        snprintf(name, sizeof name, "f%zu.json", i);
        write_file(fx, name, b.data);
        sluice_buf_free(&b);
        snprintf(want, sizeof want, "malformed JSON at %s/%s:%d: ", fx->dir, name, cases[i].bad);
        reopen(fx, NULL, cases[i].settings);
        char end[32];
        snprintf(end, sizeof end, "{\"logOffset\":%zu}", i + 1);
        latest(fx, NULL, true);
        /* Only the newest file: plan (i, i + 1]. */
        char start[32];
        snprintf(start, sizeof start, "{\"logOffset\":%zu}", i);
        size_t n;
        assert_int_equal(fx->p->plan_read(fx->state, start, end, &n, &fx->err), SLUICE_OK);
        struct collected c = { 0 };
        msg[0] = '\0';
        for (size_t u = 0; u < n && !msg[0]; u++) {
            if (fx->p->read(fx->state, u, collect, &c, &fx->err) != SLUICE_OK) {
                assert_int_equal(fx->err.code, SLUICE_EDATA);
                snprintf(msg, sizeof msg, "%s", fx->err.message);
            }
        }
        sluice_buf_free(&c.rows);
        if (strncmp(msg, want, strlen(want)) != 0) fail_msg("%s: message: %s", cases[i].settings, msg);
    }
}

static void test_file_source_keeps_a_csv_file_with_a_header_whole(void **state)
{
    struct fx *fx = *state;
    open_source(fx, NULL, "format = \"csv\"; header = true; max_partition_bytes = 4;");
    write_file(fx, "a.csv", "n,a\n1,x\n2,y\n3,z\n");
    latest(fx, NULL, true);
    size_t units;
    char *rows = read_range(fx, NULL, "{\"logOffset\":1}", &units, NULL);
    assert_int_equal(units, 1);
    assert_string_equal(rows, "{\"a\":\"x\",\"n\":1}\n{\"a\":\"y\",\"n\":2}\n{\"a\":\"z\",\"n\":3}\n");
    free(rows);
}

static void test_file_source_splits_a_csv_file_without_header_at_lines(void **state)
{
    struct fx *fx = *state;
    open_source(fx, NULL, "format = \"csv\"; max_partition_bytes = 5;");
    write_file(fx, "a.csv", "x,1\ny,2\nzzzzzzzzzzzz,3\nw,4\n");
    latest(fx, NULL, true);
    size_t units;
    char *rows = read_range(fx, NULL, "{\"logOffset\":1}", &units, NULL);
    assert_int_equal(units, 6);
    assert_string_equal(rows, "{\"a\":\"x\",\"n\":1}\n{\"a\":\"y\",\"n\":2}\n"
                              "{\"a\":\"zzzzzzzzzzzz\",\"n\":3}\n{\"a\":\"w\",\"n\":4}\n");
    free(rows);
}

static void test_file_source_rejects_a_negative_partition_size(void **state)
{
    struct fx *fx = *state;
    assert_int_equal(open_source_with(fx, fx->dir, NULL, "max_partition_bytes = -1;"), SLUICE_ECONFIG);
    assert_string_equal(fx->err.message, "must be at least 0, got -1");
}

/* ---- waiting for files ---------------------------------------------------- */

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct delayed_rename {
    char from[512], to[512];
};

static void *rename_later(void *p)
{
    struct delayed_rename *r = p;
    struct timespec ts = { 0, 100 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    if (rename(r->from, r->to) != 0) abort();
    return NULL;
}

static void test_file_source_wait_returns_when_a_file_is_renamed_into_the_directory(void **state)
{
    struct fx *fx = *state;
    open_source(fx, NULL, NULL);
    latest(fx, NULL, true);
    /* The first wait starts watching and returns at once, so the core lists
     * the directory again: a file may have come before the watch began. */
    int64_t t0 = now_us();
    assert_int_equal(fx->p->wait(fx->state, 5000000, -1, &fx->err), SLUICE_OK);
    assert_true(now_us() - t0 < 1000000);
    /* Nothing happens: the timeout ends the wait. */
    t0 = now_us();
    assert_int_equal(fx->p->wait(fx->state, 50000, -1, &fx->err), SLUICE_OK);
    int64_t waited = now_us() - t0;
    assert_true(waited >= 50000 && waited < 2000000);
    /* A file renamed in from elsewhere ends it long before the timeout. */
    char tmp[64] = "/tmp/sluice-test-file-src-XXXXXX";
    int fd = mkstemp(tmp);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "{\"n\":1}\n", 8), 8);
    close(fd);
    struct delayed_rename r;
    snprintf(r.from, sizeof r.from, "%s", tmp);
    snprintf(r.to, sizeof r.to, "%s/new.json", fx->dir);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, rename_later, &r), 0);
    t0 = now_us();
    assert_int_equal(fx->p->wait(fx->state, 10000000, -1, &fx->err), SLUICE_OK);
    waited = now_us() - t0;
    pthread_join(th, NULL);
    if (waited > 5000000) fail_msg("waited %lld us for the rename", (long long)waited);
    assert_string_equal(latest(fx, NULL, true), "{\"logOffset\":1}");
}

static void test_file_source_wait_returns_when_the_wake_descriptor_is_readable(void **state)
{
    struct fx *fx = *state;
    open_source(fx, NULL, NULL);
    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_int_equal(fx->p->wait(fx->state, 0, p[0], &fx->err), SLUICE_OK); /* starts watching */
    assert_int_equal(write(p[1], "x", 1), 1);
    int64_t t0 = now_us();
    assert_int_equal(fx->p->wait(fx->state, 10000000, p[0], &fx->err), SLUICE_OK);
    assert_true(now_us() - t0 < 5000000);
    close(p[0]);
    close(p[1]);
}

static void test_file_source_reads_csv_with_a_header_and_separator(void **state)
{
    struct fx *fx = *state;
    open_source(fx, NULL, "format = \"csv\"; header = true; sep = \";\";");
    write_file(fx, "a.csv", "a;n\nx;1\ny;2\n");
    latest(fx, NULL, true);
    char *rows = read_range(fx, NULL, "{\"logOffset\":1}", NULL, NULL);
    assert_string_equal(rows, "{\"a\":\"x\",\"n\":1}\n{\"a\":\"y\",\"n\":2}\n");
    free(rows);
}

static void test_file_source_reads_units_independently(void **state)
{
    struct fx *fx = *state;
    open_source(fx, NULL, NULL);
    write_file(fx, "1.json", "{\"n\":1}\n");
    write_file(fx, "2.json", "{\"n\":2}\n");
    latest(fx, NULL, true);
    size_t n;
    assert_int_equal(fx->p->plan_read(fx->state, NULL, "{\"logOffset\":2}", &n, &fx->err), SLUICE_OK);
    char *second = read_unit(fx, 1);
    char *first = read_unit(fx, 0);
    assert_string_equal(first, "{\"a\":null,\"n\":1}\n");
    assert_string_equal(second, "{\"a\":null,\"n\":2}\n");
    free(first);
    free(second);
}

struct reader_arg {
    struct fx *fx;
    size_t unit;
    struct collected c;
    int rc;
};

static void *reader(void *p)
{
    struct reader_arg *r = p;
    struct sluice_error err = { 0 };
    r->rc = r->fx->p->read(r->fx->state, r->unit, collect, &r->c, &err);
    return NULL;
}

static void test_file_source_reads_units_concurrently_on_several_threads(void **state)
{
    struct fx *fx = *state;
    open_source(fx, NULL, NULL);
    enum { FILES = 8 };
    for (int i = 0; i < FILES; i++) {
        char name[32], body[4096] = "";
        snprintf(name, sizeof name, "f%d.json", i);
        for (int k = 0; k < 50; k++) {
            char line[64];
            snprintf(line, sizeof line, "{\"n\":%d}\n", i * 1000 + k);
            strcat(body, line);
        }
        write_file(fx, name, body);
    }
    latest(fx, NULL, true);
    size_t n;
    assert_int_equal(fx->p->plan_read(fx->state, NULL, "{\"logOffset\":8}", &n, &fx->err), SLUICE_OK);
    assert_int_equal(n, FILES);
    struct reader_arg args[FILES];
    pthread_t threads[FILES];
    for (int i = 0; i < FILES; i++) {
        args[i] = (struct reader_arg){ fx, (size_t)i, { { 0 }, 0, 0 }, -1 };
        assert_int_equal(pthread_create(&threads[i], NULL, reader, &args[i]), 0);
    }
    for (int i = 0; i < FILES; i++) pthread_join(threads[i], NULL);
    for (int i = 0; i < FILES; i++) {
        assert_int_equal(args[i].rc, SLUICE_OK);
        char want[64];
        snprintf(want, sizeof want, "{\"a\":null,\"n\":%d}\n", i * 1000);
        assert_true(strncmp(args[i].c.rows.data, want, strlen(want)) == 0);
        size_t lines = 0;
        for (char *q = args[i].c.rows.data; *q; q++) lines += *q == '\n';
        assert_int_equal(lines, 50);
        sluice_buf_free(&args[i].c.rows);
    }
}

/* ---- open --------------------------------------------------------------- */

static void test_file_source_declares_its_schema_as_output(void **state)
{
    struct fx *fx = *state;
    open_source(fx, NULL, NULL);
    const struct ArrowSchema *out = sluice_ctx_output_schema(&fx->stage.ctx);
    assert_non_null(out);
    assert_int_equal(out->n_children, 2);
    assert_string_equal(out->children[0]->name, "a");
    assert_string_equal(out->children[1]->format, "l");
}

static void test_file_source_rejects_a_missing_directory(void **state)
{
    struct fx *fx = *state;
    assert_int_equal(open_source_with(fx, "/nonexistent/sluice-dir", NULL, NULL), SLUICE_ECONFIG);
    assert_string_equal(fx->err.message,
                        "path '/nonexistent/sluice-dir' is not a readable directory: No such file or directory");
}

static void test_file_source_rejects_a_negative_file_limit(void **state)
{
    struct fx *fx = *state;
    assert_int_equal(open_source_with(fx, fx->dir, NULL, "max_files_per_trigger = -1;"), SLUICE_ECONFIG);
    assert_string_equal(fx->err.message, "must be at least 0, got -1");
}

static void test_file_source_rejects_a_corrupt_record_column_that_is_not_a_string(void **state)
{
    struct fx *fx = *state;
    assert_int_equal(open_source_with(fx, fx->dir, "a STRING, _corrupt_record LONG", NULL), SLUICE_ECONFIG);
    assert_string_equal(fx->err.message,
                        "column '_corrupt_record' keeps corrupt records, so it must be a string, not a long");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_file_source_leaves_the_offset_empty_while_the_directory_is_empty),
        T(test_file_source_counts_files_that_appear_between_calls),
        T(test_file_source_reads_files_in_name_order_and_skips_hidden_ones),
        T(test_file_source_takes_at_most_max_files_per_trigger),
        T(test_file_source_latest_first_reads_the_newest_new_file_first),
        T(test_file_source_rejects_an_offset_it_did_not_write),
        T(test_file_source_reads_an_empty_file_as_no_rows),
        T(test_file_source_reads_a_big_file_in_batches_of_about_a_mebibyte),
        T(test_file_source_reads_files_larger_than_its_buffer_line_by_line),
        T(test_file_source_keeps_malformed_lines_as_null_rows_in_permissive_mode),
        T(test_file_source_drops_malformed_lines_in_drop_malformed_mode),
        T(test_file_source_fails_fast_naming_the_file_and_line),
        T(test_file_source_reads_the_same_rows_whatever_the_unit_size),
        T(test_file_source_fails_fast_with_the_exact_line_in_a_later_unit_or_piece),
        T(test_file_source_keeps_a_csv_file_with_a_header_whole),
        T(test_file_source_splits_a_csv_file_without_header_at_lines),
        T(test_file_source_rejects_a_negative_partition_size),
        T(test_file_source_wait_returns_when_a_file_is_renamed_into_the_directory),
        T(test_file_source_wait_returns_when_the_wake_descriptor_is_readable),
        T(test_file_source_reads_csv_with_a_header_and_separator),
        T(test_file_source_reads_units_independently),
        T(test_file_source_reads_units_concurrently_on_several_threads),
        T(test_file_source_declares_its_schema_as_output),
        T(test_file_source_rejects_a_missing_directory),
        T(test_file_source_rejects_a_negative_file_limit),
        T(test_file_source_rejects_a_corrupt_record_column_that_is_not_a_string),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
