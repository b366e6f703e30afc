/* The function table: names (case-insensitive, with Spark's aliases),
 * argument counts, and each function's typing rule. Arguments are coerced
 * the way Spark's ImplicitTypeCasts would: atomic values become strings
 * for string functions, strings become doubles for math and timestamps
 * for date parts, numbers become integers for positions. */
#include "expr_priv.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "error.h"
#include "mem.h"
#include "schema.h"
#include "suggest.h"

struct fn_def {
    const char *name; /* as Spark names the result column */
    enum expr_fn fn;
    int min, max;     /* argument count; max -1 = any */
};

static const struct fn_def fns[] = {
    { "lower", FN_LOWER, 1, 1 },
    { "lcase", FN_LOWER, 1, 1 },
    { "upper", FN_UPPER, 1, 1 },
    { "ucase", FN_UPPER, 1, 1 },
    { "length", FN_LENGTH, 1, 1 },
    { "char_length", FN_LENGTH, 1, 1 },
    { "character_length", FN_LENGTH, 1, 1 },
    { "trim", FN_TRIM, 1, 1 },
    { "concat", FN_CONCAT, 0, -1 },
    { "substring", FN_SUBSTRING, 2, 3 },
    { "substr", FN_SUBSTRING, 2, 3 },
    { "contains", FN_CONTAINS, 2, 2 },
    { "startswith", FN_STARTSWITH, 2, 2 },
    { "endswith", FN_ENDSWITH, 2, 2 },
    { "rlike", FN_RLIKE, 2, 2 },
    { "regexp", FN_RLIKE, 2, 2 },
    { "regexp_like", FN_RLIKE, 2, 2 },
    { "size", FN_SIZE, 1, 1 },
    { "cardinality", FN_SIZE, 1, 1 },
    { "element_at", FN_ELEMENT_AT, 2, 2 },
    { "array_contains", FN_ARRAY_CONTAINS, 2, 2 },
    { "map_keys", FN_MAP_KEYS, 1, 1 },
    { "map_values", FN_MAP_VALUES, 1, 1 },
    { "coalesce", FN_COALESCE, 1, -1 },
    { "nvl", FN_COALESCE, 2, 2 },
    { "ifnull", FN_COALESCE, 2, 2 },
    { "if", FN_IF, 3, 3 },
    { "abs", FN_ABS, 1, 1 },
    { "round", FN_ROUND, 1, 2 },
    { "floor", FN_FLOOR, 1, 1 },
    { "ceil", FN_CEIL, 1, 1 },
    { "ceiling", FN_CEIL, 1, 1 },
    { "to_timestamp", FN_TO_TIMESTAMP, 1, 2 },
    { "year", FN_YEAR, 1, 1 },
    { "month", FN_MONTH, 1, 1 },
    { "dayofmonth", FN_DAYOFMONTH, 1, 1 },
    { "day", FN_DAYOFMONTH, 1, 1 },
    { "hour", FN_HOUR, 1, 1 },
    { "minute", FN_MINUTE, 1, 1 },
    { "second", FN_SECOND, 1, 1 },
    { "from_json", FN_FROM_JSON, 2, 2 },
    { "to_json", FN_TO_JSON, 1, 1 },
    { "split", FN_SPLIT, 2, 3 },
    { "regexp_extract", FN_REGEXP_EXTRACT, 2, 3 },
    { "regexp_replace", FN_REGEXP_REPLACE, 3, 3 },
    { "concat_ws", FN_CONCAT_WS, 1, -1 },
    { "date_format", FN_DATE_FORMAT, 2, 2 },
    { "date_trunc", FN_DATE_TRUNC, 2, 2 },
    { "current_timestamp", FN_CURRENT_TIMESTAMP, 0, 0 },
    { "now", FN_CURRENT_TIMESTAMP, 0, 0 },
    { "to_date", FN_TO_DATE, 1, 2 },
    { "current_date", FN_CURRENT_DATE, 0, 0 },
    { "curdate", FN_CURRENT_DATE, 0, 0 },
    { "date_add", FN_DATE_ADD, 2, 2 },
    { "dateadd", FN_DATE_ADD, 2, 2 },
    { "date_sub", FN_DATE_SUB, 2, 2 },
    { "datediff", FN_DATEDIFF, 2, 2 },
    { "xxhash64", FN_XXHASH64, 1, -1 },
    { "pmod", FN_PMOD, 2, 2 },
};

