#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "gen_tweets.h"
#include "timefmt.h"

/* ---- helpers ------------------------------------------------------------ */

static char *make_tmpdir(void)
{
    char *d = strdup("/tmp/sluice-test-gen-XXXXXX");
    assert_non_null(mkdtemp(d));
    return d;
}

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) remove_tree(path);
        else unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static char *read_whole(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    p[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return p;
}

static char *part_path(const char *dir, int n)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/part-%05d.json", dir, n);
    return path;
}

static struct sluice_gen_opts opts_for(const char *dir, int64_t files, int64_t rows)
{
    struct sluice_gen_opts o;
    sluice_gen_opts_init(&o);
    o.dir = dir;
    o.files = files;
    o.rows = rows;
    return o;
}

static void generate(const struct sluice_gen_opts *o)
{
    struct sluice_error err = { 0 };
    int rc = sluice_gen_tweets(o, &err);
    if (rc) fail_msg("sluice_gen_tweets: %s", err.message);
}

static size_t count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

/* Calls fn on each line of each file (file number, row within file, line). */
static void each_line(const char *dir, int files, void (*fn)(int, int, const char *, size_t, void *),
                      void *arg)
{
    for (int f = 0; f < files; f++) {
        size_t len;
        char *p = read_whole(part_path(dir, f), &len);
        int row = 0;
        for (char *s = p; s < p + len;) {
            char *nl = memchr(s, '\n', (size_t)(p + len - s));
            assert_non_null(nl); /* every line ends with a newline */
            fn(f, row++, s, (size_t)(nl - s), arg);
            s = nl + 1;
        }
        free(p);
    }
}

static size_t utf8_codepoints(const char *s, size_t n)
{
    size_t cp = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80) cp++;
    return cp;
}

/* Byte offset of code point `cp` in s. */
static size_t utf8_offset(const char *s, size_t cp)
{
    size_t i = 0, seen = 0;
    while (s[i]) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (seen == cp) return i;
            seen++;
        }
        i++;
    }
    return i;
}

/* ---- tests -------------------------------------------------------------- */

static void test_gen_same_seed_gives_identical_bytes(void **state)
{
    (void)state;
    char *a = make_tmpdir(), *b = make_tmpdir();
    struct sluice_gen_opts o = opts_for(a, 2, 300);
    o.late = 0.1;
    o.malformed = 0.05;
    generate(&o);
    o.dir = b;
    generate(&o);
    for (int f = 0; f < 2; f++) {
        size_t la, lb;
        char *pa = read_whole(part_path(a, f), &la);
        char *pb = read_whole(part_path(b, f), &lb);
        assert_int_equal(la, lb);
        assert_memory_equal(pa, pb, la);
        free(pa);
        free(pb);
    }
    remove_tree(a);
    remove_tree(b);
    free(a);
    free(b);
}

static void test_gen_different_seed_gives_different_bytes(void **state)
{
    (void)state;
    char *a = make_tmpdir(), *b = make_tmpdir();
    struct sluice_gen_opts o = opts_for(a, 1, 50);
    generate(&o);
    o.dir = b;
    o.seed = 43;
    generate(&o);
    size_t la, lb;
    char *pa = read_whole(part_path(a, 0), &la);
    char *pb = read_whole(part_path(b, 0), &lb);
    assert_true(la != lb || memcmp(pa, pb, la) != 0);
    free(pa);
    free(pb);
    remove_tree(a);
    remove_tree(b);
    free(a);
    free(b);
}

struct counts {
    int64_t lines, bad, covid, no_hashtags, late, verified;
    int64_t rows_per_file, first_index;
    int64_t start_us, step_us;
    size_t bytes;
};

