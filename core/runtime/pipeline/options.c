#include "options.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "duration.h"
#include "error.h"
#include "host.h"
#include "registry.h"
#include "option_table.h"
#include "mem.h"
#include "schema.h"
#include "suggest.h"

struct apply {
    const struct sluice_plugin *plugin;
    const config_setting_t *stage;
    struct sluice_options_storage *storage;
    struct sluice_error *err;
};

/* What a value of the type looks like, for "expected ..." */
static const char *expected_text(enum sluice_option_type type)
{
    switch (type) {
    case SLUICE_OPT_STRING: return "a string";
    case SLUICE_OPT_LONG: return "an integer";
    case SLUICE_OPT_DOUBLE: return "a number";
    case SLUICE_OPT_BOOL: return "true or false";
    case SLUICE_OPT_DURATION: return "a string (a duration such as \"10 seconds\")";
    case SLUICE_OPT_ENUM: return "a string";
    case SLUICE_OPT_SCHEMA:
        return "a string (a schema: Spark's JSON, DDL such as \"id STRING, n LONG\", or \"@file\")";
    case SLUICE_OPT_EXPR: return "a string (an expression such as \"data.lang = 'en'\")";
    case SLUICE_OPT_STRING_LIST: return "a list of strings such as [\"a\", \"b\"]";
    }
    return "a value";
}

static void storage_add_block(struct sluice_options_storage *st, void *p)
{
    st->blocks = sluice_xrealloc(st->blocks, (st->n_blocks + 1) * sizeof *st->blocks);
    st->blocks[st->n_blocks++] = p;
}

static void storage_add_schema(struct sluice_options_storage *st, struct ArrowSchema *s)
{
    st->schemas = sluice_xrealloc(st->schemas, (st->n_schemas + 1) * sizeof *st->schemas);
    st->schemas[st->n_schemas++] = s;
}

void sluice_options_storage_free(struct sluice_options_storage *st)
{
    if (!st) return;
    for (size_t i = 0; i < st->n_blocks; i++) free(st->blocks[i]);
    for (size_t i = 0; i < st->n_schemas; i++) {
        sluice_schema_release(st->schemas[i]);
        free(st->schemas[i]);
    }
    free(st->blocks);
    free(st->schemas);
    *st = (struct sluice_options_storage){ 0 };
}

/* A failure about option `opt`: at `s` when the value came from the config,
 * or, for a default (s == NULL), a bug in the plugin reported at the stage. */
SLUICE_FMT(4, 5)
static int fail(struct apply *a, const struct sluice_option *opt, const config_setting_t *s,
                const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* A value typed on the command line carries its group's line, which
     * alone would send the user looking in the file. */
    if (s) return sluice_error_at(a->err, SLUICE_ECONFIG, s, "%s%s", msg,
                                  sluice_config_is_override(s) ? " (from --set)" : "");
    return sluice_error_at(a->err, SLUICE_EPLUGIN, a->stage,
                           "%s plugin '%s' has a bad default for '%s': %s",
                           sluice_registry_kind_name(a->plugin->kind), a->plugin->name, opt->name, msg);
}

/* Split "a|b|c" into up to MAX_CHOICES NUL-terminated names in `buf`. */

static void write_at(void *conf, const struct sluice_option *opt, const void *value, size_t n)
{
    memcpy((char *)conf + opt->offset, value, n); /* offsets need not be aligned for memcpy */
}

/* Where a relative `@path` is read (options.h): from the directory of the
 * config file that holds it, or from the current directory for a value
 * typed on the command line (--set) or a plugin's default. Sets *dir_len
 * to the length of the directory prefixed to `path` (0: none). */
static char *schema_file_path(const char *path, const config_setting_t *s, size_t *dir_len)
{
    *dir_len = 0;
    const char *cfg = s && !sluice_config_is_override(s) ? config_setting_source_file(s) : NULL;
    const char *slash = cfg && path[0] != '/' ? strrchr(cfg, '/') : NULL;
    if (!slash) return sluice_xstrdup(path);
    *dir_len = (size_t)(slash - cfg) + 1;
    size_t n = *dir_len + strlen(path) + 1;
    char *full = sluice_xmalloc(n);
    snprintf(full, n, "%.*s%s", (int)*dir_len, cfg, path);
    return full;
}

/* A schema file that is not there: say where it was looked for, and why
 * there; and when the current directory has it, that a config's @paths do
 * not start there. */
