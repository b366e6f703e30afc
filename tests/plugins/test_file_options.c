/* The file source's Spark options beyond the basics, loaded from the real
 * .so and driven as the engine drives it: path_glob_filter,
 * max_bytes_per_trigger, max_file_age, clean_source. Expected files and
 * offsets are worked out by hand in each test's comment. */
#include "checkpoint_source.h"
#include "log.h"
#include "file_harness.h"

#include <limits.h>

static void write_files(struct fx *fx, const char *const *names)
{
    for (size_t i = 0; names[i]; i++) {
        char line[128];
        snprintf(line, sizeof line, "{\"a\":\"%s\"}\n", names[i]);
        write_file(fx, names[i], line);
    }
}

/* ---- path_glob_filter --------------------------------------------------- */

static const char *const mixed[] = { "tweets-1.json", "tweets-2.json", "tweets-10.json", "other.json",
                                     "tweets-3.csv", "notes.txt", "a1.json", "a3.json", "b.json", NULL };

/* Read every file the filter lets through: their names, in name order. */
static char *names_through(struct fx *fx, const char *glob)
{
    char extra[256];
    snprintf(extra, sizeof extra, "path_glob_filter = \"%s\";", glob);
    open_source(fx, NULL, extra);
    const char *end = latest(fx, NULL, true);
    char *rows = end[0] ? read_range(fx, NULL, end, NULL, NULL) : strdup("");
    close_source(fx);
    return rows;
}

static void test_path_glob_filter_matches_file_names_as_hadoop_globs(void **state)
{
    struct fx *fx = *state;
    write_files(fx, mixed);
    /* '?' is one character: tweets-10.json has two. */
    char *rows = names_through(fx, "tweets-?.json");
    assert_string_equal(rows, "{\"a\":\"tweets-1.json\",\"n\":null}\n{\"a\":\"tweets-2.json\",\"n\":null}\n");
    free(rows);
    /* Braces are alternatives: .json or .csv, not .txt. */
    rows = names_through(fx, "*.{json,csv}");
    assert_string_equal(rows, "{\"a\":\"a1.json\",\"n\":null}\n{\"a\":\"a3.json\",\"n\":null}\n"
                              "{\"a\":\"b.json\",\"n\":null}\n{\"a\":\"other.json\",\"n\":null}\n"
                              "{\"a\":\"tweets-1.json\",\"n\":null}\n{\"a\":\"tweets-10.json\",\"n\":null}\n"
                              "{\"a\":\"tweets-2.json\",\"n\":null}\n{\"a\":\"tweets-3.csv\",\"n\":null}\n");
    free(rows);
    /* A negated class: names not starting with t, a or b. */
    rows = names_through(fx, "[!tab]*");
    assert_string_equal(rows, "{\"a\":\"notes.txt\",\"n\":null}\n{\"a\":\"other.json\",\"n\":null}\n");
    free(rows);
    /* Nested braces, and a range: a1, a2 (absent) or b; a3 is not in [1-2]. */
    rows = names_through(fx, "{a[1-2],b}.json");
    assert_string_equal(rows, "{\"a\":\"a1.json\",\"n\":null}\n{\"a\":\"b.json\",\"n\":null}\n");
    free(rows);
    /* A quoted '*' is a star, which no name holds. */
    rows = names_through(fx, "\\\\*.json");
    assert_string_equal(rows, "");
    free(rows);
}

static void test_path_glob_filter_leaves_files_out_for_good_but_reads_matching_newcomers(void **state)
{
    struct fx *fx = *state;
    open_source(fx, NULL, "path_glob_filter = \"*.json\";");
    write_file(fx, "a.json", "{\"a\":\"a\"}\n");
    write_file(fx, "a.txt", "{\"a\":\"txt\"}\n");
    assert_string_equal(latest(fx, NULL, true), "{\"logOffset\":1}");
    write_file(fx, "b.txt", "{\"a\":\"txt\"}\n");
    assert_string_equal(latest(fx, "{\"logOffset\":1}", true), "{\"logOffset\":1}");
    write_file(fx, "b.json", "{\"a\":\"b\"}\n");
    assert_string_equal(latest(fx, "{\"logOffset\":1}", true), "{\"logOffset\":2}");
    char *rows = read_range(fx, NULL, "{\"logOffset\":2}", NULL, NULL);
    assert_string_equal(rows, "{\"a\":\"a\",\"n\":null}\n{\"a\":\"b\",\"n\":null}\n");
    free(rows);
}

