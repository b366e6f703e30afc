/* sluice: run stream-processing pipelines described by config files. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "suggest.h"

static const char usage[] =
    "Usage: sluice COMMAND [ARGS]\n"
    "\n"
    "Commands:\n"
    "  run CONFIG [--set key=value]...   run a pipeline until its trigger stops it or Ctrl-C\n"
    "  check CONFIG [--set key=value]... validate a pipeline and print its plan\n"
    "  plugins [NAME]                    list plugins, or document one plugin's options\n"
    "  schema infer FILE|DIR             print a schema inferred from JSON lines (Spark JSON)\n"
    "  schema show SCHEMA                print a schema (JSON, DDL or @file) as a tree\n"
    "  gen tweets DIR [options]          write synthetic lab-shaped tweet files\n"
    "  cat PATH [--batch N]              print the rows a file sink committed, as JSON lines\n"
    "  query NAME|STATEMENT [options]    print a running pipeline's memory table, or SQL over it\n"
    "\n"
    "Options:\n"
    "  -h, --help     show help (also after any command)\n"
    "  --version      print the version\n"
    "\n"
    "Exit status: 0 success, 1 runtime failure, 2 usage or config error.\n";

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
};

static const struct command commands[] = {
    { "run", sluice_cmd_run },         { "check", sluice_cmd_check },
    { "plugins", sluice_cmd_plugins }, { "schema", sluice_cmd_schema },
    { "gen", sluice_cmd_gen },         { "cat", sluice_cmd_cat },
    { "query", sluice_cmd_query },
};

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return 2;
    }
    if (sluice_cli_is_help(argv[1])) {
        fputs(usage, stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("sluice %s (plugin ABI 1)\n", SLUICE_VERSION);
        return 0;
    }
    enum { N = sizeof commands / sizeof commands[0] };
    const char *names[N];
    for (size_t i = 0; i < N; i++) {
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].run(argc - 2, argv + 2);
        names[i] = commands[i].name;
    }
    const char *close = sluice_suggest(argv[1], names, N);
    if (close) return sluice_cli_usage_error("", "unknown command '%s'\n  hint: did you mean 'sluice %s'?", argv[1], close);
    return sluice_cli_usage_error("", "unknown command '%s'", argv[1]);
}
