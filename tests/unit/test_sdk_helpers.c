/* The SDK's header-only helpers an outside author relies on:
 * <sluice/offset.h> (offset JSON) and <sluice/agg.h> (state encodings).
 * The transform helpers are exercised by sdk/examples/modulo's tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <sluice/agg.h>
#include <sluice/offset.h>

static void test_offset_writes_keys_in_order_without_spaces(void **state)
{
    struct sluice_buf b = { 0 };
    assert_int_equal(sluice_offset_write_long(&b, "value", 120), SLUICE_OK);
    assert_string_equal(b.data, "{\"value\":120}");
    /* begin empties what was there. */
    sluice_offset_begin(&b);
    sluice_offset_put_long(&b, "epoch", -2);
    sluice_offset_put_string(&b, "file", "a\"b\\c\n");
    sluice_offset_end(&b);
    assert_string_equal(b.data, "{\"epoch\":-2,\"file\":\"a\\\"b\\\\c\\u000a\"}");
    sluice_buf_free(&b);
}

static void test_offset_reads_a_top_level_integer(void **state)
{
    int64_t v = 0;
    assert_true(sluice_offset_get_long("{\"logOffset\":3}", "logOffset", &v));
    assert_int_equal(v, 3);
    assert_true(sluice_offset_get_long(" { \"a\" : {\"v\":1,\"x\":[1,{\"v\":2}]}, \"s\":\"}\\\"\", \"v\" : -9 } ", "v", &v));
    assert_int_equal(v, -9); /* the nested v's are not the top-level one */
    assert_true(sluice_offset_get_long("{\"v\":9223372036854775807}", "v", &v));
    assert_int_equal(v, INT64_MAX);
    assert_false(sluice_offset_get_long(NULL, "v", &v));
    assert_false(sluice_offset_get_long("{\"w\":1}", "v", &v));           /* absent */
    assert_false(sluice_offset_get_long("{\"v\":1.5}", "v", &v));         /* not an integer */
    assert_false(sluice_offset_get_long("{\"v\":\"1\"}", "v", &v));       /* a string */
    assert_false(sluice_offset_get_long("{\"v\":99999999999999999999}", "v", &v)); /* beyond int64 */
    assert_false(sluice_offset_get_long("{\"v\":1", "v", &v));            /* cut short */
    assert_false(sluice_offset_get_long("{\"v\":1} x", "v", &v));         /* trailing text */
    assert_false(sluice_offset_get_long("[1]", "v", &v));
}

static void test_agg_reader_refuses_to_run_past_a_damaged_state(void **state)
{
    struct sluice_buf b = { 0 };
    sluice_buf_put_varint(&b, 300);
    sluice_buf_put_le64(&b, sluice_double_bits(-0.5));
    struct sluice_reader r = sluice_reader_of(b.data, b.len);
    uint64_t n = 0, bits = 0;
    assert_true(sluice_read_varint(&r, &n));
    assert_int_equal(n, 300);
    assert_true(sluice_read_le64(&r, &bits));
    assert_true(sluice_bits_double(bits) == -0.5);
    assert_true(sluice_reader_done(&r));
    uint8_t u8;
    assert_false(sluice_read_u8(&r, &u8));
    r = sluice_reader_of(b.data, b.len - 1); /* one byte short */
    assert_true(sluice_read_varint(&r, &n));
    assert_false(sluice_read_le64(&r, &bits));
    sluice_buf_free(&b);
    assert_int_equal(sluice_double_key(-0.0), 0);
    assert_int_equal(sluice_double_key(0.0 / 0.0), UINT64_C(0x7ff8000000000000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offset_writes_keys_in_order_without_spaces),
        cmocka_unit_test(test_offset_reads_a_top_level_integer),
        cmocka_unit_test(test_agg_reader_refuses_to_run_past_a_damaged_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
