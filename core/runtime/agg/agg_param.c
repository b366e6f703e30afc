/* An aggregate function's literal arguments, parsed. See agg_param.h. */
#include "agg_param.h"

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "expr.h"
#include "mem.h"
#include "schema.h"

int sluice_agg_param_parse(const struct ArrowSchema *input, const char *text, struct sluice_agg_param *out,
                           char **str, struct sluice_error *err)
{
    *out = (struct sluice_agg_param){ .text = text };
    *str = NULL;
    struct sluice_expr *e = NULL;
    int rc = sluice_expr_compile(input, text, &e, err);
    if (rc) return rc;
    const char *const *paths;
    size_t reads = sluice_expr_columns(e, &paths);
    sluice_expr_free(e);
    if (reads) {
        rc = sluice_error_set(err, SLUICE_ECONFIG, "'%s' reads a column: arguments after the first must be constants",
                              text);
        sluice_error_excerpt(err, text, 1);
        sluice_error_hint(err, "only the first argument of an aggregate function is evaluated per row");
        return rc;
    }
    /* No column: evaluate against a row of nothing. */
    struct ArrowSchema none;
    sluice_schema_init(&none, SLUICE_FORMAT_STRUCT, "", false, 0);
    rc = sluice_expr_compile(&none, text, &e, err);
    const void *no_buffers[1] = { NULL };
    struct sluice_batch row = { .array = { .length = 1, .n_buffers = 1, .buffers = no_buffers }, .schema = &none };
    struct ArrowArray v = { 0 };
    if (!rc) rc = sluice_expr_eval(e, &row, &v, err);
    if (rc) {
        sluice_expr_free(e);
        sluice_schema_release(&none);
        return rc;
    }
    enum sluice_type t = sluice_type_of(sluice_expr_result(e));
    bool valid = v.null_count == 0 || !v.buffers[0] || sluice_bit_get(v.buffers[0], v.offset);
    out->type = valid ? (int32_t)t : SLUICE_TYPE_INVALID;
    int64_t i = v.offset;
    if (valid) {
        switch (t) {
        case SLUICE_TYPE_LONG:
        case SLUICE_TYPE_TIMESTAMP:
            out->l = ((const int64_t *)v.buffers[1])[i];
            out->d = (double)out->l;
            break;
        case SLUICE_TYPE_DOUBLE: out->d = ((const double *)v.buffers[1])[i]; break;
        case SLUICE_TYPE_BOOLEAN: out->l = sluice_bit_get(v.buffers[1], i); break;
        case SLUICE_TYPE_STRING: {
            const int32_t *offs = v.buffers[1];
            size_t len = (size_t)(offs[i + 1] - offs[i]);
            *str = sluice_xstrndup((const char *)v.buffers[2] + offs[i], len);
            out->s = *str;
            out->len = len;
            break;
        }
        default:
            rc = sluice_error_set(err, SLUICE_ECONFIG, "'%s' is a %s: arguments after the first must be numbers, "
                                  "strings, booleans or timestamps", text, sluice_type_name(t));
            sluice_error_excerpt(err, text, 1);
        }
    }
    v.release(&v);
    sluice_expr_free(e);
    sluice_schema_release(&none);
    return rc;
}
