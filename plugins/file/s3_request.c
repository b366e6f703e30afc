/* The s3 source's requests: addressing, signing through libcurl, retries
 * with backoff, and S3's errors turned into messages. See s3_client.h. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "s3_client.h"

/* SHA-256 of the empty body: every request here sends none (a copy's PUT
 * names its source in a header). */
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/* A body kept in memory (a listing page, an error) larger than this is not S3's. */
#define BODY_MAX (64u << 20)
/* Backoff before retry n: about 100 ms * 2^n, at most 5 s, jittered. */
#define BACKOFF_BASE_MS 100
#define BACKOFF_MAX_MS 5000

bool s3_loc_parse(const char *url, struct s3_loc *out)
{
    static const char *const schemes[] = { "s3://", "s3a://", "s3n://" };
    const char *p = NULL;
    for (size_t i = 0; i < 3 && !p; i++)
        if (strncmp(url, schemes[i], strlen(schemes[i])) == 0) p = url + strlen(schemes[i]);
    if (!p) return false;
    size_t n = strcspn(p, "/");
    if (n < 3 || n >= sizeof out->bucket) return false;
    for (size_t i = 0; i < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_", p[i])) return false;
    memcpy(out->bucket, p, n);
    out->bucket[n] = '\0';
    out->key = p[n] ? p + n + 1 : p + n;
    return true;
}

int s3_encode(struct sluice_buf *b, const char *s, size_t n, bool keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    if (sluice_buf_reserve(b, 3 * n)) return SLUICE_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                     c == '_' || c == '.' || c == '~' || (c == '/' && keep_slash);
        if (plain) {
            b->data[b->len++] = (char)c;
        } else {
            b->data[b->len++] = '%';
            b->data[b->len++] = hex[c >> 4];
            b->data[b->len++] = hex[c & 15];
        }
    }
    b->data[b->len] = '\0';
    return SLUICE_OK;
}

CURL *s3_easy_new(const struct s3_client *c)
{
    CURL *e = curl_easy_init();
    if (!e) return NULL;
    long secs = (long)((c->timeout_us + 999999) / 1000000);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L); /* worker threads: no SIGALRM for DNS timeouts */
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(c->timeout_us / 1000));
    /* No total timeout (a big object takes as long as it takes), but a
     * transfer that stalls for `timeout` is cut and retried. */
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, secs > 0 ? secs : 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L); /* keys may hold "./": sign and send them as they are */
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 256L * 1024);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "sluice-s3");
    return e;
}

/* ---- responses ---- */

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    struct s3_response *r = arg;
    size_t len = size * n;
    if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
        /* A new response (after a 100 Continue, say): forget the last one's. */
        const char *sp = memchr(p, ' ', len);
        r->status = sp ? strtol(sp + 1, NULL, 10) : 0;
        r->total_size = r->range_start = -1;
        r->last_modified_ns = 0;
        r->bucket_region[0] = '\0';
        r->headers_done = false;
        return len;
    }
    if (len <= 2 && (p[0] == '\r' || p[0] == '\n')) {
        if (r->status >= 200) r->headers_done = true;
        return len;
    }
    char line[256];
    size_t k = len < sizeof line - 1 ? len : sizeof line - 1;
    memcpy(line, p, k);
    line[k] = '\0';
    char *colon = strchr(line, ':');
    if (!colon) return len;
    *colon = '\0';
    char *v = colon + 1 + strspn(colon + 1, " \t");
    v[strcspn(v, "\r\n")] = '\0';
    if (strcasecmp(line, "content-range") == 0) {
        long long a = -1, total = -1;
        if (sscanf(v, "bytes %lld-%*d/%lld", &a, &total) == 2) {
            r->range_start = a;
            r->total_size = total;
        } else if (sscanf(v, "bytes */%lld", &total) == 1) {
            r->total_size = total;
        }
    } else if (strcasecmp(line, "content-length") == 0 && r->range_start < 0 && r->status == 200) {
        r->total_size = strtoll(v, NULL, 10);
    } else if (strcasecmp(line, "last-modified") == 0) {
        time_t t = curl_getdate(v, NULL);
        if (t > 0) r->last_modified_ns = (int64_t)t * 1000000000;
    } else if (strcasecmp(line, "x-amz-bucket-region") == 0) {
        snprintf(r->bucket_region, sizeof r->bucket_region, "%s", v);
    }
    return len;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    struct s3_response *r = arg;
    size_t len = size * n;
    if (r->sink && r->status >= 200 && r->status < 300) return r->sink(p, size, n, r->sink_arg);
    if (r->body.len + len > BODY_MAX || sluice_buf_append(&r->body, p, len)) return 0; /* fails the transfer */
    return len;
}

