/* core/cli/gen/gen_tweets.h — `sluice gen tweets`: deterministic lab-shaped tweets.
 *
 * Each line is one tweet with the lab's fields (data.{id, text, lang,
 * created_at, author_id, source, possibly_sensitive, public_metrics,
 * entities.{hashtags, mentions, urls, annotations, cashtags}},
 * includes.users[].{created_at, id, name, username, verified}). The same
 * seed gives byte-identical files. Files are written to a temporary name and
 * renamed, so a reader never sees half a file.
 *
 * The stream is one sequence across files: tweet g (counting from file
 * first_index, row 0) is created at start_us + g * step_ms, so a second run
 * with first_index = previous first_index + files continues the same stream,
 * and file N has the same content whatever run wrote it. */
#ifndef SLUICE_CORE_GEN_TWEETS_H
#define SLUICE_CORE_GEN_TWEETS_H

#include <stdint.h>

#include <sluice/error.h>

struct sluice_gen_opts {
    const char *dir;        /* created if missing */
    int64_t files;          /* default 10 */
    int64_t rows;           /* rows per file, default 1000 */
    uint64_t seed;          /* default 42 */
    double late;            /* fraction of rows whose created_at is 10-60 s behind the stream */
    double malformed;       /* fraction of lines that are not valid JSON */
    int64_t interval_ms;    /* >0: sleep this long between files (a live stream) */
    int64_t start_us;       /* created_at of the first tweet; default 2021-05-03T07:55:40Z */
    int64_t step_ms;        /* event-time step between consecutive tweets; default 2 */
    int64_t first_index;    /* number of the first file (name part-00000.json) */
};

/* Every field at its default (dir NULL, seed 42, no late or malformed rows). */
void sluice_gen_opts_init(struct sluice_gen_opts *opts);

/* Writes opts->files files of opts->rows lines into opts->dir (start from
 * sluice_gen_opts_init: every field is taken as given, zero included). Errors: SLUICE_ECONFIG for a bad
 * option (names it), SLUICE_EIO naming the path that could not be made or
 * written; files already renamed stay. */
int sluice_gen_tweets(const struct sluice_gen_opts *opts, struct sluice_error *err);

#endif
