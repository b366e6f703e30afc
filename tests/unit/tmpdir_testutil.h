/* A scratch directory per test binary, made by a cmocka group setup and
 * removed with everything in it by the teardown, and files written into it.
 * Header-only: each test is its own binary. */
#ifndef SLUICE_TESTS_TMPDIR_TESTUTIL_H
#define SLUICE_TESTS_TMPDIR_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>

static char tmpdir[256];

static int make_tmpdir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sluice-test-XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    return 0;
}

static int remove_tmpdir(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Write `text` to tmpdir/name; returns the path in a static buffer. */
static inline const char *write_file(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

#endif
