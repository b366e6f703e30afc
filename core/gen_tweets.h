/* core/gen_tweets.h — `sluice gen tweets`: deterministic lab-shaped tweets.
 *
 * Each line is one tweet with the lab's fields (data.{id, text, lang,
 * created_at, author_id, source, possibly_sensitive, public_metrics,
 * entities.{hashtags, mentions, urls, annotations, cashtags}},
 * includes.users[].{created_at, id, name, username, verified}). The same
 * seed gives byte-identical files. Files are written to a temporary name and
 * renamed, so a reader never sees half a file. */
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
    int64_t step_ms;        /* event-time step between consecutive tweets; default 10 */
    int64_t first_index;    /* number of the first file (name part-00000.json) */
};

int sluice_gen_tweets(const struct sluice_gen_opts *opts, struct sluice_error *err);

#endif
