/* The file source's store over S3 (file_store.h): listing a prefix, sizes
 * from the listing, objects read in ranged GETs, streamed.
 *
 * Streaming: a unit's bytes come from one ranged GET driven through a curl
 * multi handle; the write callback copies straight into the buffer of the
 * read() under way and pauses the transfer (CURL_WRITEFUNC_PAUSE) once it
 * is full, so memory holds a piece, never an object, and the next read()
 * resumes the same response. A unit asks for its own bytes plus a little
 * (the line crossing its end); a longer line, or a transfer cut by a reset
 * or a stall, goes on with a new GET from the byte reached, after a
 * backoff for the latter.
 *
 * Connections: each read takes a curl handle (easy + multi) from a pool
 * and gives it back, so a worker reuses its connection from unit to unit;
 * a transfer abandoned midway (a seek) closes its connection, a finished
 * one keeps it. Listing and sizes use one handle of the main thread's. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "file_source.h"
#include "s3_client.h"
#include "s3_store.h"

/* A unit's GET reaches this far past its end, for the line crossing it. */
#define RANGE_SLACK (64 << 10)
/* A GET going on past that (a very long line) asks for this much more. */
#define RANGE_MORE (1 << 20)

enum drive_until { UNTIL_HEADERS, UNTIL_FILLED, UNTIL_DONE };

struct s3_file {
    struct s3_store *st;
    struct s3_conn *conn;
    const char *path;
    struct s3_loc loc;
    int64_t to;          /* the caller's hint: it reads to about here (INT64_MAX: the end) */
    int64_t size;
    int64_t pos;         /* the object's offset of the next byte the transfer delivers */
    bool running, paused, finished;
    int attempt;         /* retries since the last byte arrived */
    struct s3_response resp;
    struct curl_slist *headers;
    /* The read() under way: where the bytes go, and how many more fit. */
    char *dst;
    size_t want;
    /* Bytes a callback delivered past a full read(), for the next one. */
    char *stage;
    size_t stage_n, stage_off, stage_cap;
};

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* ---- sizes seen ---- */

static struct size_slot *size_find(const struct s3_store *st, const char *name)
{
    if (!st->sizes_slots) return NULL;
    for (size_t i = hash_name(name) & (st->sizes_slots - 1);; i = (i + 1) & (st->sizes_slots - 1)) {
        if (!st->sizes[i].name || strcmp(st->sizes[i].name, name) == 0) return &st->sizes[i];
    }
}

/* Remember a size; out of memory only costs a HEAD later. */
static void size_put(struct s3_store *st, const char *name, int64_t size)
{
    if (2 * (st->sizes_n + 1) > st->sizes_slots) {
        size_t n = st->sizes_slots ? 2 * st->sizes_slots : 256;
        struct size_slot *e = calloc(n, sizeof *e);
        if (!e) return;
        for (size_t k = 0; k < st->sizes_slots; k++) {
            if (!st->sizes[k].name) continue;
            size_t i = hash_name(st->sizes[k].name) & (n - 1);
            while (e[i].name) i = (i + 1) & (n - 1);
            e[i] = st->sizes[k];
        }
        free(st->sizes);
        st->sizes = e;
        st->sizes_slots = n;
    }
    struct size_slot *s = size_find(st, name);
    if (!s->name) {
        if (!(s->name = strdup(name))) return;
        st->sizes_n++;
    }
    s->size = size;
}

/* ---- listing ---- */

struct list_ctx {
    struct s3_store *st;
    const char *sub; /* NULL: the folder itself */
    struct sluice_buf rel;
    file_store_skip_fn skip;
    file_store_each_fn each;
    void *arg;
};

