/* The kafka source as a member of a group (runtime.group; README "Scaling
 * out"): Kafka's consumer group protocol decides which member reads which
 * partition, as Kafka Streams lets it; sluice adds no cluster of its own.
 *
 * A second client joins the group (group.id = runtime.group, the
 * cooperative-sticky assignor, so a rebalance moves only the partitions
 * that must move) and never fetches: its assigned partitions are paused at
 * once. It only holds the assignment and commits offsets. Reading stays
 * with the source's own client, by explicit ranges, so a batch planned
 * before a crash is replayed exactly as planned, as outside a group.
 *
 * The offsets JSON of a batch names the partitions this member owned when
 * it was planned. A partition that arrives enters it at its starting point
 * (the group's committed offset, else starting_offsets) with nothing read
 * in that batch; the batches after read from there. A partition that goes
 * leaves the JSON; its last offsets were committed to the group after the
 * batch that read them, so its next owner goes on from there. Offsets are
 * committed after the batch's sinks and checkpoint (commit callback): a
 * member killed between the two has its last batch read again by the next
 * owner (at least once across members; exactly once within one).
 *
 * The commit metadata carries the pipeline's fingerprint (host->
 * group_fingerprint), so a member running another config is refused when
 * it receives a partition, naming what differs.
 *
 * Rebalance callbacks run inside rd_kafka_consumer_poll, which only the
 * main thread calls (latest_offset, wait): no lock. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_source.h"

#define EARLIEST -2
#define LATEST -1

struct kafka_group {
    rd_kafka_t *rk;
    const char *name, *member;
    bool assigned_once;           /* a first assignment came (maybe empty) */
    bool idle_said;
    struct sluice_error failed;   /* from a callback, returned by the next call */
    int failed_rc;
    /* The last committed batch's end offsets while the group has not taken
     * them (a commit during a rebalance is refused): committed when the
     * partitions are revoked, or with the next batch's. */
    struct kafka_offsets pending;
};

static struct kafka_tp *find_tp(struct kafka_source *s, const char *topic, int32_t partition)
{
    for (size_t i = 0; i < s->n_tps; i++)
        if (s->tps[i].partition == partition && strcmp(s->tps[i].topic, topic) == 0) return &s->tps[i];
    return NULL;
}

static void list_partitions(const rd_kafka_topic_partition_list_t *parts, struct sluice_buf *out)
{
    for (int i = 0; i < parts->cnt; i++)
        sluice_buf_printf(out, "%s%s-%" PRId32, i ? ", " : "", parts->elems[i].topic, parts->elems[i].partition);
}

/* Where a partition new to this member starts: the group's committed
 * offset, whose metadata must be this pipeline's fingerprint; else the
 * starting_offsets rule (EARLIEST/LATEST resolved when the batch is planned). */
static int entry_points(struct kafka_source *s, rd_kafka_topic_partition_list_t *parts, struct sluice_error *err)
{
    struct kafka_group *g = s->group;
    const struct sluice_host *h = s->host;
    rd_kafka_resp_err_t e = rd_kafka_committed(g->rk, parts, (int)(s->conf->timeout_us / 1000));
    if (e)
        return h->error(err, SLUICE_EIO, "group '%s': cannot read the committed offsets: %s", g->name,
                        rd_kafka_err2str(e));
    const char *rule = s->conf->starting_offsets;
    struct kafka_offsets json = { 0 };
    int rc = rule[0] == '{' ? kafka_offsets_parse(s, rule, &json, err) : SLUICE_OK;
    for (int i = 0; i < parts->cnt && !rc; i++) {
        const rd_kafka_topic_partition_t *p = &parts->elems[i];
        struct kafka_tp *tp = kafka_add_tp(s, p->topic, p->partition);
        if (!tp) return h->error(err, SLUICE_ENOMEM, "out of memory");
        if (p->offset >= 0 && p->metadata_size > 0) {
            char *other = strndup(p->metadata, p->metadata_size);
            rc = other ? h->group_check(s->ctx, other, err) : SLUICE_ENOMEM;
            free(other);
            if (rc) break;
        }
        int64_t o = strcmp(rule, "latest") == 0 ? LATEST : EARLIEST, mine;
        if (rule[0] == '{' && !kafka_offsets_find(&json, tp->topic, tp->partition, &o)) o = EARLIEST;
        tp->entry = p->offset >= 0 ? p->offset : o;
        /* Back to this member with offsets the group never took (its
         * session timed out): go on from them, not from older ones. */
        if (kafka_offsets_find(&s->group->pending, tp->topic, tp->partition, &mine) && mine > tp->entry)
            tp->entry = mine;
        tp->owned = tp->entering = true;
    }
    kafka_offsets_free(&json);
    return rc;
}

