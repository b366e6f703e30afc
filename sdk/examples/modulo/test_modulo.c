/* Unit tests of the modulo example transform, with sluice's test kit:
 *   cc test_modulo.c $(pkg-config --cflags --libs sluice-testkit) -o test_modulo
 *   ./test_modulo path/to/sluice_transform_modulo.so */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/testkit.h>

static int failures;

/* Compare, say what differs, free `got`. */
static void expect(int line, char *got, const char *want)
{
    if (got && strcmp(got, want) == 0) {
        free(got);
        return;
    }
    fprintf(stderr, "test_modulo.c:%d: got\n%s\nwanted\n%s\n", line, got ? got : "(null)", want);
    free(got);
    failures++;
}

/* A fresh stage of the plugin opened with `settings`; *status is open's. */
static struct sluice_testkit *open_with(const char *so, const char *settings, int *status, struct sluice_error *err)
{
    struct sluice_testkit *tk;
    if (sluice_testkit_load(so, &tk, err)) {
        fprintf(stderr, "cannot load %s: %s\n", so, err->message);
        exit(1);
    }
    *status = sluice_testkit_open(tk, "id STRING, value LONG", settings, err);
    return tk;
}

int main(int argc, char **argv)
{
    if (argc != 2) return fprintf(stderr, "usage: test_modulo PLUGIN.so\n"), 2;
    struct sluice_error err = { 0 };
    int rc;

    /* Every input column passes through, the remainder is added; null in, null out. */
    struct sluice_testkit *tk = open_with(argv[1], "column = \"value\"; divisor = 4;", &rc, &err);
    if (rc) return fprintf(stderr, "open: %s\n", err.message), 1;
    expect(__LINE__, sluice_testkit_output_ddl(tk), "id STRING, value BIGINT, bucket BIGINT");
    expect(__LINE__, sluice_testkit_columns_read(tk), "value");
    char *out = NULL;
    rc = sluice_testkit_process(tk, "{\"id\":\"a\",\"value\":9}\n{\"id\":\"b\",\"value\":-6}\n{\"id\":\"c\"}\n", &out,
                                &err);
    if (rc) fprintf(stderr, "process: %s\n", err.message), failures++;
    expect(__LINE__, out, "{\"id\":\"a\",\"value\":9,\"bucket\":1}\n"
                          "{\"id\":\"b\",\"value\":-6,\"bucket\":-2}\n"
                          "{\"id\":\"c\",\"value\":null,\"bucket\":null}\n");
    rc = sluice_testkit_process(tk, "", &out, &err); /* a batch of no rows */
    expect(__LINE__, rc ? NULL : out, "");
    sluice_testkit_free(tk);

    /* The option's declared bound refuses 0 before open runs, naming it. */
    tk = open_with(argv[1], "column = \"value\"; divisor = 0;", &rc, &err);
    if (rc != SLUICE_ECONFIG || strcmp(err.key, "divisor") != 0) fprintf(stderr, "divisor 0 accepted\n"), failures++;
    expect(__LINE__, strdup(err.message), "must be at least 1, got 0");
    sluice_testkit_free(tk);

    /* A column of another type: the error points at `column`. */
    memset(&err, 0, sizeof err);
    tk = open_with(argv[1], "column = \"id\";", &rc, &err);
    if (rc != SLUICE_ECONFIG || strcmp(err.key, "column") != 0) fprintf(stderr, "a string column accepted\n"), failures++;
    expect(__LINE__, strdup(err.message), "column 'id' is a string, not a long");
    sluice_testkit_free(tk);

    if (!failures) printf("ok test_modulo\n");
    return failures != 0;
}
