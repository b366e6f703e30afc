/* Loading plugin files: the checks on each broken fixture, and the search path. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "registry.h"

#define FIXTURES SLUICE_TEST_BINARY_DIR "/test-plugins"

static char tmpdir[256];

static int setup(void **state)
{
    /* ctest points SLUICE_PLUGIN_PATH at the real plugins; these tests set it themselves. */
    unsetenv("SLUICE_PLUGIN_PATH");
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sluice-test-loader-XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    return 0;
}

static int teardown(void **state)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Copy fixture `file` into tmpdir/sub/; returns the directory. */
static const char *copy_fixture(const char *sub, const char *file)
{
    static char dir[3][300];
    static int next;
    char *d = dir[next++ % 3];
    snprintf(d, sizeof dir[0], "%s/%s", tmpdir, sub);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp '%s/%s' '%s/'", d, FIXTURES, file, d);
    assert_int_equal(system(cmd), 0);
    return d;
}

static void load_expecting(const char *file, int code, const char *message)
{
    char path[512], expected[1024];
    snprintf(path, sizeof path, "%s/%s", FIXTURES, file);
    snprintf(expected, sizeof expected, message, path);
    struct sluice_loaded l;
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_registry_load_file(path, &l, &err), code);
    assert_string_equal(err.message, expected);
    assert_null(l.plugin);
    assert_null(l.handle);
}

static void test_loader_loads_a_good_plugin(void **state)
{
    struct sluice_loaded l;
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_registry_load_file(FIXTURES "/sluice_source_good.so", &l, &err), SLUICE_OK);
    assert_non_null(l.plugin);
    assert_int_equal(l.plugin->kind, SLUICE_KIND_SOURCE);
    assert_string_equal(l.plugin->name, "good");
    assert_string_equal(l.path, FIXTURES "/sluice_source_good.so");
    assert_non_null(l.handle);
    sluice_registry_unload(&l);
    assert_null(l.path);
}

static void test_loader_rejects_plugin_without_entry_point(void **state)
{
    load_expecting("sluice_source_nosym.so", SLUICE_EPLUGIN,
                   "plugin file '%s' has no sluice_plugin_v1 symbol");
}

/* The hint a refused plugin file gets. */
static void load_expecting_hint(const char *file, const char *hint)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", FIXTURES, file);
    struct sluice_loaded l;
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_registry_load_file(path, &l, &err), SLUICE_EPLUGIN);
    assert_string_equal(err.hint, hint);
}

static void test_loader_rejects_plugin_built_for_the_older_abi_saying_to_rebuild_it(void **state)
{
    load_expecting("sluice_source_abi1.so", SLUICE_EPLUGIN,
                   "plugin file '%s' was built for ABI 1; this sluice speaks ABI 2");
    load_expecting_hint("sluice_source_abi1.so",
                        "rebuild the plugin against this sluice's SDK (include/sluice, ABI 2); 'ABI 2' in the "
                        "plugin author's guide (share/sluice/README.md) lists what changed");
}

static void test_loader_rejects_plugin_with_newer_abi(void **state)
{
    load_expecting("sluice_source_abi3.so", SLUICE_EPLUGIN,
                   "plugin file '%s' was built for ABI 3; this sluice speaks ABI 2");
    load_expecting_hint("sluice_source_abi3.so",
                        "the plugin needs a newer sluice: upgrade sluice, or rebuild the plugin against this "
                        "sluice's SDK (include/sluice, ABI 2)");
}

static void test_loader_rejects_plugin_with_too_small_descriptor(void **state)
{
    /* ABI 2 ends at destroy; fields added later must not raise the bar. */
    size_t v2_size = offsetof(struct sluice_plugin, destroy) + sizeof(((struct sluice_plugin *)0)->destroy);
    char msg[256];
    snprintf(msg, sizeof msg,
             "plugin file '%%s' declares a 16-byte descriptor; ABI 2 needs at least %zu bytes", v2_size);
    load_expecting("sluice_source_small.so", SLUICE_EPLUGIN, msg);
}

static void test_loader_rejects_sink_without_write(void **state)
{
    load_expecting("sluice_sink_nowrite.so", SLUICE_EPLUGIN,
                   "plugin file '%s': sink plugin 'nowrite' lacks the required callback 'write'");
}

static void test_loader_rejects_plugin_named_unlike_its_file(void **state)
{
    load_expecting("sluice_source_misnamed.so", SLUICE_EPLUGIN,
                   "plugin file '%s' holds source plugin 'other'");
}

