/* core/batch_share.h — one batch read by several stages (fan-out).
 *
 * A stage's output may feed several stages, each of which owns what it is
 * given and may move columns out of it. Sharing copies only the Arrow node
 * structs, never the buffers: every node of the copy holds a reference to
 * one keeper that owns the original batch and releases it with the last
 * node. */
#ifndef SLUICE_CORE_BATCH_SHARE_H
#define SLUICE_CORE_BATCH_SHARE_H

#include <sluice/batch.h>

/* *out becomes an independent view of `b` (which stays the caller's). */
void sluice_batch_share(struct sluice_batch *b, struct sluice_batch *out);

#endif