static void test_path_glob_filter_refuses_an_unclosed_brace(void **state)
{
    struct fx *fx = *state;
    assert_int_equal(open_source_with(fx, fx->dir, NULL, "path_glob_filter = \"*.{json,csv\";"), SLUICE_ECONFIG);
    assert_string_equal(fx->err.message, "glob '*.{json,csv' has a '{' that is not closed");
}

/* ---- max_bytes_per_trigger ---------------------------------------------- */

/* Sizes: a, b, d, e, f 8 bytes each; c 30 bytes, more than the limit. */
static void write_sized_files(struct fx *fx)
{
    write_file(fx, "a.json", "{\"n\":1}\n");
    write_file(fx, "b.json", "{\"n\":2}\n");
    write_file(fx, "c.json", "{\"n\":3,\"a\":\"xxxxxxxxxxxxxxx\"}\n");
    write_file(fx, "d.json", "{\"n\":4}\n");
    write_file(fx, "e.json", "{\"n\":5}\n");
    write_file(fx, "f.json", "{\"n\":6}\n");
}

static void test_max_bytes_per_trigger_takes_files_while_they_fit_and_at_least_one(void **state)
{
    struct fx *fx = *state;
    write_sized_files(fx);
    open_source(fx, NULL, "max_bytes_per_trigger = 20;");
    /* a + b = 16; + c = 46 > 20. */
    assert_string_equal(latest(fx, NULL, true), "{\"logOffset\":2}");
    /* c alone is 30 > 20: taken anyway, alone (c + d = 38). */
    assert_string_equal(latest(fx, "{\"logOffset\":2}", true), "{\"logOffset\":3}");
    /* d + e = 16; + f = 24 > 20. */
    assert_string_equal(latest(fx, "{\"logOffset\":3}", true), "{\"logOffset\":5}");
    assert_string_equal(latest(fx, "{\"logOffset\":5}", true), "{\"logOffset\":6}");
    /* Unlimited (trigger once, available_now's target) ignores the limit. */
    assert_string_equal(latest(fx, NULL, false), "{\"logOffset\":6}");
    char *rows = read_range(fx, "{\"logOffset\":2}", "{\"logOffset\":3}", NULL, NULL);
    assert_string_equal(rows, "{\"a\":\"xxxxxxxxxxxxxxx\",\"n\":3}\n");
    free(rows);
}

static void test_max_bytes_per_trigger_with_latest_first_takes_the_newest_that_fit(void **state)
{
    struct fx *fx = *state;
    write_sized_files(fx);
    const char *names[] = { "a.json", "b.json", "c.json", "d.json", "e.json", "f.json" };
    for (int i = 0; i < 6; i++) set_mtime(fx, names[i], 1000 * (i + 1));
    open_source(fx, NULL, "max_bytes_per_trigger = 20; latest_first = true;");
    /* Newest first: f + e = 16; + d = 24 > 20. */
    assert_string_equal(latest(fx, NULL, true), "{\"logOffset\":2}");
    char *rows = read_range(fx, NULL, "{\"logOffset\":2}", NULL, NULL);
    assert_string_equal(rows, "{\"a\":null,\"n\":6}\n{\"a\":null,\"n\":5}\n");
    free(rows);
    /* d = 8; + c = 38 > 20. */
    assert_string_equal(latest(fx, "{\"logOffset\":2}", true), "{\"logOffset\":3}");
    /* c alone, too big but first. */
    assert_string_equal(latest(fx, "{\"logOffset\":3}", true), "{\"logOffset\":4}");
    /* b + a = 16. */
    assert_string_equal(latest(fx, "{\"logOffset\":4}", true), "{\"logOffset\":6}");
    rows = read_range(fx, "{\"logOffset\":3}", "{\"logOffset\":6}", NULL, NULL);
    assert_string_equal(rows, "{\"a\":\"xxxxxxxxxxxxxxx\",\"n\":3}\n{\"a\":null,\"n\":2}\n{\"a\":null,\"n\":1}\n");
    free(rows);
}

