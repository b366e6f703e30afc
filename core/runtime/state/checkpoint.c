/* A query's checkpoint: offsets and commits logs, recovery, retention.
 * See checkpoint.h. */
#include "checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "agg_stage.h"
#include "agg_state.h"
#include "checkpoint_file.h"
#include "checkpoint_source.h"
#include "clock.h"
#include "error.h"
#include "keyed.h"
#include "failpoint.h"
#include "graph.h"
#include "log.h"
#include "mem.h"
#include "state_store.h"
#include "timefmt.h"
#include "watermark.h"
#include "worker_pool.h"

struct sluice_checkpoint {
    char *root, *offsets_dir, *commits_dir;
    int lock_fd;                             /* the root, flock'ed while the query runs; -1 */
    struct sluice_graph *g;
    struct sluice_stage **sources;           /* the query's; sources[0] leads it (stage.h) */
    size_t n_sources;
    struct sluice_stage **aggs;
    size_t n_aggs;
    struct sluice_stage **keyed;             /* keyed operators below the source (keyed.h) */
    size_t n_keyed;
    struct sluice_state_store *store;        /* the aggregations' and keyed operators' state, by stage name */
    struct sluice_stage **marks;             /* stages of the query declaring a watermark */
    size_t n_marks;
    int64_t retain;
    char id[SLUICE_UUID_LEN + 1];
    struct sluice_checkpoint_resume resume;
    char *committed, *replay_end;            /* what resume points at */
    int64_t replay_time_us;                  /* the replayed batch's time, from its entry; INT64_MIN: none */
    int64_t *batch_watermarks;               /* per aggregation: what the planned batch runs with */
    int64_t *state_us;                       /* per aggregation, for stats */
    int64_t last_commit;                     /* -1: none */
    int64_t plan_us;                         /* writing the batch's offsets */
    /* offsets/N is written on a thread of its own while the batch reads
     * its first unit; sluice_checkpoint_planned waits for it. */
    struct sluice_worker_pool *writer;
    struct offsets_write {
        struct sluice_checkpoint *c;
        int64_t batch_id;
        char *text;
        int rc;
        struct sluice_error err;
        bool pending;
    } plan;
};

/* ---- small helpers ------------------------------------------------------- */

static char *join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = sluice_xmalloc(n);
    snprintf(p, n, "%s/%s", a, b);
    return p;
}

static char *log_path(const char *dir, int64_t id)
{
    char name[24];
    snprintf(name, sizeof name, "%" PRId64, id);
    return join(dir, name);
}

static json_t *watermark_json(int64_t w)
{
    return w == SLUICE_WATERMARK_NONE ? json_null() : json_integer(w);
}

static int damaged(struct sluice_error *err, const char *path, const char *why)
{
    return sluice_checkpoint_damaged(err, path, why);
}

/* Read a log entry as a JSON object whose batchId is `id`. */
static int read_entry(const char *dir, int64_t id, const char *kind, json_t **out, char **path_out,
                      struct sluice_error *err)
{
    *out = NULL;
    char *path = log_path(dir, id);
    struct sluice_buf text = { 0 };
    int rc = sluice_checkpoint_file_read(path, kind, &text, err);
    json_t *j = rc ? NULL : json_loadb(text.data, text.len, 0, NULL);
    sluice_buf_free(&text);
    if (!rc && (!json_is_object(j) || !json_is_integer(json_object_get(j, "batchId")) ||
                json_integer_value(json_object_get(j, "batchId")) != id))
        rc = damaged(err, path, "it is not the entry of its batch");
    if (rc) {
        json_decref(j);
        free(path);
        return rc;
    }
    *out = j;
    *path_out = path;
    return SLUICE_OK;
}

/* A watermark by stage name from one of the entry's maps; null is none. */
static int get_watermark(const json_t *entry, const char *map, const char *stage, const char *path, int64_t *out,
                         struct sluice_error *err)
{
    const json_t *v = json_object_get(json_object_get(entry, map), stage);
    if (json_is_null(v)) {
        *out = SLUICE_WATERMARK_NONE;
        return SLUICE_OK;
    }
    if (!json_is_integer(v)) {
        char why[200];
        snprintf(why, sizeof why, "it has no %s for stage '%s'", map, stage);
        return damaged(err, path, why);
    }
    *out = json_integer_value(v);
    return SLUICE_OK;
}

/* Watermarks of the aggregations (agg->watermark, from `map`) and of the
 * watermark declarations (their trackers), from an offsets or commit entry. */
