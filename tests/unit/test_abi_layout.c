/* The ABI's layout, pinned: the offset of every field and the size of
 * every struct a plugin and the core share (sdk/include/sluice). A change
 * here is an ABI change: fields are only ever added at the end of
 * struct sluice_plugin and struct sluice_host, and anything else needs
 * SLUICE_ABI_VERSION raised. Every integer in these structs has a fixed
 * width, so the numbers hold for any LP64 target (x86-64, aarch64); other
 * data models skip the test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <sluice/plugin.h>

struct pin {
    const char *what;
    size_t actual, expected;
};

#define STRUCT(s, n) { "sizeof(struct " #s ")", sizeof(struct s), n }
#define FIELD(s, f, n) { "offsetof(struct " #s ", " #f ")", offsetof(struct s, f), n }

static const struct pin pins[] = {
    STRUCT(sluice_plugin, 232),
    FIELD(sluice_plugin, abi_version, 0),
    FIELD(sluice_plugin, size, 4),
    FIELD(sluice_plugin, kind, 8),
    FIELD(sluice_plugin, modes, 12),
    FIELD(sluice_plugin, state_version, 16),
    FIELD(sluice_plugin, name, 24),
    FIELD(sluice_plugin, summary, 32),
    FIELD(sluice_plugin, options, 40),
    FIELD(sluice_plugin, conf_size, 48),
    FIELD(sluice_plugin, open, 56),
    FIELD(sluice_plugin, close, 64),
    FIELD(sluice_plugin, prepare, 72),
    FIELD(sluice_plugin, latest_offset, 80),
    FIELD(sluice_plugin, plan_read, 88),
    FIELD(sluice_plugin, read, 96),
    FIELD(sluice_plugin, commit, 104),
    FIELD(sluice_plugin, wait, 112),
    FIELD(sluice_plugin, process, 120),
    FIELD(sluice_plugin, begin, 128),
    FIELD(sluice_plugin, write, 136),
    FIELD(sluice_plugin, end, 144),
    FIELD(sluice_plugin, bind, 152),
    FIELD(sluice_plugin, unbind, 160),
    FIELD(sluice_plugin, init, 168),
    FIELD(sluice_plugin, update, 176),
    FIELD(sluice_plugin, merge, 184),
    FIELD(sluice_plugin, finalize, 192),
    FIELD(sluice_plugin, serialize, 200),
    FIELD(sluice_plugin, deserialize, 208),
    FIELD(sluice_plugin, destroy, 216),
    FIELD(sluice_plugin, read_committed, 224), /* added after ABI 2 */
    STRUCT(sluice_read_request, 32),
    FIELD(sluice_read_request, size, 0),
    FIELD(sluice_read_request, path, 8),
    FIELD(sluice_read_request, batch, 16),
    FIELD(sluice_read_request, ignore_damaged, 24),
    STRUCT(sluice_host, 560),
    FIELD(sluice_host, abi_version, 0),
    FIELD(sluice_host, size, 4),
    FIELD(sluice_host, log, 8),
    FIELD(sluice_host, error, 16),
    FIELD(sluice_host, error_hint, 24),
    FIELD(sluice_host, stage_name, 32),
    FIELD(sluice_host, input_schema, 40),
    FIELD(sluice_host, set_output_schema, 48),
    FIELD(sluice_host, output_schema, 56),
    FIELD(sluice_host, use_column, 64),
    FIELD(sluice_host, use_all_columns, 72),
    FIELD(sluice_host, pass_column, 80),
    FIELD(sluice_host, count_malformed, 88),
    FIELD(sluice_host, col_resolve, 96),
    FIELD(sluice_host, schema_parse, 104),
    FIELD(sluice_host, schema_copy, 112),
    FIELD(sluice_host, schema_init, 120),
    FIELD(sluice_host, builder_new, 128),
    FIELD(sluice_host, builder_child, 136),
    FIELD(sluice_host, append_null, 144),
    FIELD(sluice_host, append_bool, 152),
    FIELD(sluice_host, append_long, 160),
    FIELD(sluice_host, append_double, 168),
    FIELD(sluice_host, append_string, 176),
    FIELD(sluice_host, append_timestamp, 184),
    FIELD(sluice_host, append_struct, 192),
    FIELD(sluice_host, begin_list, 200),
    FIELD(sluice_host, end_list, 208),
    FIELD(sluice_host, append_from, 216),
    FIELD(sluice_host, builder_rows, 224),
    FIELD(sluice_host, builder_finish, 232),
    FIELD(sluice_host, builder_free, 240),
    FIELD(sluice_host, batch_assemble, 248),
    FIELD(sluice_host, decoder_new, 256),
    FIELD(sluice_host, decode, 264),
    FIELD(sluice_host, decoder_free, 272),
    FIELD(sluice_host, now_us, 280),
    FIELD(sluice_host, monotonic_us, 288),
    FIELD(sluice_host, parse_timestamp, 296),
    FIELD(sluice_host, format_timestamp, 304),
    FIELD(sluice_host, render_row_json, 312),
    FIELD(sluice_host, render_cell_text, 320),
    FIELD(sluice_host, expr_compile, 328),
    FIELD(sluice_host, expr_result, 336),
    FIELD(sluice_host, expr_input_column, 344),
    FIELD(sluice_host, expr_columns, 352),
    FIELD(sluice_host, expr_eval, 360),
    FIELD(sluice_host, expr_free, 368),
    FIELD(sluice_host, array_take, 376),
    FIELD(sluice_host, table_open, 384),
    FIELD(sluice_host, table_begin, 392),
    FIELD(sluice_host, table_add, 400),
    FIELD(sluice_host, table_commit, 408),
    FIELD(sluice_host, table_close, 416),
    FIELD(sluice_host, meta_enabled, 424),
    FIELD(sluice_host, meta_put, 432),
    FIELD(sluice_host, meta_scan, 440),
    FIELD(sluice_host, meta_trim, 448),
    FIELD(sluice_host, render_show, 456),
    FIELD(sluice_host, option_error, 464),
    FIELD(sluice_host, hash64, 472),
    FIELD(sluice_host, count_invalid_utf8, 480),
    FIELD(sluice_host, group_join, 488),
    FIELD(sluice_host, group_fingerprint, 496),
    FIELD(sluice_host, group_check, 504),
    FIELD(sluice_host, parallelism, 512),
    FIELD(sluice_host, append_date, 520),
    FIELD(sluice_host, parse_date, 528),
    FIELD(sluice_host, format_date, 536),
    FIELD(sluice_host, append_decimal, 544),
    FIELD(sluice_host, render_row_json_nonnull, 552),
    STRUCT(sluice_option, 80),
    FIELD(sluice_option, name, 0),
    FIELD(sluice_option, type, 8),
    FIELD(sluice_option, default_value, 16),
    FIELD(sluice_option, flags, 24),
    FIELD(sluice_option, offset, 32),
    FIELD(sluice_option, help, 40),
    FIELD(sluice_option, choices, 48),
    FIELD(sluice_option, min, 56),
    FIELD(sluice_option, max, 64),
    FIELD(sluice_option, validate, 72),
    STRUCT(sluice_agg_param, 48),
    FIELD(sluice_agg_param, type, 0),
    FIELD(sluice_agg_param, reserved, 4),
    FIELD(sluice_agg_param, l, 8),
    FIELD(sluice_agg_param, d, 16),
    FIELD(sluice_agg_param, s, 24),
    FIELD(sluice_agg_param, len, 32),
    FIELD(sluice_agg_param, text, 40),
    STRUCT(sluice_agg_info, 24),
    FIELD(sluice_agg_info, result_format, 0),
    FIELD(sluice_agg_info, state_size, 8),
    FIELD(sluice_agg_info, has_destroy, 16),
    STRUCT(sluice_error, 1420),
    FIELD(sluice_error, code, 0),
    FIELD(sluice_error, line, 4),
    FIELD(sluice_error, file, 8),
    FIELD(sluice_error, stage, 264),
    FIELD(sluice_error, key, 328),
    FIELD(sluice_error, message, 392),
    FIELD(sluice_error, hint, 904),
    FIELD(sluice_error, excerpt, 1160),
    FIELD(sluice_error, position, 1416),
    STRUCT(sluice_decode_opts, 56),
    FIELD(sluice_decode_opts, size, 0),
    FIELD(sluice_decode_opts, format, 8),
    FIELD(sluice_decode_opts, schema, 16),
    FIELD(sluice_decode_opts, projection, 24),
    FIELD(sluice_decode_opts, mode, 32),
    FIELD(sluice_decode_opts, corrupt_column, 40),
    FIELD(sluice_decode_opts, csv_header, 48),
    FIELD(sluice_decode_opts, csv_delimiter, 49),
    FIELD(sluice_decode_opts, stats_size, 52),
    STRUCT(sluice_decode_input, 40),
    FIELD(sluice_decode_input, data, 0),
    FIELD(sluice_decode_input, len, 8),
    FIELD(sluice_decode_input, origin, 16),
    FIELD(sluice_decode_input, first_line, 24),
    FIELD(sluice_decode_input, file_start, 32),
    STRUCT(sluice_decode_stats, 32),
    FIELD(sluice_decode_stats, rows, 0),
    FIELD(sluice_decode_stats, malformed, 8),
    FIELD(sluice_decode_stats, bytes, 16),
    FIELD(sluice_decode_stats, invalid_utf8, 24),
    STRUCT(sluice_projection, 24),
    FIELD(sluice_projection, all, 0),
    FIELD(sluice_projection, n_paths, 8),
    FIELD(sluice_projection, paths, 16),
    STRUCT(sluice_col, 144),
    FIELD(sluice_col, schema, 0),
    FIELD(sluice_col, type, 8),
    FIELD(sluice_col, depth, 12),
    FIELD(sluice_col, steps, 16),
    STRUCT(sluice_batch, 88),
    FIELD(sluice_batch, array, 0),
    FIELD(sluice_batch, schema, 80),
    STRUCT(sluice_buf, 24),
    FIELD(sluice_buf, data, 0),
    FIELD(sluice_buf, len, 8),
    FIELD(sluice_buf, cap, 16),
    STRUCT(sluice_strlist, 16),
    FIELD(sluice_strlist, items, 0),
    FIELD(sluice_strlist, n, 8),
};

static void test_abi_layout_is_pinned_field_by_field(void **state)
{
    if (sizeof(void *) != 8 || sizeof(long) != 8) skip();
    int wrong = 0;
    for (size_t i = 0; i < sizeof pins / sizeof pins[0]; i++) {
        if (pins[i].actual == pins[i].expected) continue;
        print_error("%s is %zu, pinned at %zu\n", pins[i].what, pins[i].actual, pins[i].expected);
        wrong++;
    }
    assert_int_equal(wrong, 0);
}

static void test_abi_version_is_2(void **state)
{
    assert_int_equal(SLUICE_ABI_VERSION, 2);
    /* The values stored in the uint32_t fields. */
    assert_int_equal(SLUICE_KIND_SOURCE, 1);
    assert_int_equal(SLUICE_KIND_SINK, 4);
    assert_int_equal(SLUICE_MODE_COMPLETE, 4);
    assert_int_equal(SLUICE_OPT_STRING_LIST, 9);
    assert_int_equal(SLUICE_EAGAIN, 8);
    assert_int_equal(SLUICE_TYPE_ARRAY, 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_abi_layout_is_pinned_field_by_field),
        cmocka_unit_test(test_abi_version_is_2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
