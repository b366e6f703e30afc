/* core/runtime/state/state_store.h — keyed state by (operator, partition),
 * as opaque bytes, versioned by batch (DESIGN §7, §10).
 *
 * An operator (an aggregate stage, by name) keeps its state in hash
 * partitions; the store keeps, for every (operator, partition), records of
 * a key and a value, both bytes it does not interpret. The operator
 * serialises its own entries; the store knows only versions, snapshots,
 * deltas and files. That is the seam scale-out needs: state moves and is
 * mirrored by partition without the store knowing what it holds.
 *
 * Versions are batch ids. Batch N's changes, for every operator and
 * partition it touched, go into one file, `<dir>/N.state`, written
 * atomically and durably in one round (checkpoint_file.h): the cost of a
 * checkpoint is one flush, whatever the number of partitions. A section of
 * the file is either a snapshot (every record the partition holds) or a
 * delta (the records the batch changed, and removals) on top of the
 * partition's previous version. The store asks for a snapshot when the
 * partition has none yet, when its chain holds SLUICE_STATE_MAX_DELTAS
 * deltas, or when the batch changed at least half of it, so a restore
 * reads at most one snapshot and that many deltas per partition.
 *
 * File payload (little-endian): u32 format, i64 version, u32 sections; a
 * section is u16 operator length, the operator, u32 partition, u32
 * partitions, u8 snapshot, i64 previous version (-1 for a snapshot), u64
 * records, u64 bytes, then its records: u32 key length, the key, u32 value
 * length (0xffffffff: the key was removed), the value.
 *
 * A file newer than the last committed batch was written by a batch that
 * never committed: opening deletes it (the batch runs again).
 *
 * Ownership: the store owns its index and the version being written;
 * scan's callback borrows the bytes for the call. Threads: one thread. */
#ifndef SLUICE_CORE_STATE_STORE_H
#define SLUICE_CORE_STATE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/buf.h>
#include <sluice/error.h>

#define SLUICE_STATE_MAX_DELTAS 9

struct sluice_state_store;

/* What a commit wrote. */
struct sluice_state_store_stats {
    int64_t sections;
    int64_t records;
    int64_t bytes;
};

/* Open the store in `dir` (made if absent): index its files up to
 * `last_commit` (-1: none) and delete newer ones. A damaged file is
 * SLUICE_EDATA naming it. On SLUICE_OK *out is the caller's to free. */
int sluice_state_store_open(const char *dir, int64_t last_commit, struct sluice_state_store **out,
                            struct sluice_error *err);
void sluice_state_store_free(struct sluice_state_store *s);

/* ---- writing a version --------------------------------------------------- */

/* Start version `version` (above every version written before). */
void sluice_state_store_begin(struct sluice_state_store *s, int64_t version);
/* Whether (op, part)'s section in this version should be a snapshot, when
 * `changed` of its `total` records changed. */
bool sluice_state_store_wants_snapshot(const struct sluice_state_store *s, const char *op, uint32_t part,
                                       size_t changed, size_t total);
/* Start the section of partition `part` of the `n_parts` of operator `op`:
 * the records that follow replace the partition (snapshot) or change it. */
void sluice_state_store_section(struct sluice_state_store *s, const char *op, uint32_t part, uint32_t n_parts,
                                bool snapshot);
/* A record of the section: `key` now holds the value the caller appends to
 * the returned buffer until the next call (no copy of the value is made).
 * A value over 4 GiB fails the commit. */
struct sluice_buf *sluice_state_store_put(struct sluice_state_store *s, const void *key, uint32_t key_len);
/* A record of the section: `key` holds nothing any more. */
void sluice_state_store_remove(struct sluice_state_store *s, const void *key, uint32_t key_len);
/* Write the version's file (none when nothing was written). *stats may be NULL. */
int sluice_state_store_commit(struct sluice_state_store *s, struct sluice_state_store_stats *stats,
                              struct sluice_error *err);

/* ---- reading ------------------------------------------------------------- */

/* One record as of a version: value NULL when the key was removed then. */
typedef int (*sluice_state_record_fn)(void *arg, uint32_t part, int64_t version, const void *key, uint32_t key_len,
                                      const void *value, size_t value_len, struct sluice_error *err);
/* Every record of operator `op` as of the last committed version, each
 * partition's snapshot first and its deltas after, in version order: a
 * caller that applies them in order (a later record of a key replacing an
 * earlier one) rebuilds the state. SLUICE_EDATA naming the file when one
 * is damaged or was written with another number of partitions than
 * `n_parts`. A callback error stops the scan and is returned; a callback's
 * SLUICE_EDATA (a record it cannot read) gets the file's name around its
 * message. */
int sluice_state_store_scan(struct sluice_state_store *s, const char *op, uint32_t n_parts,
                            sluice_state_record_fn fn, void *arg, struct sluice_error *err);

/* Delete the files no version from `oldest` on needs: each partition keeps
 * its latest snapshot at or before `oldest` and what follows it. */
void sluice_state_store_compact(struct sluice_state_store *s, int64_t oldest);

#endif