static void schema_file_missing(struct sluice_error *e, const char *path, const char *full, size_t dir_len,
                                const config_setting_t *s)
{
    const char *from = dir_len ? "relative to the config file's directory"
                       : s && sluice_config_is_override(s) ? "a --set value is relative to the current directory"
                                                           : "relative to the current directory";
    sluice_error_set(e, SLUICE_ECONFIG, "schema file '%s' not found: looked for '%s' (%s)", path, full, from);
    if (dir_len && access(path, F_OK) == 0)
        sluice_error_hint(e, "'%s' is there from the current directory, but in a config an @path is read from "
                             "the config's own directory '%.*s': write the path from there, or an absolute one",
                          path, (int)dir_len, full);
    else if (dir_len)
        sluice_error_hint(e, "in a config an @path is read from the config's own directory");
}

static int convert_schema(struct apply *a, const struct sluice_option *opt,
                          const config_setting_t *s, const char *text, void *conf)
{
    struct sluice_error e = { 0 };
    struct ArrowSchema *schema = sluice_xcalloc(1, sizeof *schema);
    int rc;
    if (text[0] == '@' && text[1]) {
        size_t dir_len;
        char *full = schema_file_path(text + 1, s, &dir_len);
        if (access(full, F_OK) != 0 && errno == ENOENT) {
            schema_file_missing(&e, text + 1, full, dir_len, s);
            rc = SLUICE_ECONFIG;
        } else {
            rc = sluice_schema_parse_file(full, schema, &e);
        }
        free(full);
    } else {
        rc = sluice_schema_parse(text, schema, &e);
    }
    if (rc != SLUICE_OK) {
        free(schema);
        if (!s) return fail(a, opt, NULL, "%s", e.message);
        sluice_config_error_locate(&e, rc, s);
        if (a->err) *a->err = e;
        return rc;
    }
    storage_add_schema(a->storage, schema);
    const struct ArrowSchema *p = schema;
    write_at(conf, opt, &p, sizeof p);
    return SLUICE_OK;
}

/* Convert text (a default, or a string where another type is wanted) and
 * write it to conf. `s` is the setting it came from, NULL for a default. */
static int convert_text(struct apply *a, const struct sluice_option *opt,
                        const config_setting_t *s, const char *text, void *conf)
{
    char *end;
    switch (opt->type) {
    case SLUICE_OPT_STRING:
    case SLUICE_OPT_EXPR:
        write_at(conf, opt, &text, sizeof text);
        return SLUICE_OK;
    case SLUICE_OPT_LONG: {
        int64_t x;
        char why[200];
        if (!sluice_option_table_parse(opt, text, &x, why, sizeof why)) return fail(a, opt, s, "%s", why);
        write_at(conf, opt, &x, sizeof x);
        return SLUICE_OK;
    }
    case SLUICE_OPT_DOUBLE: {
        errno = 0;
        double v = strtod(text, &end);
        if (end == text || *end || errno || !isfinite(v))
            return fail(a, opt, s, "expected a number, got '%s'", text);
        write_at(conf, opt, &v, sizeof v);
        return SLUICE_OK;
    }
    case SLUICE_OPT_BOOL: {
        bool v;
        if (strcasecmp(text, "true") == 0) v = true;
        else if (strcasecmp(text, "false") == 0) v = false;
        else return fail(a, opt, s, "expected true or false, got '%s'", text);
        write_at(conf, opt, &v, sizeof v);
        return SLUICE_OK;
    }
    case SLUICE_OPT_DURATION: {
        int64_t us;
        if (sluice_duration_parse(text, &us) != 0)
            return fail(a, opt, s, "expected a duration such as \"10 seconds\", got '%s'", text);
        write_at(conf, opt, &us, sizeof us);
        return SLUICE_OK;
    }
    case SLUICE_OPT_ENUM: {
        char buf[512], list[600];
        const char *names[SLUICE_OPTION_MAX_CHOICES];
        size_t n = sluice_option_table_choices(opt->choices, buf, sizeof buf, names);
        for (size_t i = 0; i < n; i++) {
            if (strcmp(names[i], text) == 0) {
                /* Point at the config's string (or the default), not at buf. */
                write_at(conf, opt, &text, sizeof text);
                return SLUICE_OK;
            }
        }
        size_t used = 0;
        list[0] = '\0';
        for (size_t i = 0; i < n && used < sizeof list; i++) {
            int w = snprintf(list + used, sizeof list - used, "%s\"%s\"",
                             i == 0 ? "" : i + 1 == n ? " or " : ", ", names[i]);
            if (w > 0) used += (size_t)w;
        }
        int rc = fail(a, opt, s, "expected %s%s, got '%s'", n > 1 ? "one of " : "", list, text);
        const char *close = sluice_suggest(text, names, n);
        if (close) sluice_error_hint(a->err, "did you mean '%s'?", close);
        return rc;
    }
    case SLUICE_OPT_SCHEMA:
        return convert_schema(a, opt, s, text, conf);
    case SLUICE_OPT_STRING_LIST: {
        if (s) return fail(a, opt, s, "expected %s, got '%s'", expected_text(opt->type), text);
        /* A default: comma-separated. */
        char *copy = sluice_xstrdup(text);
        storage_add_block(a->storage, copy);
        size_t cap = 1;
        for (const char *p = text; *p; p++) cap += *p == ',';
        const char **items = sluice_xcalloc(cap, sizeof *items);
        storage_add_block(a->storage, items);
        size_t n = 0;
        for (char *p = copy, *save = NULL, *tok; (tok = strtok_r(p, ",", &save)); p = NULL)
            items[n++] = tok;
        struct sluice_strlist l = { items, n };
        write_at(conf, opt, &l, sizeof l);
        return SLUICE_OK;
    }
    }
    return fail(a, opt, s, "option type %d is not known to this sluice", (int)opt->type);
}