#define N_FNS (sizeof fns / sizeof fns[0])

static const char *suggest_fn(const char *name)
{
    const char *names[N_FNS];
    for (size_t i = 0; i < N_FNS; i++) names[i] = fns[i].name;
    return sluice_suggest(name, names, N_FNS);
}

static const struct fn_def *def_of(const char *name)
{
    for (size_t i = 0; i < N_FNS; i++)
        if (strcasecmp(name, fns[i].name) == 0) return &fns[i];
    return NULL;
}

static const char *tname(enum sluice_type t)
{
    return t == SLUICE_TYPE_INVALID ? "null" : sluice_type_name(t);
}

static bool is_nested(enum sluice_type t)
{
    return t == SLUICE_TYPE_STRUCT || t == SLUICE_TYPE_ARRAY || t == SLUICE_TYPE_MAP;
}

struct call {
    struct sluice_expr *e;
    struct expr_node *n;
    const char *text;
    struct sluice_error *err;
};

static int bad_arg(struct call *c, int i, const char *want)
{
    const struct expr_node *a = c->n->args[i];
    return sluice_expr_fail(c->err, c->text, a->pos, "function '%s' expects %s, got %s", c->n->fn_name, want,
                            tname(a->type));
}

static int want_string(struct call *c, int i)
{
    if (is_nested(c->n->args[i]->type)) return bad_arg(c, i, "a string");
    sluice_expr_coerce(c->e, &c->n->args[i], SLUICE_TYPE_STRING);
    return SLUICE_OK;
}

/* Math takes numbers; Spark casts a string to double. NULL becomes `null_as`. */
static int want_number(struct call *c, int i, enum sluice_type null_as)
{
    enum sluice_type t = c->n->args[i]->type;
    /* A decimal too: abs, round, floor and ceil compute in doubles. */
    if (t == SLUICE_TYPE_STRING || t == SLUICE_TYPE_DECIMAL) sluice_expr_coerce(c->e, &c->n->args[i], SLUICE_TYPE_DOUBLE);
    else if (t == SLUICE_TYPE_INVALID) sluice_expr_coerce(c->e, &c->n->args[i], null_as);
    else if (t != SLUICE_TYPE_LONG && t != SLUICE_TYPE_DOUBLE) return bad_arg(c, i, "a number");
    return SLUICE_OK;
}

/* Positions and indexes: Spark's int arguments accept any number or numeric string. */
static int want_integer(struct call *c, int i)
{
    enum sluice_type t = c->n->args[i]->type;
    if (t == SLUICE_TYPE_BOOLEAN || t == SLUICE_TYPE_TIMESTAMP || t == SLUICE_TYPE_DATE || is_nested(t))
        return bad_arg(c, i, "an integer");
    sluice_expr_coerce(c->e, &c->n->args[i], SLUICE_TYPE_LONG);
    return SLUICE_OK;
}

/* A timestamp, a date (its midnight, UTC) or a string read as one. */
static int want_timestamp(struct call *c, int i)
{
    enum sluice_type t = c->n->args[i]->type;
    if (t != SLUICE_TYPE_TIMESTAMP && t != SLUICE_TYPE_DATE && t != SLUICE_TYPE_STRING && t != SLUICE_TYPE_INVALID)
        return bad_arg(c, i, "a timestamp");
    sluice_expr_coerce(c->e, &c->n->args[i], SLUICE_TYPE_TIMESTAMP);
    return SLUICE_OK;
}

