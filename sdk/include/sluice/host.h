/* sluice/host.h — the functions the core lends to plugins.
 *
 * The core passes one `struct sluice_host` to every plugin's open() (and an
 * aggregator's bind() and callbacks). Plugins call the core only through
 * it, never by linking to core symbols, so a plugin keeps loading into
 * every later core of its ABI. The table starts with abi_version and size;
 * fields are only ever added at the end. Each group of fields below names
 * the ABI version that added it: everything here is ABI 2. A field added
 * later will say which release added it; before calling one, check
 * SLUICE_HOST_HAS(host, field).
 *
 * Threads: every function here may be called from any thread, except the
 * stage-declaration functions (set_output_schema, use_column, use_all_columns,
 * pass_column), which are for open() only. Functions on one builder or one
 * decoder must not be called from two threads at once.
 * Memory: the core aborts the process when memory runs out (as most runtimes
 * do); no function here reports SLUICE_ENOMEM. */
#ifndef SLUICE_HOST_H
#define SLUICE_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/arrow.h>
#include <sluice/batch.h>
#include <sluice/buf.h>
#include <sluice/error.h>
#include <sluice/types.h>

#if defined(__GNUC__)
#define SLUICE_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define SLUICE_PRINTF(a, b)
#endif

/* Whether the core's host table has `field` (one added after the plugin's
 * ABI version first shipped): its size covers the field. */
#define SLUICE_HOST_HAS(host, field) \
    ((host)->size >= offsetof(struct sluice_host, field) + sizeof((host)->field))

struct sluice_ctx;      /* one stage, as the core sees it (opaque) */
struct sluice_builder;  /* builds Arrow arrays (opaque) */
struct sluice_decoder;  /* turns JSON-lines or CSV text into batches (opaque) */
struct sluice_expr;     /* a compiled expression (opaque) */
struct sluice_table;    /* an in-memory table (opaque) */

enum sluice_log_level {
    SLUICE_LOG_ERROR = 0,
    SLUICE_LOG_WARN,
    SLUICE_LOG_INFO,
    SLUICE_LOG_DEBUG,
};

enum sluice_parse_mode {
    SLUICE_PARSE_PERMISSIVE = 0, /* malformed line: a row of nulls (raw line in the corrupt column) */
    SLUICE_PARSE_DROP_MALFORMED, /* malformed line: no row */
    SLUICE_PARSE_FAIL_FAST,      /* malformed line: SLUICE_EDATA naming file and line */
};

/* The columns a source must produce; everything else may be left null.
 * Paths name struct fields with dots; arrays are stepped through without an
 * index (`includes.users.verified` is field `verified` of every user). */
struct sluice_projection {
    bool all;                 /* every column: paths is empty */
    size_t n_paths;
    const char *const *paths;
};

struct sluice_decode_opts {
    uint32_t size;                              /* sizeof(struct sluice_decode_opts) */
    const char *format;                         /* "json" (JSON lines) or "csv" */
    const struct ArrowSchema *schema;           /* the rows' struct schema; must outlive the decoder */
    const struct sluice_projection *projection; /* NULL: every column */
    uint32_t mode;                              /* enum sluice_parse_mode */
    const char *corrupt_column;                 /* top-level string column for raw malformed lines, used only if the schema has it; NULL: "_corrupt_record" */
    bool csv_header;                            /* csv: the first line of each file names the columns */
    char csv_delimiter;                         /* csv: 0 means ',' */
    /* sizeof(struct sluice_decode_stats) as the caller sees it: the decoder
     * fills the stats fields this covers (0: rows, malformed and bytes), so
     * fields appended to the stats later stay compatible. */
    uint32_t stats_size;
};

/* A run of complete lines. A final line without a newline counts as a line. */
struct sluice_decode_input {
    const char *data;
    size_t len;
    const char *origin;  /* file name, for messages */
    int64_t first_line;  /* 1-based line number of data[0] within origin */
    bool file_start;     /* data begins a file: skip a UTF-8 BOM, read a csv header */
};

/* An entry of a source's checkpointed metadata, handed to meta_scan's callback. */
typedef int (*sluice_meta_fn)(void *arg, int64_t key, const char *data, size_t len, struct sluice_error *err);

