/* Helpers shared by the harnesses (header-only: each harness is its own
 * binary). A harness checks what it gets back and calls fuzz_fail() when
 * it is wrong, so libFuzzer (and the replay under ctest) count it as a
 * crash: an invalid batch, a result that does not round-trip, an error
 * without a message. */
#ifndef SLUICE_TESTS_FUZZ_UTIL_H
#define SLUICE_TESTS_FUZZ_UTIL_H

#include <dirent.h>
#include <dlfcn.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder.h"
#include "decode.h"
#include "error.h"
#include "log.h"
#include "render.h"
#include "schema.h"
#include "validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

__attribute__((noreturn, format(printf, 1, 2))) static void fuzz_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

/* The input as a NUL-terminated string (the caller frees it). */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s) abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* Plugins come from this build. Each is loaded once here and kept, so the
 * registries the harness makes and frees per input find it loaded (fast)
 * and never unload it: libFuzzer registers an instrumented library's
 * coverage counters each time it is loaded, and a library loaded again and
 * again would use up its table of modules. */
static inline void fuzz_use_build_plugins(void)
{
    static const char dir[] = SLUICE_TEST_BINARY_DIR "/plugins";
    setenv("SLUICE_PLUGIN_PATH", dir, 1);
    DIR *d = opendir(dir);
    if (!d) fuzz_fail("no plugins in %s: build them first", dir);
    for (struct dirent *e; (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        if (n < 4 || strcmp(e->d_name + n - 3, ".so") != 0) continue;
        char path[sizeof dir + 256];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (!dlopen(path, RTLD_NOW | RTLD_LOCAL)) fuzz_fail("cannot load %s: %s", path, dlerror());
    }
    closedir(d);
}

static char fuzz_scratch[256];

static int fuzz_remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    return remove(path);
}

/* Remove a directory tree (a no-op when it does not exist). */
static inline int fuzz_remove_tree(const char *path)
{
    return access(path, F_OK) != 0 ? 0 : nftw(path, fuzz_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void fuzz_remove_scratch(void)
{
    fuzz_remove_tree(fuzz_scratch);
}

/* A scratch directory, on tmpfs where there is one (harnesses that write
 * files per input fsync some of them, which is free there), removed when
 * the process exits normally. */
static inline const char *fuzz_scratch_dir(const char *what)
{
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(fuzz_scratch, sizeof fuzz_scratch, "%s/sluice-fuzz-%s.XXXXXX", base, what);
    if (!mkdtemp(fuzz_scratch)) fuzz_fail("cannot make a scratch directory in %s", base);
    atexit(fuzz_remove_scratch);
    return fuzz_scratch;
}

/* A batch must be well-formed for its schema and render row by row. */
static inline void fuzz_check_batch(const struct ArrowSchema *schema, const struct sluice_batch *b)
{
    char why[512];
    if (sluice_array_validate(schema, &b->array, why) != 0) fuzz_fail("invalid batch: %s", why);
    struct sluice_buf out = { 0 };
    struct sluice_batch view = { b->array, schema };
    view.array.release = NULL; /* borrowed */
    for (int64_t r = 0; r < b->array.length; r++) {
        sluice_buf_clear(&out);
        sluice_render_row_json(&view, r, &out);
        for (int64_t c = 0; c < b->array.n_children; c++) sluice_render_cell_text(&view, c, r, &out);
    }
    sluice_buf_free(&out);
}

/* An error must say what went wrong. SLUICE_FUZZ_VERBOSE=1 prints it, to
 * see how far the inputs of a corpus get. */
static inline void fuzz_check_error(int rc, const struct sluice_error *err)
{
    if (rc && !err->message[0]) fuzz_fail("error %d without a message", rc);
    if (rc && getenv("SLUICE_FUZZ_VERBOSE")) fprintf(stderr, "fuzz: refused (%d): %s\n", rc, err->message);
}

/* A fixed batch: `schema_text` parsed into *schema, `jsonl` decoded by the
 * JSON reader into *out (both the caller's). */
static inline void fuzz_rows(const char *schema_text, const char *jsonl, struct ArrowSchema *schema,
                             struct sluice_batch *out)
{
    struct sluice_error err = { 0 };
    if (sluice_schema_parse(schema_text, schema, &err)) fuzz_fail("schema: %s", err.message);
    struct sluice_decode_opts o = { .size = sizeof o, .format = "json", .schema = schema,
                                    .mode = SLUICE_PARSE_FAIL_FAST };
    struct sluice_decoder *d;
    struct sluice_decode_stats stats = { 0 };
    struct sluice_decode_input in = { jsonl, strlen(jsonl), "rows", 1, true };
    if (sluice_decoder_new(&o, &d, &err) || sluice_decode(d, &in, out, &stats, &err))
        fuzz_fail("rows: %s", err.message);
    sluice_decoder_free(d);
    out->schema = schema;
}

#endif
