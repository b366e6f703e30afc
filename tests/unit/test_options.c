/* Validating stage settings against a plugin's option table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "error.h"
#include "option_table.h"
#include "options.h"
#include "schema.h"
#include "tmpdir_testutil.h"

struct test_conf {
    const char *path;
    int64_t n;
    double ratio;
    bool latest;
    int64_t delay;
    const char *format;
    const struct ArrowSchema *schema;
    const char *cond;
    struct sluice_strlist cols;
    int64_t max_files_per_trigger;
};

static const struct sluice_option test_options[] = {
    { .name = "path", .type = SLUICE_OPT_STRING, .flags = SLUICE_OPT_REQUIRED,
      .offset = offsetof(struct test_conf, path),
      .help = "directory to read" },
    { .name = "n", .type = SLUICE_OPT_LONG, .default_value = "10",
      .offset = offsetof(struct test_conf, n),
      .help = "a count" },
    { .name = "ratio", .type = SLUICE_OPT_DOUBLE, .default_value = "0.5",
      .offset = offsetof(struct test_conf, ratio),
      .help = "a fraction" },
    { .name = "latest", .type = SLUICE_OPT_BOOL, .default_value = "false",
      .offset = offsetof(struct test_conf, latest),
      .help = "newest first" },
    { .name = "delay", .type = SLUICE_OPT_DURATION, .default_value = "10 seconds",
      .offset = offsetof(struct test_conf, delay),
      .help = "how long to wait" },
    { .name = "format", .type = SLUICE_OPT_ENUM, .default_value = "json",
      .offset = offsetof(struct test_conf, format),
      .help = "file format",
      .choices = "json|csv" },
    { .name = "schema", .type = SLUICE_OPT_SCHEMA,
      .offset = offsetof(struct test_conf, schema),
      .help = "the rows' schema" },
    { .name = "cond", .type = SLUICE_OPT_EXPR,
      .offset = offsetof(struct test_conf, cond),
      .help = "keep rows where true" },
    { .name = "cols", .type = SLUICE_OPT_STRING_LIST, .default_value = "a,b",
      .offset = offsetof(struct test_conf, cols),
      .help = "columns" },
    { .name = "max_files_per_trigger", .type = SLUICE_OPT_LONG, .default_value = "1",
      .offset = offsetof(struct test_conf, max_files_per_trigger),
      .help = "files per batch" },
    { 0 }
};

static const struct sluice_plugin test_plugin = {
    .abi_version = SLUICE_ABI_VERSION,
    .size = sizeof(struct sluice_plugin),
    .kind = SLUICE_KIND_SOURCE,
    .name = "file",
    .summary = "read files",
    .options = test_options,
    .conf_size = sizeof(struct test_conf),
};

static const char *const core_keys[] = { "name", "input", "source", "transform", "sink",
                                         "aggregate", "output_mode", "watermark", NULL };

/* One test's config, conf and storage. */
struct fixture {
    config_t cfg;
    struct test_conf conf;
    struct sluice_options_storage storage;
    struct sluice_error err;
};

/* Reads a config whose single stage is written as `stage_body` on line 2. */
static int apply(struct fixture *f, const char *stage_body)
{
    char text[2048];
    snprintf(text, sizeof text, "stages = (\n  { name = \"tweets\"; source = \"file\"; %s }\n);\n",
             stage_body);
    memset(f, 0, sizeof *f);
    assert_int_equal(sluice_config_read(&f->cfg, write_file("t.cfg", text), &f->err), SLUICE_OK);
    return sluice_options_apply(&test_plugin, sluice_config_stage(&f->cfg, "tweets"), core_keys,
                                &f->conf, &f->storage, &f->err);
}

