/* core/formats/render.h — values as text, shared by every sink and `sluice cat`.
 *
 * JSON (contract, DESIGN §4): timestamps `"2021-05-03T07:55:40.000Z"`,
 * structs as objects, arrays as arrays, nulls as null, doubles in shortest
 * round-trip form as Spark (Jackson) writes them: `1.0`, `1.0E10` (NaN and
 * infinities as the strings "NaN", "Infinity", "-Infinity"); compact, no
 * spaces. Text: as Spark 3's show() prints a cell. Output is appended. */
#ifndef SLUICE_CORE_RENDER_H
#define SLUICE_CORE_RENDER_H

#include <stdint.h>

#include <sluice/arrow.h>
#include <sluice/batch.h>
#include <sluice/buf.h>

/* The value at logical index `i` of array `a` (typed by `schema`), as JSON. */
void sluice_render_value_json(const struct ArrowSchema *schema, const struct ArrowArray *a,
                              int64_t i, struct sluice_buf *out);
/* Row `row` of a batch as {"col":value,...}, columns in schema order. */
void sluice_render_row_json(const struct sluice_batch *b, int64_t row, struct sluice_buf *out);
/* The same without the fields that are null, at every level (Spark's JSON
 * option ignoreNullFields): a column nobody read upstream is not written. */
void sluice_render_row_json_nonnull(const struct sluice_batch *b, int64_t row, struct sluice_buf *out);
/* Spark show() text of one value: null as `null`, arrays `[a, b]`, structs
 * `{1, x}`, timestamps `2021-05-03 07:55:40`, booleans `true`, doubles as
 * Java prints them (1.0, 1.0E10). */
void sluice_render_value_text(const struct ArrowSchema *schema, const struct ArrowArray *a,
                              int64_t i, struct sluice_buf *out);
void sluice_render_cell_text(const struct sluice_batch *b, int64_t column, int64_t row,
                             struct sluice_buf *out);
/* As Java's Double.toString (what Spark writes in JSON and show()): the
 * fewest digits that read back as the same double, `1.0`, `0.1`, `1.0E10`,
 * `1.0E-5`, `-0.0`, `NaN`, `Infinity` (JSON quotes the last two itself). */
/* The longest double text, with its NUL: "-2.2250738585072014E-308". */
#define SLUICE_DOUBLE_TEXT 32
/* The same text into out (NUL-terminated); returns its length. The one
 * Double.toString of sluice: CAST(x AS STRING) uses it too. */
size_t sluice_render_double_text(double v, char out[SLUICE_DOUBLE_TEXT]);
void sluice_render_double(double v, struct sluice_buf *out);
/* A JSON string literal with escapes. */
void sluice_render_json_string(const char *s, size_t n, struct sluice_buf *out);

#endif
