/* The REST server of a sluice built without libmicrohttpd: every start
 * fails, saying how to get one. See http.h. */
#include "http.h"

#include "error.h"
#include "graph.h"

static int unavailable(struct sluice_error *err, const struct sluice_where *at)
{
    return sluice_error_where(err, SLUICE_ECONFIG, at,
                              "this sluice was built without HTTP support: install libmicrohttpd-dev and rebuild");
}

int sluice_http_start(const struct sluice_http_opts *opts, struct sluice_http **out, struct sluice_error *err)
{
    *out = NULL;
    return unavailable(err, NULL);
}

int sluice_http_port(const struct sluice_http *h)
{
    return 0;
}

void sluice_http_stop(struct sluice_http *h)
{
}

void sluice_http_set_graph(struct sluice_http *h, const struct sluice_graph *g)
{
}

int sluice_http_start_graph(const struct sluice_graph *g, struct sluice_reload *reload, struct sluice_http **out,
                            struct sluice_error *err)
{
    *out = NULL;
    if (!g->runtime.http) return SLUICE_OK;
    return unavailable(err, &g->runtime.http_where);
}
