/* The `file` source loaded from its real .so and driven through the real
 * host table, as the engine drives it: options applied from libconfig text
 * by the core's option code, a stage context set up by hand, offsets asked
 * for and units read as the engine asks for and reads them.
 *
 * Shared by tests/plugins/test_file.c (listing, offsets, reading) and
 * test_file_hazards.c (a directory that changes under the source). Every
 * helper fails the running cmocka test on a harness problem. */
#ifndef SLUICE_TEST_FILE_HARNESS_H
#define SLUICE_TEST_FILE_HARNESS_H

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libconfig.h>

#include "host.h"
#include "registry.h"
#include "options.h"
#include "render.h"
#include "stage.h"

#define PLUGIN_SO SLUICE_TEST_BINARY_DIR "/plugins/sluice_source_file.so"

/* ---- fixture ------------------------------------------------------------ */

struct fx {
    char dir[64];
    struct sluice_loaded loaded;
    const struct sluice_plugin *p;
    config_t cfg;
    void *conf;
    struct sluice_options_storage storage;
    struct sluice_stage stage;
    void *state;
    struct sluice_buf off;
    struct sluice_error err;
};

static inline int setup(void **state)
{
    struct fx *fx = calloc(1, sizeof *fx);
    strcpy(fx->dir, "/tmp/sluice-test-file-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    int rc = sluice_registry_load_file(PLUGIN_SO, &fx->loaded, &fx->err);
    if (rc) fail_msg("loading %s: %s", PLUGIN_SO, fx->err.message);
    fx->p = fx->loaded.plugin;
    config_init(&fx->cfg);
    *state = fx;
    return 0;
}

static inline void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        size_t n = strlen(dir) + strlen(e->d_name) + 2;
        char *path = malloc(n);
        snprintf(path, n, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) remove_tree(path);
        else unlink(path);
        free(path);
    }
    closedir(d);
    rmdir(dir);
}

/* Close the source (as a run ends), so it can be opened again, on another
 * path or with other options, as a restart would. */
static inline void close_source(struct fx *fx)
{
    if (fx->state) fx->p->close(fx->state);
    fx->state = NULL;
    /* The checkpoint folder stays attached, as a restart attaches it again. */
    char *meta = fx->stage.ctx.meta_dir;
    fx->stage.ctx.meta_dir = NULL;
    sluice_ctx_free(&fx->stage.ctx);
    fx->stage.ctx.meta_dir = meta;
    sluice_options_storage_free(&fx->storage);
    memset(&fx->storage, 0, sizeof fx->storage);
    free(fx->conf);
    fx->conf = NULL;
    config_destroy(&fx->cfg);
    config_init(&fx->cfg);
}

static inline int teardown(void **state)
{
    struct fx *fx = *state;
    close_source(fx);
    config_destroy(&fx->cfg);
    sluice_buf_free(&fx->off);
    sluice_registry_unload(&fx->loaded);
    remove_tree(fx->dir);
    free(fx);
    return 0;
}

/* Open the source on fx->dir with the schema `a STRING, n LONG` (or `schema`)
 * plus `extra` settings; returns open's status. */
static inline int open_source_with(struct fx *fx, const char *path, const char *schema, const char *extra)
{
    char text[2048];
    snprintf(text, sizeof text, "stage = { name = \"src\"; source = \"file\"; path = \"%s\"; schema = \"%s\"; %s };",
             path, schema ? schema : "a STRING, n LONG", extra ? extra : "");
    if (!config_read_string(&fx->cfg, text)) fail_msg("config: %s", config_error_text(&fx->cfg));
    fx->conf = calloc(1, fx->p->conf_size);
    static const char *const core_keys[] = { "name", "source", NULL };
    int rc = sluice_options_apply(fx->p, config_lookup(&fx->cfg, "stage"), core_keys, fx->conf,
                                  &fx->storage, &fx->err);
    if (rc) return rc; /* the option table's own checks */
    fx->stage.name = "src";
    fx->stage.kind = SLUICE_STAGE_SOURCE;
    fx->stage.plugin = fx->p;
    fx->stage.ctx.stage = &fx->stage;
    fx->stage.ctx.host = sluice_host();
    rc = fx->p->open(sluice_host(), fx->conf, &fx->stage.ctx, &fx->state, &fx->err);
    if (rc) {
        fx->state = NULL;
        return rc;
    }
    const struct sluice_projection all = { true, 0, NULL };
    rc = fx->p->prepare(fx->state, &all, &fx->err);
    if (rc) fail_msg("prepare: %s", fx->err.message);
    return rc;
}

