#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "schema.h"
#include "schema_infer.h"
#include "suggest.h"

static const char help[] =
    "Usage: sluice schema infer FILE|DIR [--max-lines N] [--timestamps] [--tree]\n"
    "       sluice schema show SCHEMA [--json | --ddl]\n"
    "\n"
    "infer  read JSON lines from FILE, or from every file in DIR (in name order,\n"
    "       skipping names that start with '.' or '_', as Spark does), and print\n"
    "       the schema Spark would infer, as the JSON of StructType.json() (paste\n"
    "       it into a config's schema option or a file for schema = \"@file\").\n"
    "       --max-lines N reads only the first N lines; --timestamps types ISO 8601\n"
    "       strings as timestamps; --tree prints the schema as Spark's\n"
    "       printSchema() does instead.\n"
    "show   parse SCHEMA (Spark JSON, a DDL string, or @file) and print it as a\n"
    "       tree (default), as Spark JSON (--json) or as DDL (--ddl).\n";

enum output { OUT_JSON, OUT_TREE, OUT_DDL };

static void print_schema(const struct ArrowSchema *s, enum output how)
{
    struct sluice_buf b = { 0 };
    if (how == OUT_TREE) {
        sluice_schema_print_tree(s, &b);
    } else if (how == OUT_DDL) {
        /* DDL of a struct is STRUCT<...>; a schema is its field list. */
        sluice_schema_fields_ddl(s, &b);
        sluice_buf_putc(&b, '\n');
    } else {
        sluice_schema_to_json(s, &b);
        sluice_buf_putc(&b, '\n');
    }
    fputs(b.data ? b.data : "", stdout);
    sluice_buf_free(&b);
}

int sluice_cmd_schema(int argc, char **argv)
{
    if (argc < 1) return sluice_cli_usage_error("schema ", "missing 'infer' or 'show'");
    if (sluice_cli_is_help(argv[0])) {
        fputs(help, stdout);
        return 0;
    }
    bool infer = strcmp(argv[0], "infer") == 0;
    if (!infer && strcmp(argv[0], "show") != 0) {
        static const char *const subcommands[] = { "infer", "show" };
        const char *close = sluice_suggest(argv[0], subcommands, 2);
        if (close)
            return sluice_cli_usage_error("schema ", "unknown schema command '%s'\n  hint: did you mean 'sluice schema %s'?",
                                          argv[0], close);
        return sluice_cli_usage_error("schema ", "unknown schema command '%s'", argv[0]);
    }

    const char *arg = NULL;
    enum output how = infer ? OUT_JSON : OUT_TREE;
    struct sluice_infer_opts opts = { 0 };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (sluice_cli_is_help(a)) {
            fputs(help, stdout);
            return 0;
        } else if (infer && strcmp(a, "--max-lines") == 0) {
            if (i + 1 >= argc || !sluice_cli_parse_i64(argv[i + 1], &opts.max_lines) || opts.max_lines < 0)
                return sluice_cli_usage_error("schema ", "--max-lines needs a count");
            i++;
        } else if (infer && strcmp(a, "--timestamps") == 0) {
            opts.infer_timestamps = true;
        } else if (strcmp(a, "--tree") == 0) {
            how = OUT_TREE;
        } else if (!infer && strcmp(a, "--json") == 0) {
            how = OUT_JSON;
        } else if (!infer && strcmp(a, "--ddl") == 0) {
            how = OUT_DDL;
        } else if (a[0] == '-' && a[1]) {
            return sluice_cli_usage_error("schema ", "unknown option '%s'", a);
        } else if (!arg) {
            arg = a;
        } else {
            return sluice_cli_usage_error("schema ", "unexpected argument '%s'", a);
        }
    }
    if (!arg) return sluice_cli_usage_error("schema ", infer ? "missing FILE or DIR" : "missing SCHEMA");

    struct ArrowSchema schema = { 0 };
    struct sluice_error err = { 0 };
    int rc = infer ? sluice_schema_infer_file(arg, &opts, &schema, &err)
                   : sluice_schema_parse(arg, &schema, &err);
    if (rc) return sluice_cli_fail(&err);
    print_schema(&schema, how);
    sluice_schema_release(&schema);
    return 0;
}
