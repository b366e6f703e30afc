/* The JSON-lines decoder with the lab's tweet schema (see fuzz_decode.h). */
#include "fuzz_decode.h"

static const char *const projection[] = { "data.lang", "data.created_at", "data.entities.hashtags",
                                          "data.public_metrics.like_count", "includes.users" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct fuzz_decode_spec spec = {
        "json", "@" SLUICE_TEST_SOURCE_DIR "/configs/schemas/tweet.json", projection,
        sizeof projection / sizeof projection[0],
    };
    fuzz_decode(&spec, data, size);
    return 0;
}
