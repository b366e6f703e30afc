/* The runtime group of a pipeline config (graph.h) and the readers of
 * settings the loading shares. See graph_load.c for the rest. */
#include "graph_priv.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "bytesize.h"
#include "config.h"
#include "duration.h"
#include "error.h"
#include "mem.h"
#include "netaddr.h"
#include "retry.h"
#include "suggest.h"
#include "tz.h"

static const char *const runtime_keys[] = { "trigger", "shuffle_partitions", "threads", "checkpoint",
                                            "min_batches_to_retain", "http", "query_memory_limit", "progress_log",
                                            "plugin_path", "retry_limit", "retry_backoff", "group", "member",
                                            "timezone", "idle_timeout" };

int sluice_graph_unknown_key(struct sluice_error *err, const config_setting_t *s,
                       const char *const *known, size_t n, const char *where)
{
    const char *name = config_setting_name(s);
    int rc = sluice_error_at(err, SLUICE_ECONFIG, s, "unknown key '%s'", name);
    const char *close = sluice_suggest(name, known, n);
    if (close) {
        sluice_error_hint(err, "did you mean '%s'?", close);
    } else {
        char list[256];
        size_t used = 0;
        for (size_t i = 0; i < n && used < sizeof list; i++) {
            int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", known[i]);
            if (w > 0) used += (size_t)w;
        }
        sluice_error_hint(err, "%s keys are: %s", where, list);
    }
    return rc;
}

int sluice_graph_expected(struct sluice_error *err, const config_setting_t *s, const char *what)
{
    char got[80];
    return sluice_error_at(err, SLUICE_ECONFIG, s, "expected %s, got %s", what,
                           sluice_config_describe_value(s, got, sizeof got));
}

int sluice_graph_get_string(const config_setting_t *s, const char **out, struct sluice_error *err)
{
    if (config_setting_type(s) != CONFIG_TYPE_STRING || !config_setting_get_string(s)[0])
        return sluice_graph_expected(err, s, "a non-empty string");
    *out = config_setting_get_string(s);
    return SLUICE_OK;
}

int sluice_graph_get_bool(const config_setting_t *s, bool *out, struct sluice_error *err)
{
    if (config_setting_type(s) == CONFIG_TYPE_BOOL) {
        *out = config_setting_get_bool(s);
        return SLUICE_OK;
    }
    const char *t = config_setting_type(s) == CONFIG_TYPE_STRING ? config_setting_get_string(s) : NULL;
    bool word = t && (strcasecmp(t, "true") == 0 || strcasecmp(t, "false") == 0);
    if (word && sluice_config_is_override(s)) {
        *out = strcasecmp(t, "true") == 0;
        return SLUICE_OK;
    }
    int rc = sluice_graph_expected(err, s, "true or false");
    if (word) sluice_error_hint(err, "drop the quotes: %s = %s;", config_setting_name(s), t);
    return rc;
}

/* An integer of `min` or more. A string only from --set, which stores a
 * key the file lacks as the text typed; in the file "4" is refused, as
 * plugin options refuse it (options.h). A literal libconfig would wrap is
 * read as written (config.h). */
static int get_int(const config_setting_t *s, int64_t min, int64_t *out, struct sluice_error *err)
{
    int64_t v = 0;
    bool ok = false;
    char why[200];
    if (config_setting_type(s) == CONFIG_TYPE_INT || config_setting_type(s) == CONFIG_TYPE_INT64) {
        if (!sluice_config_int64(s, &v, why, sizeof why)) return sluice_error_at(err, SLUICE_ECONFIG, s, "%s", why);
        ok = true;
    } else if (config_setting_type(s) == CONFIG_TYPE_STRING) {
        char *end;
        const char *t = config_setting_get_string(s);
        v = strtoll(t, &end, 10);
        ok = end != t && !*end;
        if (!sluice_config_is_override(s)) {
            int rc = sluice_error_at(err, SLUICE_ECONFIG, s, "expected %s, got the string '%s'",
                                     min ? "a positive integer" : "an integer of 0 or more", t);
            if (ok && v >= min) sluice_error_hint(err, "drop the quotes: %s = %s;", config_setting_name(s), t);
            return rc;
        }
    }
    if (!ok || v < min || v > INT32_MAX) return sluice_graph_expected(err, s, min ? "a positive integer" : "an integer of 0 or more");
    *out = v;
    return SLUICE_OK;
}

