/* s3: the file source over an S3 folder. Everything the file source does
 * (file.c: the log of objects seen, checkpointed; units cut at line
 * boundaries; the host decoder; parse modes) it does here, through the S3
 * store (s3_store.c), so the options mean the same:
 *
 *   { name = "tweets"; source = "s3"; path = "s3://bucket/stream_tweet/";
 *     requester_pays = true; schema = "@configs/schemas/tweet.json"; }
 *
 * As Spark's S3A, it lists the folder every trigger (ListObjectsV2, in
 * name order, 1,000 keys a request) and reads only what is new; keys are
 * kept in the checkpoint as s3://bucket/prefix + name, so a restart reads
 * each object once. Objects are immutable in S3: one is read as it was
 * when listed. */
#include <stddef.h>

#include "file_source.h"
#include "s3_client.h"

static const struct sluice_option s3_options[] = {
    FILE_SOURCE_OPTIONS("S3 folder to watch for new objects: s3://bucket/prefix/ (s3a:// also)"),
    { .name = "region", .type = SLUICE_OPT_STRING,
      .offset = offsetof(struct file_conf, region),
      .help = "the bucket's AWS region (default: AWS_REGION, then AWS_DEFAULT_REGION, then us-east-1)" },
    { .name = "endpoint", .type = SLUICE_OPT_STRING,
      .offset = offsetof(struct file_conf, endpoint),
      .help = "an S3-compatible server instead of AWS, e.g. http://127.0.0.1:9000 (path-style addressing)" },
    { .name = "requester_pays", .type = SLUICE_OPT_BOOL, .default_value = "false",
      .offset = offsetof(struct file_conf, requester_pays),
      .help = "send x-amz-request-payer: requester, as a requester-pays bucket needs (Spark's "
              "fs.s3.useRequesterPaysHeader)" },
    { .name = "anonymous", .type = SLUICE_OPT_BOOL, .default_value = "false",
      .offset = offsetof(struct file_conf, anonymous),
      .help = "unsigned requests, for a public bucket: no credentials needed" },
    { .name = "profile", .type = SLUICE_OPT_STRING,
      .offset = offsetof(struct file_conf, profile),
      .help = "the profile of ~/.aws/credentials to use (default: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
              "then AWS_PROFILE, then 'default')" },
    { .name = "poll_interval", .type = SLUICE_OPT_DURATION, .default_value = "1 second",
      .offset = offsetof(struct file_conf, poll_interval),
      .help = "with a \"0 seconds\" trigger and nothing new, list the folder again after this long "
              "(each listing is a billed request)", .min = "1 millisecond" },
    { .name = "timeout", .type = SLUICE_OPT_DURATION, .default_value = "30 seconds",
      .offset = offsetof(struct file_conf, timeout),
      .help = "connecting, or a transfer receiving nothing, for this long fails the attempt",
      .min = "1 millisecond" },
    { .name = "max_retries", .type = SLUICE_OPT_LONG, .default_value = "5",
      .offset = offsetof(struct file_conf, max_retries),
      .help = "attempts after the first when a request meets a reset, a timeout, a 5xx, or 429/SlowDown "
              "(backoff from 100 ms, doubling, at most 5 s)", .min = "0", .max = "30" },
    { 0 }
};

static int s3_open(const struct sluice_host *host, const void *conf_ptr, struct sluice_ctx *ctx, void **state,
                   struct sluice_error *err)
{
    const struct file_conf *conf = conf_ptr;
    struct file_store *store;
    struct file_path path = { 0 };
    int rc = file_source_check(host, conf, err);
    if (!rc) rc = file_path_split(host, conf->path, &path, err);
    if (!rc) rc = s3_store_new(host, ctx, conf, path.root, &store, err);
    if (rc) {
        file_path_free(&path);
        return rc;
    }
    return file_source_open(host, conf, ctx, &path, store, state, err);
}

SLUICE_EXPORT const struct sluice_plugin *sluice_plugin_v1(void)
{
    static const struct sluice_plugin p = {
        .abi_version = SLUICE_ABI_VERSION,
        .size = sizeof(struct sluice_plugin),
        .kind = SLUICE_KIND_SOURCE,
        .name = "s3",
        .summary = "read new JSON-lines or CSV objects from an S3 folder as they appear",
        .options = s3_options,
        .conf_size = sizeof(struct file_conf),
        .open = s3_open,
        FILE_SOURCE_CALLBACKS,
    };
    return &p;
}
