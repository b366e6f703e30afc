#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "graph.h"

static const char help[] =
    "Usage: sluice check CONFIG [--set key=value]...\n"
    "\n"
    "Validate the pipeline in CONFIG without reading any data, and print its\n"
    "plan: the runtime settings, each stage with its plugin, input and output\n"
    "mode, the schema on each edge, and the columns each source must parse.\n"
    "Exit status 2 and one line naming file, line, stage and key on a bad config.\n"
    "\n"
    "Options:\n"
    "  -s, --set key=value   override a setting, as for `sluice run`\n"
    "  --group, --member     as for `sluice run`\n"
    "  -q, --quiet           validate only, print nothing on success\n"
    "  -h, --help            this help\n";

int sluice_cmd_check(int argc, char **argv)
{
    struct sluice_cli_pipeline args;
    int rc = sluice_cli_parse_pipeline("check", help, argc, argv, &args);
    if (rc) {
        sluice_cli_pipeline_free(&args);
        return rc < 0 ? 0 : rc;
    }
    sluice_cli_init_logging(args.verbose < 0 ? args.verbose : 0);

    struct sluice_error err = { 0 };
    struct sluice_graph *g = NULL;
    rc = sluice_graph_load(args.config, args.sets, args.n_sets, &g, &err);
    if (!rc) g->check_only = true; /* a check reads a checkpoint, never writes it */
    if (!rc) rc = sluice_graph_open(g, &err);
    int status = 0;
    if (rc) {
        status = sluice_cli_fail(&err);
    } else if (args.verbose >= 0) {
        struct sluice_buf plan = { 0 };
        sluice_graph_describe(g, &plan);
        fputs(plan.data ? plan.data : "", stdout);
        sluice_buf_free(&plan);
    }
    sluice_graph_free(g);
    sluice_cli_pipeline_free(&args);
    return status;
}