/* An upload of nothing: PUT's body (a copy's). */
static size_t no_body(char *p, size_t size, size_t n, void *arg)
{
    (void)p, (void)size, (void)n, (void)arg;
    return 0;
}

/* s3_request_setup with one more header (`extra`: "name: value", or NULL). */
static int setup(const struct s3_client *c, CURL *easy, const char *method, const char *bucket, const char *key,
                 const char *query, const char *range, const char *extra, struct s3_response *resp,
                 curl_write_callback body_sink, void *sink_arg, struct curl_slist **headers, struct sluice_error *err)
{
    struct sluice_buf url = { 0 };
    bool virtual_host = !c->endpoint && !strchr(bucket, '.');
    int bad = 0;
    if (c->endpoint) bad |= sluice_buf_printf(&url, "%s/%s", c->endpoint, bucket);
    else if (virtual_host) bad |= sluice_buf_printf(&url, "https://%s.s3.%s.amazonaws.com", bucket, c->region);
    else bad |= sluice_buf_printf(&url, "https://s3.%s.amazonaws.com/%s", c->region, bucket);
    if (key) bad |= sluice_buf_putc(&url, '/') || s3_encode(&url, key, strlen(key), true);
    else if (virtual_host) bad |= sluice_buf_putc(&url, '/');
    if (query) bad |= sluice_buf_putc(&url, '?') || sluice_buf_puts(&url, query);
    struct curl_slist *h = NULL, *t;
    static const char *const fixed = "x-amz-content-sha256: " EMPTY_SHA256;
    bad |= !(h = curl_slist_append(NULL, fixed));
    if (!bad && c->requester_pays) bad |= !(t = curl_slist_append(h, "x-amz-request-payer: requester")) || !(h = t);
    if (!bad && extra) bad |= !(t = curl_slist_append(h, extra)) || !(h = t);
    if (!bad && c->creds.token) {
        struct sluice_buf tok = { 0 };
        bad |= sluice_buf_printf(&tok, "x-amz-security-token: %s", c->creds.token);
        bad |= !bad && (!(t = curl_slist_append(h, tok.data)) || !(h = t));
        if (tok.data) explicit_bzero(tok.data, tok.len);
        sluice_buf_free(&tok);
    }
    if (bad) {
        curl_slist_free_all(h);
        sluice_buf_free(&url);
        return c->host->error(err, SLUICE_ENOMEM, "out of memory");
    }
    sluice_buf_free(&resp->body);
    *resp = (struct s3_response){ .total_size = -1, .range_start = -1, .sink = body_sink, .sink_arg = sink_arg };
    curl_easy_setopt(easy, CURLOPT_URL, url.data); /* libcurl copies it */
    sluice_buf_free(&url);
    /* A handle is reused for the next request: every method sets all of these. */
    curl_easy_setopt(easy, CURLOPT_UPLOAD, 0L);
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, NULL);
    if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
    } else if (strcmp(method, "PUT") == 0) {
        curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t)0);
        curl_easy_setopt(easy, CURLOPT_READFUNCTION, no_body);
    } else {
        curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
        if (strcmp(method, "GET") != 0) curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method);
    }
    curl_easy_setopt(easy, CURLOPT_RANGE, range);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, h);
    if (c->sigv4) {
        curl_easy_setopt(easy, CURLOPT_AWS_SIGV4, c->sigv4);
        curl_easy_setopt(easy, CURLOPT_USERNAME, c->creds.access_key);
        curl_easy_setopt(easy, CURLOPT_PASSWORD, c->creds.secret_key);
    }
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, resp);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, resp->curl_error);
    *headers = h;
    return SLUICE_OK;
}

int s3_request_setup(const struct s3_client *c, CURL *easy, const char *method, const char *bucket,
                     const char *key, const char *query, const char *range, struct s3_response *resp,
                     curl_write_callback body_sink, void *sink_arg, struct curl_slist **headers,
                     struct sluice_error *err)
{
    return setup(c, easy, method, bucket, key, query, range, NULL, resp, body_sink, sink_arg, headers, err);
}

/* ---- retries ---- */

bool s3_retryable(const struct s3_response *r)
{
    switch (r->curl) {
    case CURLE_OK: break;
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM: return true;
    default: return false;
    }
    if (r->status >= 500 || r->status == 429) return true;
    /* S3's own transient 400: the client was too slow sending the request. */
    return r->status == 400 && r->body.data && strstr(r->body.data, "<Code>RequestTimeout</Code>");
}

