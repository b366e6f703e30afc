/* The schema parsers: Spark's StructType JSON and DDL. The first byte picks
 * the parser (0: by the text's first character, as the schema option does;
 * 1: JSON; 2: DDL); the rest is the text. A schema that parses must print
 * (tree, JSON, DDL), and the JSON and DDL it prints must parse back to the
 * same schema: what `sluice schema show --json/--ddl` prints is meant to be
 * pasted back into a config. */
#include "fuzz_util.h"

/* Equal, but that DDL cannot say whether array elements may be null. */
static bool same(const struct ArrowSchema *a, const struct ArrowSchema *b, bool json, bool element)
{
    if (strcmp(a->format, b->format) != 0 || strcmp(a->name ? a->name : "", b->name ? b->name : "") != 0 ||
        a->n_children != b->n_children)
        return false;
    if ((json || !element) && (a->flags & ARROW_FLAG_NULLABLE) != (b->flags & ARROW_FLAG_NULLABLE)) return false;
    for (int64_t i = 0; i < a->n_children; i++)
        if (!same(a->children[i], b->children[i], json, strcmp(a->format, SLUICE_FORMAT_ARRAY) == 0)) return false;
    return true;
}

static void reparse(const struct ArrowSchema *s, const char *text, bool json)
{
    struct ArrowSchema again = { 0 };
    struct sluice_error err = { 0 };
    int rc = json ? sluice_schema_parse_json(text, &again, &err) : sluice_schema_parse_ddl_from(text, NULL, &again, &err);
    if (rc) fuzz_fail("printed %s does not parse: %s\n%s", json ? "JSON" : "DDL", err.message, text);
    if (!same(s, &again, json, false)) fuzz_fail("printed %s parses to another schema:\n%s", json ? "JSON" : "DDL", text);
    if (json && !sluice_schema_equal(s, &again)) fuzz_fail("printed JSON parses to an unequal schema:\n%s", text);
    sluice_schema_release(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    int how = data[0] % 3;
    char *text = fuzz_text(data + 1, size - 1);
    /* "@file" would read files: the file path is tested elsewhere. */
    if (how == 0 && text[strspn(text, " \t\r\n")] == '@') {
        free(text);
        return 0;
    }
    struct ArrowSchema s = { 0 };
    struct sluice_error err = { 0 };
    int rc = how == 0 ? sluice_schema_parse(text, &s, &err)
           : how == 1 ? sluice_schema_parse_json_from(text, "fuzz.json", &s, &err)
                      : sluice_schema_parse_ddl_from(text, NULL, &s, &err);
    fuzz_check_error(rc, &err);
    if (rc == SLUICE_OK) {
        struct sluice_buf b = { 0 };
        sluice_schema_print_tree(&s, &b);
        sluice_buf_clear(&b);
        sluice_schema_to_json(&s, &b);
        reparse(&s, b.data, true);
        /* The DDL of a schema is its field list, as `schema show --ddl` prints it. */
        sluice_buf_clear(&b);
        sluice_schema_fields_ddl(&s, &b);
        if (s.n_children) reparse(&s, b.data, false);
        sluice_buf_free(&b);
        sluice_schema_find_duplicate(&s);
        sluice_schema_release(&s);
    }
    free(text);
    return 0;
}
