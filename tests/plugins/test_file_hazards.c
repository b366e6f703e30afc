/* The `file` source under a directory that changes beneath it: planned
 * files deleted or made unreadable before they are read, entries that
 * cannot be stat'ed, files written in place, and a checkpoint reused with
 * another `path`. */
#include <signal.h>
#include <sys/types.h>

#include "checkpoint_source.h"
#include "file_harness.h"

static void path_in(const struct fx *fx, const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", fx->dir, name);
}

/* ---- planned files that are gone when read (ignore_missing_files) -------- */

static void test_file_source_fails_on_a_planned_file_gone_naming_it_and_the_option(void **state)
{
    struct fx *fx = *state;
    open_source(fx, NULL, NULL);
    write_file(fx, "a.json", "{\"n\":1}\n");
    write_file(fx, "b.json", "{\"n\":2}\n");
    assert_string_equal(latest(fx, NULL, true), "{\"logOffset\":2}");
    size_t n;
    assert_int_equal(fx->p->plan_read(fx->state, NULL, "{\"logOffset\":2}", &n, &fx->err), SLUICE_OK);
    char gone[512];
    path_in(fx, "b.json", gone, sizeof gone);
    unlink(gone);
    free(read_unit(fx, 0));
    struct collected c = { 0 };
    assert_int_equal(fx->p->read(fx->state, 1, collect, &c, &fx->err), SLUICE_EIO);
    char want[700];
    snprintf(want, sizeof want, "cannot read '%s', planned for this batch: No such file or directory", gone);
    assert_string_equal(fx->err.message, want);
    /* How to get a restart going again: the replay needs the same file. */
    assert_non_null(strstr(fx->err.hint, "put the file back"));
    assert_non_null(strstr(fx->err.hint, "ignore_missing_files = true (--set src.ignore_missing_files=true)"));
}

static void test_file_source_skips_a_planned_file_gone_with_ignore_missing_files(void **state)
{
    struct fx *fx = *state;
    open_source(fx, NULL, "ignore_missing_files = true;");
    write_file(fx, "a.json", "{\"n\":1}\n");
    write_file(fx, "b.json", "{\"n\":2}\n");
    write_file(fx, "c.json", "{\"n\":3}\n");
    latest(fx, NULL, true);
    size_t n;
    assert_int_equal(fx->p->plan_read(fx->state, NULL, "{\"logOffset\":3}", &n, &fx->err), SLUICE_OK);
    char gone[512];
    path_in(fx, "b.json", gone, sizeof gone);
    unlink(gone);
    stderr_capture();
    struct collected c = { 0 };
    for (size_t u = 0; u < n; u++) assert_int_equal(fx->p->read(fx->state, u, collect, &c, &fx->err), SLUICE_OK);
    close_source(fx); /* the run ends: the count is logged */
    char *log = stderr_captured();
    assert_string_equal(c.rows.data, "{\"a\":null,\"n\":1}\n{\"a\":null,\"n\":3}\n");
    char want[700];
    snprintf(want, sizeof want,
             "skipping '%s', planned for this batch: No such file or directory (ignore_missing_files)", gone);
    assert_int_equal(occurrences(log, want), 1);
    assert_int_equal(occurrences(log, "1 planned file could not be read and was skipped (ignore_missing_files)"), 1);
    free(log);
    sluice_buf_free(&c.rows);
}

/* An unreadable planned file is treated as a missing one: here a loop of
 * symbolic links put in its place. */
static void test_file_source_treats_an_unreadable_planned_file_as_a_missing_one(void **state)
{
    struct fx *fx = *state;
    open_source(fx, NULL, NULL);
    write_file(fx, "a.json", "{\"n\":1}\n");
    latest(fx, NULL, true);
    size_t n;
    assert_int_equal(fx->p->plan_read(fx->state, NULL, "{\"logOffset\":1}", &n, &fx->err), SLUICE_OK);
    char path[512];
    path_in(fx, "a.json", path, sizeof path);
    unlink(path);
    assert_int_equal(symlink("a.json", path), 0);
    struct collected c = { 0 };
    assert_int_equal(fx->p->read(fx->state, 0, collect, &c, &fx->err), SLUICE_EIO);
    char want[700];
    snprintf(want, sizeof want, "cannot read '%s', planned for this batch: Too many levels of symbolic links", path);
    assert_string_equal(fx->err.message, want);
    assert_non_null(strstr(fx->err.hint, "ignore_missing_files"));
}

