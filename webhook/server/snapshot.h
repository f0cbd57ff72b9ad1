/* snapshot.h -- the policy in force, published whole and pinned per request.
 *
 * A snapshot wraps one immutable struct policy with a reference count.  The
 * process has one current snapshot; a request pins it (snapshot_acquire)
 * when its body is complete and lets go (snapshot_release) when it is
 * done, so a reload that publishes a new snapshot never changes the policy
 * under a request in flight.  The old snapshot is freed by whoever drops
 * its last reference: the publisher, or the last request that pinned it.
 * A policy is never written after it was published.
 * Thread-safe: acquire and publish take a lock held for a few instructions
 * (no publish may slip between reading `current` and counting the
 * reference); release is a single atomic decrement.
 */
#ifndef TOLLGATE_SNAPSHOT_H
#define TOLLGATE_SNAPSHOT_H

#include <stdint.h>

#include "policy.h"

struct snapshot;

/* Wrap `policy` (taken: the snapshot frees it, even when this fails) in a
 * snapshot holding one reference.  `generation` is a number for logs
 * (1 for the first load, +1 per reload).  NULL on OOM. */
struct snapshot *snapshot_new(struct policy *policy, uint64_t generation);

/* Make `next` (one reference, taken) the current snapshot and release the
 * one it replaces. */
void snapshot_publish(struct snapshot *next);

/* The current snapshot with one more reference for the caller, or NULL if
 * none was published yet.  Pair with snapshot_release. */
struct snapshot *snapshot_acquire(void);

/* Drop one reference; the last one frees the snapshot and its policy.
 * NULL-safe. */
void snapshot_release(struct snapshot *s);

/* Release the current snapshot and leave none (process shutdown, tests). */
void snapshot_clear(void);

/* Borrowed: valid while the caller holds its reference. */
const struct policy *snapshot_policy(const struct snapshot *s);
uint64_t snapshot_generation(const struct snapshot *s);

#endif
