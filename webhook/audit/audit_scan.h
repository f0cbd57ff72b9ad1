/* audit_scan.h -- the webhook's verdict on objects listed from the cluster.
 *
 * The pure core of `tollgate audit` and of the background audit: for each
 * listed item, judge it if it is a top-level object (audit_kinds.h) with
 * object_verdict_eval -- the same engine, policy, exclusions, overrides and
 * exemptions as the webhook -- and hand the verdict to a sink.  Objects
 * owned by a judged controller are counted and skipped; excluded objects are
 * counted and not reported.  Nothing is kept between items, so memory is
 * bounded by the item (kube_list holds one page) plus what the sink keeps.
 * No I/O here: registry facts come through the optional gatherer, as for
 * the webhook.
 * Not thread-safe: a scan belongs to one thread.
 */
#ifndef TOLLGATE_AUDIT_SCAN_H
#define TOLLGATE_AUDIT_SCAN_H

#include <jansson.h>
#include <stddef.h>

#include "engine.h"
#include "error.h"
#include "facts.h"
#include "kube_resource.h"
#include "policy.h"

struct audit_counts {
    size_t listed;   /* items seen */
    size_t owned;    /* skipped: a judged controller owns them */
    size_t excluded; /* top-level, but excluded by the policy */
    size_t judged;   /* handed to the sink */
    size_t errors;   /* of those, objects the engine could not read */
};

/* One judged object.  `object` is the listed item (borrowed); `entry` is
 * its verdict (object_verdict.h) plus "apiVersion", "uid" and "source" (the
 * object's API path, "/apis/apps/v1/namespaces/shop/deployments/web"), or
 * for an object the engine cannot read {"kind","namespace","name",
 * "decision":"error","error":text,"findings":[],...}.  The sink takes
 * `entry` whatever it returns; anything but TG_OK stops the scan with that
 * code. */
typedef enum tg_rc (*audit_sink_fn)(void *ctx, const json_t *object, json_t *entry);

/* Forget every entry the sink took after its first `n`: a list started
 * over (a continue token expired), so they belong to an abandoned pass. */
typedef void (*audit_rollback_fn)(void *ctx, size_t n);

struct audit_scan {
    const struct policy *policy; /* borrowed, read-only */
    facts_gather_fn gather;      /* registry lookups, or NULL (none) */
    void *gather_ctx;
    audit_sink_fn sink;
    audit_rollback_fn rollback; /* required when lists may restart */
    void *sink_ctx;
    struct audit_counts counts; /* zero it before the first item */
};

/* Judge `item` (borrowed, unchanged), an object of resource `res` that
 * carries its kind and apiVersion (kube_list sets them on list items).
 * TG_ENOMEM, or the sink's code.  Counts accumulate in s->counts. */
TG_MUST_CHECK enum tg_rc audit_scan_item(struct audit_scan *s,
                                         const struct kube_resource *res,
                                         const json_t *item);

/* The members of a listed object that neither the engine nor the scan
 * reads under `policy`: engine_unread_members (engine.h) but
 * ownerReferences, which audit_is_top_level reads.  Written into `out`,
 * NULL-terminated, and returned, for kube_list_opts.raw_keys: listing with
 * them leaves those members as JSON text, which changes no verdict and no
 * report (check_audit_lean).  Pure. */
const char *const *audit_scan_unread_members(const struct policy *policy,
                                             const char *out[ENGINE_UNREAD_CAP]);

/* Back to the state of `mark` (a copy of s->counts taken earlier): the
 * counts are restored and the sink forgets the entries taken since. */
void audit_scan_rewind(struct audit_scan *s, const struct audit_counts *mark);

#endif
