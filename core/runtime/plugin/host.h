/* core/runtime/plugin/host.h — the host function table handed to every plugin. */
#ifndef SLUICE_CORE_HOST_H
#define SLUICE_CORE_HOST_H

#include <sluice/host.h>

/* The one table, filled at compile time from the core's modules. */
const struct sluice_host *sluice_host(void);

#endif
