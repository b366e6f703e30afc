#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "engine.h"
#include "error.h"
#include "graph.h"
#include "http.h"
#include "log.h"
#include "reload.h"
#include "status_line.h"
#include "stop.h"

static const char help[] =
    "Usage: sluice run CONFIG [--set key=value]... [options]\n"
    "\n"
    "Run the pipeline in CONFIG as a sequence of micro-batches. The trigger\n"
    "(runtime.trigger) decides when batches run; \"once\" and \"available_now\"\n"
    "stop by themselves, other triggers run until Ctrl-C or SIGTERM, which let\n"
    "the current batch finish and exit 0. SIGHUP (or POST /reload with\n"
    "runtime.http) reloads CONFIG between batches, keeping the state, and is\n"
    "refused, the pipeline running on, when the change would invalidate it.\n"
    "\n"
    "Options:\n"
    "  -s, --set key=value   override a setting: STAGE.key, runtime.key or a top-level key\n"
    "                        (e.g. --set tweets.path=/data --set runtime.trigger=once)\n"
    "  --max-batches N       stop after N micro-batches\n"
    "  --group NAME          be a member of group NAME (runtime.group): share a kafka\n"
    "                        source's partitions with the other members\n"
    "  --member NAME         this member's name in the group (runtime.member; default\n"
    "                        the host name)\n"
    "  -v, --verbose         one line per batch and what the run does (info);\n"
    "                        -v -v adds progress records, state and checkpoint details (debug)\n"
    "  -q, --quiet           errors only: no warnings, notices or status line\n"
    "  -h, --help            this help\n"
    "\n"
    "SLUICE_LOG=error|warn|info|debug sets the level -v and -q start from (default warn).\n";

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
 * does not wait for the batch (the default action is back). SIGHUP asks
 * for a reload: the handler only wakes the thread that loads and checks
 * the config beside the running pipeline. */
static struct sluice_stop *signal_stop;
static volatile sig_atomic_t terminating;
static int hup_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
    terminating = 1;
    sluice_stop_request(signal_stop);
    signal(sig, SIG_DFL);
}

static void on_hup(int sig)
{
    int saved = errno;
    ssize_t n = write(hup_pipe[1], "h", 1);
    (void)n; /* a full pipe: a reload is already asked for */
    errno = saved;
}

static void log_error(const char *what, const struct sluice_error *err)
{
    struct sluice_buf text = { 0 };
    sluice_error_format(err, &text);
    sluice_log(SLUICE_LOG_WARN, NULL, "%s: %s", what, text.data);
    sluice_buf_free(&text);
}

static void *watch_hup(void *arg)
{
    struct sluice_reload *reload = arg;
    char c;
    while (read(hup_pipe[0], &c, 1) == 1 && c == 'h') {
        struct sluice_error err = { 0 };
        if (sluice_reload_request(reload, &err) == SLUICE_OK)
            sluice_log_notice(NULL, "reload accepted (SIGHUP): the new config applies from the next batch");
        else
            log_error("SIGHUP", &err);
    }
    return NULL;
}

/* Swap the stopped pipeline *g for the reloaded `next` and open it. When
 * the new config cannot start (an error only opening finds, say a sink
 * that cannot open its output), go back to the previous config as loaded. */
static int open_reloaded(struct sluice_graph **g, struct sluice_graph *next, struct sluice_error *err)
{
    sluice_log_notice(NULL, "reloading %s: the pipeline resumes from its checkpoint", (*g)->path);
    sluice_graph_hand_over(*g, next);
    struct sluice_graph_kept *previous = sluice_graph_free_keeping_config(*g);
    *g = next;
    int rc = sluice_graph_open(next, err);
    if (!rc) {
        sluice_graph_kept_free(previous);
        return SLUICE_OK;
    }
    log_error("the reloaded config cannot start, going back to the previous one", err);
    struct sluice_graph *back;
    rc = sluice_graph_load_kept(previous, &back, err);
    if (!rc) {
        sluice_graph_hand_over(next, back);
        sluice_graph_free(next);
        *g = back;
        rc = sluice_graph_open(back, err);
    }
    return rc;
}

