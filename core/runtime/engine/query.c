/* A query: its stages, descriptions and checkpoint. See query.h. */
#include "query.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "changelog.h"
#include "checkpoint.h"
#include "checkpoint_meta.h"
#include "ctx.h"
#include "graph.h"
#include "keyed.h"
#include "mem.h"
#include "stage.h"

/* Each stage once: below a union, the stages are reached from each source. */
static void append(struct sluice_stage ***list, size_t *n, struct sluice_stage *s)
{
    for (size_t i = 0; i < *n; i++)
        if ((*list)[i] == s) return;
    *list = sluice_xrealloc(*list, (*n + 1) * sizeof **list);
    (*list)[(*n)++] = s;
}

static void collect(struct sluice_query *q, struct sluice_stage *s)
{
    if (s->kind == SLUICE_STAGE_SINK) append(&q->sinks, &q->n_sinks, s);
    if (s->kind == SLUICE_STAGE_AGGREGATE && s->feeds_sink) append(&q->aggs, &q->n_aggs, s);
    if (sluice_keyed_is(s)) append(&q->keyed, &q->n_keyed, s);
    if (s->has_watermark && s->feeds_sink) append(&q->marks, &q->n_marks, s);
    for (size_t i = 0; i < s->n_outputs; i++) collect(q, s->outputs[i]);
    if (s->late_output) collect(q, s->late_output);
}

int sluice_query_open(struct sluice_query *q, struct sluice_graph *g, struct sluice_stage *source, bool shared,
                      struct sluice_worker_pool *pool, const struct sluice_run_observer *observer,
                      const struct sluice_stop *stop, struct sluice_error *err)
{
    q->graph = g;
    q->retry = (struct sluice_retry_policy){ g->runtime.retry_limit, g->runtime.retry_backoff_us, stop };
    q->source = source;
    q->pool = pool;
    q->observer = observer;
    struct sluice_buf desc = { 0 };
    for (size_t i = 0; i < g->n_stages; i++) {
        struct sluice_stage *s = &g->stages[i];
        if (s->kind != SLUICE_STAGE_SOURCE || !s->feeds_sink || (s != source && s->lead != source)) continue;
        append(&q->sources, &q->n_sources, s);
        collect(q, s);
        sluice_buf_printf(&desc, "%s%s[%s]", q->n_sources > 1 ? ", " : "", s->plugin_name ? s->plugin_name : "?",
                          s->name);
    }
    q->source_desc = desc.data;
    desc = (struct sluice_buf){ 0 };
    for (size_t i = 0; i < q->n_sinks; i++)
        sluice_buf_printf(&desc, "%s%s[%s]", i ? ", " : "", q->sinks[i]->plugin_name, q->sinks[i]->name);
    q->sink_desc = desc.data;
    q->state_progress = sluice_xcalloc(q->n_aggs + q->n_keyed + 1, sizeof *q->state_progress);
    sluice_checkpoint_meta_uuid(q->id);
    sluice_checkpoint_meta_uuid(q->run_id);
    if (g->runtime.group) {
        json_t *fp = sluice_checkpoint_meta_fingerprint(g, q->sources, q->n_sources, q->aggs, NULL, q->n_aggs);
        char *text = fp ? json_dumps(fp, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        if (text) sluice_ctx_set_group_fingerprint(&source->ctx, text);
        free(text);
        json_decref(fp);
    }
    int rc = g->runtime.group ? sluice_changelog_open(q, &q->changelog, err) : SLUICE_OK;
    if (rc || !g->runtime.checkpoint) return rc;
    rc = sluice_checkpoint_open(g, q->sources, q->n_sources, q->aggs, q->n_aggs, shared, &q->ckpt, err);
    if (rc) return rc;
    const struct sluice_checkpoint_resume *r = sluice_checkpoint_resume(q->ckpt);
    memcpy(q->id, sluice_checkpoint_query_id(q->ckpt), sizeof q->id);
    q->next_batch_id = r->next_batch;
    q->committed = r->committed ? sluice_xstrdup(r->committed) : NULL;
    q->no_data_pending = r->no_data_next;
    return SLUICE_OK;
}

void sluice_query_close(struct sluice_query *q)
{
    sluice_checkpoint_close(q->ckpt);
    sluice_changelog_close(q->changelog);
    free(q->committed);
    free(q->target);
    free(q->sources);
    free(q->sinks);
    free(q->aggs);
    free(q->keyed);
    free(q->marks);
    free(q->source_desc);
    free(q->sink_desc);
    free(q->state_progress);
    memset(q, 0, sizeof *q);
}
