/* plugins/file/s3_client.h — the s3 source's S3 client, private to it:
 * s3_creds.c (credentials as the AWS CLI finds them), s3_request.c
 * (addressing, signing through libcurl, retries, S3's errors), s3_list.c
 * (ListObjectsV2) and s3_store.c (the file source's store over S3).
 *
 * Signing is libcurl's SigV4 (CURLOPT_AWS_SIGV4), not ours. libcurl 7.88
 * (Debian 12) signs the query string and the path exactly as given and
 * hashes the (empty) body without sending x-amz-content-sha256, which S3
 * requires; so every request here carries that header itself, builds its
 * query with parameters sorted by name and values encoded as SigV4 wants
 * (RFC 3986 unreserved characters kept, the rest %XX), and encodes keys
 * the same way ('/' kept). Every custom header (x-amz-*) is signed.
 *
 * Secrets: the secret key and session token are handed to libcurl and
 * never formatted into a message or a log line.
 *
 * Threads: a client is read-only once made, so workers share it; each
 * thread uses its own curl handles. */
#ifndef SLUICE_PLUGIN_S3_CLIENT_H
#define SLUICE_PLUGIN_S3_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include <sluice/plugin.h>

/* Credentials; all NULL when anonymous. */
struct s3_creds {
    char *access_key;
    char *secret_key;
    char *token;      /* AWS_SESSION_TOKEN / aws_session_token, or NULL */
    char source[320]; /* where they came from, for messages (never a secret) */
};

struct s3_client {
    const struct sluice_host *host;
    struct sluice_ctx *ctx;
    char *region;
    char *endpoint;      /* scheme://host[:port] with no trailing '/', or NULL: AWS */
    char *sigv4;         /* "aws:amz:REGION:s3", or NULL when anonymous */
    struct s3_creds creds;
    bool requester_pays;
    int64_t timeout_us;  /* connecting, and a transfer that stalls this long */
    int max_retries;
};

/* An S3 location: s3://bucket/key (also s3a:// and s3n://, as Hadoop writes them). */
struct s3_loc {
    char bucket[64]; /* S3 bucket names are 3 to 63 characters */
    const char *key; /* into the parsed text; "" for the bucket's root */
};

/* Parse `url`; false when it is not an s3:// URL with a valid bucket name. */
bool s3_loc_parse(const char *url, struct s3_loc *out);

/* ---- s3_creds.c ---- */

/* Find credentials: the `profile` option (that profile of the credentials
 * file), else AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN,
 * else the profile AWS_PROFILE (or "default") of AWS_SHARED_CREDENTIALS_FILE
 * (or ~/.aws/credentials). SLUICE_ECONFIG naming where it looked. */
int s3_creds_find(const struct sluice_host *host, const char *profile, struct s3_creds *out,
                  struct sluice_error *err);
void s3_creds_free(struct s3_creds *c);

/* ---- s3_request.c ---- */

/* What one request brought back. */
struct s3_response {
    long status;             /* HTTP status; 0 when no answer came */
    CURLcode curl;           /* CURLE_OK, or why the transfer failed */
    struct sluice_buf body;  /* the body (lists, errors); the caller's to free */
    int64_t total_size;      /* from Content-Range ".../N" or Content-Length; -1 */
    int64_t range_start;     /* from Content-Range "bytes N-..."; -1 */
    int64_t last_modified_ns; /* from Last-Modified; 0 when absent */
    char bucket_region[32];  /* x-amz-bucket-region, or "" */
    bool headers_done;       /* the final response's headers have all arrived */
    char curl_error[CURL_ERROR_SIZE];
    curl_write_callback sink; /* set by s3_request_setup */
    void *sink_arg;
};

/* Point `easy` at a request: method "GET" or "HEAD" (or, by
 * s3_perform_with, "PUT" or "DELETE"), the object `key` of
 * `bucket` (NULL: the bucket itself), `query` already sorted and encoded
 * (NULL: none), `range` as "N-" or "N-M" (NULL: none). The response is
 * collected into *resp, whose body is appended to unless `body_sink` is
 * set (then it receives the body of a 2xx answer instead, with `sink_arg`).
 * `*headers` is the caller's to curl_slist_free_all after the transfer. */