/* apply(), then `assignment` as --set gives it, over an empty stage body. */
static int apply_set(struct fixture *f, const char *assignment)
{
    char text[256];
    snprintf(text, sizeof text, "stages = (\n  { name = \"tweets\"; source = \"file\"; path = \"in\"; }\n);\n");
    memset(f, 0, sizeof *f);
    assert_int_equal(sluice_config_read(&f->cfg, write_file("t.cfg", text), &f->err), SLUICE_OK);
    assert_int_equal(sluice_config_override(&f->cfg, assignment, &f->err), SLUICE_OK);
    return sluice_options_apply(&test_plugin, sluice_config_stage(&f->cfg, "tweets"), core_keys,
                                &f->conf, &f->storage, &f->err);
}

static void done(struct fixture *f)
{
    sluice_options_storage_free(&f->storage);
    config_destroy(&f->cfg);
}

static void test_options_fill_every_type_from_config_values(void **state)
{
    struct fixture f;
    assert_int_equal(apply(&f, "path = \"in\"; n = 5000000000L; ratio = 2; latest = true; "
                               "delay = \"500ms\"; format = \"csv\"; schema = \"id LONG, t STRING\"; "
                               "cond = \"n > 1\"; cols = (\"x\", \"y\", \"z\"); max_files_per_trigger = 3;"),
                     SLUICE_OK);
    assert_string_equal(f.conf.path, "in");
    assert_int_equal(f.conf.n, 5000000000LL);
    assert_true(f.conf.ratio == 2.0);
    assert_true(f.conf.latest);
    assert_int_equal(f.conf.delay, 500000);
    assert_string_equal(f.conf.format, "csv");
    assert_non_null(f.conf.schema);
    assert_int_equal(f.conf.schema->n_children, 2);
    assert_string_equal(f.conf.schema->children[1]->name, "t");
    assert_string_equal(f.conf.cond, "n > 1");
    assert_int_equal(f.conf.cols.n, 3);
    assert_string_equal(f.conf.cols.items[2], "z");
    assert_int_equal(f.conf.max_files_per_trigger, 3);
    done(&f);
}

static void test_options_take_a_double_from_a_float_and_a_list_from_an_array(void **state)
{
    struct fixture f;
    assert_int_equal(apply(&f, "path = \"in\"; ratio = 0.25; cols = [\"only\"];"), SLUICE_OK);
    assert_true(f.conf.ratio == 0.25);
    assert_int_equal(f.conf.cols.n, 1);
    assert_string_equal(f.conf.cols.items[0], "only");
    done(&f);
}

static void test_options_apply_defaults_converted_from_their_text(void **state)
{
    struct fixture f;
    assert_int_equal(apply(&f, "path = \"in\";"), SLUICE_OK);
    assert_int_equal(f.conf.n, 10);
    assert_true(f.conf.ratio == 0.5);
    assert_false(f.conf.latest);
    assert_int_equal(f.conf.delay, 10000000);
    assert_string_equal(f.conf.format, "json");
    assert_null(f.conf.schema);
    assert_null(f.conf.cond);
    assert_int_equal(f.conf.cols.n, 2);
    assert_string_equal(f.conf.cols.items[0], "a");
    assert_string_equal(f.conf.cols.items[1], "b");
    assert_int_equal(f.conf.max_files_per_trigger, 1);
    done(&f);
}

/* Issue 11: max_files_per_trigger = "2" was taken as 2, so a quoted typo
 * ("2O") only failed later, and a config read differently from Spark. */
