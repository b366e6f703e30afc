/* Reading pipeline files and applying --set overrides. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "error.h"
#include "tmpdir_testutil.h"

static const char pipeline[] =
    "name = \"p\";\n"                                              /* 1 */
    "runtime = { trigger = \"3 seconds\"; threads = 2; };\n"       /* 2 */
    "stages = (\n"                                                 /* 3 */
    "  { name = \"tweets\"; source = \"file\"; path = \"in\";\n"   /* 4 */
    "    n = 5; ratio = 0.5; latest = false; big = 5L;\n"          /* 5 */
    "    cols = [\"a\", \"b\"]; },\n"                              /* 6 */
    "  { name = \"out\"; input = \"tweets\"; sink = \"console\"; }\n" /* 7 */
    ");\n";

static void read_pipeline(config_t *cfg)
{
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_config_read(cfg, write_file("p.cfg", pipeline), &err), SLUICE_OK);
}

static void test_config_reads_a_file_and_finds_stages_by_name(void **state)
{
    config_t cfg;
    read_pipeline(&cfg);
    config_setting_t *s = sluice_config_stage(&cfg, "out");
    assert_non_null(s);
    assert_int_equal(config_setting_source_line(s), 7);
    assert_null(sluice_config_stage(&cfg, "nope"));
    config_destroy(&cfg);
}

static void test_config_include_is_relative_to_the_config_file(void **state)
{
    write_file("part.cfg", "name = \"from_include\";\n");
    const char *path = write_file("main.cfg", "@include \"part.cfg\"\nstages = ();\n");
    config_t cfg;
    struct sluice_error err = { 0 };
    /* The test runs from the repository root, not from tmpdir. */
    assert_int_equal(sluice_config_read(&cfg, path, &err), SLUICE_OK);
    const char *name = NULL;
    assert_true(config_lookup_string(&cfg, "name", &name));
    assert_string_equal(name, "from_include");
    config_destroy(&cfg);
}

static void test_config_syntax_error_names_file_and_line(void **state)
{
    const char *path = write_file("bad.cfg", "name = \"x\";\nruntime = { threads = ; };\n");
    config_t cfg;
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_config_read(&cfg, path, &err), SLUICE_ECONFIG);
    assert_string_equal(err.file, path);
    assert_int_equal(err.line, 2);
    assert_string_equal(err.message, "syntax error");
    config_destroy(&cfg);
}

/* Issue 11: libconfig says only "syntax error" for the two mistakes people
 * coming from JSON make most: a JSON file, and [ { } ] for a list of groups. */
static void test_config_syntax_error_hints_at_json_and_lists_of_groups(void **state)
{
    static const struct { const char *text; int line; const char *hint; } cases[] = {
        { "# a pipeline\n{\n  \"name\": \"x\",\n  \"stages\": []\n}\n", 2,
          "this looks like JSON, but a pipeline is libconfig: unquoted keys with = (name = \"x\";), "
          "groups { ... } and lists ( ... ), no braces around the whole file" },
        { "\"name\": \"x\";\n", 1,
          "this looks like JSON, but a pipeline is libconfig: unquoted keys with = (name = \"x\";), "
          "groups { ... } and lists ( ... ), no braces around the whole file" },
        { "name = \"x [ {\"; /* [ { */\nstages = [\n  # one\n  { name = \"a\"; }\n];\n", 4,
          "a list of groups is written ( { ... }, { ... } ): libconfig's [ ... ] holds only plain values "
          "such as [\"a\", \"b\"]" },
        /* Neither: no hint, rather than a wrong one. */
        { "name = \"x\";\nruntime = { threads = ; };\n", 2, "" },
        { "name = \"[ {\" ; x = [1, 2];\nstages = ( { a = 1 } ) ) ;\n", 2, "" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *path = write_file("bad.cfg", cases[i].text);
        config_t cfg;
        struct sluice_error err = { 0 };
        assert_int_equal(sluice_config_read(&cfg, path, &err), SLUICE_ECONFIG);
        assert_int_equal(err.line, cases[i].line);
        assert_string_equal(err.message, "syntax error");
        assert_string_equal(err.hint, cases[i].hint);
        config_destroy(&cfg);
    }
}

static void test_config_missing_file_is_a_config_error_naming_it(void **state)
{
    char path[300];
    snprintf(path, sizeof path, "%s/absent.cfg", tmpdir);
    config_t cfg;
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_config_read(&cfg, path, &err), SLUICE_ECONFIG);
    assert_string_equal(err.file, path);
    assert_string_equal(err.message, "cannot read the config file: no such file or directory");
    config_destroy(&cfg);
}

