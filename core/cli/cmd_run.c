#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "engine.h"
#include "graph.h"
#include "http.h"
#include "log.h"
#include "status_line.h"
#include "stop.h"

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
    "  -v, --verbose         more logging (repeat for debug); SLUICE_LOG=debug does the same\n"
    "  -q, --quiet           errors only\n"
    "  -h, --help            this help\n";

/* The status line follows the run: cleared before a batch (its sinks may
 * print to the same terminal) and at the end, redrawn after each commit. */
static void status_batch_started(void *arg)
{
    sluice_status_line_clear();
}

static void status_batch_committed(void *arg, const struct sluice_progress_batch *b)
{
    sluice_status_line_show(b);
}

static void status_run_ended(void *arg)
{
    sluice_status_line_clear();
}

/* SIGINT and SIGTERM ask the run to stop after its batch; a second one
 * does not wait for the batch (the default action is back). */
static struct sluice_stop *signal_stop;

static void on_signal(int sig)
{
    sluice_stop_request(signal_stop);
    signal(sig, SIG_DFL);
}

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
    sluice_status_line_enable(isatty(STDERR_FILENO) && sluice_log_level() >= SLUICE_LOG_INFO);

    struct sluice_error err = { 0 };
    struct sluice_graph *g = NULL;
    struct sluice_http *http = NULL;
    rc = sluice_graph_load(args.config, args.sets, args.n_sets, &g, &err);
    if (!rc) rc = sluice_http_start_graph(g, &http, &err); /* runtime.http: before any batch */
    if (!rc) rc = sluice_graph_open(g, &err);
    if (!rc) {
        struct sluice_run_observer status = { status_batch_started, status_batch_committed, status_run_ended, NULL };
        signal_stop = sluice_stop_new();
        struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGTERM, &sa, &old_term);
        /* For plugin authors: check every batch a plugin emits (slow). */
        const char *check = getenv("SLUICE_CHECK_BATCHES");
        struct sluice_run_opts opts = { .max_batches = args.max_batches, .observer = &status, .stop = signal_stop,
                                        .check_batches = check && *check && strcmp(check, "0") != 0 };
        rc = sluice_engine_run(g, &opts, &err);
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        sluice_stop_free(signal_stop);
        signal_stop = NULL;
    }
    sluice_status_line_enable(false);
    int status = rc ? sluice_cli_fail(&err) : 0;
    fflush(stdout);
    sluice_http_stop(http);
    sluice_graph_free(g);
    free(args.sets);
    return status;
}
