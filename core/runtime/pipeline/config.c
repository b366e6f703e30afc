#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "mem.h"
#include "suggest.h"

/* Settings touched by --set carry this address as their libconfig hook, so
 * later messages can tell a value the user typed on the command line from
 * one in the file. No destructor is installed, so libconfig never frees it. */
static char override_marker;

/* libconfig reports its own messages capitalised or not; ours are lower-case. */
static void copy_lower_first(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
    dst[0] = (char)tolower((unsigned char)dst[0]);
}

static int error_in_file(struct sluice_error *err, int code, const char *file, int line,
                         const char *fmt, const char *arg)
{
    if (!err) return code;
    sluice_error_clear(err);
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    err->line = line;
    return sluice_error_set(err, code, fmt, arg);
}

/* What a syntax error may come from, found by a light scan of the text
 * (comments and strings skipped): JSON (a '{' before the first setting, or
 * a quoted key before ':') and a [ { ... } ] list of groups, both natural
 * to someone coming from JSON or YAML and both a bare "syntax error" to
 * libconfig. Returns the hint, or NULL. */
static const char *syntax_hint(const char *file, int error_line)
{
    FILE *f = fopen(file, "rb");
    if (!f) return NULL;
    struct sluice_buf text = { 0 };
    char chunk[4096];
    for (size_t got; (got = fread(chunk, 1, sizeof chunk, f)) > 0 && text.len < (1u << 20);)
        sluice_buf_append(&text, chunk, got);
    fclose(f);
    bool json = false, after_string = false, after_bracket = false;
    int first = 0, line = 1, group_list_line = 0;
    const char *p = text.data ? text.data : "", *end = p + text.len;
    while (p < end && !json) {
        char c = *p;
        if (c == '\n') line++;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f') {
            p++;
            continue;
        }
        if (c == '#' || (c == '/' && p + 1 < end && p[1] == '/')) {
            while (p < end && *p != '\n') p++;
            continue;
        }
        if (c == '/' && p + 1 < end && p[1] == '*') {
            for (p += 2; p < end && !(*p == '*' && p + 1 < end && p[1] == '/'); p++) line += *p == '\n';
            p += 2;
            continue;
        }
        if (!first) first = c;
        json = first == '{' || (after_string && c == ':');
        if (after_bracket && c == '{' && !group_list_line) group_list_line = line;
        after_bracket = c == '[';
        after_string = c == '"';
        if (c == '"') {
            for (p++; p < end && *p != '"'; p++) {
                if (*p == '\\' && p + 1 < end) p++;
                line += *p == '\n';
            }
        }
        p++;
    }
    sluice_buf_free(&text);
    if (json)
        return "this looks like JSON, but a pipeline is libconfig: unquoted keys with = (name = \"x\";), "
               "groups { ... } and lists ( ... ), no braces around the whole file";
    if (group_list_line && group_list_line <= error_line)
        return "a list of groups is written ( { ... }, { ... } ): libconfig's [ ... ] holds only plain values "
               "such as [\"a\", \"b\"]";
    return NULL;
}

int sluice_config_read(config_t *cfg, const char *path, struct sluice_error *err)
{
    config_init(cfg);
    /* Check readability ourselves: libconfig's "file I/O error" hides errno. */
    FILE *f = fopen(path, "r");
    if (!f) {
        char reason[128];
        copy_lower_first(reason, sizeof reason, strerror(errno));
        return error_in_file(err, SLUICE_ECONFIG, path, 0, "cannot read the config file: %s",
                             reason);
    }
    fclose(f);

    /* @include "x.cfg" is relative to the including file, as C's #include. */
    const char *slash = strrchr(path, '/');
    char *dir = slash ? sluice_xstrndup(path, slash == path ? 1 : (size_t)(slash - path))
                      : sluice_xstrdup(".");
    config_set_include_dir(cfg, dir); /* libconfig keeps its own copy */
    free(dir);

    if (config_read_file(cfg, path)) return SLUICE_OK;
    const char *text = config_error_text(cfg) ? config_error_text(cfg) : "unreadable";
    const char *file = config_error_file(cfg) ? config_error_file(cfg) : path;
    if (config_error_type(cfg) == CONFIG_ERR_FILE_IO)
        return error_in_file(err, SLUICE_ECONFIG, file, 0, "cannot read the config file: %s", text);
    int rc = strcmp(text, "syntax error") == 0
                 ? error_in_file(err, SLUICE_ECONFIG, file, config_error_line(cfg), "%s", "syntax error")
                 : error_in_file(err, SLUICE_ECONFIG, file, config_error_line(cfg), "syntax error: %s", text);
    const char *hint = syntax_hint(file, config_error_line(cfg));
    if (hint) sluice_error_hint(err, "%s", hint);
    return rc;
}