static rd_kafka_resp_err_t commit_pending(struct kafka_source *s, const rd_kafka_topic_partition_list_t *only);

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t e, rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    struct kafka_source *s = opaque;
    struct kafka_group *g = s->group;
    bool cooperative = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    struct sluice_buf names = { 0 };
    list_partitions(parts, &names);
    if (e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        rd_kafka_error_t *ae = cooperative ? rd_kafka_incremental_assign(rk, parts) : NULL;
        if (!cooperative) rd_kafka_assign(rk, parts);
        if (ae) rd_kafka_error_destroy(ae);
        rd_kafka_pause_partitions(rk, parts); /* this client never reads */
        g->assigned_once = true;
        if (parts->cnt) {
            s->host->log(s->ctx, SLUICE_LOG_INFO, "member '%s' of group '%s' takes %s", g->member, g->name, names.data);
            if (!g->failed_rc) g->failed_rc = entry_points(s, parts, &g->failed);
        }
    } else if (e == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        /* Between batches: what was read is committed, or pending if the
         * rebalance refused it; commit it now, while the partitions are
         * still this member's, so that their next owner goes on from it.
         * Lost partitions (the group went on without this member) are another's
         * already: their pending offsets stay, in case they come back. */
        rd_kafka_resp_err_t ce = rd_kafka_assignment_lost(rk) ? RD_KAFKA_RESP_ERR__STATE : commit_pending(s, parts);
        if (ce && ce != RD_KAFKA_RESP_ERR__NO_OFFSET)
            s->host->log(s->ctx, SLUICE_LOG_WARN, "group '%s': offsets of %s not committed (%s); their next owner "
                         "reads the last batch again", g->name, names.data,
                         ce == RD_KAFKA_RESP_ERR__STATE ? "this member's assignment was lost: its session timed "
                                                          "out, or the group went on without it"
                                                        : rd_kafka_err2str(ce));
        for (int i = 0; i < parts->cnt; i++) {
            struct kafka_tp *tp = find_tp(s, parts->elems[i].topic, parts->elems[i].partition);
            if (tp) tp->owned = tp->entering = false;
        }
        rd_kafka_error_t *ue = cooperative ? rd_kafka_incremental_unassign(rk, parts) : NULL;
        if (!cooperative) rd_kafka_assign(rk, NULL);
        if (ue) rd_kafka_error_destroy(ue);
        if (parts->cnt)
            s->host->log(s->ctx, SLUICE_LOG_INFO, "member '%s' of group '%s' hands over %s", g->member, g->name,
                         names.data);
    } else {
        rd_kafka_assign(rk, NULL);
        g->failed_rc = s->host->error(&g->failed, SLUICE_EIO, "group '%s': rebalance failed: %s", g->name,
                                      rd_kafka_err2str(e));
    }
    sluice_buf_free(&names);
}

static int set(rd_kafka_conf_t *kc, const char *k, const char *v, const struct sluice_host *h, struct sluice_error *err)
{
    char msg[512];
    if (rd_kafka_conf_set(kc, k, v, msg, sizeof msg) == RD_KAFKA_CONF_OK) return SLUICE_OK;
    return h->error(err, SLUICE_ECONFIG, "kafka: %s", msg);
}

int kafka_group_open(struct kafka_source *s, const char *name, const char *member, struct sluice_error *err)
{
    const struct kafka_conf *c = s->conf;
    const struct sluice_host *h = s->host;
    if (c->assign) {
        int rc = h->error(err, SLUICE_ECONFIG, "assign names the partitions to read, and runtime.group lets the "
                                               "group's members share them: give subscribe or subscribe_pattern");
        return rc;
    }
    s->group = calloc(1, sizeof *s->group);
    if (!s->group) return h->error(err, SLUICE_ENOMEM, "out of memory");
    s->group->name = name;
    s->group->member = member;
    return SLUICE_OK;
}

