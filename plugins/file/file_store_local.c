/* The file source's local store: a directory, read with pread, watched
 * with inotify. See file_store.h for the seam and file.c for the source. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_store.h"
#include "file_store_local.h"

/* How often wait() looks at the directory when inotify is unavailable. */
#define POLL_FALLBACK_US 10000


struct local_file {
    int fd;
    const char *path;
    const struct sluice_host *host;
};

/* Why a name that readdir gave cannot be stat'ed; NULL when it is simply
 * gone (deleted since readdir): nothing to say then. */
static const char *unreadable_why(int dfd, const char *name, int e)
{
    struct stat lst;
    if (e == ENOENT) {
        if (fstatat(dfd, name, &lst, AT_SYMLINK_NOFOLLOW) != 0) return NULL;
        return S_ISLNK(lst.st_mode) ? "a symbolic link to nothing" : strerror(e);
    }
    if (e == ELOOP) return "a loop of symbolic links";
    return strerror(e);
}

/* What wait() watches: the root and every subdirectory a listing entered
 * (partitions, glob levels), so a file landing in any of them ends it, as
 * does a new subdirectory (IN_CREATE on its parent). A watch on a
 * directory already watched is the same watch; a removed one ends itself. */
static void watch(struct local_store *st, const char *dir)
{
    if (st->inotify_fd >= 0 && inotify_add_watch(st->inotify_fd, dir, IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_TO) < 0)
        st->host->log(st->ctx, SLUICE_LOG_DEBUG, "cannot watch '%s' (%s): new files there are seen at the "
                      "next trigger's listing", dir, strerror(errno));
}

/* Entries that cannot be stat'ed (a loop of links, no permission) or are
 * not regular files (a FIFO, a socket) are reported as such, and the
 * listing goes on. */
static int local_list(struct file_store *base, const char *sub, file_store_skip_fn skip, file_store_each_fn each,
                      void *arg, struct sluice_error *err)
{
    struct local_store *st = (struct local_store *)base;
    struct sluice_buf at = { 0 };
    if (sub && sluice_buf_printf(&at, "%s/%s", st->path, sub))
        return st->host->error(err, SLUICE_ENOMEM, "out of memory");
    const char *dir = sub ? at.data : st->path;
    DIR *d = opendir(dir);
    if (!d) {
        /* A subdirectory removed since the listing that found it. */
        int rc = sub && (errno == ENOENT || errno == ENOTDIR)
                     ? SLUICE_OK
                     : st->host->error(err, SLUICE_EIO, "cannot list '%s': %s", dir, strerror(errno));
        sluice_buf_free(&at);
        return rc;
    }
    if (sub) watch(st, dir);
    int rc = SLUICE_OK;
    while (!rc) {
        errno = 0;
        struct dirent *e = readdir(d);
        if (!e) {
            if (errno) rc = st->host->error(err, SLUICE_EIO, "cannot list '%s': %s", dir, strerror(errno));
            break;
        }
        if (skip(arg, e->d_name)) continue;
        struct file_store_entry fe = { .name = e->d_name };
        struct stat s;
        /* Follow symlinks, as Hadoop's local file system does. */
        if (fstatat(dirfd(d), e->d_name, &s, 0) != 0) {
            fe.why = unreadable_why(dirfd(d), e->d_name, errno);
            if (!fe.why) continue;
            fe.kind = FILE_STORE_OTHER;
        } else if (S_ISDIR(s.st_mode)) {
            fe.kind = FILE_STORE_DIR;
        } else if (!S_ISREG(s.st_mode)) {
            fe.kind = FILE_STORE_OTHER;
            fe.why = S_ISFIFO(s.st_mode) ? "a named pipe, not a regular file" : "not a regular file";
        } else {
            fe.size = (int64_t)s.st_size;
            fe.mtime_ns = (int64_t)s.st_mtim.tv_sec * 1000000000 + s.st_mtim.tv_nsec;
        }
        rc = each(arg, &fe, err);
    }
    closedir(d);
    sluice_buf_free(&at);
    return rc;
}

static int64_t local_size(struct file_store *base, const char *path)
{
    struct stat s;
    return stat(path, &s) == 0 ? (int64_t)s.st_size : -1;
}

static int local_open(struct file_store *base, const char *path, int64_t from, int64_t to,
                      struct file_store_file **out, int64_t *size, struct sluice_error *err)
{
    struct local_store *st = (struct local_store *)base;
    /* Read rather than mmap: a file truncated under us is then an error to
     * report, not a SIGBUS. O_NONBLOCK: a FIFO put in a file's place must
     * not hang the batch (regular files ignore the flag). */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return st->host->error(err, FILE_STORE_MISSING, "%s", strerror(errno));
    struct stat s;
    if (fstat(fd, &s) != 0) {
        int e = errno;
        close(fd);
        return st->host->error(err, SLUICE_EIO, "cannot read '%s': %s", path, strerror(e));
    }
    if (!S_ISREG(s.st_mode)) {
        close(fd);
        return st->host->error(err, FILE_STORE_MISSING, "it is no longer a regular file");
    }
    struct local_file *f = malloc(sizeof *f);
    if (!f) {
        close(fd);
        return st->host->error(err, SLUICE_ENOMEM, "out of memory");
    }
    *f = (struct local_file){ fd, path, st->host };
    *size = (int64_t)s.st_size;
    *out = (struct file_store_file *)f;
    return SLUICE_OK;
}