static int list_one(void *arg, const struct s3_object *o, struct sluice_error *err)
{
    struct list_ctx *lc = arg;
    if (!o->is_prefix && !lc->sub) size_put(lc->st, o->name, o->size);
    if (!o->is_prefix && lc->sub) { /* sizes are kept by the path below the folder */
        sluice_buf_clear(&lc->rel);
        if (!sluice_buf_printf(&lc->rel, "%s/%s", lc->sub, o->name)) size_put(lc->st, lc->rel.data, o->size);
    }
    if (lc->skip(lc->arg, o->name)) return SLUICE_OK;
    struct file_store_entry e = { .name = o->name, .kind = o->is_prefix ? FILE_STORE_DIR : FILE_STORE_REGULAR,
                                  .size = o->size, .mtime_ns = o->mtime_ns };
    return lc->each(lc->arg, &e, err);
}

/* A subdirectory is the common prefix prefix + sub + "/": the listing
 * with a delimiter gives its objects and its own common prefixes, as a
 * directory's entries. One that is gone is simply empty. */
static int s3_store_list(struct file_store *base, const char *sub, file_store_skip_fn skip, file_store_each_fn each,
                         void *arg, struct sluice_error *err)
{
    struct s3_store *st = (struct s3_store *)base;
    struct list_ctx lc = { st, sub, { 0 }, skip, each, arg };
    struct sluice_buf prefix = { 0 };
    if (sub && sluice_buf_printf(&prefix, "%s%s/", st->prefix, sub))
        return st->client.host->error(err, SLUICE_ENOMEM, "out of memory");
    int rc = s3_list(&st->client, st->main, st->bucket, sub ? prefix.data : st->prefix, 0, list_one, &lc, err);
    sluice_buf_free(&prefix);
    sluice_buf_free(&lc.rel);
    return rc;
}

/* The path of `path` below the folder, or NULL when it is elsewhere. */
static const char *name_in_dir(const struct s3_store *st, const char *path)
{
    size_t n = strlen(st->dir);
    if (strncmp(path, st->dir, n) != 0 || path[n] != '/' || !path[n + 1]) return NULL;
    return path + n + 1;
}

static int64_t s3_store_size(struct file_store *base, const char *path)
{
    struct s3_store *st = (struct s3_store *)base;
    const char *name = name_in_dir(st, path);
    const struct size_slot *s = name ? size_find(st, name) : NULL;
    if (s && s->name) return s->size;
    /* Not listed in this run (a batch replayed after a restart): ask. */
    struct s3_loc loc;
    if (!s3_loc_parse(path, &loc)) return -1;
    int64_t size = s3_head_size(&st->client, st->main, loc.bucket, loc.key);
    if (size >= 0 && name) size_put(st, name, size);
    return size;
}

/* ---- connections ---- */

static struct s3_conn *conn_take(struct s3_store *st)
{
    pthread_mutex_lock(&st->lock);
    struct s3_conn *c = st->pool_n ? st->pool[--st->pool_n] : NULL;
    pthread_mutex_unlock(&st->lock);
    if (c) return c;
    if (!(c = calloc(1, sizeof *c))) return NULL;
    c->multi = curl_multi_init();
    c->easy = s3_easy_new(&st->client);
    if (!c->multi || !c->easy) {
        if (c->multi) curl_multi_cleanup(c->multi);
        if (c->easy) curl_easy_cleanup(c->easy);
        free(c);
        return NULL;
    }
    return c;
}

static void conn_free(struct s3_conn *c)
{
    curl_easy_cleanup(c->easy);
    curl_multi_cleanup(c->multi);
    free(c);
}