static void check_line(int file, int row, const char *line, size_t len, void *arg)
{
    struct counts *c = arg;
    c->lines++;
    c->bytes += len + 1;
    assert_true(len > 0);
    json_error_t jerr;
    json_t *doc = json_loadb(line, len, 0, &jerr);
    if (!doc) {
        c->bad++;
        return;
    }
    json_t *data = json_object_get(doc, "data");
    assert_non_null(data);
    const char *text = json_string_value(json_object_get(data, "text"));
    assert_non_null(text);
    const char *lang = json_string_value(json_object_get(data, "lang"));
    assert_non_null(lang);
    const char *id = json_string_value(json_object_get(data, "id"));
    assert_non_null(id);
    assert_true(strspn(id, "0123456789") == strlen(id) && strlen(id) >= 15);
    char lower[2048];
    size_t tl = strlen(text);
    assert_true(tl < sizeof lower);
    for (size_t i = 0; i <= tl; i++)
        lower[i] = (char)(text[i] >= 'A' && text[i] <= 'Z' ? text[i] + 32 : text[i]);
    if (strstr(lower, "covid")) c->covid++;

    /* Hashtag spans index the text in code points, as Twitter's do. */
    json_t *hashtags = json_object_get(json_object_get(data, "entities"), "hashtags");
    if (!hashtags) c->no_hashtags++;
    size_t i;
    json_t *h;
    json_array_foreach(hashtags, i, h) {
        json_int_t start = json_integer_value(json_object_get(h, "start"));
        json_int_t end = json_integer_value(json_object_get(h, "end"));
        const char *tag = json_string_value(json_object_get(h, "tag"));
        size_t from = utf8_offset(text, (size_t)start), to = utf8_offset(text, (size_t)end);
        assert_int_equal(text[from], '#');
        assert_int_equal(to - from - 1, strlen(tag));
        assert_memory_equal(text + from + 1, tag, strlen(tag));
        assert_int_equal(utf8_codepoints(text + from, to - from), (size_t)(end - start));
    }

    json_t *pm = json_object_get(data, "public_metrics");
    assert_true(json_is_integer(json_object_get(pm, "like_count")));
    assert_true(json_is_integer(json_object_get(pm, "retweet_count")));
    json_t *user = json_array_get(json_object_get(json_object_get(doc, "includes"), "users"), 0);
    assert_non_null(user);
    assert_string_equal(json_string_value(json_object_get(user, "id")),
                        json_string_value(json_object_get(data, "author_id")));
    if (json_is_true(json_object_get(user, "verified"))) c->verified++;

    const char *created = json_string_value(json_object_get(data, "created_at"));
    assert_non_null(created);
    assert_int_equal(strlen(created), 24);
    int64_t us;
    assert_int_equal(sluice_time_parse(created, strlen(created), &us), 0);
    int64_t index = (c->first_index + file) * c->rows_per_file + row;
    int64_t expected = c->start_us + index * c->step_us;
    if (us != expected) {
        /* Late rows are 10 to 60 seconds behind the stream. */
        assert_true(us <= expected - 10 * 1000000LL);
        assert_true(us >= expected - 60 * 1000000LL);
        c->late++;
    }
    json_decref(doc);
}

static void test_gen_writes_every_row_and_only_the_malformed_fraction_fails_to_parse(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    struct sluice_gen_opts o = opts_for(dir, 4, 1000);
    o.malformed = 0.1;
    generate(&o);
    assert_int_equal(count_entries(dir), 4); /* no temporary file left behind */
    struct counts c = { .rows_per_file = 1000, .start_us = o.start_us, .step_us = o.step_ms * 1000 };
    each_line(dir, 4, check_line, &c);
    assert_int_equal(c.lines, 4000);
    assert_in_range(c.bad, 320, 480);
    assert_int_equal(c.late, 0);
    remove_tree(dir);
    free(dir);
}

static void test_gen_rows_look_like_the_labs_tweets(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    struct sluice_gen_opts o = opts_for(dir, 2, 2000);
    generate(&o);
    struct counts c = { .rows_per_file = 2000, .start_us = o.start_us, .step_us = o.step_ms * 1000 };
    each_line(dir, 2, check_line, &c);
    assert_int_equal(c.lines, 4000);
    assert_int_equal(c.bad, 0);
    assert_in_range(c.covid, 120, 280);        /* ~5% */
    assert_in_range(c.no_hashtags, 1400, 1800); /* ~40% */
    assert_in_range(c.verified, 250, 550);     /* ~10% */
    /* About 590 bytes a line, so 1M tweets are about 590 MB. */
    assert_in_range(c.bytes / 4000, 540, 650);
    remove_tree(dir);
    free(dir);
}