static void test_loader_rejects_option_outside_the_conf_struct(void **state)
{
    load_expecting("sluice_source_offset.so", SLUICE_EPLUGIN,
                   "plugin file '%s': option 'n' (long at offset 16) does not fit in conf_size 16");
}

#define BADOPTS SLUICE_TEST_BINARY_DIR "/test-plugins-badopts"

static void load_bad(const char *file, const char *message)
{
    char path[512], expected[1024];
    snprintf(path, sizeof path, "%s/%s", BADOPTS, file);
    snprintf(expected, sizeof expected, message, path);
    struct sluice_loaded l;
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_registry_load_file(path, &l, &err), SLUICE_EPLUGIN);
    assert_string_equal(err.message, expected);
}

static void test_loader_rejects_two_options_of_one_name(void **state)
{
    load_bad("sluice_source_dupopt.so", "plugin file '%s': option 'n' is declared twice in the option table");
}

static void test_loader_rejects_an_option_named_like_a_core_key(void **state)
{
    load_bad("sluice_source_corekey.so",
             "plugin file '%s': option 'input' has the name of a key the core reads itself, so no config could set it");
}

static void test_loader_rejects_a_default_that_does_not_convert(void **state)
{
    load_bad("sluice_source_baddefault.so", "plugin file '%s': option 'n' has a bad default: expected an integer, got 'abc'");
}

static void test_loader_rejects_a_default_outside_the_option_range(void **state)
{
    load_bad("sluice_source_badrange.so",
             "plugin file '%s': option 'n' has a default out of its range: must be between 1 and 10, got 0");
}

static void test_loader_rejects_an_aggregator_without_serialize_even_without_a_checkpoint(void **state)
{
    load_bad("sluice_aggregator_noserial.so",
             "plugin file '%s': aggregator plugin 'noserial' lacks the required callback 'serialize'");
}

static void test_loader_reports_a_file_that_is_no_shared_object(void **state)
{
    char path[300];
    snprintf(path, sizeof path, "%s/sluice_source_text.so", tmpdir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("not an ELF file\n", f);
    fclose(f);
    struct sluice_loaded l;
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_registry_load_file(path, &l, &err), SLUICE_EPLUGIN);
    char prefix[400];
    snprintf(prefix, sizeof prefix, "cannot load plugin file '%s': ", path);
    assert_memory_equal(err.message, prefix, strlen(prefix));
}

static void test_registry_searches_given_dirs_then_environment_then_defaults(void **state)
{
    setenv("SLUICE_PLUGIN_PATH", "/env/one::/env/two/", 1);
    const char *dirs[] = { "/given", "/env/one" };
    struct sluice_registry *r = sluice_registry_new(dirs, 2);
    unsetenv("SLUICE_PLUGIN_PATH");
    size_t n;
    const char *const *d = sluice_registry_dirs(r, &n);
    assert_true(n >= 4);
    assert_string_equal(d[0], "/given");
    assert_string_equal(d[1], "/env/one");
    assert_string_equal(d[2], "/env/two"); /* duplicates and empty entries dropped */
    char exe[1024];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    assert_true(len > 0);
    exe[len] = '\0';
    strcpy(strrchr(exe, '/'), "/plugins");
    assert_string_equal(d[3], exe);
    /* Then the install's plugin directory relative to the binary
     * (bin/../lib/sluice/plugins), then the configured one. */
    assert_true(n >= 5);
    *strrchr(exe, '/') = '\0';
    assert_memory_equal(d[4], exe, strlen(exe)); /* the build tree has no such directory: not resolved */
    assert_non_null(strstr(d[4] + strlen(exe), "/../"));
    assert_string_equal(d[4] + strlen(d[4]) - strlen("/sluice/plugins"), "/sluice/plugins");
    sluice_registry_free(r);
}

static void test_registry_plugin_in_an_earlier_dir_wins(void **state)
{
    const char *a = copy_fixture("a", "sluice_source_good.so");
    const char *b = copy_fixture("b", "sluice_source_good.so");
    char expect[400];
    const struct sluice_loaded *l;
    struct sluice_error err = { 0 };

    const char *ab[] = { a, b };
    struct sluice_registry *r = sluice_registry_new(ab, 2);
    assert_int_equal(sluice_registry_find(r, SLUICE_KIND_SOURCE, "good", &l, &err), SLUICE_OK);
    snprintf(expect, sizeof expect, "%s/sluice_source_good.so", a);
    assert_string_equal(l->path, expect);
    const struct sluice_loaded *again;
    assert_int_equal(sluice_registry_find(r, SLUICE_KIND_SOURCE, "good", &again, &err), SLUICE_OK);
    assert_ptr_equal(again, l);
    sluice_registry_free(r);

    const char *ba[] = { b, a };
    r = sluice_registry_new(ba, 2);
    assert_int_equal(sluice_registry_find(r, SLUICE_KIND_SOURCE, "good", &l, &err), SLUICE_OK);
    snprintf(expect, sizeof expect, "%s/sluice_source_good.so", b);
    assert_string_equal(l->path, expect);
    sluice_registry_free(r);

    /* Directories given (runtime.plugin_path) come before SLUICE_PLUGIN_PATH. */
    setenv("SLUICE_PLUGIN_PATH", b, 1);
    r = sluice_registry_new(&a, 1);
    unsetenv("SLUICE_PLUGIN_PATH");
    assert_int_equal(sluice_registry_find(r, SLUICE_KIND_SOURCE, "good", &l, &err), SLUICE_OK);
    snprintf(expect, sizeof expect, "%s/sluice_source_good.so", a);
    assert_string_equal(l->path, expect);
    sluice_registry_free(r);
}

