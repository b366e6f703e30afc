#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "error.h"
#include "log.h"
#include "mem.h"

int sluice_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("sluice: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'sluice %s--help'.\n", cmd && *cmd ? cmd : "");
    return 2;
}

int sluice_cli_fail(const struct sluice_error *err)
{
    sluice_error_print(err, stderr);
    return sluice_status_exit_code(err->code ? err->code : SLUICE_EINTERNAL);
}

bool sluice_cli_is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

bool sluice_cli_parse_i64(const char *s, int64_t *out)
{
    if (!s || !*s) return false;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end) return false;
    *out = v;
    return true;
}

bool sluice_cli_parse_double(const char *s, double *out)
{
    if (!s || !*s) return false;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (errno || *end) return false;
    *out = v;
    return true;
}

void sluice_cli_init_logging(int verbose_delta)
{
    /* Warnings by default, so each -v shows more: info, then debug. */
    int level = SLUICE_LOG_WARN;
    const char *env = getenv("SLUICE_LOG");
    if (env) {
        static const char *const names[] = { "error", "warn", "info", "debug" };
        for (int i = 0; i < 4; i++)
            if (strcasecmp(env, names[i]) == 0) level = i;
    }
    level += verbose_delta;
    if (level < SLUICE_LOG_ERROR) level = SLUICE_LOG_ERROR;
    if (level > SLUICE_LOG_DEBUG) level = SLUICE_LOG_DEBUG;
    sluice_log_set_level((enum sluice_log_level)level);
}

int sluice_cli_parse_pipeline(const char *cmd, const char *help, int argc, char **argv,
                              struct sluice_cli_pipeline *out)
{
    memset(out, 0, sizeof *out);
    out->sets = sluice_xcalloc((size_t)argc + 1, sizeof *out->sets);
    char prefix[32];
    snprintf(prefix, sizeof prefix, "%s ", cmd);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (sluice_cli_is_help(a)) {
            fputs(help, stdout);
            return -1;
        } else if (strcmp(a, "--set") == 0 || strcmp(a, "-s") == 0) {
            if (i + 1 >= argc) return sluice_cli_usage_error(prefix, "%s needs key=value", a);
            if (!strchr(argv[i + 1], '='))
                return sluice_cli_usage_error(prefix, "--set '%s': expected key=value", argv[i + 1]);
            out->sets[out->n_sets++] = argv[++i];
        } else if (strncmp(a, "--set=", 6) == 0) {
            out->sets[out->n_sets++] = a + 6;
        } else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
            out->verbose++;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            out->verbose--;
        } else if (strcmp(a, "--max-batches") == 0) {
            if (i + 1 >= argc || !sluice_cli_parse_i64(argv[i + 1], &out->max_batches) ||
                out->max_batches < 0)
                return sluice_cli_usage_error(prefix, "--max-batches needs a count");
            i++;
        } else if (strcmp(a, "--group") == 0 || strcmp(a, "--member") == 0) {
            /* runtime.group / runtime.member, as a --set of them */
            if (i + 1 >= argc || !argv[i + 1][0]) return sluice_cli_usage_error(prefix, "%s needs a name", a);
            char **slot = &out->owned[a[2] == 'm'];
            free(*slot);
            size_t n = strlen(argv[i + 1]) + 32;
            *slot = sluice_xmalloc(n);
            snprintf(*slot, n, "runtime.%s=%s", a + 2, argv[++i]);
            out->sets[out->n_sets++] = *slot;
        } else if (a[0] == '-' && a[1]) {
            return sluice_cli_usage_error(prefix, "unknown option '%s'", a);
        } else if (!out->config) {
            out->config = a;
        } else {
            return sluice_cli_usage_error(prefix, "unexpected argument '%s'", a);
        }
    }
    if (!out->config) return sluice_cli_usage_error(prefix, "missing CONFIG");
    return 0;
}

void sluice_cli_pipeline_free(struct sluice_cli_pipeline *p)
{
    free(p->sets);
    free(p->owned[0]);
    free(p->owned[1]);
    memset(p, 0, sizeof *p);
}
