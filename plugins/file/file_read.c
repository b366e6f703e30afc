/* The file source's reading of one unit: worker threads, concurrently.
 * See file.c for units and pieces, file_source.h for the types. */
#define _GNU_SOURCE /* memrchr */
#include <stdlib.h>
#include <string.h>

#include "file_source.h"

/* Files are read, decoded and emitted in pieces of about this size: a
 * piece is parsed while it is still in the core's L2 cache (measured: 18%
 * less CPU than 16 MB pieces on the lang count), memory per read() stays
 * bounded, and so does a batch, whatever its number of lines. */
#define READ_PIECE (1u << 20)

/* ---- decoders, shared by the workers ---- */

static int pool_take(struct file_source *fs, struct sluice_decoder **out, struct sluice_error *err)
{
    pthread_mutex_lock(&fs->pool_lock);
    *out = fs->pool_n ? fs->pool[--fs->pool_n] : NULL;
    pthread_mutex_unlock(&fs->pool_lock);
    return *out ? SLUICE_OK : fs->host->decoder_new(&fs->decode_opts, out, err);
}

static void pool_give(struct file_source *fs, struct sluice_decoder *d)
{
    pthread_mutex_lock(&fs->pool_lock);
    if (fs->pool_n < FILE_POOL_MAX) {
        fs->pool[fs->pool_n++] = d;
        d = NULL;
    }
    pthread_mutex_unlock(&fs->pool_lock);
    if (d) fs->host->decoder_free(d);
}

void file_pool_free(struct file_source *fs)
{
    for (size_t i = 0; i < fs->pool_n; i++) fs->host->decoder_free(fs->pool[i]);
    fs->pool_n = 0;
}

/* ---- what a unit reads: the store's bytes, or a gzip file's inflated ---- */

struct unit_in {
    struct file_source *fs;
    struct file_store_file *f;
    struct file_gz *gz; /* NULL: not compressed */
    /* With partition columns: the file's values, and a builder of them. */
    const struct file_part_value *parts;
    struct sluice_builder *parts_b;
};

static int unit_read(const struct unit_in *in, char *buf, size_t n, int64_t off, size_t *got,
                     struct sluice_error *err)
{
    if (in->gz) return file_gz_read(in->gz, buf, n, off, got, err);
    return in->fs->store->ops->read(in->f, buf, n, off, got, err);
}

/* ---- pieces of whole lines ---- */

/* Newlines in the first `upto` bytes of the file: the error path's way to
 * a line number, since units and pieces know only their byte offsets. */
static int count_lines_before(const struct unit_in *in, int64_t upto, int64_t *lines)
{
    char buf[1 << 16];
    int64_t off = 0, n = 0;
    while (off < upto) {
        size_t want = upto - off < (int64_t)sizeof buf ? (size_t)(upto - off) : sizeof buf, got;
        struct sluice_error ignored;
        if (unit_read(in, buf, want, off, &got, &ignored) || !got) return -1;
        for (const char *p = buf, *end = buf + got; (p = memchr(p, '\n', (size_t)(end - p))); p++) n++;
        off += (int64_t)got;
    }
    *lines = n;
    return 0;
}

/* The decoded data columns, then the file's partition values on every
 * row: the output schema's order. */
static int add_partition_columns(struct file_source *fs, const struct unit_in *uin, struct sluice_batch *batch,
                                 struct sluice_error *err)
{
    const struct sluice_host *host = fs->host;
    int64_t rows = sluice_batch_rows(batch), n_data = batch->array.n_children;
    int64_t n = n_data + (int64_t)fs->parts.n;
    struct ArrowArray *cols = calloc((size_t)n, sizeof *cols);
    if (!cols) {
        sluice_batch_release(batch);
        return host->error(err, SLUICE_ENOMEM, "out of memory");
    }
    struct sluice_batch values;
    file_parts_build(fs, uin->parts, rows, uin->parts_b);
    host->builder_finish(uin->parts_b, &values);
    for (int64_t j = 0; j < n_data; j++) sluice_array_move(&cols[j], batch->array.children[j]);
    for (size_t k = 0; k < fs->parts.n; k++) sluice_array_move(&cols[n_data + (int64_t)k], values.array.children[k]);
    sluice_batch_release(&values);
    sluice_batch_release(batch);
    host->batch_assemble(batch, host->output_schema(fs->ctx), rows, cols, n);
    free(cols);
    return SLUICE_OK;
}

