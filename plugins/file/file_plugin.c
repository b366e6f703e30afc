/* file: the file source over a local directory (see file.c for the source,
 * file_store_local.c for the directory). The s3 source is the same over S3
 * (s3_source.c). */
#include <stddef.h>

#include "file_source.h"

static const struct sluice_option file_options[] = {
    FILE_SOURCE_OPTIONS("directory to watch for new files; glob levels such as data/*/2021-* read the "
                        "directories they match"),
    { 0 }
};

static int file_open(const struct sluice_host *host, const void *conf_ptr, struct sluice_ctx *ctx,
                     void **state, struct sluice_error *err)
{
    const struct file_conf *conf = conf_ptr;
    struct file_store *store;
    struct file_path path = { 0 };
    int rc = file_source_check(host, conf, err);
    if (!rc) rc = file_path_split(host, conf->path, &path, err);
    if (!rc) rc = file_store_local_open(host, ctx, path.root, &store, err);
    if (rc) {
        file_path_free(&path);
        return rc;
    }
    return file_source_open(host, conf, ctx, &path, store, state, err);
}

/* ---- the descriptor ---- */

SLUICE_EXPORT const struct sluice_plugin *sluice_plugin_v1(void)
{
    static const struct sluice_plugin p = {
        .abi_version = SLUICE_ABI_VERSION,
        .size = sizeof(struct sluice_plugin),
        .kind = SLUICE_KIND_SOURCE,
        .name = "file",
        .summary = "read new JSON-lines or CSV files from a directory as they appear",
        .options = file_options,
        .conf_size = sizeof(struct file_conf),
        .open = file_open,
        FILE_SOURCE_CALLBACKS,
    };
    return &p;
}
