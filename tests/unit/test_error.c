#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "error.h"

static config_t cfg;

static int setup(void **state)
{
    char path[] = "/tmp/sluice-test-error-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "name = \"x\";\n"
                       "stages = (\n"
                       "  { name = \"tweets\"; source = \"file\";\n"
                       "    max_file_per_trigger = 1; },\n"
                       "  { name = \"out\"; input = \"tweets\"; sink = \"console\";\n"
                       "    watermark = { delay = \"x\"; }; }\n"
                       ");\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    config_init(&cfg);
    assert_int_equal(config_read_file(&cfg, path), CONFIG_TRUE);
    unlink(path);
    *state = NULL;
    return 0;
}

static int teardown(void **state)
{
    config_destroy(&cfg);
    return 0;
}

static void test_error_at_names_file_line_stage_and_key(void **state)
{
    struct sluice_error err = { 0 };
    config_setting_t *s = config_lookup(&cfg, "stages.[0].max_file_per_trigger");
    assert_non_null(s);
    assert_int_equal(sluice_error_at(&err, SLUICE_ECONFIG, s, "unknown key '%s'", "max_file_per_trigger"),
                     SLUICE_ECONFIG);
    assert_int_equal(err.line, 4);
    assert_string_equal(err.stage, "tweets");
    assert_string_equal(err.key, "max_file_per_trigger");
    sluice_error_hint(&err, "did you mean '%s'?", "max_files_per_trigger");
    struct sluice_buf b = { 0 };
    sluice_error_format(&err, &b);
    const char *colon = strchr(b.data, ':');
    assert_non_null(colon);
    assert_string_equal(colon, ":4: stage 'tweets': unknown key 'max_file_per_trigger'\n"
                               "  hint: did you mean 'max_files_per_trigger'?");
    sluice_buf_free(&b);
}

static void test_error_format_adds_the_key_when_the_message_does_not_name_it(void **state)
{
    struct sluice_error err = { 0 };
    config_setting_t *s = config_lookup(&cfg, "stages.[1].watermark.delay");
    sluice_error_at(&err, SLUICE_ECONFIG, s, "expected a duration such as \"10 seconds\"");
    assert_string_equal(err.key, "watermark.delay");
    struct sluice_buf b = { 0 };
    sluice_error_format(&err, &b);
    assert_non_null(strstr(b.data, ":6: stage 'out': key 'watermark.delay': expected a duration"));
    sluice_buf_free(&b);
}

static void test_error_set_accepts_a_null_record(void **state)
{
    assert_int_equal(sluice_error_set(NULL, SLUICE_EIO, "x"), SLUICE_EIO);
}

static void test_error_format_puts_a_caret_under_the_position(void **state)
{
    struct sluice_error err = { 0 };
    sluice_error_set(&err, SLUICE_ECONFIG, "unknown function 'lowr' at character 1");
    sluice_error_excerpt(&err, "lowr(data.text) LIKE '%covid%'", 1);
    sluice_error_hint(&err, "did you mean 'lower'?");
    struct sluice_buf b = { 0 };
    sluice_error_format(&err, &b);
    assert_string_equal(b.data, "unknown function 'lowr' at character 1\n"
                                "    lowr(data.text) LIKE '%covid%'\n"
                                "    ^\n"
                                "  hint: did you mean 'lower'?");
    sluice_buf_clear(&b);
    sluice_error_excerpt(&err, "a + ", 5);
    err.hint[0] = '\0';
    sluice_error_format(&err, &b);
    assert_string_equal(strchr(b.data, '\n'), "\n    a + \n        ^");
    sluice_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_at_names_file_line_stage_and_key),
        cmocka_unit_test(test_error_format_adds_the_key_when_the_message_does_not_name_it),
        cmocka_unit_test(test_error_set_accepts_a_null_record),
        cmocka_unit_test(test_error_format_puts_a_caret_under_the_position),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
