/* check_eval.h -- the webhook's verdict for one manifest object, offline.
 *
 * The API server runs the mutating webhook first and the validating one on
 * the result; `tollgate check` does the same with the same engine: the
 * mutate stage patches what mutate rules can fix, the validate stage judges
 * the patched object.  The outcome is a JSON report entry:
 *   {"kind","namespace","name","decision":"allow|deny|would-deny|excluded",
 *    "findings":[{"rule","action","severity","container","pointer",
 *                 "message","outcome":"deny|warn|fixed"}], "fixed": <object|null>}
 * Pure: no I/O; thread-safe.
 */
#ifndef TOLLGATE_CHECK_EVAL_H
#define TOLLGATE_CHECK_EVAL_H

#include <jansson.h>
#include <stdbool.h>

#include "error.h"
#include "facts.h"
#include "policy.h"

/* Judge `object` (a manifest: Pod, Deployment, ...; other kinds are allowed
 * untouched).  With `keep_fixed`, the entry's "fixed" member holds the
 * object after the mutate stage's patch.  On success *entry is a new JSON
 * object (caller owns).  TG_EINVAL when the object cannot be read (err says
 * where), TG_ENOMEM on allocation failure. */
TG_MUST_CHECK enum tg_rc check_eval_object(const struct policy *policy,
                                           const json_t *object,
                                           const struct facts *facts, bool keep_fixed,
                                           json_t **entry, struct tg_error *err);

#endif
