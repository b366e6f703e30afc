/* sluice/error.h — status codes and the error record.
 *
 * A function that can fail returns 0 (SLUICE_OK) or an enum sluice_status
 * code, and takes `struct sluice_error *err` last (NULL allowed). Read `err`
 * only after a non-zero return. The record is fixed-size, so no heap string
 * ever crosses the plugin boundary. Plugins fill it with host->error(). */
#ifndef SLUICE_ERROR_H
#define SLUICE_ERROR_H

#include <stdint.h>
#include <stdio.h>

enum sluice_status {
    SLUICE_OK = 0,
    SLUICE_ECONFIG = 2,   /* bad config or usage: the CLI exits 2 */
    SLUICE_EIO = 3,       /* a file or socket failed */
    SLUICE_EDATA = 4,     /* malformed input under mode fail_fast */
    SLUICE_ENOMEM = 5,
    SLUICE_EPLUGIN = 6,   /* a plugin could not be loaded or is unfit (found before running): exit 2 */
    SLUICE_EINTERNAL = 7, /* a bug, in sluice or in a plugin breaking its contract while running */
    SLUICE_EAGAIN = 8,    /* transient: the engine calls again after a backoff (runtime.retry_limit
                           * times at most), then fails the run with the last error. Sources'
                           * and sinks' callbacks only; see sdk/README.md */
    SLUICE_ELIMIT = 9,    /* data past a fixed size limit (2 GiB of strings in one column of a batch): the batch fails */
};

/* Exit status the CLI uses for a code: 2 for what is wrong before anything
 * runs (config, usage, an unloadable plugin), 1 for failures while running. */
static inline int sluice_status_exit_code(int code)
{
    if (code == SLUICE_OK) return 0;
    return code == SLUICE_ECONFIG || code == SLUICE_EPLUGIN ? 2 : 1;
}

struct sluice_error {
    int32_t code;       /* enum sluice_status */
    int32_t line;       /* config line, or 0 */
    char file[256];     /* config file (or data file for data errors), or "" */
    char stage[64];     /* stage name, or "" */
    char key[64];       /* config key, or "" */
    char message[512];  /* lower-case, one line, no final period */
    char hint[256];     /* advice, or "" */
    char excerpt[256];  /* the text an error points into (an expression, a schema), or "" */
    int32_t position;   /* 1-based character in excerpt the error is at, or 0 */
};

/* Record `option` as the config key an error is about (err may be NULL),
 * so the core points at its line; returns rc unchanged, so an error from a
 * host call is tagged in one statement:
 *     return sluice_error_key(err, "condition", host->expr_compile(...));
 * host->option_error does the same for a new error. */
static inline int sluice_error_key(struct sluice_error *err, const char *option, int rc)
{
    if (err && rc != SLUICE_OK) snprintf(err->key, sizeof err->key, "%s", option);
    return rc;
}

#endif /* SLUICE_ERROR_H */