/* After a restart the queued files' sizes come from the directory, as
 * the checkpointed log keeps names only. */
static void test_max_bytes_per_trigger_sizes_files_of_a_restored_log(void **state)
{
    struct fx *fx = *state;
    char ckpt[512];
    snprintf(ckpt, sizeof ckpt, "%s/ckpt", fx->dir);
    write_sized_files(fx);
    fx->stage.name = "src";
    sluice_checkpoint_source_attach(&fx->stage, ckpt);
    open_source(fx, NULL, "max_bytes_per_trigger = 20;");
    assert_string_equal(latest(fx, NULL, true), "{\"logOffset\":2}");
    close_source(fx);
    open_source(fx, NULL, "max_bytes_per_trigger = 20;");
    assert_string_equal(latest(fx, "{\"logOffset\":2}", true), "{\"logOffset\":3}");
    assert_string_equal(latest(fx, "{\"logOffset\":3}", true), "{\"logOffset\":5}");
    sluice_checkpoint_source_detach(&fx->stage);
}

static void test_max_bytes_per_trigger_refuses_max_files_per_trigger_too(void **state)
{
    struct fx *fx = *state;
    assert_int_equal(open_source_with(fx, fx->dir, NULL, "max_bytes_per_trigger = 1000; max_files_per_trigger = 2;"),
                     SLUICE_ECONFIG);
    assert_string_equal(fx->err.message, "max_files_per_trigger and max_bytes_per_trigger cannot both be set, "
                                         "as in Spark: choose one");
}

/* ---- max_file_age ------------------------------------------------------- */

static void write_at(struct fx *fx, const char *name, time_t mtime)
{
    char line[64];
    snprintf(line, sizeof line, "{\"a\":\"%s\"}\n", name);
    write_file(fx, name, line);
    set_mtime(fx, name, mtime);
}

static void test_max_file_age_counts_back_from_the_newest_file_read(void **state)
{
    struct fx *fx = *state;
    open_source(fx, NULL, "max_file_age = \"1 hour\";");
    /* The first listing takes every file, however old: a is 10,000 s older than b. */
    write_at(fx, "a.json", 10000);
    write_at(fx, "b.json", 20000);
    assert_string_equal(latest(fx, NULL, true), "{\"logOffset\":2}");
    /* Newest 20,000, so files before 16,400 are left out: d (16,000) is,
     * c (17,000) and e (30,000) are not. */
    write_at(fx, "c.json", 17000);
    write_at(fx, "d.json", 16000);
    write_at(fx, "e.json", 30000);
    /* Said at info level (-v): the user asked for old files to be left out. */
    sluice_log_set_level(SLUICE_LOG_INFO);
    stderr_capture();
    assert_string_equal(latest(fx, "{\"logOffset\":2}", true), "{\"logOffset\":4}");
    assert_string_equal(latest(fx, "{\"logOffset\":4}", true), "{\"logOffset\":4}");
    char *log = stderr_captured();
    sluice_log_set_level(SLUICE_LOG_WARN);
    char want[512];
    snprintf(want, sizeof want, "skipping '%s/d.json': modified more than max_file_age before the newest file read",
             fx->dir);
    assert_int_equal(occurrences(log, want), 1); /* once, though listed twice */
    free(log);
    char *rows = read_range(fx, "{\"logOffset\":2}", "{\"logOffset\":4}", NULL, NULL);
    assert_string_equal(rows, "{\"a\":\"c.json\",\"n\":null}\n{\"a\":\"e.json\",\"n\":null}\n");
    free(rows);
    /* Newest now 30,000: before 26,400 is out. */
    write_at(fx, "f.json", 25000);
    write_at(fx, "g.json", 27000);
    assert_string_equal(latest(fx, "{\"logOffset\":4}", true), "{\"logOffset\":5}");
    rows = read_range(fx, "{\"logOffset\":4}", "{\"logOffset\":5}", NULL, NULL);
    assert_string_equal(rows, "{\"a\":\"g.json\",\"n\":null}\n");
    free(rows);
}

