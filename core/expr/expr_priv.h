/* core/expr/expr_priv.h — the expression compiler's insides, shared by the
 * expr_*.c files and their unit tests; nothing outside them includes it.
 *
 * Pipeline: expr_lex.c turns the text into tokens, expr_parse.c builds a
 * tree with source positions, expr_check.c resolves paths and functions,
 * types every node (inserting Spark's implicit casts), folds constants and
 * names the result; expr_eval*.c compute a whole batch one node at a time.
 *
 * Memory: tokens and nodes live in the compiled expression's arena and die
 * with sluice_expr_free. During evaluation every vector lives in a scratch
 * arena made for one sluice_expr_eval call. */
#ifndef SLUICE_CORE_EXPR_PRIV_H
#define SLUICE_CORE_EXPR_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/arrow.h>
#include <sluice/batch.h>
#include <sluice/error.h>
#include <sluice/types.h>

#include "decimal.h"
#include "expr.h"
#include "like.h"
#include "take.h"

struct sluice_arena;
struct sluice_buf;

/* ---- tokens ------------------------------------------------------------- */

enum expr_tok {
    TOK_EOF = 0,
    TOK_WORD,    /* identifier or keyword (keywords are words compared case-insensitively) */
    TOK_QWORD,   /* `back-quoted` name; str holds it unquoted */
    TOK_INT,     /* 123 or 123L: ival, or overflow set when it does not fit in a long */
    TOK_DEC,     /* 1.5, .5, 1e3, 1D: dval */
    TOK_STRING,  /* 'text' or "text"; str holds the unescaped value */
    TOK_OP,      /* punctuation: op holds one of enum expr_op_tok */
};

enum expr_op_tok {
    OP_LPAREN = 1, OP_RPAREN, OP_COMMA, OP_DOT, OP_LBRACKET, OP_RBRACKET,
    OP_PLUS, OP_MINUS, OP_STAR, OP_SLASH, OP_PERCENT,
    OP_EQ, OP_EQEQ, OP_NE, OP_LTGT, OP_LT, OP_LE, OP_GT, OP_GE, OP_NSEQ,
    OP_CONCAT, OP_BANG, OP_SEMI,
};

struct expr_token {
    enum expr_tok kind;
    int op;              /* TOK_OP */
    int pos;             /* 1-based character (not byte) of the token's start */
    size_t off, len;     /* bytes of the token in the text */
    const char *str;     /* TOK_WORD, TOK_QWORD, TOK_STRING: NUL-terminated, arena */
    size_t str_len;
    uint64_t ival;       /* TOK_INT: magnitude */
    bool overflow;       /* TOK_INT: more than 2^63 */
    double dval;         /* TOK_DEC (and TOK_INT as a double) */
};

/* Tokens of `text` into *toks (arena), ending with TOK_EOF. */
int sluice_expr_lex(const char *text, struct sluice_arena *arena, struct expr_token **toks, int *n,
                    struct sluice_error *err);

/* ---- the tree ----------------------------------------------------------- */

enum expr_kind {
    EX_LIT = 1, EX_PATH, EX_CALL, EX_CAST,
    EX_NEG, EX_POS, EX_NOT,
    EX_ADD, EX_SUB, EX_MUL, EX_DIV, EX_MOD,
    EX_EQ, EX_LT, EX_LE, EX_GT, EX_GE, EX_NSEQ,
    EX_AND, EX_OR,
    EX_IS_NULL,   /* negated: IS NOT NULL */
    EX_LIKE,      /* args: subject, pattern (constant); NOT LIKE is EX_NOT over it */
    EX_RLIKE,     /* args: subject, pattern (constant) */
    EX_IN,        /* args: value, items... */
    EX_CASE,      /* args: cond1, value1, cond2, value2, ... [, else] */
    EX_FIELD,     /* args: a struct; text: the field (`from_json(v, s).a`, Spark's GetStructField) */
    EX_AGG,       /* over groups only: an aggregate call, bytes [off, off + len) of the text; bound to
                   * a groups column (an EX_PATH) before checking (expr_groups.c) */
};