/* A date, or a timestamp's day, or a string read as a date (Spark's
 * ImplicitTypeCasts for DateType arguments). */
static int want_date(struct call *c, int i)
{
    enum sluice_type t = c->n->args[i]->type;
    if (t != SLUICE_TYPE_DATE && t != SLUICE_TYPE_TIMESTAMP && t != SLUICE_TYPE_STRING && t != SLUICE_TYPE_INVALID)
        return bad_arg(c, i, "a date");
    sluice_expr_coerce(c->e, &c->n->args[i], SLUICE_TYPE_DATE);
    return SLUICE_OK;
}

static int want_boolean(struct call *c, int i)
{
    enum sluice_type t = c->n->args[i]->type;
    if (t != SLUICE_TYPE_BOOLEAN && t != SLUICE_TYPE_INVALID) return bad_arg(c, i, "a boolean");
    sluice_expr_coerce(c->e, &c->n->args[i], SLUICE_TYPE_BOOLEAN);
    return SLUICE_OK;
}

static int want_array(struct call *c, int i)
{
    if (c->n->args[i]->type != SLUICE_TYPE_ARRAY) return bad_arg(c, i, "an array");
    return SLUICE_OK;
}

/* coalesce and if: every value argument shares the wider type. */
static int unify_values(struct call *c, int from)
{
    struct expr_node *n = c->n;
    struct expr_node acc = { .type = SLUICE_TYPE_INVALID };
    enum sluice_type t = SLUICE_TYPE_INVALID;
    const struct ArrowSchema *schema = NULL;
    for (int i = from; i < n->n_args; i++) {
        if (!sluice_expr_wider(&acc, n->args[i], &t, &schema))
            return sluice_expr_fail(c->err, c->text, n->args[i]->pos, "function '%s' cannot mix %s and %s",
                                    n->fn_name, tname(acc.type), tname(n->args[i]->type));
        acc.type = t;
        acc.schema = schema;
    }
    if (!is_nested(t) && t != SLUICE_TYPE_INVALID)
        for (int i = from; i < n->n_args; i++) sluice_expr_coerce_to(c->e, &n->args[i], t, schema);
    n->type = t;
    n->schema = schema;
    return SLUICE_OK;
}

/* element_at(map, key): the key coerced to the map's key type. */
static int check_map_get(struct call *c)
{
    struct expr_node *n = c->n;
    const struct ArrowSchema *e = n->args[0]->schema->children[0];
    enum sluice_type kt = sluice_type_of(e->children[0]), t = n->args[1]->type;
    bool ok = t == kt || t == SLUICE_TYPE_INVALID || (t == SLUICE_TYPE_STRING && !is_nested(kt)) ||
              ((kt == SLUICE_TYPE_LONG || kt == SLUICE_TYPE_DOUBLE) && (t == SLUICE_TYPE_LONG || t == SLUICE_TYPE_DOUBLE));
    if (!ok || is_nested(kt)) return bad_arg(c, 1, tname(kt));
    sluice_expr_coerce_to(c->e, &n->args[1], kt, e->children[0]);
    n->schema = e->children[1];
    n->type = sluice_type_of(e->children[1]);
    return SLUICE_OK;
}

/* map_keys(m) and map_values(m): arrays of the keys or the values. */
static int check_map_part(struct call *c, int field)
{
    struct expr_node *n = c->n;
    if (n->args[0]->type != SLUICE_TYPE_MAP) return bad_arg(c, 0, "a map");
    struct ArrowSchema element, *list = sluice_xcalloc(1, sizeof *list);
    sluice_schema_copy(n->args[0]->schema->children[0]->children[field], &element);
    sluice_schema_init_list(list, "", true, &element);
    sluice_expr_own_schema(c->e, list);
    n->type = SLUICE_TYPE_ARRAY;
    n->schema = list;
    return SLUICE_OK;
}