static void test_config_override_sets_a_stage_string(void **state)
{
    config_t cfg;
    read_pipeline(&cfg);
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_config_override(&cfg, "tweets.path=/data", &err), SLUICE_OK);
    const char *v = NULL;
    assert_true(config_setting_lookup_string(sluice_config_stage(&cfg, "tweets"), "path", &v));
    assert_string_equal(v, "/data");
    assert_true(sluice_config_is_override(config_setting_get_member(sluice_config_stage(&cfg, "tweets"), "path")));
    assert_false(sluice_config_is_override(config_setting_get_member(sluice_config_stage(&cfg, "tweets"), "n")));
    config_destroy(&cfg);
}

static void test_config_override_takes_a_quoted_string_in_config_syntax(void **state)
{
    /* --set tweets.path="/my data" as a shell script writes it: the quotes
     * are libconfig's, not part of the path. */
    config_t cfg;
    read_pipeline(&cfg);
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_config_override(&cfg, "tweets.path=\"/my data\"", &err), SLUICE_OK);
    const char *v = NULL;
    assert_true(config_setting_lookup_string(sluice_config_stage(&cfg, "tweets"), "path", &v));
    assert_string_equal(v, "/my data");
    assert_true(sluice_config_is_override(config_setting_get_member(sluice_config_stage(&cfg, "tweets"), "path")));
    config_destroy(&cfg);
}

static void test_config_override_keeps_the_type_of_the_replaced_setting(void **state)
{
    config_t cfg;
    read_pipeline(&cfg);
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_config_override(&cfg, "tweets.n=7", &err), SLUICE_OK);
    assert_int_equal(sluice_config_override(&cfg, "tweets.ratio=0.25", &err), SLUICE_OK);
    assert_int_equal(sluice_config_override(&cfg, "tweets.latest=true", &err), SLUICE_OK);
    assert_int_equal(sluice_config_override(&cfg, "tweets.big=-12", &err), SLUICE_OK);
    assert_int_equal(sluice_config_override(&cfg, "runtime.threads=4", &err), SLUICE_OK);
    config_setting_t *t = sluice_config_stage(&cfg, "tweets");
    config_setting_t *n = config_setting_get_member(t, "n");
    assert_int_equal(config_setting_type(n), CONFIG_TYPE_INT);
    assert_int_equal(config_setting_get_int(n), 7);
    config_setting_t *r = config_setting_get_member(t, "ratio");
    assert_int_equal(config_setting_type(r), CONFIG_TYPE_FLOAT);
    assert_true(config_setting_get_float(r) == 0.25);
    config_setting_t *b = config_setting_get_member(t, "latest");
    assert_int_equal(config_setting_type(b), CONFIG_TYPE_BOOL);
    assert_int_equal(config_setting_get_bool(b), 1);
    config_setting_t *big = config_setting_get_member(t, "big");
    assert_int_equal(config_setting_type(big), CONFIG_TYPE_INT64);
    assert_int_equal(config_setting_get_int64(big), -12);
    int threads = 0;
    assert_true(config_lookup_int(&cfg, "runtime.threads", &threads));
    assert_int_equal(threads, 4);
    config_destroy(&cfg);
}

static void test_config_override_widens_an_int_that_no_longer_fits(void **state)
{
    config_t cfg;
    read_pipeline(&cfg);
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_config_override(&cfg, "tweets.n=5000000000", &err), SLUICE_OK);
    config_setting_t *n = config_setting_get_member(sluice_config_stage(&cfg, "tweets"), "n");
    assert_int_equal(config_setting_type(n), CONFIG_TYPE_INT64);
    assert_int_equal(config_setting_get_int64(n), 5000000000LL);
    config_destroy(&cfg);
}

static void test_config_override_with_a_bad_value_names_the_override_and_the_setting(void **state)
{
    config_t cfg;
    read_pipeline(&cfg);
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_config_override(&cfg, "tweets.n=many", &err), SLUICE_ECONFIG);
    assert_string_equal(err.message,
                        "--set tweets.n=many: expected an integer, the type of the setting it replaces, got 'many'");
    assert_int_equal(err.line, 5);
    assert_string_equal(err.stage, "tweets");
    assert_string_equal(err.key, "n");
    sluice_error_clear(&err);
    assert_int_equal(sluice_config_override(&cfg, "tweets.latest=perhaps", &err), SLUICE_ECONFIG);
    assert_string_equal(err.message,
                        "--set tweets.latest=perhaps: expected true or false, the type of the setting it replaces, got 'perhaps'");
    sluice_error_clear(&err);
    assert_int_equal(sluice_config_override(&cfg, "tweets.ratio=half", &err), SLUICE_ECONFIG);
    assert_string_equal(err.message,
                        "--set tweets.ratio=half: expected a number, the type of the setting it replaces, got 'half'");
    config_destroy(&cfg);
}

