/* min: Spark's min(x), the smallest non-null value of a group, of the argument's
 * type (boolean, long, double, string, timestamp).
 *
 *   aggregate = ["min(data.public_metrics.like_count) AS min_likes"];
 *
 * The implementation, shared with max, is plugins/common/agg_extreme.h;
 * it documents the order (NaN above every number, strings byte-wise), the
 * state and the checkpoint format. */
#define AGG_EXTREME_MAX 0
#define AGG_EXTREME_NAME "min"
#include "../common/agg_extreme.h"

SLUICE_EXPORT const struct sluice_plugin *sluice_plugin_v1(void)
{
    static const struct sluice_plugin p = {
        .abi_version = SLUICE_ABI_VERSION,
        .size = sizeof(struct sluice_plugin),
        .kind = SLUICE_KIND_AGGREGATOR,
        .name = "min",
        .summary = "min(x): the smallest value (boolean, long, double, decimal, string, timestamp or date); null when no values",
        AGG_EXTREME_CALLBACKS,
    };
    return &p;
}