struct sluice_decode_stats {
    int64_t rows;      /* rows produced */
    int64_t malformed; /* malformed lines seen (kept as null rows or dropped) */
    int64_t bytes;     /* input bytes consumed */
    /* Filled when opts.stats_size covers it. */
    int64_t invalid_utf8; /* invalid UTF-8 sequences replaced with U+FFFD in the string values built */
};

struct sluice_host {
    uint32_t abi_version; /* SLUICE_ABI_VERSION of the core */
    uint32_t size;        /* sizeof(struct sluice_host) in the core */

    /* ---- logging and errors (ABI 2) ---- */
    /* `level` is an enum sluice_log_level. */
    void (*log)(const struct sluice_ctx *ctx, uint32_t level, const char *fmt, ...) SLUICE_PRINTF(3, 4);
    /* Record an error (message: lower-case, one line, no final period) and
     * return `code`, so a failure path is one statement. */
    int (*error)(struct sluice_error *err, int code, const char *fmt, ...) SLUICE_PRINTF(3, 4);
    /* Add advice to an error already recorded. */
    void (*error_hint)(struct sluice_error *err, const char *fmt, ...) SLUICE_PRINTF(2, 3);

    /* ---- the stage (ABI 2) ---- */
    const char *(*stage_name)(const struct sluice_ctx *ctx);
    /* The schema of the stage's input (NULL for a source). Borrowed, lives as long as the pipeline. */
    const struct ArrowSchema *(*input_schema)(const struct sluice_ctx *ctx);
    /* open(): declare the stage's output schema (a struct). Takes ownership of `schema`. */
    int (*set_output_schema)(struct sluice_ctx *ctx, struct ArrowSchema *schema, struct sluice_error *err);
    /* The output schema the stage declared (NULL before). Batches it emits carry this pointer. */
    const struct ArrowSchema *(*output_schema)(const struct sluice_ctx *ctx);
    /* open(): declare that the stage reads this input path, so the source parses it. */
    int (*use_column)(struct sluice_ctx *ctx, const char *path, struct sluice_error *err);
    /* open(): declare that the stage reads every input column (a sink printing rows). */
    void (*use_all_columns)(struct sluice_ctx *ctx);
    /* open(): declare that top-level output column `out_index` is input column
     * `in_index` passed through, so what later stages read of it is read from the input. */
    void (*pass_column)(struct sluice_ctx *ctx, int64_t out_index, int64_t in_index);
    /* Count malformed input lines for progress reporting (any thread). */
    void (*count_malformed)(struct sluice_ctx *ctx, int64_t n);

    /* ---- schemas (ABI 2) ---- */
    /* Resolve `data.public_metrics.like_count`, `includes.users[0].verified` or
     * back-quoted names against a struct schema. */
    int (*col_resolve)(const struct ArrowSchema *schema, const char *path, struct sluice_col *out,
                       struct sluice_error *err);
    /* Parse Spark StructType JSON, a DDL string, or `@file` holding either.
     * On SLUICE_OK *out is the caller's to release. */
    int (*schema_parse)(const char *text, struct ArrowSchema *out, struct sluice_error *err);
    /* Deep copy; *out is the caller's to release. */
    void (*schema_copy)(const struct ArrowSchema *in, struct ArrowSchema *out);
    /* Initialise *out as a node of `format` named `name` with `n_children`
     * zeroed child nodes for the caller to fill with schema_init or
     * schema_copy. Releasing the root releases the whole tree. */
    void (*schema_init)(struct ArrowSchema *out, const char *format, const char *name,
                        bool nullable, int64_t n_children);