static void conn_give(struct s3_store *st, struct s3_conn *c)
{
    pthread_mutex_lock(&st->lock);
    if (st->pool_n < CONN_POOL_MAX) {
        st->pool[st->pool_n++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&st->lock);
    if (c) conn_free(c);
}

/* ---- one object, streamed ---- */

/* The write callback of a 2xx answer: into the read() under way, the rest
 * of this delivery into the stage; once full, pause. */
static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    struct s3_file *f = arg;
    size_t len = size * n;
    if (!f->want) {
        f->paused = true;
        return CURL_WRITEFUNC_PAUSE; /* libcurl keeps the bytes and hands them over again */
    }
    size_t k = len < f->want ? len : f->want;
    memcpy(f->dst, p, k);
    f->dst += k;
    f->want -= k;
    if (k < len) {
        /* The stage is empty whenever want > 0 (read() empties it first). */
        if (len - k > f->stage_cap) {
            char *s = realloc(f->stage, len - k);
            if (!s) return 0; /* fails the transfer: reported as a write error */
            f->stage = s;
            f->stage_cap = len - k;
        }
        memcpy(f->stage, p + k, len - k);
        f->stage_n = len - k;
        f->stage_off = 0;
    }
    f->pos += (int64_t)len;
    f->attempt = 0;
    return len;
}

static void stop_get(struct s3_file *f)
{
    if (f->running) curl_multi_remove_handle(f->conn->multi, f->conn->easy);
    curl_slist_free_all(f->headers);
    f->headers = NULL;
    f->running = f->paused = false;
}

static int start_get(struct s3_file *f, int64_t at, struct sluice_error *err)
{
    char range[64];
    int64_t end = f->to == INT64_MAX ? -1 : f->to + RANGE_SLACK;
    if (end >= 0 && end <= at) end = at + RANGE_MORE;
    if (end >= 0) snprintf(range, sizeof range, "%lld-%lld", (long long)at, (long long)end - 1);
    else snprintf(range, sizeof range, "%lld-", (long long)at);
    int rc = s3_request_setup(&f->st->client, f->conn->easy, "GET", f->loc.bucket, f->loc.key, NULL, range,
                              &f->resp, on_data, f, &f->headers, err);
    if (rc) return rc;
    if (curl_multi_add_handle(f->conn->multi, f->conn->easy) != CURLM_OK) {
        curl_slist_free_all(f->headers);
        f->headers = NULL;
        return f->st->client.host->error(err, SLUICE_EIO, "cannot start reading '%s'", f->path);
    }
    f->pos = at;
    f->running = true;
    f->finished = false;
    return SLUICE_OK;
}

/* Run the transfer until `until` holds or it ends (f->finished). */
static int drive(struct s3_file *f, enum drive_until until, struct sluice_error *err)
{
    CURLM *m = f->conn->multi;
    while (f->running) {
        int still;
        CURLMcode mc = curl_multi_perform(m, &still);
        struct CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left)))
            if (msg->msg == CURLMSG_DONE) {
                f->resp.curl = msg->data.result;
                f->finished = true;
            }
        if (f->finished) {
            stop_get(f);
            break;
        }
        if (mc != CURLM_OK)
            return f->st->client.host->error(err, SLUICE_EIO, "cannot read '%s': %s", f->path, curl_multi_strerror(mc));
        bool ok2xx = f->resp.status >= 200 && f->resp.status < 300;
        if (until == UNTIL_HEADERS && f->resp.headers_done && ok2xx) break;
        if (until == UNTIL_FILLED && (!f->want || f->paused)) break;
        curl_multi_poll(m, NULL, 0, 1000, NULL);
    }
    return SLUICE_OK;
}

/* A transfer ended: fine, to be retried (after a backoff), or an error. */
static int finished(struct s3_file *f, struct sluice_error *err)
{
    const struct s3_client *c = &f->st->client;
    f->finished = false;
    if (f->resp.curl != CURLE_OK) f->resp.status = 0;
    if (f->resp.status >= 200 && f->resp.status < 300) return SLUICE_OK;
    if (s3_retryable(&f->resp) && f->attempt < c->max_retries) {
        c->host->log(c->ctx, SLUICE_LOG_DEBUG, "s3: reading %s at byte %lld: %s, retrying", f->path,
                     (long long)f->pos, f->resp.status ? "a transient error" : curl_easy_strerror(f->resp.curl));
        s3_backoff(f->attempt++);
        return SLUICE_OK;
    }
    return s3_fail(c, SLUICE_EIO, "cannot read", f->loc.bucket, f->loc.key, &f->resp, err);
}

