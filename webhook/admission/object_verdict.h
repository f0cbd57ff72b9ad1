/* object_verdict.h -- the webhook's verdict for one object, without a review.
 *
 * The API server runs the mutating webhook first and the validating one on
 * the result; this does the same with the same engine: the mutate stage
 * patches what mutate rules can fix, the validate stage judges the patched
 * object.  `tollgate check` calls it for manifests, `tollgate audit` and the
 * background audit for objects listed from the API server, so all three
 * give the verdict the webhook would give.  The outcome is a JSON report
 * entry:
 *   {"kind","namespace","name","decision":"allow|deny|would-deny|excluded",
 *    "findings":[{"rule","action","severity","container","pointer",
 *                 "message","outcome":"deny|warn|fixed"[,"wouldDeny":true]}],
 *    "fixed": <object|null>}
 * wouldDeny marks a warning that enforcement would deny (audit mode).
 * Pure: no I/O; thread-safe.
 */
#ifndef TOLLGATE_OBJECT_VERDICT_H
#define TOLLGATE_OBJECT_VERDICT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "facts.h"
#include "policy.h"

/* Judge `object` (a manifest: Pod, Deployment, ...; other kinds are allowed
 * untouched) by `policy`.  With `fix_policy` (NULL: none) the mutate stage
 * runs with it instead -- `tollgate check --fix` passes the policy with
 * every fix switched on -- and the entry's "fixed" member holds the object
 * after its patch; the validate stage always judges by `policy`, so the
 * verdict is the cluster's on the fixed object (an audit rule still only
 * warns).  Exclusions are `policy`'s.  On success *entry is a new JSON
 * object (caller owns).  TG_EINVAL when the object cannot be read (err says
 * where), TG_ENOMEM on allocation failure. */
TG_MUST_CHECK enum tg_rc object_verdict_eval(const struct policy *policy,
                                             const struct policy *fix_policy,
                                             const json_t *object,
                                             const struct facts *facts, json_t **entry,
                                             struct tg_error *err);

/* Who a report entry's finding is about, as decide_finding_subject()
 * says it: "container \"app\"" ("initContainer \"init\"", ...), or "pod"
 * for a pod spec's own field (containerType "pod"); into `buf` (`len`
 * bytes, cut to fit). */
void object_verdict_subject(const json_t *finding, char *buf, size_t len);

#endif
