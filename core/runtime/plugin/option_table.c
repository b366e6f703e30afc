/* A plugin's option table: its shape checked when the plugin loads, its
 * rows printed by `sluice plugins NAME`. See option_table.h. */
#include "option_table.h"

#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "duration.h"
#include "error.h"
#include "registry.h"
#include "schema.h"

const char *const sluice_option_table_core_keys[] = { "name", "input", "source", "transform", "sink",
                                                      "aggregate", "output_mode", "watermark", "static", NULL };

const char *sluice_option_table_type_name(uint32_t type)
{
    switch (type) {
    case SLUICE_OPT_STRING: return "string";
    case SLUICE_OPT_LONG: return "long";
    case SLUICE_OPT_DOUBLE: return "double";
    case SLUICE_OPT_BOOL: return "bool";
    case SLUICE_OPT_DURATION: return "duration";
    case SLUICE_OPT_ENUM: return "enum";
    case SLUICE_OPT_SCHEMA: return "schema";
    case SLUICE_OPT_EXPR: return "expression";
    case SLUICE_OPT_STRING_LIST: return "string list";
    }
    return "unknown";
}

size_t sluice_option_table_choices(const char *choices, char *buf, size_t cap, const char **out)
{
    snprintf(buf, cap, "%s", choices ? choices : "");
    size_t n = 0;
    for (char *p = buf, *save = NULL, *tok; n < SLUICE_OPTION_MAX_CHOICES && (tok = strtok_r(p, "|", &save));
         p = NULL)
        out[n++] = tok;
    return n;
}

static size_t value_size(uint32_t t)
{
    switch (t) {
    case SLUICE_OPT_STRING:
    case SLUICE_OPT_ENUM:
    case SLUICE_OPT_EXPR: return sizeof(const char *);
    case SLUICE_OPT_LONG:
    case SLUICE_OPT_DURATION: return sizeof(int64_t);
    case SLUICE_OPT_DOUBLE: return sizeof(double);
    case SLUICE_OPT_BOOL: return sizeof(bool);
    case SLUICE_OPT_SCHEMA: return sizeof(const struct ArrowSchema *);
    case SLUICE_OPT_STRING_LIST: return sizeof(struct sluice_strlist);
    }
    return 0;
}

/* ---- converting text ---------------------------------------------------- */

static bool has_bounds(uint32_t t)
{
    return t == SLUICE_OPT_LONG || t == SLUICE_OPT_DOUBLE || t == SLUICE_OPT_DURATION;
}

bool sluice_option_table_parse(const struct sluice_option *o, const char *text, void *out, char *why, size_t cap)
{
    char *end;
    switch (o->type) {
    case SLUICE_OPT_LONG: {
        errno = 0;
        long long v = strtoll(text, &end, 10);
        if (end == text || *end) {
            snprintf(why, cap, "expected an integer, got '%s'", text);
            return false;
        }
        if (errno == ERANGE) {
            snprintf(why, cap, "%s is out of range: a long is between %" PRId64 " and %" PRId64, text,
                     INT64_MIN, INT64_MAX);
            return false;
        }
        int64_t x = v;
        memcpy(out, &x, sizeof x);
        return true;
    }
    case SLUICE_OPT_DOUBLE: {
        errno = 0;
        double v = strtod(text, &end);
        if (end == text || *end || !isfinite(v) || (errno == ERANGE && v != 0.0)) {
            snprintf(why, cap, "expected a number, got '%s'", text);
            return false;
        }
        memcpy(out, &v, sizeof v);
        return true;
    }
    case SLUICE_OPT_BOOL: {
        bool v;
        if (strcasecmp(text, "true") == 0) v = true;
        else if (strcasecmp(text, "false") == 0) v = false;
        else {
            snprintf(why, cap, "expected true or false, got '%s'", text);
            return false;
        }
        memcpy(out, &v, sizeof v);
        return true;
    }
    case SLUICE_OPT_DURATION: {
        int64_t us;
        if (sluice_duration_parse(text, &us) != 0) {
            snprintf(why, cap, "expected a duration such as \"10 seconds\", got '%s'", text);
            return false;
        }
        memcpy(out, &us, sizeof us);
        return true;
    }
    default:
        return true;
    }
}

/* -1, 0, 1 as a compares with bound text b (which converts: checked at load). */
static int compare_bound(const struct sluice_option *o, const void *value, const char *bound)
{
    char why[8];
    if (o->type == SLUICE_OPT_DOUBLE) {
        double v, b = 0;
        memcpy(&v, value, sizeof v);
        sluice_option_table_parse(o, bound, &b, why, sizeof why);
        return (v > b) - (v < b);
    }
    int64_t v, b = 0;
    memcpy(&v, value, sizeof v);
    sluice_option_table_parse(o, bound, &b, why, sizeof why);
    return (v > b) - (v < b);
}

