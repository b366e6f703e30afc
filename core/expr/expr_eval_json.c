/* from_json and to_json, as Spark's JsonToStructs and StructsToJson.
 *
 * from_json decodes a batch's strings with the file source's JSON decoder
 * (formats/decode.h): the same scanner, parse rules and speed. The values
 * go to the decoder as lines of one buffer; a line break inside a value is
 * JSON whitespace there, so it becomes a space, and a null or blank value
 * (null in Spark) becomes the placeholder `{}`, whose row is then made
 * null. Malformed text gives a row of nulls (PERMISSIVE, Spark 3's
 * "partial results"). to_json writes a struct or an array as the JSON
 * sinks write rows (formats/render.h). */
#include "expr_priv.h"

#include <string.h>

#include "arena.h"
#include "decode.h"
#include "render.h"

static bool blank(const char *s, int32_t n)
{
    for (int32_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') return false;
    return true;
}

static const struct evec *from_json(struct ectx *c, const struct expr_node *nd)
{
    int64_t n = c->n;
    const struct evec *s = sluice_expr_eval_node(c, nd->args[0]);
    size_t total = 0;
    for (int64_t i = 0; i < n; i++) {
        int32_t len = 0;
        if (evec_valid(s, i)) evec_str(s, i, &len);
        total += (size_t)len + 3;
    }
    char *text = ectx_alloc(c, total + 1);
    int64_t *slots = ectx_alloc(c, (size_t)(n ? n : 1) * sizeof *slots);
    size_t at = 0;
    for (int64_t i = 0; i < n; i++) {
        int32_t len = 0;
        const char *v = evec_valid(s, i) ? evec_str(s, i, &len) : NULL;
        if (!v || blank(v, len)) {
            memcpy(text + at, "{}\n", 3);
            at += 3;
            slots[i] = -1;
            continue;
        }
        memcpy(text + at, v, (size_t)len);
        for (char *p = text + at, *end = p + len; (p = memchr(p, '\n', (size_t)(end - p))) != NULL;) *p = ' ';
        for (char *p = text + at, *end = p + len; (p = memchr(p, '\r', (size_t)(end - p))) != NULL;) *p = ' ';
        at += (size_t)len;
        text[at++] = '\n';
        slots[i] = i;
    }
    struct sluice_decode_opts opts = { .size = sizeof opts, .format = "json", .schema = nd->schema,
                                       .mode = SLUICE_PARSE_PERMISSIVE };
    struct sluice_decoder *d;
    struct sluice_batch out = { 0 };
    struct sluice_decode_stats stats = { 0 };
    struct sluice_decode_input in = { .data = text, .len = at, .origin = "from_json", .first_line = 1 };
    /* Permissive decoding of a valid schema does not fail. */
    if (sluice_decoder_new(&opts, &d, NULL) != SLUICE_OK) return ectx_null(c);
    int rc = sluice_decode(d, &in, &out, &stats, NULL);
    sluice_decoder_free(d);
    if (rc || out.array.length != n) {
        sluice_batch_release(&out);
        return ectx_null(c);
    }
    struct ArrowArray *arr = ectx_alloc(c, sizeof *arr);
    *arr = out.array;
    ectx_own(c, arr);
    struct evec *v = ectx_vec(c);
    v->arr = arr;
    v->slots = slots;
    return v;
}

static const struct evec *to_json(struct ectx *c, const struct expr_node *nd)
{
    int64_t n = c->n;
    const struct expr_node *a = nd->args[0];
    const struct evec *x = sluice_expr_eval_node(c, a);
    struct sluice_buf json = { 0 };
    int32_t *offs = ectx_alloc(c, (size_t)(n + 1) * sizeof *offs);
    uint8_t *valid = ectx_alloc(c, (size_t)(n ? n : 1));
    offs[0] = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t slot = x->slots ? x->slots[i] : -1;
        const uint8_t *bits = x->arr && x->arr->n_buffers ? x->arr->buffers[0] : NULL;
        valid[i] = slot >= 0 && (!bits || ((bits[slot >> 3] >> (slot & 7)) & 1));
        if (valid[i]) sluice_render_value_json(a->schema, x->arr, slot - x->arr->offset, &json);
        if (__builtin_expect(json.len > sbuild_limit(), 0)) {
            sluice_buf_free(&json);
            c->refused = true;
            return ectx_null(c);
        }
        offs[i + 1] = (int32_t)json.len;
    }
    char *data = ectx_alloc(c, json.len ? json.len : 1);
    if (json.len) memcpy(data, json.data, json.len);
    sluice_buf_free(&json);
    struct evec *v = ectx_vec(c);
    v->offs = offs;
    v->data = data;
    v->valid = valid;
    return v;
}

const struct evec *sluice_expr_eval_json(struct ectx *c, const struct expr_node *n)
{
    return n->fn == FN_FROM_JSON ? from_json(c, n) : to_json(c, n);
}
