#include "gen_tweets_priv.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_out.h"
#include "gen_rng.h"
#include "timefmt.h"
#include "utf8.h"

/* No tweet comes near this; reserving it once per row lets the writers below
 * skip bounds checks. */
#define ROW_MAX 16384
#define N_USERS 50000u
#define US_PER_MS 1000
#define TWITTER_EPOCH_MS 1288834974657ULL

/* ---- accounts ----------------------------------------------------------- */

/* A user is a pure function of (seed, index), so mentions and authors agree
 * across files without keeping a table. */
struct user {
    char id[24];
    char username[48];
    const char *name_first, *name_last;
    int64_t created_us;
    bool verified;
};

static void user_make(uint64_t seed, uint32_t idx, struct user *u)
{
    uint64_t x = seed ^ (0xD1B54A32D192ED03ULL * (idx + 1));
    uint64_t h1 = splitmix64(&x), h2 = splitmix64(&x), h3 = splitmix64(&x);

    /* Accounts from 2007 to 2021; older ones have the short numeric ids of
     * that era, newer ones 19-digit snowflakes. */
    int64_t start = sluice_days_from_civil(2007, 3, 1) * 86400LL;
    int64_t span = sluice_days_from_civil(2021, 4, 1) * 86400LL - start;
    int64_t secs = start + (int64_t)(h1 % (uint64_t)span);
    u->created_us = secs * 1000000;
    uint64_t id;
    if (secs < sluice_days_from_civil(2013, 1, 1) * 86400LL)
        id = 700000 + (uint64_t)(secs - start) * 2 + (h2 & 1);
    else
        id = (((uint64_t)secs * 1000 - TWITTER_EPOCH_MS) << 22) | (h2 & 0x3FFFFF);
    snprintf(u->id, sizeof u->id, "%llu", (unsigned long long)id);

    const char *a = sluice_gen_handle_a[h3 % sluice_gen_n_handle_a];
    const char *b = sluice_gen_handle_b[(h3 >> 16) % sluice_gen_n_handle_b];
    if ((h3 >> 32) % 3 == 0)
        snprintf(u->username, sizeof u->username, "%s%s%u", a, b, (unsigned)((h3 >> 40) % 1000));
    else if ((h3 >> 32) % 3 == 1)
        snprintf(u->username, sizeof u->username, "%s_%s", a, b);
    else
        snprintf(u->username, sizeof u->username, "%s%s", a, b);
    u->name_first = sluice_gen_first_names[(h2 >> 24) % sluice_gen_n_first_names];
    u->name_last = (h2 >> 40) % 5 < 3 ? sluice_gen_last_names[(h2 >> 44) % sluice_gen_n_last_names] : NULL;
    u->verified = (h1 >> 48) % 100 < 10;
}

static uint32_t pick_user(struct rng *r)
{
    double u = rng_unit(r);
    return (uint32_t)(u * u * u * N_USERS);
}

/* ---- tweet text --------------------------------------------------------- */

enum tok_kind { TOK_WORD, TOK_HASHTAG, TOK_MENTION, TOK_COVID, TOK_ANNOT, TOK_CASHTAG };

struct tok {
    enum tok_kind kind;
    uint32_t idx;
};

struct span {
    int64_t start, end;
    const char *text;
};

struct mention {
    int64_t start, end;
    uint32_t user;
    struct user u;
};

struct tweet_entities {
    struct span hashtags[5];
    int n_hashtags;
    struct mention mentions[3];
    int n_mentions;
    struct span cashtag, annot, url;
    bool has_cashtag, has_annot, has_url;
    const char *annot_type;
    unsigned annot_prob;
    uint32_t url_word;
    char t_co[24];
};

/* Text in the JSON string: escapes what JSON needs, and counts code points,
 * which is what Twitter's entity start/end index. */
struct text {
    struct sluice_gen_buf *o;
    int64_t cp;
};

