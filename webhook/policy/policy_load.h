/* policy_load.h -- reading policy files (YAML, via libyaml) into a policy.
 *
 * The format (every key, type and default in policies/README.md; the keys
 * themselves are the tables of policy_schema.c):
 *     apiVersion: tollgate.dev/v1          required, exactly
 *     kind: Policy                         required, exactly
 *     metadata: {name: baseline}           required; labels/annotations ignored
 *     spec:                                optional: without it, the defaults
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
 * file per team exemption works).  Names starting with '.' are skipped (a
 * mounted ConfigMap keeps its real files in "..data/"); a sub-directory or
 * other non-regular entry named *.yaml is an error.  The merged policy is
 * named after the first file's metadata.name.  Loading is all or nothing:
 * an error in any file fails the whole load, so a reload keeps the last
 * good policy.
 * Limits: a file holds exactly one YAML document of at most POLICY_FILE_MAX
 * bytes (TG_ETOOBIG beyond); a directory holds at most POLICY_DIR_MAX_FILES
 * policy files and at least one.  An empty file is an error, not "defaults":
 * a ConfigMap that lost its contents must not change what is enforced.
 * Pure apart from reading the named files; thread-safe.
 */
#ifndef TOLLGATE_POLICY_LOAD_H
#define TOLLGATE_POLICY_LOAD_H

#include <stddef.h>

#include "error.h"
#include "policy.h"

#define POLICY_FILE_MAX (1024 * 1024)
#define POLICY_DIR_MAX_FILES 256

/* Load a file or a directory.  On success *out owns a new policy (free with
 * policy_free); on failure *out is untouched and err says why. */
TG_MUST_CHECK enum tg_rc policy_load_path(const char *path, struct policy **out,
                                          struct tg_error *err);

/* Load one YAML document from memory; `source` names it in errors and
 * becomes p->source (NULL: "(buffer)").  Same rules as a file. */
TG_MUST_CHECK enum tg_rc policy_load_buffer(const char *data, size_t len,
                                            const char *source, struct policy **out,
                                            struct tg_error *err);

#endif
