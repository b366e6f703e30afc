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

/* The stage group enclosing `s` is the element of the top-level `stages`
 * list; the key is the path from that group (or from the root) down to `s`. */
static void locate_setting(const config_setting_t *s, struct sluice_error *err)
{
    const config_setting_t *chain[32];
    int depth = 0;
    for (const config_setting_t *p = s; p && depth < 32; p = config_setting_parent(p))
        chain[depth++] = p;
    /* chain[depth-1] is the root. */
    int key_from = depth - 2; /* first setting below the root */
    if (depth >= 3 && config_setting_name(chain[depth - 2]) && strcmp(config_setting_name(chain[depth - 2]), "stages") == 0) {
        const config_setting_t *stage = chain[depth - 3];
        const char *name = NULL;
        if (config_setting_is_group(stage) && config_setting_lookup_string(stage, "name", &name))
            copy_field(err->stage, sizeof err->stage, name);
        key_from = depth - 4;
    }
    err->key[0] = '\0';
    size_t used = 0;
    for (int i = key_from; i >= 0; i--) {
        const char *name = config_setting_name(chain[i]);
        if (!name) break; /* list elements have no name */
        int n = snprintf(err->key + used, sizeof err->key - used, "%s%s", used ? "." : "", name);
        if (n < 0 || (size_t)n >= sizeof err->key - used) break;
        used += (size_t)n;
    }
}

int sluice_error_at(struct sluice_error *err, int code, const config_setting_t *setting,
                    const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sluice_error_setv(err, code, fmt, ap);
    va_end(ap);
    if (!err || !setting) return code;
    copy_field(err->file, sizeof err->file, config_setting_source_file(setting));
    err->line = (int)config_setting_source_line(setting);
    locate_setting(setting, err);
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