/* Decode one piece of whole lines that starts at byte `off` of the file
 * and emit its batch. */
static int decode_piece(struct file_source *fs, struct sluice_decoder *d, const struct unit_in *uin, const char *path,
                        const char *p, size_t n, int64_t off, sluice_emit_fn emit, void *emit_arg,
                        struct sluice_error *err)
{
    const struct sluice_host *host = fs->host;
    struct sluice_decode_input in = { p, n, path, 1, off == 0 };
    struct sluice_decode_stats stats = { 0 };
    struct sluice_batch batch;
    int rc = host->decode(d, &in, &batch, &stats, err);
    if (stats.malformed) host->count_malformed(fs->ctx, stats.malformed);
    if (stats.invalid_utf8 && host->size > offsetof(struct sluice_host, count_invalid_utf8))
        host->count_invalid_utf8(fs->ctx, stats.invalid_utf8);
    if (rc == SLUICE_EDATA && off > 0) {
        /* fail_fast named a line counted from the piece's start: count the
         * lines before it and decode again, which fails on the same line,
         * now with its number in the file. */
        struct sluice_error first = *err;
        int64_t before;
        if (count_lines_before(uin, off, &before) == 0) {
            struct sluice_decode_stats again = { 0 };
            in.first_line = before + 1;
            if (host->decode(d, &in, &batch, &again, err) == SLUICE_OK) {
                sluice_batch_release(&batch);
                *err = first;
            }
        }
    }
    if (rc) return rc;
    if (sluice_batch_rows(&batch) == 0) {
        sluice_batch_release(&batch);
        return SLUICE_OK;
    }
    if (uin->parts_b) rc = add_partition_columns(fs, uin, &batch, err);
    return rc ? rc : emit(emit_arg, &batch, err);
}

/* Fill buf[*have, cap) from byte off + *have of the file; *eof at its end. */
static int fill(const struct unit_in *in, char *buf, size_t cap, int64_t off,
                size_t *have, bool *eof, struct sluice_error *err)
{
    while (*have < cap) {
        size_t got;
        int rc = unit_read(in, buf + *have, cap - *have, off + (int64_t)*have, &got, err);
        if (rc) return rc;
        if (got == 0) {
            *eof = true;
            break;
        }
        *have += got;
    }
    return SLUICE_OK;
}

/* Read the lines of one unit: those starting in [u->begin, u->end). */
static int read_lines(struct file_source *fs, const struct file_unit *u, const struct unit_in *in, char **bufp, size_t *capp,
                      struct sluice_decoder *d, sluice_emit_fn emit, void *emit_arg, struct sluice_error *err)
{
    const char *path = u->path;
    /* A unit that does not start the file starts after the first newline
     * at or after begin - 1: the line under way belongs to the unit before. */
    int64_t off = u->begin > 0 ? u->begin - 1 : 0; /* file offset of buf[0] */
    bool skip_partial = u->begin > 0, eof = false;
    size_t have = 0;
    int rc = SLUICE_OK;
    while (!rc) {
        char *buf = *bufp;
        if ((rc = fill(in, buf, *capp, off, &have, &eof, err))) break;
        if (skip_partial) {
            const char *nl = memchr(buf, '\n', have);
            size_t drop = nl ? (size_t)(nl + 1 - buf) : have;
            off += (int64_t)drop;
            memmove(buf, buf + drop, have - drop);
            have -= drop;
            skip_partial = !nl;
            if (off >= u->end || (eof && !have)) break;
            if (!eof) continue;
        }
        size_t whole = have;
        if (!eof) {
            /* Decode whole lines only; the partial last line waits for more. */
            const char *nl = memrchr(buf, '\n', have);
            if (!nl) {
                /* One line longer than the buffer: grow until it fits. */
                char *p = realloc(buf, *capp * 2);
                if (!p) {
                    rc = fs->host->error(err, SLUICE_ENOMEM, "out of memory");
                    break;
                }
                *bufp = p;
                *capp *= 2;
                continue;
            }
            whole = (size_t)(nl + 1 - buf);
        }
        bool last = eof && whole == have;
        if (off + (int64_t)whole >= u->end) {
            /* The unit's last line is the one holding byte end - 1. */
            size_t e = (size_t)(u->end - 1 - off);
            const char *nl = memchr(buf + e, '\n', whole - e);
            if (nl) whole = (size_t)(nl + 1 - buf);
            last = true;
        }
        if (whole) rc = decode_piece(fs, d, in, path, buf, whole, off, emit, emit_arg, err);
        if (rc || last) break;
        off += (int64_t)whole;
        memmove(buf, buf + whole, have - whole);
        have -= whole;
    }
    return rc;
}