config_setting_t *sluice_config_stage(const config_t *cfg, const char *name)
{
    config_setting_t *stages = config_lookup(cfg, "stages");
    if (!stages || !config_setting_is_aggregate(stages)) return NULL;
    for (int i = 0; i < config_setting_length(stages); i++) {
        config_setting_t *g = config_setting_get_elem(stages, (unsigned)i);
        const char *n;
        if (config_setting_is_group(g) && config_setting_lookup_string(g, "name", &n) &&
            strcmp(n, name) == 0)
            return g;
    }
    return NULL;
}

bool sluice_config_is_override(const config_setting_t *setting)
{
    return setting && config_setting_get_hook(setting) == &override_marker;
}

const char *sluice_config_describe_value(const config_setting_t *s, char *buf, size_t cap)
{
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT: snprintf(buf, cap, "%d", config_setting_get_int(s)); break;
    case CONFIG_TYPE_INT64: snprintf(buf, cap, "%lld", config_setting_get_int64(s)); break;
    case CONFIG_TYPE_FLOAT: snprintf(buf, cap, "%g", config_setting_get_float(s)); break;
    case CONFIG_TYPE_BOOL: snprintf(buf, cap, "%s", config_setting_get_bool(s) ? "true" : "false"); break;
    case CONFIG_TYPE_STRING: snprintf(buf, cap, "'%s'", config_setting_get_string(s)); break;
    case CONFIG_TYPE_GROUP: snprintf(buf, cap, "a group"); break;
    case CONFIG_TYPE_ARRAY: snprintf(buf, cap, "an array"); break;
    case CONFIG_TYPE_LIST: snprintf(buf, cap, "a list"); break;
    default: snprintf(buf, cap, "nothing"); break;
    }
    return buf;
}

/* ---- locations --------------------------------------------------------- */

/* The stage group enclosing `s` is the element of the top-level `stages`
 * list; the key is the path from that group (or from the root) down to `s`. */
static void locate_setting(const config_setting_t *s, struct sluice_where *out)
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
            out->stage = name;
        key_from = depth - 4;
    }
    out->key[0] = '\0';
    size_t used = 0;
    for (int i = key_from; i >= 0; i--) {
        const char *name = config_setting_name(chain[i]);
        if (!name) break; /* list elements have no name */
        int n = snprintf(out->key + used, sizeof out->key - used, "%s%s", used ? "." : "", name);
        if (n < 0 || (size_t)n >= sizeof out->key - used) break;
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
    struct sluice_where at;
    sluice_config_where(setting, &at);
    sluice_error_locate(err, &at);
    return code;
}

void sluice_config_where(const config_setting_t *s, struct sluice_where *out)
{
    *out = (struct sluice_where){ .file = config_setting_source_file(s),
                                  .line = (int)config_setting_source_line(s) };
    locate_setting(s, out);
}

int sluice_config_error_locate(struct sluice_error *err, int code, const config_setting_t *setting)
{
    if (!err || !setting) return code;
    const char *cfg_file = config_setting_source_file(setting);
    if (err->file[0] && cfg_file && strcmp(err->file, cfg_file) == 0) {
        err->code = code; /* already located in this config */
        return code;
    }
    char msg[sizeof err->file + sizeof err->message + 16]; /* truncated to fit by error_at */
    if (err->file[0] && err->line > 0)
        snprintf(msg, sizeof msg, "%s:%d: %s", err->file, err->line, err->message);
    else if (err->file[0])
        snprintf(msg, sizeof msg, "%s: %s", err->file, err->message);
    else
        snprintf(msg, sizeof msg, "%s", err->message);
    return sluice_error_at(err, code, setting, "%s", msg);
}

/* ---- --set ------------------------------------------------------------ */

static void mark(config_setting_t *s, const config_setting_t *located_like)
{
    config_setting_set_hook(s, &override_marker);
    if (located_like && !config_setting_source_file(s)) {
        /* A setting libconfig creates has no location; borrow its group's so
         * errors about the value still point somewhere useful. The file name
         * is owned by the config (its filenames list), as for parsed settings. */
        s->file = located_like->file;
        s->line = located_like->line;
    }
}

/* Deep-copy `src` as a new member of `parent` (a group) named `name`, or as
 * an element of `parent` (a list or array) when name is NULL. */
