#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"
#include "engine.h"
#include "graph.h"
#include "http.h"
#include "log.h"
#include "status_line.h"

static const char help[] =
    "Usage: sluice run CONFIG [--set key=value]... [options]\n"
    "\n"
    "Run the pipeline in CONFIG as a sequence of micro-batches. The trigger\n"
    "(runtime.trigger) decides when batches run; \"once\" and \"available_now\"\n"
    "stop by themselves, other triggers run until Ctrl-C or SIGTERM, which let\n"
    "the current batch finish and exit 0.\n"
    "\n"
    "Options:\n"
    "  -s, --set key=value   override a setting: STAGE.key, runtime.key or a top-level key\n"
    "                        (e.g. --set tweets.path=/data --set runtime.trigger=once)\n"
    "  --max-batches N       stop after N micro-batches\n"
    "  -v, --verbose         one line per batch and what the run does (info);\n"
    "                        -v -v adds progress records, state and checkpoint details (debug)\n"
    "  -q, --quiet           errors only: no warnings, notices or status line\n"
    "  -h, --help            this help\n"
    "\n"
    "SLUICE_LOG=error|warn|info|debug sets the level -v and -q start from (default warn).\n";

int sluice_cmd_run(int argc, char **argv)
{
    struct sluice_cli_pipeline args;
    int rc = sluice_cli_parse_pipeline("run", help, argc, argv, &args);
    if (rc) {
        free(args.sets);
        return rc < 0 ? 0 : rc;
    }
    sluice_cli_init_logging(args.verbose);
    /* The live status line is for a person watching: never in a pipe, a
     * log file or with --quiet. */
    sluice_status_line_enable(isatty(STDERR_FILENO) && sluice_log_level() >= SLUICE_LOG_WARN);

    struct sluice_error err = { 0 };
    struct sluice_graph *g = NULL;
    struct sluice_http *http = NULL;
    rc = sluice_graph_load(args.config, args.sets, args.n_sets, &g, &err);
    if (!rc) rc = sluice_http_start_graph(g, &http, &err); /* runtime.http: before any batch */
    if (!rc) rc = sluice_graph_open(g, &err);
    if (!rc) {
        struct sluice_run_opts opts = { .max_batches = args.max_batches };
        rc = sluice_engine_run(g, &opts, &err);
    }
    sluice_status_line_enable(false);
    int status = rc ? sluice_cli_fail(&err) : 0;
    fflush(stdout);
    sluice_http_stop(http);
    sluice_graph_free(g);
    free(args.sets);
    return status;
}