    /* ---- building batches (ABI 2) ---- */
    /* A builder for rows of `schema` (a struct; borrowed, must outlive the builder). */
    struct sluice_builder *(*builder_new)(const struct ArrowSchema *schema);
    /* The builder of struct field i, or of a list's elements (i = 0). */
    struct sluice_builder *(*builder_child)(struct sluice_builder *b, int64_t i);
    void (*append_null)(struct sluice_builder *b);
    void (*append_bool)(struct sluice_builder *b, bool v);
    void (*append_long)(struct sluice_builder *b, int64_t v);
    void (*append_double)(struct sluice_builder *b, double v);
    void (*append_string)(struct sluice_builder *b, const char *s, size_t n);
    void (*append_timestamp)(struct sluice_builder *b, int64_t us);
    /* A non-null struct slot (and, on the root builder, a row): then append
     * exactly one value (or null) to every child. */
    void (*append_struct)(struct sluice_builder *b);
    /* A non-null list: append its elements to builder_child(b, 0), then end_list. */
    void (*begin_list)(struct sluice_builder *b);
    void (*end_list)(struct sluice_builder *b);
    /* Append a copy of row `row` of `src` (logical: counted from src->offset),
     * an array of the builder's type (deep for structs and lists). */
    void (*append_from)(struct sluice_builder *b, const struct ArrowArray *src, int64_t row);
    /* Rows appended so far on the root. */
    int64_t (*builder_rows)(const struct sluice_builder *b);
    /* Turn the rows appended so far into *out (the caller's to release);
     * the builder is empty again and ready for the next batch. */
    void (*builder_finish)(struct sluice_builder *b, struct sluice_batch *out);
    void (*builder_free)(struct sluice_builder *b);
    /* Make *out a batch of `schema` (a struct; borrowed) with `length` rows
     * whose columns are columns[0..n), moved in (each is left released), so
     * a transform can pass input columns through and add built ones without
     * copying. A column is taken out of a batch with sluice_array_move. */
    void (*batch_assemble)(struct sluice_batch *out, const struct ArrowSchema *schema,
                           int64_t length, struct ArrowArray *columns, int64_t n);

    /* ---- decoding text formats, shared by every source (ABI 2) ---- */
    int (*decoder_new)(const struct sluice_decode_opts *opts, struct sluice_decoder **out,
                       struct sluice_error *err);
    /* Decode every line of `in` into *out (the caller's to release; the
     * batch's schema is opts->schema). Stats are added to *stats. Fails only
     * under SLUICE_PARSE_FAIL_FAST, with SLUICE_EDATA naming origin and line.
     * String values are valid UTF-8: invalid sequences become U+FFFD, as
     * Spark's reading through Java's decoder makes them, and are counted.
     * A line whose values would pass the 2 GiB a column of one batch holds
     * is malformed (its corrupt-column text is cut short, with a note). */
    int (*decode)(struct sluice_decoder *d, const struct sluice_decode_input *in,
                  struct sluice_batch *out, struct sluice_decode_stats *stats,
                  struct sluice_error *err);
    void (*decoder_free)(struct sluice_decoder *d);

    /* ---- time (ABI 2) ---- */
    int64_t (*now_us)(void);       /* wall clock, µs since the epoch */
    int64_t (*monotonic_us)(void); /* for measuring durations */
    /* ISO 8601 with or without offset, or a date; SLUICE_OK and *us on success. */
    int (*parse_timestamp)(const char *s, size_t n, int64_t *us);
    /* `2021-05-03T07:55:40.000Z` into out (NUL-terminated), in the session's
     * time zone (runtime.timezone) with its offset (`...09:55:40.000+02:00`)
     * as Spark's writers do; returns the length. A time without an offset
     * given to parse_timestamp is local to that zone. */
    size_t (*format_timestamp)(int64_t us, char out[40]);

    /* ---- rendering values: console, file and memory sinks share these (ABI 2) ---- */
    /* One row as a JSON object {"col":value,...}: timestamps ISO UTC with ms,
     * structs as objects, arrays as arrays, doubles shortest round-trip. */
    void (*render_row_json)(const struct sluice_batch *b, int64_t row, struct sluice_buf *out);
    /* One top-level column's value as Spark's show() prints it (`null`,
     * `[a, b]`, `{1, x}`, `2021-05-03 07:55:40`). */
    void (*render_cell_text)(const struct sluice_batch *b, int64_t column, int64_t row,
                             struct sluice_buf *out);