bool sluice_option_table_in_range(const struct sluice_option *o, const void *value, char *why, size_t cap)
{
    if (!has_bounds(o->type)) return true;
    bool low = o->min && compare_bound(o, value, o->min) < 0;
    bool high = o->max && compare_bound(o, value, o->max) > 0;
    if (!low && !high) return true;
    char got[64];
    if (o->type == SLUICE_OPT_DOUBLE) {
        double v;
        memcpy(&v, value, sizeof v);
        snprintf(got, sizeof got, "%g", v);
    } else if (o->type == SLUICE_OPT_DURATION) {
        int64_t v;
        memcpy(&v, value, sizeof v);
        struct sluice_buf b = { 0 };
        sluice_duration_format(v, &b);
        snprintf(got, sizeof got, "%s", b.data ? b.data : "0 seconds");
        sluice_buf_free(&b);
    } else {
        int64_t v;
        memcpy(&v, value, sizeof v);
        snprintf(got, sizeof got, "%" PRId64, v);
    }
    if (o->min && o->max)
        snprintf(why, cap, "must be between %s and %s, got %s", o->min, o->max, got);
    else if (o->min)
        snprintf(why, cap, "must be at least %s, got %s", o->min, got);
    else
        snprintf(why, cap, "must be at most %s, got %s", o->max, got);
    return false;
}

/* ---- the table's shape, at load ------------------------------------------- */

SLUICE_FMT(4, 5)
static int bad_option(struct sluice_error *err, const char *path, const char *option, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return sluice_error_set(err, SLUICE_EPLUGIN, "plugin file '%s': option '%s' %s", path, option, msg);
}

/* A default is what a config would get without the key: it must be a value
 * the option accepts, or every config leaving the key out fails (or, worse,
 * the plugin runs with a value it never meant to allow). */
static int check_default(const struct sluice_option *o, const char *path, struct sluice_error *err)
{
    const char *d = o->default_value;
    if (!d) return SLUICE_OK;
    char why[300];
    union { int64_t l; double d; bool b; } v;
    if (!sluice_option_table_parse(o, d, &v, why, sizeof why))
        return bad_option(err, path, o->name, "has a bad default: %s", why);
    if (!sluice_option_table_in_range(o, &v, why, sizeof why))
        return bad_option(err, path, o->name, "has a default out of its range: %s", why);
    if (o->type == SLUICE_OPT_ENUM) {
        char buf[512];
        const char *names[SLUICE_OPTION_MAX_CHOICES];
        size_t n = sluice_option_table_choices(o->choices, buf, sizeof buf, names);
        bool found = false;
        for (size_t i = 0; i < n && !found; i++) found = strcmp(names[i], d) == 0;
        if (!found) return bad_option(err, path, o->name, "has default '%s', which is not one of '%s'", d, o->choices);
    }
    if (o->type == SLUICE_OPT_SCHEMA && d[0] != '@') {
        /* A file default can only be read when a config uses it. */
        struct ArrowSchema s;
        struct sluice_error e = { 0 };
        if (sluice_schema_parse(d, &s, &e) != SLUICE_OK)
            return bad_option(err, path, o->name, "has a bad default: %s", e.message);
        sluice_schema_release(&s);
    }
    return SLUICE_OK;
}

static int check_bounds(const struct sluice_option *o, const char *path, struct sluice_error *err)
{
    if (!o->min && !o->max) return SLUICE_OK;
    if (!has_bounds(o->type))
        return bad_option(err, path, o->name, "is a %s and cannot have a min or max (only long, double and "
                          "duration options can)", sluice_option_table_type_name(o->type));
    char why[300];
    union { int64_t l; double d; } lo, hi;
    if (o->min && !sluice_option_table_parse(o, o->min, &lo, why, sizeof why))
        return bad_option(err, path, o->name, "has a bad min: %s", why);
    if (o->max && !sluice_option_table_parse(o, o->max, &hi, why, sizeof why))
        return bad_option(err, path, o->name, "has a bad max: %s", why);
    if (o->min && o->max && compare_bound(o, &lo, o->max) > 0)
        return bad_option(err, path, o->name, "has min %s above its max %s", o->min, o->max);
    return SLUICE_OK;
}

/* The core writes option values into the conf struct at each row's offset;
 * a table that points outside conf_size would have it write out of bounds.
 * Names are what configs write: two rows of one name, or a row named as a
 * key the core reads itself, could never both be set. */
