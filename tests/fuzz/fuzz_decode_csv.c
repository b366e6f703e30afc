/* The CSV decoder (see fuzz_decode.h). CSV holds flat columns only, so the
 * schema is the lab's tweet flattened as lab3_select writes it to CSV, with
 * a column of every flat type. */
#include "fuzz_decode.h"

static const char *const projection[] = { "lang", "created_at", "like_count", "verified" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct fuzz_decode_spec spec = {
        "csv",
        "id STRING, text STRING, lang STRING, created_at TIMESTAMP, like_count LONG, "
        "retweet_count LONG, verified BOOLEAN, probability DOUBLE",
        projection, sizeof projection / sizeof projection[0],
    };
    fuzz_decode(&spec, data, size);
    return 0;
}