/* A named pipe put in a planned file's place must not block the batch
 * (open() of a FIFO waits for a writer); the alarm fails the test rather
 * than hanging it. */
static void test_file_source_does_not_hang_on_a_fifo_in_a_planned_file_s_place(void **state)
{
    struct fx *fx = *state;
    open_source(fx, NULL, "ignore_missing_files = true;");
    write_file(fx, "a.json", "{\"n\":1}\n");
    latest(fx, NULL, true);
    size_t n;
    assert_int_equal(fx->p->plan_read(fx->state, NULL, "{\"logOffset\":1}", &n, &fx->err), SLUICE_OK);
    char path[512];
    path_in(fx, "a.json", path, sizeof path);
    unlink(path);
    assert_int_equal(mkfifo(path, 0600), 0);
    alarm(10);
    stderr_capture();
    struct collected c = { 0 };
    int rc = fx->p->read(fx->state, 0, collect, &c, &fx->err);
    char *log = stderr_captured();
    alarm(0);
    assert_int_equal(rc, SLUICE_OK);
    assert_int_equal(c.batches, 0);
    assert_non_null(strstr(log, "it is no longer a regular file (ignore_missing_files)"));
    free(log);
}

/* ---- entries that cannot be listed as files ------------------------------- */

static void test_file_source_skips_entries_it_cannot_stat_and_says_so_once(void **state)
{
    struct fx *fx = *state;
    open_source(fx, NULL, NULL);
    write_file(fx, "a.json", "{\"n\":1}\n");
    char loop[512], dangling[512], fifo[512], sub[512];
    path_in(fx, "loop.json", loop, sizeof loop);
    path_in(fx, "dangling.json", dangling, sizeof dangling);
    path_in(fx, "fifo.json", fifo, sizeof fifo);
    path_in(fx, "sub", sub, sizeof sub);
    assert_int_equal(symlink("loop.json", loop), 0);
    assert_int_equal(symlink("nowhere.json", dangling), 0);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(mkdir(sub, 0700), 0);
    stderr_capture();
    const char *first = strdup(latest(fx, NULL, true));
    write_file(fx, "b.json", "{\"n\":2}\n");
    const char *second = strdup(latest(fx, "{\"logOffset\":1}", true));
    char *log = stderr_captured();
    assert_string_equal(first, "{\"logOffset\":1}");
    assert_string_equal(second, "{\"logOffset\":2}");
    char want[700];
    snprintf(want, sizeof want, "skipping '%s': a loop of symbolic links", loop);
    assert_int_equal(occurrences(log, want), 1);
    snprintf(want, sizeof want, "skipping '%s': a symbolic link to nothing", dangling);
    assert_int_equal(occurrences(log, want), 1);
    snprintf(want, sizeof want, "skipping '%s': a named pipe, not a regular file", fifo);
    assert_int_equal(occurrences(log, want), 1);
    free(log);
    free((void *)first);
    free((void *)second);
    /* The link, once it points at a file, is a new file like any other. */
    unlink(dangling);
    write_file(fx, "dangling.json", "{\"n\":3}\n");
    assert_string_equal(latest(fx, "{\"logOffset\":2}", true), "{\"logOffset\":3}");
}

/* ---- files written in place (min_file_age) ------------------------------- */

static void test_file_source_holds_back_a_file_younger_than_min_file_age(void **state)
{
    struct fx *fx = *state;
    open_source(fx, NULL, "min_file_age = \"1 hour\";");
    write_file(fx, "new.json", "{\"n\":1}\n");
    write_file(fx, "old.json", "{\"n\":2}\n");
    set_mtime(fx, "old.json", time(NULL) - 7200);
    /* Old at first sight: read at once (so `once` reads it too). */
    assert_string_equal(latest(fx, NULL, true), "{\"logOffset\":1}");
    char *rows = read_range(fx, NULL, "{\"logOffset\":1}", NULL, NULL);
    assert_string_equal(rows, "{\"a\":null,\"n\":2}\n");
    free(rows);
    /* Still young at the next listing. */
    assert_string_equal(latest(fx, "{\"logOffset\":1}", true), "{\"logOffset\":1}");
}

