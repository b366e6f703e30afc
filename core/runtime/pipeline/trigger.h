/* core/runtime/pipeline/trigger.h — when micro-batches run (contract, DESIGN §4):
 * "N unit" a processing-time interval ("0 seconds", the default, means the
 * next batch as soon as the last ends), "once", "available_now". */
#ifndef SLUICE_CORE_TRIGGER_H
#define SLUICE_CORE_TRIGGER_H

#include <stdint.h>

enum sluice_trigger_kind {
    SLUICE_TRIGGER_INTERVAL = 0,
    SLUICE_TRIGGER_ONCE,
    SLUICE_TRIGGER_AVAILABLE_NOW,
};

struct sluice_trigger {
    enum sluice_trigger_kind kind;
    int64_t interval_us; /* SLUICE_TRIGGER_INTERVAL only */
};

/* 0 on success; -1 when `text` is neither a duration nor a trigger name. */
int sluice_trigger_parse(const char *text, struct sluice_trigger *out);

#endif
