#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "error.h"
#include "registry.h"
#include "mem.h"
#include "option_table.h"

static const char help[] =
    "Usage: sluice plugins [NAME | KIND/NAME] [--plugin-path DIR]...\n"
    "\n"
    "Without NAME, list every plugin found on the search path with its summary.\n"
    "With NAME, print the plugin's options (name, type, default, required, help):\n"
    "the same table the config checker validates against. KIND/NAME (e.g.\n"
    "sink/file) picks one kind when a source and a sink share a name.\n"
    "\n"
    "Plugins are searched in --plugin-path dirs, then SLUICE_PLUGIN_PATH\n"
    "(colon-separated), then plugins/ beside the sluice binary, then\n"
    "../lib/sluice/plugins beside it (an installed sluice, wherever its\n"
    "prefix was moved), then the install directory. A plugin file that\n"
    "cannot be loaded (another ABI, a broken option table) is reported and\n"
    "makes the command exit 2.\n";

/* A plugin that cannot load is named with its problem, and the listing
 * fails (exit 2): its author should hear of a broken option table before
 * a user's config does. */
static void report_broken(const struct sluice_error *err, void *arg)
{
    sluice_error_print(err, stderr);
    *(bool *)arg = true;
}

/* Stages the core runs itself, because their state belongs to the
 * checkpoint or the graph: not plugins, but where a user looks for them. */
static const struct core_stage {
    const char *name, *summary, *usage;
} core_stages[] = {
    { "aggregate", "group rows and aggregate them, in windows with watermarks (Spark's groupBy().agg())",
      "{ name = \"by_lang\"; input = \"tweets\"; group_by = [\"data.lang AS lang\"];\n"
      "  aggregate = [\"count(*) AS count\"]; }\n"
      "keys: aggregate; one of group_by, cube, rollup; window = { column; duration; slide; offset; };\n"
      "late_output (a stage that gets the rows dropped as late); watermark\n" },
    { "drop_duplicates", "keep the first row of each key, across batches (Spark's dropDuplicates)",
      "{ name = \"unique\"; input = \"tweets\"; transform = \"drop_duplicates\";\n"
      "  columns = [\"data.author_id\", \"data.text\"]; within_watermark = false; }\n"
      "keys: columns (default: every column); within_watermark (default false: Spark's\n"
      "dropDuplicatesWithinWatermark when true, which needs a watermark above); watermark\n" },
    { "join", "join each batch with a static table read once (Spark's stream-static join)",
      "{ name = \"users\"; source = \"file\"; static = true; path = \"users\"; format = \"csv\"; ... },\n"
      "{ name = \"j\"; input = \"tweets\";\n"
      "  join = { with = \"users\"; on = \"data.author_id = users.id\"; type = \"inner\"; }; }\n"
      "keys of join: with (a source stage with static = true); on (equalities joined by AND, the\n"
      "table's side written users.column); type (inner, left_outer, left_semi, left_anti)\n" },
    { "union", "the rows of two or more streams as one, columns by position (Spark's union)",
      "{ name = \"all\"; input = [\"tweets\", \"retweets\"]; transform = \"union\"; }\n"
      "keys: input (two or more stages; the same number of columns, of the same types, in each);\n"
      "transform = \"union_all\" is the same (Spark's unionAll);\n"
      "watermark. The sources above a union run as one query: a batch reads what is new in any.\n" },
    { "union_by_name", "the rows of two or more streams as one, columns by name (Spark's unionByName)",
      "{ name = \"all\"; input = [\"a\", \"b\"]; transform = \"union_by_name\"; allow_missing_columns = true; }\n"
      "keys: input; allow_missing_columns (default false: every input has every column; when true\n"
      "a column an input lacks is null in its rows); watermark\n" },
};

static int list_all(const struct sluice_loaded *const *all, size_t n)
{
    static const enum sluice_kind kinds[] = { SLUICE_KIND_SOURCE, SLUICE_KIND_TRANSFORM,
                                              SLUICE_KIND_AGGREGATOR, SLUICE_KIND_SINK };
    static const char *const titles[] = { "Sources", "Transforms", "Aggregators", "Sinks" };
    bool printed = false;
    for (size_t k = 0; k < 4; k++) {
        bool any = false;
        for (size_t i = 0; i < n; i++) {
            if (all[i]->plugin->kind != kinds[k]) continue;
            if (!any) printf("%s%s\n", printed ? "\n" : "", titles[k]);
            any = printed = true;
            const char *summary = all[i]->plugin->summary; /* optional in the descriptor */
            printf("  %-22s %s\n", all[i]->plugin->name, summary ? summary : "");
        }
    }
    if (!printed) printf("no plugins found on the search path\n");
    printf("\nCore stages (run by the core, not plugins)\n");
    for (size_t i = 0; i < sizeof core_stages / sizeof core_stages[0]; i++)
        printf("  %-22s %s\n", core_stages[i].name, core_stages[i].summary);
    printf("\nRun 'sluice plugins NAME' for a plugin's options.\n");
    return 0;
}

int sluice_cmd_plugins(int argc, char **argv)
{
    const char **dirs = sluice_xcalloc((size_t)argc + 1, sizeof *dirs);
    size_t n_dirs = 0;
    const char *name = NULL;
    for (int i = 0; i < argc; i++) {
        if (sluice_cli_is_help(argv[i])) {
            fputs(help, stdout);
            free(dirs);
            return 0;
        } else if (strcmp(argv[i], "--plugin-path") == 0 && i + 1 < argc) {
            dirs[n_dirs++] = argv[++i];
        } else if (argv[i][0] == '-') {
            free(dirs);
            return sluice_cli_usage_error("plugins ", "unknown option '%s'", argv[i]);
        } else if (!name) {
            name = argv[i];
        } else {
            free(dirs);
            return sluice_cli_usage_error("plugins ", "unexpected argument '%s'", argv[i]);
        }
    }

    struct sluice_registry *reg = sluice_registry_new(dirs, n_dirs);
    const struct sluice_loaded *const *all = NULL;
    size_t n = 0;
    int status = 0;
    bool broken = false;
    sluice_registry_list(reg, 0, &all, &n, report_broken, &broken);
    if (!name) {
        status = list_all(all, n);
    } else {
        const char *slash = strchr(name, '/');
        size_t found = 0;
        for (size_t i = 0; i < n; i++) {
            const struct sluice_plugin *p = all[i]->plugin;
            if (slash) {
                size_t klen = (size_t)(slash - name);
                const char *kind = sluice_registry_kind_name(p->kind);
                if (strlen(kind) != klen || strncmp(kind, name, klen) || strcmp(p->name, slash + 1)) continue;
            } else if (strcmp(p->name, name) != 0) {
                continue;
            }
            struct sluice_buf out = { 0 };
            sluice_option_table_describe(p, all[i]->path, &out);
            printf("%s%s", found ? "\n" : "", out.data ? out.data : "");
            sluice_buf_free(&out);
            found++;
        }
        for (size_t i = 0; !found && !slash && i < sizeof core_stages / sizeof core_stages[0]; i++) {
            if (strcmp(core_stages[i].name, name) != 0) continue;
            printf("%s: a core stage (not a plugin)\n%s\n\n%s", name, core_stages[i].summary, core_stages[i].usage);
            found++;
        }
        if (!found) {
            status = sluice_cli_usage_error("plugins ", "no plugin named '%s' (run 'sluice plugins' for the list)", name);
        }
    }
    sluice_registry_free(reg);
    free(dirs);
    return broken ? 2 : status;
}