static void text_put(struct text *t, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            put_char(t->o, '\\');
            put_char(t->o, (char)c);
        } else if (c == '\n') {
            PUT_LIT(t->o, "\\n");
        } else {
            put_char(t->o, (char)c);
        }
        if (!sluice_utf8_continuation(c)) t->cp++;
    }
}

static void insert_tok(struct tok *toks, int *n, int at, enum tok_kind kind, uint32_t idx)
{
    memmove(&toks[at + 1], &toks[at], (size_t)(*n - at) * sizeof *toks);
    toks[at] = (struct tok){ kind, idx };
    (*n)++;
}

#define MAX_TOKS 64

/* Writes the text (without quotes) and fills `e`. */
static void tweet_text(struct rng *r, uint64_t seed, const struct sluice_gen_lang *lang, bool covid,
                       struct sluice_gen_buf *o, struct tweet_entities *e)
{
    struct text t = { o, 0 };
    struct tok toks[MAX_TOKS];
    int n = 0;

    int n_words = 3 + (int)rng_below(r, 11);
    for (int i = 0; i < n_words; i++) toks[n++] = (struct tok){ TOK_WORD, rng_below(r, (uint32_t)lang->n_words) };

    bool rt = rng_chance(r, 0.15);
    int inline_mentions = rng_chance(r, 0.15) ? 1 + (int)rng_below(r, 2) : 0;
    /* 40% none, then one tag far more often than three. */
    uint32_t tag_draw = rng_below(r, 10);
    int n_tags = tag_draw < 4 ? 0 : tag_draw < 8 ? 1 : tag_draw < 9 ? 2 : 3;
    int tags_at_end = rng_chance(r, 0.5) ? n_tags : 0;
    for (int i = 0; i < n_tags - tags_at_end; i++)
        insert_tok(toks, &n, (int)rng_below(r, (uint32_t)n + 1), TOK_HASHTAG,
                   rng_skewed(r, (uint32_t)sluice_gen_n_hashtags));
    for (int i = 0; i < inline_mentions; i++)
        insert_tok(toks, &n, (int)rng_below(r, (uint32_t)n + 1), TOK_MENTION, pick_user(r));
    if (covid)
        insert_tok(toks, &n, (int)rng_below(r, (uint32_t)n + 1), TOK_COVID,
                   rng_below(r, (uint32_t)sluice_gen_n_covid));
    if (rng_chance(r, 0.12))
        insert_tok(toks, &n, (int)rng_below(r, (uint32_t)n + 1), TOK_ANNOT,
                   rng_below(r, (uint32_t)sluice_gen_n_annotations));
    if (rng_chance(r, 0.02))
        insert_tok(toks, &n, (int)rng_below(r, (uint32_t)n + 1), TOK_CASHTAG,
                   rng_below(r, (uint32_t)sluice_gen_n_cashtags));
    for (int i = 0; i < tags_at_end; i++)
        toks[n++] = (struct tok){ TOK_HASHTAG, rng_skewed(r, (uint32_t)sluice_gen_n_hashtags) };
    int newline_at = rng_chance(r, 0.1) ? 1 + (int)rng_below(r, (uint32_t)n) : -1;

