/* The JSON-lines decoder over the types tweets do not have: maps (of
 * arrays, of structs, nested), dates, timestamps and decimals (see
 * fuzz_decode.h). */
#include "fuzz_decode.h"

static const char *const projection[] = { "m", "d", "n", "x", "y" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct fuzz_decode_spec spec = {
        "json",
        "m MAP<STRING, ARRAY<BIGINT>>, n MAP<STRING, STRUCT<d: DATE, x: MAP<STRING, DOUBLE>>>, d DATE, "
        "t TIMESTAMP, s STRING, x DECIMAL(10,2), y DECIMAL(38,30)",
        projection, sizeof projection / sizeof projection[0],
    };
    fuzz_decode(&spec, data, size);
    return 0;
}
