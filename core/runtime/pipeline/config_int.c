/* Integer settings as they were written. See sluice_config_int64 in config.h. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How much of the file after the setting's line is searched for its value:
 * a value sits on the line of its name or a few lines below. */
#define SCAN_BYTES 65536

/* The text from line `line` of `path` on (at most SCAN_BYTES), or NULL. */
static char *text_from_line(const char *path, int line)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    int c, at = 1;
    while (at < line && (c = getc(f)) != EOF)
        if (c == '\n') at++;
    char *buf = malloc(SCAN_BYTES + 1);
    size_t n = buf && at == line ? fread(buf, 1, SCAN_BYTES, f) : 0;
    fclose(f);
    if (!n) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

static const char *skip_blank(const char *p)
{
    for (;;) {
        while (isspace((unsigned char)*p)) p++;
        if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
            while (*p && *p != '\n') p++;
        } else if (p[0] == '/' && p[1] == '*') {
            const char *e = strstr(p + 2, "*/");
            p = e ? e + 2 : p + strlen(p);
        } else {
            return p;
        }
    }
}

/* An integer literal as libconfig's scanner takes it, at p: what libconfig
 * made of it (*seen), whether it holds the true value (*exact, *value), or
 * overflows 64 bits. False when p is not an integer literal. */
static bool read_literal(const char *p, bool int64_token, int64_t *seen, int64_t *value, bool *overflow,
                         char *lit, size_t cap)
{
    const char *q = p;
    if (*q == '-' || *q == '+') q++;
    bool hex = q[0] == '0' && (q[1] == 'x' || q[1] == 'X');
    const char *digits = hex ? q + 2 : q;
    const char *e = digits;
    while (hex ? isxdigit((unsigned char)*e) : isdigit((unsigned char)*e)) e++;
    if (e == digits || *e == '.' || *e == 'e' || *e == 'E') return false;
    size_t n = (size_t)(e - p);
    if (n >= cap) n = cap - 1;
    memcpy(lit, p, n);
    lit[n] = '\0';
    errno = 0;
    *overflow = false;
    if (hex) {
        unsigned long long u = strtoull(lit, NULL, 16);
        *overflow = errno == ERANGE || u > (unsigned long long)INT64_MAX || *p == '-';
        *value = (int64_t)(u & (unsigned long long)INT64_MAX);
        /* libconfig 1.5: strtoul for an int token, strtoull for an int64 one. */
        *seen = int64_token ? (int64_t)u : (int64_t)(int32_t)(uint32_t)u;
    } else {
        long long v = strtoll(lit, NULL, 10);
        *overflow = errno == ERANGE;
        *value = v;
        /* libconfig 1.5: atoi (a long cut to int) for an int token, atoll for an int64 one. */
        *seen = int64_token ? (int64_t)v : (int64_t)(int32_t)(uint32_t)(unsigned long long)v;
    }
    return true;
}

bool sluice_config_int64(const config_setting_t *s, int64_t *out, char *why, size_t cap)
{
    int type = config_setting_type(s);
    int64_t got = type == CONFIG_TYPE_INT ? (int64_t)config_setting_get_int(s) : config_setting_get_int64(s);
    *out = got;
    /* --set values were converted from their text by sluice_config_override. */
    if ((type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64) || sluice_config_is_override(s)) return true;
    const char *file = config_setting_source_file(s), *name = config_setting_name(s);
    int line = config_setting_source_line(s);
    char *text = file && name && line > 0 ? text_from_line(file, line) : NULL;
    if (!text) return true;
    size_t nlen = strlen(name);
    bool ok = true;
    bool in_string = false;
    for (const char *p = text; *p; p++) {
        if (*p == '"') in_string = !in_string;
        if (in_string || *p == '\\') {
            if (*p == '\\' && p[1]) p++;
            continue;
        }
        bool starts = strncmp(p, name, nlen) == 0 && (p == text || !(isalnum((unsigned char)p[-1]) || p[-1] == '_'));
        if (!starts || isalnum((unsigned char)p[nlen]) || p[nlen] == '_' || p[nlen] == '-') continue;
        const char *v = skip_blank(p + nlen);
        if (*v != '=' && *v != ':') continue;
        v = skip_blank(v + 1);
        int64_t seen, value;
        bool overflow;
        char lit[128];
        if (!read_literal(v, type == CONFIG_TYPE_INT64, &seen, &value, &overflow, lit, sizeof lit) || seen != got)
            continue;
        /* This is the literal libconfig read: keep what it meant. */
        if (overflow) {
            snprintf(why, cap, "%s is out of range: a long is between %" PRId64 " and %" PRId64, lit, INT64_MIN,
                     INT64_MAX);
            ok = false;
        } else {
            *out = value;
        }
        break;
    }
    free(text);
    return ok;
}
