#include "error.h"

#include <string.h>

static void copy_field(char *dst, size_t cap, const char *src)
{
    if (!src) src = "";
    size_t n = strlen(src);
    if (n >= cap) n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

int sluice_error_setv(struct sluice_error *err, int code, const char *fmt, va_list ap)
{
    if (!err) return code;
    err->code = code;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    return code;
}

int sluice_error_set(struct sluice_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sluice_error_setv(err, code, fmt, ap);
    va_end(ap);
    return code;
}

void sluice_error_locate(struct sluice_error *err, const struct sluice_where *at)
{
    if (!err || !at) return;
    if (!at->file) {
        /* A config read from text (the test kit, tests): no file, but the
         * stage and key are still worth naming. */
        if (at->stage) copy_field(err->stage, sizeof err->stage, at->stage);
        if (at->key[0]) copy_field(err->key, sizeof err->key, at->key);
        return;
    }
    copy_field(err->file, sizeof err->file, at->file);
    err->line = at->line;
    if (at->stage) copy_field(err->stage, sizeof err->stage, at->stage);
    copy_field(err->key, sizeof err->key, at->key);
}

int sluice_error_where(struct sluice_error *err, int code, const struct sluice_where *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sluice_error_setv(err, code, fmt, ap);
    va_end(ap);
    sluice_error_locate(err, at);
    return code;
}

void sluice_error_hint(struct sluice_error *err, const char *fmt, ...)
{
    if (!err) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->hint, sizeof err->hint, fmt, ap);
    va_end(ap);
}

void sluice_error_stage(struct sluice_error *err, const char *stage)
{
    if (err) copy_field(err->stage, sizeof err->stage, stage);
}

void sluice_error_excerpt(struct sluice_error *err, const char *excerpt, int position)
{
    if (!err) return;
    copy_field(err->excerpt, sizeof err->excerpt, excerpt);
    err->position = position;
}

void sluice_error_clear(struct sluice_error *err)
{
    if (err) memset(err, 0, sizeof *err);
}

void sluice_error_format(const struct sluice_error *err, struct sluice_buf *out)
{
    if (err->file[0]) {
        sluice_buf_puts(out, err->file);
        if (err->line > 0) sluice_buf_printf(out, ":%d", err->line);
        sluice_buf_puts(out, ": ");
    }
    if (err->stage[0]) sluice_buf_printf(out, "stage '%s': ", err->stage);
    if (err->key[0]) {
        /* Most messages already quote the key they are about; say it only when not. */
        char quoted[sizeof err->key + 2];
        snprintf(quoted, sizeof quoted, "'%s'", err->key);
        if (!strstr(err->message, quoted)) sluice_buf_printf(out, "key '%s': ", err->key);
    }
    sluice_buf_puts(out, err->message[0] ? err->message : "unknown error");
    if (err->excerpt[0]) {
        /* The excerpt on its own line, a caret under the offending character. */
        sluice_buf_printf(out, "\n    %s", err->excerpt);
        if (err->position > 0) {
            sluice_buf_puts(out, "\n    ");
            for (int i = 1; i < err->position && err->excerpt[i - 1]; i++)
                sluice_buf_putc(out, err->excerpt[i - 1] == '\t' ? '\t' : ' ');
            sluice_buf_putc(out, '^');
        }
    }
    if (err->hint[0]) sluice_buf_printf(out, "\n  hint: %s", err->hint);
}

void sluice_error_print(const struct sluice_error *err, FILE *f)
{
    struct sluice_buf b = { 0 };
    sluice_error_format(err, &b);
    fprintf(f, "sluice: %s\n", b.data ? b.data : "");
    sluice_buf_free(&b);
}