static int convert_list(struct apply *a, const struct sluice_option *opt,
                        const config_setting_t *s, void *conf)
{
    int n = config_setting_length(s);
    const char **items = sluice_xcalloc(n > 0 ? (size_t)n : 1, sizeof *items);
    storage_add_block(a->storage, items);
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        if (config_setting_type(e) != CONFIG_TYPE_STRING) {
            char got[64];
            return fail(a, opt, s, "expected %s, got %s as element %d", expected_text(opt->type),
                        sluice_config_describe_value(e, got, sizeof got), i + 1);
        }
        items[i] = config_setting_get_string(e);
    }
    struct sluice_strlist l = { items, (size_t)n };
    write_at(conf, opt, &l, sizeof l);
    return SLUICE_OK;
}

/* Numbers and booleans written in quotes in a config file: libconfig
 * would keep "2" a string, and converting it quietly hides a typo such as
 * "2O" until it fails; Spark's options are typed too. Only --set, which
 * stores a new key as the text typed, gets its strings converted. */
static bool quoted_scalar(const struct sluice_option *opt, const config_setting_t *s)
{
    return (opt->type == SLUICE_OPT_LONG || opt->type == SLUICE_OPT_DOUBLE || opt->type == SLUICE_OPT_BOOL) &&
           !sluice_config_is_override(s);
}

static int convert_setting(struct apply *a, const struct sluice_option *opt,
                           const config_setting_t *s, void *conf)
{
    int type = config_setting_type(s);
    if (type == CONFIG_TYPE_STRING && quoted_scalar(opt, s)) {
        const char *text = config_setting_get_string(s);
        int rc = fail(a, opt, s, "expected %s, got the string '%s'", expected_text(opt->type), text);
        char *end;
        bool fits = opt->type == SLUICE_OPT_BOOL ? strcasecmp(text, "true") == 0 || strcasecmp(text, "false") == 0
                    : opt->type == SLUICE_OPT_LONG ? (strtoll(text, &end, 10), end != text && !*end)
                                                   : (strtod(text, &end), end != text && !*end);
        if (fits) sluice_error_hint(a->err, "drop the quotes: %s = %s;", opt->name, text);
        return rc;
    }
    if (type == CONFIG_TYPE_STRING) return convert_text(a, opt, s, config_setting_get_string(s), conf);
    switch (opt->type) {
    case SLUICE_OPT_LONG:
        if (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64) {
            int64_t v;
            char why[200];
            if (!sluice_config_int64(s, &v, why, sizeof why)) return fail(a, opt, s, "%s", why);
            write_at(conf, opt, &v, sizeof v);
            return SLUICE_OK;
        }
        break;
    case SLUICE_OPT_DOUBLE:
        if (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64 || type == CONFIG_TYPE_FLOAT) {
            int64_t l = 0;
            char why[200];
            if (type != CONFIG_TYPE_FLOAT && !sluice_config_int64(s, &l, why, sizeof why))
                return fail(a, opt, s, "%s", why);
            double v = type == CONFIG_TYPE_FLOAT ? config_setting_get_float(s) : (double)l;
            write_at(conf, opt, &v, sizeof v);
            return SLUICE_OK;
        }
        break;
    case SLUICE_OPT_BOOL:
        if (type == CONFIG_TYPE_BOOL) {
            bool v = config_setting_get_bool(s);
            write_at(conf, opt, &v, sizeof v);
            return SLUICE_OK;
        }
        break;
    case SLUICE_OPT_STRING_LIST:
        if (type == CONFIG_TYPE_LIST || type == CONFIG_TYPE_ARRAY) return convert_list(a, opt, s, conf);
        break;
    default:
        break;
    }
    char got[64];
    return fail(a, opt, s, "expected %s, got %s", expected_text(opt->type),
                sluice_config_describe_value(s, got, sizeof got));
}