int sluice_option_table_check(const struct sluice_plugin *p, const char *path, struct sluice_error *err)
{
    for (const struct sluice_option *o = p->options; o && o->name; o++) {
        if (!o->name[0]) return sluice_error_set(err, SLUICE_EPLUGIN, "plugin file '%s': an option has an empty name", path);
        size_t size = value_size(o->type);
        if (!size)
            return sluice_error_set(err, SLUICE_EPLUGIN,
                                    "plugin file '%s': option '%s' has unknown type %u", path,
                                    o->name, (unsigned)o->type);
        if (o->offset > p->conf_size || size > p->conf_size - o->offset)
            return sluice_error_set(err, SLUICE_EPLUGIN,
                                    "plugin file '%s': option '%s' (%s at offset %zu) does not fit "
                                    "in conf_size %zu", path, o->name,
                                    sluice_option_table_type_name(o->type), o->offset,
                                    p->conf_size);
        if (o->type == SLUICE_OPT_ENUM && (!o->choices || !o->choices[0]))
            return sluice_error_set(err, SLUICE_EPLUGIN,
                                    "plugin file '%s': enum option '%s' has no choices", path,
                                    o->name);
        for (const struct sluice_option *q = p->options; q < o; q++)
            if (strcmp(q->name, o->name) == 0)
                return bad_option(err, path, o->name, "is declared twice in the option table");
        for (size_t k = 0; sluice_option_table_core_keys[k]; k++) {
            if (strcmp(o->name, sluice_option_table_core_keys[k]) != 0) continue;
            int rc = bad_option(err, path, o->name, "has the name of a key the core reads itself, so no "
                                "config could set it");
            sluice_error_hint(err, "rename the option: stages keep name, input, source, transform, sink, "
                                   "aggregate, output_mode and watermark for the core");
            return rc;
        }
        int rc = check_bounds(o, path, err);
        if (!rc) rc = check_default(o, path, err);
        if (rc) return rc;
    }
    return SLUICE_OK;
}

/* ---- describe ---------------------------------------------------------- */

static size_t max_size(size_t a, size_t b)
{
    return a > b ? a : b;
}

void sluice_option_table_describe(const struct sluice_plugin *plugin, const char *file,
                             struct sluice_buf *out)
{
    sluice_buf_printf(out, "name:     %s\n", plugin->name);
    sluice_buf_printf(out, "kind:     %s\n", sluice_registry_kind_name(plugin->kind));
    sluice_buf_printf(out, "summary:  %s\n", plugin->summary ? plugin->summary : "");
    if (file) sluice_buf_printf(out, "file:     %s\n", file);
    if (plugin->kind == SLUICE_KIND_SINK) {
        /* A sink that names no modes takes append, the mode every sink can serve. */
        uint32_t modes = plugin->modes ? plugin->modes : SLUICE_MODE_APPEND;
        static const char *const mode_names[] = { "append", "update", "complete" };
        sluice_buf_puts(out, "modes:    ");
        for (unsigned i = 0, n = 0; i < 3; i++)
            if (modes & (1u << i)) sluice_buf_printf(out, "%s%s", n++ ? ", " : "", mode_names[i]);
        sluice_buf_putc(out, '\n');
    }
    if (!plugin->options || !plugin->options[0].name) {
        sluice_buf_puts(out, "options:  none\n");
        return;
    }
    size_t wn = strlen("NAME"), wt = strlen("TYPE"), wd = strlen("DEFAULT");
    for (const struct sluice_option *o = plugin->options; o->name; o++) {
        wn = max_size(wn, strlen(o->name));
        wt = max_size(wt, strlen(sluice_option_table_type_name(o->type)));
        wd = max_size(wd, o->default_value ? strlen(o->default_value) + 2 : 1);
    }
    sluice_buf_puts(out, "options:\n");
    sluice_buf_printf(out, "  %-*s  %-*s  %-*s  %-8s  %s\n", (int)wn, "NAME", (int)wt, "TYPE",
                      (int)wd, "DEFAULT", "REQUIRED", "HELP");
    for (const struct sluice_option *o = plugin->options; o->name; o++) {
        char def[256];
        if (o->default_value)
            snprintf(def, sizeof def, "\"%s\"", o->default_value);
        else
            snprintf(def, sizeof def, "-");
        sluice_buf_printf(out, "  %-*s  %-*s  %-*s  %-8s  %s", (int)wn, o->name, (int)wt,
                          sluice_option_table_type_name(o->type), (int)wd, def,
                          (o->flags & SLUICE_OPT_REQUIRED) ? "yes" : "no", o->help ? o->help : "");
        if (o->type == SLUICE_OPT_ENUM && o->choices) {
            char buf[512];
            const char *names[SLUICE_OPTION_MAX_CHOICES];
            size_t n = sluice_option_table_choices(o->choices, buf, sizeof buf, names);
            sluice_buf_puts(out, o->help && o->help[0] ? " (one of: " : "one of: ");
            for (size_t i = 0; i < n; i++) sluice_buf_printf(out, "%s%s", i ? ", " : "", names[i]);
            if (o->help && o->help[0]) sluice_buf_putc(out, ')');
        }
        if (o->min && o->max) sluice_buf_printf(out, " (%s to %s)", o->min, o->max);
        else if (o->min) sluice_buf_printf(out, " (at least %s)", o->min);
        else if (o->max) sluice_buf_printf(out, " (at most %s)", o->max);
        sluice_buf_putc(out, '\n');
    }
}