static int copy_setting(config_setting_t *parent, const char *name, const config_setting_t *src,
                        const config_setting_t *located_like)
{
    int type = config_setting_type(src);
    config_setting_t *dst = config_setting_add(parent, name, type);
    if (!dst) return -1;
    mark(dst, located_like);
    switch (type) {
    case CONFIG_TYPE_INT: config_setting_set_int(dst, config_setting_get_int(src)); break;
    case CONFIG_TYPE_INT64: config_setting_set_int64(dst, config_setting_get_int64(src)); break;
    case CONFIG_TYPE_FLOAT: config_setting_set_float(dst, config_setting_get_float(src)); break;
    case CONFIG_TYPE_BOOL: config_setting_set_bool(dst, config_setting_get_bool(src)); break;
    case CONFIG_TYPE_STRING: config_setting_set_string(dst, config_setting_get_string(src)); break;
    default:
        for (int i = 0; i < config_setting_length(src); i++) {
            const config_setting_t *e = config_setting_get_elem(src, (unsigned)i);
            if (copy_setting(dst, type == CONFIG_TYPE_GROUP ? config_setting_name(e) : NULL, e,
                             located_like) != 0)
                return -1;
        }
    }
    return 0;
}

static bool parse_bool(const char *v, int *out)
{
    static const char *const yes[] = { "true", "yes", "on", "1" };
    static const char *const no[] = { "false", "no", "off", "0" };
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0) return *out = 1, true;
        if (strcasecmp(v, no[i]) == 0) return *out = 0, true;
    }
    return false;
}

static bool parse_int64(const char *v, long long *out)
{
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (end == v || *end || errno) return false;
    *out = x;
    return true;
}

/* Set scalar `s` from text, keeping its type. */
static int set_scalar(config_setting_t *s, const char *value, const char *assignment,
                      struct sluice_error *err)
{
    const char *what = NULL;
    long long ll;
    int b;
    char *end;
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_STRING:
        config_setting_set_string(s, value);
        return SLUICE_OK;
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        if (!parse_int64(value, &ll)) {
            what = "an integer";
            break;
        }
        if (config_setting_type(s) == CONFIG_TYPE_INT && (ll < INT_MIN || ll > INT_MAX))
            s->type = CONFIG_TYPE_INT64; /* widen in place: libconfig would truncate */
        if (config_setting_type(s) == CONFIG_TYPE_INT)
            config_setting_set_int(s, (int)ll);
        else
            config_setting_set_int64(s, ll);
        return SLUICE_OK;
    case CONFIG_TYPE_FLOAT: {
        errno = 0;
        double d = strtod(value, &end);
        if (end == value || *end || errno || !isfinite(d)) {
            what = "a number";
            break;
        }
        config_setting_set_float(s, d);
        return SLUICE_OK;
    }
    case CONFIG_TYPE_BOOL:
        if (!parse_bool(value, &b)) {
            what = "true or false";
            break;
        }
        config_setting_set_bool(s, b);
        return SLUICE_OK;
    default:
        break;
    }
    if (!what) {
        sluice_error_at(err, SLUICE_ECONFIG, s, "--set %s: '%s' is %s, not a single value",
                        assignment, config_setting_name(s),
                        config_setting_is_group(s) ? "a group" : "a list");
        sluice_error_hint(err, "write the value in config syntax, e.g. [\"a\", \"b\"] or { column = \"ts\"; }");
        return SLUICE_ECONFIG;
    }
    return sluice_error_at(err, SLUICE_ECONFIG, s,
                           "--set %s: expected %s, the type of the setting it replaces, got '%s'",
                           assignment, what, value);
}

/* `["a", "b"]`, `("x", 1)`, `{ a = 1; }` or `"text"` as a libconfig
 * value: a quoted string is the config's own syntax, so its quotes are
 * not part of the value (scripts quote out of habit). */
static bool looks_structured(const char *v)
{
    while (isspace((unsigned char)*v)) v++;
    return *v == '[' || *v == '(' || *v == '{' || *v == '"';
}

/* libconfig refuses names that do not start with a letter or hold other
 * than letters, digits, '-', '_' and '*'. */
static int invalid_key(const char *assignment, const char *name, struct sluice_error *err)
{
    sluice_error_clear(err);
    return sluice_error_set(err, SLUICE_ECONFIG, "--set %s: '%s' is not a valid key name", assignment,
                            name);
}

static int set_structured(config_setting_t *parent, const char *name, const char *value,
                          const char *assignment, struct sluice_error *err)
{
    config_t tmp;
    config_init(&tmp);
    size_t n = strlen(value) + 16;
    char *text = sluice_xmalloc(n);
    snprintf(text, n, "v = %s;", value);
    int rc = SLUICE_OK;
    if (!config_read_string(&tmp, text)) {
        char reason[128];
        copy_lower_first(reason, sizeof reason, config_error_text(&tmp));
        rc = sluice_error_set(err, SLUICE_ECONFIG, "--set %s: cannot parse the value: %s",
                              assignment, reason);
    } else {
        if (config_setting_get_member(parent, name)) config_setting_remove(parent, name);
        /* The value's own names were parsed by libconfig, so only `name` can be refused. */
        if (copy_setting(parent, name, config_lookup(&tmp, "v"), parent) != 0)
            rc = invalid_key(assignment, name, err);
    }
    free(text);
    config_destroy(&tmp);
    return rc;
}