/* ---- a unit ---- */

/* A planned file that cannot be opened: deleted (or made unreadable) after
 * it was planned. Spark's ignoreMissingFiles: by default the batch fails,
 * and since a batch always runs again with the files it was planned with,
 * so does every restart, until the file is back or the option is set. */
static int cannot_open(struct file_source *fs, const struct file_unit *u, const char *why, struct sluice_error *err)
{
    const struct sluice_host *host = fs->host;
    if (fs->conf->ignore_missing_files) {
        /* A file cut into units is counted and named once, by its first. */
        if (u->begin == 0) {
            atomic_fetch_add_explicit(&fs->skipped_files, 1, memory_order_relaxed);
            host->log(fs->ctx, SLUICE_LOG_WARN, "skipping '%s', planned for this batch: %s (ignore_missing_files)",
                      u->path, why);
        }
        return SLUICE_OK;
    }
    int rc = host->error(err, SLUICE_EIO, "cannot read '%s', planned for this batch: %s", u->path, why);
    const char *stage = host->stage_name(fs->ctx);
    host->error_hint(err,
                     "a restart runs this batch again with the same files: put the file back, or skip files "
                     "missing when read with ignore_missing_files = true (--set %s.ignore_missing_files=true)",
                     stage);
    return rc;
}

int file_read_unit(struct file_source *fs, const struct file_unit *u, sluice_emit_fn emit, void *emit_arg,
                   struct sluice_error *err)
{
    const struct sluice_host *host = fs->host;
    const struct file_store_ops *ops = fs->store->ops;
    struct file_store_file *f;
    int64_t size;
    int rc = ops->open(fs->store, u->path, u->begin, u->end, &f, &size, err);
    if (rc == FILE_STORE_MISSING) {
        char why[sizeof err->message] = "not found";
        if (err) memcpy(why, err->message, sizeof why);
        return cannot_open(fs, u, why, err);
    }
    if (rc) return rc;
    /* Written in place rather than renamed in: what is read now is not
     * what was planned, and a replay may read something else again. */
    if (u->begin == 0 && u->planned_size >= 0 && size != u->planned_size)
        host->log(fs->ctx, SLUICE_LOG_WARN,
                  "'%s' changed size since it was planned (%lld to %lld bytes): it is being written in place; "
                  "write files under a temporary name and rename them in, or set min_file_age",
                  u->path, (long long)u->planned_size, (long long)size);
    int64_t span = (u->end == INT64_MAX ? size : u->end) - u->begin + 1;
    if (size == 0 || span <= 1) {
        ops->close(f);
        return SLUICE_OK;
    }
    /* A small file is one read, so its end is known before decoding (a
     * last line without newline joins the batch). A gzip file's size says
     * nothing of what it inflates to. */
    struct unit_in in = { .fs = fs, .f = f };
    bool gz = file_gz_name(u->path);
    size_t cap = span < (int64_t)READ_PIECE && !gz ? (size_t)span + 1 : READ_PIECE;
    char *buf = malloc(cap);
    if (!buf) {
        ops->close(f);
        return host->error(err, SLUICE_ENOMEM, "out of memory");
    }
    struct sluice_decoder *d = NULL;
    struct file_part_value *parts = NULL;
    rc = gz ? file_gz_open(fs, f, u->path, &in.gz, err) : SLUICE_OK;
    if (!rc && fs->parts.n) {
        parts = calloc(fs->parts.n, sizeof *parts);
        rc = parts ? file_parts_values(fs, u->name, parts, err) : host->error(err, SLUICE_ENOMEM, "out of memory");
        if (!rc) in.parts = parts;
        if (!rc) in.parts_b = host->builder_new(&fs->parts.values);
    }
    if (!rc) rc = pool_take(fs, &d, err);
    if (!rc) {
        rc = read_lines(fs, u, &in, &buf, &cap, d, emit, emit_arg, err);
        /* A failed decoder may hold rows of the failed batch: don't reuse it. */
        if (rc) host->decoder_free(d);
        else pool_give(fs, d);
    }
    file_gz_close(in.gz);
    if (in.parts_b) host->builder_free(in.parts_b);
    if (parts) file_parts_values_free(fs, parts);
    free(parts);
    free(buf);
    ops->close(f);
    return rc;
}
