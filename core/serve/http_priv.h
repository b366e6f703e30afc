/* core/serve/http_priv.h — how the endpoints (http.c) answer: JSON bodies,
 * errors as JSON, checked query parameters and rows streamed as the client
 * reads them (http_reply.c). Not for other modules.
 *
 * Every function queues its answer on `conn` and returns libmicrohttpd's
 * result for the request handler to return; a body handed in is
 * libmicrohttpd's from then on. Called on the server's thread only. */
#ifndef SLUICE_CORE_HTTP_PRIV_H
#define SLUICE_CORE_HTTP_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include <sluice/arrow.h>
#include <sluice/buf.h>
#include <sluice/error.h>

struct sluice_batch;
struct sluice_table_snapshot;
struct sluice_sql_result;

/* The parameters of one request, checked against what its endpoint takes:
 * an unknown or repeated one is a 400, never silently ignored. */
struct http_params {
    const char *const *allowed;
    size_t n_allowed;
    const char *value[2]; /* per allowed name; NULL when absent or given without '=' */
    bool given[2];
    const char *unknown, *repeated;
};

/* {"name":..,"schema":..,"rows":[..]} rendered as the client reads it,
 * from a snapshot or a result the stream holds until libmicrohttpd frees it. */
struct http_stream {
    struct sluice_table_snapshot *snap;  /* referenced, or NULL */
    struct sluice_sql_result *res;       /* owned, or NULL */
    const struct sluice_batch **batches; /* owned array of borrowed batches */
    size_t n, bi;
    int64_t ri, written, limit;
    bool done;
    struct sluice_buf out;               /* rendered, not yet sent from `sent` on */
    size_t sent;
};

/* `r` (destroyed here; NULL answers MHD_NO) with its content type. */
enum MHD_Result http_queue_as(struct MHD_Connection *conn, unsigned status, struct MHD_Response *r,
                              const char *type);
/* `body` as the answer; libmicrohttpd frees it once sent. */
enum MHD_Result http_reply_as(struct MHD_Connection *conn, unsigned status, struct sluice_buf *body,
                              const char *type);
/* `body` (JSON) as the answer, a newline added. */
enum MHD_Result http_reply(struct MHD_Connection *conn, unsigned status, struct sluice_buf *body);
/* `s` as a JSON string into `out`. */
void http_put_string(struct sluice_buf *out, const char *s);
/* {"error":..} with the file, line, hint and excerpt `err` has. */
enum MHD_Result http_reply_error(struct MHD_Connection *conn, unsigned status, const struct sluice_error *err);
/* A 404 whose message is `fmt` with `what`, and `hint` if not NULL. */
enum MHD_Result http_not_found(struct MHD_Connection *conn, const char *fmt, const char *what, const char *hint);
/* Read the parameters `endpoint` takes (at most two); false once a 400
 * is queued into *answer. */
bool http_read_params(struct MHD_Connection *conn, const char *endpoint, const char *const *allowed, size_t n,
                      struct http_params *p, enum MHD_Result *answer);
/* `limit=N`: N a whole number of rows, 0 or more; absent: no limit (-1).
 * False once a 400 is queued into *answer. */
bool http_read_limit(struct MHD_Connection *conn, const struct http_params *p, size_t i, int64_t *limit,
                     enum MHD_Result *answer);
/* Queue `s` (whose batches are set; owned from here on) after its head. */
enum MHD_Result http_reply_rows(struct MHD_Connection *conn, struct http_stream *s, const char *name,
                                const char *query, const struct ArrowSchema *schema);

#endif
