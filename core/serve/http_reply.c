/* How the REST server answers: JSON bodies and errors, query parameters
 * checked against what an endpoint takes, and rows rendered a chunk at a
 * time as the client reads them. See http_priv.h. */
#include "http_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "mem.h"
#include "render.h"
#include "schema.h"
#include "sql.h"
#include "suggest.h"
#include "tables.h"

/* What a streamed answer renders per call, about. */
#define HTTP_CHUNK 32768

/* ---- answers ------------------------------------------------------------------- */

enum MHD_Result http_queue_as(struct MHD_Connection *conn, unsigned status, struct MHD_Response *r,
                                 const char *type)
{
    if (!r) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    enum MHD_Result ok = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result http_queue(struct MHD_Connection *conn, unsigned status, struct MHD_Response *r)
{
    return http_queue_as(conn, status, r, "application/json");
}

/* `body` as the answer; libmicrohttpd frees it once sent. */
enum MHD_Result http_reply_as(struct MHD_Connection *conn, unsigned status, struct sluice_buf *body,
                                const char *type)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(body->len, body->data, MHD_RESPMEM_MUST_FREE);
    if (!r) sluice_buf_free(body);
    body->data = NULL;
    body->len = body->cap = 0;
    return http_queue_as(conn, status, r, type);
}

enum MHD_Result http_reply(struct MHD_Connection *conn, unsigned status, struct sluice_buf *body)
{
    sluice_buf_putc(body, '\n');
    return http_reply_as(conn, status, body, "application/json");
}

void http_put_string(struct sluice_buf *out, const char *s)
{
    sluice_render_json_string(s, strlen(s), out);
}

enum MHD_Result http_reply_error(struct MHD_Connection *conn, unsigned status, const struct sluice_error *err)
{
    struct sluice_buf body = { 0 };
    sluice_buf_puts(&body, "{\"error\":");
    http_put_string(&body, err->message);
    if (err->file[0]) {
        /* A config's error (a refused reload): where it is, as the CLI says it. */
        sluice_buf_puts(&body, ",\"file\":");
        http_put_string(&body, err->file);
        if (err->line > 0) sluice_buf_printf(&body, ",\"line\":%d", err->line);
    }
    if (err->hint[0]) {
        sluice_buf_puts(&body, ",\"hint\":");
        http_put_string(&body, err->hint);
    }
    if (err->excerpt[0]) {
        sluice_buf_puts(&body, ",\"excerpt\":");
        http_put_string(&body, err->excerpt);
        sluice_buf_printf(&body, ",\"position\":%d", err->position);
    }
    sluice_buf_putc(&body, '}');
    return http_reply(conn, status, &body);
}

enum MHD_Result http_not_found(struct MHD_Connection *conn, const char *fmt, const char *what, const char *hint)
{
    struct sluice_error err = { 0 };
    sluice_error_set(&err, SLUICE_ECONFIG, fmt, what);
    if (hint) snprintf(err.hint, sizeof err.hint, "%s", hint);
    return http_reply_error(conn, MHD_HTTP_NOT_FOUND, &err);
}

/* ---- query parameters ---------------------------------------------------------------- */

static enum MHD_Result collect_param(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    struct http_params *p = cls;
    for (size_t i = 0; i < p->n_allowed; i++) {
        if (strcmp(key, p->allowed[i]) != 0) continue;
        if (p->given[i]) {
            p->repeated = key;
            return MHD_NO;
        }
        p->given[i] = true;
        p->value[i] = value;
        return MHD_YES;
    }
    p->unknown = key;
    return MHD_NO;
}

/* Read the parameters `endpoint` takes (at most two); false once a 400
 * is queued into *answer. */