/* The member's client, made and subscribed on first use (not by `sluice check`). */
static int join(struct kafka_source *s, struct sluice_error *err)
{
    struct kafka_group *g = s->group;
    const struct kafka_conf *c = s->conf;
    const struct sluice_host *h = s->host;
    rd_kafka_conf_t *kc = rd_kafka_conf_new();
    int rc = SLUICE_OK;
    /* A member's partitions move after session.timeout.ms without a
     * heartbeat (kill -9): librdkafka's 45 s is long for a stream; and a
     * member hears of a rebalance at its next heartbeat. */
    const char *defaults[][2] = { { "bootstrap.servers", c->bootstrap_servers }, { "session.timeout.ms", "10000" },
                                  { "heartbeat.interval.ms", "1000" }, { "log_level", "3" } };
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0] && !rc; i++)
        rc = set(kc, defaults[i][0], defaults[i][1], h, err);
    for (size_t i = 0; i < c->kafka.n && !rc; i++) {
        const char *p = c->kafka.items[i], *eq = strchr(p, '=');
        char key[256];
        snprintf(key, sizeof key, "%.*s", (int)(eq - p), p);
        rc = set(kc, key, eq + 1, h, err);
    }
    /* What the group needs, whatever kafka.* says. */
    const char *forced[][2] = { { "group.id", g->name }, { "client.id", g->member },
                                { "partition.assignment.strategy", "cooperative-sticky" },
                                { "enable.auto.commit", "false" }, { "enable.auto.offset.store", "false" },
                                { "queued.max.messages.kbytes", "64" } };
    for (size_t i = 0; i < sizeof forced / sizeof forced[0] && !rc; i++) rc = set(kc, forced[i][0], forced[i][1], h, err);
    if (rc) {
        rd_kafka_conf_destroy(kc);
        return rc;
    }
    rd_kafka_conf_set_rebalance_cb(kc, on_rebalance);
    rd_kafka_conf_set_opaque(kc, s);
    char msg[512];
    g->rk = rd_kafka_new(RD_KAFKA_CONSUMER, kc, msg, sizeof msg);
    if (!g->rk) return h->error(err, SLUICE_EIO, "group '%s': cannot make a Kafka client: %s", g->name, msg);
    size_t n = c->subscribe_pattern ? 1 : c->subscribe.n;
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new((int)n);
    char pattern[1024];
    if (c->subscribe_pattern) {
        /* librdkafka subscribes to a regular expression when the name starts with ^. */
        snprintf(pattern, sizeof pattern, "%s%s", c->subscribe_pattern[0] == '^' ? "" : "^", c->subscribe_pattern);
        rd_kafka_topic_partition_list_add(topics, pattern, RD_KAFKA_PARTITION_UA);
    }
    for (size_t i = 0; i < c->subscribe.n && !c->subscribe_pattern; i++)
        rd_kafka_topic_partition_list_add(topics, c->subscribe.items[i], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(g->rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (e) return h->error(err, SLUICE_EIO, "group '%s': cannot subscribe: %s", g->name, rd_kafka_err2str(e));
    h->log(s->ctx, SLUICE_LOG_INFO, "member '%s' joins group '%s' on %s", g->member, g->name, c->bootstrap_servers);
    return SLUICE_OK;
}

int kafka_group_poll(struct kafka_source *s, struct sluice_error *err)
{
    struct kafka_group *g = s->group;
    if (!g->rk) {
        int rc = join(s, err);
        if (rc) return rc;
    }
    /* Serves rebalances and errors; the client holds no messages (paused). */
    for (rd_kafka_message_t *m; (m = rd_kafka_consumer_poll(g->rk, 0));) {
        if (m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
            s->host->log(s->ctx, SLUICE_LOG_WARN, "group '%s': %s", g->name, rd_kafka_message_errstr(m));
        rd_kafka_message_destroy(m);
    }
    if (g->failed_rc) {
        *err = g->failed;
        return g->failed_rc;
    }
    bool any = false;
    for (size_t i = 0; i < s->n_tps && !any; i++) any = s->tps[i].owned;
    if (g->assigned_once && !any && !g->idle_said)
        s->host->log(s->ctx, SLUICE_LOG_WARN, "member '%s' of group '%s' has no partition to read: the group has as "
                     "many members as the topics have partitions, or more; it stands by and takes over partitions "
                     "when a member leaves", g->member, g->name);
    g->idle_said = g->assigned_once && !any;
    return SLUICE_OK;
}

/* Commit the pending offsets of the partitions in `only` (NULL: every
 * partition this member owns), with this pipeline's fingerprint, and drop
 * them from pending once the group has them. */
static rd_kafka_resp_err_t commit_pending(struct kafka_source *s, const rd_kafka_topic_partition_list_t *only)
{
    struct kafka_group *g = s->group;
    const char *fp = s->host->group_fingerprint(s->ctx);
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new((int)g->pending.n + 1);
    for (size_t i = 0; i < g->pending.n; i++) {
        const struct kafka_offset *o = &g->pending.v[i];
        struct kafka_tp *tp = find_tp(s, o->topic, o->partition);
        bool wanted = only ? rd_kafka_topic_partition_list_find(only, o->topic, o->partition) != NULL
                           : tp && tp->owned;
        if (!wanted || o->offset < 0) continue;
        rd_kafka_topic_partition_t *p = rd_kafka_topic_partition_list_add(list, o->topic, o->partition);
        p->offset = o->offset;
        if (fp && (p->metadata = strdup(fp))) p->metadata_size = strlen(fp);
    }
    rd_kafka_resp_err_t e = list->cnt ? rd_kafka_commit(g->rk, list, 0) : RD_KAFKA_RESP_ERR_NO_ERROR;
    if (!e) {
        /* Committed: drop them from pending (the rest stay). */
        struct kafka_offsets rest = { 0 };
        for (size_t i = 0; i < g->pending.n; i++) {
            const struct kafka_offset *o = &g->pending.v[i];
            if (!rd_kafka_topic_partition_list_find(list, o->topic, o->partition))
                kafka_offsets_set(&rest, o->topic, o->partition, o->offset);
        }
        kafka_offsets_free(&g->pending);
        g->pending = rest;
    }
    rd_kafka_topic_partition_list_destroy(list);
    return e;
}

/* Offsets after the batch that read up to them (main thread, after the
 * sinks and the checkpoint). While the group rebalances it refuses
 * commits: they stay pending, and the revocation commits them before the
 * partitions move, as a Kafka consumer commits in onPartitionsRevoked. */
int kafka_group_commit(struct kafka_source *s, const char *end, struct sluice_error *err)
{
    struct kafka_group *g = s->group;
    if (!g->rk) return SLUICE_OK;
    struct kafka_offsets o = { 0 };
    int rc = kafka_offsets_parse(s, end, &o, err);
    if (rc) return rc;
    for (size_t i = 0; i < o.n; i++) kafka_offsets_set(&g->pending, o.v[i].topic, o.v[i].partition, o.v[i].offset);
    kafka_offsets_free(&o);
    rd_kafka_resp_err_t e = commit_pending(s, NULL);
    switch (e) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
    case RD_KAFKA_RESP_ERR__NO_OFFSET:
        return SLUICE_OK;
    case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION:
    case RD_KAFKA_RESP_ERR__STATE:
        return SLUICE_OK; /* pending: the rebalance's revocation (or the next batch) commits them */
    case RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID:
        /* This member was out of the group (a session that timed out):
         * its partitions moved on, and their next owners read this batch
         * again. */
        s->host->log(s->ctx, SLUICE_LOG_WARN, "group '%s': offsets not committed (%s); the partitions' next "
                     "owners read the last batch again", g->name, rd_kafka_err2str(e));
        kafka_offsets_free(&g->pending);
        return SLUICE_OK;
    default:
        return s->host->error(err, SLUICE_EAGAIN, "group '%s': cannot commit offsets: %s", g->name,
                              rd_kafka_err2str(e));
    }
}

void kafka_group_close(struct kafka_source *s)
{
    struct kafka_group *g = s->group;
    if (!g) return;
    if (g->rk) {
        /* Leaves the group now, so the partitions move without waiting
         * for the session to time out. */
        rd_kafka_consumer_close(g->rk);
        rd_kafka_destroy(g->rk);
    }
    kafka_offsets_free(&g->pending);
    free(g);
    s->group = NULL;
}
