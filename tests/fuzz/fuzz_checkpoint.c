/* Recovery from a damaged checkpoint. At start the harness runs a real
 * pipeline (file source, watermark, sliding window, every aggregator) for
 * two batches and keeps the checkpoint it wrote as a template: metadata,
 * offsets, commits, state snapshots and deltas, the source's file log.
 * For each input it puts the template back, replaces one of its files,
 * and runs the pipeline again as `sluice run` would after a crash:
 * recovery reads every file, and one more batch (a third input file) runs
 * on the restored state. That may fail, with a clear message; it must not
 * crash, leak or hang.
 *
 * The input: byte 0 picks the file (its index among the template's files,
 * sorted by path); byte 1, bit 0 set: the rest is the whole file, header
 * included, so the reader's own checks are what is fuzzed; clear: the rest
 * is the payload, written with a correct header and checksum of the file's
 * kind (what a bug, not a bad disk, would write), so the payload parsers
 * behind the checksum are reached. Bit 1 set: the file is deleted. */
#include "checkpoint_file.h"
#include "engine.h"
#include "fuzz_util.h"
#include "graph.h"

/* %1$s is the scratch directory (no chdir: libFuzzer writes its corpus and
 * crashes by relative paths). */
static const char pipeline[] =
    "name = \"fuzz_checkpoint\";\n"
    "runtime = { trigger = \"available_now\"; threads = 1; shuffle_partitions = 2; checkpoint = \"%1$s/ckpt\"; };\n"
    "stages = (\n"
    "  { name = \"events\"; source = \"file\"; path = \"%1$s/in\"; format = \"json\"; max_files_per_trigger = 1;\n"
    "    schema = \"lang STRING, t TIMESTAMP, tag STRING, n LONG, x DOUBLE\";\n"
    "    watermark = { column = \"t\"; delay = \"10 seconds\"; }; },\n"
    "  { name = \"counts\"; input = \"events\";\n"
    "    window = { column = \"t\"; duration = \"10 seconds\"; slide = \"5 seconds\"; };\n"
    "    group_by = [\"lang\"];\n"
    "    aggregate = [\"count(*) AS c\", \"count(n)\", \"sum(n)\", \"avg(x)\", \"min(tag)\", \"max(t)\",\n"
    "                 \"count(DISTINCT tag)\", \"approx_count_distinct(tag)\"]; },\n"
    "  { name = \"out\"; input = \"counts\"; sink = \"memory\"; query_name = \"out\"; output_mode = \"append\"; }\n"
    ");\n";

static const char *const inputs[] = {
    "{\"lang\":\"en\",\"t\":\"2021-05-03T07:55:40Z\",\"tag\":\"a\",\"n\":1,\"x\":0.5}\n"
    "{\"lang\":\"fr\",\"t\":\"2021-05-03T07:55:43Z\",\"tag\":\"b\",\"n\":2,\"x\":1.5}\n"
    "{\"lang\":null,\"t\":\"2021-05-03T07:55:44Z\",\"tag\":null}\n",
    "{\"lang\":\"en\",\"t\":\"2021-05-03T07:55:52Z\",\"tag\":\"a\",\"n\":-3,\"x\":-1e300}\n"
    "{\"lang\":\"de\",\"t\":\"2021-05-03T07:56:10Z\",\"tag\":\"c\",\"n\":9223372036854775807}\n",
    "{\"lang\":\"en\",\"t\":\"2021-05-03T07:56:30Z\",\"tag\":\"d\",\"n\":4,\"x\":2}\n"
    "{\"lang\":\"fr\",\"t\":\"2021-05-03T07:55:30Z\",\"tag\":\"late\",\"n\":5}\n",
};

static char dir[256], config[300];

struct file {
    char *path; /* under the scratch directory: <dir>/ckpt/... */
    char kind[SLUICE_CHECKPOINT_KIND_MAX + 1];
    uint8_t *data;
    size_t len;
};

static struct file *files;
static size_t n_files;

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) fuzz_fail("cannot write %s", path);
}

static int keep(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    if (type != FTW_F) return 0;
    files = realloc(files, (n_files + 1) * sizeof *files);
    struct file *f = &files[n_files++];
    memset(f, 0, sizeof *f);
    f->path = strdup(path);
    uint64_t len;
    struct sluice_error err = { 0 };
    if (sluice_checkpoint_file_peek(path, f->kind, &len, &err)) fuzz_fail("template: %s", err.message);
    FILE *in = fopen(path, "rb");
    f->len = (size_t)st->st_size;
    f->data = malloc(f->len + 1);
    if (!in || fread(f->data, 1, f->len, in) != f->len) fuzz_fail("cannot read %s", path);
    fclose(in);
    return 0;
}

