/* The offset of a query of several sources (core/runtime/engine/offsets.c),
 * by hand: each source's own text kept exactly (quotes and backslashes
 * included), null for a source with none yet, and what is not such an
 * offset refused as damage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "offsets.h"
#include "stage.h"

static struct sluice_stage stages[2] = { { .name = "tweets" }, { .name = "retweets" } };
static struct sluice_stage *const sources[2] = { &stages[0], &stages[1] };

static void test_offsets_join_and_split_each_sources_text(void **state)
{
    char *parts[2] = { "{\"logOffset\":3,\"note\":\"a \\\"b\\\"\"}", NULL };
    char *text = sluice_offsets_join(parts, sources, 2);
    assert_string_equal(text, "{\"tweets\":\"{\\\"logOffset\\\":3,\\\"note\\\":\\\"a \\\\\\\"b\\\\\\\"\\\"}\","
                              "\"retweets\":null}");
    char *back[2];
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_offsets_split(text, sources, 2, back, &err), SLUICE_OK);
    assert_string_equal(back[0], parts[0]);
    assert_null(back[1]);
    sluice_offsets_free(back, 2);
    assert_null(back[0]);
    free(text);
    /* No offset yet: every part null. */
    assert_int_equal(sluice_offsets_split(NULL, sources, 2, back, &err), SLUICE_OK);
    assert_null(back[0]);
    assert_null(back[1]);
}

static void test_offsets_refuse_text_that_is_not_one_per_source(void **state)
{
    const char *bad[] = { "{\"logOffset\":3}", "{\"tweets\":\"1\"}", "{\"tweets\":\"1\",\"other\":\"2\"}",
                          "{\"tweets\":1,\"retweets\":null}", "not json" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *parts[2] = { (char *)1, (char *)1 };
        struct sluice_error err = { 0 };
        assert_int_equal(sluice_offsets_split(bad[i], sources, 2, parts, &err), SLUICE_EDATA);
        assert_null(parts[0]);
        assert_null(parts[1]);
        assert_non_null(strstr(err.message, "offset"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offsets_join_and_split_each_sources_text),
        cmocka_unit_test(test_offsets_refuse_text_that_is_not_one_per_source),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
