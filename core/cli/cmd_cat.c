/* core/cli/cmd_cat.c — `sluice cat PATH [--batch N] [--ignore-damaged]`: the
 * rows a sink committed, one JSON object per line.
 *
 * The output's format belongs to the sink that wrote it, so the command
 * only asks the sink plugin (the file sink unless --sink says otherwise)
 * for the committed rows through its read_committed callback, and renders
 * each as the console sink's jsonl format does. Which batches committed,
 * and what is damaged, is the plugin's to say; the exit status follows its
 * answer (1 for a damaged or unreadable output, 2 when PATH is not its
 * output). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/plugin.h>

#include "cli.h"
#include "error.h"
#include "host.h"
#include "mem.h"
#include "registry.h"
#include "render.h"

static const char help[] =
    "Usage: sluice cat PATH [--batch N] [--ignore-damaged] [--sink NAME] [--plugin-path DIR]...\n"
    "\n"
    "Print the rows a sink committed to PATH, one JSON object per line, in\n"
    "batch order, each row rendered as the console sink's jsonl format renders\n"
    "it. Files of batches that did not commit are never read. The sink is the\n"
    "file sink unless --sink names another that can read its output back.\n"
    "\n"
    "File sink output: the part files that PATH/_sluice_manifest lists, JSON\n"
    "lines or CSV. Every batch is checked first. A damaged one (a manifest\n"
    "missing or that does not parse, a part file missing or that does not\n"
    "decode, a row count that differs from the manifest's) is named on\n"
    "stderr, and nothing is printed unless --ignore-damaged is given.\n"
    "\n"
    "Options:\n"
    "  --batch N           print only batch N\n"
    "  --ignore-damaged    print what can be read of a damaged output (said on stderr)\n"
    "  --sink NAME         the sink plugin that wrote PATH (default: file)\n"
    "  --plugin-path DIR   search DIR for plugins first (as `sluice plugins`)\n"
    "  -h, --help          this help\n"
    "\n"
    "Exit status: 0 success, 1 unreadable or damaged output (also with\n"
    "--ignore-damaged), 2 usage error or PATH not the sink's output.\n";

/* Rendered rows are written to stdout in pieces of about this size. */
#define FLUSH_AT (64u << 10)

struct cat_out {
    struct sluice_buf buf;
};

static int flush_rows(struct cat_out *o, struct sluice_error *err)
{
    if (o->buf.len && fwrite(o->buf.data, 1, o->buf.len, stdout) != o->buf.len)
        return sluice_error_set(err, SLUICE_EIO, "cannot write to standard output: %s", strerror(errno));
    sluice_buf_clear(&o->buf);
    return SLUICE_OK;
}

/* read_committed's emit: render the batch's rows. */
static int print_rows(void *arg, struct sluice_batch *b, struct sluice_error *err)
{
    struct cat_out *o = arg;
    int rc = SLUICE_OK;
    int64_t n = sluice_batch_rows(b);
    for (int64_t r = 0; r < n && !rc; r++) {
        sluice_render_row_json(b, r, &o->buf);
        sluice_buf_putc(&o->buf, '\n');
        if (o->buf.len >= FLUSH_AT) rc = flush_rows(o, err);
    }
    sluice_batch_release(b);
    return rc;
}

static int cat(struct sluice_registry *reg, const char *sink, const struct sluice_read_request *req,
               struct sluice_error *err)
{
    const struct sluice_loaded *l;
    int rc = sluice_registry_find(reg, SLUICE_KIND_SINK, sink, &l, err);
    if (rc) return rc;
    if (!SLUICE_PLUGIN_HAS(l->plugin, read_committed) || !l->plugin->read_committed) {
        rc = sluice_error_set(err, SLUICE_ECONFIG, "sink plugin '%s' cannot read back what it wrote", sink);
        sluice_error_hint(err, "its descriptor has no read_committed (%s)", l->path);
        return rc;
    }
    struct cat_out o = { 0 };
    rc = l->plugin->read_committed(sluice_host(), req, print_rows, &o, err);
    /* What was read is printed even when the rest failed (--ignore-damaged,
     * a file that changed under us): the error says so. */
    struct sluice_error ferr = { 0 };
    int frc = flush_rows(&o, &ferr);
    if (!frc && fflush(stdout) != 0)
        frc = sluice_error_set(&ferr, SLUICE_EIO, "cannot write to standard output: %s", strerror(errno));
    if (frc && !rc) {
        *err = ferr;
        rc = frc;
    }
    sluice_buf_free(&o.buf);
    return rc;
}

int sluice_cmd_cat(int argc, char **argv)
{
    struct sluice_read_request req = { .size = sizeof req, .batch = -1 };
    const char *sink = "file";
    const char **dirs = sluice_xcalloc((size_t)argc + 1, sizeof *dirs);
    size_t n_dirs = 0;
    int usage = -1;
    for (int i = 0; i < argc && usage < 0; i++) {
        const char *a = argv[i];
        if (sluice_cli_is_help(a)) {
            fputs(help, stdout);
            usage = 0;
        } else if (strcmp(a, "--batch") == 0) {
            if (i + 1 >= argc || !sluice_cli_parse_i64(argv[i + 1], &req.batch) || req.batch < 0)
                usage = sluice_cli_usage_error("cat ", "--batch needs a batch id (0, 1, ...)");
            i++;
        } else if (strcmp(a, "--ignore-damaged") == 0) {
            req.ignore_damaged = true;
        } else if (strcmp(a, "--sink") == 0 || strcmp(a, "--plugin-path") == 0) {
            if (i + 1 >= argc) usage = sluice_cli_usage_error("cat ", "%s needs a value", a);
            else if (a[2] == 's') sink = argv[++i];
            else dirs[n_dirs++] = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            usage = sluice_cli_usage_error("cat ", "unknown option '%s'", a);
        } else if (!req.path) {
            req.path = a;
        } else {
            usage = sluice_cli_usage_error("cat ", "unexpected argument '%s'", a);
        }
    }
    if (usage < 0 && !req.path) usage = sluice_cli_usage_error("cat ", "missing PATH");
    if (usage >= 0) {
        free(dirs);
        return usage;
    }
    sluice_cli_init_logging(0);
    struct sluice_registry *reg = sluice_registry_new(dirs, n_dirs);
    struct sluice_error err = { 0 };
    int rc = cat(reg, sink, &req, &err);
    sluice_registry_free(reg);
    free(dirs);
    return rc ? sluice_cli_fail(&err) : 0;
}
