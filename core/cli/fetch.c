/* One HTTP GET with libcurl. See fetch.h. */
#include "fetch.h"

#include <curl/curl.h>
#include <pthread.h>
#include <string.h>

#include "error.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

void sluice_fetch_init(void)
{
    pthread_once(&once, init_once);
}

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    struct sluice_buf *body = arg;
    /* Returning less than given makes curl fail the transfer (out of memory). */
    return sluice_buf_append(body, p, size * n) == SLUICE_OK ? size * n : 0;
}

int sluice_fetch(const char *url, struct sluice_buf *body, long *status, struct sluice_error *err)
{
    sluice_fetch_init();
    *status = 0;
    CURL *c = curl_easy_init();
    if (!c) return sluice_error_set(err, SLUICE_EIO, "cannot start an HTTP client for %s", url);
    char reason[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, reason);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 120000L);
    /* Only the server asked for: no proxy from the environment for a local address. */
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK)
        return sluice_error_set(err, SLUICE_EIO, "cannot get %s: %s", url,
                                reason[0] ? reason : curl_easy_strerror(rc));
    return SLUICE_OK;
}

void sluice_fetch_escape(const char *s, struct sluice_buf *out)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        /* RFC 3986 unreserved characters stay; everything else is %XX. */
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
            *p == '.' || *p == '_' || *p == '~') {
            sluice_buf_putc(out, (char)*p);
        } else {
            char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
            sluice_buf_append(out, e, 3);
        }
    }
}