static int by_path(const void *a, const void *b)
{
    return strcmp(((const struct file *)a)->path, ((const struct file *)b)->path);
}

static void make_parents(const char *path)
{
    char *p = strdup(path);
    for (char *s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        mkdir(p, 0755);
        *s = '/';
    }
    free(p);
}

/* Load, open and run the pipeline: recovery, then at most one batch. */
static int run(struct sluice_error *err)
{
    struct sluice_graph *g = NULL;
    int rc = sluice_graph_load(config, NULL, 0, &g, err);
    if (!rc) rc = sluice_graph_open(g, err);
    if (!rc) {
        struct sluice_run_opts opts = { .max_batches = 1 };
        rc = sluice_engine_run(g, &opts, err);
    }
    sluice_graph_free(g);
    return rc;
}

static void make_template(void)
{
    fuzz_use_build_plugins();
    sluice_log_set_level(SLUICE_LOG_ERROR);
    snprintf(dir, sizeof dir, "%s", fuzz_scratch_dir("checkpoint"));
    snprintf(config, sizeof config, "%s/pipeline.conf", dir);
    char text[sizeof pipeline + 4 * sizeof dir], path[sizeof dir + 32];
    write_file(config, text, (size_t)snprintf(text, sizeof text, pipeline, dir));
    snprintf(path, sizeof path, "%s/in", dir);
    mkdir(path, 0755);
    for (int i = 0; i < 3; i++) {
        if (i == 2) {
            struct sluice_error err = { 0 };
            for (int k = 0; k < 2; k++)
                if (run(&err)) fuzz_fail("making the template: %s", err.message);
            snprintf(path, sizeof path, "%s/ckpt", dir);
            if (nftw(path, keep, 16, FTW_PHYS) != 0 || !n_files) fuzz_fail("no checkpoint written");
            qsort(files, n_files, sizeof *files, by_path);
        }
        snprintf(path, sizeof path, "%s/in/%d.json", dir, i + 1);
        write_file(path, inputs[i], strlen(inputs[i]));
    }
    /* For seeds: SLUICE_FUZZ_SEEDS=DIR writes both forms of every file. */
    const char *seeds = getenv("SLUICE_FUZZ_SEEDS");
    for (size_t i = 0; seeds && i < n_files; i++) {
        for (int raw = 0; raw < 2; raw++) {
            char name[4096];
            snprintf(name, sizeof name, "%s/%s-%s", seeds, raw ? "raw" : "payload",
                     files[i].path + strlen(dir) + strlen("/ckpt/"));
            for (char *p = name + strlen(seeds) + 1; *p; p++) *p = *p == '/' ? '_' : *p;
            const uint8_t *body = files[i].data;
            size_t len = files[i].len;
            if (!raw) {
                const uint8_t *nl = memchr(body, '\n', len);
                len -= (size_t)(nl + 1 - body);
                body = nl + 1;
            }
            uint8_t *out = malloc(len + 2);
            out[0] = (uint8_t)i;
            out[1] = (uint8_t)raw;
            memcpy(out + 2, body, len);
            write_file(name, out, len + 2);
            free(out);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!files) make_template();
    if (size < 2) return 0;
    char ckpt[sizeof dir + 8];
    snprintf(ckpt, sizeof ckpt, "%s/ckpt", dir);
    if (fuzz_remove_tree(ckpt) != 0) fuzz_fail("cannot remove the checkpoint");
    for (size_t i = 0; i < n_files; i++) {
        make_parents(files[i].path);
        write_file(files[i].path, files[i].data, files[i].len);
    }
    const struct file *f = &files[data[0] % n_files];
    if (data[1] & 2) {
        remove(f->path);
    } else if (data[1] & 1) {
        write_file(f->path, data + 2, size - 2);
    } else {
        char *parent = strdup(f->path);
        *strrchr(parent, '/') = '\0';
        struct sluice_error err = { 0 };
        if (sluice_checkpoint_file_write(parent, strrchr(f->path, '/') + 1, f->kind, data + 2, size - 2, &err))
            fuzz_fail("%s", err.message);
        free(parent);
    }
    struct sluice_error err = { 0 };
    int rc = run(&err);
    fuzz_check_error(rc, &err);
    if (rc == SLUICE_EINTERNAL) fuzz_fail("internal error: %s", err.message);
    return 0;
}
