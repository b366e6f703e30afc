/* A source's side of runtime.group (README "Scaling out"): the members of
 * a group run the same pipeline and share its input through the source's
 * own membership protocol (Kafka's consumer groups). The core names the
 * group and the member, refuses a group pipeline whose source cannot share
 * its input (ctx->group_joined, checked by graph_open.c), and gives the
 * source the pipeline's fingerprint to leave where the other members see
 * it, so that a member running another config is refused, naming what
 * differs. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "checkpoint_meta.h"
#include "ctx.h"
#include "error.h"
#include "hash.h"
#include "mem.h"

/* Kafka keeps at most 4 KiB of metadata per committed offset by default
 * (offset.metadata.max.bytes); past this the fingerprint travels hashed. */
#define FINGERPRINT_INLINE_MAX 3000

const char *sluice_ctx_group_join(struct sluice_ctx *ctx, const char **member)
{
    if (member) *member = ctx->member;
    if (ctx->group) ctx->group_joined = true;
    return ctx->group;
}

const char *sluice_ctx_group_fingerprint(const struct sluice_ctx *ctx)
{
    return ctx->group_fingerprint;
}

void sluice_ctx_set_group_fingerprint(struct sluice_ctx *ctx, const char *json)
{
    free(ctx->group_fingerprint);
    size_t n = strlen(json);
    if (n <= FINGERPRINT_INLINE_MAX) {
        ctx->group_fingerprint = sluice_xstrdup(json);
        return;
    }
    ctx->group_fingerprint = sluice_xmalloc(32);
    snprintf(ctx->group_fingerprint, 32, "xxh64:%016llx", (unsigned long long)sluice_hash64(json, n, 0));
}

int sluice_ctx_group_check(struct sluice_ctx *ctx, const char *other, struct sluice_error *err)
{
    const char *mine = ctx->group_fingerprint;
    if (!mine || !other || strcmp(mine, other) == 0) return SLUICE_OK;
    json_t *was = json_loads(other, 0, NULL), *now = json_loads(mine, 0, NULL);
    struct sluice_buf what = { 0 };
    if (!was || !now || !sluice_checkpoint_meta_differences(was, now, &what))
        sluice_buf_puts(&what, "its fingerprint differs (too long to compare here)");
    int rc = sluice_error_set(err, SLUICE_ECONFIG, "member '%s' runs another pipeline than the members of group "
                              "'%s' before it: %s", ctx->member, ctx->group, what.data);
    sluice_error_hint(err, "every member of a group runs the same config, and the group's committed offsets "
                           "remember which: run a changed pipeline as a new runtime.group (it starts at "
                           "starting_offsets), as Kafka Streams asks for a new application.id");
    sluice_buf_free(&what);
    json_decref(was);
    json_decref(now);
    return rc;
}