static int restore_watermarks(struct sluice_checkpoint *c, const json_t *entry, const char *map, const char *path,
                              struct sluice_error *err)
{
    for (size_t i = 0; i < c->n_aggs; i++) {
        int rc = get_watermark(entry, map, c->aggs[i]->name, path, &c->aggs[i]->agg->watermark, err);
        if (rc) return rc;
    }
    for (size_t i = 0; i < c->n_marks; i++) {
        int rc = get_watermark(entry, "trackers", c->marks[i]->name, path, &c->marks[i]->watermark.tracker.value, err);
        if (rc) return rc;
    }
    return SLUICE_OK;
}

/* The aggregations' current watermarks as entry[map], and the watermark
 * declarations' trackers as entry["trackers"]. */
static void put_watermarks(const struct sluice_checkpoint *c, json_t *entry, const char *map)
{
    json_t *m = json_object();
    for (size_t i = 0; i < c->n_aggs; i++)
        json_object_set_new(m, c->aggs[i]->name, watermark_json(c->aggs[i]->agg->watermark));
    json_object_set_new(entry, map, m);
    json_t *t = json_object();
    for (size_t i = 0; i < c->n_marks; i++)
        json_object_set_new(t, c->marks[i]->name, watermark_json(c->marks[i]->watermark.tracker.value));
    json_object_set_new(entry, "trackers", t);
}

static int write_entry(const char *dir, int64_t id, const char *kind, json_t *entry, struct sluice_error *err)
{
    char name[24];
    snprintf(name, sizeof name, "%" PRId64, id);
    char *text = json_dumps(entry, JSON_COMPACT | JSON_PRESERVE_ORDER);
    int rc = sluice_checkpoint_file_write(dir, name, kind, text, strlen(text), err);
    free(text);
    return rc;
}

/* ---- recovery ------------------------------------------------------------ */

/* The source range a batch's offsets entry planned. */
static int entry_offsets(const json_t *entry, const char *path, const char **start, const char **end,
                         struct sluice_error *err)
{
    const json_t *s = json_object_get(entry, "start"), *e = json_object_get(entry, "end");
    if (!(json_is_null(s) || json_is_string(s)) || !json_is_string(e))
        return damaged(err, path, "it has no start and end offsets");
    *start = json_is_string(s) ? json_string_value(s) : NULL;
    *end = json_string_value(e);
    return SLUICE_OK;
}

/* State and watermarks after commit C; the committed end offset. */
static int restore_commit(struct sluice_checkpoint *c, int64_t id, struct sluice_error *err)
{
    json_t *commit, *offsets;
    char *cpath, *opath;
    int rc = read_entry(c->commits_dir, id, "commit", &commit, &cpath, err);
    if (rc) return rc;
    rc = read_entry(c->offsets_dir, id, "offsets", &offsets, &opath, err);
    if (rc) {
        json_decref(commit);
        free(cpath);
        return rc;
    }
    const char *start = NULL, *end = NULL;
    rc = entry_offsets(offsets, opath, &start, &end, err);
    if (!rc) c->committed = sluice_xstrdup(end);
    for (size_t i = 0; i < c->n_aggs && !rc; i++) {
        const char *name = c->aggs[i]->name;
        int64_t evicted_with = SLUICE_WATERMARK_NONE;
        rc = get_watermark(commit, "watermarks", name, cpath, &evicted_with, err);
        if (!rc) rc = sluice_agg_state_restore(c->aggs[i]->agg, name, c->store, evicted_with, err);
        if (rc) sluice_error_stage(err, name);
    }
    for (size_t i = 0; i < c->n_keyed && !rc; i++) rc = sluice_keyed_restore(c->keyed[i], c->store, err);
    if (!rc) rc = restore_watermarks(c, commit, "nextWatermarks", cpath, err);
    if (!rc) c->resume.no_data_next = json_is_true(json_object_get(commit, "noDataNext"));
    json_decref(commit);
    json_decref(offsets);
    free(cpath);
    free(opath);
    return rc;
}