    if (rt) {
        struct mention *m = &e->mentions[e->n_mentions++];
        m->user = pick_user(r);
        user_make(seed, m->user, &m->u);
        text_put(&t, "RT ");
        m->start = t.cp;
        text_put(&t, "@");
        text_put(&t, m->u.username);
        m->end = t.cp;
        text_put(&t, ": ");
    }
    for (int i = 0; i < n; i++) {
        if (i > 0) text_put(&t, i == newline_at ? "\n" : " ");
        const struct tok *k = &toks[i];
        switch (k->kind) {
        case TOK_WORD:
            text_put(&t, lang->words[k->idx]);
            break;
        case TOK_HASHTAG:
        case TOK_CASHTAG: {
            bool cash = k->kind == TOK_CASHTAG;
            struct span *s = cash ? &e->cashtag : &e->hashtags[e->n_hashtags];
            s->text = cash ? sluice_gen_cashtags[k->idx] : sluice_gen_hashtags[k->idx];
            s->start = t.cp;
            text_put(&t, cash ? "$" : "#");
            text_put(&t, s->text);
            s->end = t.cp;
            if (cash) e->has_cashtag = true;
            else e->n_hashtags++;
            break;
        }
        case TOK_MENTION: {
            struct mention *m = &e->mentions[e->n_mentions++];
            m->user = k->idx;
            user_make(seed, m->user, &m->u);
            m->start = t.cp;
            text_put(&t, "@");
            text_put(&t, m->u.username);
            m->end = t.cp;
            break;
        }
        case TOK_COVID: {
            const char *w = sluice_gen_covid[k->idx];
            if (w[0] == '#') {
                struct span *s = &e->hashtags[e->n_hashtags++];
                s->start = t.cp;
                s->text = w + 1;
                text_put(&t, w);
                s->end = t.cp;
            } else {
                text_put(&t, w);
            }
            break;
        }
        case TOK_ANNOT: {
            const struct sluice_gen_annotation *a = &sluice_gen_annotations[k->idx];
            e->has_annot = true;
            e->annot.start = t.cp;
            e->annot.text = a->text;
            text_put(&t, a->text);
            /* Twitter's annotation end is inclusive. */
            e->annot.end = t.cp - 1;
            e->annot_type = a->type;
            e->annot_prob = 3000 + rng_below(r, 6999);
            break;
        }
        }
    }
    if (rng_chance(r, 0.15)) {
        static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        memcpy(e->t_co, "https://t.co/", 13);
        for (int i = 0; i < 10; i++) e->t_co[13 + i] = alnum[rng_below(r, 62)];
        e->t_co[23] = '\0';
        text_put(&t, " ");
        e->has_url = true;
        e->url.start = t.cp;
        text_put(&t, e->t_co);
        e->url.end = t.cp;
        e->url_word = rng_below(r, (uint32_t)sluice_gen_n_urls);
    }
}

/* ---- one tweet ---------------------------------------------------------- */

static void put_span_fields(struct sluice_gen_buf *o, int64_t start, int64_t end)
{
    PUT_LIT(o, "{\"start\":");
    put_u64(o, (uint64_t)start);
    PUT_LIT(o, ",\"end\":");
    put_u64(o, (uint64_t)end);
}

