/* Atomic, durable, checksummed checkpoint files. See checkpoint_file.h. */
#include "checkpoint_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"
#include "hash.h"
#include "error.h"
#include "mem.h"

#define MAGIC "SLUICE-CKPT 1 "
/* Magic, kind, a 20-digit length, 16 hex digits, spaces and newline. */
#define HEADER_MAX (sizeof MAGIC + SLUICE_CHECKPOINT_KIND_MAX + 40)

void sluice_checkpoint_damaged_hint(struct sluice_error *err)
{
    sluice_error_hint(err, "the checkpoint cannot be trusted: restore it from a backup, or start over by removing "
                           "it together with the output of sinks that skip batch ids they hold (the file sink)");
}

int sluice_checkpoint_damaged(struct sluice_error *err, const char *path, const char *why)
{
    sluice_error_set(err, SLUICE_EDATA, "checkpoint file '%s' is damaged: %s", path, why);
    sluice_checkpoint_damaged_hint(err);
    return SLUICE_EDATA;
}

static int io_error(struct sluice_error *err, const char *what, const char *path)
{
    return sluice_error_set(err, SLUICE_EIO, "cannot %s checkpoint file '%s': %s", what, path, strerror(errno));
}

static int fsync_dir_fd(int fd)
{
    /* Some file systems cannot fsync a directory (EINVAL): nothing more to do there. */
    return fsync(fd) == 0 || errno == EINVAL ? 0 : -1;
}

int sluice_checkpoint_sync_dir(const char *path, struct sluice_error *err)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync_dir_fd(fd) != 0) {
        int rc = sluice_error_set(err, SLUICE_EIO, "cannot sync checkpoint directory '%s': %s", path,
                                  strerror(errno));
        if (fd >= 0) close(fd);
        return rc;
    }
    close(fd);
    return SLUICE_OK;
}

int sluice_checkpoint_file_write(const char *dir, const char *name, const char *kind, const void *data,
                                 size_t len, struct sluice_error *err)
{
    char header[HEADER_MAX];
    int hn = snprintf(header, sizeof header, MAGIC "%s %zu %016" PRIx64 "\n", kind, len,
                      sluice_hash64(data, len, 0));
    size_t dn = strlen(dir), nn = strlen(name);
    char *tmp = sluice_xmalloc(dn + nn + 8), *path = sluice_xmalloc(dn + nn + 2);
    snprintf(tmp, dn + nn + 8, "%s/.%s.tmp", dir, name);
    snprintf(path, dn + nn + 2, "%s/%s", dir, name);
    int rc = SLUICE_OK;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = io_error(err, "create", tmp);
    } else {
        if (sluice_fd_write_all(fd, header, (size_t)hn) != 0 || sluice_fd_write_all(fd, data, len) != 0) rc = io_error(err, "write", tmp);
        else if (fsync(fd) != 0) rc = io_error(err, "sync", tmp);
        if (close(fd) != 0 && !rc) rc = io_error(err, "write", tmp);
        if (!rc && rename(tmp, path) != 0) rc = io_error(err, "rename", tmp);
        if (rc) unlink(tmp);
    }
    if (!rc) rc = sluice_checkpoint_sync_dir(dir, err);
    free(tmp);
    free(path);
    return rc;
}

static const char not_ours[] = "it does not start with a sluice checkpoint header";