/* The newest modification time is kept in the checkpointed log, so a
 * restart ages files out as the run before would have. */
static void test_max_file_age_survives_a_restart(void **state)
{
    struct fx *fx = *state;
    char ckpt[512];
    snprintf(ckpt, sizeof ckpt, "%s/ckpt", fx->dir);
    fx->stage.name = "src";
    sluice_checkpoint_source_attach(&fx->stage, ckpt);
    open_source(fx, NULL, "max_file_age = \"1 hour\";");
    write_at(fx, "a.json", 10000);
    write_at(fx, "b.json", 20000);
    assert_string_equal(latest(fx, NULL, true), "{\"logOffset\":2}");
    close_source(fx);
    open_source(fx, NULL, "max_file_age = \"1 hour\";");
    write_at(fx, "c.json", 17000);
    write_at(fx, "d.json", 16000);
    assert_string_equal(latest(fx, "{\"logOffset\":2}", true), "{\"logOffset\":3}");
    char *rows = read_range(fx, "{\"logOffset\":2}", "{\"logOffset\":3}", NULL, NULL);
    assert_string_equal(rows, "{\"a\":\"c.json\",\"n\":null}\n");
    free(rows);
    sluice_checkpoint_source_detach(&fx->stage);
}

/* With latest_first and a limit Spark ignores maxFileAge: an old file
 * left for a later trigger would be aged out by the newer ones taken. */
static void test_max_file_age_is_ignored_with_latest_first_and_a_limit(void **state)
{
    struct fx *fx = *state;
    write_at(fx, "a.json", 10000);
    write_at(fx, "b.json", 20000);
    stderr_capture();
    open_source(fx, NULL, "max_file_age = \"1 hour\"; latest_first = true; max_files_per_trigger = 1;");
    char *log = stderr_captured();
    assert_non_null(strstr(log, "max_file_age is ignored with latest_first and max_files_per_trigger, as in Spark"));
    free(log);
    assert_string_equal(latest(fx, NULL, true), "{\"logOffset\":1}");
    assert_string_equal(latest(fx, "{\"logOffset\":1}", true), "{\"logOffset\":2}");
    char *rows = read_range(fx, NULL, "{\"logOffset\":2}", NULL, NULL);
    assert_string_equal(rows, "{\"a\":\"b.json\",\"n\":null}\n{\"a\":\"a.json\",\"n\":null}\n");
    free(rows);
}

/* A log stored before max_file_age (version 2, without the newest time)
 * still loads: its files are known, and the age counts from the files
 * listed after. */
static void test_max_file_age_reads_a_log_stored_without_the_newest_time(void **state)
{
    struct fx *fx = *state;
    char ckpt[512], real[PATH_MAX], v2[PATH_MAX + 64];
    snprintf(ckpt, sizeof ckpt, "%s/ckpt", fx->dir);
    assert_non_null(realpath(fx->dir, real));
    write_at(fx, "a.json", 20000);
    fx->stage.name = "src";
    sluice_checkpoint_source_attach(&fx->stage, ckpt);
    open_source(fx, NULL, "max_file_age = \"1 hour\";");
    int n = snprintf(v2, sizeof v2, "file-log 2 0 1\n%s%ca.json", real, '\0');
    assert_int_equal(sluice_host()->meta_put(&fx->stage.ctx, 1, v2, (size_t)n + 1, &fx->err), SLUICE_OK);
    write_at(fx, "b.json", 10000);
    write_at(fx, "c.json", 30000);
    /* a is known; b and c are new, both taken (nothing newer was known). */
    assert_string_equal(latest(fx, "{\"logOffset\":1}", true), "{\"logOffset\":3}");
    write_at(fx, "d.json", 25000);
    assert_string_equal(latest(fx, "{\"logOffset\":3}", true), "{\"logOffset\":3}");
    sluice_checkpoint_source_detach(&fx->stage);
}

