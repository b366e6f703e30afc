/* core/util/error.h — filling and printing struct sluice_error.
 *
 * Users see one line per error:
 *   configs/lang_count.conf:14: stage 'out': key 'output_mode': output_mode 'append' needs a watermark
 *     hint: add watermark = { column = ...; delay = ...; } to a stage before the aggregation
 * The setters return the code they record, so a failure is one statement. */
#ifndef SLUICE_CORE_ERROR_H
#define SLUICE_CORE_ERROR_H

#include <stdarg.h>
#include <stdio.h>

#include <sluice/buf.h>
#include <sluice/error.h>

#if defined(__GNUC__)
#define SLUICE_FMT(a, b) __attribute__((format(printf, a, b)))
#else
#define SLUICE_FMT(a, b)
#endif

/* Records code and message; keeps file/line/stage/key already set. NULL err is allowed. */
int sluice_error_set(struct sluice_error *err, int code, const char *fmt, ...) SLUICE_FMT(3, 4);
int sluice_error_setv(struct sluice_error *err, int code, const char *fmt, va_list ap);
/* Where a value was written in a config, kept past loading so that what
 * is found later (at open, in a checkpoint) still points at the line. The
 * pipeline fills it (sluice_config_where); strings are borrowed from the
 * config, which outlives them. A zeroed where (file NULL) means nowhere. */
struct sluice_where {
    const char *file;
    int line;
    const char *stage; /* or NULL */
    char key[64];      /* e.g. "runtime.checkpoint", "window.duration" */
};
/* Record `at` as where the error is (a NULL or zeroed `at` changes nothing;
 * one without a file, from a config read from text, records its stage and
 * key). */
void sluice_error_locate(struct sluice_error *err, const struct sluice_where *at);
/* Like sluice_error_set, and takes file, line, stage and key from `at` (may be NULL). */
int sluice_error_where(struct sluice_error *err, int code, const struct sluice_where *at, const char *fmt, ...)
    SLUICE_FMT(4, 5);
void sluice_error_hint(struct sluice_error *err, const char *fmt, ...) SLUICE_FMT(2, 3);
void sluice_error_stage(struct sluice_error *err, const char *stage);
void sluice_error_clear(struct sluice_error *err);

/* Point the error at character `position` (1-based) of `excerpt`. */
void sluice_error_excerpt(struct sluice_error *err, const char *excerpt, int position);
/* "file:line: stage 'x': message", then the excerpt with a caret under the
 * position when there is one, then "\n  hint: ..." when there is one; no
 * trailing newline. */
void sluice_error_format(const struct sluice_error *err, struct sluice_buf *out);
/* "sluice: " + sluice_error_format + "\n" to `f`. */
void sluice_error_print(const struct sluice_error *err, FILE *f);

#endif