/* The functions; EX_CALL nodes carry one in `fn`. */
enum expr_fn {
    FN_NONE = 0,
    FN_LOWER, FN_UPPER, FN_LENGTH, FN_TRIM, FN_CONCAT, FN_SUBSTRING, FN_CONTAINS,
    FN_STARTSWITH, FN_ENDSWITH, FN_RLIKE, FN_SIZE, FN_ELEMENT_AT, FN_ARRAY_CONTAINS,
    FN_COALESCE, FN_IF, FN_ABS, FN_ROUND, FN_FLOOR, FN_CEIL, FN_TO_TIMESTAMP,
    FN_YEAR, FN_MONTH, FN_DAYOFMONTH, FN_HOUR, FN_MINUTE, FN_SECOND, FN_FROM_JSON, FN_TO_JSON,
    FN_SPLIT, FN_REGEXP_EXTRACT, FN_REGEXP_REPLACE, FN_CONCAT_WS, FN_DATE_FORMAT, FN_DATE_TRUNC,
    FN_CURRENT_TIMESTAMP, FN_TO_DATE, FN_CURRENT_DATE, FN_DATE_ADD, FN_DATE_SUB, FN_DATEDIFF,
    FN_MAP_KEYS, FN_MAP_VALUES, FN_XXHASH64, FN_PMOD,
};

/* A literal value; `type` SLUICE_TYPE_INVALID with is_null is the untyped NULL. */
struct expr_value {
    bool is_null;
    bool b;
    int64_t l;          /* long, timestamp */
    double d;
    sluice_dec x;       /* decimal: unscaled */
    const char *s;      /* string bytes (arena) */
    int32_t s_len;
};

struct time_pattern;    /* expr_eval_time.c */

struct expr_node {
    enum expr_kind kind;
    int pos;                    /* 1-based character the node is reported at */
    bool negated;
    bool over_array;            /* EX_FIELD on an array of structs: the array of that field
                                 * (Spark's GetArrayStructFields) */
    bool no_projection;         /* EX_PATH/EX_FIELD inside a split path: the outer node records
                                 * the projection path */
    bool implicit;              /* EX_CAST inserted by the checker: invisible in names */
    bool interval;              /* EX_LIT: INTERVAL 1 HOUR, lit.l microseconds; only added to or
                                 * subtracted from a timestamp */
    bool plain_decimal;         /* EX_LIT double written 1.5 (no exponent, no suffix): Spark's decimal */
    bool checked;
    int id;                     /* index into the evaluator's per-call memo, unique per node */
    int n_args;
    struct expr_node **args;

    /* After checking: the result type. SLUICE_TYPE_INVALID is the type of a
     * bare NULL literal before anything gave it one. */
    enum sluice_type type;
    const struct ArrowSchema *schema; /* struct, array and decimal results: the input's node, or a
                                       * shared decimal node (borrowed) */

    struct expr_value lit;      /* EX_LIT */
    const char *text;           /* EX_LIT: the literal as Spark names it; EX_PATH: the path
                                 * as written, canonical; EX_CALL: the name as written */
    const char *name;           /* EX_PATH: the path in the schema's spelling, for names */
    const char *leaf_name;      /* EX_PATH: its last field (a bare path's name), NULL after [i] */
    struct sluice_col col;      /* EX_PATH, after checking */
    enum expr_fn fn;            /* EX_CALL */
    const char *fn_name;        /* EX_CALL: the canonical (table) name, after checking */
    char escape;                /* EX_LIKE: the escape byte as written (for the name), 0 = '\' */
    const struct like_pattern *like;  /* EX_LIKE, after checking */
    void *regex;                /* EX_RLIKE, FN_RLIKE, split, regexp_*: pcre2_code_8 */
    const char *rep;            /* regexp_replace: the replacement in PCRE2's syntax (arena) */
    size_t rep_len;
    const struct time_pattern *tfmt;  /* FN_TO_TIMESTAMP with a format */
    size_t off, len;            /* EX_AGG: the call's bytes in the text */
    const char *bound_name;     /* EX_PATH bound to a groups column: the name it prints as, */
    const char *bound_leaf;     /* and its result name when bare (NULL: printed) */
    int64_t iarg;               /* FN_ROUND: the scale; FN_ARRAY_CONTAINS: 1 = compare as doubles;
                                 * EX_FIELD: the field's index in the struct */
};