static int s3_store_open(struct file_store *base, const char *path, int64_t from, int64_t to,
                         struct file_store_file **out, int64_t *size, struct sluice_error *err)
{
    struct s3_store *st = (struct s3_store *)base;
    const struct sluice_host *host = st->client.host;
    struct s3_file *f = calloc(1, sizeof *f);
    if (!f) return host->error(err, SLUICE_ENOMEM, "out of memory");
    f->st = st;
    f->path = path;
    f->to = to;
    if (!s3_loc_parse(path, &f->loc) || !f->loc.key[0]) {
        free(f);
        return host->error(err, FILE_STORE_MISSING, "not an S3 object (s3://bucket/key)");
    }
    if (!(f->conn = conn_take(st))) {
        free(f);
        return host->error(err, SLUICE_ENOMEM, "out of memory");
    }
    *out = (struct file_store_file *)f;
    /* The source reads from the byte before a unit (is a line starting there?). */
    int64_t at = from > 0 ? from - 1 : 0;
    int rc = SLUICE_OK;
    bool ok = false;
    for (;;) {
        if ((rc = start_get(f, at, err)) || (rc = drive(f, UNTIL_HEADERS, err))) break;
        const struct s3_response *r = &f->resp;
        if (r->headers_done && r->status / 100 == 2 && (f->running || r->curl == CURLE_OK)) {
            ok = true; /* the bytes are coming (or came: an empty answer) */
            f->finished = false;
            break;
        }
        long status = r->curl == CURLE_OK ? r->status : 0;
        if (status == 404) {
            char code[64], msg[256];
            s3_error_parse(r->body.data ? r->body.data : "", r->body.len, code, sizeof code, msg, sizeof msg);
            rc = host->error(err, FILE_STORE_MISSING, "HTTP 404 %s%s%s", code[0] ? code : "Not Found",
                             msg[0] ? ": " : "", msg);
            break;
        }
        if (status == 416) { /* nothing at `at`: an empty object, or one shorter than planned */
            f->size = r->total_size >= 0 ? r->total_size
                                          : s3_head_size(&st->client, f->conn->easy, f->loc.bucket, f->loc.key);
            f->pos = at;
            if (f->size < 0) rc = s3_fail(&st->client, SLUICE_EIO, "cannot read", f->loc.bucket, f->loc.key, r, err);
            break;
        }
        if ((rc = finished(f, err))) break;
    }
    if (!rc && ok) {
        f->size = f->resp.total_size;
        if (f->resp.status == 200 && at > 0)
            rc = host->error(err, SLUICE_EIO, "cannot read '%s': the server ignored the Range header", path);
        else if (f->size < 0)
            rc = host->error(err, SLUICE_EIO, "cannot read '%s': the answer gives no size (Content-Range)", path);
    }
    if (rc) {
        f->st->base.ops->close(*out);
        *out = NULL;
        return rc;
    }
    *size = f->size;
    return SLUICE_OK;
}

