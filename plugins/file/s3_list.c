/* The s3 source's listing (ListObjectsV2, page after page) and S3's error
 * documents, read with expat: a real XML parser, because keys come back
 * as XML text (entities, character references, CDATA), and a listing is
 * only trusted when it is well-formed and is one. See s3_client.h. */
#include <expat.h>
#include <stdlib.h>
#include <string.h>

#include "s3_client.h"

/* ---- a small walk over an XML document: leaf texts by their path ---- */

#define XML_DEPTH 8

struct walk {
    int depth;                     /* elements open */
    char names[XML_DEPTH][40];     /* their names (truncated; deeper ones not kept) */
    struct sluice_buf text;        /* the text of the innermost element */
    bool oom;
    void (*leaf)(struct walk *w);  /* an element ends: names[0..depth) and text */
    void (*open)(struct walk *w);  /* an element starts */
    void *arg;
};

static void XMLCALL on_start(void *arg, const XML_Char *name, const XML_Char **attrs)
{
    struct walk *w = arg;
    if (w->depth < XML_DEPTH) {
        size_t n = strlen(name);
        if (n >= sizeof w->names[0]) n = sizeof w->names[0] - 1;
        memcpy(w->names[w->depth], name, n);
        w->names[w->depth][n] = '\0';
    }
    w->depth++;
    w->text.len = 0;
    if (w->text.data) w->text.data[0] = '\0';
    if (w->open && w->depth <= XML_DEPTH) w->open(w);
}

static void XMLCALL on_end(void *arg, const XML_Char *name)
{
    struct walk *w = arg;
    if (w->depth <= XML_DEPTH) w->leaf(w);
    w->depth--;
    w->text.len = 0;
    if (w->text.data) w->text.data[0] = '\0';
}

static void XMLCALL on_text(void *arg, const XML_Char *s, int len)
{
    struct walk *w = arg;
    if (sluice_buf_append(&w->text, s, (size_t)len)) w->oom = true;
}

/* Parse; NULL when well-formed, else expat's reason. */
static const char *walk_parse(struct walk *w, const char *xml, size_t n)
{
    XML_Parser p = XML_ParserCreate("UTF-8");
    if (!p) return "out of memory";
    XML_SetUserData(p, w);
    XML_SetElementHandler(p, on_start, on_end);
    XML_SetCharacterDataHandler(p, on_text);
    const char *why = NULL;
    if (XML_Parse(p, xml, (int)n, 1) != XML_STATUS_OK) why = XML_ErrorString(XML_GetErrorCode(p));
    else if (w->oom) why = "out of memory";
    XML_ParserFree(p);
    sluice_buf_free(&w->text);
    return why;
}

static bool at(const struct walk *w, const char *a, const char *b, const char *c)
{
    int want = c ? 3 : b ? 2 : 1;
    return w->depth == want && strcmp(w->names[0], a) == 0 && (!b || strcmp(w->names[1], b) == 0) &&
           (!c || strcmp(w->names[2], c) == 0);
}

/* ---- errors ---- */

struct error_doc {
    char *code, *msg;
    size_t code_n, msg_n;
};

static void error_leaf(struct walk *w)
{
    struct error_doc *e = w->arg;
    const char *t = w->text.data ? w->text.data : "";
    if (at(w, "Error", "Code", NULL)) snprintf(e->code, e->code_n, "%s", t);
    if (at(w, "Error", "Message", NULL)) snprintf(e->msg, e->msg_n, "%s", t);
}

void s3_error_parse(const char *xml, size_t n, char *code, size_t code_n, char *msg, size_t msg_n)
{
    struct error_doc e = { code, msg, code_n, msg_n };
    struct walk w = { .leaf = error_leaf, .arg = &e };
    code[0] = msg[0] = '\0';
    walk_parse(&w, xml, n);
}

/* ---- listing ---- */

struct item {
    size_t key;       /* offset of the key in page.keys */
    int64_t size, mtime_ns;
    bool is_prefix;
};

struct page {
    const struct s3_client *c;
    bool is_listing, truncated, url_encoded;
    struct sluice_buf keys;  /* keys, each ending in NUL */
    struct item *items;
    size_t n, cap;
    struct sluice_buf token; /* NextContinuationToken */
    bool oom;
};

static struct item *page_item(struct page *pg)
{
    if (pg->n == pg->cap) {
        size_t cap = pg->cap ? 2 * pg->cap : 256;
        struct item *p = realloc(pg->items, cap * sizeof *p);
        if (!p) {
            pg->oom = true;
            return NULL;
        }
        pg->items = p;
        pg->cap = cap;
    }
    struct item *it = &pg->items[pg->n++];
    *it = (struct item){ .key = (size_t)-1 };
    return it;
}

static void list_open(struct walk *w)
{
    struct page *pg = w->arg;
    if (w->depth == 1) pg->is_listing = strcmp(w->names[0], "ListBucketResult") == 0;
    if (at(w, "ListBucketResult", "Contents", NULL) || at(w, "ListBucketResult", "CommonPrefixes", NULL)) {
        struct item *it = page_item(pg);
        if (it) it->is_prefix = strcmp(w->names[1], "CommonPrefixes") == 0;
    }
}

