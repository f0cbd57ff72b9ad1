/* facts_gather.h -- registry facts for an object's images, within a deadline.
 *
 * Before the engine runs, the server (and `tollgate check` unless offline)
 * asks the registry about the images the policy needs to know more about:
 * the digest a tag names (pinnedTags.resolveDigest) and the image config's
 * USER (runAsNonRoot.checkImageUser).  This module turns a list of image
 * strings, as written in the pod spec, into a struct facts (facts.h): one
 * image_fact per distinct image, FACT_OK with what was found, or
 * FACT_UNAVAILABLE with a short reason when the reference does not parse,
 * the registry fails or the deadline passes -- so the rule can allow with a
 * warning or deny, as rule_common.allow_on_lookup_failure says.
 *
 * Images the registry's cache already answers (and pinned digests) cost
 * well under a microsecond each and start no thread.  The others are looked
 * up at the same time, one thread each (at most 8 at once, the last on the
 * calling thread), so a pod's images together take about as long as the
 * slowest of them, and never longer than the deadline.
 * Thread-safe: the registry is shared, everything else is the caller's.
 */
#ifndef TOLLGATE_FACTS_GATHER_H
#define TOLLGATE_FACTS_GATHER_H

#include <stddef.h>

#include "arena.h"
#include "error.h"
#include "facts.h"
#include "policy.h"
#include "registry.h"

/* What to find out (bits; the same values as enum registry_want). */
enum facts_need {
    FACTS_NEED_DIGEST = REGISTRY_WANT_DIGEST,
    FACTS_NEED_USER = REGISTRY_WANT_USER,
};

/* The needs of a policy: FACTS_NEED_DIGEST when pinnedTags is on with
 * resolveDigest, FACTS_NEED_USER when runAsNonRoot is on with
 * checkImageUser; 0 when it needs no lookups.  Pure. */
unsigned facts_need_of(const struct policy *p);

struct facts_query {
    const char *const *images; /* as written in the pod spec; repeats allowed */
    size_t n_images;
    unsigned need;         /* FACTS_NEED_* bits; 0 gathers nothing */
    long long deadline_ms; /* registry_now_ms clock: when every lookup must be done */
};

/* One fact per distinct image of `q` (in first-seen order) into *out; the
 * items and their strings are allocated from `a` and live as long as it.
 * Lookup failures are FACT_UNAVAILABLE facts, not errors; images not in the
 * cache when the deadline has already passed get "registry lookup skipped:
 * deadline exceeded".
 * Returns TG_ENOMEM (err says so) only when `a` is full; *out is written
 * only on success.  With need 0 or no images, *out is empty. */
TG_MUST_CHECK enum tg_rc facts_gather(struct registry *reg, const struct facts_query *q,
                                      struct arena *a, struct facts *out,
                                      struct tg_error *err);

/* The context of facts_gather_admission: fill one per request. */
struct facts_gather_ctx {
    struct registry *registry;   /* borrowed; NULL: nothing is gathered */
    const struct policy *policy; /* the request's policy: what is needed */
    long long deadline_ms; /* registry_now_ms clock; 0: now + the registry's timeout */
};

/* facts_gather with the signature of admission_options.gather (admission.h):
 * `ctx` is a struct facts_gather_ctx. */
TG_MUST_CHECK enum tg_rc facts_gather_admission(void *ctx, const char *const *images,
                                                size_t n, struct arena *a,
                                                struct facts *out);

#endif