static void put_entities(struct sluice_gen_buf *o, const struct tweet_entities *e)
{
    bool any = false;
#define SEP() (any ? PUT_LIT(o, ",") : (void)0, any = true)
    if (!e->n_hashtags && !e->n_mentions && !e->has_url && !e->has_annot && !e->has_cashtag) return;
    PUT_LIT(o, ",\"entities\":{");
    if (e->has_annot) {
        SEP();
        PUT_LIT(o, "\"annotations\":[");
        put_span_fields(o, e->annot.start, e->annot.end);
        PUT_LIT(o, ",\"probability\":0.");
        put_char(o, (char)('0' + e->annot_prob / 1000));
        put_char(o, (char)('0' + e->annot_prob / 100 % 10));
        put_2(o, e->annot_prob % 100);
        PUT_LIT(o, ",\"type\":\"");
        put_str(o, e->annot_type);
        PUT_LIT(o, "\",\"normalized_text\":\"");
        put_str(o, e->annot.text);
        PUT_LIT(o, "\"}]");
    }
    if (e->has_cashtag) {
        SEP();
        PUT_LIT(o, "\"cashtags\":[");
        put_span_fields(o, e->cashtag.start, e->cashtag.end);
        PUT_LIT(o, ",\"tag\":\"");
        put_str(o, e->cashtag.text);
        PUT_LIT(o, "\"}]");
    }
    if (e->n_mentions) {
        SEP();
        PUT_LIT(o, "\"mentions\":[");
        for (int i = 0; i < e->n_mentions; i++) {
            if (i) put_char(o, ',');
            put_span_fields(o, e->mentions[i].start, e->mentions[i].end);
            PUT_LIT(o, ",\"username\":\"");
            put_str(o, e->mentions[i].u.username);
            PUT_LIT(o, "\"}");
        }
        put_char(o, ']');
    }
    if (e->n_hashtags) {
        SEP();
        PUT_LIT(o, "\"hashtags\":[");
        for (int i = 0; i < e->n_hashtags; i++) {
            if (i) put_char(o, ',');
            put_span_fields(o, e->hashtags[i].start, e->hashtags[i].end);
            PUT_LIT(o, ",\"tag\":\"");
            put_str(o, e->hashtags[i].text);
            PUT_LIT(o, "\"}");
        }
        put_char(o, ']');
    }
    if (e->has_url) {
        const struct sluice_gen_url *u = &sluice_gen_urls[e->url_word];
        SEP();
        PUT_LIT(o, "\"urls\":[");
        put_span_fields(o, e->url.start, e->url.end);
        PUT_LIT(o, ",\"url\":\"");
        put(o, e->t_co, 23);
        PUT_LIT(o, "\",\"expanded_url\":\"https://");
        put_str(o, u->host);
        put_str(o, u->path);
        /* Twitter shortens what it displays and marks the cut with an ellipsis. */
        PUT_LIT(o, "\",\"display_url\":\"");
        put_str(o, u->host);
        size_t path_len = strlen(u->path);
        put(o, u->path, path_len > 12 ? 12 : path_len);
        if (path_len > 12) PUT_LIT(o, "\xe2\x80\xa6");
        put_char(o, '"');
        if (u->title) {
            PUT_LIT(o, ",\"status\":200,\"title\":\"");
            put_str(o, u->title);
            put_char(o, '"');
        }
        PUT_LIT(o, "}]");
    }
    put_char(o, '}');
#undef SEP
}

static void put_user(struct sluice_gen_buf *o, const struct user *u)
{
    PUT_LIT(o, "{\"created_at\":\"");
    put_iso(o, u->created_us);
    PUT_LIT(o, "\",\"username\":\"");
    put_str(o, u->username);
    PUT_LIT(o, "\",\"verified\":");
    if (u->verified) PUT_LIT(o, "true");
    else PUT_LIT(o, "false");
    PUT_LIT(o, ",\"name\":\"");
    put_str(o, u->name_first);
    if (u->name_last) {
        put_char(o, ' ');
        put_str(o, u->name_last);
    }
    PUT_LIT(o, "\",\"id\":\"");
    put_str(o, u->id);
    PUT_LIT(o, "\"}");
}

static const struct sluice_gen_lang *pick_lang(struct rng *r)
{
    uint32_t x = rng_below(r, 1000);
    for (size_t i = 0; i < sluice_gen_n_langs; i++) {
        if (x < sluice_gen_langs[i].weight) return &sluice_gen_langs[i];
        x -= sluice_gen_langs[i].weight;
    }
    return &sluice_gen_langs[0];
}

static const char *pick_source(struct rng *r)
{
    uint32_t x = rng_below(r, 100);
    for (size_t i = 0; i < sluice_gen_n_sources; i++) {
        if (x < sluice_gen_sources[i].weight) return sluice_gen_sources[i].name;
        x -= sluice_gen_sources[i].weight;
    }
    return sluice_gen_sources[0].name;
}

/* Spoils the line [start, o->len) (newline excluded) the way broken
 * producers do: cut short mid-write, or not JSON at all. Never empty, since
 * readers skip empty lines rather than count them. */
