/* audit_scan.h -- the webhook's verdict on objects listed from the cluster.
 *
 * The pure core of `tollgate audit` and of the background audit: given the
 * items of one list page, judge every top-level object (audit_kinds.h) with
 * object_verdict_eval -- the same engine, policy, exclusions, overrides and
 * exemptions as the webhook -- and hand each verdict to a sink.  Objects
 * owned by a listed controller are counted and skipped; excluded objects
 * are counted and not reported.  Nothing is kept between items, so memory
 * is bounded by one page plus what the sink keeps.  No I/O here: registry
 * facts come through the optional gatherer, as for the webhook.
 * Not thread-safe: a scan belongs to one thread.
 */
#ifndef TOLLGATE_AUDIT_SCAN_H
#define TOLLGATE_AUDIT_SCAN_H

#include <jansson.h>
#include <stddef.h>

#include "audit_kinds.h"
#include "error.h"
#include "facts.h"
#include "policy.h"

struct audit_counts {
    size_t listed;   /* items seen */
    size_t owned;    /* skipped: a listed controller owns them */
    size_t excluded; /* top-level, but excluded by the policy */
    size_t judged;   /* handed to the sink */
    size_t errors;   /* of those, objects the engine could not read */
};

/* One judged object.  `object` is borrowed (the listed item with its kind
 * and apiVersion set, as list items come without them); `entry` is its
 * verdict (object_verdict.h) plus "apiVersion", "uid" and "source" (the
 * object's API path, "/apis/apps/v1/namespaces/shop/deployments/web"), or
 * for an object the engine cannot read {"kind","namespace","name",
 * "decision":"error","error":text,...}.  The sink takes `entry` whatever it
 * returns; anything but TG_OK stops the scan with that code. */
typedef enum tg_rc (*audit_sink_fn)(void *ctx, const json_t *object, json_t *entry);

struct audit_scan {
    const struct policy *policy; /* borrowed, read-only */
    facts_gather_fn gather;      /* registry lookups, or NULL (none) */
    void *gather_ctx;
    audit_sink_fn sink;
    void *sink_ctx;
    struct audit_counts counts; /* zero it before the first page */
};

/* Judge each element of `items` (a list response's "items" array,
 * borrowed and left as it was), listed as `kind` at `api_version`
 * ("apps/v1", "batch/v1beta1").  TG_EINVAL when
 * `items` is not an array of objects (err says so); TG_ENOMEM; or the
 * sink's code.  Counts accumulate in s->counts. */
TG_MUST_CHECK enum tg_rc audit_scan_items(struct audit_scan *s,
                                          const struct audit_kind *kind,
                                          const char *api_version, json_t *items,
                                          struct tg_error *err);

#endif
