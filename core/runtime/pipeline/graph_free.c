/* A loaded pipeline's end: handing its memory tables and progress to the
 * graph that replaces it (a reload), and freeing it, readers first.
 * Loading is in graph_load.c, opening in graph_open.c. */
#include "graph.h"

#include <libconfig.h>
#include <stdlib.h>

#include "agg_stage.h"
#include "dedup.h"
#include "join.h"
#include "stream_join.h"
#include "union.h"
#include "tz.h"
#include "expr.h"
#include "option_table.h"
#include "registry.h"
#include "tables.h"
#include "progress.h"

void sluice_graph_hand_over(struct sluice_graph *from, struct sluice_graph *to)
{
    struct sluice_tables *tables = to->tables;
    struct sluice_progress *progress = to->progress;
    to->tables = from->tables;
    to->progress = from->progress;
    from->tables = tables;
    from->progress = progress;
    /* Each stage's memory sink opens its table through its ctx. */
    for (size_t k = 0; k < to->n_stages; k++) to->stages[k].ctx.tables = to->tables;
    for (size_t k = 0; k < from->n_stages; k++) from->stages[k].ctx.tables = from->tables;
}

void sluice_graph_free(struct sluice_graph *g)
{
    if (!g) return;
    /* Readers first, so no plugin outlives what it reads from. */
    for (size_t k = g->n_stages; k-- > 0;) {
        struct sluice_stage *st = &g->stages[k];
        if (st->opened && st->plugin && st->plugin->close) st->plugin->close(st->state);
        st->opened = false;
        /* An aggregate stage's plan holds bound aggregators from the registry. */
        sluice_agg_stage_free(st->agg);
        st->agg = NULL;
        sluice_dedup_free(st->dedup);
        st->dedup = NULL;
        sluice_join_free(st->join);
        st->join = NULL;
        sluice_stream_join_free(st->sjoin);
        st->sjoin = NULL;
        sluice_union_free(st->un);
        st->un = NULL;
    }
    /* Schemas a plugin declared may have release callbacks in its .so:
     * release them before the registry unloads it. */
    for (size_t k = 0; k < g->n_stages; k++) {
        sluice_expr_free(g->stages[k].watermark.time); /* borrows the ctx's output schema */
        sluice_watermark_tracker_free(&g->stages[k].watermark.tracker);
        sluice_ctx_free(&g->stages[k].ctx);
        free(g->stages[k].state_spec);
        if (g->stages[k].hop) {
            free(g->stages[k].hop->topic);
            free(g->stages[k].hop->changelog);
            free(g->stages[k].hop->kafka_options);
            free(g->stages[k].hop);
        }
        free(g->stages[k].conf);
        free(g->stages[k].outputs);
        free(g->stages[k].inputs);
    }
    for (size_t k = 0; g->projections && k < g->n_stages; k++) {
        for (size_t i = 0; i < g->projections[k].n_paths; i++)
            free((char *)g->projections[k].paths[i]);
        free((void *)g->projections[k].paths);
    }
    free(g->projections);
    sluice_tz_free(g->tz); /* a graph never opened: an opened one gave it to the session */
    sluice_options_storage_free(&g->storage);
    sluice_registry_free(g->registry);
    sluice_tables_free(g->tables);
    sluice_progress_free(g->progress);
    if (g->config) config_destroy(g->config);
    free(g->config);
    free(g->stages);
    free(g->owned_plugin_path);
    free(g->owned_name);
    free(g->owned_member);
    free(g->owned_checkpoint);
    free(g->owned_path);
    free(g);
}
