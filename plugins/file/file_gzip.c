/* The file source's gzip reading: a file (or object) whose name ends in
 * ".gz" is decompressed on the fly with zlib, as Spark's GzipCodec does.
 * A gzip stream cannot be entered midway, so such a file is one unit
 * (file.c plans it so), read front to back in pieces: memory holds the
 * compressed buffer and a piece, never the file. Members concatenated in
 * one file (`cat a.gz b.gz`, pigz, bgzip) are read one after the other,
 * as gunzip reads them. See file_source.h. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "file_source.h"

/* Compressed bytes asked of the store at a time. */
#define GZ_IN (256u << 10)

struct file_gz {
    struct file_source *fs;
    struct file_store_file *f; /* borrowed: the caller closes it */
    const char *path;
    z_stream z;
    unsigned char *in;
    int64_t in_off; /* the compressed offset of the next read from the store */
    int64_t pos;    /* the uncompressed offset of the next byte inflate gives */
    bool in_eof, done;
};

bool file_gz_name(const char *path)
{
    size_t n = strlen(path);
    return n > 3 && strcmp(path + n - 3, ".gz") == 0;
}

int file_gz_open(struct file_source *fs, struct file_store_file *f, const char *path, struct file_gz **out,
                 struct sluice_error *err)
{
    struct file_gz *g = calloc(1, sizeof *g);
    if (g) g->in = malloc(GZ_IN);
    /* 16 + MAX_WBITS: a gzip header and trailer (checked: CRC and length). */
    if (!g || !g->in || inflateInit2(&g->z, 16 + MAX_WBITS) != Z_OK) {
        if (g) free(g->in);
        free(g);
        return fs->host->error(err, SLUICE_ENOMEM, "out of memory");
    }
    g->fs = fs;
    g->f = f;
    g->path = path;
    *out = g;
    return SLUICE_OK;
}

void file_gz_close(struct file_gz *g)
{
    if (!g) return;
    inflateEnd(&g->z);
    free(g->in);
    free(g);
}

static int gz_error(struct file_gz *g, const char *why, struct sluice_error *err)
{
    return g->fs->host->error(err, SLUICE_EIO, "cannot decompress '%s' at byte %lld of its data: %s", g->path,
                              (long long)g->pos, why);
}

/* More compressed input when inflate has used it all; false at its end. */
static int refill(struct file_gz *g, struct sluice_error *err)
{
    if (g->z.avail_in || g->in_eof) return SLUICE_OK;
    size_t got;
    int rc = g->fs->store->ops->read(g->f, (char *)g->in, GZ_IN, g->in_off, &got, err);
    if (rc) return rc;
    g->in_off += (int64_t)got;
    g->in_eof = got == 0;
    g->z.next_in = g->in;
    g->z.avail_in = (uInt)got;
    return SLUICE_OK;
}

/* Inflate up to n bytes into buf (NULL: thrown away, for a forward seek). */
static int inflate_into(struct file_gz *g, char *buf, size_t n, size_t *got, struct sluice_error *err)
{
    char sink[1 << 14];
    *got = 0;
    while (*got < n && !g->done) {
        int rc = refill(g, err);
        if (rc) return rc;
        if (g->in_eof && !g->z.avail_in) {
            /* The input ended: fine between members, not inside one. */
            if (g->z.total_in == 0) {
                g->done = true;
                break;
            }
            return gz_error(g, "the file ends inside its gzip stream (cut short?)", err);
        }
        size_t want = n - *got;
        if (!buf && want > sizeof sink) want = sizeof sink;
        if (want > UINT32_MAX) want = UINT32_MAX;
        g->z.next_out = (Bytef *)(buf ? buf + *got : sink);
        g->z.avail_out = (uInt)want;
        int z = inflate(&g->z, Z_NO_FLUSH);
        size_t made = want - g->z.avail_out;
        *got += buf ? made : 0;
        if (!buf) n -= made; /* thrown away: count it off what is left to skip */
        g->pos += (int64_t)made;
        if (z == Z_STREAM_END) {
            /* Another member may follow: start over on what remains. */
            inflateReset(&g->z);
            continue;
        }
        if (z == Z_BUF_ERROR && !g->z.avail_in) continue; /* needs input: refill */
        if (z != Z_OK) return gz_error(g, g->z.msg ? g->z.msg : "not gzip data", err);
    }
    return SLUICE_OK;
}

/* Read up to n uncompressed bytes at `off`. Reading goes forward; an
 * earlier offset (the error path counting lines from the start) starts
 * the stream over. */
int file_gz_read(struct file_gz *g, char *buf, size_t n, int64_t off, size_t *got, struct sluice_error *err)
{
    *got = 0;
    if (off < g->pos) {
        inflateReset(&g->z);
        g->z.avail_in = 0;
        g->in_off = g->pos = 0;
        g->in_eof = g->done = false;
    }
    while (g->pos < off && !g->done) {
        size_t skipped;
        int rc = inflate_into(g, NULL, (size_t)(off - g->pos), &skipped, err);
        if (rc) return rc;
    }
    if (g->pos < off) return SLUICE_OK; /* past the end */
    return inflate_into(g, buf, n, got, err);
}
