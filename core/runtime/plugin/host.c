/* The host table: the core's functions as plugins see them. Most entries
 * are the modules' own functions; the thin wrappers here exist where the
 * module's function is inline, variadic, or takes core-only types. */
#include "host.h"

#include <stdarg.h>

#include "batch.h"
#include "builder.h"
#include "checkpoint_source.h"
#include "clock.h"
#include "colpath.h"
#include "decode.h"
#include "error.h"
#include "expr.h"
#include "hash.h"
#include "log.h"
#include "render.h"
#include "schema.h"
#include "show.h"
#include "stage.h"
#include "tables.h"
#include "take.h"
#include "timefmt.h"

#include <sluice/plugin.h>

static void host_log(const struct sluice_ctx *ctx, uint32_t level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (level > SLUICE_LOG_DEBUG) level = SLUICE_LOG_DEBUG; /* a level from a newer SDK */
    sluice_logv((enum sluice_log_level)level, ctx ? sluice_ctx_stage_name(ctx) : NULL, fmt, ap);
    va_end(ap);
}

static int host_error(struct sluice_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sluice_error_setv(err, code, fmt, ap);
    va_end(ap);
    return code;
}

static int host_option_error(struct sluice_error *err, int code, const char *option, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sluice_error_setv(err, code, fmt, ap);
    va_end(ap);
    return sluice_error_key(err, option ? option : "", code);
}

static uint64_t host_hash64(const void *data, size_t n, uint64_t seed)
{
    return sluice_hash64(data, n, seed);
}

/* Plugins count rows from an array's offset, as everywhere in the host
 * table; the builder's own function takes a physical slot. */
static void host_append_from(struct sluice_builder *b, const struct ArrowArray *src, int64_t row)
{
    sluice_builder_append_from(b, src, src->offset + row);
}

static void host_error_hint(struct sluice_error *err, const char *fmt, ...)
{
    if (!err) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->hint, sizeof err->hint, fmt, ap);
    va_end(ap);
}

static struct sluice_builder *host_builder_child(struct sluice_builder *b, int64_t i)
{
    return &b->children[i];
}

static void host_append_bool(struct sluice_builder *b, bool v) { sluice_builder_append_bool(b, v); }
static void host_append_long(struct sluice_builder *b, int64_t v) { sluice_builder_append_long(b, v); }
static void host_append_double(struct sluice_builder *b, double v) { sluice_builder_append_double(b, v); }
static void host_append_timestamp(struct sluice_builder *b, int64_t v) { sluice_builder_append_timestamp(b, v); }
static void host_append_date(struct sluice_builder *b, int32_t days) { sluice_builder_append_date(b, days); }

static void host_append_decimal(struct sluice_builder *b, const uint8_t le[16])
{
    unsigned __int128 v = 0;
    for (int i = 15; i >= 0; i--) v = v << 8 | le[i];
    sluice_builder_append_decimal(b, (__int128)v);
}

static int host_parse_date(const char *s, size_t n, int32_t *days)
{
    return sluice_date_parse(s, n, days) == 0 ? SLUICE_OK : SLUICE_EDATA;
}
static int64_t host_builder_rows(const struct sluice_builder *b) { return b->length; }

/* The ABI's take cannot fail: past a size limit its result is poisoned,
 * and the engine fails the batch that carries it (unit.c). */
static void host_array_take(const struct ArrowSchema *schema, const struct ArrowArray *a, const int64_t *indices,
                            int64_t n, struct ArrowArray *out)
{
    (void)sluice_array_take(schema, a, indices, n, out, NULL);
}

static int host_parse_timestamp(const char *s, size_t n, int64_t *us)
{
    return sluice_time_parse(s, n, us) == 0 ? SLUICE_OK : SLUICE_EDATA;
}

static int host_table_open(struct sluice_ctx *ctx, const char *name, struct sluice_table **out,
                           struct sluice_error *err)
{
    return sluice_tables_open(ctx->tables, name, sluice_ctx_input_schema(ctx), out, err);
}

static const struct sluice_host host = {
    .abi_version = SLUICE_ABI_VERSION,
    .size = sizeof(struct sluice_host),

    .log = host_log,
    .error = host_error,
    .error_hint = host_error_hint,

    .stage_name = sluice_ctx_stage_name,
    .input_schema = sluice_ctx_input_schema,
    .set_output_schema = sluice_ctx_set_output_schema,
    .output_schema = sluice_ctx_output_schema,
    .use_column = sluice_ctx_use_column,
    .use_all_columns = sluice_ctx_use_all_columns,
    .pass_column = sluice_ctx_pass_column,
    .count_malformed = sluice_ctx_count_malformed,

    .col_resolve = sluice_col_resolve,
    .schema_parse = sluice_schema_parse,
    .schema_copy = sluice_schema_copy,
    .schema_init = sluice_schema_init,

    .builder_new = sluice_builder_new,
    .builder_child = host_builder_child,
    .append_null = sluice_builder_append_null,
    .append_bool = host_append_bool,
    .append_long = host_append_long,
    .append_double = host_append_double,
    .append_string = sluice_builder_append_string,
    .append_timestamp = host_append_timestamp,
    .append_struct = sluice_builder_append_struct,
    .begin_list = sluice_builder_begin_list,
    .end_list = sluice_builder_end_list,
    .append_from = host_append_from,
    .builder_rows = host_builder_rows,
    .builder_finish = sluice_builder_finish,
    .builder_free = sluice_builder_free,
    .batch_assemble = sluice_batch_assemble,

    .decoder_new = sluice_decoder_new,
    .decode = sluice_decode,
    .decoder_free = sluice_decoder_free,

    .now_us = sluice_now_us,
    .monotonic_us = sluice_monotonic_us,
    .parse_timestamp = host_parse_timestamp,
    .format_timestamp = sluice_time_format_zoned,

    .render_row_json = sluice_render_row_json,
    .render_cell_text = sluice_render_cell_text,

    .expr_compile = sluice_expr_compile,
    .expr_result = sluice_expr_result,
    .expr_input_column = sluice_expr_input_column,
    .expr_columns = sluice_expr_columns,
    .expr_eval = sluice_expr_eval,
    .expr_free = sluice_expr_free,
    .array_take = host_array_take,

    .table_open = host_table_open,
    .table_begin = sluice_table_begin,
    .table_add = sluice_table_add,
    .table_commit = sluice_table_commit,
    .table_close = sluice_table_close,

    .meta_enabled = sluice_checkpoint_source_enabled,
    .meta_put = sluice_checkpoint_source_put,
    .meta_scan = sluice_checkpoint_source_scan,
    .meta_trim = sluice_checkpoint_source_trim,
    .render_show = sluice_show_format_batches,

    .option_error = host_option_error,
    .hash64 = host_hash64,
    .count_invalid_utf8 = sluice_ctx_count_invalid_utf8,
    .group_join = sluice_ctx_group_join,
    .group_fingerprint = sluice_ctx_group_fingerprint,
    .group_check = sluice_ctx_group_check,
    .parallelism = sluice_ctx_parallelism,
    .append_date = host_append_date,
    .parse_date = host_parse_date,
    .format_date = sluice_date_format,
    .append_decimal = host_append_decimal,
    .render_row_json_nonnull = sluice_render_row_json_nonnull,
};

const struct sluice_host *sluice_host(void)
{
    return &host;
}
