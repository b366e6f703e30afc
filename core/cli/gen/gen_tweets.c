#include "gen_tweets.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "fdio.h"
#include "gen_tweets_priv.h"
#include "mem.h"
#include "timefmt.h"

#define US_PER_MS 1000

/* ---- files -------------------------------------------------------------- */

/* mkdir -p: every missing component is created. */
static int make_dirs(const char *dir, struct sluice_error *err)
{
    char *path = sluice_xstrdup(dir);
    int rc = SLUICE_OK;
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != '\0') continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST) {
            rc = sluice_error_set(err, SLUICE_EIO, "cannot create directory '%s': %s", path,
                                  strerror(errno));
            break;
        }
        *p = saved;
        if (!saved) break;
    }
    struct stat st;
    if (rc == SLUICE_OK && (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)))
        rc = sluice_error_set(err, SLUICE_EIO, "'%s' is not a directory", dir);
    free(path);
    return rc;
}

/* Temp name, fsync, rename, fsync the directory: a reader listing the
 * directory sees the whole file or nothing, even across a crash. */
static int write_file(const char *dir, int dir_fd, int64_t number, const struct sluice_gen_buf *o,
                      struct sluice_error *err)
{
    char tmp[4096], final[4096];
    snprintf(tmp, sizeof tmp, "%s/.part-%05lld.json.tmp", dir, (long long)number);
    snprintf(final, sizeof final, "%s/part-%05lld.json", dir, (long long)number);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return sluice_error_set(err, SLUICE_EIO, "cannot create '%s': %s", tmp, strerror(errno));
    if (sluice_fd_write_all(fd, o->p, o->len) != 0 || fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return sluice_error_set(err, SLUICE_EIO, "cannot write '%s': %s", tmp, strerror(e));
    }
    if (close(fd) != 0) {
        int e = errno;
        unlink(tmp);
        return sluice_error_set(err, SLUICE_EIO, "cannot write '%s': %s", tmp, strerror(e));
    }
    if (rename(tmp, final) != 0) {
        int e = errno;
        unlink(tmp);
        return sluice_error_set(err, SLUICE_EIO, "cannot rename '%s' to '%s': %s", tmp, final,
                                strerror(e));
    }
    if (dir_fd >= 0 && fsync(dir_fd) != 0 && errno != EINVAL)
        return sluice_error_set(err, SLUICE_EIO, "cannot sync directory '%s': %s", dir,
                                strerror(errno));
    return SLUICE_OK;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

void sluice_gen_opts_init(struct sluice_gen_opts *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->files = 10;
    opts->rows = 1000;
    opts->seed = 42;
    opts->start_us = sluice_days_from_civil(2021, 5, 3) * 86400000000LL
                     + (7 * 3600 + 55 * 60 + 40) * 1000000LL;
    opts->step_ms = 2; /* 1000 tweets span 2 s: the lab's feed wrote a file of 1000 every ~2 s */
}

static int check_fraction(const char *name, double v, struct sluice_error *err)
{
    if (!(v >= 0.0 && v <= 1.0))
        return sluice_error_set(err, SLUICE_ECONFIG, "%s must be a fraction between 0 and 1, got %g",
                                name, v);
    return SLUICE_OK;
}

int sluice_gen_tweets(const struct sluice_gen_opts *in, struct sluice_error *err)
{
    struct sluice_gen_opts o = *in;

    if (!o.dir || !o.dir[0])
        return sluice_error_set(err, SLUICE_ECONFIG, "no output directory given");
    if (o.files < 0)
        return sluice_error_set(err, SLUICE_ECONFIG, "files must not be negative, got %lld",
                                (long long)o.files);
    if (o.rows < 0)
        return sluice_error_set(err, SLUICE_ECONFIG, "rows must not be negative, got %lld",
                                (long long)o.rows);
    if (o.first_index < 0)
        return sluice_error_set(err, SLUICE_ECONFIG, "first index must not be negative, got %lld",
                                (long long)o.first_index);
    if (o.interval_ms < 0)
        return sluice_error_set(err, SLUICE_ECONFIG, "interval must not be negative, got %lld ms",
                                (long long)o.interval_ms);
    if (o.step_ms < 0)
        return sluice_error_set(err, SLUICE_ECONFIG, "step must not be negative, got %lld ms",
                                (long long)o.step_ms);
    int rc = check_fraction("late", o.late, err);
    if (!rc) rc = check_fraction("malformed", o.malformed, err);
    if (rc) return rc;
    /* The last tweet's time must fit in int64 microseconds. */
    int64_t last_file, total_rows, step_us, span_us, end_us;
    if (__builtin_add_overflow(o.first_index, o.files, &last_file)
        || __builtin_mul_overflow(last_file, o.rows, &total_rows)
        || __builtin_mul_overflow(o.step_ms, (int64_t)US_PER_MS, &step_us)
        || __builtin_mul_overflow(total_rows, step_us, &span_us)
        || __builtin_add_overflow(o.start_us, span_us, &end_us))
        return sluice_error_set(err, SLUICE_ECONFIG,
                                "%lld files of %lld rows %lld ms apart run past the year 294000",
                                (long long)o.files, (long long)o.rows, (long long)o.step_ms);

    rc = make_dirs(o.dir, err);
    if (rc) return rc;
    int dir_fd = open(o.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    struct sluice_gen_stream s = { o.seed, o.start_us, step_us, o.rows, o.late, o.malformed };
    struct sluice_gen_buf buf = { 0 };
    for (int64_t f = 0; f < o.files && rc == SLUICE_OK; f++) {
        int64_t number = o.first_index + f;
        sluice_gen_file_text(&s, number, &buf);
        rc = write_file(o.dir, dir_fd, number, &buf, err);
        if (rc == SLUICE_OK && o.interval_ms > 0 && f + 1 < o.files) sleep_ms(o.interval_ms);
    }
    free(buf.p);
    if (dir_fd >= 0) close(dir_fd);
    return rc;
}