/* What the option table says of a converted value beyond its type: its
 * bounds (min, max) and the plugin's own validate hook. `s` as for fail(). */
static int check_value(struct apply *a, const struct sluice_option *opt, const config_setting_t *s,
                       const void *conf)
{
    const void *value = (const char *)conf + opt->offset;
    char why[300];
    if (!sluice_option_table_in_range(opt, value, why, sizeof why)) return fail(a, opt, s, "%s", why);
    if (!opt->validate) return SLUICE_OK;
    struct sluice_error e = { 0 };
    int rc = opt->validate(sluice_host(), value, &e);
    if (rc == SLUICE_OK) return SLUICE_OK;
    if (!e.message[0]) snprintf(e.message, sizeof e.message, "the value was refused");
    fail(a, opt, s, "%s", e.message);
    if (e.hint[0]) sluice_error_hint(a->err, "%s", e.hint);
    if (a->err && s) a->err->code = rc; /* the plugin's code for a value from the config */
    return s ? rc : SLUICE_EPLUGIN;
}

static const struct sluice_option *find_option(const struct sluice_plugin *p, const char *name)
{
    for (const struct sluice_option *o = p->options; o && o->name; o++)
        if (strcmp(o->name, name) == 0) return o;
    return NULL;
}

static bool is_core_key(const char *const *core_keys, const char *name)
{
    for (size_t i = 0; core_keys && core_keys[i]; i++)
        if (strcmp(core_keys[i], name) == 0) return true;
    return false;
}

static int unknown_key(struct apply *a, const config_setting_t *m, const char *const *core_keys)
{
    const char *name = config_setting_name(m);
    size_t n = 0, cap = 0;
    for (const struct sluice_option *o = a->plugin->options; o && o->name; o++) cap++;
    for (size_t i = 0; core_keys && core_keys[i]; i++) cap++;
    const char **cands = sluice_xcalloc(cap ? cap : 1, sizeof *cands);
    for (const struct sluice_option *o = a->plugin->options; o && o->name; o++) cands[n++] = o->name;
    for (size_t i = 0; core_keys && core_keys[i]; i++) cands[n++] = core_keys[i];
    const char *close = sluice_suggest(name, cands, n);
    int rc = sluice_error_at(a->err, SLUICE_ECONFIG, m, "unknown key '%s'", name);
    if (close)
        sluice_error_hint(a->err, "did you mean '%s'?", close);
    else
        sluice_error_hint(a->err, "`sluice plugins %s` lists the options of %s plugin '%s'",
                          a->plugin->name, sluice_registry_kind_name(a->plugin->kind), a->plugin->name);
    free(cands);
    return rc;
}

int sluice_options_apply(const struct sluice_plugin *plugin, const config_setting_t *stage,
                         const char *const *core_keys, void *conf,
                         struct sluice_options_storage *storage, struct sluice_error *err)
{
    struct apply a = { plugin, stage, storage, err };
    /* Settings in config order first, so the first error is the first line. */
    for (int i = 0; i < config_setting_length(stage); i++) {
        const config_setting_t *m = config_setting_get_elem(stage, (unsigned)i);
        const char *name = config_setting_name(m);
        if (is_core_key(core_keys, name)) continue;
        const struct sluice_option *opt = find_option(plugin, name);
        if (!opt) return unknown_key(&a, m, core_keys);
        int rc = convert_setting(&a, opt, m, conf);
        if (rc == SLUICE_OK) rc = check_value(&a, opt, m, conf);
        if (rc != SLUICE_OK) return rc;
    }
    for (const struct sluice_option *o = plugin->options; o && o->name; o++) {
        if (config_setting_get_member(stage, o->name)) continue;
        if (o->flags & SLUICE_OPT_REQUIRED) {
            int rc = sluice_error_at(err, SLUICE_ECONFIG, stage, "missing required key '%s'", o->name);
            if (o->help) sluice_error_hint(err, "%s: %s", o->name, o->help);
            return rc;
        }
        if (o->default_value) {
            int rc = convert_text(&a, o, NULL, o->default_value, conf);
            if (rc == SLUICE_OK) rc = check_value(&a, o, NULL, conf);
            if (rc != SLUICE_OK) return rc;
        }
    }
    return SLUICE_OK;
}