    /* ---- expressions (DESIGN §3), compiled once in open(), evaluated per batch (ABI 2) ---- */
    /* Compile `text` (optionally ending in `AS alias`) against the struct
     * schema `input`. Errors are SLUICE_ECONFIG with err->excerpt and
     * err->position set (unknown column or function with a suggestion, wrong
     * argument count or type, syntax). Set err->key to the option's name
     * before returning it from open(), and the core adds the config file and line. */
    int (*expr_compile)(const struct ArrowSchema *input, const char *text, struct sluice_expr **out,
                        struct sluice_error *err);
    /* The result's schema node: its type, and its name (the alias, or the
     * name Spark would give the column). Borrowed from the expression. */
    const struct ArrowSchema *(*expr_result)(const struct sluice_expr *e);
    /* The top-level input column the expression is (a bare `lang`), or -1, so
     * a transform can pass that column through instead of evaluating it. */
    int64_t (*expr_input_column)(const struct sluice_expr *e);
    /* The input paths the expression reads, in projection form, for use_column. */
    size_t (*expr_columns)(const struct sluice_expr *e, const char *const **paths);
    /* Evaluate over every row of `in`; *out (the caller's to release) has
     * in's row count. Thread-safe: a compiled expression is read-only. Never
     * fails on bad data (bad casts, division by zero give null, as in Spark);
     * fails with SLUICE_ELIMIT when a result would pass the 2 GiB of strings
     * a column of one batch holds. */
    int (*expr_eval)(const struct sluice_expr *e, const struct sluice_batch *in, struct ArrowArray *out,
                     struct sluice_error *err);
    void (*expr_free)(struct sluice_expr *e);
    /* *out (the caller's) = rows rows[0..n) of `a` (an array of `schema`;
     * logical rows, counted from a->offset), deep; -1 gives a null. For
     * filter and explode. */
    void (*array_take)(const struct ArrowSchema *schema, const struct ArrowArray *a, const int64_t *rows,
                       int64_t n, struct ArrowArray *out);

    /* ---- in-memory tables: the memory sink's, read over runtime.http and by `sluice query` (ABI 2) ---- */
    /* open(): create the table `name` holding rows of the stage's input
     * schema. SLUICE_ECONFIG when a table of that name exists (names compare
     * case-insensitively, as Spark's query names do). *out is the stage's
     * until table_close. Readers take snapshots and never block the writer. */
    int (*table_open)(struct sluice_ctx *ctx, const char *name, struct sluice_table **out,
                      struct sluice_error *err);
    /* begin(): start micro-batch `batch_id`, whose rows will replace the
     * table (`replace`: complete mode) or be appended to it. Returns false
     * when the id was already committed (a replay after a crash): the
     * micro-batch's rows are then dropped, so a replay never duplicates them. */
    bool (*table_begin)(struct sluice_table *t, int64_t batch_id, bool replace);
    /* write(): add rows to the micro-batch; *batch is moved in (left empty). */
    void (*table_add)(struct sluice_table *t, struct sluice_batch *batch);
    /* end(): publish the micro-batch; readers see all of it from now on, at once. */
    void (*table_commit)(struct sluice_table *t);
    /* close(): drop the table (readers holding a snapshot keep it). */
    void (*table_close)(struct sluice_table *t);

    /* ---- what a source keeps in the checkpoint: runtime.checkpoint, DESIGN §7 (ABI 2) ---- */
    /* A source whose offsets mean something only with state of its own (the
     * file source's {"logOffset":N} is "the first N files of its log") keeps
     * that state here, as numbered entries of bytes under the checkpoint's
     * sources/<stage>/, so that after a restart the same offsets give the
     * same rows. Read it back in prepare(): the entries are there from
     * prepare on, and a batch planned before a crash is replayed with
     * plan_read right after prepare, before any latest_offset. Store an
     * entry before returning an offset from latest_offset that needs it
     * (or in prepare): the core writes the offset to the checkpoint only
     * after latest_offset returns. Each entry is written atomically and
     * durably, with a checksum. Under `sluice check` the entries are read
     * but meta_put and meta_trim store nothing. Main thread only. */
    /* Whether this run keeps a checkpoint for the stage. When false,
     * meta_put stores nothing and meta_scan finds nothing. */
    bool (*meta_enabled)(const struct sluice_ctx *ctx);
    /* Store entry `key` (>= 0), replacing any entry of that key. */
    int (*meta_put)(struct sluice_ctx *ctx, int64_t key, const void *data, size_t len, struct sluice_error *err);
    /* Call fn for every entry, in increasing key order (data is borrowed
     * for the call). A damaged entry fails with SLUICE_EDATA naming its
     * file; fn's non-zero status stops the scan and is returned. */
    int (*meta_scan)(struct sluice_ctx *ctx, sluice_meta_fn fn, void *arg, struct sluice_error *err);
    /* Remove every entry whose key is below `below` (after storing one that
     * replaces them). */
    int (*meta_trim)(struct sluice_ctx *ctx, int64_t below, struct sluice_error *err);

