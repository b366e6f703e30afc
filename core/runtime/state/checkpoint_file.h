/* core/runtime/state/checkpoint_file.h — the files of a checkpoint: atomic, durable,
 * checksummed (DESIGN §7).
 *
 * Every checkpoint file is one header line, then the payload:
 *   SLUICE-CKPT 1 <kind> <payload bytes> <XXH64 of the payload, 16 hex digits>\n
 * `kind` (offsets, commit, metadata, state-delta, ...) says what the payload
 * is, so a file copied to the wrong place is caught too. The header makes a
 * truncated file, appended garbage, a flipped bit or a file that is not
 * ours an error naming its path, never a silent reset; JSON payloads stay
 * readable with `tail -n +2`.
 *
 * A write goes to ".<name>.tmp" in the same directory, is fsynced, renamed
 * over `name` and the directory fsynced: after a crash the file is either
 * the old one or the new one, and once the call returns it survives a power
 * loss. Leftover ".*.tmp" files are never read (names starting with '.'
 * are skipped by every listing).
 *
 * Errors: SLUICE_EIO for the file system (message naming the path and
 * errno), SLUICE_EDATA for a damaged file, with a hint on what to do.
 * Ownership: the caller owns every buffer. Threads: any; no state. */
#ifndef SLUICE_CORE_CHECKPOINT_FILE_H
#define SLUICE_CORE_CHECKPOINT_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/buf.h>
#include <sluice/error.h>

/* The longest kind word a header may hold. */
#define SLUICE_CHECKPOINT_KIND_MAX 32

/* Write `name` in directory `dir` atomically and durably, as the header says. */
int sluice_checkpoint_file_write(const char *dir, const char *name, const char *kind, const void *data,
                                 size_t len, struct sluice_error *err);
/* Read `path` and check its header, length and checksum, and that it holds
 * `kind`. On SLUICE_OK *out holds the payload (NUL-terminated; the caller
 * frees it with sluice_buf_free); on error *out is left empty. A missing
 * file is SLUICE_EIO "checkpoint file '...' is missing". */
int sluice_checkpoint_file_read(const char *path, const char *kind, struct sluice_buf *out,
                                struct sluice_error *err);
/* The header of `path` (kind and payload size), without reading the rest:
 * enough to list what a directory holds. Errors as for read. */
int sluice_checkpoint_file_peek(const char *path, char kind[SLUICE_CHECKPOINT_KIND_MAX + 1],
                                uint64_t *payload_len, struct sluice_error *err);

/* Record SLUICE_EDATA "checkpoint file '<path>' is damaged: <why>" with the
 * advice every damaged checkpoint gets; returns SLUICE_EDATA. */
int sluice_checkpoint_damaged(struct sluice_error *err, const char *path, const char *why);
/* That advice, for errors worded otherwise (a missing file, logs that disagree). */
void sluice_checkpoint_damaged_hint(struct sluice_error *err);

/* mkdir -p, fsyncing the parent of every directory it makes, so a new
 * directory survives a crash together with the files renamed into it. */
int sluice_checkpoint_mkdirs(const char *path, struct sluice_error *err);
/* fsync a directory (a no-op where the file system cannot). */
int sluice_checkpoint_sync_dir(const char *path, struct sluice_error *err);

/* Names in `dir` that are decimal numbers followed by `suffix` ("" for
 * bare numbers), as their numbers in increasing order; *ids is the
 * caller's to free. A directory that does not exist holds none. Names
 * starting with '.' are skipped; other names are ignored. */
int sluice_checkpoint_list_ids(const char *dir, const char *suffix, int64_t **ids, size_t *n,
                               struct sluice_error *err);

#endif