static void test_config_override_stores_a_new_key_as_a_string_located_at_its_group(void **state)
{
    config_t cfg;
    read_pipeline(&cfg);
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_config_override(&cfg, "tweets.max_files_per_trigger=3", &err), SLUICE_OK);
    config_setting_t *t = sluice_config_stage(&cfg, "tweets");
    config_setting_t *m = config_setting_get_member(t, "max_files_per_trigger");
    assert_non_null(m);
    assert_int_equal(config_setting_type(m), CONFIG_TYPE_STRING);
    assert_string_equal(config_setting_get_string(m), "3");
    assert_int_equal(config_setting_source_line(m), 4);
    assert_true(sluice_config_is_override(m));
    config_destroy(&cfg);
}

static void test_config_override_sets_runtime_and_top_level_keys(void **state)
{
    config_t cfg;
    read_pipeline(&cfg);
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_config_override(&cfg, "runtime.trigger=once", &err), SLUICE_OK);
    assert_int_equal(sluice_config_override(&cfg, "name=renamed", &err), SLUICE_OK);
    assert_int_equal(sluice_config_override(&cfg, "runtime.checkpoint=state/x", &err), SLUICE_OK);
    const char *v = NULL;
    assert_true(config_lookup_string(&cfg, "runtime.trigger", &v));
    assert_string_equal(v, "once");
    assert_true(config_lookup_string(&cfg, "name", &v));
    assert_string_equal(v, "renamed");
    assert_true(config_lookup_string(&cfg, "runtime.checkpoint", &v));
    assert_string_equal(v, "state/x");
    config_destroy(&cfg);
}

static void test_config_override_creates_runtime_when_the_file_has_none(void **state)
{
    const char *path = write_file("nort.cfg", "stages = ( { name = \"a\"; source = \"x\"; } );\n");
    config_t cfg;
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_config_read(&cfg, path, &err), SLUICE_OK);
    assert_int_equal(sluice_config_override(&cfg, "runtime.trigger=available_now", &err), SLUICE_OK);
    const char *v = NULL;
    assert_true(config_lookup_string(&cfg, "runtime.trigger", &v));
    assert_string_equal(v, "available_now");
    config_destroy(&cfg);
}

static void test_config_override_reaches_into_a_nested_group(void **state)
{
    config_t cfg;
    read_pipeline(&cfg);
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_config_override(&cfg, "tweets.watermark.delay=10s", &err), SLUICE_OK);
    assert_int_equal(sluice_config_override(&cfg, "tweets.watermark.column=data.created_at", &err), SLUICE_OK);
    assert_int_equal(sluice_config_override(&cfg, "tweets.watermark.delay=20s", &err), SLUICE_OK);
    config_setting_t *w = config_setting_get_member(sluice_config_stage(&cfg, "tweets"), "watermark");
    assert_non_null(w);
    assert_true(config_setting_is_group(w));
    const char *v = NULL;
    assert_true(config_setting_lookup_string(w, "delay", &v));
    assert_string_equal(v, "20s");
    assert_true(config_setting_lookup_string(w, "column", &v));
    assert_string_equal(v, "data.created_at");
    config_destroy(&cfg);
}

static void test_config_override_takes_a_list_in_config_syntax(void **state)
{
    config_t cfg;
    read_pipeline(&cfg);
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_config_override(&cfg, "tweets.cols=[\"x\", \"y\", \"z\"]", &err), SLUICE_OK);
    config_setting_t *c = config_setting_get_member(sluice_config_stage(&cfg, "tweets"), "cols");
    assert_non_null(c);
    assert_int_equal(config_setting_length(c), 3);
    assert_string_equal(config_setting_get_string_elem(c, 2), "z");
    assert_int_equal(sluice_config_override(&cfg, "tweets.cols=plain", &err), SLUICE_ECONFIG);
    assert_string_equal(err.message, "--set tweets.cols=plain: 'cols' is a list, not a single value");
    config_destroy(&cfg);
}

static void test_config_override_of_an_unknown_stage_suggests_the_closest(void **state)
{
    config_t cfg;
    read_pipeline(&cfg);
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_config_override(&cfg, "tweetz.path=/data", &err), SLUICE_ECONFIG);
    assert_string_equal(err.message, "--set tweetz.path=/data: no stage named 'tweetz'");
    assert_string_equal(err.hint, "did you mean 'tweets'?");
    config_destroy(&cfg);
}

static void test_config_override_without_equals_is_refused(void **state)
{
    config_t cfg;
    read_pipeline(&cfg);
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_config_override(&cfg, "tweets.path", &err), SLUICE_ECONFIG);
    assert_string_equal(err.message, "--set tweets.path: expected key=value");
    sluice_error_clear(&err);
    assert_int_equal(sluice_config_override(&cfg, "tweets..path=x", &err), SLUICE_ECONFIG);
    assert_string_equal(err.message, "--set tweets..path=x: empty key segment");
    config_destroy(&cfg);
}

