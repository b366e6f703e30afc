/* Reloading a running pipeline's config. See reload.h. */
#include "reload.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "agg_load.h"
#include "agg_plan.h"
#include "checkpoint_meta.h"
#include "graph.h"
#include "mem.h"
#include "stage.h"
#include "stop.h"

struct sluice_reload {
    const char *config;
    const char *const *overrides;
    size_t n_overrides;
    struct sluice_stop *stop;
    pthread_mutex_t lock;              /* held through a request: one at a time */
    const struct sluice_graph *running; /* under lock */
    struct sluice_graph *accepted;     /* under lock */
};

struct sluice_reload *sluice_reload_new(const char *config, const char *const *overrides, size_t n_overrides,
                                        struct sluice_stop *stop)
{
    struct sluice_reload *r = sluice_xcalloc(1, sizeof *r);
    r->config = config;
    r->overrides = overrides;
    r->n_overrides = n_overrides;
    r->stop = stop;
    pthread_mutex_init(&r->lock, NULL);
    return r;
}

void sluice_reload_free(struct sluice_reload *r)
{
    if (!r) return;
    sluice_graph_free(r->accepted);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

void sluice_reload_set_running(struct sluice_reload *r, const struct sluice_graph *g)
{
    pthread_mutex_lock(&r->lock);
    r->running = g;
    pthread_mutex_unlock(&r->lock);
}

struct sluice_graph *sluice_reload_take(struct sluice_reload *r)
{
    pthread_mutex_lock(&r->lock);
    struct sluice_graph *g = r->accepted;
    r->accepted = NULL;
    pthread_mutex_unlock(&r->lock);
    return g;
}

/* ---- what may change ------------------------------------------------------- */

/* The aggregate stages of the query reading `s`, as the engine finds them. */
static void aggs_below(struct sluice_stage *s, struct sluice_stage ***list, size_t *n)
{
    bool listed = false; /* below a union, reached from each of its sources */
    for (size_t i = 0; i < *n && !listed; i++) listed = (*list)[i] == s;
    if (s->kind == SLUICE_STAGE_AGGREGATE && s->feeds_sink && !listed) {
        *list = sluice_xrealloc(*list, (*n + 1) * sizeof **list);
        (*list)[(*n)++] = s;
    }
    for (size_t i = 0; i < s->n_outputs; i++) aggs_below(s->outputs[i], list, n);
    if (s->late_output) aggs_below(s->late_output, list, n);
}

/* The checkpoint fingerprint of the query `lead` leads, from the config
 * (the graph need not be opened). */
static json_t *fingerprint(const struct sluice_graph *g, struct sluice_stage *lead)
{
    struct sluice_stage **aggs = NULL, **sources = NULL;
    size_t n = 0, n_sources = 0;
    for (size_t i = 0; i < g->n_stages; i++) {
        struct sluice_stage *s = &g->stages[i];
        if (s->kind != SLUICE_STAGE_SOURCE || !s->feeds_sink || s->lead != lead) continue;
        sources = sluice_xrealloc(sources, (n_sources + 1) * sizeof *sources);
        sources[n_sources++] = s;
        aggs_below(s, &aggs, &n);
    }
    struct sluice_agg_spec *specs = sluice_xcalloc(n ? n : 1, sizeof *specs);
    json_t *fp = NULL;
    size_t loaded = 0;
    for (; loaded < n; loaded++)
        if (sluice_agg_load_spec(aggs[loaded]->setting, &specs[loaded], NULL) != SLUICE_OK) break;
    if (loaded == n) fp = sluice_checkpoint_meta_fingerprint(g, sources, n_sources, aggs, specs, n);
    for (size_t i = 0; i < loaded; i++) sluice_agg_load_spec_free(&specs[i]);
    free(specs);
    free(aggs);
    free(sources);
    return fp;
}

/* The source leading a query, by its name. */
static struct sluice_stage *lead_named(const struct sluice_graph *g, const char *name)
{
    for (size_t i = 0; i < g->n_stages; i++) {
        struct sluice_stage *s = &g->stages[i];
        if (s->kind == SLUICE_STAGE_SOURCE && s->feeds_sink && s->lead == s && strcmp(s->name, name) == 0) return s;
    }
    return NULL;
}

static bool same(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

int sluice_reload_check(const struct sluice_graph *now, const struct sluice_graph *next, struct sluice_error *err)
{
    const struct sluice_runtime *a = &now->runtime, *b = &next->runtime;
    if (!a->checkpoint) {
        sluice_error_set(err, SLUICE_ECONFIG, "reload refused: the pipeline has no runtime.checkpoint, and a reload "
                                              "continues from it (without one it would start over)");
        return sluice_error_hint(err, "set runtime.checkpoint and restart sluice once; reloads work from then on"),
               SLUICE_ECONFIG;
    }
    if (!same(a->checkpoint, b->checkpoint)) {
        sluice_error_set(err, SLUICE_ECONFIG, "reload refused: runtime.checkpoint changed from \"%s\" to \"%s\"",
                         a->checkpoint, b->checkpoint ? b->checkpoint : "none");
        return sluice_error_hint(err, "a reload continues from the same checkpoint: restart sluice to change it"),
               SLUICE_ECONFIG;
    }
    if (!same(a->http, b->http)) {
        sluice_error_set(err, SLUICE_ECONFIG, "reload refused: runtime.http changed from \"%s\" to \"%s\"",
                         a->http ? a->http : "none", b->http ? b->http : "none");
        return sluice_error_hint(err, "the server keeps serving through a reload: restart sluice to move it"),
               SLUICE_ECONFIG;
    }
    if (!same(a->group, b->group) || !same(a->member, b->member)) {
        sluice_error_set(err, SLUICE_ECONFIG, "reload refused: runtime.%s changed from \"%s\" to \"%s\"",
                         same(a->group, b->group) ? "member" : "group",
                         same(a->group, b->group) ? a->member : a->group ? a->group : "none",
                         same(a->group, b->group) ? b->member : b->group ? b->group : "none");
        return sluice_error_hint(err, "a member keeps its place in its group through a reload: restart sluice to "
                                      "join another"),
               SLUICE_ECONFIG;
    }
    /* One query keeps its checkpoint at the root, several one folder each. */
    size_t n_now = sluice_graph_queries(now), n_next = sluice_graph_queries(next);
    if ((n_now > 1) != (n_next > 1)) {
        sluice_error_set(err, SLUICE_ECONFIG, "reload refused: the pipeline goes from %zu to %zu queries, which lays "
                                              "its checkpoint out differently", n_now, n_next);
        return sluice_error_hint(err, "give the new layout a new runtime.checkpoint and restart sluice"), SLUICE_ECONFIG;
    }
    /* Each query that goes on must mean the same state, as a restart checks. */
    struct sluice_buf diff = { 0 };
    size_t n_diff = 0;
    for (size_t i = 0; i < now->n_stages; i++) {
        struct sluice_stage *src = &now->stages[i];
        if (src->kind != SLUICE_STAGE_SOURCE || !src->feeds_sink || src->lead != src) continue;
        struct sluice_stage *other = lead_named(next, src->name);
        if (!other) continue; /* a query dropped: its checkpoint stays, unread */
        json_t *was = fingerprint(now, src), *will = fingerprint(next, other);
        if (was && will) n_diff += sluice_checkpoint_meta_differences(was, will, &diff);
        json_decref(was);
        json_decref(will);
    }
    if (n_diff) {
        sluice_error_set(err, SLUICE_ECONFIG, "reload refused: the change would invalidate the saved state: %s",
                         diff.data);
        sluice_error_hint(err, "undo it, or give the changed pipeline a new runtime.checkpoint and restart sluice; "
                               "the running pipeline goes on unchanged");
    }
    sluice_buf_free(&diff);
    return n_diff ? SLUICE_ECONFIG : SLUICE_OK;
}

/* ---- a request -------------------------------------------------------------- */

int sluice_reload_request(struct sluice_reload *r, struct sluice_error *err)
{
    pthread_mutex_lock(&r->lock);
    int rc = SLUICE_OK;
    struct sluice_graph *next = NULL;
    if (!r->running) {
        rc = sluice_error_set(err, SLUICE_ECONFIG, "reload refused: the pipeline is not running (starting, or "
                                                   "reloading already)");
        sluice_error_hint(err, "ask again in a moment");
    }
    if (!rc) rc = sluice_graph_load(r->config, r->overrides, r->n_overrides, &next, err);
    if (!rc) rc = sluice_reload_check(r->running, next, err);
    if (rc) {
        sluice_graph_free(next);
        if (rc != SLUICE_ECONFIG) err->code = rc;
    } else {
        sluice_graph_free(r->accepted); /* a newer request wins */
        r->accepted = next;
        sluice_stop_request(r->stop);
    }
    pthread_mutex_unlock(&r->lock);
    return rc;
}