/* Files in partitions are named by their path below the root, so the log
 * (version 4: tagged items) keeps names holding '/' and a restart knows
 * them; a version 3 log (untagged: a directory is the item with a '/')
 * still loads. The partition columns follow the data columns. */
static void test_partitioned_files_survive_a_restart_and_old_logs_load(void **state)
{
    struct fx *fx = *state;
    char ckpt[512], real[PATH_MAX], sub[PATH_MAX + 16], v3[PATH_MAX + 64];
    snprintf(ckpt, sizeof ckpt, "%s/ckpt", fx->dir);
    assert_non_null(realpath(fx->dir, real));
    snprintf(sub, sizeof sub, "%s/day=3", fx->dir);
    assert_int_equal(mkdir(sub, 0777), 0);
    write_file(fx, "day=3/x.json", "{\"a\":\"x\"}\n");
    fx->stage.name = "src";
    sluice_checkpoint_source_attach(&fx->stage, ckpt);
    open_source(fx, NULL, "partition_columns = [\"day\"];");
    /* A log an older sluice wrote, knowing old.json of an earlier path. */
    int n = snprintf(v3, sizeof v3, "file-log 3 0 1 0\n%s/was%cold.json", real, '\0');
    assert_int_equal(sluice_host()->meta_put(&fx->stage.ctx, 1, v3, (size_t)n + 1, &fx->err), SLUICE_OK);
    close_source(fx);
    open_source(fx, NULL, "partition_columns = [\"day\"];");
    assert_string_equal(latest(fx, "{\"logOffset\":1}", true), "{\"logOffset\":2}");
    char *rows = read_range(fx, "{\"logOffset\":1}", "{\"logOffset\":2}", NULL, NULL);
    assert_string_equal(rows, "{\"a\":\"x\",\"n\":null,\"day\":3}\n");
    free(rows);
    close_source(fx);
    open_source(fx, NULL, "partition_columns = [\"day\"];");
    assert_string_equal(latest(fx, "{\"logOffset\":2}", true), "{\"logOffset\":2}");
    sluice_checkpoint_source_detach(&fx->stage);
}

/* ---- clean_source ------------------------------------------------------- */