    /* ---- Spark's show() table: console sink, sluice query (ABI 2) ---- */
    /* Append the table Dataset.show(num_rows, truncate) prints for the rows
     * of batches[0..n) (n >= 1, one schema), in order, with "only showing
     * top N rows" when they hold more than num_rows rows or `more` says
     * others exist. Batches are borrowed. */
    void (*render_show)(const struct sluice_batch *batches, size_t n, int64_t num_rows, bool truncate,
                        bool more, struct sluice_buf *out);

    /* ---- errors about an option, hashing (ABI 2) ---- */
    /* host->error, also recording `option` as err->key, so the core points
     * the message at that option's line in the config. Returns `code`. */
    int (*option_error)(struct sluice_error *err, int code, const char *option, const char *fmt, ...)
        SLUICE_PRINTF(4, 5);
    /* XXH64 of n bytes with `seed`: with seed 42 what Spark's xxhash64()
     * and HyperLogLog++ compute for a string's UTF-8 bytes, or for a long's
     * 8 little-endian bytes. Deterministic across runs and machines, so it
     * may place values in a saved state. */
    uint64_t (*hash64)(const void *data, size_t n, uint64_t seed);

    /* ---- decoding (ABI 2) ---- */
    /* Count invalid UTF-8 sequences a source's decoding replaced (the
     * stats' invalid_utf8) for progress reporting (any thread). */
    void (*count_invalid_utf8)(struct sluice_ctx *ctx, int64_t n);

    /* ---- groups: runtime.group, README "Scaling out" (ABI 2) ---- */
    /* The group this process is a member of (runtime.group), or NULL; then
     * *member (may be NULL) is this member's name. A source that can share
     * its input among the members (Kafka's consumer groups) calls this in
     * open(); the core refuses a group pipeline whose source did not, since
     * every member would read all of it. */
    const char *(*group_join)(struct sluice_ctx *ctx, const char **member);
    /* What the members must agree on, as a string to leave where the other
     * members see it (Kafka: the commit metadata): NULL until the query
     * opens, i.e. before latest_offset. */
    const char *(*group_fingerprint)(const struct sluice_ctx *ctx);
    /* SLUICE_OK when `other` (a fingerprint another member left) is this
     * member's; else SLUICE_ECONFIG naming each difference: fail the call. */
    int (*group_check)(struct sluice_ctx *ctx, const char *other, struct sluice_error *err);

    /* ---- planning (added after ABI 2: check SLUICE_HOST_HAS) ---- */
    /* How many worker threads run a batch's units (runtime.threads), so a
     * source can cut a small batch into enough units to keep them busy, as
     * Spark sizes file splits by its default parallelism. */
    int64_t (*parallelism)(const struct sluice_ctx *ctx);

    /* ---- dates (added after ABI 2: check SLUICE_HOST_HAS) ---- */
    /* Append a DATE: days since 1970-01-01. */
    void (*append_date)(struct sluice_builder *b, int32_t days);
    /* A date as Spark's cast reads one (`2021-05-03`, `2021-5-3`, a date
     * followed by ' ' or 'T' and a time); SLUICE_OK and *days on success. */
    int (*parse_date)(const char *s, size_t n, int32_t *days);
    /* `2021-05-03` into out (NUL-terminated); returns the length. */
    size_t (*format_date)(int32_t days, char out[16]);

    /* ---- decimals (added after ABI 2: check SLUICE_HOST_HAS) ---- */
    /* Append a DECIMAL: its unscaled value as Arrow's decimal128 holds it,
     * 16 bytes of two's complement, little-endian (sluice_get_decimal
     * reads one back). */
    void (*append_decimal)(struct sluice_builder *b, const uint8_t le[16]);

    /* ---- rendering (added after ABI 2: check SLUICE_HOST_HAS) ---- */
    /* render_row_json without the fields that are null, at every level
     * (Spark's JSON option ignoreNullFields). */
    void (*render_row_json_nonnull)(const struct sluice_batch *b, int64_t row, struct sluice_buf *out);
};

#endif /* SLUICE_HOST_H */
