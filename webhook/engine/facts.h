/* facts.h -- what the rules need from outside the object, gathered first.
 *
 * Registry lookups (digest of a tag, the image config's USER) are I/O, and
 * the engine does none, so the server and the CLI gather them before
 * evaluation (registry.h, facts_gather.h) and hand the engine a read-only
 * struct facts.  With no facts (NULL, or `tollgate check --offline`) the
 * rules that need them say so instead of guessing.
 * The lookup function here is pure; thread-safe for readers.
 */
#ifndef TOLLGATE_FACTS_H
#define TOLLGATE_FACTS_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

enum fact_status {
    FACT_OK,          /* the registry answered */
    FACT_UNAVAILABLE, /* the lookup failed or ran out of time: see `error` */
};

struct image_fact {
    const char *image; /* the reference exactly as written in the pod spec */
    enum fact_status status;
    const char *error;       /* FACT_UNAVAILABLE: short reason for messages */
    const char *digest;      /* "sha256:<hex>" the tag names (the index digest for a
                                multi-platform image), or NULL */
    bool has_config_user;    /* the platform image's config was read */
    const char *config_user; /* its config.User, "" when unset */
};

struct facts {
    const struct image_fact *items; /* owned by whoever gathered them */
    size_t n;
};

struct arena;

/* Gathers facts for `images` (as written in the pod spec, no duplicates)
 * into `out`, allocating from `a`: the side that does the I/O
 * (facts_gather_admission) and keeps to its own deadline.  Failed lookups
 * become FACT_UNAVAILABLE entries, so it fails only on TG_ENOMEM. */
typedef enum tg_rc (*facts_gather_fn)(void *ctx, const char *const *images, size_t n,
                                      struct arena *a, struct facts *out);

/* The fact for `image` (compared as written), or NULL if none was gathered
 * (f may be NULL). */
const struct image_fact *facts_find(const struct facts *f, const char *image);

#endif
