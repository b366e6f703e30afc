/* The S3 store's clean_source: archiving an object read (a server-side
 * copy, then a delete, as Hadoop's S3A renames) or deleting it, once the
 * batch that read it has committed. See file_store.h and s3_store.c. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "file_source.h"
#include "s3_store.h"

char *s3_dup_trimmed(const char *s, size_t n)
{
    while (n > 0 && s[n - 1] == '/') n--;
    return strndup(s, n);
}


/* Spark keeps the archive on the source's file system, which for S3 is
 * the bucket; and refuses one its source path would list. */
int s3_store_set_archive(struct file_store *base, const char *dir, struct sluice_error *err)
{
    struct s3_store *st = (struct s3_store *)base;
    const struct sluice_host *host = st->client.host;
    const char *key = "source_archive_dir";
    struct s3_loc loc;
    if (!s3_loc_parse(dir, &loc))
        return host->option_error(err, SLUICE_ECONFIG, key, "source_archive_dir '%s' is not an S3 folder "
                                  "(s3://%s/prefix/)", dir, st->bucket);
    if (strcmp(loc.bucket, st->bucket) != 0)
        return host->option_error(err, SLUICE_ECONFIG, key, "source_archive_dir '%s' is not in the bucket of "
                                  "path (%s): S3 cannot move objects between buckets in one step", dir, st->bucket);
    /* An object archived goes to <archive>/<its key>: under the source
     * folder it would be listed again; at the bucket's root it would stay. */
    char *prefix = s3_dup_trimmed(loc.key, strlen(loc.key));
    if (!prefix) return host->error(err, SLUICE_ENOMEM, "out of memory");
    /* Inside: archive + "/" starts with the prefix ("" or ending in '/'). */
    size_t n = strlen(st->prefix), a = strlen(prefix);
    bool inside = n == 0 || (strncmp(prefix, st->prefix, n - 1) == 0 && (prefix[n - 1] == '/' || !prefix[n - 1]));
    if (!a || inside) {
        free(prefix);
        return host->option_error(err, SLUICE_ECONFIG, key, "source_archive_dir '%s' is %s path '%s'", dir,
                                  a ? "inside" : "the bucket's root, which holds", st->dir);
    }
    free(st->archive);
    st->archive = prefix;
    return SLUICE_OK;
}

/* Archive: a server-side copy (CopyObject), then a DELETE, as Hadoop's
 * S3A renames. S3 answers a DELETE of a missing key with success too. */
int s3_store_clean(struct file_store *base, const char *path, const char *abs, struct sluice_error *err)
{
    struct s3_store *st = (struct s3_store *)base;
    const struct sluice_host *host = st->client.host;
    struct s3_loc loc, to;
    if (!s3_loc_parse(path, &loc) || !s3_loc_parse(abs, &to))
        return host->error(err, SLUICE_EINTERNAL, "'%s' is not an S3 object", path);
    struct s3_response r = { 0 };
    int rc = SLUICE_OK;
    if (st->archive) {
        struct sluice_buf src = { 0 }, dest = { 0 };
        int bad = sluice_buf_printf(&src, "x-amz-copy-source: /%s/", loc.bucket) ||
                  s3_encode(&src, loc.key, strlen(loc.key), true) ||
                  sluice_buf_printf(&dest, "%s/%s", st->archive, to.key);
        rc = bad ? host->error(err, SLUICE_ENOMEM, "out of memory")
                 : s3_perform_with(&st->client, st->main, "PUT", loc.bucket, dest.data, NULL, src.data, &r, err);
        /* A copy can fail after its 200 has gone out: the error is the body. */
        bool failed = r.status != 200 || (r.body.data && strstr(r.body.data, "<Error>"));
        if (!rc && failed && r.status == 404 && r.body.data && strstr(r.body.data, "<Code>NoSuchKey</Code>"))
            rc = host->error(err, FILE_STORE_MISSING, "it is gone");
        else if (!rc && failed)
            rc = s3_fail(&st->client, SLUICE_EIO, "cannot archive", loc.bucket, loc.key, &r, err);
        sluice_buf_free(&src);
        sluice_buf_free(&dest);
    }
    if (!rc) rc = s3_perform_with(&st->client, st->main, "DELETE", loc.bucket, loc.key, NULL, NULL, &r, err);
    if (!rc && r.status != 204 && r.status != 200)
        rc = s3_fail(&st->client, SLUICE_EIO, "cannot delete", loc.bucket, loc.key, &r, err);
    sluice_buf_free(&r.body);
    return rc;
}