static void test_registry_unknown_plugin_suggests_the_closest_and_lists_the_search_path(void **state)
{
    const char *dirs[] = { FIXTURES };
    struct sluice_registry *r = sluice_registry_new(dirs, 1);
    const struct sluice_loaded *l;
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_registry_find(r, SLUICE_KIND_SINK, "colect", &l, &err), SLUICE_ECONFIG);
    assert_null(l);
    assert_string_equal(err.message, "unknown sink plugin 'colect'");
    size_t n;
    const char *const *d = sluice_registry_dirs(r, &n);
    char expect[2048];
    int used = snprintf(expect, sizeof expect, "did you mean 'collect'? (searched: ");
    for (size_t i = 0; i < n; i++) used += snprintf(expect + used, sizeof expect - (size_t)used, "%s%s", i ? ", " : "", d[i]);
    snprintf(expect + used, sizeof expect - (size_t)used, ")");
    expect[sizeof err.hint - 1] = '\0';
    assert_string_equal(err.hint, expect);

    sluice_error_clear(&err);
    assert_int_equal(sluice_registry_find(r, SLUICE_KIND_SINK, "zzzzzzzz", &l, &err), SLUICE_ECONFIG);
    assert_memory_equal(err.hint, "searched: " FIXTURES, strlen("searched: " FIXTURES));
    sluice_registry_free(r);
}

static void test_registry_plugin_of_another_kind_says_which(void **state)
{
    const char *dirs[] = { FIXTURES };
    struct sluice_registry *r = sluice_registry_new(dirs, 1);
    const struct sluice_loaded *l;
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_registry_find(r, SLUICE_KIND_SOURCE, "collect", &l, &err), SLUICE_ECONFIG);
    assert_string_equal(err.message, "unknown source plugin 'collect'");
    assert_string_equal(err.hint, "'collect' is a sink plugin: write sink = \"collect\"");
    sluice_registry_free(r);
}

static void test_registry_refuses_names_that_would_leave_the_plugin_dir(void **state)
{
    const char *dirs[] = { FIXTURES };
    struct sluice_registry *r = sluice_registry_new(dirs, 1);
    const struct sluice_loaded *l;
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_registry_find(r, SLUICE_KIND_SOURCE, "../test-plugins/sluice_source_good", &l, &err),
                     SLUICE_ECONFIG);
    assert_string_equal(err.message, "unknown source plugin '../test-plugins/sluice_source_good'");
    sluice_registry_free(r);
}

static void test_registry_broken_plugin_error_names_the_file(void **state)
{
    const char *dirs[] = { FIXTURES };
    struct sluice_registry *r = sluice_registry_new(dirs, 1);
    const struct sluice_loaded *l;
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_registry_find(r, SLUICE_KIND_SOURCE, "abi1", &l, &err), SLUICE_EPLUGIN);
    assert_string_equal(err.message, "plugin file '" FIXTURES "/sluice_source_abi1.so' was built for "
                                     "ABI 1; this sluice speaks ABI 2");
    sluice_registry_free(r);
}

struct broken_log {
    int count;
    char first[512];
};

static void on_broken(const struct sluice_error *err, void *arg)
{
    struct broken_log *b = arg;
    if (b->count++ == 0) snprintf(b->first, sizeof b->first, "%s", err->message);
}