static int check_element_at(struct call *c)
{
    struct expr_node *n = c->n;
    if (n->args[0]->type == SLUICE_TYPE_MAP) return check_map_get(c);
    if (want_array(c, 0) || want_integer(c, 1)) return SLUICE_ECONFIG;
    const struct ArrowSchema *elem = n->args[0]->schema->children[0];
    n->schema = elem;
    n->type = sluice_type_of(elem);
    struct expr_value v;
    if (sluice_expr_const_value(c->e, n->args[1], &v) && !v.is_null && v.l == 0)
        return sluice_expr_fail(c->err, c->text, n->args[1]->pos,
                                "function 'element_at' index 0 is invalid: array indexes start at 1");
    return SLUICE_OK;
}

static int check_array_contains(struct call *c)
{
    struct expr_node *n = c->n;
    if (want_array(c, 0)) return SLUICE_ECONFIG;
    n->type = SLUICE_TYPE_BOOLEAN;
    enum sluice_type et = sluice_type_of(n->args[0]->schema->children[0]), vt = n->args[1]->type;
    if (is_nested(et))
        return sluice_expr_fail(c->err, c->text, n->args[0]->pos,
                                "function 'array_contains' needs an array of scalars, got an array of %s",
                                tname(et));
    /* Spark widens without string promotion here: only numbers mix. */
    if (et == SLUICE_TYPE_DECIMAL && (vt == SLUICE_TYPE_DECIMAL || vt == SLUICE_TYPE_LONG || vt == SLUICE_TYPE_INVALID)) {
        /* Sought at the elements' scale, so equal values have equal digits. */
        sluice_expr_coerce_to(c->e, &n->args[1], et, n->args[0]->schema->children[0]);
    } else if (vt == SLUICE_TYPE_INVALID || vt == et) {
        sluice_expr_coerce(c->e, &n->args[1], et);
    } else if ((et == SLUICE_TYPE_LONG || et == SLUICE_TYPE_DOUBLE) &&
               (vt == SLUICE_TYPE_LONG || vt == SLUICE_TYPE_DOUBLE)) {
        sluice_expr_coerce(c->e, &n->args[1], SLUICE_TYPE_DOUBLE);
        n->iarg = 1; /* compare elements as doubles */
    } else {
        return sluice_expr_fail(c->err, c->text, n->args[1]->pos,
                                "function 'array_contains' cannot look for a %s in an array of %s", tname(vt),
                                tname(et));
    }
    return SLUICE_OK;
}

static int check_round(struct call *c)
{
    struct expr_node *n = c->n;
    if (want_number(c, 0, SLUICE_TYPE_DOUBLE)) return SLUICE_ECONFIG;
    n->type = n->args[0]->type;
    if (n->n_args == 2) {
        struct expr_value v;
        if (n->args[1]->type != SLUICE_TYPE_LONG || !sluice_expr_const_value(c->e, n->args[1], &v) || v.is_null)
            return sluice_expr_fail(c->err, c->text, n->args[1]->pos,
                                    "function 'round' expects a constant integer scale");
        n->iarg = v.l < -400 ? -400 : v.l > 400 ? 400 : v.l;
    }
    return SLUICE_OK;
}

/* Argument i, a constant datetime pattern (to_timestamp's "format",
 * date_format's "pattern"), compiled once into n->tfmt; NULL gives NULL rows. */
static int time_pattern_arg(struct call *c, int i, const char *noun)
{
    struct expr_node *n = c->n;
    struct expr_value v;
    if (!sluice_expr_const_value(c->e, n->args[i], &v))
        return sluice_expr_fail(c->err, c->text, n->args[i]->pos, "function '%s' expects a constant %s",
                                n->fn_name, noun);
    if (v.is_null) return SLUICE_OK;
    char why[160];
    if (sluice_time_pattern_compile(v.s, (size_t)v.s_len, c->e->arena, &n->tfmt, why))
        return sluice_expr_fail(c->err, c->text, n->args[i]->pos, "function '%s': %s '%s': %s", n->fn_name, noun,
                                v.s, why);
    return SLUICE_OK;
}