static void test_gen_late_rows_lag_the_stream_by_ten_to_sixty_seconds(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    struct sluice_gen_opts o = opts_for(dir, 2, 1000);
    o.late = 0.2;
    o.step_ms = 100;
    generate(&o);
    struct counts c = { .rows_per_file = 1000, .start_us = o.start_us, .step_us = 100000 };
    each_line(dir, 2, check_line, &c);
    assert_int_equal(c.bad, 0);
    assert_in_range(c.late, 320, 480);
    remove_tree(dir);
    free(dir);
}

static void test_gen_first_index_continues_the_same_stream(void **state)
{
    (void)state;
    char *whole = make_tmpdir(), *parts = make_tmpdir();
    struct sluice_gen_opts o = opts_for(whole, 3, 100);
    generate(&o);
    o.dir = parts;
    o.files = 1;
    o.first_index = 2;
    generate(&o);
    assert_int_equal(count_entries(parts), 1);
    size_t la, lb;
    char *pa = read_whole(part_path(whole, 2), &la);
    char *pb = read_whole(part_path(parts, 2), &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(pa, pb, la);
    free(pa);
    free(pb);
    struct counts c = { .rows_per_file = 100, .start_us = o.start_us, .step_us = o.step_ms * 1000 };
    each_line(whole, 3, check_line, &c); /* created_at runs on across files */
    assert_int_equal(c.lines, 300);
    remove_tree(whole);
    remove_tree(parts);
    free(whole);
    free(parts);
}

static void test_gen_creates_missing_directories(void **state)
{
    (void)state;
    char *base = make_tmpdir();
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/a/b", base);
    struct sluice_gen_opts o = opts_for(dir, 1, 3);
    generate(&o);
    size_t len;
    char *p = read_whole(part_path(dir, 0), &len);
    int lines = 0;
    for (size_t i = 0; i < len; i++) lines += p[i] == '\n';
    assert_int_equal(lines, 3);
    assert_true(strncmp(p, "{\"data\":{", 9) == 0);
    free(p);
    remove_tree(base);
    free(base);
}

static void test_gen_rejects_bad_options_naming_them(void **state)
{
    (void)state;
    struct sluice_error err = { 0 };
    struct sluice_gen_opts o = opts_for("/tmp/never-written", 1, 1);
    o.late = 1.5;
    assert_int_equal(sluice_gen_tweets(&o, &err), SLUICE_ECONFIG);
    assert_string_equal(err.message, "late must be a fraction between 0 and 1, got 1.5");
    o.late = 0;
    o.rows = -2;
    assert_int_equal(sluice_gen_tweets(&o, &err), SLUICE_ECONFIG);
    assert_string_equal(err.message, "rows must not be negative, got -2");
    o = opts_for(NULL, 1, 1);
    assert_int_equal(sluice_gen_tweets(&o, &err), SLUICE_ECONFIG);
    assert_string_equal(err.message, "no output directory given");
    o = opts_for("/dev/null/sub", 1, 1);
    assert_int_equal(sluice_gen_tweets(&o, &err), SLUICE_EIO);
    assert_string_equal(err.message, "cannot create directory '/dev/null/sub': Not a directory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gen_same_seed_gives_identical_bytes),
        cmocka_unit_test(test_gen_different_seed_gives_different_bytes),
        cmocka_unit_test(test_gen_writes_every_row_and_only_the_malformed_fraction_fails_to_parse),
        cmocka_unit_test(test_gen_rows_look_like_the_labs_tweets),
        cmocka_unit_test(test_gen_late_rows_lag_the_stream_by_ten_to_sixty_seconds),
        cmocka_unit_test(test_gen_first_index_continues_the_same_stream),
        cmocka_unit_test(test_gen_creates_missing_directories),
        cmocka_unit_test(test_gen_rejects_bad_options_naming_them),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