/* The compiled expression (core/expr/expr.h's opaque type). */
struct sluice_expr {
    struct sluice_arena *arena;      /* tokens, nodes, strings */
    const struct sluice_expr_groups *groups; /* while compiling over groups: aggregate calls are EX_AGG */
    struct expr_node *root;
    const char *alias;               /* NULL when none was written */
    size_t body_len;                 /* bytes of the text before its alias */
    struct ArrowSchema result;       /* owned: type and name of the result */
    int64_t input_children;          /* columns of the schema it was compiled against */
    int n_nodes;                     /* ids handed out by the checker */
    const char **paths;              /* projection paths read (arena) */
    size_t n_paths;
    void **regexes;                  /* pcre2 codes to free */
    size_t n_regexes, cap_regexes;
    struct ArrowSchema **schemas;    /* from_json's schemas, owned */
    size_t n_schemas;
};

/* Parse `text` into e->root and e->alias. */
int sluice_expr_parse(struct sluice_expr *e, const char *text, struct sluice_error *err);
/* Parse `text` into *out, no alias allowed (a key, an alias's expression). */
int sluice_expr_parse_tree(struct sluice_expr *e, const char *text, struct expr_node **out, struct sluice_error *err);
/* Resolve, type, fold and name e->root against `input`; fills e->result,
 * e->paths and e->n_nodes. */
int sluice_expr_check(struct sluice_expr *e, const struct ArrowSchema *input, const char *text,
                      struct sluice_error *err);
/* Spark's auto-generated name of `n` appended to `out` (implicit casts are invisible). */
void sluice_expr_name(const struct expr_node *n, struct sluice_buf *out);
/* Type one EX_CALL node whose arguments are already checked (expr_func.c). */
int sluice_expr_check_call(struct sluice_expr *e, struct expr_node *n, const char *text,
                           struct sluice_error *err);

/* ---- shared checker helpers (expr_check.c) ------------------------------ */

struct expr_node *sluice_expr_node_new(struct sluice_expr *e, enum expr_kind kind, int pos, int n_args);
/* Keep `schema` (calloc'ed, initialised) until the expression is freed: the
 * result types it makes (from_json's struct, split's and array fields' lists). */
void sluice_expr_own_schema(struct sluice_expr *e, struct ArrowSchema *schema);
/* Wrap `*slot` in an implicit cast to `to` unless it already has that type. */
void sluice_expr_coerce(struct sluice_expr *e, struct expr_node **slot, enum sluice_type to);
/* The same to a type with parameters (a decimal's `schema`, from
 * sluice_expr_decimal_schema): a decimal of other digits is cast too. */
void sluice_expr_coerce_to(struct sluice_expr *e, struct expr_node **slot, enum sluice_type to,
                           const struct ArrowSchema *schema);

/* ---- decimals (expr_decimal.c) ------------------------------------------ */

/* The schema node of DECIMAL(p, s), shared for the process's life. */
const struct ArrowSchema *sluice_expr_decimal_schema(int p, int s);
/* A node's decimal digits: a decimal's own, a long's (20, 0) as Spark
 * widens it; false for other types. */
bool sluice_expr_dec_params(const struct expr_node *n, int *p, int *s);
/* An integer literal, or a double literal written as a plain decimal
 * (`0.5`), beside a decimal becomes the decimal of its digits, as Spark
 * types literals (DecimalType.fromLiteral): 2 is DECIMAL(1,0), 0.50 is
 * DECIMAL(2,2). Anything else is left as it is. */
void sluice_expr_literal_decimal(struct expr_node *n);
/* Spark's wider decimal of two nodes (DecimalPrecision.widerDecimalType). */
const struct ArrowSchema *sluice_expr_dec_wider(const struct expr_node *a, const struct expr_node *b);
/* Record a checker error at `pos`: message, excerpt and position. */
int sluice_expr_fail(struct sluice_error *err, const char *text, int pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The type two values share under Spark's widening rules (numbers widen to
 * double, strings absorb numbers and timestamps), or false. */
bool sluice_expr_wider(const struct expr_node *a, const struct expr_node *b, enum sluice_type *t,
                       const struct ArrowSchema **schema);
