/* Glob patterns on file names, as Hadoop's GlobFilter reads them (Spark's
 * pathGlobFilter): `*`, `?`, `[abc]`, `[a-z]`, `[!a]`, `\` quoting the
 * next character, and `{a,b}` alternatives, nested or not. fnmatch(3)
 * knows all but the braces, so a pattern is expanded once, at load, into
 * the brace-free alternatives it stands for, and a name matches when one
 * of them does. A name holds no '/', so no fnmatch flag is needed. */
#define _GNU_SOURCE
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "file_source.h"

/* Alternatives one pattern may expand to: {a,b}{c,d}{e,f}... multiplies. */
#define GLOB_MAX_ALTS 1024

/* The end of the bracket expression opened at p[0] == '[', or NULL when it
 * is not closed (fnmatch then reads the '[' as itself). */
static const char *bracket_end(const char *p)
{
    const char *q = p + 1;
    if (*q == '!' || *q == '^') q++;
    if (*q == ']') q++; /* a ']' first is a member */
    for (; *q; q++) {
        if (*q == ']') return q;
        if (*q == '\\' && q[1]) q++;
    }
    return NULL;
}

/* The first '{' outside brackets and not quoted, or NULL. */
static const char *first_brace(const char *p)
{
    for (; *p; p++) {
        if (*p == '\\' && p[1]) p++;
        else if (*p == '[') p = bracket_end(p) ? bracket_end(p) : p;
        else if (*p == '{') return p;
    }
    return NULL;
}

/* The '}' closing the '{' at `open`, or NULL. */
static const char *brace_end(const char *open)
{
    int depth = 0;
    for (const char *p = open; *p; p++) {
        if (*p == '\\' && p[1]) p++;
        else if (*p == '[') p = bracket_end(p) ? bracket_end(p) : p;
        else if (*p == '{') depth++;
        else if (*p == '}' && --depth == 0) return p;
    }
    return NULL;
}

static int add_alt(struct file_glob *g, char *alt)
{
    if (g->n == GLOB_MAX_ALTS) {
        free(alt);
        return SLUICE_ECONFIG;
    }
    char **p = realloc(g->alts, (g->n + 1) * sizeof *p);
    if (!p) {
        free(alt);
        return SLUICE_ENOMEM;
    }
    g->alts = p;
    g->alts[g->n++] = alt;
    return SLUICE_OK;
}

/* Expand `pat` (head + the rest) into g's alternatives. */
static int expand(struct file_glob *g, const char *pat)
{
    const char *open = first_brace(pat);
    if (!open) {
        char *copy = strdup(pat);
        return copy ? add_alt(g, copy) : SLUICE_ENOMEM;
    }
    const char *close = brace_end(open);
    if (!close) return SLUICE_EDATA; /* told apart by the caller: an unclosed brace */
    size_t head = (size_t)(open - pat), tail = strlen(close + 1);
    const char *item = open + 1;
    for (;;) {
        /* The next ',' at this level, outside brackets and quotes. */
        const char *p = item;
        int depth = 0;
        for (; p < close; p++) {
            if (*p == '\\' && p + 1 < close) p++;
            else if (*p == '[' && bracket_end(p) && bracket_end(p) < close) p = bracket_end(p);
            else if (*p == '{') depth++;
            else if (*p == '}') depth--;
            else if (*p == ',' && depth == 0) break;
        }
        size_t n = (size_t)(p - item);
        char *s = malloc(head + n + tail + 1);
        if (!s) return SLUICE_ENOMEM;
        memcpy(s, pat, head);
        memcpy(s + head, item, n);
        memcpy(s + head + n, close + 1, tail + 1);
        int rc = expand(g, s);
        free(s);
        if (rc) return rc;
        if (p >= close) return SLUICE_OK;
        item = p + 1;
    }
}

int file_glob_compile(const struct sluice_host *host, const char *pattern, struct file_glob *out,
                      struct sluice_error *err)
{
    *out = (struct file_glob){ 0 };
    int rc = expand(out, pattern);
    if (rc == SLUICE_OK) return SLUICE_OK;
    file_glob_free(out);
    if (rc == SLUICE_ENOMEM) return host->error(err, SLUICE_ENOMEM, "out of memory");
    if (rc == SLUICE_EDATA) return host->error(err, SLUICE_ECONFIG, "glob '%s' has a '{' that is not closed", pattern);
    return host->error(err, SLUICE_ECONFIG, "glob '%s' stands for more than %d patterns", pattern, GLOB_MAX_ALTS);
}

bool file_glob_match(const struct file_glob *g, const char *name)
{
    for (size_t i = 0; i < g->n; i++)
        if (fnmatch(g->alts[i], name, 0) == 0) return true;
    return false;
}

void file_glob_free(struct file_glob *g)
{
    for (size_t i = 0; i < g->n; i++) free(g->alts[i]);
    free(g->alts);
    *g = (struct file_glob){ 0 };
}

int file_glob_validate(const struct sluice_host *host, const void *value, struct sluice_error *err)
{
    const char *pattern = *(const char *const *)value;
    if (!pattern) return SLUICE_OK;
    struct file_glob g;
    int rc = file_glob_compile(host, pattern, &g, err);
    file_glob_free(&g);
    return rc;
}
