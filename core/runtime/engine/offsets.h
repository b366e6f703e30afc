/* core/runtime/engine/offsets.h — the offset of a query of several
 * sources (the sources a union joins): one text holding each source's own
 * offset text by stage name, in the query's source order,
 *   {"tweets":"<tweets' offset>","retweets":null}
 * null for a source with no offset yet. A query of one source keeps its
 * source's text as it is, so its checkpoints read as before. This is what
 * the engine compares, plans from and the checkpoint stores; each source
 * only ever sees its own part (Spark's OffsetSeq, one entry per source).
 * Main thread. */
#ifndef SLUICE_CORE_OFFSETS_H
#define SLUICE_CORE_OFFSETS_H

#include <stddef.h>

#include <sluice/error.h>

struct sluice_stage;

/* The joined text of parts[0..n) (each NULL or a source's offset) for
 * sources[0..n); heap, the caller's. */
char *sluice_offsets_join(char *const *parts, struct sluice_stage *const *sources, size_t n);
/* Split `text` (NULL: no offset yet, every part NULL) into parts[0..n)
 * (heap strings or NULL, the caller's to free with sluice_offsets_free).
 * SLUICE_EDATA when the text is not a joined offset of these sources. */
int sluice_offsets_split(const char *text, struct sluice_stage *const *sources, size_t n, char **parts,
                         struct sluice_error *err);
/* Free parts[0..n) and set them NULL. */
void sluice_offsets_free(char **parts, size_t n);

#endif
