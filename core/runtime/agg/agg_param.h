/* core/runtime/agg/agg_param.h — the literal arguments of an aggregate
 * function, parsed for its bind() (sluice/plugin.h, struct sluice_agg_param).
 *
 * `approx_count_distinct(x, 0.01)`, `stddev(x, 'pop')`: everything after
 * the first argument is a constant. It is compiled as an expression, so
 * any constant the language writes works (-0.5, CAST('7' AS LONG), 'it''s'),
 * refused when it reads a column (a column name used to reach bind as if
 * it were a literal), and evaluated once. Pure, any thread. */
#ifndef SLUICE_CORE_AGG_PARAM_H
#define SLUICE_CORE_AGG_PARAM_H

#include <sluice/plugin.h>

/* An aggregate function's argument after the first, as bind() receives it
 * (plugin.h): `text` is an expression that must read no column of struct
 * schema `input`; it is evaluated once. A string value is copied to *str
 * (the caller frees it once bind returned); out->text is `text`.
 * SLUICE_ECONFIG with err->excerpt = text when it reads a column, does not
 * compile, or is a struct or array. */
int sluice_agg_param_parse(const struct ArrowSchema *input, const char *text, struct sluice_agg_param *out,
                           char **str, struct sluice_error *err);

#endif
