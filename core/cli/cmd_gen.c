#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "gen_tweets.h"
#include "timefmt.h"

static const char help[] =
    "Usage: sluice gen tweets DIR [options]\n"
    "\n"
    "Write deterministic, lab-shaped tweets as JSON-lines files DIR/part-NNNNN.json\n"
    "(each written under a temporary name, then renamed, so a stream never sees\n"
    "half a file).\n"
    "\n"
    "Options:\n"
    "  --files N          number of files (default 10)\n"
    "  --rows M           tweets per file (default 1000)\n"
    "  --seed S           random seed (default 42): same seed, same bytes\n"
    "  --late F           fraction of tweets whose created_at lags 10-60 s (default 0)\n"
    "  --malformed F      fraction of lines that are not valid JSON (default 0)\n"
    "  --interval-ms T    wait T ms between files, to simulate a live stream\n"
    "  --start TIME       created_at of the first tweet (default 2021-05-03T07:55:40Z)\n"
    "  --step-ms N        event time between consecutive tweets (default 2)\n"
    "  --first-index N    number of the first file (default 0)\n";

static bool fraction(const char *s, double *out)
{
    return sluice_cli_parse_double(s, out) && *out >= 0 && *out <= 1;
}

int sluice_cmd_gen(int argc, char **argv)
{
    if (argc >= 1 && sluice_cli_is_help(argv[0])) {
        fputs(help, stdout);
        return 0;
    }
    if (argc < 1 || strcmp(argv[0], "tweets") != 0)
        return sluice_cli_usage_error("gen ", "expected 'tweets' (the only generator)");

    struct sluice_gen_opts o;
    sluice_gen_opts_init(&o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int64_t n;
        bool ok = true, takes_value = true;
        if (sluice_cli_is_help(a)) {
            fputs(help, stdout);
            return 0;
        } else if (strcmp(a, "--files") == 0) {
            ok = sluice_cli_parse_i64(v, &o.files) && o.files >= 0;
        } else if (strcmp(a, "--rows") == 0) {
            ok = sluice_cli_parse_i64(v, &o.rows) && o.rows >= 0;
        } else if (strcmp(a, "--seed") == 0) {
            ok = sluice_cli_parse_i64(v, &n);
            o.seed = (uint64_t)n;
        } else if (strcmp(a, "--late") == 0) {
            ok = fraction(v, &o.late);
        } else if (strcmp(a, "--malformed") == 0) {
            ok = fraction(v, &o.malformed);
        } else if (strcmp(a, "--interval-ms") == 0) {
            ok = sluice_cli_parse_i64(v, &o.interval_ms) && o.interval_ms >= 0;
        } else if (strcmp(a, "--step-ms") == 0) {
            ok = sluice_cli_parse_i64(v, &o.step_ms) && o.step_ms >= 0;
        } else if (strcmp(a, "--first-index") == 0) {
            ok = sluice_cli_parse_i64(v, &o.first_index) && o.first_index >= 0;
        } else if (strcmp(a, "--start") == 0) {
            ok = v && sluice_time_parse(v, strlen(v), &o.start_us) == 0;
        } else if (a[0] == '-') {
            return sluice_cli_usage_error("gen tweets ", "unknown option '%s'", a);
        } else if (!o.dir) {
            o.dir = a;
            takes_value = false;
        } else {
            return sluice_cli_usage_error("gen tweets ", "unexpected argument '%s'", a);
        }
        if (!ok) return sluice_cli_usage_error("gen tweets ", "bad value for %s: '%s'", a, v ? v : "");
        if (takes_value) i++;
    }
    if (!o.dir) return sluice_cli_usage_error("gen tweets ", "missing DIR");

    struct sluice_error err = { 0 };
    if (sluice_gen_tweets(&o, &err)) return sluice_cli_fail(&err);
    return 0;
}