/* Parse a header line; false when it is not one of ours. */
static bool parse_header(const char *h, size_t n, char kind[SLUICE_CHECKPOINT_KIND_MAX + 1], uint64_t *len,
                         uint64_t *hash, size_t *header_len)
{
    const char *nl = memchr(h, '\n', n);
    if (!nl || (size_t)(nl - h) < sizeof MAGIC - 1 || memcmp(h, MAGIC, sizeof MAGIC - 1) != 0) return false;
    const char *p = h + sizeof MAGIC - 1;
    size_t k = 0;
    while (p < nl && *p != ' ' && k < SLUICE_CHECKPOINT_KIND_MAX) kind[k++] = *p++;
    kind[k] = '\0';
    if (!k || p >= nl || *p++ != ' ') return false;
    uint64_t v = 0;
    const char *digits = p;
    for (; p < nl && *p >= '0' && *p <= '9'; p++) {
        if (v > (UINT64_MAX - 9) / 10) return false;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (p == digits || p >= nl || *p++ != ' ') return false;
    uint64_t x = 0;
    int hex = 0;
    for (; p < nl; p++, hex++) {
        int d = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;
        if (d < 0) return false;
        x = x << 4 | (uint64_t)d;
    }
    if (hex != 16) return false;
    *len = v;
    *hash = x;
    *header_len = (size_t)(nl + 1 - h);
    return true;
}

/* Read up to `cap` bytes from the start of fd. */
static ssize_t read_upto(int fd, char *buf, size_t cap)
{
    size_t have = 0;
    while (have < cap) {
        ssize_t got = read(fd, buf + have, cap - have);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return -1;
        if (got == 0) break;
        have += (size_t)got;
    }
    return (ssize_t)have;
}

static int open_checked(const char *path, int *fd, struct sluice_error *err)
{
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    if (*fd >= 0) return SLUICE_OK;
    if (errno == ENOENT) {
        sluice_error_set(err, SLUICE_EIO, "checkpoint file '%s' is missing", path);
        sluice_checkpoint_damaged_hint(err);
        return SLUICE_EIO;
    }
    return io_error(err, "open", path);
}

int sluice_checkpoint_file_peek(const char *path, char kind[SLUICE_CHECKPOINT_KIND_MAX + 1],
                                uint64_t *payload_len, struct sluice_error *err)
{
    int fd;
    int rc = open_checked(path, &fd, err);
    if (rc) return rc;
    char h[HEADER_MAX];
    ssize_t n = read_upto(fd, h, sizeof h);
    int e = errno;
    close(fd);
    errno = e;
    if (n < 0) return io_error(err, "read", path);
    uint64_t hash;
    size_t hl = 0;
    if (!parse_header(h, (size_t)n, kind, payload_len, &hash, &hl))
        return sluice_checkpoint_damaged(err, path, n == 0 ? "it is empty" : not_ours);
    return SLUICE_OK;
}

int sluice_checkpoint_file_read(const char *path, const char *kind, struct sluice_buf *out,
                                struct sluice_error *err)
{
    sluice_buf_clear(out);
    int fd;
    int rc = open_checked(path, &fd, err);
    if (rc) return rc;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = io_error(err, "read", path);
        close(fd);
        return rc;
    }
    size_t size = (size_t)st.st_size;
    char *buf = sluice_xmalloc(size + 1);
    ssize_t n = read_upto(fd, buf, size);
    int e = errno;
    close(fd);
    errno = e;
    char got_kind[SLUICE_CHECKPOINT_KIND_MAX + 1], why[160];
    uint64_t len = 0, hash = 0;
    size_t hl = 0;
    if (n < 0) {
        rc = io_error(err, "read", path);
    } else if (!parse_header(buf, (size_t)n, got_kind, &len, &hash, &hl)) {
        rc = sluice_checkpoint_damaged(err, path, n == 0 ? "it is empty" : not_ours);
    } else if (strcmp(got_kind, kind) != 0) {
        snprintf(why, sizeof why, "it holds %s, not %s", got_kind, kind);
        rc = sluice_checkpoint_damaged(err, path, why);
    } else if ((uint64_t)n - hl < len) {
        snprintf(why, sizeof why, "it is truncated (%zu of %" PRIu64 " bytes)", (size_t)n - hl, len);
        rc = sluice_checkpoint_damaged(err, path, why);
    } else if ((uint64_t)n - hl > len) {
        snprintf(why, sizeof why, "it has %" PRIu64 " bytes after its end", (uint64_t)n - hl - len);
        rc = sluice_checkpoint_damaged(err, path, why);
    } else if (sluice_hash64(buf + hl, len, 0) != hash) {
        rc = sluice_checkpoint_damaged(err, path, "its checksum does not match its contents");
    }
    if (rc) {
        free(buf);
        return rc;
    }
    /* Hand the payload over without copying: move it to the front. */
    memmove(buf, buf + hl, len);
    buf[len] = '\0';
    sluice_buf_free(out);
    out->data = buf;
    out->len = len;
    out->cap = size + 1;
    return SLUICE_OK;
}

int sluice_checkpoint_mkdirs(const char *path, struct sluice_error *err)
{
    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) return SLUICE_OK;
        return sluice_error_set(err, SLUICE_EIO, "checkpoint path '%s' exists and is not a directory", path);
    }
    char *copy = sluice_xstrdup(path);
    size_t n = strlen(copy);
    while (n > 1 && copy[n - 1] == '/') copy[--n] = '\0';
    char *slash = strrchr(copy, '/');
    int rc = SLUICE_OK;
    const char *parent = ".";
    if (slash && slash != copy) {
        *slash = '\0';
        rc = sluice_checkpoint_mkdirs(copy, err);
        parent = copy;
    } else if (slash) {
        parent = "/";
    }
    if (!rc && mkdir(path, 0755) != 0 && errno != EEXIST)
        rc = sluice_error_set(err, SLUICE_EIO, "cannot create checkpoint directory '%s': %s", path, strerror(errno));
    if (!rc) rc = sluice_checkpoint_sync_dir(parent, err);
    free(copy);
    return rc;
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int sluice_checkpoint_list_ids(const char *dir, const char *suffix, int64_t **ids, size_t *n,
                               struct sluice_error *err)
{
    *ids = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT) return SLUICE_OK;
        return sluice_error_set(err, SLUICE_EIO, "cannot list checkpoint directory '%s': %s", dir, strerror(errno));
    }
    size_t cap = 0;
    int rc = SLUICE_OK;
    for (;;) {
        errno = 0;
        struct dirent *e = readdir(d);
        if (!e) {
            if (errno)
                rc = sluice_error_set(err, SLUICE_EIO, "cannot list checkpoint directory '%s': %s", dir,
                                      strerror(errno));
            break;
        }
        const char *p = e->d_name;
        int64_t v = 0;
        const char *digits = p;
        bool ok = true;
        for (; *p >= '0' && *p <= '9'; p++) {
            if (v > (INT64_MAX - 9) / 10) ok = false;
            else v = v * 10 + (*p - '0');
        }
        /* "007" would alias "7": only the names we write count. */
        if (!ok || p == digits || (digits[0] == '0' && p - digits > 1) || strcmp(p, suffix) != 0) continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            *ids = sluice_xrealloc(*ids, cap * sizeof **ids);
        }
        (*ids)[(*n)++] = v;
    }
    closedir(d);
    if (rc) {
        free(*ids);
        *ids = NULL;
        *n = 0;
        return rc;
    }
    if (*n > 1) qsort(*ids, *n, sizeof **ids, cmp_id);
    return SLUICE_OK;
}
