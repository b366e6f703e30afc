/* Loading a pipeline: the input is the text of a config file, loaded as
 * `sluice check` loads it (libconfig, runtime, stages, plugins and their
 * options, inputs, cycles) and, when that passes, opened (every plugin's
 * open(), schemas on every edge, expressions, aggregations, output modes,
 * projections). Either step may refuse the text, with a message; nothing
 * may crash or leak. The text is written to a scratch directory of its
 * own (where @include looks); relative paths in it name files under the
 * current directory, which loading and opening only read. libconfig leaks a few
 * bytes on some syntax errors by itself: lsan.supp names them. */
#include "fuzz_util.h"
#include "graph.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Not chdir: libFuzzer writes its corpus and crashes by relative paths. */
    static char path[300];
    if (!path[0]) {
        fuzz_use_build_plugins();
        snprintf(path, sizeof path, "%s/pipeline.conf", fuzz_scratch_dir("config"));
        sluice_log_set_level(SLUICE_LOG_ERROR); /* "stage 'x' will not run" and the like */
    }
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) fuzz_fail("cannot write %s", path);
    struct sluice_graph *g = NULL;
    struct sluice_error err = { 0 };
    int rc = sluice_graph_load(path, NULL, 0, &g, &err);
    fuzz_check_error(rc, &err);
    if (rc == SLUICE_OK) {
        struct sluice_buf plan = { 0 };
        sluice_graph_describe(g, &plan);
        rc = sluice_graph_open(g, &err);
        fuzz_check_error(rc, &err);
        if (rc == SLUICE_OK) {
            sluice_buf_clear(&plan);
            sluice_graph_describe(g, &plan);
        }
        sluice_buf_free(&plan);
        sluice_graph_free(g);
    } else if (g) {
        fuzz_fail("a failed load left a graph");
    }
    return 0;
}