/* Batch O was planned but never committed: run it again as it was planned. */
static int restore_replay(struct sluice_checkpoint *c, int64_t id, struct sluice_error *err)
{
    json_t *offsets;
    char *path;
    int rc = read_entry(c->offsets_dir, id, "offsets", &offsets, &path, err);
    if (rc) return rc;
    const char *start = NULL, *end = NULL;
    rc = entry_offsets(offsets, path, &start, &end, err);
    if (!rc && ((start == NULL) != (c->committed == NULL) || (start && strcmp(start, c->committed) != 0)))
        rc = damaged(err, path, "its start offset is not where the last committed batch ended");
    if (!rc) rc = restore_watermarks(c, offsets, "watermarks", path, err);
    if (!rc) c->replay_end = sluice_xstrdup(end);
    /* Its time, for current_timestamp(); an entry without one (or one this
     * sluice cannot read) gets a new time, as before. */
    const char *ts = json_string_value(json_object_get(offsets, "timestamp"));
    c->replay_time_us = INT64_MIN;
    int64_t t;
    if (ts && sluice_time_parse(ts, strlen(ts), &t) == SLUICE_OK) c->replay_time_us = t;
    json_decref(offsets);
    free(path);
    return rc;
}

static void remove_entry(const char *dir, int64_t id)
{
    char *path = log_path(dir, id);
    if (unlink(path) != 0 && errno != ENOENT)
        sluice_log(SLUICE_LOG_WARN, NULL, "cannot remove '%s': %s", path, strerror(errno));
    free(path);
}

/* Drop the log entries of batches before `oldest`. */
static void compact(const int64_t *ids, size_t n, const char *dir, int64_t oldest)
{
    for (size_t i = 0; i < n && ids[i] < oldest; i++) remove_entry(dir, ids[i]);
}

static int recover(struct sluice_checkpoint *c, struct sluice_error *err)
{
    int64_t *offs = NULL, *commits = NULL;
    size_t n_offs = 0, n_commits = 0;
    int rc = sluice_checkpoint_list_ids(c->offsets_dir, "", &offs, &n_offs, err);
    if (!rc) rc = sluice_checkpoint_list_ids(c->commits_dir, "", &commits, &n_commits, err);
    int64_t o = n_offs ? offs[n_offs - 1] : -1, last = n_commits ? commits[n_commits - 1] : -1;
    if (!rc && (o < last || o > last + 1)) {
        rc = sluice_error_set(err, SLUICE_EDATA,
                              "checkpoint '%s' is damaged: it has offsets up to batch %" PRId64
                              " but commits up to batch %" PRId64,
                              c->root, o, last);
        sluice_checkpoint_damaged_hint(err);
    }
    if (!rc && (c->n_aggs || c->n_keyed)) {
        char *dir = join(c->root, "state");
        rc = sluice_state_store_open(dir, last, &c->store, err);
        free(dir);
    }
    if (!rc && last >= 0) rc = restore_commit(c, last, err);
    if (!rc && o == last + 1) rc = restore_replay(c, o, err);
    if (!rc) {
        c->last_commit = last;
        int64_t oldest = last - c->retain + 1;
        compact(offs, n_offs, c->offsets_dir, oldest);
        compact(commits, n_commits, c->commits_dir, oldest);
        if (c->store) sluice_state_store_compact(c->store, oldest);
        c->resume.next_batch = last + 1;
        c->resume.committed = c->committed;
        c->resume.replay_end = c->replay_end;
        /* A no-data batch that was planned is the replay itself. */
        if (c->replay_end) c->resume.no_data_next = false;
    }
    free(offs);
    free(commits);
    return rc;
}

/* ---- opening ------------------------------------------------------------- */

/* Two processes writing one checkpoint would interleave their batches:
 * the second one is refused while the first holds the lock (released by
 * the kernel however the first one ends). */
static int lock_dir(const char *root, int *fd, struct sluice_error *err)
{
    *fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (*fd < 0)
        return sluice_error_set(err, SLUICE_EIO, "cannot open checkpoint directory '%s': %s", root, strerror(errno));
    if (flock(*fd, LOCK_EX | LOCK_NB) == 0) return SLUICE_OK;
    int e = errno;
    close(*fd);
    *fd = -1;
    if (e == EWOULDBLOCK) {
        sluice_error_set(err, SLUICE_EIO, "checkpoint '%s' is in use by another running pipeline", root);
        sluice_error_hint(err, "stop the other one first, or give this one its own runtime.checkpoint");
        return SLUICE_EIO;
    }
    return sluice_error_set(err, SLUICE_EIO, "cannot lock checkpoint directory '%s': %s", root, strerror(e));
}

