/* The s3 source's credentials, found as the AWS CLI finds the static ones:
 * an explicit profile, the environment, then the shared credentials file.
 * (Instance roles, SSO and credential_process are not read: a config
 * needing them can export the variables, e.g. through
 * `aws configure export-credentials --format env`.) See s3_client.h. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3_client.h"

void s3_creds_free(struct s3_creds *c)
{
    /* Wipe what was a secret before the memory goes back to the heap. */
    if (c->secret_key) explicit_bzero(c->secret_key, strlen(c->secret_key));
    if (c->token) explicit_bzero(c->token, strlen(c->token));
    free(c->access_key);
    free(c->secret_key);
    free(c->token);
    c->access_key = c->secret_key = c->token = NULL;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) e--;
    *e = '\0';
    return s;
}

/* Read `profile` from the INI file at `path`. 1: found with both keys; 0:
 * no such profile (or file); -1: out of memory or a profile without a
 * key pair (`why` says). */
static int read_profile(const char *path, const char *profile, struct s3_creds *out, const char **why)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char *line = NULL;
    size_t cap = 0;
    bool in = false, found = false;
    int rc = 0;
    while (getline(&line, &cap, f) > 0) {
        char *s = trim(line);
        if (*s == '#' || *s == ';' || !*s) continue;
        if (*s == '[') {
            char *e = strchr(s, ']');
            if (!e) continue;
            *e = '\0';
            in = strcmp(trim(s + 1), profile) == 0;
            found |= in;
            continue;
        }
        char *eq = strchr(s, '=');
        if (!in || !eq) continue;
        *eq = '\0';
        char *k = trim(s), *v = trim(eq + 1);
        char **slot = strcmp(k, "aws_access_key_id") == 0       ? &out->access_key
                      : strcmp(k, "aws_secret_access_key") == 0 ? &out->secret_key
                      : strcmp(k, "aws_session_token") == 0     ? &out->token
                                                                : NULL;
        if (!slot) continue;
        if (*slot) {
            explicit_bzero(*slot, strlen(*slot));
            free(*slot);
        }
        if (!(*slot = strdup(v))) {
            rc = -1;
            *why = "out of memory";
            break;
        }
    }
    if (line) explicit_bzero(line, cap);
    free(line);
    fclose(f);
    if (rc) return rc;
    if (!found) return 0;
    if (!out->access_key || !out->secret_key) {
        *why = "has no aws_access_key_id and aws_secret_access_key";
        return -1;
    }
    return 1;
}

int s3_creds_find(const struct sluice_host *host, const char *profile, struct s3_creds *out,
                  struct sluice_error *err)
{
    *out = (struct s3_creds){ 0 };
    const char *env_key = getenv("AWS_ACCESS_KEY_ID"), *env_secret = getenv("AWS_SECRET_ACCESS_KEY");
    /* An explicit profile wins over the environment, as `aws --profile` does. */
    if ((!profile || !*profile) && env_key && *env_key && env_secret && *env_secret) {
        const char *token = getenv("AWS_SESSION_TOKEN");
        out->access_key = strdup(env_key);
        out->secret_key = strdup(env_secret);
        out->token = token && *token ? strdup(token) : NULL;
        snprintf(out->source, sizeof out->source, "the environment (AWS_ACCESS_KEY_ID)");
        if (!out->access_key || !out->secret_key || (token && *token && !out->token)) {
            s3_creds_free(out);
            return host->error(err, SLUICE_ENOMEM, "out of memory");
        }
        return SLUICE_OK;
    }
    const char *name = profile && *profile ? profile : getenv("AWS_PROFILE");
    if (!name || !*name) name = "default";
    char path[4096];
    const char *file = getenv("AWS_SHARED_CREDENTIALS_FILE"), *home = getenv("HOME");
    if (file && *file) snprintf(path, sizeof path, "%s", file);
    else snprintf(path, sizeof path, "%s/.aws/credentials", home ? home : "");
    const char *why = NULL;
    int found = read_profile(path, name, out, &why);
    if (found == 1) {
        snprintf(out->source, sizeof out->source, "profile '%.64s' of %.200s", name, path);
        return SLUICE_OK;
    }
    s3_creds_free(out);
    if (found < 0)
        return host->error(err, SLUICE_ECONFIG, "profile '%s' of %s %s", name, path, why);
    int rc = host->error(err, SLUICE_ECONFIG, "no AWS credentials: %sno profile '%s' in %s",
                         profile && *profile ? "" : "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set, and ",
                         name, path);
    host->error_hint(err, "export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, write a profile in "
                          "~/.aws/credentials (aws configure), or set anonymous = true for a public bucket");
    return rc;
}