static int check_to_timestamp(struct call *c)
{
    struct expr_node *n = c->n;
    enum sluice_type t = n->args[0]->type;
    n->type = SLUICE_TYPE_TIMESTAMP;
    if (n->n_args == 1) {
        if (t == SLUICE_TYPE_BOOLEAN || is_nested(t)) return bad_arg(c, 0, "a string or a timestamp");
        sluice_expr_coerce(c->e, &n->args[0], SLUICE_TYPE_TIMESTAMP);
        return SLUICE_OK;
    }
    if (want_string(c, 0) || want_string(c, 1)) return SLUICE_ECONFIG;
    return time_pattern_arg(c, 1, "format");
}

/* to_date(x): x as a date; to_date(str, 'format'): the day of
 * to_timestamp(str, 'format'), as Spark defines it. */
static int check_to_date(struct call *c)
{
    struct expr_node *n = c->n;
    n->type = SLUICE_TYPE_DATE;
    if (n->n_args == 1) return want_date(c, 0);
    if (want_string(c, 0) || want_string(c, 1)) return SLUICE_ECONFIG;
    return time_pattern_arg(c, 1, "format");
}

/* date_format(ts, 'pattern'): the pattern a constant, as to_timestamp's. */
static int check_date_format(struct call *c)
{
    struct expr_node *n = c->n;
    n->type = SLUICE_TYPE_STRING;
    if (want_timestamp(c, 0) || want_string(c, 1)) return SLUICE_ECONFIG;
    return time_pattern_arg(c, 1, "pattern");
}

/* date_trunc('unit', ts): a unit Spark knows, or an error now (Spark's
 * null for every row would hide the typo). */
static int check_date_trunc(struct call *c)
{
    struct expr_node *n = c->n;
    n->type = SLUICE_TYPE_TIMESTAMP;
    if (want_string(c, 0) || want_timestamp(c, 1)) return SLUICE_ECONFIG;
    struct expr_value v;
    if (!sluice_expr_const_value(c->e, n->args[0], &v))
        return sluice_expr_fail(c->err, c->text, n->args[0]->pos, "function 'date_trunc' expects a constant unit");
    if (v.is_null) return SLUICE_OK;
    n->iarg = sluice_time_trunc_unit(v.s, (size_t)v.s_len);
    if (!n->iarg)
        return sluice_expr_fail(c->err, c->text, n->args[0]->pos,
                                "function 'date_trunc': unknown unit '%s' (year, quarter, month, week, day, hour, "
                                "minute, second, millisecond or microsecond)", v.s);
    return SLUICE_OK;
}

/* from_json(str, 'schema'): the schema (DDL or Spark's JSON, as the
 * `schema` option takes) is a constant; the result is a struct of it. */
static int check_from_json(struct call *c)
{
    struct expr_node *n = c->n;
    if (want_string(c, 0)) return SLUICE_ECONFIG;
    struct expr_value v;
    if (n->args[1]->type != SLUICE_TYPE_STRING || !sluice_expr_const_value(c->e, n->args[1], &v) || v.is_null)
        return sluice_expr_fail(c->err, c->text, n->args[1]->pos,
                                "function 'from_json' expects a constant schema string such as 'a INT, b STRING'");
    struct ArrowSchema *schema = sluice_xcalloc(1, sizeof *schema);
    struct sluice_error why = { 0 };
    char *text = sluice_xstrndup(v.s, (size_t)v.s_len);
    int rc = sluice_schema_parse(text, schema, &why);
    free(text);
    if (rc) {
        free(schema);
        return sluice_expr_fail(c->err, c->text, n->args[1]->pos, "function 'from_json': bad schema: %s",
                                why.message);
    }
    sluice_expr_own_schema(c->e, schema);
    n->type = SLUICE_TYPE_STRUCT;
    n->schema = schema;
    return SLUICE_OK;
}