/* The lock the graph took before the source's prepare, or a new one. */
static int lock_root(struct sluice_checkpoint *c, struct sluice_error *err)
{
    struct sluice_ctx *ctx = &c->sources[0]->ctx;
    if (ctx->ckpt_locked) {
        c->lock_fd = ctx->ckpt_lock_fd;
        ctx->ckpt_locked = false;
        return SLUICE_OK;
    }
    return lock_dir(c->root, &c->lock_fd, err);
}

char *sluice_checkpoint_root(const char *checkpoint, const struct sluice_stage *source, bool per_source)
{
    return per_source ? join(checkpoint, sluice_stage_lead(source)->name) : sluice_xstrdup(checkpoint);
}

int sluice_checkpoint_prepare_source(const char *checkpoint, struct sluice_stage *source, bool per_source,
                                     bool readonly, struct sluice_error *err)
{
    char *root = sluice_checkpoint_root(checkpoint, source, per_source);
    char *sources = join(root, "sources");
    int rc = SLUICE_OK;
    if (readonly) {
        sluice_checkpoint_source_attach_readonly(source, sources);
    } else {
        rc = sluice_checkpoint_mkdirs(root, err);
        /* One lock per query: its lead's, which is prepared first. */
        if (!rc && sluice_stage_lead(source) == source && !source->ctx.ckpt_locked) {
            rc = lock_dir(root, &source->ctx.ckpt_lock_fd, err);
            source->ctx.ckpt_locked = rc == SLUICE_OK;
        }
        if (!rc) sluice_checkpoint_source_attach(source, sources);
    }
    free(sources);
    free(root);
    return rc;
}

/* Whether stage `s` runs in the query `lead` leads. */
static bool below(const struct sluice_stage *s, const struct sluice_stage *lead)
{
    while (s->input) s = s->input;
    return sluice_stage_lead(s) == lead;
}

int sluice_checkpoint_open(struct sluice_graph *g, struct sluice_stage *const *sources, size_t n_sources,
                           struct sluice_stage *const *aggs, size_t n_aggs, bool per_source,
                           struct sluice_checkpoint **out, struct sluice_error *err)
{
    *out = NULL;
    struct sluice_stage *source = sources[0];
    struct sluice_checkpoint *c = sluice_xcalloc(1, sizeof *c);
    c->lock_fd = -1;
    c->root = sluice_checkpoint_root(g->runtime.checkpoint, source, per_source);
    const char *root = c->root;
    int64_t retain = g->runtime.min_batches_to_retain;
    c->offsets_dir = join(root, "offsets");
    c->commits_dir = join(root, "commits");
    c->g = g;
    c->sources = sluice_xcalloc(n_sources, sizeof *c->sources);
    memcpy(c->sources, sources, n_sources * sizeof *sources);
    c->n_sources = n_sources;
    c->n_aggs = n_aggs;
    c->aggs = sluice_xcalloc(n_aggs ? n_aggs : 1, sizeof *c->aggs);
    if (n_aggs) memcpy(c->aggs, aggs, n_aggs * sizeof *aggs);
    c->batch_watermarks = sluice_xcalloc(n_aggs ? n_aggs : 1, sizeof *c->batch_watermarks);
    c->state_us = sluice_xcalloc(n_aggs ? n_aggs : 1, sizeof *c->state_us);
    c->retain = retain > 0 ? retain : SLUICE_CHECKPOINT_RETAIN_DEFAULT;
    c->last_commit = -1;
    const struct sluice_stage *lead = sluice_stage_lead(source);
    c->marks = sluice_xcalloc(g->n_stages, sizeof *c->marks);
    for (size_t i = 0; i < g->n_stages; i++)
        if (g->stages[i].has_watermark && below(&g->stages[i], lead)) c->marks[c->n_marks++] = &g->stages[i];
    c->keyed = sluice_xcalloc(g->n_stages, sizeof *c->keyed);
    for (size_t i = 0; i < g->n_stages; i++)
        if (sluice_keyed_is(&g->stages[i]) && below(&g->stages[i], lead)) c->keyed[c->n_keyed++] = &g->stages[i];