/* Evaluate a constant subtree once at compile time into a literal. */
void sluice_expr_fold(struct sluice_expr *e, struct expr_node *n);
bool sluice_expr_is_const(const struct expr_node *n);
/* The value of constant `n` (false when it reads a column). */
bool sluice_expr_const_value(struct sluice_expr *e, const struct expr_node *n, struct expr_value *out);

/* ---- evaluation --------------------------------------------------------- */

/* A column for the whole batch: one entry per row. Validity is a byte per
 * row (1 = value), NULL when every row has a value. Strings are contiguous
 * (row i is data[offs[i], offs[i+1]), offsets never decrease), except a
 * `konst` string, whose every row is data[offs[0], offs[1]). Structs and
 * arrays are physical slots of `arr` (-1 = null). Values of null rows are
 * never read for anything that could fault. */
struct evec {
    uint8_t *valid;
    int64_t *l;          /* long, timestamp */
    double *d;
    sluice_dec *x;       /* decimal: unscaled, at the node's scale */
    uint8_t *b;          /* boolean: 0 or 1 per row */
    const int32_t *offs; /* string */
    const char *data;
    bool konst;
    const struct ArrowArray *arr; /* struct, array */
    const int64_t *slots;
};

struct ectx {
    struct sluice_arena *scratch;
    int64_t n;                       /* rows */
    const struct ArrowArray *root;   /* the batch's struct array */
    struct evec **memo;              /* by node id */
    void *match_data;                /* pcre2 match data, made on first use */
    struct ArrowArray **owned;       /* arrays made during the call, released at its end */
    int n_owned, cap_owned;
    bool refused;                    /* a string result would pass the size limit: the call fails */
};

/* Release `a` when the call ends. */
void ectx_own(struct ectx *c, struct ArrowArray *a);
/* Free what a call made (owned arrays, match data) but not the scratch arena. */
void ectx_release(struct ectx *c);
/* ectx_release, then drop the scratch arena. */
void ectx_finish(struct ectx *c);
/* -1, 0 or 1 per row comparing a and b, both of type t (Spark's order: NaN largest). */
void sluice_expr_compare(struct ectx *c, enum sluice_type t, const struct evec *a, const struct evec *b,
                         int8_t *out);
const struct evec *sluice_expr_eval_cond(struct ectx *c, const struct expr_node *n);

const struct evec *sluice_expr_eval_node(struct ectx *c, const struct expr_node *n);

/* Scratch helpers (expr_ectx.c). */
void *ectx_alloc(struct ectx *c, size_t bytes);
struct evec *ectx_vec(struct ectx *c);
/* Every row null; usable as a column of any type. */
struct evec *ectx_null(struct ectx *c);
/* (expr_eval_path.c) Values of array node `a` (of type t) at physical slots (-1 = null); a's
 * own nulls become nulls. Slots may be rewritten. */
/* A list of structs (or a map, a list of its entries) as the list of
 * field `field` of each, sharing the offsets; lives in the call's scratch. */
const struct ArrowArray *sluice_expr_field_of_each(struct ectx *c, const struct ArrowArray *list, int64_t field);
const struct evec *sluice_expr_gather(struct ectx *c, enum sluice_type t, const struct ArrowArray *a,
                                      int64_t *slots);
/* Validity of rows valid in every one of vs[0..k): NULL when all are NULL. */
uint8_t *ectx_valid_and(struct ectx *c, const struct evec *const *vs, int k);
static inline bool evec_valid(const struct evec *v, int64_t i)
{
    return !v->valid || v->valid[i];
}
static inline const char *evec_str(const struct evec *v, int64_t i, int32_t *len)
{
    int64_t k = v->konst ? 0 : i;
    *len = v->offs[k + 1] - v->offs[k];
    return v->data + v->offs[k];
}
/* A string column being written: offsets and one buffer of `cap` bytes. */
struct sbuild {
    int32_t *offs;
    char *data;
    size_t len, cap;
};
/* A string result of `cap` bytes (exact, or a bound the kernel checks as
 * it writes: sbuild_limit). False when cap passes the size limit
 * (size_limit.h): c->refused is set and the kernel returns ectx_null, as
 * wrapping the int32 offsets would corrupt every later row. */