/* split(str, regex[, limit]): an array of strings the expression owns. */
static int check_split(struct call *c)
{
    struct expr_node *n = c->n;
    if (want_string(c, 0) || want_string(c, 1) || (n->n_args > 2 && want_integer(c, 2))) return SLUICE_ECONFIG;
    struct ArrowSchema element, *list = sluice_xcalloc(1, sizeof *list);
    sluice_schema_init(&element, SLUICE_FORMAT_STRING, "element", true, 0);
    sluice_schema_init_list(list, "", true, &element);
    sluice_expr_own_schema(c->e, list);
    n->type = SLUICE_TYPE_ARRAY;
    n->schema = list;
    struct expr_value v;
    if (sluice_expr_const_value(c->e, n->args[1], &v) && !v.is_null && v.s_len == 0) {
        n->iarg = 1; /* '': every character */
        return SLUICE_OK;
    }
    return sluice_expr_regex_compile(c->e, n, n->args[1], c->text, c->err);
}

/* regexp_extract(str, regex[, idx]): idx a constant group of the pattern. */
static int check_regexp_extract(struct call *c)
{
    struct expr_node *n = c->n;
    n->type = SLUICE_TYPE_STRING;
    if (want_string(c, 0) || want_string(c, 1)) return SLUICE_ECONFIG;
    int rc = sluice_expr_regex_compile(c->e, n, n->args[1], c->text, c->err);
    if (rc) return rc;
    n->iarg = 1;
    if (n->n_args > 2) {
        struct expr_value v;
        if (want_integer(c, 2) || !sluice_expr_const_value(c->e, n->args[2], &v) || v.is_null)
            return sluice_expr_fail(c->err, c->text, n->args[2]->pos,
                                    "function 'regexp_extract' expects a constant group index");
        n->iarg = v.l;
    }
    uint32_t groups = n->regex ? sluice_expr_regex_groups(n->regex) : 0;
    if (n->regex && (n->iarg < 0 || (uint64_t)n->iarg > groups))
        return sluice_expr_fail(c->err, c->text, n->args[n->n_args > 2 ? 2 : 1]->pos,
                                "function 'regexp_extract': the regex has %u group%s, so group %lld does not exist",
                                groups, groups == 1 ? "" : "s", (long long)n->iarg);
    return SLUICE_OK;
}

static int check_regexp_replace(struct call *c)
{
    struct expr_node *n = c->n;
    n->type = SLUICE_TYPE_STRING;
    if (want_string(c, 0) || want_string(c, 1) || want_string(c, 2)) return SLUICE_ECONFIG;
    int rc = sluice_expr_regex_compile(c->e, n, n->args[1], c->text, c->err);
    return rc ? rc : sluice_expr_regex_replacement(c->e, n, n->args[2], c->text, c->err);
}

