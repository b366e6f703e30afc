/* core/formats/decode_priv.h — what decode.c shares with decode_json.c and
 * decode_csv.c; not for other modules.
 *
 * decode.c owns the decoder, the line loop's common parts (BOM, line
 * numbers, stats) and the parse-mode rules; a format supplies a line
 * function that appends zero or more rows for one line and says whether the
 * line was bad. "Bad" comes in two kinds, as in Spark:
 *   - syntax: the line is not a record at all; its rows are rolled back and
 *     (permissive) replaced by one row of nulls;
 *   - partial: a field had the wrong type; the field is null, the rest of
 *     the row stays (Spark's partial results), but the row still counts as
 *     malformed: permissive keeps it with the raw line in the corrupt
 *     column, drop_malformed drops it, fail_fast fails.
 * A line whose values would take a column of the batch past the size
 * limit (2 GiB of strings: size_limit.h) is a syntax-kind bad line; its
 * raw text goes to the corrupt column cut short, with a note saying so.
 * Every string value built goes through sluice_decode_append_text, which
 * replaces invalid UTF-8 with U+FFFD and counts it, so no batch holds text
 * a strict JSON reader would reject. */
#ifndef SLUICE_CORE_DECODE_PRIV_H
#define SLUICE_CORE_DECODE_PRIV_H

#include <locale.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "builder.h"
#include "decode.h"
#include "utf8_valid.h"

enum sluice_decode_line_status {
    SLUICE_DECODE_LINE_OK = 0,
    SLUICE_DECODE_LINE_PARTIAL, /* rows kept, some fields null because of their type */
    SLUICE_DECODE_LINE_SYNTAX,  /* not a record: rows rolled back */
};

struct sluice_decode_line {
    const char *p;        /* first byte of the line (BOM already skipped) */
    const char *end;      /* end of the line, without CR/LF */
    const char *buf_end;  /* end of the whole input: wide loads may read up to here */
    int64_t number;       /* 1-based line number in the origin */
    bool file_start;      /* first line of a file */
    char why[200];        /* reason for a bad line, for fail_fast */
};

struct sluice_decode_format {
    const char *name; /* "JSON", "CSV": used in messages */
    /* Append the rows of one non-empty line to d->root; return a status. */
    enum sluice_decode_line_status (*line)(struct sluice_decoder *d, struct sluice_decode_line *ln);
    /* Reserve builders for about `rows` more rows. */
    void (*reserve)(struct sluice_decoder *d, int64_t rows);
    void (*free)(void *impl);
};

struct sluice_decoder {
    const struct sluice_decode_format *fmt;
    void *impl;                        /* the format's own state */
    const struct ArrowSchema *schema;  /* borrowed from the options */
    struct sluice_builder *root;
    struct sluice_builder *corrupt;    /* corrupt-record column, or NULL */
    int64_t corrupt_index;             /* its top-level index, or -1 */
    enum sluice_parse_mode mode;
    char csv_delimiter;
    bool csv_header;
    locale_t c_locale;                 /* strtod_l: numbers never follow LC_NUMERIC */
    int64_t seen_rows, seen_bytes;     /* for estimating a batch's rows */
    char *scratch;                     /* unescaping; grows to the longest value */
    size_t scratch_cap;
    char *repair;                      /* UTF-8 repair of a value, which may sit in scratch */
    size_t repair_cap;
    int64_t invalid_utf8;              /* sequences replaced in the current sluice_decode */
    uint32_t stats_size;               /* of the caller's struct sluice_decode_stats (opts) */
};

void sluice_decode_scratch_grow_(struct sluice_decoder *d, size_t n);
/* The slow path of sluice_decode_append_text: s holds invalid UTF-8. */
void sluice_decode_append_repaired_(struct sluice_decoder *d, struct sluice_builder *b, const char *s, size_t n);

/* Append s[0..n) to the string builder `b` as text: invalid UTF-8 is
 * replaced with U+FFFD and counted. Valid text, nearly all of it, costs a
 * check of 8 bytes at a time. */
static inline void sluice_decode_append_text(struct sluice_decoder *d, struct sluice_builder *b, const char *s,
                                             size_t n)
{
    if (__builtin_expect(sluice_utf8_valid(s, n), 1)) sluice_builder_append_string(b, s, n);
    else sluice_decode_append_repaired_(d, b, s, n);
}

/* Room for `n` bytes in d->scratch (kept across lines, so no per-row malloc). */
static inline char *sluice_decode_scratch(struct sluice_decoder *d, size_t n)
{
    if (n > d->scratch_cap) sluice_decode_scratch_grow_(d, n);
    return d->scratch;
}

/* Make `b`, a child of a struct whose current slot is `slot`, ready to take
 * that slot's value: pad it if it lags, drop an earlier value if a key came
 * twice (the last one wins, as in Spark). */
static inline void sluice_decode_builder_at(struct sluice_builder *b, int64_t slot)
{
    if (b->length != slot) {
        if (b->length < slot) sluice_builder_pad(b, slot);
        else sluice_builder_truncate(b, slot);
    }
}

/* A non-null struct slot, leaving the children to lag: the builder pads a
 * child when sluice_decode_builder_at reaches it and at finish, so a row pays
 * nothing for the fields it lacks or the projection leaves out (unlike
 * sluice_builder_append_struct, which pads every child at once). */
static inline void sluice_decode_struct_slot(struct sluice_builder *b)
{
    sluice_builder_mark_valid_(b);
    b->length++;
}

/* Spark's number texts for doubles: a decimal with optional sign, fraction
 * and exponent. Returns 0 and *v, or -1. */
int sluice_decode_parse_double(struct sluice_decoder *d, const char *s, size_t n, double *v);

int sluice_decoder_json_init(struct sluice_decoder *d, const struct sluice_projection *proj,
                             struct sluice_error *err);
int sluice_decoder_csv_init(struct sluice_decoder *d, const struct sluice_projection *proj,
                            struct sluice_error *err);

#endif
