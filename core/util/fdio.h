/* core/util/fdio.h — writing to a file descriptor without losing bytes.
 * Threads: any; no state. */
#ifndef SLUICE_CORE_FDIO_H
#define SLUICE_CORE_FDIO_H

#include <stddef.h>

/* Write all n bytes of p to fd, through short writes and EINTR; 0, or -1
 * with errno set by the write that failed. */
int sluice_fd_write_all(int fd, const void *p, size_t n);

#endif