static int check_args(struct call *c)
{
    struct expr_node *n = c->n;
    switch (n->fn) {
    case FN_LOWER:
    case FN_UPPER:
    case FN_TRIM:
        n->type = SLUICE_TYPE_STRING;
        return want_string(c, 0);
    case FN_LENGTH:
        n->type = SLUICE_TYPE_LONG;
        return want_string(c, 0);
    case FN_CONCAT:
        n->type = SLUICE_TYPE_STRING;
        for (int i = 0; i < n->n_args; i++)
            if (want_string(c, i)) return SLUICE_ECONFIG;
        return SLUICE_OK;
    case FN_SUBSTRING:
        n->type = SLUICE_TYPE_STRING;
        if (want_string(c, 0)) return SLUICE_ECONFIG;
        for (int i = 1; i < n->n_args; i++)
            if (want_integer(c, i)) return SLUICE_ECONFIG;
        return SLUICE_OK;
    case FN_CONTAINS:
    case FN_STARTSWITH:
    case FN_ENDSWITH:
        n->type = SLUICE_TYPE_BOOLEAN;
        return want_string(c, 0) || want_string(c, 1) ? SLUICE_ECONFIG : SLUICE_OK;
    case FN_RLIKE:
        n->type = SLUICE_TYPE_BOOLEAN;
        if (want_string(c, 0) || want_string(c, 1)) return SLUICE_ECONFIG;
        return sluice_expr_regex_compile(c->e, n, n->args[1], c->text, c->err);
    case FN_SIZE:
        n->type = SLUICE_TYPE_LONG;
        if (n->args[0]->type == SLUICE_TYPE_INVALID) return SLUICE_OK; /* size(NULL) is -1 */
        if (n->args[0]->type == SLUICE_TYPE_MAP) return SLUICE_OK;
        return want_array(c, 0);
    case FN_ELEMENT_AT: return check_element_at(c);
    case FN_ARRAY_CONTAINS: return check_array_contains(c);
    case FN_MAP_KEYS: return check_map_part(c, 0);
    case FN_MAP_VALUES: return check_map_part(c, 1);
    case FN_COALESCE: return unify_values(c, 0);
    case FN_IF:
        if (want_boolean(c, 0)) return SLUICE_ECONFIG;
        return unify_values(c, 1);
    case FN_ABS:
        if (want_number(c, 0, SLUICE_TYPE_DOUBLE)) return SLUICE_ECONFIG;
        n->type = n->args[0]->type;
        return SLUICE_OK;
    case FN_ROUND: return check_round(c);
    case FN_FLOOR:
    case FN_CEIL:
        n->type = SLUICE_TYPE_LONG;
        return want_number(c, 0, SLUICE_TYPE_DOUBLE);
    case FN_TO_TIMESTAMP: return check_to_timestamp(c);
    case FN_YEAR:
    case FN_MONTH:
    case FN_DAYOFMONTH:
    case FN_HOUR:
    case FN_MINUTE:
    case FN_SECOND:
        n->type = SLUICE_TYPE_LONG;
        return want_timestamp(c, 0);
    case FN_FROM_JSON: return check_from_json(c);
    case FN_SPLIT: return check_split(c);
    case FN_DATE_FORMAT: return check_date_format(c);
    case FN_DATE_TRUNC: return check_date_trunc(c);
    case FN_CURRENT_TIMESTAMP:
        n->type = SLUICE_TYPE_TIMESTAMP;
        return SLUICE_OK;
    case FN_CURRENT_DATE:
        n->type = SLUICE_TYPE_DATE;
        return SLUICE_OK;
    case FN_TO_DATE: return check_to_date(c);
    case FN_DATE_ADD:
    case FN_DATE_SUB:
        n->type = SLUICE_TYPE_DATE;
        return want_date(c, 0) || want_integer(c, 1) ? SLUICE_ECONFIG : SLUICE_OK;
    case FN_DATEDIFF:
        n->type = SLUICE_TYPE_LONG;
        return want_date(c, 0) || want_date(c, 1) ? SLUICE_ECONFIG : SLUICE_OK;
    case FN_CONCAT_WS:
        n->type = SLUICE_TYPE_STRING;
        if (want_string(c, 0)) return SLUICE_ECONFIG;
        /* Strings, or arrays of strings whose elements are joined. */
        for (int i = 1; i < n->n_args; i++) {
            const struct expr_node *a = n->args[i];
            if (a->type == SLUICE_TYPE_ARRAY && sluice_type_of(a->schema->children[0]) == SLUICE_TYPE_STRING) continue;
            if (a->type == SLUICE_TYPE_ARRAY || a->type == SLUICE_TYPE_STRUCT)
                return bad_arg(c, i, "a string or an array of strings");
            if (want_string(c, i)) return SLUICE_ECONFIG;
        }
        return SLUICE_OK;
    case FN_REGEXP_EXTRACT: return check_regexp_extract(c);
    case FN_REGEXP_REPLACE: return check_regexp_replace(c);
    case FN_TO_JSON:
        /* Spark's StructsToJson takes a struct or an array (of structs too). */
        if (!is_nested(n->args[0]->type)) return bad_arg(c, 0, "a struct or an array");
        n->type = SLUICE_TYPE_STRING;
        return SLUICE_OK;
    case FN_XXHASH64:
        /* Spark's XxHash64 (seed 42, each argument seeding the next). */
        n->type = SLUICE_TYPE_LONG;
        for (int i = 0; i < n->n_args; i++)
            if (is_nested(n->args[i]->type)) return bad_arg(c, i, "a boolean, number, string, date or timestamp");
        return SLUICE_OK;
    case FN_PMOD:
        if (want_number(c, 0, SLUICE_TYPE_LONG) || want_number(c, 1, SLUICE_TYPE_LONG)) return SLUICE_ECONFIG;
        n->type = n->args[0]->type == SLUICE_TYPE_LONG && n->args[1]->type == SLUICE_TYPE_LONG ? SLUICE_TYPE_LONG
                                                                                              : SLUICE_TYPE_DOUBLE;
        for (int i = 0; i < 2; i++) sluice_expr_coerce(c->e, &n->args[i], n->type);
        return SLUICE_OK;
    case FN_NONE: break;
    }
    return SLUICE_EINTERNAL;
}