/* A size in bytes: a number, or a string such as "256 MiB" (bytesize.h). */
static int get_memory_limit(const config_setting_t *s, int64_t *out, struct sluice_error *err)
{
    int64_t v = -1;
    if (config_setting_type(s) == CONFIG_TYPE_INT || config_setting_type(s) == CONFIG_TYPE_INT64)
        v = config_setting_get_int64(s);
    else if (config_setting_type(s) == CONFIG_TYPE_STRING && sluice_bytesize_parse(config_setting_get_string(s), &v))
        v = -1;
    if (v <= 0 || v > SLUICE_QUERY_MEMORY_MAX) {
        int rc = sluice_graph_expected(err, s, "a size from 1 byte to 1 GiB such as \"256 MiB\"");
        sluice_error_hint(err, "units: bytes, KiB, MiB, GiB (also Spark's k, m, g)");
        return rc;
    }
    *out = v;
    return SLUICE_OK;
}

static int load_plugin_path(struct sluice_graph *g, const config_setting_t *s,
                            struct sluice_error *err)
{
    if (config_setting_type(s) == CONFIG_TYPE_STRING) {
        g->owned_plugin_path = sluice_xcalloc(1, sizeof *g->owned_plugin_path);
        g->owned_plugin_path[0] = config_setting_get_string(s);
        g->runtime.n_plugin_path = 1;
    } else if (config_setting_is_list(s) || config_setting_is_array(s)) {
        int n = config_setting_length(s);
        g->owned_plugin_path = sluice_xcalloc(n > 0 ? (size_t)n : 1, sizeof *g->owned_plugin_path);
        for (int i = 0; i < n; i++) {
            const char *d = config_setting_get_string_elem(s, i);
            if (!d) return sluice_graph_expected(err, s, "a list of directory names such as [\"build/plugins\"]");
            g->owned_plugin_path[i] = d;
        }
        g->runtime.n_plugin_path = (size_t)n;
    } else {
        return sluice_graph_expected(err, s, "a list of directory names such as [\"build/plugins\"]");
    }
    g->runtime.plugin_path = g->owned_plugin_path;
    return SLUICE_OK;
}

/* Group and member names: safe in a folder name and a Kafka group id. */
static bool valid_name(const char *n)
{
    for (const char *p = n; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
              *p == '_' || *p == '-'))
            return false;
    return n[0] != '\0' && strcmp(n, ".") != 0 && strcmp(n, "..") != 0;
}