static void test_registry_list_sorts_by_kind_and_name_and_reports_broken_files(void **state)
{
    const char *dirs[] = { FIXTURES };
    struct sluice_registry *r = sluice_registry_new(dirs, 1);
    const struct sluice_loaded *const *list;
    size_t n;
    struct broken_log broken = { 0 };
    assert_int_equal(sluice_registry_list(r, 0, &list, &n, on_broken, &broken), SLUICE_OK);
    /* Only the fixtures: the exe's plugins/ dir and the install dir hold none in a test run. */
    size_t k = 0;
    const char *expect[][2] = { { "source", "good" }, { "transform", "pick" },
                                { "sink", "appendonly" }, { "sink", "collect" } };
    for (size_t i = 0; i < n; i++) {
        if (strncmp(list[i]->path, FIXTURES "/", strlen(FIXTURES) + 1) != 0) continue;
        assert_true(k < 4);
        assert_string_equal(sluice_registry_kind_name(list[i]->plugin->kind), expect[k][0]);
        assert_string_equal(list[i]->plugin->name, expect[k][1]);
        k++;
    }
    assert_int_equal(k, 4);
    assert_int_equal(broken.count, 7); /* nosym, abi1, abi3, small, nowrite, misnamed, offset */
    assert_non_null(strstr(broken.first, FIXTURES "/sluice_"));

    assert_int_equal(sluice_registry_list(r, SLUICE_KIND_SINK, &list, &n, NULL, NULL), SLUICE_OK);
    for (size_t i = 0; i < n; i++) assert_int_equal(list[i]->plugin->kind, SLUICE_KIND_SINK);
    sluice_registry_free(r);
}

static void test_loader_reads_a_plugin_built_with_short_enums(void **state)
{
    /* -fshort-enums makes enum-typed fields one byte: ABI 1 had them in
     * the descriptor and option table, so such a plugin was misread. */
    struct sluice_loaded l;
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_registry_load_file(SLUICE_TEST_BINARY_DIR "/test-plugins-shortenums/"
                                               "sluice_transform_shortenums.so", &l, &err),
                     SLUICE_OK);
    assert_int_equal(l.plugin->kind, SLUICE_KIND_TRANSFORM);
    assert_string_equal(l.plugin->options[0].name, "use");
    assert_int_equal(l.plugin->options[0].type, SLUICE_OPT_STRING_LIST);
    assert_int_equal(l.plugin->options[3].type, SLUICE_OPT_BOOL);
    sluice_registry_unload(&l);
}

static void test_loader_kind_names(void **state)
{
    assert_string_equal(sluice_registry_kind_name(SLUICE_KIND_SOURCE), "source");
    assert_string_equal(sluice_registry_kind_name(SLUICE_KIND_TRANSFORM), "transform");
    assert_string_equal(sluice_registry_kind_name(SLUICE_KIND_AGGREGATOR), "aggregator");
    assert_string_equal(sluice_registry_kind_name(SLUICE_KIND_SINK), "sink");
    assert_string_equal(sluice_registry_kind_name((enum sluice_kind)9), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loader_loads_a_good_plugin),
        cmocka_unit_test(test_loader_rejects_plugin_without_entry_point),
        cmocka_unit_test(test_loader_rejects_plugin_built_for_the_older_abi_saying_to_rebuild_it),
        cmocka_unit_test(test_loader_rejects_plugin_with_newer_abi),
        cmocka_unit_test(test_loader_rejects_plugin_with_too_small_descriptor),
        cmocka_unit_test(test_loader_rejects_sink_without_write),
        cmocka_unit_test(test_loader_rejects_plugin_named_unlike_its_file),
        cmocka_unit_test(test_loader_rejects_option_outside_the_conf_struct),
        cmocka_unit_test(test_loader_rejects_two_options_of_one_name),
        cmocka_unit_test(test_loader_rejects_an_option_named_like_a_core_key),
        cmocka_unit_test(test_loader_rejects_a_default_that_does_not_convert),
        cmocka_unit_test(test_loader_rejects_a_default_outside_the_option_range),
        cmocka_unit_test(test_loader_rejects_an_aggregator_without_serialize_even_without_a_checkpoint),
        cmocka_unit_test(test_loader_reports_a_file_that_is_no_shared_object),
        cmocka_unit_test(test_registry_searches_given_dirs_then_environment_then_defaults),
        cmocka_unit_test(test_registry_plugin_in_an_earlier_dir_wins),
        cmocka_unit_test(test_registry_unknown_plugin_suggests_the_closest_and_lists_the_search_path),
        cmocka_unit_test(test_registry_plugin_of_another_kind_says_which),
        cmocka_unit_test(test_registry_refuses_names_that_would_leave_the_plugin_dir),
        cmocka_unit_test(test_registry_broken_plugin_error_names_the_file),
        cmocka_unit_test(test_registry_list_sorts_by_kind_and_name_and_reports_broken_files),
        cmocka_unit_test(test_loader_reads_a_plugin_built_with_short_enums),
        cmocka_unit_test(test_loader_kind_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
