/* core/netaddr.h — the "host:port" addresses users write for runtime.http,
 * checked in one place so that `sluice check`, `sluice run` and the server
 * agree on what is valid (the server resolves the host when it starts).
 *
 * Forms: "127.0.0.1:4040", "localhost:4040", "[::1]:4040"; the port is a
 * decimal number from 0 to 65535 (0: any free port). */
#ifndef SLUICE_CORE_NETADDR_H
#define SLUICE_CORE_NETADDR_H

#include <stdbool.h>
#include <stddef.h>

#include <sluice/error.h>

/* Split `addr` into host (without the brackets of an IPv6 host) and port,
 * both NUL-terminated into the caller's buffers; false when `addr` is not
 * of a form above or a part does not fit. */
bool sluice_netaddr_split(const char *addr, char *host, size_t host_cap, char *port, size_t port_cap);
/* SLUICE_OK, or SLUICE_ECONFIG naming `addr` with a hint on the form. */
int sluice_netaddr_check(const char *addr, struct sluice_error *err);

#endif
