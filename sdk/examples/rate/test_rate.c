/* Unit tests of the rate example source, with sluice's test kit:
 *   cc test_rate.c $(pkg-config --cflags --libs sluice-testkit) -o test_rate
 *   ./test_rate path/to/sluice_source_rate.so */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sluice/testkit.h>

static int failures;

static void expect(int line, char *got, const char *want)
{
    if (got && strcmp(got, want) == 0) {
        free(got);
        return;
    }
    fprintf(stderr, "test_rate.c:%d: got\n%s\nwanted\n%s\n", line, got ? got : "(null)", want);
    free(got);
    failures++;
}

static struct sluice_testkit *open_rate(const char *so, const char *meta_dir, const char *settings)
{
    struct sluice_testkit *tk;
    struct sluice_error err = { 0 };
    if (sluice_testkit_load(so, &tk, &err)) fprintf(stderr, "load: %s\n", err.message), exit(1);
    sluice_testkit_set_meta_dir(tk, meta_dir);
    if (sluice_testkit_open(tk, NULL, settings, &err)) fprintf(stderr, "open: %s\n", err.message), exit(1);
    return tk;
}

/* The rows of (start, end], as JSON lines. */
static char *read_range(struct sluice_testkit *tk, const char *start, const char *end, size_t *units)
{
    char *rows = NULL;
    struct sluice_error err = { 0 };
    if (sluice_testkit_read(tk, start, end, &rows, units, &err)) fprintf(stderr, "read: %s\n", err.message), failures++;
    return rows;
}

int main(int argc, char **argv)
{
    if (argc != 2) return fprintf(stderr, "usage: test_rate PLUGIN.so\n"), 2;
    struct sluice_error err = { 0 };

    /* A start in the past: every row up to the limit is due; a batch is capped. */
    struct sluice_testkit *tk = open_rate(argv[1], NULL, "rows_per_second = 10; limit = 25; max_rows_per_trigger = 10; "
                                                         "num_partitions = 3; start = \"2021-05-03T07:55:40Z\";");
    expect(__LINE__, sluice_testkit_output_ddl(tk), "timestamp TIMESTAMP, value BIGINT");
    char *end = NULL;
    sluice_testkit_latest_offset(tk, NULL, true, &end, &err);
    expect(__LINE__, end ? strdup(end) : NULL, "{\"value\":10}");
    size_t units = 0;
    char *rows = read_range(tk, NULL, end, &units);
    if (units != 3) fprintf(stderr, "test_rate.c:%d: %zu units, wanted 3\n", __LINE__, units), failures++;
    const char *head = "{\"timestamp\":\"2021-05-03T07:55:40.000Z\",\"value\":0}\n"
                       "{\"timestamp\":\"2021-05-03T07:55:40.100Z\",\"value\":1}\n";
    if (!rows || strncmp(rows, head, strlen(head)) != 0 || !strstr(rows, "40.900Z\",\"value\":9}\n"))
        fprintf(stderr, "test_rate.c:%d: rows\n%s", __LINE__, rows ? rows : "(null)"), failures++;
    free(rows);
    char *last = NULL;
    sluice_testkit_latest_offset(tk, "{\"value\":20}", true, &last, &err);
    expect(__LINE__, last, "{\"value\":25}"); /* the limit */
    free(end);
    sluice_testkit_free(tk);

    /* Without a start, the first run's start time is kept in the checkpoint
     * and read back in prepare: a restart reads the same rows for the same
     * offsets, which is what makes a replay exactly-once. */
    char dir[] = "/tmp/sluice-test-rate-XXXXXX";
    if (!mkdtemp(dir)) return perror("mkdtemp"), 1;
    tk = open_rate(argv[1], dir, "rows_per_second = 1000; limit = 5;");
    char *first = read_range(tk, NULL, "{\"value\":5}", NULL);
    sluice_testkit_free(tk);
    usleep(20000);
    tk = open_rate(argv[1], dir, "rows_per_second = 1000; limit = 5;");
    expect(__LINE__, read_range(tk, NULL, "{\"value\":5}", NULL), first ? first : "");
    sluice_testkit_free(tk);
    free(first);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) return 1;

    if (!failures) printf("ok test_rate\n");
    return failures != 0;
}
