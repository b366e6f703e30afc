/* core/cli/cli.h — the `sluice` subcommands (main.c dispatches to them).
 *
 * Each takes the arguments after its name, prints its own --help, and
 * returns the process exit status: 0 success, 1 runtime failure, 2 usage or
 * config error (contract, DESIGN §8). */
#ifndef SLUICE_CORE_CLI_H
#define SLUICE_CORE_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/error.h>

int sluice_cmd_run(int argc, char **argv);
int sluice_cmd_check(int argc, char **argv);
int sluice_cmd_plugins(int argc, char **argv);
int sluice_cmd_schema(int argc, char **argv);
int sluice_cmd_gen(int argc, char **argv);
int sluice_cmd_cat(int argc, char **argv);
int sluice_cmd_query(int argc, char **argv);

/* ---- shared by the subcommands (cmd_args.c) ---- */

/* Prints "sluice: <message>" and "Try 'sluice <cmd> --help'." to stderr; returns 2. */
int sluice_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints the error and returns its exit status (2 for config, 1 otherwise). */
int sluice_cli_fail(const struct sluice_error *err);
bool sluice_cli_is_help(const char *arg);
/* Strict number parsing for option values; false on junk or overflow. */
bool sluice_cli_parse_i64(const char *s, int64_t *out);
bool sluice_cli_parse_double(const char *s, double *out);
/* Applies SLUICE_LOG (error|warn|info|debug; default warn), then
 * verbose_delta levels more (-v/--verbose) or fewer (-q/--quiet). */
void sluice_cli_init_logging(int verbose_delta);

/* The arguments `run` and `check` share: CONFIG [--set key=value]... [-v] [-q]. */
struct sluice_cli_pipeline {
    const char *config;
    const char **sets; /* argv pointers; free the array */
    size_t n_sets;
    int verbose;       /* +1 per -v, -1 per -q */
    int64_t max_batches;
    char *owned[2];    /* --group and --member, as the sets they stand for */
};

/* Parses argv into *out; on a usage error prints it and returns 2; on --help
 * prints `help` and returns -1 (the caller exits 0); else returns 0. */
int sluice_cli_parse_pipeline(const char *cmd, const char *help, int argc, char **argv,
                              struct sluice_cli_pipeline *out);
void sluice_cli_pipeline_free(struct sluice_cli_pipeline *p);

#endif
