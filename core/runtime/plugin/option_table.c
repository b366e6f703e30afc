/* A plugin's option table: its shape checked when the plugin loads, its
 * rows printed by `sluice plugins NAME`. See option_table.h. */
#include "option_table.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "registry.h"

const char *sluice_option_table_type_name(enum sluice_option_type type)
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

static size_t value_size(enum sluice_option_type t)
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

/* The core writes option values into the conf struct at each row's offset;
 * a table that points outside conf_size would have it write out of bounds. */
int sluice_option_table_check(const struct sluice_plugin *p, const char *path, struct sluice_error *err)
{
    for (const struct sluice_option *o = p->options; o && o->name; o++) {
        size_t size = value_size(o->type);
        if (!size)
            return sluice_error_set(err, SLUICE_EPLUGIN,
                                    "plugin file '%s': option '%s' has unknown type %d", path,
                                    o->name, (int)o->type);
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
        unsigned modes = plugin->modes ? plugin->modes : SLUICE_MODE_APPEND;
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
        sluice_buf_putc(out, '\n');
    }
}
