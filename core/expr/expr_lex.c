/* The expression tokenizer: Spark SQL's lexical rules for the subset
 * sluice speaks. Positions are characters, not bytes, so the caret under an
 * error lines up with what the user sees even after non-ASCII text. */
#include "expr_priv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "error.h"
#include "mem.h"
#include "utf8.h"


static int lex_fail(struct sluice_error *err, const char *text, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int lex_fail(struct sluice_error *err, const char *text, size_t off, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sluice_error_setv(err, SLUICE_ECONFIG, fmt, ap);
    va_end(ap);
    sluice_error_excerpt(err, text, sluice_utf8_position(text, off));
    return SLUICE_ECONFIG;
}

static bool is_word_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_word(char c)
{
    return is_word_start(c) || (c >= '0' && c <= '9');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static void put_utf8(char **w, uint32_t cp)
{
    unsigned char *p = (unsigned char *)*w;
    if (cp < 0x80) {
        *p++ = (unsigned char)cp;
    } else if (cp < 0x800) {
        *p++ = (unsigned char)(0xC0 | (cp >> 6));
        *p++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *p++ = (unsigned char)(0xE0 | (cp >> 12));
        *p++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        *p++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else {
        *p++ = (unsigned char)(0xF0 | (cp >> 18));
        *p++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        *p++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        *p++ = (unsigned char)(0x80 | (cp & 0x3F));
    }
    *w = (char *)p;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* A quoted string from text[*i] (the quote). Spark's unescaping: \n \t \r
 * \b \0 \Z \\ \' \", \uXXXX, octal \[01][0-7][0-7], `\%` and `\_` kept with
 * their backslash (so LIKE still sees the escape), any other \c is c; a
 * doubled quote stands for one quote. The value is at most as long as the
 * token, so one allocation of that size holds it. */
static int lex_string(const char *text, size_t *i, struct sluice_arena *arena, struct expr_token *t,
                      struct sluice_error *err)
{
    size_t start = *i;
    char q = text[start];
    char *buf = sluice_arena_alloc(arena, strlen(text + start) + 1);
    char *w = buf;
    size_t p = start + 1;
    for (;;) {
        char c = text[p];
        if (!c)
            return lex_fail(err, text, start, "unterminated string starting at character %d",
                            sluice_utf8_position(text, start));
        if (c == q) {
            if (text[p + 1] == q) {
                *w++ = q;
                p += 2;
                continue;
            }
            p++;
            break;
        }
        if (c != '\\') {
            *w++ = c;
            p++;
            continue;
        }
        char e = text[p + 1];
        if (!e) {
            p++;
            continue; /* reported as unterminated on the next turn */
        }
        if (e == 'u' && hex_value(text[p + 2]) >= 0 && hex_value(text[p + 3]) >= 0 &&
            hex_value(text[p + 4]) >= 0 && hex_value(text[p + 5]) >= 0) {
            uint32_t cp = 0;
            for (int k = 2; k < 6; k++) cp = cp * 16 + (uint32_t)hex_value(text[p + k]);
            put_utf8(&w, cp);
            p += 6;
            continue;
        }
        if ((e == '0' || e == '1') && text[p + 2] >= '0' && text[p + 2] <= '7' && text[p + 3] >= '0' &&
            text[p + 3] <= '7') {
            *w++ = (char)((e - '0') * 64 + (text[p + 2] - '0') * 8 + (text[p + 3] - '0'));
            p += 4;
            continue;
        }
        switch (e) {
        case '0': *w++ = '\0'; break;
        case 'b': *w++ = '\b'; break;
        case 'n': *w++ = '\n'; break;
        case 'r': *w++ = '\r'; break;
        case 't': *w++ = '\t'; break;
        case 'Z': *w++ = '\032'; break;
        case '%':
        case '_':
            *w++ = '\\';
            *w++ = e;
            break;
        default: *w++ = e; break;
        }
        p += 2;
    }
    *w = '\0';
    t->kind = TOK_STRING;
    t->str = buf;
    t->str_len = (size_t)(w - buf);
    *i = p;
    return SLUICE_OK;
}

static int lex_number(const char *text, size_t *i, struct expr_token *t, struct sluice_error *err)
{
    size_t start = *i, p = start;
    bool dec = false;
    while (is_digit(text[p])) p++;
    if (text[p] == '.' && (is_digit(text[p + 1]) || p > start)) {
        dec = true;
        p++;
        while (is_digit(text[p])) p++;
    }
    if ((text[p] == 'e' || text[p] == 'E') &&
        (is_digit(text[p + 1]) || ((text[p + 1] == '+' || text[p + 1] == '-') && is_digit(text[p + 2])))) {
        dec = true;
        p += 2;
        while (is_digit(text[p])) p++;
    }
    size_t digits_end = p;
    /* Spark's suffixes: L, S, Y for integers; D, F, BD for fractions. */
    bool want_int = false, want_dec = false;
    char s = text[p];
    if (s == 'L' || s == 'l' || s == 'S' || s == 's' || s == 'Y' || s == 'y') {
        want_int = true;
        p++;
    } else if (s == 'D' || s == 'd' || s == 'F' || s == 'f') {
        want_dec = true;
        p++;
    } else if ((s == 'B' || s == 'b') && (text[p + 1] == 'D' || text[p + 1] == 'd')) {
        want_dec = true;
        p += 2;
    }
    if (is_word(text[p]))
        return lex_fail(err, text, start, "malformed number '%.*s' at character %d",
                        (int)(p + 1 - start), text + start, sluice_utf8_position(text, start));
    if (want_int && dec)
        return lex_fail(err, text, start, "malformed number '%.*s' at character %d: a fraction cannot be a long",
                        (int)(p - start), text + start, sluice_utf8_position(text, start));
    char buf[128];
    size_t n = digits_end - start;
    if (n >= sizeof buf)
        return lex_fail(err, text, start, "number at character %d is too long",
                        sluice_utf8_position(text, start));
    memcpy(buf, text + start, n);
    buf[n] = '\0';
    t->dval = sluice_expr_strtod(buf);
    if (dec || want_dec) {
        t->kind = TOK_DEC;
    } else {
        t->kind = TOK_INT;
        uint64_t v = 0;
        for (size_t k = 0; k < n; k++) {
            unsigned d = (unsigned)(buf[k] - '0');
            if (v > (UINT64_MAX - d) / 10) {
                t->overflow = true;
                break;
            }
            v = v * 10 + d;
        }
        if (v > (uint64_t)1 << 63) t->overflow = true;
        t->ival = v;
    }
    *i = p;
    return SLUICE_OK;
}

static int lex_op(const char *text, size_t i, struct expr_token *t, struct sluice_error *err)
{
    char c = text[i], d = text[i + 1];
    int op = 0;
    size_t len = 1;
    switch (c) {
    case '(': op = OP_LPAREN; break;
    case ')': op = OP_RPAREN; break;
    case ',': op = OP_COMMA; break;
    case '.': op = OP_DOT; break;
    case '[': op = OP_LBRACKET; break;
    case ']': op = OP_RBRACKET; break;
    case '+': op = OP_PLUS; break;
    case '-': op = OP_MINUS; break;
    case '*': op = OP_STAR; break;
    case '/': op = OP_SLASH; break;
    case '%': op = OP_PERCENT; break;
    case ';': op = OP_SEMI; break;
    case '=':
        if (d == '=') op = OP_EQEQ, len = 2;
        else op = OP_EQ;
        break;
    case '!':
        if (d == '=') op = OP_NE, len = 2;
        else op = OP_BANG;
        break;
    case '<':
        if (d == '=' && text[i + 2] == '>') op = OP_NSEQ, len = 3;
        else if (d == '=') op = OP_LE, len = 2;
        else if (d == '>') op = OP_LTGT, len = 2;
        else op = OP_LT;
        break;
    case '>':
        if (d == '=') op = OP_GE, len = 2;
        else op = OP_GT;
        break;
    case '|':
        if (d == '|') {
            op = OP_CONCAT;
            len = 2;
            break;
        }
        /* fall through */
    default: {
        unsigned char u = (unsigned char)c;
        if (u >= 0x80) {
            int k = 1;
            while (k < 4 && sluice_utf8_continuation((unsigned char)text[i + (size_t)k])) k++;
            return lex_fail(err, text, i, "unexpected character '%.*s' at character %d", k, text + i,
                            sluice_utf8_position(text, i));
        }
        return lex_fail(err, text, i, "unexpected character '%c' at character %d", c,
                        sluice_utf8_position(text, i));
    }
    }
    t->kind = TOK_OP;
    t->op = op;
    t->len = len;
    return SLUICE_OK;
}

/* Spaces and Spark's comments: `-- to the end of the line` and
 * bracketed ones between slash-star and star-slash (nested, as in Spark). */
static int skip_blank(const char *text, size_t *i, struct sluice_error *err)
{
    size_t p = *i;
    for (;;) {
        char c = text[p];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            p++;
        } else if (c == '-' && text[p + 1] == '-') {
            while (text[p] && text[p] != '\n') p++;
        } else if (c == '/' && text[p + 1] == '*') {
            size_t start = p;
            int depth = 0;
            do {
                if (!text[p])
                    return lex_fail(err, text, start, "unterminated comment starting at character %d",
                                    sluice_utf8_position(text, start));
                if (text[p] == '/' && text[p + 1] == '*') depth++, p += 2;
                else if (text[p] == '*' && text[p + 1] == '/') depth--, p += 2;
                else p++;
            } while (depth > 0);
        } else {
            *i = p;
            return SLUICE_OK;
        }
    }
}

int sluice_expr_lex(const char *text, struct sluice_arena *arena, struct expr_token **toks, int *n,
                    struct sluice_error *err)
{
    int cap = 16, count = 0;
    struct expr_token *v = sluice_xmalloc((size_t)cap * sizeof *v);
    size_t i = 0;
    int rc = SLUICE_OK;
    for (;;) {
        if ((rc = skip_blank(text, &i, err))) goto out;
        if (count == cap) {
            cap *= 2;
            v = sluice_xrealloc(v, (size_t)cap * sizeof *v);
        }
        struct expr_token *t = &v[count];
        memset(t, 0, sizeof *t);
        t->off = i;
        t->pos = sluice_utf8_position(text, i);
        char c = text[i];
        if (!c) {
            t->kind = TOK_EOF;
            count++;
            break;
        }
        if (is_word_start(c)) {
            size_t s = i;
            while (is_word(text[i])) i++;
            t->kind = TOK_WORD;
            t->str = sluice_arena_strndup(arena, text + s, i - s);
            t->str_len = i - s;
            t->len = i - s;
        } else if (c == '`') {
            size_t s = i;
            char *buf = sluice_arena_alloc(arena, strlen(text + s) + 1);
            char *w = buf;
            for (i++;; i++) {
                if (!text[i]) {
                    rc = lex_fail(err, text, s, "unterminated back-quote starting at character %d",
                                  sluice_utf8_position(text, s));
                    goto out;
                }
                if (text[i] == '`') {
                    if (text[i + 1] != '`') break;
                    i++;
                }
                *w++ = text[i];
            }
            i++;
            *w = '\0';
            t->kind = TOK_QWORD;
            t->str = buf;
            t->str_len = (size_t)(w - buf);
            t->len = i - s;
        } else if (c == '\'' || c == '"') {
            if ((rc = lex_string(text, &i, arena, t, err))) goto out;
            t->len = i - t->off;
        } else if (is_digit(c) ||
                   (c == '.' && is_digit(text[i + 1]) &&
                    !(count > 0 && (v[count - 1].kind == TOK_WORD || v[count - 1].kind == TOK_QWORD ||
                                    (v[count - 1].kind == TOK_OP && (v[count - 1].op == OP_RBRACKET ||
                                                                     v[count - 1].op == OP_RPAREN)))))) {
            if ((rc = lex_number(text, &i, t, err))) goto out;
            t->len = i - t->off;
        } else {
            if ((rc = lex_op(text, i, t, err))) goto out;
            i += t->len;
        }
        count++;
    }
    *toks = sluice_arena_alloc(arena, (size_t)count * sizeof **toks);
    memcpy(*toks, v, (size_t)count * sizeof *v);
    *n = count;
out:
    free(v);
    return rc;
}

int sluice_expr_tokenize(const char *text, struct sluice_expr_tok **out, size_t *n, struct sluice_error *err)
{
    struct sluice_arena *arena = sluice_arena_new(0);
    struct expr_token *toks;
    int count = 0;
    int rc = sluice_expr_lex(text, arena, &toks, &count, err);
    *out = NULL;
    *n = 0;
    if (!rc) {
        count--; /* not the TOK_EOF */
        struct sluice_expr_tok *v = sluice_xmalloc(((size_t)count + 1) * sizeof *v);
        for (int k = 0; k < count; k++) {
            static const enum sluice_expr_tok_kind kinds[] = {
                [TOK_WORD] = SLUICE_TOK_WORD, [TOK_QWORD] = SLUICE_TOK_QUOTED, [TOK_INT] = SLUICE_TOK_NUMBER,
                [TOK_DEC] = SLUICE_TOK_NUMBER, [TOK_STRING] = SLUICE_TOK_STRING, [TOK_OP] = SLUICE_TOK_PUNCT,
            };
            v[k] = (struct sluice_expr_tok){ kinds[toks[k].kind], toks[k].off, toks[k].len };
        }
        *out = v;
        *n = (size_t)count;
    }
    sluice_arena_unref(arena);
    return rc;
}
