/* evalfix.h -- run the engine on a JSON snippet, for the rule and engine
 * suites.
 *
 * Snippets are written with single quotes ('kind':'Pod') to keep the C
 * tables readable; evalfix_json() turns them into JSON.  A fixture owns a
 * default policy (tests change its fields), an arena and the findings.
 */
#ifndef TOLLGATE_EVALFIX_H
#define TOLLGATE_EVALFIX_H

#include <jansson.h>

#include "engine.h"
#include "findings.h"
#include "policy.h"

struct evalfix {
    struct policy *policy;
    struct arena arena;
    struct findings findings;
    json_t *object;
    struct facts facts;
};

/* Parse a single-quoted snippet; the test fails on bad JSON. */
json_t *evalfix_json(const char *snippet);

void evalfix_init(struct evalfix *ef); /* default policy, empty findings */
void evalfix_cleanup(struct evalfix *ef);

/* Evaluate `snippet` (replacing any previous object and findings). */
enum tg_rc evalfix_run(struct evalfix *ef, const char *snippet);

/* Findings of `rule` (all rules when NULL), and the i-th of them. */
size_t evalfix_count(const struct evalfix *ef, const char *rule);
const struct finding *evalfix_get(const struct evalfix *ef, const char *rule, size_t i);

/* A Pod snippet with the given containers JSON (single-quoted) and pod
 * securityContext (or NULL); the result is static storage. */
const char *evalfix_pod(const char *pod_security_context, const char *containers);

/* The kinds that carry a whole pod spec (workload.h), NULL-terminated:
 * Pod, Deployment, ..., ReplicationController.  (EphemeralContainers, the
 * subresource object of API servers before 1.22, carries
 * ephemeralContainers alone: evalfix_workload takes it too.) */
extern const char *const evalfix_kinds[];

/* An object of `kind` carrying `podspec` (single-quoted JSON) where
 * Kubernetes puts it, as a snippet for evalfix_run; static storage.  The
 * pod spec's pointer (workload_podspec_pointer) is the prefix of every
 * pointer the rules report. */
const char *evalfix_workload(const char *kind, const char *podspec);

/* What a rule must find in one pod spec: `n` findings, the first at
 * `pointer` (below the pod spec: "/containers/0/securityContext/x"), its
 * message containing `message`, with `n_fixes` fixes. */
struct evalfix_expect {
    size_t n;
    const char *pointer, *message;
    size_t n_fixes;
};

/* Evaluate `podspec` at every kind of evalfix_kinds and check that
 * `rule` finds what `want` says, with the pointer under each kind's pod
 * spec.  The test fails otherwise. */
void evalfix_check_kinds(struct evalfix *ef, const char *rule, const char *podspec,
                         const struct evalfix_expect *want);

/* Apply the fixes of the findings the way the mutate stage does (those
 * decide_treatment says it patches, through patch_build), check the patch with the
 * independent applier (jsonpatch_ref: it must apply and give the builder's own result),
 * and evaluate the patched object again, which replaces the object and the findings.
 * Returns the number of patch operations; the test fails when the patch does not apply or
 * the two disagree. */
size_t evalfix_apply_fixes(struct evalfix *ef);

#endif