static void list_leaf(struct walk *w)
{
    struct page *pg = w->arg;
    const char *t = w->text.data ? w->text.data : "";
    if (!pg->is_listing || pg->oom) return;
    struct item *it = pg->n ? &pg->items[pg->n - 1] : NULL;
    if (at(w, "ListBucketResult", "IsTruncated", NULL)) pg->truncated = strcmp(t, "true") == 0;
    else if (at(w, "ListBucketResult", "EncodingType", NULL)) pg->url_encoded = strcmp(t, "url") == 0;
    else if (at(w, "ListBucketResult", "NextContinuationToken", NULL)) {
        pg->token.len = 0;
        if (sluice_buf_puts(&pg->token, t)) pg->oom = true;
    } else if (it && (at(w, "ListBucketResult", "Contents", "Key") ||
                      at(w, "ListBucketResult", "CommonPrefixes", "Prefix"))) {
        it->key = pg->keys.len;
        if (sluice_buf_append(&pg->keys, t, strlen(t) + 1)) pg->oom = true;
    } else if (it && at(w, "ListBucketResult", "Contents", "Size")) {
        it->size = strtoll(t, NULL, 10);
    } else if (it && at(w, "ListBucketResult", "Contents", "LastModified")) {
        int64_t us;
        if (pg->c->host->parse_timestamp(t, strlen(t), &us) == SLUICE_OK) it->mtime_ns = us * 1000;
    }
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* encoding-type=url: S3 sends keys form-encoded ('+' a space), so that
 * keys holding characters XML 1.0 cannot carry still come back. */
static void url_decode(char *s)
{
    char *o = s;
    for (const char *p = s; *p; p++) {
        int hi, lo;
        if (*p == '+') {
            *o++ = ' ';
        } else if (*p == '%' && p[1] && p[2] && (hi = hexval(p[1])) >= 0 && (lo = hexval(p[2])) >= 0) {
            *o++ = (char)(hi << 4 | lo);
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
}

static int page_query(struct sluice_buf *q, const char *token, const char *prefix, int max_keys)
{
    /* Sorted by name, as libcurl 7.88 signs the query as given. */
    int bad = 0;
    if (token) bad |= sluice_buf_puts(q, "continuation-token=") || s3_encode(q, token, strlen(token), false) ||
                      sluice_buf_putc(q, '&');
    bad |= sluice_buf_puts(q, "delimiter=%2F&encoding-type=url&list-type=2");
    if (max_keys > 0) bad |= sluice_buf_printf(q, "&max-keys=%d", max_keys);
    bad |= sluice_buf_puts(q, "&prefix=") || s3_encode(q, prefix, strlen(prefix), false);
    return bad;
}

int s3_list(const struct s3_client *c, CURL *easy, const char *bucket, const char *prefix, int max_keys,
            s3_object_fn each, void *arg, struct sluice_error *err)
{
    const struct sluice_host *host = c->host;
    size_t plen = strlen(prefix);
    struct sluice_buf token = { 0 }, q = { 0 };
    struct s3_response r = { 0 };
    int rc = SLUICE_OK;
    for (bool more = true; more && !rc;) {
        q.len = 0;
        if (page_query(&q, token.len ? token.data : NULL, prefix, max_keys)) {
            rc = host->error(err, SLUICE_ENOMEM, "out of memory");
            break;
        }
        if ((rc = s3_perform(c, easy, "GET", bucket, NULL, q.data, &r, err))) break;
        if (r.status != 200) {
            rc = s3_fail(c, SLUICE_EIO, "cannot list", bucket, prefix, &r, err);
            break;
        }
        struct page pg = { .c = c };
        struct walk w = { .leaf = list_leaf, .open = list_open, .arg = &pg };
        const char *why = walk_parse(&w, r.body.data ? r.body.data : "", r.body.len);
        if (!why && pg.oom) why = "out of memory";
        if (!why && !pg.is_listing) why = "it is not a ListObjectsV2 listing";
        if (!why && pg.truncated && (!pg.token.len || (token.len && strcmp(token.data, pg.token.data) == 0)))
            why = "it says more follows but gives no new continuation token";
        if (why) {
            /* Say what came instead, as far as it is printable and short. */
            int shown = 0;
            while (shown < 120 && (size_t)shown < r.body.len && (unsigned char)r.body.data[shown] >= ' ') shown++;
            rc = host->error(err, SLUICE_EIO, "cannot list s3://%s/%s: the answer is not a listing (%s): '%.*s'",
                             bucket, prefix, why, shown, r.body.data ? r.body.data : "");
        }
        for (size_t i = 0; i < pg.n && !rc; i++) {
            struct item *it = &pg.items[i];
            if (it->key == (size_t)-1) continue;
            char *key = pg.keys.data + it->key;
            if (pg.url_encoded) url_decode(key);
            size_t klen = strlen(key);
            /* The prefix's own "folder" object, or a key outside it. */
            if (klen <= plen || memcmp(key, prefix, plen) != 0) continue;
            if (it->is_prefix && key[klen - 1] == '/') key[--klen] = '\0';
            struct s3_object o = { key + plen, it->size, it->mtime_ns, it->is_prefix };
            rc = each(arg, &o, err);
        }
        more = pg.truncated && max_keys <= 0;
        token.len = 0;
        if (!rc && more && sluice_buf_append(&token, pg.token.data, pg.token.len))
            rc = host->error(err, SLUICE_ENOMEM, "out of memory");
        sluice_buf_free(&pg.keys);
        sluice_buf_free(&pg.token);
        free(pg.items);
    }
    sluice_buf_free(&r.body);
    sluice_buf_free(&token);
    sluice_buf_free(&q);
    return rc;
}
