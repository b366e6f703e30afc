/* Unit tests of the stddev example aggregator, with sluice's test kit:
 *   cc test_stddev.c $(pkg-config --cflags --libs sluice-testkit) -o test_stddev
 *   ./test_stddev path/to/sluice_aggregator_stddev.so */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/testkit.h>

static int failures;

static void expect(int line, char *got, const char *want)
{
    if (got && strcmp(got, want) == 0) {
        free(got);
        return;
    }
    fprintf(stderr, "test_stddev.c:%d: got\n%s\nwanted\n%s\n", line, got ? got : "(null)", want);
    free(got);
    failures++;
}

#define ROWS "{\"k\":\"a\",\"x\":2}\n{\"k\":\"b\",\"x\":1}\n{\"k\":\"a\",\"x\":4}\n{\"k\":\"a\",\"x\":4}\n" \
             "{\"k\":\"a\",\"x\":4}\n{\"k\":\"b\"}\n{\"k\":\"a\",\"x\":5}\n{\"k\":\"a\",\"x\":5}\n{\"k\":\"a\",\"x\":7}\n" \
             "{\"k\":\"a\",\"x\":9}\n{\"k\":\"c\"}\n"

static char *aggregate(struct sluice_testkit *tk, const char *agg, int parts, struct sluice_error *err)
{
    char *out = NULL;
    memset(err, 0, sizeof *err);
    sluice_testkit_aggregate(tk, "k STRING, x LONG", "k", agg, ROWS, parts, &out, err);
    return out;
}

int main(int argc, char **argv)
{
    if (argc != 2) return fprintf(stderr, "usage: test_stddev PLUGIN.so\n"), 2;
    struct sluice_testkit *tk;
    struct sluice_error err = { 0 };
    if (sluice_testkit_load(argv[1], &tk, &err)) return fprintf(stderr, "load: %s\n", err.message), 1;

    /* a: 2 4 4 4 5 5 7 9, mean 5, squared deviations 32: population 2, sample sqrt(32/7).
     * b: one value; c: none. */
    const char *want = "{\"k\":\"a\",\"sd\":2.138089935299395,\"pop\":2.0}\n"
                       "{\"k\":\"b\",\"sd\":null,\"pop\":0.0}\n"
                       "{\"k\":\"c\",\"sd\":null,\"pop\":null}\n";
    /* Partial states merged give what one pass gives, through a checkpoint. */
    for (int parts = 1; parts <= 4; parts++) {
        char *got = NULL;
        memset(&err, 0, sizeof err);
        if (sluice_testkit_aggregate(tk, "k STRING, x LONG", "k", "stddev(x) AS sd", ROWS, parts, &got, &err))
            fprintf(stderr, "aggregate: %s\n", err.message), failures++;
        char *pop = aggregate(tk, "stddev(x, 'pop') AS pop", parts, &err);
        /* Side by side, as one stage would print them. */
        char merged[1024] = "";
        for (char *a = got, *b = pop; a && b && *a;) {
            char *na = strchr(a, '\n'), *nb = strchr(b, '\n');
            char *pb = strstr(b, ",\"pop\":");
            if (!na || !nb || !pb) break;
            size_t used = strlen(merged);
            snprintf(merged + used, sizeof merged - used, "%.*s%.*s\n", (int)(na - a - 1), a, (int)(nb - pb), pb);
            a = na + 1;
            b = nb + 1;
        }
        free(got);
        free(pop);
        expect(__LINE__, strdup(merged), want);
    }

    /* The second argument arrives parsed: anything but 'pop' or 'samp' is refused, naming it. */
    char *none = aggregate(tk, "stddev(x, 'all')", 1, &err);
    if (none) fprintf(stderr, "'all' accepted\n"), failures++;
    expect(__LINE__, strdup(err.message), "stddev's second argument must be 'pop' or 'samp', got 'all'");
    aggregate(tk, "stddev(x, k)", 1, &err); /* a column where a literal goes: refused by the core */
    if (!strstr(err.message, "reads a column")) fprintf(stderr, "a column argument: %s\n", err.message), failures++;
    aggregate(tk, "stddev(k)", 1, &err);
    expect(__LINE__, strdup(err.message), "stddev expects a number, got string");
    sluice_testkit_free(tk);
    if (!failures) printf("ok test_stddev\n");
    return failures != 0;
}
