/* The decoder harness, shared by fuzz_decode_json.c and fuzz_decode_csv.c.
 *
 * The first byte of an input chooses how to decode the rest:
 *   bits 0-1  parse mode: permissive, drop_malformed, fail_fast (3: permissive)
 *   bit 2     the schema has a _corrupt_record column
 *   bit 3     a projection of a few columns instead of every column
 *   bit 4     the text does not start a file (no BOM, no csv header)
 *   bit 5     csv: the first line is a header
 *   bits 6-7  the text is decoded in 1 + this many calls, cut at line ends,
 *             by one decoder, as a source feeds the pieces of a file
 * Every batch must be valid for the schema and render; the rows reported
 * must be the rows returned; fail_fast is the only mode that may fail, and
 * only with SLUICE_EDATA and a message. */
#ifndef SLUICE_TESTS_FUZZ_DECODE_H
#define SLUICE_TESTS_FUZZ_DECODE_H

#include "decode.h"
#include "error.h"
#include "fuzz_util.h"
#include "schema.h"

struct fuzz_decode_spec {
    const char *format;               /* "json" or "csv" */
    const char *schema;               /* text for sluice_schema_parse */
    const char *const *projection;    /* paths for bit 3 */
    size_t n_projection;
};

/* schema with a _corrupt_record STRING column added at the end */
static void fuzz_with_corrupt(const struct ArrowSchema *s, struct ArrowSchema *out)
{
    int64_t n = s->n_children;
    struct ArrowSchema *fields = calloc((size_t)n + 1, sizeof *fields);
    for (int64_t i = 0; i < n; i++) sluice_schema_copy(s->children[i], &fields[i]);
    sluice_schema_init(&fields[n], SLUICE_FORMAT_STRING, "_corrupt_record", true, 0);
    sluice_schema_init_struct(out, "", false, fields, n + 1);
    free(fields);
}

static void fuzz_decode(const struct fuzz_decode_spec *spec, const uint8_t *data, size_t size)
{
    static struct ArrowSchema schemas[2];
    if (!schemas[0].release) {
        struct sluice_error err = { 0 };
        if (sluice_schema_parse(spec->schema, &schemas[0], &err)) fuzz_fail("schema: %s", err.message);
        fuzz_with_corrupt(&schemas[0], &schemas[1]);
    }
    if (size < 1) return;
    uint8_t how = data[0];
    data++;
    size--;
    static const enum sluice_parse_mode modes[] = { SLUICE_PARSE_PERMISSIVE, SLUICE_PARSE_DROP_MALFORMED,
                                                    SLUICE_PARSE_FAIL_FAST, SLUICE_PARSE_PERMISSIVE };
    const struct ArrowSchema *schema = &schemas[(how >> 2) & 1];
    struct sluice_projection proj = { .all = true };
    if (how & 8) proj = (struct sluice_projection){ false, spec->n_projection, spec->projection };
    struct sluice_decode_opts opts = { .size = sizeof opts, .format = spec->format, .schema = schema,
                                       .projection = &proj, .mode = modes[how & 3],
                                       .csv_header = (how & 32) != 0 };
    struct sluice_decoder *dec;
    struct sluice_error err = { 0 };
    if (sluice_decoder_new(&opts, &dec, &err)) fuzz_fail("decoder_new: %s", err.message);

    int pieces = 1 + (how >> 6);
    const char *text = (const char *)data, *end = text + size;
    int64_t line = 1;
    for (int k = 0; k < pieces && text < end; k++) {
        /* Up to the first line end after an even share of what is left. */
        const char *cut = end;
        if (k + 1 < pieces) {
            cut = text + (size_t)(end - text) / (size_t)(pieces - k);
            while (cut < end && *cut != '\n') cut++;
            if (cut < end) cut++;
        }
        struct sluice_decode_input in = { text, (size_t)(cut - text), "fuzz.input", line,
                                          k == 0 && !(how & 16) };
        struct sluice_batch batch = { 0 };
        struct sluice_decode_stats stats = { 0 };
        int rc = sluice_decode(dec, &in, &batch, &stats, &err);
        fuzz_check_error(rc, &err);
        if (rc) {
            if (opts.mode != SLUICE_PARSE_FAIL_FAST || rc != SLUICE_EDATA)
                fuzz_fail("decode failed (%d) outside fail_fast: %s", rc, err.message);
            if (batch.array.release) fuzz_fail("a failed decode left a batch");
            break;
        }
        batch.schema = schema;
        fuzz_check_batch(schema, &batch);
        if (stats.rows != batch.array.length)
            fuzz_fail("stats say %lld rows, the batch has %lld", (long long)stats.rows,
                      (long long)batch.array.length);
        sluice_batch_release(&batch);
        for (const char *p = text; p < cut; p++) line += *p == '\n';
        text = cut;
    }
    sluice_decoder_free(dec);
}

#endif