/* Run `g` and whatever reloads replace it, until the run ends by itself,
 * is stopped, or fails. *g is the graph last run, for the caller to free. */
static int run_reloading(struct sluice_graph **g, struct sluice_http *http, struct sluice_reload *reload,
                         const struct sluice_run_opts *opts, struct sluice_error *err)
{
    int rc = sluice_graph_open(*g, err);
    while (!rc) {
        sluice_http_set_graph(http, *g);
        sluice_reload_set_running(reload, *g);
        rc = sluice_engine_run(*g, opts, err);
        sluice_reload_set_running(reload, NULL);
        /* A reload is served only when it is what stopped the run. */
        struct sluice_graph *next = sluice_reload_take(reload);
        if (rc || !next || terminating || !sluice_stop_requested(opts->stop)) {
            sluice_graph_free(next);
            return rc;
        }
        sluice_http_set_graph(http, NULL);
        sluice_stop_clear(opts->stop);
        rc = open_reloaded(g, next, err);
    }
    return rc;
}

int sluice_cmd_run(int argc, char **argv)
{
    struct sluice_cli_pipeline args;
    int rc = sluice_cli_parse_pipeline("run", help, argc, argv, &args);
    if (rc) {
        sluice_cli_pipeline_free(&args);
        return rc < 0 ? 0 : rc;
    }
    sluice_cli_init_logging(args.verbose);
    /* The live status line is for a person watching: never in a pipe, a
     * log file or with --quiet. */
    sluice_status_line_enable(isatty(STDERR_FILENO) && sluice_log_level() >= SLUICE_LOG_WARN);

    struct sluice_error err = { 0 };
    struct sluice_graph *g = NULL;
    struct sluice_http *http = NULL;
    signal_stop = sluice_stop_new();
    struct sluice_reload *reload = sluice_reload_new(args.config, args.sets, args.n_sets, signal_stop);
    rc = sluice_graph_load(args.config, args.sets, args.n_sets, &g, &err);
    if (!rc) rc = sluice_http_start_graph(g, reload, &http, &err); /* runtime.http: before any batch */
    if (!rc) {
        struct sluice_run_observer status = { status_batch_started, status_batch_committed, status_run_ended, NULL };
        struct sigaction sa = { .sa_handler = on_signal }, hup = { .sa_handler = on_hup }, old_int, old_term, old_hup;
        sigemptyset(&sa.sa_mask);
        sigemptyset(&hup.sa_mask);
        hup.sa_flags = SA_RESTART;
        pthread_t watcher;
        bool watching = pipe2(hup_pipe, O_CLOEXEC) == 0 &&
                        pthread_create(&watcher, NULL, watch_hup, reload) == 0;
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGTERM, &sa, &old_term);
        if (watching) sigaction(SIGHUP, &hup, &old_hup);
        /* For plugin authors: check every batch a plugin emits (slow). */
        const char *check = getenv("SLUICE_CHECK_BATCHES");
        struct sluice_run_opts opts = { .max_batches = args.max_batches, .observer = &status, .stop = signal_stop,
                                        .check_batches = check && *check && strcmp(check, "0") != 0 };
        rc = run_reloading(&g, http, reload, &opts, &err);
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        if (watching) {
            sigaction(SIGHUP, &old_hup, NULL);
            ssize_t n = write(hup_pipe[1], "q", 1);
            (void)n;
            pthread_join(watcher, NULL);
        }
        for (int i = 0; i < 2; i++)
            if (hup_pipe[i] >= 0) close(hup_pipe[i]);
        hup_pipe[0] = hup_pipe[1] = -1;
    }
    sluice_status_line_enable(false);
    int status = rc ? sluice_cli_fail(&err) : 0;
    fflush(stdout);
    sluice_http_stop(http);
    sluice_reload_free(reload);
    sluice_stop_free(signal_stop);
    signal_stop = NULL;
    sluice_graph_free(g);
    sluice_cli_pipeline_free(&args);
    return status;
}
