/* The file source's Spark options beyond the basics, loaded from the real
 * .so and driven as the engine drives it: path_glob_filter,
 * max_bytes_per_trigger, max_file_age, clean_source. Expected files and
 * offsets are worked out by hand in each test's comment. */
#include "file_harness.h"

static void write_files(struct fx *fx, const char *const *names)
{
    for (size_t i = 0; names[i]; i++) {
        char line[128];
        snprintf(line, sizeof line, "{\"a\":\"%s\"}\n", names[i]);
        write_file(fx, names[i], line);
    }
}

/* ---- path_glob_filter --------------------------------------------------- */

static const char *const mixed[] = { "tweets-1.json", "tweets-2.json", "tweets-10.json", "other.json",
                                     "tweets-3.csv", "notes.txt", "a1.json", "a3.json", "b.json", NULL };

/* Read every file the filter lets through: their names, in name order. */
static char *names_through(struct fx *fx, const char *glob)
{
    char extra[256];
    snprintf(extra, sizeof extra, "path_glob_filter = \"%s\";", glob);
    open_source(fx, NULL, extra);
    const char *end = latest(fx, NULL, true);
    char *rows = end[0] ? read_range(fx, NULL, end, NULL, NULL) : strdup("");
    close_source(fx);
    return rows;
}

static void test_path_glob_filter_matches_file_names_as_hadoop_globs(void **state)
{
    struct fx *fx = *state;
    write_files(fx, mixed);
    /* '?' is one character: tweets-10.json has two. */
    char *rows = names_through(fx, "tweets-?.json");
    assert_string_equal(rows, "{\"a\":\"tweets-1.json\",\"n\":null}\n{\"a\":\"tweets-2.json\",\"n\":null}\n");
    free(rows);
    /* Braces are alternatives: .json or .csv, not .txt. */
    rows = names_through(fx, "*.{json,csv}");
    assert_string_equal(rows, "{\"a\":\"a1.json\",\"n\":null}\n{\"a\":\"a3.json\",\"n\":null}\n"
                              "{\"a\":\"b.json\",\"n\":null}\n{\"a\":\"other.json\",\"n\":null}\n"
                              "{\"a\":\"tweets-1.json\",\"n\":null}\n{\"a\":\"tweets-10.json\",\"n\":null}\n"
                              "{\"a\":\"tweets-2.json\",\"n\":null}\n{\"a\":\"tweets-3.csv\",\"n\":null}\n");
    free(rows);
    /* A negated class: names not starting with t, a or b. */
    rows = names_through(fx, "[!tab]*");
    assert_string_equal(rows, "{\"a\":\"notes.txt\",\"n\":null}\n{\"a\":\"other.json\",\"n\":null}\n");
    free(rows);
    /* Nested braces, and a range: a1, a2 (absent) or b; a3 is not in [1-2]. */
    rows = names_through(fx, "{a[1-2],b}.json");
    assert_string_equal(rows, "{\"a\":\"a1.json\",\"n\":null}\n{\"a\":\"b.json\",\"n\":null}\n");
    free(rows);
    /* A quoted '*' is a star, which no name holds. */
    rows = names_through(fx, "\\\\*.json");
    assert_string_equal(rows, "");
    free(rows);
}

static void test_path_glob_filter_leaves_files_out_for_good_but_reads_matching_newcomers(void **state)
{
    struct fx *fx = *state;
    open_source(fx, NULL, "path_glob_filter = \"*.json\";");
    write_file(fx, "a.json", "{\"a\":\"a\"}\n");
    write_file(fx, "a.txt", "{\"a\":\"txt\"}\n");
    assert_string_equal(latest(fx, NULL, true), "{\"logOffset\":1}");
    write_file(fx, "b.txt", "{\"a\":\"txt\"}\n");
    assert_string_equal(latest(fx, "{\"logOffset\":1}", true), "{\"logOffset\":1}");
    write_file(fx, "b.json", "{\"a\":\"b\"}\n");
    assert_string_equal(latest(fx, "{\"logOffset\":1}", true), "{\"logOffset\":2}");
    char *rows = read_range(fx, NULL, "{\"logOffset\":2}", NULL, NULL);
    assert_string_equal(rows, "{\"a\":\"a\",\"n\":null}\n{\"a\":\"b\",\"n\":null}\n");
    free(rows);
}

static void test_path_glob_filter_refuses_an_unclosed_brace(void **state)
{
    struct fx *fx = *state;
    assert_int_equal(open_source_with(fx, fx->dir, NULL, "path_glob_filter = \"*.{json,csv\";"), SLUICE_ECONFIG);
    assert_string_equal(fx->err.message, "glob '*.{json,csv' has a '{' that is not closed");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_path_glob_filter_matches_file_names_as_hadoop_globs),
        T(test_path_glob_filter_leaves_files_out_for_good_but_reads_matching_newcomers),
        T(test_path_glob_filter_refuses_an_unclosed_brace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
