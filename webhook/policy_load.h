/* policy_load.h -- reading policy files (YAML, via libyaml) into a policy.
 *
 * The format (documented in policies/README.md and in the shipped files):
 *     apiVersion: tollgate.dev/v1
 *     kind: Policy
 *     metadata: {name: baseline}
 *     spec:
 *       mode: enforce | audit
 *       exclude: {namespaces: [...], objectSelector: {matchLabels, matchExpressions}}
 *       overrides: [{namespaces: [...], objectSelector: {...}, mode: audit}]
 *       rules:
 *         runAsNonRoot: {action, exempt: {images, containers, reason}, ...}
 *         pinnedTags: ...  probes: ...  allowedRegistries: ...  imagePullPolicy: ...
 * Keys left out keep the built-in defaults (policy_new_default).  Unknown
 * keys, wrong types and bad values are errors: a typo must never silently
 * disable a rule.  Every error names the file, the 1-based line and column
 * and the key path, and says what was expected:
 *   policies/base.yaml:14:7: spec.rules.probes.require[1]: unknown probe
 *   "liveness2" (expected liveness, readiness, startup)
 * A directory is loaded as its *.yaml and *.yml files in name order, merged:
 * a later file overrides the scalar keys it sets and replaces the lists it
 * sets, except exclude.namespaces and overrides, which are appended (so one
 * file per team exemption works).
 * Pure apart from reading the named files; thread-safe.
 */
#ifndef TOLLGATE_POLICY_LOAD_H
#define TOLLGATE_POLICY_LOAD_H

#include <stddef.h>

#include "error.h"
#include "policy.h"

/* Load a file or a directory.  On success *out owns a new policy (free with
 * policy_free); on failure *out is untouched and err says why. */
TG_MUST_CHECK enum tg_rc policy_load_path(const char *path, struct policy **out,
                                          struct tg_error *err);

/* Load one YAML document from memory; `source` names it in errors. */
TG_MUST_CHECK enum tg_rc policy_load_buffer(const char *data, size_t len,
                                            const char *source, struct policy **out,
                                            struct tg_error *err);

#endif