void s3_backoff(int attempt)
{
    static _Thread_local unsigned seed;
    if (!seed) seed = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)&seed;
    int64_t ms = BACKOFF_BASE_MS;
    for (int i = 0; i < attempt && ms < BACKOFF_MAX_MS; i++) ms *= 2;
    if (ms > BACKOFF_MAX_MS) ms = BACKOFF_MAX_MS;
    /* Half fixed, half random: clients retrying together spread out. */
    ms = ms / 2 + rand_r(&seed) % (ms / 2 + 1);
    struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000 };
    while (nanosleep(&ts, &ts) != 0) {
    }
}

int s3_perform_with(const struct s3_client *c, CURL *easy, const char *method, const char *bucket, const char *key,
                    const char *query, const char *header, struct s3_response *resp, struct sluice_error *err)
{
    for (int attempt = 0;; attempt++) {
        struct curl_slist *h;
        int rc = setup(c, easy, method, bucket, key, query, NULL, header, resp, NULL, NULL, &h, err);
        if (rc) return rc;
        resp->curl = curl_easy_perform(easy);
        curl_slist_free_all(h);
        curl_easy_setopt(easy, CURLOPT_HTTPHEADER, NULL);
        curl_easy_setopt(easy, CURLOPT_NOBODY, 0L);
        curl_easy_setopt(easy, CURLOPT_UPLOAD, 0L);
        curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, NULL);
        if (resp->curl != CURLE_OK) resp->status = 0;
        if (!s3_retryable(resp) || attempt >= c->max_retries) return SLUICE_OK;
        c->host->log(c->ctx, SLUICE_LOG_DEBUG, "s3: %s s3://%s/%s: %s, retrying", method, bucket, key ? key : "",
                     resp->status ? "a transient error" : curl_easy_strerror(resp->curl));
        s3_backoff(attempt);
    }
}

int s3_perform(const struct s3_client *c, CURL *easy, const char *method, const char *bucket, const char *key,
               const char *query, struct s3_response *resp, struct sluice_error *err)
{
    return s3_perform_with(c, easy, method, bucket, key, query, NULL, resp, err);
}

/* ---- errors ---- */

int s3_fail(const struct s3_client *c, int code, const char *what, const char *bucket, const char *key,
            const struct s3_response *r, struct sluice_error *err)
{
    const struct sluice_host *host = c->host;
    if (!key) key = "";
    if (!r->status) {
        const char *why = r->curl_error[0] ? r->curl_error : curl_easy_strerror(r->curl);
        int rc = host->error(err, code, "%s s3://%s/%s: no answer from %s after %d retries: %s", what, bucket, key,
                             c->endpoint ? c->endpoint : "S3", c->max_retries, why);
        host->error_hint(err, "check the endpoint and the network; timeout and max_retries set how long to try");
        return rc;
    }
    char s3code[64] = "", msg[256] = "";
    if (r->body.data) s3_error_parse(r->body.data, r->body.len, s3code, sizeof s3code, msg, sizeof msg);
    int rc = host->error(err, code, "%s s3://%s/%s: HTTP %ld%s%s%s%s", what, bucket, key, r->status,
                         s3code[0] ? " " : "", s3code, msg[0] ? ": " : "", msg);
    const char *region = r->bucket_region[0] ? r->bucket_region : NULL;
    if (region && strcmp(region, c->region) != 0)
        host->error_hint(err, "the bucket is in %s, not %s: set region = \"%s\"", region, c->region, region);
    else if (r->status == 403 && (!s3code[0] || strcmp(s3code, "AccessDenied") == 0) && !c->requester_pays)
        host->error_hint(err, "a requester-pays bucket (as the lab's) needs requester_pays = true; otherwise "
                              "the credentials (%s) lack permission", c->sigv4 ? c->creds.source : "anonymous");
    else if (r->status == 403 && c->sigv4)
        host->error_hint(err, "check the credentials, from %s", c->creds.source);
    else if (strcmp(s3code, "NoSuchBucket") == 0)
        host->error_hint(err, "check the bucket's name in path%s", c->endpoint ? " and the endpoint" : "");
    return rc;
}

int64_t s3_head_size(const struct s3_client *c, CURL *easy, const char *bucket, const char *key)
{
    struct s3_response r = { 0 };
    int64_t size = -1;
    if (s3_perform(c, easy, "HEAD", bucket, key, NULL, &r, NULL) == SLUICE_OK && r.status == 200) size = r.total_size;
    sluice_buf_free(&r.body);
    return size;
}
