/* clean_source for the local store: delete a file, or move it under the
 * archive dir at its full path, as Spark's FileStreamSource does
 * (/data/in/a.json archived to /arch becomes /arch/data/in/a.json).
 *
 * A move never replaces a file already there (renameat2 NOREPLACE), and
 * across file systems it is a copy, then the removal of the source, as
 * Hadoop's local rename falls back to. See file_store.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_store_local.h"

/* `dir` made absolute with "." and ".." resolved, then its longest part
 * that exists resolved by realpath (symbolic links, /tmp -> /private/tmp),
 * so it compares with the root, a real path. NULL when out of memory or
 * too long. */
static char *absolute_dir(const char *dir)
{
    char cwd[PATH_MAX], buf[2 * PATH_MAX];
    if (dir[0] != '/' && !getcwd(cwd, sizeof cwd)) return NULL;
    if ((size_t)snprintf(buf, sizeof buf, "%s/%s", dir[0] == '/' ? "" : cwd, dir) >= sizeof buf) return NULL;
    /* Lexically: drop "", "." and a ".." with the part before it. */
    char out[2 * PATH_MAX];
    size_t n = 0;
    for (char *save = NULL, *part = strtok_r(buf, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
        if (strcmp(part, ".") == 0) continue;
        if (strcmp(part, "..") == 0) {
            while (n > 0 && out[n - 1] != '/') n--;
            if (n > 0) n--;
            continue;
        }
        n += (size_t)snprintf(out + n, sizeof out - n, "/%s", part);
    }
    out[n] = '\0';
    if (n == 0) return strdup("/");
    /* The longest existing ancestor, resolved; the rest appended as it is. */
    for (size_t cut = n;;) {
        char saved = out[cut];
        out[cut] = '\0';
        char *real = realpath(cut ? out : "/", NULL);
        out[cut] = saved;
        if (real) {
            char *whole = NULL;
            if (asprintf(&whole, "%s%s", strcmp(real, "/") == 0 ? "" : real, out + cut) < 0) whole = NULL;
            free(real);
            return whole && whole[0] ? whole : (free(whole), strdup("/"));
        }
        while (cut > 0 && out[cut - 1] != '/') cut--;
        if (cut == 0) return strdup(out); /* not even "/" resolves: keep it lexical */
        cut--;
    }
}

int file_store_local_set_archive(struct file_store *base, const char *dir, struct sluice_error *err)
{
    struct local_store *st = (struct local_store *)base;
    char *abs = absolute_dir(dir);
    if (!abs) return st->host->error(err, SLUICE_ECONFIG, "source_archive_dir '%s' is too long", dir);
    size_t n = strlen(st->base.root);
    /* Spark refuses an archive its source path would list: archived files
     * must never come back as new ones. */
    if (strncmp(abs, st->base.root, n) == 0 && (abs[n] == '\0' || abs[n] == '/')) {
        int rc = st->host->error(err, SLUICE_ECONFIG, "source_archive_dir '%s' (%s) is inside path '%s' (%s)", dir,
                                 abs, st->path, st->base.root);
        st->host->error_hint(err, "archived files must be kept out of the directory the source reads");
        free(abs);
        return rc;
    }
    free(st->archive);
    st->archive = abs;
    return SLUICE_OK;
}

/* mkdir -p of the directory holding `file` (modified in place, restored). */
static int make_parents(char *file)
{
    for (char *p = file + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        int rc = mkdir(file, 0777);
        int e = errno;
        *p = '/';
        if (rc != 0 && e != EEXIST) {
            errno = e;
            return -1;
        }
    }
    return 0;
}

/* Across file systems: copy into a new file (never over one), then remove
 * the source. errno tells why on failure; the copy is removed then. */
static int copy_then_remove(const char *from, const char *to)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0) return -1;
    struct stat s;
    int out = fstat(in, &s) == 0 ? open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, s.st_mode & 0777) : -1;
    if (out < 0) {
        int e = errno;
        close(in);
        errno = e;
        return -1;
    }
    char buf[1 << 16];
    int rc = 0;
    for (;;) {
        ssize_t r = read(in, buf, sizeof buf);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            rc = r < 0 ? -1 : 0;
            break;
        }
        for (ssize_t w = 0; w < r && rc == 0;) {
            ssize_t k = write(out, buf + w, (size_t)(r - w));
            if (k < 0 && errno != EINTR) rc = -1;
            if (k > 0) w += k;
        }
        if (rc) break;
    }
    if (rc == 0 && fsync(out) != 0) rc = -1;
    int e = errno;
    close(in);
    if (close(out) != 0 && rc == 0) {
        rc = -1;
        e = errno;
    }
    if (rc == 0 && unlink(from) != 0) {
        e = errno;
        unlink(to); /* keep the source rather than two copies */
        rc = -1;
    } else if (rc != 0) {
        unlink(to);
    }
    errno = e;
    return rc;
}

/* Move without replacing: renameat2's NOREPLACE, or where the file system
 * lacks it, a check first (a race with another writer is the user's). */
static int move_noreplace(const char *from, const char *to)
{
    if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0) return 0;
    if (errno != EINVAL && errno != ENOSYS) return -1;
    struct stat s;
    if (lstat(to, &s) == 0) {
        errno = EEXIST;
        return -1;
    }
    return rename(from, to);
}

int file_store_local_clean(struct file_store *base, const char *path, const char *abs, struct sluice_error *err)
{
    struct local_store *st = (struct local_store *)base;
    const struct sluice_host *host = st->host;
    if (!st->archive) {
        if (unlink(path) == 0) return SLUICE_OK;
        if (errno == ENOENT) return host->error(err, FILE_STORE_MISSING, "it is gone");
        return host->error(err, SLUICE_EIO, "cannot delete '%s': %s", path, strerror(errno));
    }
    char *to = NULL;
    if (asprintf(&to, "%s%s", strcmp(st->archive, "/") == 0 ? "" : st->archive, abs) < 0)
        return host->error(err, SLUICE_ENOMEM, "out of memory");
    struct stat s;
    int rc = SLUICE_OK;
    if (lstat(path, &s) != 0 && errno == ENOENT) {
        rc = host->error(err, FILE_STORE_MISSING, "it is gone");
    } else if (make_parents(to) != 0 || (move_noreplace(path, to) != 0 &&
                                         (errno != EXDEV || copy_then_remove(path, to) != 0))) {
        rc = host->error(err, errno == ENOENT ? FILE_STORE_MISSING : SLUICE_EIO, "cannot move '%s' to '%s': %s",
                         path, to, strerror(errno));
    }
    free(to);
    return rc;
}