static void test_options_refuse_quoted_numbers_and_booleans_in_the_file(void **state)
{
    static const struct { const char *body, *message, *hint, *key; } cases[] = {
        { "n = \"12\";", "expected an integer, got the string '12'", "drop the quotes: n = 12;", "n" },
        { "ratio = \"0.75\";", "expected a number, got the string '0.75'", "drop the quotes: ratio = 0.75;", "ratio" },
        { "latest = \"true\";", "expected true or false, got the string 'true'", "drop the quotes: latest = true;",
          "latest" },
        { "n = \"12x\";", "expected an integer, got the string '12x'", "", "n" },
        { "n = 1.5;", "expected an integer, got 1.5", "", "n" },
        { "latest = 1;", "expected true or false, got 1", "", "latest" },
        { "ratio = true;", "expected a number, got true", "", "ratio" },
        { "delay = 10;", "expected a string (a duration such as \"10 seconds\"), got 10", "", "delay" },
        { "cols = \"a\";", "expected a list of strings such as [\"a\", \"b\"], got 'a'", "", "cols" },
        { "format = 1;", "expected a string, got 1", "", "format" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[200];
        snprintf(body, sizeof body, "path = \"in\"; %s", cases[i].body);
        struct fixture f;
        assert_int_equal(apply(&f, body), SLUICE_ECONFIG);
        assert_string_equal(f.err.message, cases[i].message);
        assert_string_equal(f.err.hint, cases[i].hint);
        assert_string_equal(f.err.key, cases[i].key);
        done(&f);
    }
}

static void test_options_convert_values_set_on_the_command_line(void **state)
{
    struct fixture f;
    memset(&f, 0, sizeof f);
    const char *path = write_file("s.cfg", "stages = (\n  { name = \"tweets\"; source = \"file\"; path = \"in\"; }\n);\n");
    assert_int_equal(sluice_config_read(&f.cfg, path, &f.err), SLUICE_OK);
    assert_int_equal(sluice_config_override(&f.cfg, "tweets.max_files_per_trigger=4", &f.err), SLUICE_OK);
    assert_int_equal(sluice_config_override(&f.cfg, "tweets.delay=2s", &f.err), SLUICE_OK);
    assert_int_equal(sluice_options_apply(&test_plugin, sluice_config_stage(&f.cfg, "tweets"), core_keys,
                                          &f.conf, &f.storage, &f.err),
                     SLUICE_OK);
    assert_int_equal(f.conf.max_files_per_trigger, 4);
    assert_int_equal(f.conf.delay, 2000000);
    sluice_options_storage_free(&f.storage);
    memset(&f.conf, 0, sizeof f.conf);
    assert_int_equal(sluice_config_override(&f.cfg, "tweets.n=abc", &f.err), SLUICE_OK);
    assert_int_equal(sluice_options_apply(&test_plugin, sluice_config_stage(&f.cfg, "tweets"), core_keys,
                                          &f.conf, &f.storage, &f.err),
                     SLUICE_ECONFIG);
    assert_string_equal(f.err.message, "expected an integer, got 'abc' (from --set)");
    assert_string_equal(f.err.key, "n");
    done(&f);
}

static void test_options_unknown_key_suggests_the_closest_option(void **state)
{
    struct fixture f;
    assert_int_equal(apply(&f, "path = \"in\";\n    max_file_per_trigger = 1;"), SLUICE_ECONFIG);
    assert_string_equal(f.err.message, "unknown key 'max_file_per_trigger'");
    assert_string_equal(f.err.hint, "did you mean 'max_files_per_trigger'?");
    assert_int_equal(f.err.line, 3);
    assert_string_equal(f.err.stage, "tweets");
    assert_string_equal(f.err.key, "max_file_per_trigger");
    assert_string_equal(f.err.file + strlen(f.err.file) - 6, "/t.cfg");
    done(&f);
}

static void test_options_unknown_key_may_suggest_a_core_key(void **state)
{
    struct fixture f;
    assert_int_equal(apply(&f, "path = \"in\"; inptu = \"x\";"), SLUICE_ECONFIG);
    assert_string_equal(f.err.message, "unknown key 'inptu'");
    assert_string_equal(f.err.hint, "did you mean 'input'?");
    done(&f);
}

static void test_options_unknown_key_far_from_all_points_to_the_plugin_help(void **state)
{
    struct fixture f;
    assert_int_equal(apply(&f, "path = \"in\"; zzzzzzzzzz = 1;"), SLUICE_ECONFIG);
    assert_string_equal(f.err.message, "unknown key 'zzzzzzzzzz'");
    assert_string_equal(f.err.hint, "`sluice plugins file` lists the options of source plugin 'file'");
    done(&f);
}

static void test_options_missing_required_key_is_reported_at_the_stage(void **state)
{
    struct fixture f;
    assert_int_equal(apply(&f, "n = 1;"), SLUICE_ECONFIG);
    assert_string_equal(f.err.message, "missing required key 'path'");
    assert_string_equal(f.err.hint, "path: directory to read");
    assert_int_equal(f.err.line, 2);
    assert_string_equal(f.err.stage, "tweets");
    done(&f);
}

static void test_options_wrong_config_type_says_what_was_expected(void **state)
{
    struct fixture f;
    assert_int_equal(apply(&f, "path = \"in\"; delay = 10;"), SLUICE_ECONFIG);
    assert_string_equal(f.err.message, "expected a string (a duration such as \"10 seconds\"), got 10");
    assert_string_equal(f.err.key, "delay");
    assert_int_equal(f.err.line, 2);
    done(&f);
    assert_int_equal(apply(&f, "path = 5;"), SLUICE_ECONFIG);
    assert_string_equal(f.err.message, "expected a string, got 5");
    done(&f);
    assert_int_equal(apply(&f, "path = \"in\"; n = 1.5;"), SLUICE_ECONFIG);
    assert_string_equal(f.err.message, "expected an integer, got 1.5");
    done(&f);
    assert_int_equal(apply(&f, "path = \"in\"; latest = 1;"), SLUICE_ECONFIG);
    assert_string_equal(f.err.message, "expected true or false, got 1");
    done(&f);
    assert_int_equal(apply(&f, "path = \"in\"; cols = \"a\";"), SLUICE_ECONFIG);
    assert_string_equal(f.err.message, "expected a list of strings such as [\"a\", \"b\"], got 'a'");
    done(&f);
    assert_int_equal(apply(&f, "path = \"in\"; cols = (\"a\", 2);"), SLUICE_ECONFIG);
    assert_string_equal(f.err.message,
                        "expected a list of strings such as [\"a\", \"b\"], got 2 as element 2");
    done(&f);
    assert_int_equal(apply(&f, "path = \"in\"; n = \"many\";"), SLUICE_ECONFIG);
    assert_string_equal(f.err.message, "expected an integer, got the string 'many'");
    done(&f);
}

static void test_options_bad_duration_text_names_the_value(void **state)
{
    struct fixture f;
    assert_int_equal(apply(&f, "path = \"in\"; delay = \"10 parsecs\";"), SLUICE_ECONFIG);
    assert_string_equal(f.err.message, "expected a duration such as \"10 seconds\", got '10 parsecs'");
    done(&f);
}

static void test_options_enum_value_outside_the_choices_lists_them(void **state)
{
    struct fixture f;
    assert_int_equal(apply(&f, "path = \"in\"; format = \"jsn\";"), SLUICE_ECONFIG);
    assert_string_equal(f.err.message, "expected one of \"json\" or \"csv\", got 'jsn'");
    assert_string_equal(f.err.hint, "did you mean 'json'?");
    assert_string_equal(f.err.key, "format");
    done(&f);
}

static void test_options_schema_error_keeps_the_parser_message_and_the_setting_line(void **state)
{
    struct sluice_error direct = { 0 };
    struct ArrowSchema s;
    assert_int_not_equal(sluice_schema_parse("id STRNG", &s, &direct), SLUICE_OK);

    struct fixture f;
    assert_int_equal(apply(&f, "path = \"in\";\n  schema = \"id STRNG\";"), SLUICE_ECONFIG);
    assert_string_equal(f.err.message, direct.message);
    assert_string_equal(f.err.hint, direct.hint);
    assert_int_equal(f.err.line, 3);
    assert_string_equal(f.err.key, "schema");
    assert_string_equal(f.err.stage, "tweets");
    done(&f);
}

static void test_options_schema_file_is_read_from_the_config_directory(void **state)
{
    write_file("only_here.ddl", "lang STRING");
    struct fixture f;
    /* The test runs from the repository root, which has no only_here.ddl. */
    assert_int_equal(apply(&f, "path = \"in\"; schema = \"@only_here.ddl\";"), SLUICE_OK);
    assert_non_null(f.conf.schema);
    assert_string_equal(f.conf.schema->children[0]->name, "lang");
    done(&f);
}

/* Issue 11: an @path in a config was read from the current directory
 * first, so the same config read another schema depending on where it ran. */
static void test_options_schema_file_in_the_config_directory_wins_over_the_current_one(void **state)
{
    char cwd[1024], other[300];
    assert_non_null(getcwd(cwd, sizeof cwd));
    snprintf(other, sizeof other, "%s/cwd", tmpdir);
    assert_int_equal(mkdir(other, 0700), 0);
    write_file("both.ddl", "from_config_dir STRING");
    write_file("cwd/both.ddl", "from_cwd STRING");
    assert_int_equal(chdir(other), 0);
    struct fixture f;
    int rc = apply(&f, "path = \"in\"; schema = \"@both.ddl\";");
    assert_int_equal(rc, SLUICE_OK);
    assert_string_equal(f.conf.schema->children[0]->name, "from_config_dir");
    done(&f);
    /* Typed on the command line, a path is the shell's: the current directory. */
    memset(&f, 0, sizeof f);
    char conf[400];
    snprintf(conf, sizeof conf, "%s/t.cfg", tmpdir);
    assert_int_equal(sluice_config_read(&f.cfg, conf, &f.err), SLUICE_OK);
    assert_int_equal(sluice_config_override(&f.cfg, "tweets.schema=@both.ddl", &f.err), SLUICE_OK);
    rc = sluice_options_apply(&test_plugin, sluice_config_stage(&f.cfg, "tweets"), core_keys, &f.conf, &f.storage,
                              &f.err);
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(rc, SLUICE_OK);
    assert_string_equal(f.conf.schema->children[0]->name, "from_cwd");
    done(&f);
}

static void test_options_missing_schema_file_says_where_it_was_looked_for(void **state)
{
    struct fixture f;
    char want[600];
    assert_int_equal(apply(&f, "path = \"in\"; schema = \"@nowhere.json\";"), SLUICE_ECONFIG);
    snprintf(want, sizeof want,
             "schema file 'nowhere.json' not found: looked for '%s/nowhere.json' (relative to the config file's "
             "directory)", tmpdir);
    assert_string_equal(f.err.message, want);
    assert_string_equal(f.err.key, "schema");
    assert_int_equal(f.err.line, 2);
    assert_string_equal(f.err.hint, "in a config an @path is read from the config's own directory");
    done(&f);
    /* The repository root (where tests run) has README.md: say so. */
    assert_int_equal(apply(&f, "path = \"in\"; schema = \"@README.md\";"), SLUICE_ECONFIG);
    snprintf(want, sizeof want,
             "'README.md' is there from the current directory, but in a config an @path is read from the config's "
             "own directory '%s/': write the path from there, or an absolute one", tmpdir);
    assert_string_equal(f.err.hint, want);
    done(&f);
}

static void test_options_bad_default_in_the_table_is_a_plugin_error(void **state)
{
    static const struct sluice_option bad_options[] = {
        { .name = "n", .type = SLUICE_OPT_LONG, .default_value = "ten", .offset = 0, .help = "a count" },
        { 0 }
    };
    struct sluice_plugin bad = test_plugin;
    bad.options = bad_options;
    struct fixture f;
    memset(&f, 0, sizeof f);
    const char *path = write_file("b.cfg", "stages = (\n  { name = \"tweets\"; source = \"file\"; }\n);\n");
    assert_int_equal(sluice_config_read(&f.cfg, path, &f.err), SLUICE_OK);
    assert_int_equal(sluice_options_apply(&bad, sluice_config_stage(&f.cfg, "tweets"), core_keys,
                                          &f.conf, &f.storage, &f.err),
                     SLUICE_EPLUGIN);
    assert_string_equal(f.err.message,
                        "source plugin 'file' has a bad default for 'n': expected an integer, got 'ten'");
    done(&f);
}

static void test_options_type_names_read_well(void **state)
{
    assert_string_equal(sluice_option_table_type_name(SLUICE_OPT_STRING_LIST), "string list");
    assert_string_equal(sluice_option_table_type_name(SLUICE_OPT_DURATION), "duration");
    assert_string_equal(sluice_option_table_type_name(SLUICE_OPT_EXPR), "expression");
}

static void test_options_describe_prints_the_plugin_and_its_table(void **state)
{
    static const struct sluice_option opts[] = {
        { .name = "path", .type = SLUICE_OPT_STRING, .flags = SLUICE_OPT_REQUIRED, .offset = 0,
          .help = "directory to read" },
        { .name = "format", .type = SLUICE_OPT_ENUM, .default_value = "json", .offset = 8, .help = "file format",
          .choices = "json|csv" },
        { 0 }
    };
    struct sluice_plugin p = test_plugin;
    p.options = opts;
    struct sluice_buf out = { 0 };
    sluice_option_table_describe(&p, "/x/sluice_source_file.so", &out);
    assert_string_equal(out.data,
                        "name:     file\n"
                        "kind:     source\n"
                        "summary:  read files\n"
                        "file:     /x/sluice_source_file.so\n"
                        "options:\n"
                        "  NAME    TYPE    DEFAULT  REQUIRED  HELP\n"
                        "  path    string  -        yes       directory to read\n"
                        "  format  enum    \"json\"   no        file format (one of: json, csv)\n");
    sluice_buf_free(&out);

    struct sluice_plugin sink = { .name = "console", .kind = SLUICE_KIND_SINK, .summary = "print",
                                  .modes = SLUICE_MODE_APPEND | SLUICE_MODE_COMPLETE };
    sluice_option_table_describe(&sink, NULL, &out);
    assert_string_equal(out.data,
                        "name:     console\n"
                        "kind:     sink\n"
                        "summary:  print\n"
                        "modes:    append, complete\n"
                        "options:  none\n");
    sluice_buf_free(&out);
}

/* ---- integers libconfig would wrap ---- */

static void test_options_a_long_too_big_for_64_bits_is_refused_naming_the_range(void **state)
{
    struct fixture f;
    /* libconfig 1.5 reads this as the int -1, silently. */
    assert_int_equal(apply(&f, "path = \"in\"; n = 99999999999999999999;"), SLUICE_ECONFIG);
    assert_string_equal(f.err.message, "99999999999999999999 is out of range: a long is between "
                                       "-9223372036854775808 and 9223372036854775807");
    assert_string_equal(f.err.key, "n");
    assert_int_equal(f.err.line, 2);
    done(&f);
    assert_int_equal(apply(&f, "path = \"in\"; n = -99999999999999999999;"), SLUICE_ECONFIG);
    done(&f);
    assert_int_equal(apply(&f, "path = \"in\"; ratio = 99999999999999999999;"), SLUICE_ECONFIG);
    done(&f);
    /* The same typed on the command line. */
    assert_int_equal(apply_set(&f, "tweets.n=99999999999999999999"), SLUICE_ECONFIG);
    assert_string_equal(f.err.message, "99999999999999999999 is out of range: a long is between "
                                       "-9223372036854775808 and 9223372036854775807 (from --set)");
    done(&f);
}

static void test_options_a_long_beyond_32_bits_written_without_L_keeps_its_value(void **state)
{
    struct fixture f;
    /* libconfig 1.5 wraps these to 32 bits: -1294967296, 1294967296, -1. */
    assert_int_equal(apply(&f, "path = \"in\"; n = 3000000000; ratio = -3000000000; max_files_per_trigger = 0xFFFFFFFF;"),
                     SLUICE_OK);
    assert_int_equal(f.conf.n, 3000000000LL);
    assert_true(f.conf.ratio == -3e9);
    assert_int_equal(f.conf.max_files_per_trigger, 4294967295LL);
    done(&f);
    /* Values that fit are read as they are, wherever they sit on the line. */
    assert_int_equal(apply(&f, "path = \"n = 7\"; max_files_per_trigger = 5; n =\n -12;"), SLUICE_OK);
    assert_int_equal(f.conf.n, -12);
    assert_int_equal(f.conf.max_files_per_trigger, 5);
    done(&f);
}

/* ---- bounds and the validate hook ---- */

struct ranged_conf {
    int64_t port;
    double frac;
    int64_t every;
    int64_t even;
};

static int must_be_even(const struct sluice_host *host, const void *value, struct sluice_error *err)
{
    int64_t v;
    memcpy(&v, value, sizeof v);
    if (v % 2 == 0) return SLUICE_OK;
    int rc = host->error(err, SLUICE_ECONFIG, "%lld is odd", (long long)v);
    host->error_hint(err, "batches pair up rows");
    return rc;
}

static const struct sluice_option ranged_options[] = {
    { .name = "port", .type = SLUICE_OPT_LONG, .default_value = "80", .offset = offsetof(struct ranged_conf, port),
      .help = "tcp port", .min = "1", .max = "65535" },
    { .name = "frac", .type = SLUICE_OPT_DOUBLE, .default_value = "0.5", .offset = offsetof(struct ranged_conf, frac),
      .help = "a fraction", .min = "0", .max = "1" },
    { .name = "every", .type = SLUICE_OPT_DURATION, .default_value = "1 minute",
      .offset = offsetof(struct ranged_conf, every), .help = "how often", .min = "1 second" },
    { .name = "even", .type = SLUICE_OPT_LONG, .default_value = "2", .offset = offsetof(struct ranged_conf, even),
      .help = "an even number", .validate = must_be_even },
    { 0 }
};

static const struct sluice_plugin ranged_plugin = {
    .abi_version = SLUICE_ABI_VERSION, .size = sizeof(struct sluice_plugin), .kind = SLUICE_KIND_SOURCE,
    .name = "net", .options = ranged_options, .conf_size = sizeof(struct ranged_conf),
};

static int apply_ranged(struct fixture *f, struct ranged_conf *conf, const char *stage_body)
{
    char text[2048];
    snprintf(text, sizeof text, "stages = (\n  { name = \"src\"; source = \"net\"; %s }\n);\n", stage_body);
    memset(f, 0, sizeof *f);
    memset(conf, 0, sizeof *conf);
    assert_int_equal(sluice_config_read(&f->cfg, write_file("r.cfg", text), &f->err), SLUICE_OK);
    return sluice_options_apply(&ranged_plugin, sluice_config_stage(&f->cfg, "src"), core_keys, conf, &f->storage,
                                &f->err);
}

static void test_options_values_within_their_bounds_and_defaults_pass(void **state)
{
    struct fixture f;
    struct ranged_conf c;
    assert_int_equal(apply_ranged(&f, &c, ""), SLUICE_OK);
    assert_int_equal(c.port, 80);
    assert_int_equal(c.every, 60000000);
    done(&f);
    assert_int_equal(apply_ranged(&f, &c, "port = 65535; frac = 0; every = \"1s\"; even = 4;"), SLUICE_OK);
    assert_int_equal(c.port, 65535);
    done(&f);
}

static void test_options_a_value_out_of_bounds_is_refused_naming_option_and_range(void **state)
{
    struct fixture f;
    struct ranged_conf c;
    assert_int_equal(apply_ranged(&f, &c, "port = 0;"), SLUICE_ECONFIG);
    assert_string_equal(f.err.message, "must be between 1 and 65535, got 0");
    assert_string_equal(f.err.key, "port");
    assert_string_equal(f.err.stage, "src");
    assert_int_equal(f.err.line, 2);
    done(&f);
    assert_int_equal(apply_ranged(&f, &c, "frac = 1.5;"), SLUICE_ECONFIG);
    assert_string_equal(f.err.message, "must be between 0 and 1, got 1.5");
    done(&f);
    assert_int_equal(apply_ranged(&f, &c, "every = \"500ms\";"), SLUICE_ECONFIG);
    assert_string_equal(f.err.message, "must be at least 1 second, got 500 milliseconds");
    assert_string_equal(f.err.key, "every");
    done(&f);
    /* What --set stores for a new key is checked the same way. */
    assert_int_equal(apply_ranged(&f, &c, ""), SLUICE_OK);
    done(&f);
    assert_int_equal(sluice_config_read(&f.cfg, write_file("r.cfg", "stages = ({ name = \"src\"; source = \"net\"; });\n"),
                                        &f.err), SLUICE_OK);
    assert_int_equal(sluice_config_override(&f.cfg, "src.port=70000", &f.err), SLUICE_OK);
    memset(&c, 0, sizeof c);
    assert_int_equal(sluice_options_apply(&ranged_plugin, sluice_config_stage(&f.cfg, "src"), core_keys, &c,
                                          &f.storage, &f.err), SLUICE_ECONFIG);
    assert_string_equal(f.err.message, "must be between 1 and 65535, got 70000 (from --set)");
    done(&f);
}

static void test_options_the_validate_hook_refuses_with_its_own_message(void **state)
{
    struct fixture f;
    struct ranged_conf c;
    assert_int_equal(apply_ranged(&f, &c, "even = 3;"), SLUICE_ECONFIG);
    assert_string_equal(f.err.message, "3 is odd");
    assert_string_equal(f.err.hint, "batches pair up rows");
    assert_string_equal(f.err.key, "even");
    assert_int_equal(f.err.line, 2);
    done(&f);
}

static void test_options_describe_shows_the_bounds(void **state)
{
    struct sluice_buf out = { 0 };
    sluice_option_table_describe(&ranged_plugin, NULL, &out);
    assert_non_null(strstr(out.data, "tcp port (1 to 65535)\n"));
    assert_non_null(strstr(out.data, "how often (at least 1 second)\n"));
    sluice_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options_fill_every_type_from_config_values),
        cmocka_unit_test(test_options_take_a_double_from_a_float_and_a_list_from_an_array),
        cmocka_unit_test(test_options_apply_defaults_converted_from_their_text),
        cmocka_unit_test(test_options_refuse_quoted_numbers_and_booleans_in_the_file),
        cmocka_unit_test(test_options_convert_values_set_on_the_command_line),
        cmocka_unit_test(test_options_unknown_key_suggests_the_closest_option),
        cmocka_unit_test(test_options_unknown_key_may_suggest_a_core_key),
        cmocka_unit_test(test_options_unknown_key_far_from_all_points_to_the_plugin_help),
        cmocka_unit_test(test_options_missing_required_key_is_reported_at_the_stage),
        cmocka_unit_test(test_options_wrong_config_type_says_what_was_expected),
        cmocka_unit_test(test_options_bad_duration_text_names_the_value),
        cmocka_unit_test(test_options_enum_value_outside_the_choices_lists_them),
        cmocka_unit_test(test_options_schema_error_keeps_the_parser_message_and_the_setting_line),
        cmocka_unit_test(test_options_schema_file_is_read_from_the_config_directory),
        cmocka_unit_test(test_options_schema_file_in_the_config_directory_wins_over_the_current_one),
        cmocka_unit_test(test_options_missing_schema_file_says_where_it_was_looked_for),
        cmocka_unit_test(test_options_bad_default_in_the_table_is_a_plugin_error),
        cmocka_unit_test(test_options_type_names_read_well),
        cmocka_unit_test(test_options_describe_prints_the_plugin_and_its_table),
        cmocka_unit_test(test_options_a_long_too_big_for_64_bits_is_refused_naming_the_range),
        cmocka_unit_test(test_options_a_long_beyond_32_bits_written_without_L_keeps_its_value),
        cmocka_unit_test(test_options_values_within_their_bounds_and_defaults_pass),
        cmocka_unit_test(test_options_a_value_out_of_bounds_is_refused_naming_option_and_range),
        cmocka_unit_test(test_options_the_validate_hook_refuses_with_its_own_message),
        cmocka_unit_test(test_options_describe_shows_the_bounds),
    };
    return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
