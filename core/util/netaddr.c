/* "host:port" addresses. See netaddr.h. */
#include "netaddr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

bool sluice_netaddr_split(const char *addr, char *host, size_t host_cap, char *port, size_t port_cap)
{
    const char *colon;
    if (addr[0] == '[') {
        const char *close = strchr(addr, ']');
        if (!close || close[1] != ':' || close == addr + 1) return false;
        if ((size_t)(close - addr - 1) >= host_cap) return false;
        snprintf(host, host_cap, "%.*s", (int)(close - addr - 1), addr + 1);
        colon = close + 1;
    } else {
        colon = strrchr(addr, ':');
        /* A second colon outside brackets is an IPv6 host written bare. */
        if (!colon || colon == addr || memchr(addr, ':', (size_t)(colon - addr))) return false;
        if ((size_t)(colon - addr) >= host_cap) return false;
        snprintf(host, host_cap, "%.*s", (int)(colon - addr), addr);
    }
    const char *p = colon + 1;
    size_t n = strlen(p);
    if (!n || n > 5 || strspn(p, "0123456789") != n || atoi(p) > 65535 || n >= port_cap) return false;
    snprintf(port, port_cap, "%s", p);
    return true;
}

int sluice_netaddr_check(const char *addr, struct sluice_error *err)
{
    char host[256], port[8];
    if (sluice_netaddr_split(addr, host, sizeof host, port, sizeof port)) return SLUICE_OK;
    int rc = sluice_error_set(err, SLUICE_ECONFIG, "expected an address such as \"127.0.0.1:4040\", got \"%s\"", addr);
    sluice_error_hint(err, "host:port with a port from 0 to 65535 (0 picks a free one), [..] around an IPv6 host");
    return rc;
}