static void test_config_override_refuses_a_key_libconfig_cannot_name(void **state)
{
    config_t cfg;
    read_pipeline(&cfg);
    struct sluice_error err = { 0 };
    /* A new group on the way, the key itself, and a structured value's key. */
    assert_int_equal(sluice_config_override(&cfg, "runtime.1x.y=3", &err), SLUICE_ECONFIG);
    assert_string_equal(err.message, "--set runtime.1x.y=3: '1x' is not a valid key name");
    assert_int_equal(sluice_config_override(&cfg, "tweets.1x=3", &err), SLUICE_ECONFIG);
    assert_string_equal(err.message, "--set tweets.1x=3: '1x' is not a valid key name");
    assert_int_equal(sluice_config_override(&cfg, "tweets.1x=[1]", &err), SLUICE_ECONFIG);
    assert_string_equal(err.message, "--set tweets.1x=[1]: '1x' is not a valid key name");
    assert_null(config_setting_get_member(config_lookup(&cfg, "runtime"), "1x"));
    config_destroy(&cfg);
}

static void test_config_override_value_may_hold_dots_and_equals(void **state)
{
    config_t cfg;
    read_pipeline(&cfg);
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_config_override(&cfg, "tweets.path=../a=b", &err), SLUICE_OK);
    const char *v = NULL;
    assert_true(config_setting_lookup_string(sluice_config_stage(&cfg, "tweets"), "path", &v));
    assert_string_equal(v, "../a=b");
    config_destroy(&cfg);
}

static void test_config_error_locate_keeps_the_message_and_adds_the_setting(void **state)
{
    config_t cfg;
    read_pipeline(&cfg);
    struct sluice_error err = { 0 };
    sluice_error_set(&err, SLUICE_ECONFIG, "bad thing");
    sluice_error_hint(&err, "fix it");
    const config_setting_t *s = config_setting_get_member(sluice_config_stage(&cfg, "tweets"), "path");
    assert_int_equal(sluice_config_error_locate(&err, SLUICE_ECONFIG, s), SLUICE_ECONFIG);
    assert_int_equal(err.line, 4);
    assert_string_equal(err.stage, "tweets");
    assert_string_equal(err.key, "path");
    assert_string_equal(err.message, "bad thing");
    assert_string_equal(err.hint, "fix it");

    /* A location in another file (a schema file, say) moves into the message. */
    struct sluice_error e2 = { 0 };
    snprintf(e2.file, sizeof e2.file, "schemas/t.json");
    e2.line = 3;
    sluice_error_set(&e2, SLUICE_ECONFIG, "unexpected '}'");
    sluice_config_error_locate(&e2, SLUICE_ECONFIG, s);
    assert_int_equal(e2.line, 4);
    assert_string_equal(e2.message, "schemas/t.json:3: unexpected '}'");
    config_destroy(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_reads_a_file_and_finds_stages_by_name),
        cmocka_unit_test(test_config_include_is_relative_to_the_config_file),
        cmocka_unit_test(test_config_syntax_error_names_file_and_line),
        cmocka_unit_test(test_config_syntax_error_hints_at_json_and_lists_of_groups),
        cmocka_unit_test(test_config_missing_file_is_a_config_error_naming_it),
        cmocka_unit_test(test_config_override_sets_a_stage_string),
        cmocka_unit_test(test_config_override_takes_a_quoted_string_in_config_syntax),
        cmocka_unit_test(test_config_override_keeps_the_type_of_the_replaced_setting),
        cmocka_unit_test(test_config_override_widens_an_int_that_no_longer_fits),
        cmocka_unit_test(test_config_override_with_a_bad_value_names_the_override_and_the_setting),
        cmocka_unit_test(test_config_override_stores_a_new_key_as_a_string_located_at_its_group),
        cmocka_unit_test(test_config_override_sets_runtime_and_top_level_keys),
        cmocka_unit_test(test_config_override_creates_runtime_when_the_file_has_none),
        cmocka_unit_test(test_config_override_reaches_into_a_nested_group),
        cmocka_unit_test(test_config_override_takes_a_list_in_config_syntax),
        cmocka_unit_test(test_config_override_of_an_unknown_stage_suggests_the_closest),
        cmocka_unit_test(test_config_override_without_equals_is_refused),
        cmocka_unit_test(test_config_override_refuses_a_key_libconfig_cannot_name),
        cmocka_unit_test(test_config_override_value_may_hold_dots_and_equals),
        cmocka_unit_test(test_config_error_locate_keeps_the_message_and_adds_the_setting),
    };
    return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
