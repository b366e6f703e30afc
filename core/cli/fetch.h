/* core/cli/fetch.h — one HTTP GET, for `sluice query` talking to a running
 * pipeline's REST server (http.h). libcurl underneath.
 *
 * Ownership: *body is the caller's (appended to). Thread-safe once
 * sluice_fetch_init has run (main() does it before any thread starts). */
#ifndef SLUICE_CORE_FETCH_H
#define SLUICE_CORE_FETCH_H

#include <sluice/buf.h>
#include <sluice/error.h>

/* libcurl's global initialisation; idempotent. */
void sluice_fetch_init(void);
/* GET `url`, appending the body to *body and setting *status to the HTTP
 * status. A server that cannot be reached or a broken transfer is
 * SLUICE_EIO naming the url and curl's reason; any HTTP status is
 * SLUICE_OK (the caller judges it). */
int sluice_fetch(const char *url, struct sluice_buf *body, long *status, struct sluice_error *err);
/* `s` percent-encoded for a URL query value, appended to *out. */
void sluice_fetch_escape(const char *s, struct sluice_buf *out);

#endif
