#include "trigger.h"

#include <string.h>
#include <strings.h>

#include "duration.h"

int sluice_trigger_parse(const char *text, struct sluice_trigger *out)
{
    if (!text) return -1;
    if (strcasecmp(text, "once") == 0) {
        *out = (struct sluice_trigger){ .kind = SLUICE_TRIGGER_ONCE };
        return 0;
    }
    if (strcasecmp(text, "available_now") == 0 || strcasecmp(text, "availableNow") == 0) {
        *out = (struct sluice_trigger){ .kind = SLUICE_TRIGGER_AVAILABLE_NOW };
        return 0;
    }
    int64_t us;
    if (sluice_duration_parse(text, &us) != 0) return -1;
    *out = (struct sluice_trigger){ .kind = SLUICE_TRIGGER_INTERVAL, .interval_us = us };
    return 0;
}