/* A writer that sets an old mtime while it still writes (or a clock that
 * disagrees with the file system's): a change seen between two listings
 * restarts the count. */
static void test_file_source_counts_min_file_age_from_a_change_it_saw(void **state)
{
    struct fx *fx = *state;
    open_source(fx, NULL, "min_file_age = \"300 milliseconds\";");
    write_file(fx, "a.json", "{\"n\":1}\n");
    assert_string_equal(latest(fx, NULL, true), "");
    char path[512];
    path_in(fx, "a.json", path, sizeof path);
    FILE *f = fopen(path, "ab");
    fputs("{\"n\":2}\n", f);
    fclose(f);
    set_mtime(fx, "a.json", time(NULL) - 3600);
    assert_string_equal(latest(fx, NULL, true), "");
    struct timespec ts = { 0, 400 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    assert_string_equal(latest(fx, NULL, true), "{\"logOffset\":1}");
    char *rows = read_range(fx, NULL, "{\"logOffset\":1}", NULL, NULL);
    assert_string_equal(rows, "{\"a\":null,\"n\":1}\n{\"a\":null,\"n\":2}\n");
    free(rows);
}

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A file that stops changing sends no event: wait() must end when it is
 * old enough, not at the core's timeout. */
static void test_file_source_wait_ends_when_a_held_back_file_is_old_enough(void **state)
{
    struct fx *fx = *state;
    open_source(fx, NULL, "min_file_age = \"200 milliseconds\";");
    write_file(fx, "a.json", "{\"n\":1}\n");
    assert_string_equal(latest(fx, NULL, true), "");
    assert_int_equal(fx->p->wait(fx->state, 0, -1, &fx->err), SLUICE_OK); /* starts watching */
    int64_t t0 = mono_us();
    assert_int_equal(fx->p->wait(fx->state, 20000000, -1, &fx->err), SLUICE_OK);
    int64_t waited = mono_us() - t0;
    if (waited > 2000000) fail_msg("waited %lld us for a file 200 ms old", (long long)waited);
    assert_string_equal(latest(fx, NULL, true), "{\"logOffset\":1}");
}

static void test_file_source_warns_when_a_planned_file_changed_size(void **state)
{
    struct fx *fx = *state;
    open_source(fx, NULL, NULL);
    write_file(fx, "a.json", "{\"n\":1}\n");
    latest(fx, NULL, true);
    size_t n;
    assert_int_equal(fx->p->plan_read(fx->state, NULL, "{\"logOffset\":1}", &n, &fx->err), SLUICE_OK);
    char path[512];
    path_in(fx, "a.json", path, sizeof path);
    FILE *f = fopen(path, "ab");
    fputs("{\"n\":2}\n", f);
    fclose(f);
    stderr_capture();
    char *rows = read_unit(fx, 0);
    char *log = stderr_captured();
    assert_string_equal(rows, "{\"a\":null,\"n\":1}\n{\"a\":null,\"n\":2}\n");
    char want[700];
    snprintf(want, sizeof want, "'%s' changed size since it was planned (8 to 16 bytes): it is being written in place",
             path);
    assert_int_equal(occurrences(log, want), 1);
    assert_non_null(strstr(log, "or set min_file_age"));
    free(rows);
    free(log);
}

/* ---- a checkpoint reused with another path ------------------------------- */

static void make_dir(struct fx *fx, const char *name, char *out, size_t cap)
{
    path_in(fx, name, out, cap);
    assert_int_equal(mkdir(out, 0700), 0);
}

static void write_in(const char *dir, const char *name, const char *content)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
}