static int stage_not_found(const config_t *cfg, const char *stage, const char *assignment,
                           struct sluice_error *err)
{
    sluice_error_clear(err);
    sluice_error_set(err, SLUICE_ECONFIG, "--set %s: no stage named '%s'", assignment, stage);
    const char *names[64];
    size_t n = 0;
    names[n++] = "runtime";
    config_setting_t *stages = config_lookup(cfg, "stages");
    for (int i = 0; stages && config_setting_is_aggregate(stages) &&
                    i < config_setting_length(stages) && n < 64; i++) {
        const char *nm;
        config_setting_t *g = config_setting_get_elem(stages, (unsigned)i);
        if (config_setting_is_group(g) && config_setting_lookup_string(g, "name", &nm))
            names[n++] = nm;
    }
    const char *s = sluice_suggest(stage, names, n);
    if (s) sluice_error_hint(err, "did you mean '%s'?", s);
    return SLUICE_ECONFIG;
}

int sluice_config_override(config_t *cfg, const char *assignment, struct sluice_error *err)
{
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment) {
        sluice_error_clear(err);
        sluice_error_set(err, SLUICE_ECONFIG, "--set %s: expected key=value", assignment);
        sluice_error_hint(err, "e.g. --set tweets.path=/data or --set runtime.trigger=once");
        return SLUICE_ECONFIG;
    }
    char *key = sluice_xstrndup(assignment, (size_t)(eq - assignment));
    const char *value = eq + 1;
    const char *segs[16];
    size_t n = 0;
    int rc = SLUICE_OK;
    /* Checked before splitting: "a..b" or ".a" must not quietly mean "a.b". */
    if (key[0] == '.' || key[strlen(key) - 1] == '.' || strstr(key, "..")) {
        sluice_error_clear(err);
        rc = sluice_error_set(err, SLUICE_ECONFIG, "--set %s: empty key segment", assignment);
        goto out;
    }
    for (char *p = key, *save = NULL, *tok; (tok = strtok_r(p, ".", &save)); p = NULL) {
        if (n == 16) {
            sluice_error_clear(err);
            rc = sluice_error_set(err, SLUICE_ECONFIG, "--set %s: key nested too deeply", assignment);
            goto out;
        }
        segs[n++] = tok;
    }

    config_setting_t *group = config_root_setting(cfg);
    size_t first = 0;
    if (n > 1 && strcmp(segs[0], "stages") == 0) {
        sluice_error_clear(err);
        rc = sluice_error_set(err, SLUICE_ECONFIG, "--set %s: address a stage by its name",
                              assignment);
        sluice_error_hint(err, "e.g. --set tweets.path=/data for the stage named 'tweets'");
        goto out;
    } else if (n > 1 && strcmp(segs[0], "runtime") != 0) {
        group = sluice_config_stage(cfg, segs[0]);
        if (!group) {
            rc = stage_not_found(cfg, segs[0], assignment, err);
            goto out;
        }
        first = 1;
    }
    for (size_t i = first; i + 1 < n; i++) {
        config_setting_t *m = config_setting_get_member(group, segs[i]);
        if (!m) {
            m = config_setting_add(group, segs[i], CONFIG_TYPE_GROUP);
            if (!m) {
                rc = invalid_key(assignment, segs[i], err);
                goto out;
            }
            mark(m, group);
        } else if (!config_setting_is_group(m)) {
            rc = sluice_error_at(err, SLUICE_ECONFIG, m, "--set %s: '%s' is not a group",
                                 assignment, segs[i]);
            goto out;
        }
        group = m;
    }
    const char *last = segs[n - 1];
    config_setting_t *target = config_setting_get_member(group, last);
    if (looks_structured(value)) {
        rc = set_structured(group, last, value, assignment, err);
    } else if (target) {
        rc = set_scalar(target, value, assignment, err);
        if (rc == SLUICE_OK) mark(target, group);
    } else {
        target = config_setting_add(group, last, CONFIG_TYPE_STRING);
        if (!target) {
            rc = invalid_key(assignment, last, err);
            goto out;
        }
        config_setting_set_string(target, value);
        mark(target, group);
    }
out:
    free(key);
    return rc;
}