int s3_request_setup(const struct s3_client *c, CURL *easy, const char *method, const char *bucket,
                     const char *key, const char *query, const char *range, struct s3_response *resp,
                     curl_write_callback body_sink, void *sink_arg, struct curl_slist **headers,
                     struct sluice_error *err);
/* Whether a failed attempt is worth another: resets, timeouts, 5xx, 429 and SlowDown. */
bool s3_retryable(const struct s3_response *r);
/* Sleep before retry `attempt` (0-based): exponential backoff with jitter. */
void s3_backoff(int attempt);
/* One whole request with retries, on `easy` (reused: its connection is
 * kept). resp->status is the final answer's, whatever it is, or 0 when
 * none came after the retries (resp->curl says why); an error only when
 * out of memory. resp->body is the caller's to free either way. */
int s3_perform(const struct s3_client *c, CURL *easy, const char *method, const char *bucket, const char *key,
               const char *query, struct s3_response *resp, struct sluice_error *err);
/* s3_perform with one more header, `header` ("x-amz-copy-source: ..."),
 * and any method: "DELETE", or "PUT" with an empty body. */
int s3_perform_with(const struct s3_client *c, CURL *easy, const char *method, const char *bucket, const char *key,
                    const char *query, const char *header, struct s3_response *resp, struct sluice_error *err);
/* An error for a failed answer (or none): "<what> s3://bucket/key: HTTP
 * 403 AccessDenied: Access Denied", with a hint where one helps. */
int s3_fail(const struct s3_client *c, int code, const char *what, const char *bucket, const char *key,
            const struct s3_response *r, struct sluice_error *err);
/* Append `s` encoded as SigV4 wants: unreserved characters kept, '/' kept
 * when keep_slash, every other byte %XX. Non-zero when out of memory. */
int s3_encode(struct sluice_buf *b, const char *s, size_t n, bool keep_slash);
/* A new easy handle with the settings every request shares; NULL when out of memory. */
CURL *s3_easy_new(const struct s3_client *c);

/* ---- s3_list.c ---- */

struct s3_object {
    const char *name; /* the key after the listed prefix */
    int64_t size;
    int64_t mtime_ns;
    bool is_prefix;   /* a common prefix: a "subdirectory" (name without its '/') */
};
typedef int (*s3_object_fn)(void *arg, const struct s3_object *o, struct sluice_error *err);

/* Every object directly under `prefix` ("" or ending in '/') of `bucket`,
 * in name order, page after page of ListObjectsV2; with max_keys > 0, the
 * first page of at most that many only (a probe). */
int s3_list(const struct s3_client *c, CURL *easy, const char *bucket, const char *prefix, int max_keys,
            s3_object_fn each, void *arg, struct sluice_error *err);
/* The size of an object by a HEAD on `easy`; -1 when it cannot be had. */
int64_t s3_head_size(const struct s3_client *c, CURL *easy, const char *bucket, const char *key);
/* Parse an error answer's <Code> and <Message> (either may come back empty). */
void s3_error_parse(const char *xml, size_t n, char *code, size_t code_n, char *msg, size_t msg_n);

/* ---- s3_store.c ---- */

struct file_conf;
struct file_store;
/* The file source's store over folder `path` (s3://bucket/prefix: the
 * `path` option's root, before any glob level) for the s3 source's
 * options: checks them, finds the credentials, and lists the folder once
 * (a missing bucket, wrong credentials or a refused listing are
 * SLUICE_ECONFIG; no answer or a server error, SLUICE_EIO). On SLUICE_OK,
 * *out is the caller's to free. */
int s3_store_new(const struct sluice_host *host, struct sluice_ctx *ctx, const struct file_conf *conf,
                 const char *path, struct file_store **out, struct sluice_error *err);

#endif
