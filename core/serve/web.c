/* The live page's files. The table itself is generated at build time from
 * core/serve/web/ (web_embed.cmake): editing a file there and rebuilding is
 * all it takes. */
#include "web.h"

#include <string.h>

extern const struct sluice_web_asset sluice_web_assets[];
extern const size_t sluice_web_n_assets;

const struct sluice_web_asset *sluice_web_asset_find(const char *url)
{
    if (strcmp(url, "/") == 0) url = "/index.html";
    for (size_t i = 0; i < sluice_web_n_assets; i++)
        if (strcmp(sluice_web_assets[i].path, url) == 0) return &sluice_web_assets[i];
    return NULL;
}