static void test_file_source_reads_a_new_path_s_files_whose_names_were_read_before(void **state)
{
    struct fx *fx = *state;
    char a[512], b[512], ckpt[512];
    make_dir(fx, "a", a, sizeof a);
    make_dir(fx, "b", b, sizeof b);
    path_in(fx, "ckpt", ckpt, sizeof ckpt);
    write_in(a, "x.json", "{\"n\":1}\n");
    write_in(b, "x.json", "{\"n\":2}\n");
    write_in(b, "y.json", "{\"n\":3}\n");
    fx->stage.name = "src"; /* the checkpoint keeps the log under sources/src/ */
    sluice_checkpoint_source_attach(&fx->stage, ckpt);
    assert_int_equal(open_source_with(fx, a, NULL, NULL), SLUICE_OK);
    assert_string_equal(latest(fx, NULL, true), "{\"logOffset\":1}");
    close_source(fx);

    /* The same directory written otherwise is the same directory. */
    char same[600];
    snprintf(same, sizeof same, "%s/./a/", fx->dir);
    assert_int_equal(open_source_with(fx, same, NULL, NULL), SLUICE_OK);
    assert_string_equal(latest(fx, "{\"logOffset\":1}", true), "{\"logOffset\":1}");
    close_source(fx);

    assert_int_equal(open_source_with(fx, b, NULL, NULL), SLUICE_OK);
    stderr_capture();
    const char *off = strdup(latest(fx, "{\"logOffset\":1}", true));
    char *log = stderr_captured();
    assert_string_equal(off, "{\"logOffset\":3}");
    free((void *)off);
    char *rows = read_range(fx, "{\"logOffset\":1}", "{\"logOffset\":3}", NULL, NULL);
    assert_string_equal(rows, "{\"a\":null,\"n\":2}\n{\"a\":null,\"n\":3}\n");
    free(rows);
    /* A replay of the batch planned under the old path reads the old file. */
    rows = read_range(fx, NULL, "{\"logOffset\":1}", NULL, NULL);
    assert_string_equal(rows, "{\"a\":null,\"n\":1}\n");
    free(rows);
    char want[2048];
    snprintf(want, sizeof want, "path '%s' (%s) is not the directory the checkpoint last read files from (%s)", b, b, a);
    assert_non_null(strstr(log, want));
    free(log);
    close_source(fx);

    /* Restarted again on b: its files are known, nothing is new. */
    assert_int_equal(open_source_with(fx, b, NULL, NULL), SLUICE_OK);
    assert_string_equal(latest(fx, "{\"logOffset\":3}", true), "{\"logOffset\":3}");
    sluice_checkpoint_source_detach(&fx->stage);
}

/* A log stored before files were kept with their directory names files of
 * the configured path: they are still known after an upgrade. */
static void test_file_source_reads_a_log_of_bare_names_as_files_of_its_path(void **state)
{
    struct fx *fx = *state;
    char ckpt[512];
    path_in(fx, "ckpt", ckpt, sizeof ckpt);
    write_file(fx, "x.json", "{\"n\":1}\n");
    write_file(fx, "y.json", "{\"n\":2}\n");
    fx->stage.name = "src"; /* the checkpoint keeps the log under sources/src/ */
    sluice_checkpoint_source_attach(&fx->stage, ckpt);
    open_source(fx, NULL, NULL);
    static const char v1[] = "file-log 1 0 1\nx.json";
    assert_int_equal(sluice_host()->meta_put(&fx->stage.ctx, 1, v1, sizeof v1, &fx->err), SLUICE_OK);
    assert_string_equal(latest(fx, "{\"logOffset\":1}", true), "{\"logOffset\":2}");
    char *rows = read_range(fx, NULL, "{\"logOffset\":2}", NULL, NULL);
    assert_string_equal(rows, "{\"a\":null,\"n\":1}\n{\"a\":null,\"n\":2}\n");
    free(rows);
    sluice_checkpoint_source_detach(&fx->stage);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_file_source_fails_on_a_planned_file_gone_naming_it_and_the_option),
        T(test_file_source_skips_a_planned_file_gone_with_ignore_missing_files),
        T(test_file_source_treats_an_unreadable_planned_file_as_a_missing_one),
        T(test_file_source_does_not_hang_on_a_fifo_in_a_planned_file_s_place),
        T(test_file_source_skips_entries_it_cannot_stat_and_says_so_once),
        T(test_file_source_holds_back_a_file_younger_than_min_file_age),
        T(test_file_source_counts_min_file_age_from_a_change_it_saw),
        T(test_file_source_wait_ends_when_a_held_back_file_is_old_enough),
        T(test_file_source_warns_when_a_planned_file_changed_size),
        T(test_file_source_reads_a_new_path_s_files_whose_names_were_read_before),
        T(test_file_source_reads_a_log_of_bare_names_as_files_of_its_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