int sluice_expr_check_call(struct sluice_expr *e, struct expr_node *n, const char *text,
                           struct sluice_error *err)
{
    const struct fn_def *d = def_of(n->text);
    if (!d) {
        sluice_expr_fail(err, text, n->pos, "unknown function '%s'", n->text);
        const char *best = suggest_fn(n->text);
        const struct expr_node *a = n->n_args == 1 ? n->args[0] : NULL;
        bool quoted = a && a->kind == EX_LIT && !a->lit.is_null && a->type == SLUICE_TYPE_STRING;
        if (best) {
            sluice_error_hint(err, "did you mean '%s'?", best);
        } else if (strcasecmp(n->text, "col") == 0 || strcasecmp(n->text, "column") == 0) {
            /* PySpark's col("x") is a column by name; in SQL the name is the column. */
            if (quoted)
                sluice_error_hint(err, "an expression names a column by its path, without col(): write %.*s",
                                  (int)a->lit.s_len, a->lit.s);
            else
                sluice_error_hint(err, "an expression names a column by its path, without col(): write data.lang");
        } else if (strcasecmp(n->text, "lit") == 0 || strcasecmp(n->text, "expr") == 0) {
            sluice_error_hint(err, "PySpark's %s() is not needed in an expression: write the %s itself",
                              n->text, strcasecmp(n->text, "lit") == 0 ? "literal" : "expression");
        }
        return SLUICE_ECONFIG;
    }
    n->fn = d->fn;
    n->fn_name = d->name;
    if (n->n_args < d->min || (d->max >= 0 && n->n_args > d->max)) {
        char want[64];
        if (d->min == d->max) snprintf(want, sizeof want, "%d argument%s", d->min, d->min == 1 ? "" : "s");
        else if (d->max < 0) snprintf(want, sizeof want, "at least %d argument%s", d->min, d->min == 1 ? "" : "s");
        else snprintf(want, sizeof want, "%d to %d arguments", d->min, d->max);
        return sluice_expr_fail(err, text, n->pos, "function '%s' takes %s, got %d", d->name, want, n->n_args);
    }
    struct call c = { .e = e, .n = n, .text = text, .err = err };
    return check_args(&c);
}