static int s3_store_read(struct file_store_file *base, char *buf, size_t n, int64_t off, size_t *got,
                         struct sluice_error *err)
{
    struct s3_file *f = (struct s3_file *)base;
    *got = 0;
    if (off >= f->size) return SLUICE_OK;
    if ((int64_t)n > f->size - off) n = (size_t)(f->size - off);
    int64_t next = f->pos - (int64_t)(f->stage_n - f->stage_off);
    if (off != next) { /* a seek (the error path counting lines): start over there */
        stop_get(f);
        f->stage_n = f->stage_off = 0;
        f->pos = off;
    }
    size_t k = f->stage_n - f->stage_off < n ? f->stage_n - f->stage_off : n;
    if (k) memcpy(buf, f->stage + f->stage_off, k);
    f->stage_off += k;
    f->dst = buf + k;
    f->want = n - k;
    int rc = SLUICE_OK;
    while (!rc && f->want && f->pos < f->size) {
        if (!f->running) {
            int64_t before = f->pos;
            rc = start_get(f, f->pos, err);
            if (!rc) rc = drive(f, UNTIL_FILLED, err);
            /* A complete answer that brought nothing would loop forever. */
            if (!rc && f->finished && f->pos == before && f->resp.curl == CURLE_OK && f->resp.status / 100 == 2)
                rc = f->st->client.host->error(err, SLUICE_EIO, "cannot read '%s': the server sent no bytes at %lld",
                                               f->path, (long long)before);
        } else {
            if (f->paused) {
                f->paused = false;
                /* May hand over the bytes kept while paused, right here. */
                curl_easy_pause(f->conn->easy, CURLPAUSE_CONT);
            }
            rc = drive(f, UNTIL_FILLED, err);
        }
        if (!rc && f->finished) rc = finished(f, err);
    }
    *got = n - f->want;
    f->dst = NULL;
    f->want = 0;
    return rc;
}

static void s3_store_close(struct file_store_file *base)
{
    struct s3_file *f = (struct s3_file *)base;
    stop_get(f);
    /* The handle keeps pointers to this read's response: point it nowhere. */
    curl_easy_setopt(f->conn->easy, CURLOPT_ERRORBUFFER, NULL);
    conn_give(f->st, f->conn);
    sluice_buf_free(&f->resp.body);
    free(f->stage);
    free(f);
}

/* S3 sends no news: an idle stream lists again every poll_interval. */
static int s3_store_wait(struct file_store *base, int64_t timeout_us, int wake_fd, struct sluice_error *err)
{
    struct s3_store *st = (struct s3_store *)base;
    int64_t us = timeout_us < st->poll_interval_us ? timeout_us : st->poll_interval_us;
    struct pollfd p = { wake_fd, POLLIN, 0 };
    if (poll(&p, wake_fd >= 0 ? 1 : 0, us > 0 ? (int)((us + 999) / 1000) : 0) < 0 && errno != EINTR)
        return st->client.host->error(err, SLUICE_EIO, "cannot wait: %s", strerror(errno));
    return SLUICE_OK;
}

static void s3_store_free(struct file_store *base)
{
    struct s3_store *st = (struct s3_store *)base;
    curl_global_cleanup();
    for (size_t i = 0; i < st->pool_n; i++) conn_free(st->pool[i]);
    pthread_mutex_destroy(&st->lock);
    if (st->main) curl_easy_cleanup(st->main);
    for (size_t i = 0; i < st->sizes_slots; i++) free(st->sizes[i].name);
    free(st->sizes);
    s3_creds_free(&st->client.creds);
    free(st->client.region);
    free(st->client.endpoint);
    free(st->client.sigv4);
    free(st->prefix);
    free(st->dir);
    free(st->archive);
    free(st->base.root);
    free(st);
}

static const struct file_store_ops s3_ops = {
    .list = s3_store_list,
    .size = s3_store_size,
    .open = s3_store_open,
    .read = s3_store_read,
    .close = s3_store_close,
    .wait = s3_store_wait,
    .free = s3_store_free,
    .set_archive = s3_store_set_archive,
    .clean = s3_store_clean,
};

/* ---- making one ---- */

static int bad_option(const struct sluice_host *host, const char *option, const char *value, const char *want,
                      struct sluice_error *err)
{
    return host->option_error(err, SLUICE_ECONFIG, option, "%s '%s' is not %s", option, value, want);
}