    int rc = sluice_checkpoint_mkdirs(c->offsets_dir, err);
    if (!rc) rc = sluice_checkpoint_mkdirs(c->commits_dir, err);
    if (!rc) rc = lock_root(c, err);
    if (!rc) {
        /* Offsets without their metadata cannot be checked against the
         * pipeline: never start over silently. */
        int64_t *ids;
        size_t n;
        char *meta = join(root, "metadata");
        bool has_meta = access(meta, F_OK) == 0;
        rc = sluice_checkpoint_list_ids(c->offsets_dir, "", &ids, &n, err);
        free(ids);
        if (!rc && n && !has_meta) {
            sluice_error_set(err, SLUICE_EDATA, "checkpoint file '%s' is missing", meta);
            sluice_checkpoint_damaged_hint(err);
            rc = SLUICE_EDATA;
        }
        free(meta);
    }
    json_t *fp = rc ? NULL : sluice_checkpoint_meta_fingerprint(g, sources, n_sources, aggs, NULL, n_aggs);
    bool created = false;
    if (!rc)
        rc = sluice_checkpoint_meta_open(root, g->name, fp, &g->runtime.checkpoint_where, c->id,
                                        &created, err);
    json_decref(fp);
    if (!rc) rc = recover(c, err);
    if (rc) {
        sluice_checkpoint_close(c);
        return rc;
    }
    char *sources_dir = join(root, "sources");
    for (size_t i = 0; i < n_sources; i++) sluice_checkpoint_source_attach(sources[i], sources_dir);
    free(sources_dir);
    if (created)
        sluice_log(SLUICE_LOG_INFO, source->name, "new checkpoint '%s' (query id %s)", root, c->id);
    else if (c->replay_end)
        sluice_log_notice(source->name, "recovering from checkpoint '%s': batch %" PRId64 " runs again",
                          root, c->resume.next_batch);
    else
        sluice_log(SLUICE_LOG_INFO, source->name, "resuming from checkpoint '%s' at batch %" PRId64, root,
                   c->resume.next_batch);
    *out = c;
    return SLUICE_OK;
}

void sluice_checkpoint_close(struct sluice_checkpoint *c)
{
    if (!c) return;
    if (c->lock_fd >= 0) close(c->lock_fd); /* and the lock with it */
    for (size_t i = 0; i < c->n_sources; i++) sluice_checkpoint_source_detach(c->sources[i]);
    free(c->sources);
    sluice_checkpoint_planned(c, NULL); /* a batch that failed before its first write */
    sluice_worker_pool_free(c->writer);
    sluice_state_store_free(c->store);
    free(c->aggs);
    free(c->keyed);
    free(c->marks);
    free(c->batch_watermarks);
    free(c->state_us);
    free(c->committed);
    free(c->replay_end);
    free(c->root);
    free(c->offsets_dir);
    free(c->commits_dir);
    free(c);
}

const struct sluice_checkpoint_resume *sluice_checkpoint_resume(const struct sluice_checkpoint *c)
{
    return &c->resume;
}

const char *sluice_checkpoint_query_id(const struct sluice_checkpoint *c)
{
    return c->id;
}

/* ---- a batch ------------------------------------------------------------- */

static void write_offsets(void *arg)
{
    struct offsets_write *w = arg;
    int64_t t0 = sluice_monotonic_us();
    char name[24];
    snprintf(name, sizeof name, "%" PRId64, w->batch_id);
    w->rc = sluice_checkpoint_file_write(w->c->offsets_dir, name, "offsets", w->text, strlen(w->text), &w->err);
    w->c->plan_us = sluice_monotonic_us() - t0;
}

int sluice_checkpoint_plan(struct sluice_checkpoint *c, int64_t batch_id, const char *start, const char *end,
                           int64_t *time_us, struct sluice_error *err)
{
    for (size_t i = 0; i < c->n_aggs; i++) c->batch_watermarks[i] = c->aggs[i]->agg->watermark;
    if (c->replay_end && batch_id == c->resume.next_batch) {
        /* The replayed batch keeps the entry it was planned with. */
        free(c->replay_end);
        c->replay_end = NULL;
        c->resume.replay_end = NULL;
        if (c->replay_time_us != INT64_MIN) *time_us = c->replay_time_us;
        return SLUICE_OK;
    }
    char ts[40];
    sluice_time_format_iso(*time_us, ts);
    json_t *entry = json_pack("{s:I, s:s, s:s, s:s?, s:s}", "batchId", (json_int_t)batch_id, "timestamp", ts, "source",
                              c->sources[0]->name, "start", start, "end", end);
    put_watermarks(c, entry, "watermarks");
    c->plan = (struct offsets_write){ .c = c, .batch_id = batch_id, .pending = true,
                                      .text = json_dumps(entry, JSON_COMPACT | JSON_PRESERVE_ORDER) };
    json_decref(entry);
    if (!c->writer) c->writer = sluice_worker_pool_new(1);
    if (sluice_worker_pool_size(c->writer)) sluice_worker_pool_start(c->writer, write_offsets, &c->plan);
    else write_offsets(&c->plan);
    return SLUICE_OK;
}

