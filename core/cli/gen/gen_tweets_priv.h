/* core/cli/gen/gen_tweets_priv.h — inside `sluice gen tweets`: the row writer
 * (gen_tweets_row.c) and its vocabulary (gen_tweets_words.c).
 *
 * gen_tweets.c handles options and files; the row writer turns (seed, file
 * number) into that file's bytes; the tables are constant data. No table entry
 * contains "covid" in any case: the generator adds it to a known fraction of
 * tweets, so the lab's covid filter has a predictable answer. Entries need
 * no JSON escaping except where a test of escapes wants one (the text
 * writer escapes anyway). */
#ifndef SLUICE_CORE_GEN_TWEETS_PRIV_H
#define SLUICE_CORE_GEN_TWEETS_PRIV_H

#include <stddef.h>
#include <stdint.h>

/* What every row of a run shares. */
struct sluice_gen_stream {
    uint64_t seed;
    int64_t start_us;      /* created_at of tweet 0 of file 0 */
    int64_t step_us;       /* event time between consecutive tweets */
    int64_t rows_per_file;
    double late, malformed;
};

/* A growable byte buffer; p is the owner's to free. */
struct sluice_gen_buf {
    char *p;
    size_t len, cap;
};

/* Replace buf's bytes with file `number`'s lines (grows buf; aborts on out of memory). */
void sluice_gen_file_text(const struct sluice_gen_stream *s, int64_t number, struct sluice_gen_buf *buf);

struct sluice_gen_lang {
    const char *code;  /* data.lang */
    unsigned weight;   /* per mille; the table sums to 1000 */
    const char *const *words;
    size_t n_words;
};

struct sluice_gen_source {
    const char *name;
    unsigned weight;   /* per cent; the table sums to 100 */
};

struct sluice_gen_annotation {
    const char *text;
    const char *type;
};

struct sluice_gen_url {
    const char *host;
    const char *path;
    const char *title; /* NULL: the link was not unwound */
};

extern const struct sluice_gen_lang sluice_gen_langs[];
extern const size_t sluice_gen_n_langs;
extern const struct sluice_gen_source sluice_gen_sources[];
extern const size_t sluice_gen_n_sources;
/* Most popular first: the generator picks with a skew towards the front. */
extern const char *const sluice_gen_hashtags[];
extern const size_t sluice_gen_n_hashtags;
/* Ways tweets say covid; a leading '#' makes it a hashtag. */
extern const char *const sluice_gen_covid[];
extern const size_t sluice_gen_n_covid;
extern const char *const sluice_gen_cashtags[];
extern const size_t sluice_gen_n_cashtags;
extern const struct sluice_gen_annotation sluice_gen_annotations[];
extern const size_t sluice_gen_n_annotations;
extern const struct sluice_gen_url sluice_gen_urls[];
extern const size_t sluice_gen_n_urls;
/* Usernames are a + b (+ digits); display names first (+ last). */
extern const char *const sluice_gen_handle_a[];
extern const size_t sluice_gen_n_handle_a;
extern const char *const sluice_gen_handle_b[];
extern const size_t sluice_gen_n_handle_b;
extern const char *const sluice_gen_first_names[];
extern const size_t sluice_gen_n_first_names;
extern const char *const sluice_gen_last_names[];
extern const size_t sluice_gen_n_last_names;

#endif
