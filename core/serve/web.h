/* core/serve/web.h — the live page's files (core/serve/web/), compiled
 * into the binary so the page needs no network and no install step. */
#ifndef SLUICE_WEB_H
#define SLUICE_WEB_H

#include <stddef.h>

struct sluice_web_asset {
    const char *path;        /* as requested: "/index.html", "/app.js" */
    const char *type;        /* its Content-Type */
    const unsigned char *data;
    size_t len;
};

/* The file served at `url` ("/" is "/index.html"), or NULL. */
const struct sluice_web_asset *sluice_web_asset_find(const char *url);

#endif