bool http_read_params(struct MHD_Connection *conn, const char *endpoint, const char *const *allowed, size_t n,
                        struct http_params *p, enum MHD_Result *answer)
{
    *p = (struct http_params){ .allowed = allowed, .n_allowed = n };
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_param, p);
    if (!p->unknown && !p->repeated) return true;
    struct sluice_error err = { 0 };
    if (p->repeated) {
        sluice_error_set(&err, SLUICE_ECONFIG, "query parameter '%s' is given twice", p->repeated);
        sluice_error_hint(&err, "give it once");
    } else {
        sluice_error_set(&err, SLUICE_ECONFIG, "unknown query parameter '%s' for %s", p->unknown, endpoint);
        const char *close = sluice_suggest(p->unknown, allowed, n);
        if (close) sluice_error_hint(&err, "did you mean '%s'?", close);
        else if (n == 0) sluice_error_hint(&err, "%s takes no parameters", endpoint);
        else sluice_error_hint(&err, "%s takes: %s%s%s", endpoint, allowed[0], n > 1 ? ", " : "", n > 1 ? allowed[1] : "");
    }
    *answer = http_reply_error(conn, MHD_HTTP_BAD_REQUEST, &err);
    return false;
}

/* `limit=N`: N a whole number of rows, 0 or more; absent: no limit (-1).
 * False once a 400 is queued into *answer. */
bool http_read_limit(struct MHD_Connection *conn, const struct http_params *p, size_t i, int64_t *limit,
                       enum MHD_Result *answer)
{
    *limit = -1;
    if (!p->given[i]) return true;
    const char *s = p->value[i] ? p->value[i] : "";
    size_t n = strlen(s);
    if (n > 0 && n <= 18 && strspn(s, "0123456789") == n) {
        *limit = strtoll(s, NULL, 10);
        return true;
    }
    struct sluice_error err = { 0 };
    sluice_error_set(&err, SLUICE_ECONFIG, "limit must be a whole number of rows, 0 or more, got '%.100s'", s);
    sluice_error_hint(&err, "e.g. ?limit=20, or no limit for every row");
    *answer = http_reply_error(conn, MHD_HTTP_BAD_REQUEST, &err);
    return false;
}

/* ---- rows, streamed ------------------------------------------------------------------ */

static void stream_free(void *cls)
{
    struct http_stream *s = cls;
    sluice_table_snapshot_unref(s->snap);
    sluice_sql_result_free(s->res);
    free(s->batches);
    sluice_buf_free(&s->out);
    free(s);
}

/* Render rows until about `want` bytes wait to be sent, or the end. */
static void stream_render(struct http_stream *s, size_t want)
{
    while (!s->done && s->out.len - s->sent < want) {
        if (s->bi < s->n && s->ri >= sluice_batch_rows(s->batches[s->bi])) {
            s->bi++;
            s->ri = 0;
            continue;
        }
        if (s->bi >= s->n || (s->limit >= 0 && s->written >= s->limit)) {
            sluice_buf_puts(&s->out, s->written ? "\n]}\n" : "]}\n");
            s->done = true;
            break;
        }
        /* One row a line: readable with curl, and a reader may split on lines. */
        sluice_buf_puts(&s->out, s->written ? ",\n" : "\n");
        sluice_render_row_json(s->batches[s->bi], s->ri, &s->out);
        s->ri++;
        s->written++;
    }
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct http_stream *s = cls;
    if (s->sent == s->out.len) {
        sluice_buf_clear(&s->out);
        s->sent = 0;
    }
    stream_render(s, max);
    size_t n = s->out.len - s->sent;
    if (n == 0) return MHD_CONTENT_READER_END_OF_STREAM;
    if (n > max) n = max;
    memcpy(buf, s->out.data + s->sent, n);
    s->sent += n;
    return (ssize_t)n;
}

/* Queue `s` (whose batches are set; owned from here on) after its head. */
enum MHD_Result http_reply_rows(struct MHD_Connection *conn, struct http_stream *s, const char *name, const char *query,
                                  const struct ArrowSchema *schema)
{
    sluice_buf_puts(&s->out, "{\"name\":");
    http_put_string(&s->out, name);
    if (query) {
        sluice_buf_puts(&s->out, ",\"query\":");
        http_put_string(&s->out, query);
    }
    sluice_buf_puts(&s->out, ",\"schema\":");
    sluice_schema_to_json(schema, &s->out);
    sluice_buf_puts(&s->out, ",\"rows\":[");
    struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, HTTP_CHUNK, stream_read, s,
                                                               stream_free);
    if (!r) stream_free(s);
    return http_queue(conn, MHD_HTTP_OK, r);
}