static void spoil(struct rng *r, struct sluice_gen_buf *o, size_t start)
{
    size_t len = o->len - start;
    if (rng_below(r, 4) < 3 && len > 32) {
        size_t cut = start + 16 + rng_below(r, (uint32_t)(len - 17));
        /* Keep the prefix valid UTF-8: cut before a character, not inside it. */
        while (cut > start + 16 && sluice_utf8_continuation((unsigned char)o->p[cut])) cut--;
        o->len = cut;
    } else {
        o->len = start;
        PUT_LIT(o, "ERROR stream disconnected (operational-disconnect), reconnecting in ");
        put_u64(o, 1 + rng_below(r, 30));
        PUT_LIT(o, " s");
    }
}

static void tweet(const struct sluice_gen_stream *g, struct rng *r, int64_t index, struct sluice_gen_buf *o)
{
    out_reserve(o, ROW_MAX);
    size_t start = o->len;
    int64_t real_us = g->start_us + index * g->step_us;
    int64_t created_us = real_us;
    if (g->late > 0 && rng_chance(r, g->late))
        created_us -= (int64_t)(10000 + rng_below(r, 50001)) * US_PER_MS;
    bool spoilt = g->malformed > 0 && rng_chance(r, g->malformed);
    bool covid = rng_chance(r, 0.05);
    const struct sluice_gen_lang *lang = pick_lang(r);
    struct user author;
    user_make(g->seed, pick_user(r), &author);

    PUT_LIT(o, "{\"data\":{\"public_metrics\":{\"retweet_count\":");
    put_u64(o, rng_count(r, 12));
    PUT_LIT(o, ",\"reply_count\":");
    put_u64(o, rng_count(r, 6));
    PUT_LIT(o, ",\"like_count\":");
    put_u64(o, rng_count(r, 16));
    PUT_LIT(o, ",\"quote_count\":");
    put_u64(o, rng_count(r, 4));
    PUT_LIT(o, "},\"text\":\"");
    struct tweet_entities e;
    e.n_hashtags = e.n_mentions = 0;
    e.has_cashtag = e.has_annot = e.has_url = false;
    tweet_text(r, g->seed, lang, covid, o, &e);
    PUT_LIT(o, "\",\"possibly_sensitive\":");
    if (rng_chance(r, 0.03)) PUT_LIT(o, "true");
    else PUT_LIT(o, "false");
    PUT_LIT(o, ",\"created_at\":\"");
    put_iso(o, created_us);
    PUT_LIT(o, "\",\"id\":\"");
    uint64_t ms = real_us > 0 ? (uint64_t)real_us / US_PER_MS : 0;
    uint64_t since = ms > TWITTER_EPOCH_MS ? ms - TWITTER_EPOCH_MS : 0;
    put_u64(o, (since << 22) | rng_below(r, 1u << 22));
    put_char(o, '"');
    put_entities(o, &e);
    PUT_LIT(o, ",\"lang\":\"");
    put_str(o, lang->code);
    PUT_LIT(o, "\",\"source\":\"");
    put_str(o, pick_source(r));
    PUT_LIT(o, "\",\"author_id\":\"");
    put_str(o, author.id);
    PUT_LIT(o, "\"},\"includes\":{\"users\":[");
    put_user(o, &author);
    PUT_LIT(o, "]}}");
    if (spoilt) spoil(r, o, start);
    put_char(o, '\n');
}

void sluice_gen_file_text(const struct sluice_gen_stream *s, int64_t number, struct sluice_gen_buf *buf)
{
    /* One random stream per file number, so file N is the same whichever run writes it. */
    struct rng r;
    rng_seed(&r, s->seed ^ (0x9E3779B97F4A7C15ULL * (uint64_t)(number + 1)));
    buf->len = 0;
    out_reserve(buf, (size_t)s->rows_per_file * 640 + ROW_MAX);
    for (int64_t i = 0; i < s->rows_per_file; i++) tweet(s, &r, number * s->rows_per_file + i, buf);
}