int sluice_checkpoint_planned(struct sluice_checkpoint *c, struct sluice_error *err)
{
    if (!c->plan.pending) return SLUICE_OK;
    if (sluice_worker_pool_size(c->writer)) sluice_worker_pool_join(c->writer);
    c->plan.pending = false;
    free(c->plan.text);
    c->plan.text = NULL;
    if (c->plan.rc) {
        if (err) *err = c->plan.err;
        return c->plan.rc;
    }
    sluice_failpoint("plan", c->plan.batch_id);
    return SLUICE_OK;
}

int sluice_checkpoint_commit(struct sluice_checkpoint *c, int64_t batch_id, bool no_data_next,
                             struct sluice_checkpoint_stats *stats, struct sluice_error *err)
{
    int prc = sluice_checkpoint_planned(c, err); /* a batch whose units wrote nothing */
    if (prc) return prc;
    int64_t t0 = sluice_monotonic_us();
    struct sluice_agg_state_stats ast = { 0 };
    struct sluice_state_store_stats sst = { 0 };
    int rc = SLUICE_OK;
    if (c->store) {
        sluice_state_store_begin(c->store, batch_id);
        for (size_t i = 0; i < c->n_aggs && !rc; i++) {
            int64_t ts = sluice_monotonic_us();
            rc = sluice_agg_state_save(c->aggs[i]->agg, c->aggs[i]->name, c->store, batch_id, &ast, err);
            if (rc) sluice_error_stage(err, c->aggs[i]->name);
            c->state_us[i] = sluice_monotonic_us() - ts;
        }
        for (size_t i = 0; i < c->n_keyed && !rc; i++) rc = sluice_keyed_save(c->keyed[i], c->store, batch_id, err);
        /* Every aggregation's changes in one file: one flush for all, which
         * each of them waited for. */
        int64_t tw = sluice_monotonic_us();
        if (!rc) rc = sluice_state_store_commit(c->store, &sst, err);
        for (size_t i = 0; i < c->n_aggs; i++) c->state_us[i] += sluice_monotonic_us() - tw;
    }
    if (!rc) {
        char ts[40];
        sluice_time_format_iso(sluice_now_us(), ts);
        json_t *entry = json_pack("{s:I, s:s}", "batchId", (json_int_t)batch_id, "timestamp", ts);
        json_t *evicted = json_object();
        for (size_t i = 0; i < c->n_aggs; i++)
            json_object_set_new(evicted, c->aggs[i]->name, watermark_json(c->batch_watermarks[i]));
        json_object_set_new(entry, "watermarks", evicted);
        put_watermarks(c, entry, "nextWatermarks");
        json_object_set_new(entry, "noDataNext", json_boolean(no_data_next));
        rc = write_entry(c->commits_dir, batch_id, "commit", entry, err);
        json_decref(entry);
    }
    if (rc) return rc;
    sluice_failpoint("commit", batch_id);
    c->last_commit = batch_id;
    int64_t oldest = batch_id - c->retain + 1;
    if (oldest > 0) {
        remove_entry(c->offsets_dir, oldest - 1);
        remove_entry(c->commits_dir, oldest - 1);
    }
    if (c->store) sluice_state_store_compact(c->store, oldest);
    int64_t commit_us = sluice_monotonic_us() - t0, state_us = 0;
    for (size_t i = 0; i < c->n_aggs; i++) state_us = c->state_us[i] > state_us ? c->state_us[i] : state_us;
    /* The offsets were written while the batch read: not on its path. */
    sluice_log(SLUICE_LOG_DEBUG, c->sources[0]->name,
               "batch %" PRId64 ": checkpoint %.3f ms: state %.3f ms (%" PRId64 " partitions, %" PRId64 " groups, %" PRId64
               " bytes), commit %.3f ms; offsets %.3f ms beside the batch",
               batch_id, commit_us / 1000.0, state_us / 1000.0, sst.sections, ast.groups_written, sst.bytes,
               (commit_us - state_us) / 1000.0, c->plan_us / 1000.0);
    c->plan_us = 0;
    if (stats)
        *stats = (struct sluice_checkpoint_stats){ .commit_us = commit_us, .state_sections = sst.sections,
                                                   .state_bytes = sst.bytes, .state_us = c->state_us };
    return SLUICE_OK;
}