static int probe(struct s3_store *st, struct sluice_error *err)
{
    const struct sluice_host *host = st->client.host;
    struct s3_response r = { 0 };
    struct sluice_buf q = { 0 };
    int bad = sluice_buf_puts(&q, "delimiter=%2F&list-type=2&max-keys=1&prefix=") ||
              s3_encode(&q, st->prefix, strlen(st->prefix), false);
    int rc = bad ? host->error(err, SLUICE_ENOMEM, "out of memory")
                 : s3_perform(&st->client, st->main, "GET", st->bucket, NULL, q.data, &r, err);
    /* An answer refusing the listing is the config's fault (bucket, region,
     * credentials, requester_pays); no answer, or a server error, is not. */
    if (!rc && r.status != 200)
        rc = s3_fail(&st->client, r.status >= 300 && r.status < 500 ? SLUICE_ECONFIG : SLUICE_EIO, "cannot list",
                     st->bucket, st->prefix, &r, err);
    sluice_buf_free(&r.body);
    sluice_buf_free(&q);
    if (rc == SLUICE_ECONFIG) sluice_error_key(err, "path", rc);
    return rc;
}

int s3_store_new(const struct sluice_host *host, struct sluice_ctx *ctx, const struct file_conf *conf,
                 const char *path, struct file_store **out, struct sluice_error *err)
{
    struct s3_loc loc;
    if (!s3_loc_parse(path, &loc))
        return bad_option(host, "path", path, "an S3 folder: s3://bucket/prefix/", err);
    const char *region = conf->region && *conf->region ? conf->region : getenv("AWS_REGION");
    if (!region || !*region) region = getenv("AWS_DEFAULT_REGION");
    if (!region || !*region) region = "us-east-1";
    if (strspn(region, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(region))
        return bad_option(host, "region", region, "an AWS region such as eu-west-3", err);
    const char *ep = conf->endpoint;
    if (ep && *ep && strncmp(ep, "http://", 7) != 0 && strncmp(ep, "https://", 8) != 0)
        return bad_option(host, "endpoint", ep, "a URL such as http://127.0.0.1:9000", err);

    struct s3_store *st = calloc(1, sizeof *st);
    if (!st) return host->error(err, SLUICE_ENOMEM, "out of memory");
    pthread_mutex_init(&st->lock, NULL);
    st->base.ops = &s3_ops;
    curl_global_init(CURL_GLOBAL_DEFAULT); /* counted: s3_store_free undoes it */
    struct s3_client *c = &st->client;
    c->host = host;
    c->ctx = ctx;
    c->requester_pays = conf->requester_pays;
    c->timeout_us = conf->timeout;
    c->max_retries = (int)conf->max_retries;
    st->poll_interval_us = conf->poll_interval;
    memcpy(st->bucket, loc.bucket, sizeof st->bucket);
    char *key = s3_dup_trimmed(loc.key, strlen(loc.key));
    struct sluice_buf sig = { 0 }, pre = { 0 }, root = { 0 };
    int bad = !key || sluice_buf_printf(&sig, "aws:amz:%s:s3", region) ||
              sluice_buf_printf(&pre, "%s%s", key ? key : "", key && *key ? "/" : "") ||
              sluice_buf_printf(&root, "s3://%s%s%s", loc.bucket, key && *key ? "/" : "", key ? key : "");
    free(key);
    c->sigv4 = conf->anonymous ? NULL : sig.data;
    if (conf->anonymous) sluice_buf_free(&sig);
    st->prefix = pre.data;
    st->base.root = root.data;
    c->region = strdup(region);
    c->endpoint = ep && *ep ? s3_dup_trimmed(ep, strlen(ep)) : NULL;
    st->dir = s3_dup_trimmed(path, strlen(path));
    st->main = s3_easy_new(c);
    int rc = SLUICE_OK;
    if (bad || !c->region || (ep && *ep && !c->endpoint) || !st->dir || !st->main)
        rc = host->error(err, SLUICE_ENOMEM, "out of memory");
    if (!rc && !conf->anonymous) {
        rc = s3_creds_find(host, conf->profile, &c->creds, err);
        if (rc && conf->profile) sluice_error_key(err, "profile", rc);
    }
    if (!rc) rc = probe(st, err);
    if (rc) {
        s3_store_free(&st->base);
        return rc;
    }
    *out = &st->base;
    return SLUICE_OK;
}
