/* xxhash64(e, ...) and pmod(a, n), as Spark computes them: together they
 * are Spark's hash partitioning, pmod(hash(keys), partitions), which a
 * group's repartition topics use to place each grouping key (README
 * "Scaling out").
 *
 * xxhash64 is Spark's XxHash64Function: XXH64 seeded 42, each argument
 * hashed with the hash of those before it as its seed, a null argument
 * leaving the hash unchanged, each value hashed as spark_hash.h says.
 * The result is never null. */
#include "expr_priv.h"

#include <math.h>

#include "spark_hash.h"

/* Fold argument `a` (a node of type t) into h[0, n). */
static void fold(const struct expr_node *arg, const struct evec *a, int64_t n, uint64_t *h)
{
    int precision = 0, scale = 0;
    if (arg->type == SLUICE_TYPE_DECIMAL) sluice_decimal_params(arg->schema, &precision, &scale);
    for (int64_t i = 0; i < n; i++) {
        if (!evec_valid(a, i)) continue;
        switch (arg->type) {
        case SLUICE_TYPE_LONG:
        case SLUICE_TYPE_TIMESTAMP: h[i] = sluice_spark_hash_long((uint64_t)a->l[i], h[i]); break;
        case SLUICE_TYPE_DATE: h[i] = sluice_spark_hash_int((uint32_t)a->l[i], h[i]); break;
        case SLUICE_TYPE_BOOLEAN: h[i] = sluice_spark_hash_int(a->b[i] ? 1 : 0, h[i]); break;
        case SLUICE_TYPE_DOUBLE: h[i] = sluice_spark_hash_double(a->d[i], h[i]); break;
        case SLUICE_TYPE_DECIMAL: h[i] = sluice_spark_hash_decimal(a->x[i], precision, h[i]); break;
        case SLUICE_TYPE_STRING: {
            int32_t len;
            const char *s = evec_str(a, i, &len);
            h[i] = sluice_hash64(s, (size_t)len, h[i]);
            break;
        }
        default: break; /* the untyped NULL; nested types are refused when compiled */
        }
    }
}

static const struct evec *eval_xxhash64(struct ectx *c, const struct expr_node *nd)
{
    int64_t n = c->n;
    uint64_t *h = ectx_alloc(c, (size_t)n * 8);
    for (int64_t i = 0; i < n; i++) h[i] = SLUICE_SPARK_HASH_SEED;
    for (int k = 0; k < nd->n_args; k++) fold(nd->args[k], sluice_expr_eval_node(c, nd->args[k]), n, h);
    struct evec *v = ectx_vec(c);
    v->l = (int64_t *)h;
    return v;
}

/* Spark's Pmod: the remainder made positive; null when n is 0. */
static const struct evec *eval_pmod(struct ectx *c, const struct expr_node *nd)
{
    int64_t n = c->n;
    const struct evec *a = sluice_expr_eval_node(c, nd->args[0]);
    const struct evec *m = sluice_expr_eval_node(c, nd->args[1]);
    const struct evec *both[2] = { a, m };
    struct evec *v = ectx_vec(c);
    uint8_t *valid = ectx_alloc(c, (size_t)n);
    const uint8_t *in = ectx_valid_and(c, both, 2);
    bool dbl = nd->type == SLUICE_TYPE_DOUBLE;
    if (dbl) v->d = ectx_alloc(c, (size_t)n * 8);
    else v->l = ectx_alloc(c, (size_t)n * 8);
    for (int64_t i = 0; i < n; i++) {
        valid[i] = (!in || in[i]) && (dbl ? m->d[i] != 0 : m->l[i] != 0);
        if (!valid[i]) {
            if (dbl) v->d[i] = 0;
            else v->l[i] = 0;
            continue;
        }
        if (dbl) {
            double r = fmod(a->d[i], m->d[i]);
            v->d[i] = r < 0 ? fmod(r + m->d[i], m->d[i]) : r;
        } else if (m->l[i] == -1) {
            v->l[i] = 0; /* Long.MIN_VALUE % -1 overflows in C; Java gives 0 */
        } else {
            int64_t r = a->l[i] % m->l[i];
            v->l[i] = r < 0 ? (r + m->l[i]) % m->l[i] : r;
        }
    }
    v->valid = valid;
    return v;
}

const struct evec *sluice_expr_eval_hash(struct ectx *c, const struct expr_node *nd)
{
    return nd->fn == FN_XXHASH64 ? eval_xxhash64(c, nd) : eval_pmod(c, nd);
}