static bool exists_in(const char *dir, const char *name)
{
    char path[4 * PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct stat st;
    return lstat(path, &st) == 0;
}

static void commit(struct fx *fx, const char *end)
{
    assert_int_equal(fx->p->commit(fx->state, end, &fx->err), SLUICE_OK);
}

static void test_clean_source_deletes_the_files_of_a_committed_batch_only(void **state)
{
    struct fx *fx = *state;
    write_files(fx, (const char *const[]){ "a.json", "b.json", "c.json", NULL });
    open_source(fx, NULL, "clean_source = \"delete\"; max_files_per_trigger = 2;");
    assert_string_equal(latest(fx, NULL, true), "{\"logOffset\":2}");
    free(read_range(fx, NULL, "{\"logOffset\":2}", NULL, NULL));
    /* Planned and read, not committed: a replay may read them again. */
    assert_true(exists_in(fx->dir, "a.json") && exists_in(fx->dir, "b.json"));
    commit(fx, "{\"logOffset\":2}");
    assert_false(exists_in(fx->dir, "a.json"));
    assert_false(exists_in(fx->dir, "b.json"));
    assert_true(exists_in(fx->dir, "c.json")); /* known, not yet in a batch */
    assert_string_equal(latest(fx, "{\"logOffset\":2}", true), "{\"logOffset\":3}");
    free(read_range(fx, "{\"logOffset\":2}", "{\"logOffset\":3}", NULL, NULL));
    assert_true(exists_in(fx->dir, "c.json"));
    commit(fx, "{\"logOffset\":3}");
    assert_false(exists_in(fx->dir, "c.json"));
    /* The names stay in the log: a file written again under one is not new. */
    write_file(fx, "a.json", "{\"a\":\"again\"}\n");
    assert_string_equal(latest(fx, "{\"logOffset\":3}", true), "{\"logOffset\":3}");
}

/* A batch planned, then the process gone before its commit: the files
 * stay, the restart replays the batch from them, and cleans them once
 * that commits. */
static void test_clean_source_keeps_the_files_of_a_batch_to_replay(void **state)
{
    struct fx *fx = *state;
    char ckpt[512];
    snprintf(ckpt, sizeof ckpt, "%s/ckpt", fx->dir);
    write_files(fx, (const char *const[]){ "a.json", "b.json", NULL });
    fx->stage.name = "src";
    sluice_checkpoint_source_attach(&fx->stage, ckpt);
    open_source(fx, NULL, "clean_source = \"delete\";");
    assert_string_equal(latest(fx, NULL, true), "{\"logOffset\":2}");
    free(read_range(fx, NULL, "{\"logOffset\":2}", NULL, NULL));
    close_source(fx); /* no commit */
    assert_true(exists_in(fx->dir, "a.json") && exists_in(fx->dir, "b.json"));
    open_source(fx, NULL, "clean_source = \"delete\";");
    char *rows = read_range(fx, NULL, "{\"logOffset\":2}", NULL, NULL);
    assert_string_equal(rows, "{\"a\":\"a.json\",\"n\":null}\n{\"a\":\"b.json\",\"n\":null}\n");
    free(rows);
    commit(fx, "{\"logOffset\":2}");
    assert_false(exists_in(fx->dir, "a.json") || exists_in(fx->dir, "b.json"));
    sluice_checkpoint_source_detach(&fx->stage);
}

static void test_clean_source_archives_at_the_full_path_and_never_replaces(void **state)
{
    struct fx *fx = *state;
    char arch[] = "/tmp/sluice-test-archive-XXXXXX", real[PATH_MAX], where[2 * PATH_MAX];
    assert_non_null(mkdtemp(arch));
    assert_non_null(realpath(fx->dir, real));
    snprintf(where, sizeof where, "%s%s", arch, real);
    write_files(fx, (const char *const[]){ "a.json", "b.json", NULL });
    /* b.json is already in the archive: it must stay as it is. */
    char cmd[5 * PATH_MAX];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && echo old > '%s/b.json'", where, where);
    assert_int_equal(system(cmd), 0);
    char extra[PATH_MAX + 64];
    snprintf(extra, sizeof extra, "clean_source = \"archive\"; source_archive_dir = \"%s\";", arch);
    open_source(fx, NULL, extra);
    assert_string_equal(latest(fx, NULL, true), "{\"logOffset\":2}");
    free(read_range(fx, NULL, "{\"logOffset\":2}", NULL, NULL));
    stderr_capture();
    commit(fx, "{\"logOffset\":2}");
    char *log = stderr_captured();
    assert_false(exists_in(fx->dir, "a.json"));
    assert_true(exists_in(where, "a.json"));
    assert_true(exists_in(fx->dir, "b.json")); /* left where it was */
    char want[4 * PATH_MAX];
    snprintf(want, sizeof want, "clean_source: cannot move '%s/b.json' to '%s/b.json': File exists; '%s/b.json' stays "
             "where it is", fx->dir, where, fx->dir);
    assert_non_null(strstr(log, want));
    free(log);
    FILE *f = fopen(strcat(where, "/b.json"), "r");
    char line[16] = "";
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    assert_string_equal(line, "old\n");
    remove_tree(arch);
}

/* /dev/shm is another file system (tmpfs) on most machines: the move is a
 * copy, then the source removed. */
static void test_clean_source_archives_across_file_systems(void **state)
{
    struct fx *fx = *state;
    struct stat a, b;
    char arch[] = "/dev/shm/sluice-test-archive-XXXXXX", real[PATH_MAX], where[2 * PATH_MAX];
    if (stat("/dev/shm", &a) != 0 || stat(fx->dir, &b) != 0 || a.st_dev == b.st_dev || !mkdtemp(arch)) {
        skip();
        return;
    }
    assert_non_null(realpath(fx->dir, real));
    snprintf(where, sizeof where, "%s%s", arch, real);
    write_file(fx, "a.json", "{\"a\":\"moved\"}\n");
    char extra[PATH_MAX + 64];
    snprintf(extra, sizeof extra, "clean_source = \"archive\"; source_archive_dir = \"%s\";", arch);
    open_source(fx, NULL, extra);
    assert_string_equal(latest(fx, NULL, true), "{\"logOffset\":1}");
    free(read_range(fx, NULL, "{\"logOffset\":1}", NULL, NULL));
    commit(fx, "{\"logOffset\":1}");
    assert_false(exists_in(fx->dir, "a.json"));
    FILE *f = fopen(strcat(where, "/a.json"), "r");
    assert_non_null(f);
    char line[32] = "";
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    assert_string_equal(line, "{\"a\":\"moved\"}\n");
    remove_tree(arch);
}

static void test_clean_source_refuses_an_archive_inside_path_or_none(void **state)
{
    struct fx *fx = *state;
    char extra[PATH_MAX + 64], real[PATH_MAX], want[4 * PATH_MAX];
    assert_non_null(realpath(fx->dir, real));
    snprintf(extra, sizeof extra, "clean_source = \"archive\"; source_archive_dir = \"%s/./done/../archive\";", fx->dir);
    assert_int_equal(open_source_with(fx, fx->dir, NULL, extra), SLUICE_ECONFIG);
    snprintf(want, sizeof want, "source_archive_dir '%s/./done/../archive' (%s/archive) is inside path '%s' (%s)",
             fx->dir, real, fx->dir, real);
    assert_string_equal(fx->err.message, want);
    close_source(fx);
    assert_int_equal(open_source_with(fx, fx->dir, NULL, "clean_source = \"archive\";"), SLUICE_ECONFIG);
    assert_string_equal(fx->err.message, "clean_source = \"archive\" needs source_archive_dir, where files go");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_path_glob_filter_matches_file_names_as_hadoop_globs),
        T(test_path_glob_filter_leaves_files_out_for_good_but_reads_matching_newcomers),
        T(test_path_glob_filter_refuses_an_unclosed_brace),
        T(test_max_bytes_per_trigger_takes_files_while_they_fit_and_at_least_one),
        T(test_max_bytes_per_trigger_with_latest_first_takes_the_newest_that_fit),
        T(test_max_bytes_per_trigger_sizes_files_of_a_restored_log),
        T(test_max_bytes_per_trigger_refuses_max_files_per_trigger_too),
        T(test_max_file_age_counts_back_from_the_newest_file_read),
        T(test_max_file_age_survives_a_restart),
        T(test_max_file_age_is_ignored_with_latest_first_and_a_limit),
        T(test_max_file_age_reads_a_log_stored_without_the_newest_time),
        T(test_partitioned_files_survive_a_restart_and_old_logs_load),
        T(test_clean_source_deletes_the_files_of_a_committed_batch_only),
        T(test_clean_source_keeps_the_files_of_a_batch_to_replay),
        T(test_clean_source_archives_at_the_full_path_and_never_replaces),
        T(test_clean_source_archives_across_file_systems),
        T(test_clean_source_refuses_an_archive_inside_path_or_none),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
