/* The order of a pipeline's stages: cycles refused, inputs before their
 * readers. See graph_priv.h. */
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "error.h"
#include "graph_priv.h"
#include "mem.h"

/* "stage 'a' -> 'b' -> 'a'" for the cycle stack[from..len), each stage an
 * input of the one before it; printed in the direction data flows,
 * starting from the cycle's first stage in the config. */
static void cycle_text(const struct sluice_stage *stages, const long *stack, size_t from, size_t len, char *path,
                       size_t cap)
{
    size_t first = from, used = 0, clen = len - from;
    for (size_t k = from; k < len; k++)
        if (stack[k] < stack[first]) first = k;
    path[0] = '\0';
    for (size_t step = 0; step <= clen && used < cap; step++) {
        size_t k = from + (first - from + clen - step % clen) % clen;
        int w = snprintf(path + used, cap - used, step ? " -> '%s'" : "stage '%s'", stages[stack[k]].name);
        if (w > 0) used += (size_t)w;
    }
}

int sluice_graph_find_cycle(const struct sluice_stage *stages, const struct sluice_graph_pending *pend, size_t n,
                            struct sluice_error *err)
{
    /* Depth first along the inputs; the stack is the path walked, so an
     * input already on it closes a cycle made of the stack above it. */
    unsigned char *color = sluice_xcalloc(n, 1); /* 0 new, 1 on the stack, 2 done */
    long *stack = sluice_xcalloc(n, sizeof *stack);
    size_t *next = sluice_xcalloc(n, sizeof *next); /* per stack entry: its next input to follow */
    int rc = SLUICE_OK;
    for (size_t root = 0; root < n && rc == SLUICE_OK; root++) {
        if (color[root]) continue;
        size_t len = 0;
        stack[len] = (long)root;
        next[len++] = 0;
        color[root] = 1;
        while (len && rc == SLUICE_OK) {
            long at = stack[len - 1];
            const struct sluice_graph_pending *p = &pend[at];
            if (next[len - 1] == p->n_in) {
                color[at] = 2;
                len--;
                continue;
            }
            long in = p->inputs[next[len - 1]++];
            if (in < 0 || color[in] == 2) continue;
            if (color[in] == 0) {
                color[in] = 1;
                stack[len] = in;
                next[len++] = 0;
                continue;
            }
            size_t from = 0;
            while (stack[from] != in) from++;
            char path[400];
            cycle_text(stages, stack, from, len, path, sizeof path);
            size_t first = from;
            for (size_t k = from; k < len; k++)
                if (stack[k] < stack[first]) first = k;
            rc = sluice_error_at(err, SLUICE_ECONFIG, pend[stack[first]].input_setting, "the inputs form a cycle: %s",
                                 path);
        }
    }
    free(next);
    free(stack);
    free(color);
    return rc;
}

size_t *sluice_graph_topological_order(const struct sluice_graph_pending *pend, size_t n)
{
    size_t *order = sluice_xcalloc(n ? n : 1, sizeof *order);
    bool *placed = sluice_xcalloc(n ? n : 1, sizeof *placed);
    for (size_t k = 0; k < n; k++) {
        for (size_t i = 0; i < n; i++) {
            bool ready = !placed[i];
            for (size_t m = 0; m < pend[i].n_in && ready; m++) ready = placed[pend[i].inputs[m]];
            if (!ready) continue;
            placed[i] = true;
            order[k] = i;
            break;
        }
    }
    free(placed);
    return order;
}
