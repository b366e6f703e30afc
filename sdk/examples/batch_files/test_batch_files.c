/* Unit tests of the batch_files example sink, with sluice's test kit:
 *   cc test_batch_files.c $(pkg-config --cflags --libs sluice-testkit) -o test_batch_files
 *   ./test_batch_files path/to/sluice_sink_batch_files.so */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sluice/testkit.h>

static int failures;

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    static char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strdup(buf);
}

static void expect(int line, char *got, const char *want)
{
    if (got && strcmp(got, want) == 0) {
        free(got);
        return;
    }
    fprintf(stderr, "test_batch_files.c:%d: got\n%s\nwanted\n%s\n", line, got ? got : "(null)", want);
    free(got);
    failures++;
}

int main(int argc, char **argv)
{
    if (argc != 2) return fprintf(stderr, "usage: test_batch_files PLUGIN.so\n"), 2;
    char dir[] = "/tmp/sluice-test-batch-files-XXXXXX", settings[128], path[128];
    if (!mkdtemp(dir)) return perror("mkdtemp"), 1;
    snprintf(settings, sizeof settings, "path = \"%s/out\";", dir);
    struct sluice_testkit *tk;
    struct sluice_error err = { 0 };
    if (sluice_testkit_load(argv[1], &tk, &err) || sluice_testkit_open(tk, "k STRING, n LONG", settings, &err))
        return fprintf(stderr, "open: %s\n", err.message), 1;

    /* One file per batch, every row as a JSON line. */
    if (sluice_testkit_sink_batch(tk, 0, "complete", "{\"k\":\"a\",\"n\":1}\n{\"k\":\"b\",\"n\":2}\n", &err))
        fprintf(stderr, "batch 0: %s\n", err.message), failures++;
    snprintf(path, sizeof path, "%s/out/batch-0.jsonl", dir);
    expect(__LINE__, slurp(path), "{\"k\":\"a\",\"n\":1}\n{\"k\":\"b\",\"n\":2}\n");
    /* A replayed batch id replaces its file: no row twice. */
    if (sluice_testkit_sink_batch(tk, 0, "complete", "{\"k\":\"a\",\"n\":3}\n", &err))
        fprintf(stderr, "replay: %s\n", err.message), failures++;
    expect(__LINE__, slurp(path), "{\"k\":\"a\",\"n\":3}\n");
    /* A batch without rows is an empty file. */
    if (sluice_testkit_sink_batch(tk, 1, "update", NULL, &err)) fprintf(stderr, "batch 1: %s\n", err.message), failures++;
    snprintf(path, sizeof path, "%s/out/batch-1.jsonl", dir);
    expect(__LINE__, slurp(path), "");
    sluice_testkit_free(tk);

    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) return 1;
    if (!failures) printf("ok test_batch_files\n");
    return failures != 0;
}