int sluice_graph_load_runtime(struct sluice_graph *g, const config_setting_t *rt, struct sluice_error *err)
{
    struct sluice_runtime *r = &g->runtime;
    r->trigger = (struct sluice_trigger){ .kind = SLUICE_TRIGGER_INTERVAL, .interval_us = 0 };
    r->trigger_text = "0 seconds";
    r->shuffle_partitions = 8;
    r->query_memory_limit = SLUICE_QUERY_MEMORY_DEFAULT;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    r->threads = cores > 0 ? cores : 1;
    r->retry_limit = SLUICE_RETRY_LIMIT_DEFAULT;
    r->retry_backoff_us = SLUICE_RETRY_BACKOFF_DEFAULT_US;
    r->idle_timeout_us = 30 * INT64_C(1000000);
    if (!rt) return SLUICE_OK;
    if (!config_setting_is_group(rt)) return sluice_graph_expected(err, rt, "a group such as { trigger = \"3 seconds\"; }");
    for (int i = 0; i < config_setting_length(rt); i++) {
        const config_setting_t *s = config_setting_get_elem(rt, (unsigned)i);
        const char *key = config_setting_name(s);
        int rc = SLUICE_OK;
        if (strcmp(key, "trigger") == 0) {
            const char *t = config_setting_type(s) == CONFIG_TYPE_STRING ? config_setting_get_string(s) : NULL;
            if (!t || sluice_trigger_parse(t, &r->trigger) != 0) {
                char got[80];
                return sluice_error_at(err, SLUICE_ECONFIG, s,
                                       "expected a duration such as \"3 seconds\", \"once\" or "
                                       "\"available_now\", got %s",
                                       sluice_config_describe_value(s, got, sizeof got));
            }
            r->trigger_text = t;
        } else if (strcmp(key, "shuffle_partitions") == 0) {
            rc = get_int(s, 1, &r->shuffle_partitions, err);
        } else if (strcmp(key, "threads") == 0) {
            rc = get_int(s, 1, &r->threads, err);
        } else if (strcmp(key, "checkpoint") == 0) {
            rc = sluice_graph_get_string(s, &r->checkpoint, err);
            sluice_config_where(s, &r->checkpoint_where);
        } else if (strcmp(key, "min_batches_to_retain") == 0) {
            rc = get_int(s, 1, &r->min_batches_to_retain, err);
        } else if (strcmp(key, "http") == 0) {
            rc = sluice_graph_get_string(s, &r->http, err);
            sluice_config_where(s, &r->http_where);
            /* The server's own check, so `check` refuses what `run` would. */
            struct sluice_error bad = { 0 };
            if (!rc && sluice_netaddr_check(r->http, &bad)) {
                rc = sluice_error_at(err, SLUICE_ECONFIG, s, "%s", bad.message);
                sluice_error_hint(err, "%s", bad.hint);
            }
        } else if (strcmp(key, "query_memory_limit") == 0) {
            rc = get_memory_limit(s, &r->query_memory_limit, err);
        } else if (strcmp(key, "progress_log") == 0) {
            rc = sluice_graph_get_string(s, &r->progress_log, err);
        } else if (strcmp(key, "plugin_path") == 0) {
            rc = load_plugin_path(g, s, err);
        } else if (strcmp(key, "group") == 0 || strcmp(key, "member") == 0) {
            const char **to = key[0] == 'g' ? &r->group : &r->member;
            rc = sluice_graph_get_string(s, to, err);
            if (!rc && !valid_name(*to))
                rc = sluice_graph_expected(err, s, "a name of letters, digits, '.', '_' and '-'");
            if (key[0] == 'g') sluice_config_where(s, &r->group_where);
        } else if (strcmp(key, "timezone") == 0) {
            /* Spark's spark.sql.session.timeZone: loaded now, so a typo is exit 2. */
            char why[300];
            rc = sluice_graph_get_string(s, &r->timezone, err);
            if (!rc && sluice_tz_load(r->timezone, &g->tz, why, sizeof why)) {
                rc = sluice_error_at(err, SLUICE_ECONFIG, s, "%s", why);
                sluice_error_hint(err, "Spark's spark.sql.session.timeZone names: \"UTC\", \"Europe/Paris\", "
                                       "\"America/Los_Angeles\", \"+02:00\"");
            }
        } else if (strcmp(key, "retry_limit") == 0) {
            rc = get_int(s, 0, &r->retry_limit, err);
        } else if (strcmp(key, "idle_timeout") == 0) {
            const char *t = config_setting_type(s) == CONFIG_TYPE_STRING ? config_setting_get_string(s) : NULL;
            if (!t || sluice_duration_parse(t, &r->idle_timeout_us) != 0 || r->idle_timeout_us <= 0)
                return sluice_graph_expected(err, s, "a duration such as \"30 seconds\"");
        } else if (strcmp(key, "retry_backoff") == 0) {
            const char *t = config_setting_type(s) == CONFIG_TYPE_STRING ? config_setting_get_string(s) : NULL;
            if (!t || sluice_duration_parse(t, &r->retry_backoff_us) != 0)
                return sluice_graph_expected(err, s, "a duration such as \"100 milliseconds\"");
        } else {
            rc = sluice_graph_unknown_key(err, s, runtime_keys, N_ELEMS(runtime_keys), "runtime");
        }
        if (rc != SLUICE_OK) return rc;
    }
    return SLUICE_OK;
}
