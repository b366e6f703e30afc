/* sluice/error.h — status codes and the error record.
 *
 * A function that can fail returns 0 (SLUICE_OK) or an enum sluice_status
 * code, and takes `struct sluice_error *err` last (NULL allowed). Read `err`
 * only after a non-zero return. The record is fixed-size, so no heap string
 * ever crosses the plugin boundary. Plugins fill it with host->error(). */
#ifndef SLUICE_ERROR_H
#define SLUICE_ERROR_H

enum sluice_status {
    SLUICE_OK = 0,
    SLUICE_ECONFIG = 2,   /* bad config or usage: the CLI exits 2 */
    SLUICE_EIO = 3,       /* a file or socket failed */
    SLUICE_EDATA = 4,     /* malformed input under mode fail_fast */
    SLUICE_ENOMEM = 5,
    SLUICE_EPLUGIN = 6,   /* a plugin could not be loaded or is unfit (found before running): exit 2 */
    SLUICE_EINTERNAL = 7, /* a bug: please report it */
    SLUICE_EAGAIN = 8,    /* transient: the engine may retry */
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
    int code;           /* enum sluice_status */
    int line;           /* config line, or 0 */
    char file[256];     /* config file (or data file for data errors), or "" */
    char stage[64];     /* stage name, or "" */
    char key[64];       /* config key, or "" */
    char message[512];  /* lower-case, one line, no final period */
    char hint[256];     /* advice, or "" */
    char excerpt[256];  /* the text an error points into (an expression, a schema), or "" */
    int position;       /* 1-based character in excerpt the error is at, or 0 */
};

#endif /* SLUICE_ERROR_H */