bool sbuild_init(struct ectx *c, struct sbuild *b, size_t cap);
/* The most bytes one string result may hold. */
size_t sbuild_limit(void);
/* Append without a capacity check: callers size the buffer up front. */
static inline char *sbuild_room(struct sbuild *b) { return b->data + b->len; }
static inline void sbuild_end_row(struct sbuild *b, int64_t i, size_t n)
{
    b->len += n;
    b->offs[i + 1] = (int32_t)b->len;
}
void sbuild_to_vec(struct sbuild *b, struct evec *v);

/* The kernels, by file. Each returns a vector for n->... given checked args. */
const struct evec *sluice_expr_eval_string(struct ectx *c, const struct expr_node *n);
const struct evec *sluice_expr_eval_like(struct ectx *c, const struct expr_node *n); /* LIKE, RLIKE, rlike() */
const struct evec *sluice_expr_eval_cast(struct ectx *c, const struct expr_node *n);
const struct evec *sluice_expr_eval_time(struct ectx *c, const struct expr_node *n);
const struct evec *sluice_expr_eval_math(struct ectx *c, const struct expr_node *n);
/* xxhash64 and pmod (expr_eval_hash.c). */
const struct evec *sluice_expr_eval_hash(struct ectx *c, const struct expr_node *n);
const struct evec *sluice_expr_eval_array(struct ectx *c, const struct expr_node *n);
const struct evec *sluice_expr_eval_json(struct ectx *c, const struct expr_node *n); /* from_json, to_json */
const struct evec *sluice_expr_eval_regex(struct ectx *c, const struct expr_node *n); /* split, regexp_* */
/* Decimal arithmetic and negation, each operand cast to the node's
 * operands' decimal types by the checker (expr_decimal.c). */
const struct evec *sluice_expr_eval_dec_arith(struct ectx *c, const struct expr_node *n);
const struct evec *sluice_expr_eval_dec_neg(struct ectx *c, const struct expr_node *n);
/* Column paths and `x.field` (expr_eval_path.c). */
const struct evec *sluice_expr_eval_path(struct ectx *c, const struct expr_node *n);
const struct evec *sluice_expr_eval_field(struct ectx *c, const struct expr_node *n);

/* Casting one value, shared by folding and the cast kernels. */
bool sluice_expr_parse_long(const char *s, size_t n, int64_t *out);
bool sluice_expr_parse_double(const char *s, size_t n, double *out);
bool sluice_expr_parse_bool(const char *s, size_t n, bool *out);
bool sluice_expr_parse_timestamp(const char *s, size_t n, int64_t *out);
/* strtod in the C locale, whatever LC_NUMERIC says. */
double sluice_expr_strtod(const char *s);

/* rlike: compile at check time (position of the pattern for errors). */
int sluice_expr_regex_compile(struct sluice_expr *e, struct expr_node *n, const struct expr_node *pat,
                              const char *text, struct sluice_error *err);
void sluice_expr_regex_free(void *code);
/* Capturing groups of a compiled pattern. */
uint32_t sluice_expr_regex_groups(const void *code);
/* regexp_replace: a constant replacement, Java's syntax into PCRE2's (n->rep). */
int sluice_expr_regex_replacement(struct sluice_expr *e, struct expr_node *n, const struct expr_node *rep,
                                  const char *text, struct sluice_error *err);
void sluice_expr_match_data_free(void *md);

/* to_timestamp formats (expr_eval_time.c). */
int sluice_time_pattern_compile(const char *fmt, size_t len, struct sluice_arena *arena,
                                const struct time_pattern **out, char *why);
bool sluice_time_pattern_parse(const struct time_pattern *p, const char *s, size_t n, int64_t *us);
/* date_format: the most bytes a value takes, and the value written (in the session's zone, tz.h). */
size_t sluice_time_pattern_width(const struct time_pattern *p);
size_t sluice_time_pattern_format(const struct time_pattern *p, int64_t us, char *out);
/* date_trunc: Spark's unit name (any case) as a non-zero code, or 0. */
int sluice_time_trunc_unit(const char *s, size_t n);

#endif