static int local_read(struct file_store_file *base, char *buf, size_t n, int64_t off, size_t *got,
                      struct sluice_error *err)
{
    struct local_file *f = (struct local_file *)base;
    for (;;) {
        ssize_t r = pread(f->fd, buf, n, off);
        if (r >= 0) {
            *got = (size_t)r;
            return SLUICE_OK;
        }
        if (errno != EINTR) return f->host->error(err, SLUICE_EIO, "cannot read '%s': %s", f->path, strerror(errno));
    }
}

static void local_close(struct file_store_file *base)
{
    struct local_file *f = (struct local_file *)base;
    close(f->fd);
    free(f);
}

/* Block until the directory may hold a new file, `timeout_us` passes or
 * wake_fd turns readable. Events queued since the last wait end it at
 * once: latest_offset lists the directory after they were drained, so a
 * file that lands between a listing and this call is never missed. */
static int local_wait(struct file_store *base, int64_t timeout_us, int wake_fd, struct sluice_error *err)
{
    struct local_store *st = (struct local_store *)base;
    const struct sluice_host *host = st->host;
    if (st->inotify_fd == -1) {
        st->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (st->inotify_fd >= 0 &&
            inotify_add_watch(st->inotify_fd, st->path, IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
            close(st->inotify_fd);
            st->inotify_fd = -1;
        }
        if (st->inotify_fd < 0) {
            host->log(st->ctx, SLUICE_LOG_DEBUG, "inotify unavailable for '%s' (%s): polling", st->path,
                      strerror(errno));
            st->inotify_fd = -2;
        }
        /* A file may have landed after the listing that found nothing and
         * before the watch began: list once more before sleeping. */
        if (st->inotify_fd >= 0) return SLUICE_OK;
    }
    bool polling = st->inotify_fd < 0;
    if (polling && timeout_us > POLL_FALLBACK_US) timeout_us = POLL_FALLBACK_US;
    struct pollfd pfd[2] = { { st->inotify_fd, POLLIN, 0 }, { wake_fd, POLLIN, 0 } };
    int64_t deadline = host->monotonic_us() + (timeout_us > 0 ? timeout_us : 0);
    for (;;) {
        int64_t left = deadline - host->monotonic_us();
        int ms = left <= 0 ? 0 : (int)((left + 999) / 1000);
        int n = polling ? poll(&pfd[1], wake_fd >= 0 ? 1 : 0, ms) : poll(pfd, wake_fd >= 0 ? 2 : 1, ms);
        if (n < 0 && errno == EINTR) return SLUICE_OK; /* a signal: let the core look */
        if (n < 0) return host->error(err, SLUICE_EIO, "cannot wait for '%s': %s", st->path, strerror(errno));
        if (n == 0 && left > 0) continue; /* poll rounds to ms: sleep the rest */
        break;
    }
    if (!polling && (pfd[0].revents & POLLIN)) {
        /* Drain: one wake-up stands for every event queued so far. */
        char ev[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        while (read(st->inotify_fd, ev, sizeof ev) > 0) {
        }
    }
    return SLUICE_OK;
}

static void local_free(struct file_store *base)
{
    struct local_store *st = (struct local_store *)base;
    if (st->inotify_fd >= 0) close(st->inotify_fd);
    free(st->archive);
    free(st->path);
    free(st->base.root);
    free(st);
}

static const struct file_store_ops local_ops = {
    .list = local_list,
    .size = local_size,
    .open = local_open,
    .read = local_read,
    .close = local_close,
    .wait = local_wait,
    .free = local_free,
    .set_archive = file_store_local_set_archive,
    .clean = file_store_local_clean,
};

int file_store_local_open(const struct sluice_host *host, struct sluice_ctx *ctx, const char *path,
                          struct file_store **out, struct sluice_error *err)
{
    DIR *d = opendir(path);
    if (!d) {
        int rc = host->error(err, SLUICE_ECONFIG, "path '%s' is not a readable directory: %s", path, strerror(errno));
        if (strncmp(path, "s3://", 5) == 0 || strncmp(path, "s3a://", 6) == 0)
            host->error_hint(err, "an S3 folder is read by source = \"s3\"");
        return rc;
    }
    closedir(d);
    /* The checkpoint names files by the directory's real path: "in",
     * "./in/" and "/abs/in" are one directory, and another is another. */
    char *root = realpath(path, NULL);
    if (!root)
        return host->error(err, SLUICE_ECONFIG, "path '%s' is not a readable directory: %s", path, strerror(errno));
    struct local_store *st = calloc(1, sizeof *st);
    if (!st) {
        free(root);
        return host->error(err, SLUICE_ENOMEM, "out of memory");
    }
    *st = (struct local_store){ { &local_ops, root }, host, ctx, strdup(path), -1, NULL };
    if (!st->path) {
        free(root);
        free(st);
        return host->error(err, SLUICE_ENOMEM, "out of memory");
    }
    *out = &st->base;
    return SLUICE_OK;
}
