/* core/runtime/state/checkpoint_source.h — what a source keeps in the checkpoint: the
 * host's meta_* functions (sluice/host.h).
 *
 * A source's offsets are opaque to the core, and some mean something only
 * with state of the source's own: the file source's {"logOffset":N} is
 * "the first N files of its log", and after a restart the log must list
 * the same files in the same order. The source stores such state as
 * numbered entries under the checkpoint's sources/<stage>/<key>, each an
 * atomic, durable, checksummed file (checkpoint_file.h, kind
 * "source-meta"). It stores an entry before returning an offset that
 * needs it, so offsets/N never names what a crash could lose.
 *
 * The graph attaches a source stage to its directory before the source's
 * prepare() (so what the last run stored is readable from prepare on), the
 * checkpoint again when it opens, and detaches it when it closes (the
 * stage's ctx holds the path); functions called for a stage that is not
 * attached (no runtime.checkpoint) keep nothing. `sluice check` attaches
 * read-only: scans read, puts and trims store nothing, so a check never
 * changes a checkpoint. Threads: the main thread, i.e. the source
 * callbacks other than read(). */
#ifndef SLUICE_CORE_CHECKPOINT_SOURCE_H
#define SLUICE_CORE_CHECKPOINT_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/host.h>

struct sluice_stage;

/* The stage keeps its entries under `dir`/<stage> (copied). Attaching a
 * stage again replaces its directory and clears `readonly`. */
void sluice_checkpoint_source_attach(struct sluice_stage *stage, const char *dir);
/* The same, for reading only (`sluice check`). */
void sluice_checkpoint_source_attach_readonly(struct sluice_stage *stage, const char *dir);
void sluice_checkpoint_source_detach(struct sluice_stage *stage);

/* The host functions, as sluice/host.h describes them. */
bool sluice_checkpoint_source_enabled(const struct sluice_ctx *ctx);
int sluice_checkpoint_source_put(struct sluice_ctx *ctx, int64_t key, const void *data, size_t len,
                               struct sluice_error *err);
int sluice_checkpoint_source_scan(struct sluice_ctx *ctx, sluice_meta_fn fn, void *arg, struct sluice_error *err);
int sluice_checkpoint_source_trim(struct sluice_ctx *ctx, int64_t below, struct sluice_error *err);

#endif