static inline void open_source(struct fx *fx, const char *schema, const char *extra)
{
    int rc = open_source_with(fx, fx->dir, schema, extra);
    if (rc) fail_msg("open: %s", fx->err.message);
}

static inline void write_file(struct fx *fx, const char *name, const char *content)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", fx->dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
}

static inline void set_mtime(struct fx *fx, const char *name, time_t t)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", fx->dir, name);
    struct timespec ts[2] = { { t, 0 }, { t, 0 } };
    assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/* latest_offset's answer, "" when it left it empty. */
static inline const char *latest(struct fx *fx, const char *start, bool limited)
{
    sluice_buf_clear(&fx->off);
    int rc = fx->p->latest_offset(fx->state, start, limited, &fx->off, &fx->err);
    if (rc) fail_msg("latest_offset: %s", fx->err.message);
    return fx->off.len ? fx->off.data : "";
}

struct collected {
    struct sluice_buf rows; /* every row as JSON, one per line */
    int batches;
    int64_t max_batch_rows;
};

static inline int collect(void *arg, struct sluice_batch *b, struct sluice_error *err)
{
    struct collected *c = arg;
    c->batches++;
    if (sluice_batch_rows(b) > c->max_batch_rows) c->max_batch_rows = sluice_batch_rows(b);
    for (int64_t r = 0; r < sluice_batch_rows(b); r++) {
        sluice_render_row_json(b, r, &c->rows);
        sluice_buf_putc(&c->rows, '\n');
    }
    sluice_batch_release(b);
    return SLUICE_OK;
}

/* Plan (start, end] and read every unit; returns the rows as JSON lines
 * (the caller frees), one unit after the other. */
static inline char *read_range(struct fx *fx, const char *start, const char *end, size_t *units,
                        struct collected *c)
{
    size_t n = 0;
    int rc = fx->p->plan_read(fx->state, start, end, &n, &fx->err);
    if (rc) fail_msg("plan_read: %s", fx->err.message);
    if (units) *units = n;
    struct collected local = { 0 };
    if (!c) c = &local;
    for (size_t u = 0; u < n; u++) {
        rc = fx->p->read(fx->state, u, collect, c, &fx->err);
        if (rc) fail_msg("read: %s", fx->err.message);
    }
    return c->rows.data ? c->rows.data : strdup("");
}

static inline char *read_unit(struct fx *fx, size_t unit)
{
    struct collected c = { 0 };
    int rc = fx->p->read(fx->state, unit, collect, &c, &fx->err);
    if (rc) fail_msg("read: %s", fx->err.message);
    return c.rows.data ? c.rows.data : strdup("");
}

/* ---- what the source logs ---------------------------------------------- */

/* Everything written to stderr between stderr_capture() and
 * stderr_captured() (the caller frees), where the core's log writes. */
static int captured_fd = -1, saved_stderr = -1;

static inline void stderr_capture(void)
{
    char name[] = "/tmp/sluice-test-file-log-XXXXXX";
    captured_fd = mkstemp(name);
    assert_true(captured_fd >= 0);
    unlink(name);
    fflush(stderr);
    saved_stderr = dup(2);
    dup2(captured_fd, 2);
}

static inline char *stderr_captured(void)
{
    fflush(stderr);
    dup2(saved_stderr, 2);
    close(saved_stderr);
    off_t n = lseek(captured_fd, 0, SEEK_END);
    char *text = calloc(1, (size_t)n + 1);
    assert_int_equal(pread(captured_fd, text, (size_t)n, 0), n);
    close(captured_fd);
    captured_fd = saved_stderr = -1;
    return text;
}

/* How often `needle` occurs in `text`. */
static inline int occurrences(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle)) n++;
    return n;
}

#endif
