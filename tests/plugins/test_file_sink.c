/* The `file` sink, loaded from its real .so and driven through the real
 * host table into a scratch directory, and `sluice cat` reading what it
 * wrote: exact part file names and contents, manifests, replays of a
 * committed and of an uncommitted batch, CSV text, and cat's output and
 * errors. */
#define _XOPEN_SOURCE 700 /* nftw */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <libconfig.h>

#include "error.h"
#include "host.h"
#include "registry.h"
#include "options.h"
#include "schema.h"
#include "stage.h"

#define PLUGIN_SO SLUICE_TEST_BINARY_DIR "/plugins/sluice_sink_file.so"

/* ---- fixture ------------------------------------------------------------ */

struct fx {
    struct sluice_loaded loaded;
    const struct sluice_plugin *p;
    const struct sluice_host *h;
    char dir[64];  /* scratch directory */
    char out[96];  /* the sink's path: dir/out */
    config_t cfg;
    bool cfg_live;
    void *conf;
    struct sluice_options_storage storage;
    struct ArrowSchema schema;
    struct sluice_stage stage;
    void *state;
    struct sluice_error err;
};

static int setup(void **state)
{
    struct fx *fx = calloc(1, sizeof *fx);
    int rc = sluice_registry_load_file(PLUGIN_SO, &fx->loaded, &fx->err);
    if (rc) fail_msg("loading %s: %s", PLUGIN_SO, fx->err.message);
    fx->p = fx->loaded.plugin;
    fx->h = sluice_host();
    snprintf(fx->dir, sizeof fx->dir, "/tmp/sluice-file-sink-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->out, sizeof fx->out, "%s/out", fx->dir);
    *state = fx;
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

/* Close the sink and forget its config (the directory stays). */
static void sink_close(struct fx *fx)
{
    if (fx->state) fx->p->close(fx->state);
    fx->state = NULL;
    sluice_ctx_free(&fx->stage.ctx);
    memset(&fx->stage, 0, sizeof fx->stage);
    sluice_schema_release(&fx->schema);
    sluice_options_storage_free(&fx->storage);
    memset(&fx->storage, 0, sizeof fx->storage);
    free(fx->conf);
    fx->conf = NULL;
    if (fx->cfg_live) config_destroy(&fx->cfg);
    fx->cfg_live = false;
}

static int teardown(void **state)
{
    struct fx *fx = *state;
    sink_close(fx);
    nftw(fx->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    sluice_registry_unload(&fx->loaded);
    free(fx);
    return 0;
}

/* Open the sink on rows of `ddl` writing to fx->out with `extra` settings;
 * returns open()'s status (the error is in fx->err). */
static int try_open(struct fx *fx, const char *ddl, const char *extra)
{
    sink_close(fx);
    config_init(&fx->cfg);
    fx->cfg_live = true;
    int rc = sluice_schema_parse(ddl, &fx->schema, &fx->err);
    if (rc) fail_msg("schema: %s", fx->err.message);
    char text[1024];
    snprintf(text, sizeof text,
             "stage = { name = \"out\"; input = \"in\"; sink = \"file\"; path = \"%s\"; %s };", fx->out,
             extra ? extra : "");
    if (!config_read_string(&fx->cfg, text)) fail_msg("config: %s", config_error_text(&fx->cfg));
    fx->conf = calloc(1, fx->p->conf_size);
    static const char *const core_keys[] = { "name", "input", "sink", NULL };
    rc = sluice_options_apply(fx->p, config_lookup(&fx->cfg, "stage"), core_keys, fx->conf, &fx->storage,
                              &fx->err);
    if (rc) fail_msg("options: %s", fx->err.message);
    fx->stage.name = "out";
    fx->stage.kind = SLUICE_STAGE_SINK;
    fx->stage.plugin = fx->p;
    fx->stage.ctx.stage = &fx->stage;
    fx->stage.ctx.host = fx->h;
    fx->stage.ctx.input_schema = &fx->schema;
    memset(&fx->err, 0, sizeof fx->err);
    return fx->p->open(fx->h, fx->conf, &fx->stage.ctx, &fx->state, &fx->err);
}

static void open_sink(struct fx *fx, const char *ddl, const char *extra)
{
    if (try_open(fx, ddl, extra)) fail_msg("open: %s", fx->err.message);
    assert_true(fx->stage.ctx.use_all);
}

static void begin(struct fx *fx, int64_t id)
{
    int rc = fx->p->begin(fx->state, id, SLUICE_MODE_APPEND, &fx->err);
    if (rc) fail_msg("begin: %s", fx->err.message);
}

static void end(struct fx *fx, int64_t id)
{
    int rc = fx->p->end(fx->state, id, &fx->err);
    if (rc) fail_msg("end: %s", fx->err.message);
}

/* Write rows of (id LONG, s STRING): ids[i], strs[i] (NULL: null). */
static void write_ls(struct fx *fx, int n, const int64_t *ids, const char *const *strs)
{
    struct sluice_builder *b = fx->h->builder_new(&fx->schema);
    for (int i = 0; i < n; i++) {
        fx->h->append_struct(b);
        fx->h->append_long(fx->h->builder_child(b, 0), ids[i]);
        struct sluice_builder *s = fx->h->builder_child(b, 1);
        if (strs[i]) fx->h->append_string(s, strs[i], strlen(strs[i]));
        else fx->h->append_null(s);
    }
    struct sluice_batch batch;
    fx->h->builder_finish(b, &batch);
    fx->h->builder_free(b);
    int rc = fx->p->write(fx->state, &batch, &fx->err);
    if (rc) fail_msg("write: %s", fx->err.message);
}

static void write_one(struct fx *fx, int64_t id, const char *s)
{
    write_ls(fx, 1, &id, &s);
}

/* ---- reading the directory ---------------------------------------------- */

static char *slurp(const char *dir, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *text = calloc(1, (size_t)n + 1);
    assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return text;
}

static void assert_file(struct fx *fx, const char *name, const char *want)
{
    char *got = slurp(fx->out, name);
    if (!got) fail_msg("%s/%s is missing", fx->out, name);
    assert_string_equal(got, want);
    free(got);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in `sub` of the output (hidden ones too), sorted, space-separated. */
static char *listing(struct fx *fx, const char *sub)
{
    char path[256];
    snprintf(path, sizeof path, "%s%s%s", fx->out, *sub ? "/" : "", sub);
    DIR *d = opendir(path);
    if (!d) return strdup("(none)");
    char *names[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 64)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    char *out = calloc(1, 4096);
    for (int i = 0; i < n; i++) {
        if (i) strcat(out, " ");
        strcat(out, names[i]);
        free(names[i]);
    }
    return out;
}

static void assert_listing(struct fx *fx, const char *sub, const char *want)
{
    char *got = listing(fx, sub);
    assert_string_equal(got, want);
    free(got);
}

/* ---- running `sluice cat` ----------------------------------------------- */

struct cat_result {
    int status;
    char *out, *err;
};

static char *read_back(FILE *f)
{
    long n = ftell(f);
    char *text = calloc(1, (size_t)n + 1);
    rewind(f);
    assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return text;
}

/* Run the real `sluice cat` with `args` (NULL-terminated), capturing stdout and stderr. */
static struct cat_result run_cat(const char *first, ...)
{
    char *argv[8] = { SLUICE_TEST_BINARY_DIR "/sluice", "cat" };
    int argc = 2;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && argc < 7; a = va_arg(ap, const char *)) argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    FILE *o = tmpfile(), *e = tmpfile();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fileno(o), STDOUT_FILENO);
        dup2(fileno(e), STDERR_FILENO);
        execv(argv[0], argv);
        _exit(127);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    struct cat_result r = { .status = WEXITSTATUS(status) };
    fseek(o, 0, SEEK_END);
    fseek(e, 0, SEEK_END);
    r.out = read_back(o);
    r.err = read_back(e);
    return r;
}

static void cat_free(struct cat_result *r)
{
    free(r->out);
    free(r->err);
}

static void assert_cat(struct fx *fx, const char *want)
{
    struct cat_result r = run_cat(fx->out, NULL);
    if (r.status) fail_msg("cat failed (%d): %s", r.status, r.err);
    assert_string_equal(r.out, want);
    cat_free(&r);
}

#define LS "id LONG, s STRING"
#define SCHEMA_LS                                                                                \
    "{\"fields\":[{\"metadata\":{},\"name\":\"id\",\"nullable\":true,\"type\":\"long\"},"        \
    "{\"metadata\":{},\"name\":\"s\",\"nullable\":true,\"type\":\"string\"}],\"type\":\"struct\"}\n"

/* ---- the contract --------------------------------------------------------- */

static void test_file_sink_accepts_append_mode_only(void **state)
{
    struct fx *fx = *state;
    /* The core refuses other modes with "Data source file does not support ... output mode". */
    assert_int_equal(fx->p->modes, SLUICE_MODE_APPEND);
    assert_string_equal(fx->p->name, "file");
    assert_int_equal(fx->p->kind, SLUICE_KIND_SINK);
}

static void test_file_sink_names_one_part_file_per_write_after_its_batch(void **state)
{
    struct fx *fx = *state;
    open_sink(fx, LS, NULL);
    begin(fx, 3);
    write_ls(fx, 2, (const int64_t[]){ 1, 2 }, (const char *const[]){ "a", NULL });
    write_one(fx, 3, "c");
    end(fx, 3);
    assert_listing(fx, "", "_sluice_manifest part-00003-00000.json part-00003-00001.json");
    assert_file(fx, "part-00003-00000.json", "{\"id\":1,\"s\":\"a\"}\n{\"id\":2,\"s\":null}\n");
    assert_file(fx, "part-00003-00001.json", "{\"id\":3,\"s\":\"c\"}\n");
}

static void test_file_sink_writes_a_manifest_and_the_schema_and_no_temporary_files(void **state)
{
    struct fx *fx = *state;
    open_sink(fx, LS, NULL);
    begin(fx, 0);
    write_ls(fx, 2, (const int64_t[]){ 1, 2 }, (const char *const[]){ "a", "b" });
    write_one(fx, 3, "c");
    end(fx, 0);
    begin(fx, 1);
    write_one(fx, 4, "d");
    end(fx, 1);
    assert_listing(fx, "_sluice_manifest", "0 1 schema");
    assert_file(fx, "_sluice_manifest/0",
                "{\"version\":1,\"batch_id\":0,\"format\":\"json\","
                "\"files\":[\"part-00000-00000.json\",\"part-00000-00001.json\"],\"rows\":3}\n");
    assert_file(fx, "_sluice_manifest/1",
                "{\"version\":1,\"batch_id\":1,\"format\":\"json\","
                "\"files\":[\"part-00001-00000.json\"],\"rows\":1}\n");
    assert_file(fx, "_sluice_manifest/schema", SCHEMA_LS);
    /* Every temporary '.' name was renamed away. */
    assert_listing(fx, "",
                   "_sluice_manifest part-00000-00000.json part-00000-00001.json part-00001-00000.json");
}

static void test_file_sink_commits_an_empty_batch_with_no_files(void **state)
{
    struct fx *fx = *state;
    open_sink(fx, LS, NULL);
    begin(fx, 0);
    write_ls(fx, 0, NULL, NULL); /* an empty write makes no empty file */
    end(fx, 0);
    assert_listing(fx, "", "_sluice_manifest");
    assert_file(fx, "_sluice_manifest/0",
                "{\"version\":1,\"batch_id\":0,\"format\":\"json\",\"files\":[],\"rows\":0}\n");
    assert_cat(fx, "");
}

static void test_file_sink_creates_nothing_before_the_first_batch(void **state)
{
    struct fx *fx = *state;
    /* `sluice check` opens every sink: it must not leave directories behind. */
    snprintf(fx->out, sizeof fx->out, "%s/a/b/out", fx->dir);
    open_sink(fx, LS, NULL);
    sink_close(fx);
    struct stat st;
    char a[128];
    snprintf(a, sizeof a, "%s/a", fx->dir);
    assert_int_equal(stat(a, &st), -1);
    /* ...and the first batch creates the whole path. */
    open_sink(fx, LS, NULL);
    begin(fx, 0);
    write_one(fx, 1, "x");
    end(fx, 0);
    assert_listing(fx, "", "_sluice_manifest part-00000-00000.json");
}

/* ---- replays ---------------------------------------------------------------- */

static void test_file_sink_skips_a_replay_of_a_committed_batch(void **state)
{
    struct fx *fx = *state;
    open_sink(fx, LS, NULL);
    begin(fx, 0);
    write_one(fx, 1, "first");
    end(fx, 0);
    /* A restart that delivers batch 0 again, e.g. killed between the sink's
     * end() and the checkpoint's commit: Spark skips it, and so does the sink. */
    open_sink(fx, LS, NULL);
    begin(fx, 0);
    write_one(fx, 2, "again");
    write_one(fx, 3, "again");
    end(fx, 0);
    assert_listing(fx, "", "_sluice_manifest part-00000-00000.json");
    assert_file(fx, "part-00000-00000.json", "{\"id\":1,\"s\":\"first\"}\n");
    assert_file(fx, "_sluice_manifest/0",
                "{\"version\":1,\"batch_id\":0,\"format\":\"json\","
                "\"files\":[\"part-00000-00000.json\"],\"rows\":1}\n");
    /* The next batch is written as usual. */
    begin(fx, 1);
    write_one(fx, 4, "next");
    end(fx, 1);
    assert_cat(fx, "{\"id\":1,\"s\":\"first\"}\n{\"id\":4,\"s\":\"next\"}\n");
}

static void test_file_sink_replaces_what_an_uncommitted_attempt_left(void **state)
{
    struct fx *fx = *state;
    open_sink(fx, LS, NULL);
    begin(fx, 0);
    write_one(fx, 1, "kept");
    end(fx, 0);
    /* Batch 1 dies after two part files, with a third half-written. */
    begin(fx, 1);
    write_one(fx, 10, "lost");
    write_one(fx, 11, "lost");
    sink_close(fx);
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s/.part-00001-00002.json.tmp", fx->out);
    FILE *f = fopen(tmp, "w");
    fputs("{\"id\":12,", f);
    fclose(f);
    assert_cat(fx, "{\"id\":1,\"s\":\"kept\"}\n"); /* never visible */

    open_sink(fx, LS, NULL);
    begin(fx, 1);
    write_one(fx, 20, "new");
    end(fx, 1);
    assert_listing(fx, "", "_sluice_manifest part-00000-00000.json part-00001-00000.json");
    assert_file(fx, "part-00001-00000.json", "{\"id\":20,\"s\":\"new\"}\n");
    assert_file(fx, "_sluice_manifest/1",
                "{\"version\":1,\"batch_id\":1,\"format\":\"json\","
                "\"files\":[\"part-00001-00000.json\"],\"rows\":1}\n");
    assert_cat(fx, "{\"id\":1,\"s\":\"kept\"}\n{\"id\":20,\"s\":\"new\"}\n");
}

static void test_file_sink_leftover_cleanup_touches_only_that_batch(void **state)
{
    struct fx *fx = *state;
    open_sink(fx, LS, NULL);
    begin(fx, 0);
    write_one(fx, 1, "x");
    end(fx, 0);
    sink_close(fx);
    /* Files of other batches, and names the sink never writes, stay. */
    const char *names[] = { "part-00002-00000.json", "part-00010-00000.json", "part-2-0.json",
                            "part-00001-c000.json", "notes.txt" };
    for (size_t i = 0; i < 5; i++) {
        char path[160];
        snprintf(path, sizeof path, "%s/%s", fx->out, names[i]);
        FILE *f = fopen(path, "w");
        fclose(f);
    }
    open_sink(fx, LS, NULL);
    begin(fx, 1);
    end(fx, 1);
    assert_listing(fx, "", "_sluice_manifest notes.txt part-00000-00000.json part-00001-c000.json "
                           "part-00002-00000.json part-00010-00000.json part-2-0.json");
    begin(fx, 2);
    end(fx, 2);
    assert_listing(fx, "", "_sluice_manifest notes.txt part-00000-00000.json part-00001-c000.json "
                           "part-00010-00000.json part-2-0.json");
}

static void test_file_sink_refuses_a_second_writer_on_the_same_path(void **state)
{
    struct fx *fx = *state;
    open_sink(fx, LS, NULL);
    begin(fx, 0);
    void *first = fx->state;
    fx->state = NULL;
    assert_int_equal(fx->p->open(fx->h, fx->conf, &fx->stage.ctx, &fx->state, &fx->err), SLUICE_OK);
    assert_int_equal(fx->p->begin(fx->state, 0, SLUICE_MODE_APPEND, &fx->err), SLUICE_EIO);
    char want[256];
    snprintf(want, sizeof want, "path '%s' is being written by another process", fx->out);
    assert_string_equal(fx->err.message, want);
    fx->p->close(first);
}

/* ---- load-time errors ------------------------------------------------------ */

static void test_file_sink_refuses_a_path_that_is_a_file(void **state)
{
    struct fx *fx = *state;
    FILE *f = fopen(fx->out, "w");
    fclose(f);
    assert_int_equal(try_open(fx, LS, NULL), SLUICE_ECONFIG);
    char want[256];
    snprintf(want, sizeof want, "path '%s' exists and is not a directory", fx->out);
    assert_string_equal(fx->err.message, want);
    assert_string_equal(fx->err.key, "path");
}

static void test_file_sink_refuses_nested_columns_in_csv(void **state)
{
    struct fx *fx = *state;
    const char *nested = "id LONG, data STRUCT<lang: STRING, ids: ARRAY<LONG>>";
    assert_int_equal(try_open(fx, nested, "format = \"csv\";"), SLUICE_ECONFIG);
    assert_string_equal(fx->err.message,
                        "CSV data source does not support struct<lang:string,ids:array<bigint>> data type "
                        "(column 'data')");
    assert_string_equal(fx->err.key, "format");
    assert_int_equal(try_open(fx, "tags ARRAY<STRING>", "format = \"csv\";"), SLUICE_ECONFIG);
    assert_string_equal(fx->err.message,
                        "CSV data source does not support array<string> data type (column 'tags')");
    /* JSON holds them. */
    open_sink(fx, nested, NULL);
}

static void test_file_sink_refuses_rows_of_another_schema_in_the_same_path(void **state)
{
    struct fx *fx = *state;
    open_sink(fx, LS, NULL);
    begin(fx, 0);
    end(fx, 0);
    assert_int_equal(try_open(fx, "id LONG, s STRING, extra DOUBLE", NULL), SLUICE_ECONFIG);
    char want[512];
    snprintf(want, sizeof want, "path '%s' holds rows of another schema (see %s/_sluice_manifest/schema)",
             fx->out, fx->out);
    assert_string_equal(fx->err.message, want);
    assert_int_equal(try_open(fx, "id LONG, t STRING", NULL), SLUICE_ECONFIG);
    /* The same columns are fine, nullability aside, and so is another format. */
    open_sink(fx, "id LONG NOT NULL, s STRING", "format = \"csv\";");
}

/* ---- CSV ------------------------------------------------------------------ */

static void test_file_sink_writes_csv_as_spark_does(void **state)
{
    struct fx *fx = *state;
    open_sink(fx, "s STRING, n LONG, x DOUBLE, t TIMESTAMP, b BOOLEAN", "format = \"csv\"; header = true;");
    struct sluice_builder *b = fx->h->builder_new(&fx->schema);
    struct sluice_builder *s = fx->h->builder_child(b, 0), *n = fx->h->builder_child(b, 1),
                          *x = fx->h->builder_child(b, 2), *t = fx->h->builder_child(b, 3),
                          *o = fx->h->builder_child(b, 4);
    static const char *const strs[] = { "plain", "", "a,b", "say \"hi\"", "two\nlines", " spaced ", NULL };
    static const double xs[] = { 1.5, 1e10, -0.0, 0.1, __builtin_nan(""), __builtin_inf(), 0 };
    for (int i = 0; i < 7; i++) {
        fx->h->append_struct(b);
        if (strs[i]) fx->h->append_string(s, strs[i], strlen(strs[i]));
        else fx->h->append_null(s);
        if (i < 6) fx->h->append_long(n, i == 1 ? INT64_MIN : i * 1000 - 2);
        else fx->h->append_null(n);
        if (i < 6) fx->h->append_double(x, xs[i]);
        else fx->h->append_null(x);
        /* 2021-05-03T07:55:40.123456Z; then before the epoch */
        if (i == 0) fx->h->append_timestamp(t, INT64_C(1620028540123456));
        else if (i == 1) fx->h->append_timestamp(t, -1000);
        else fx->h->append_null(t);
        if (i < 2) fx->h->append_bool(o, i == 0);
        else fx->h->append_null(o);
    }
    struct sluice_batch batch;
    fx->h->builder_finish(b, &batch);
    fx->h->builder_free(b);
    begin(fx, 0);
    assert_int_equal(fx->p->write(fx->state, &batch, &fx->err), SLUICE_OK);
    end(fx, 0);
    assert_file(fx, "part-00000-00000.csv",
                "s,n,x,t,b\n"
                "plain,-2,1.5,2021-05-03T07:55:40.123Z,true\n"
                "\"\",-9223372036854775808,1.0E10,1969-12-31T23:59:59.999Z,false\n"
                "\"a,b\",1998,-0.0,,\n"
                "\"say \"\"hi\"\"\",2998,0.1,,\n"
                "\"two\nlines\",3998,NaN,,\n"
                " spaced ,4998,Infinity,,\n"
                ",,,,\n");
    assert_file(fx, "_sluice_manifest/0",
                "{\"version\":1,\"batch_id\":0,\"format\":\"csv\",\"header\":true,"
                "\"files\":[\"part-00000-00000.csv\"],\"rows\":7}\n");
    /* cat decodes it back into the same rows (the line break included). */
    assert_cat(fx, "{\"s\":\"plain\",\"n\":-2,\"x\":1.5,\"t\":\"2021-05-03T07:55:40.123Z\",\"b\":true}\n"
                   "{\"s\":\"\",\"n\":-9223372036854775808,\"x\":1.0E10,"
                   "\"t\":\"1969-12-31T23:59:59.999Z\",\"b\":false}\n"
                   "{\"s\":\"a,b\",\"n\":1998,\"x\":-0.0,\"t\":null,\"b\":null}\n"
                   "{\"s\":\"say \\\"hi\\\"\",\"n\":2998,\"x\":0.1,\"t\":null,\"b\":null}\n"
                   "{\"s\":\"two\\nlines\",\"n\":3998,\"x\":\"NaN\",\"t\":null,\"b\":null}\n"
                   "{\"s\":\" spaced \",\"n\":4998,\"x\":\"Infinity\",\"t\":null,\"b\":null}\n"
                   "{\"s\":null,\"n\":null,\"x\":null,\"t\":null,\"b\":null}\n");
}

static void test_file_sink_writes_csv_without_a_header_by_default(void **state)
{
    struct fx *fx = *state;
    open_sink(fx, LS, "format = \"csv\";");
    begin(fx, 0);
    write_one(fx, 7, "x");
    end(fx, 0);
    assert_file(fx, "part-00000-00000.csv", "7,x\n");
    assert_file(fx, "_sluice_manifest/0",
                "{\"version\":1,\"batch_id\":0,\"format\":\"csv\",\"header\":false,"
                "\"files\":[\"part-00000-00000.csv\"],\"rows\":1}\n");
    assert_cat(fx, "{\"id\":7,\"s\":\"x\"}\n");
}

/* ---- cat ------------------------------------------------------------------ */

static void test_cat_prints_batches_in_numeric_order_and_one_batch_on_request(void **state)
{
    struct fx *fx = *state;
    open_sink(fx, LS, NULL);
    for (int64_t id = 0; id < 12; id++) {
        begin(fx, id);
        write_one(fx, id, id % 2 ? "odd" : "even");
        end(fx, id);
    }
    struct cat_result r = run_cat(fx->out, NULL);
    assert_int_equal(r.status, 0);
    char want[1024] = "";
    for (int id = 0; id < 12; id++)
        snprintf(want + strlen(want), sizeof want - strlen(want), "{\"id\":%d,\"s\":\"%s\"}\n", id,
                 id % 2 ? "odd" : "even");
    assert_string_equal(r.out, want);
    cat_free(&r);

    r = run_cat(fx->out, "--batch", "10", NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "{\"id\":10,\"s\":\"even\"}\n");
    cat_free(&r);

    r = run_cat(fx->out, "--batch", "12", NULL);
    assert_int_equal(r.status, 2);
    assert_string_equal(r.out, "");
    char err[512];
    snprintf(err, sizeof err,
             "sluice: batch 12 is not committed in '%s'\n"
             "  hint: committed batches run from 0 to 11\n", fx->out);
    assert_string_equal(r.err, err);
    cat_free(&r);
}

static void test_cat_reads_csv_records_across_its_read_chunks(void **state)
{
    struct fx *fx = *state;
    /* About 9 MB in one part file: cat reads 4 MB at a time, and records
     * with line breaks straddle the cuts. */
    open_sink(fx, LS, "format = \"csv\";");
    char text[301];
    memset(text, 'a', 300);
    text[300] = '\0';
    text[100] = '\n';
    text[200] = '"';
    text[250] = ',';
    enum { N = 60000 };
    struct sluice_builder *b = fx->h->builder_new(&fx->schema);
    for (int i = 0; i < N; i++) {
        fx->h->append_struct(b);
        fx->h->append_long(fx->h->builder_child(b, 0), i);
        fx->h->append_string(fx->h->builder_child(b, 1), text, (size_t)(i % 300));
    }
    struct sluice_batch batch;
    fx->h->builder_finish(b, &batch);
    fx->h->builder_free(b);
    begin(fx, 0);
    assert_int_equal(fx->p->write(fx->state, &batch, &fx->err), SLUICE_OK);
    end(fx, 0);

    struct cat_result r = run_cat(fx->out, NULL);
    assert_int_equal(r.status, 0);
    struct sluice_buf want = { 0 };
    for (int i = 0; i < N; i++) {
        sluice_buf_printf(&want, "{\"id\":%d,\"s\":\"", i);
        for (int k = 0; k < i % 300; k++) {
            if (text[k] == '\n') sluice_buf_puts(&want, "\\n");
            else if (text[k] == '"') sluice_buf_puts(&want, "\\\"");
            else sluice_buf_putc(&want, text[k]);
        }
        sluice_buf_puts(&want, "\"}\n");
    }
    assert_int_equal(strlen(r.out), want.len);
    assert_string_equal(r.out, want.data);
    sluice_buf_free(&want);
    cat_free(&r);
}

static void test_cat_says_when_a_path_is_not_a_file_sink_output(void **state)
{
    struct fx *fx = *state;
    struct cat_result r = run_cat(fx->dir, NULL);
    assert_int_equal(r.status, 2);
    char want[512];
    snprintf(want, sizeof want,
             "sluice: '%s' is not a sluice file sink output: no _sluice_manifest\n"
             "  hint: give the path option of a stage with sink = \"file\"\n",
             fx->dir);
    assert_string_equal(r.err, want);
    cat_free(&r);
    r = run_cat(fx->out, NULL); /* does not exist */
    assert_int_equal(r.status, 2);
    snprintf(want, sizeof want, "sluice: cannot read '%s': No such file or directory\n", fx->out);
    assert_string_equal(r.err, want);
    cat_free(&r);
}

static void test_cat_fails_on_a_missing_or_truncated_part_file(void **state)
{
    struct fx *fx = *state;
    open_sink(fx, LS, NULL);
    begin(fx, 0);
    write_ls(fx, 2, (const int64_t[]){ 1, 2 }, (const char *const[]){ "a", "b" });
    end(fx, 0);
    char path[160];
    snprintf(path, sizeof path, "%s/part-00000-00000.json", fx->out);
    assert_int_equal(truncate(path, 17), 0); /* the first line only */
    struct cat_result r = run_cat(fx->out, NULL);
    assert_int_equal(r.status, 1);
    char want[1024];
    snprintf(want, sizeof want,
             "sluice: error: batch 0 of '%s' is damaged: it holds 1 rows, its manifest says 2\n"
             "sluice: 1 of 1 batch of '%s' is damaged: nothing was printed\n"
             "  hint: --ignore-damaged prints the rows that can still be read\n",
             fx->out, fx->out);
    assert_string_equal(r.err, want);
    assert_string_equal(r.out, "");
    cat_free(&r);

    assert_int_equal(unlink(path), 0);
    r = run_cat(fx->out, NULL);
    assert_int_equal(r.status, 1);
    snprintf(want, sizeof want,
             "sluice: error: batch 0 of '%s' is damaged: cannot read '%s': No such file or directory\n"
             "sluice: 1 of 1 batch of '%s' is damaged: nothing was printed\n"
             "  hint: --ignore-damaged prints the rows that can still be read\n",
             fx->out, path, fx->out);
    assert_string_equal(r.err, want);
    cat_free(&r);
}

static void test_cat_fails_on_a_damaged_manifest(void **state)
{
    struct fx *fx = *state;
    open_sink(fx, LS, NULL);
    begin(fx, 0);
    end(fx, 0);
    char path[160];
    snprintf(path, sizeof path, "%s/_sluice_manifest/0", fx->out);
    FILE *f = fopen(path, "w");
    fputs("{\"version\":1,\"batch_id\":3,\"format\":\"json\",\"files\":[],\"rows\":0}\n", f);
    fclose(f);
    struct cat_result r = run_cat(fx->out, NULL);
    assert_int_equal(r.status, 1);
    char want[1024];
    snprintf(want, sizeof want,
             "sluice: error: batch 0 of '%s' is damaged: '%s' is not a valid manifest: \"batch_id\" is not the "
             "file's name\n",
             fx->out, path);
    assert_true(strncmp(r.err, want, strlen(want)) == 0);
    cat_free(&r);

    f = fopen(path, "w");
    fputs("{\"version\":1,\"batch_id\":0,\"format\":\"json\",\"files\":[\"../x\"],\"rows\":0}\n", f);
    fclose(f);
    r = run_cat(fx->out, NULL);
    assert_int_equal(r.status, 1);
    snprintf(want, sizeof want,
             "sluice: error: batch 0 of '%s' is damaged: '%s' is not a valid manifest: \"files\" holds something "
             "not a part file name\n",
             fx->out, path);
    assert_true(strncmp(r.err, want, strlen(want)) == 0);
    cat_free(&r);
}

/* read_committed called as the core calls it: batches come in order, each
 * the emit's to keep, and an emit that fails stops the reading with its
 * error, with nothing more emitted. */
struct emitted {
    int64_t rows, calls, fail_at;
};

static int count_rows(void *arg, struct sluice_batch *b, struct sluice_error *err)
{
    struct emitted *e = arg;
    e->rows += sluice_batch_rows(b);
    sluice_batch_release(b);
    if (++e->calls == e->fail_at) return sluice_error_set(err, SLUICE_EIO, "the reader went away");
    return SLUICE_OK;
}

static void test_read_committed_emits_in_order_and_stops_when_emit_fails(void **state)
{
    struct fx *fx = *state;
    open_sink(fx, LS, NULL);
    for (int64_t id = 0; id < 3; id++) {
        begin(fx, id);
        write_one(fx, id, "x");
        end(fx, id);
    }
    assert_true(SLUICE_PLUGIN_HAS(fx->p, read_committed));
    struct sluice_read_request req = { .size = sizeof req, .path = fx->out, .batch = -1 };
    struct emitted e = { 0 };
    memset(&fx->err, 0, sizeof fx->err);
    assert_int_equal(fx->p->read_committed(fx->h, &req, count_rows, &e, &fx->err), SLUICE_OK);
    assert_int_equal(e.rows, 3);
    assert_int_equal(e.calls, 3);

    e = (struct emitted){ .fail_at = 2 };
    assert_int_equal(fx->p->read_committed(fx->h, &req, count_rows, &e, &fx->err), SLUICE_EIO);
    assert_string_equal(fx->err.message, "the reader went away");
    assert_int_equal(e.calls, 2);

    req.batch = 1;
    e = (struct emitted){ 0 };
    assert_int_equal(fx->p->read_committed(fx->h, &req, count_rows, &e, &fx->err), SLUICE_OK);
    assert_int_equal(e.rows, 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_file_sink_accepts_append_mode_only),
        T(test_file_sink_names_one_part_file_per_write_after_its_batch),
        T(test_file_sink_writes_a_manifest_and_the_schema_and_no_temporary_files),
        T(test_file_sink_commits_an_empty_batch_with_no_files),
        T(test_file_sink_creates_nothing_before_the_first_batch),
        T(test_file_sink_skips_a_replay_of_a_committed_batch),
        T(test_file_sink_replaces_what_an_uncommitted_attempt_left),
        T(test_file_sink_leftover_cleanup_touches_only_that_batch),
        T(test_file_sink_refuses_a_second_writer_on_the_same_path),
        T(test_file_sink_refuses_a_path_that_is_a_file),
        T(test_file_sink_refuses_nested_columns_in_csv),
        T(test_file_sink_refuses_rows_of_another_schema_in_the_same_path),
        T(test_file_sink_writes_csv_as_spark_does),
        T(test_file_sink_writes_csv_without_a_header_by_default),
        T(test_cat_prints_batches_in_numeric_order_and_one_batch_on_request),
        T(test_cat_reads_csv_records_across_its_read_chunks),
        T(test_cat_says_when_a_path_is_not_a_file_sink_output),
        T(test_cat_fails_on_a_missing_or_truncated_part_file),
        T(test_cat_fails_on_a_damaged_manifest),
        T(test_read_committed_emits_in_order_and_stops_when_emit_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
