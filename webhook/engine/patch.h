/* patch.h -- fixes to an RFC 6902 JSON Patch the API server applies as is.
 *
 * A fix says "this value at this pointer".  The builder turns each into one
 * operation against the object as it will be after the operations before
 * it: "replace" where the member exists, "add" where only it is missing,
 * and an "add" of a nested object at the first missing parent otherwise (a
 * container without securityContext gets {"securityContext":
 * {"runAsNonRoot": true}}, not a path into nothing).  A fix whose value is
 * already in place makes no operation, so patching a patched object is a
 * no-op.  The builder keeps a working copy of the object and applies each
 * operation to it, so the caller also gets the patched object (the CLI's
 * --fix output, and the object the validate stage judges).
 * Pure; thread-safe.
 */
#ifndef TOLLGATE_PATCH_H
#define TOLLGATE_PATCH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "findings.h"

struct patch_result {
    json_t *ops;     /* owned: a JSON array of operations (maybe empty) */
    json_t *patched; /* owned: the object with the operations applied */
    size_t n_applied;
    size_t n_skipped; /* fixes whose parent is a scalar or list: left alone */
};

/* Build the patch for the fixes of `fixes` (n of them, in order) against
 * `object`.  `applied` (n entries, may be NULL) says per fix whether it made
 * the object right (true also when it already was).  TG_ENOMEM on
 * allocation failure; `out` is written only on success. */
TG_MUST_CHECK enum tg_rc patch_build(const json_t *object, const struct fix *const *fixes,
                                     size_t n, bool *applied, struct patch_result *out);

void patch_result_cleanup(struct patch_result *r); /* NULL-safe */

#endif
