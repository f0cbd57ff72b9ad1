/* decide.h -- what the findings mean under the policy: the verdict.
 *
 * The engine says what is wrong; this module says what tollgate does about
 * it, by the policy's mode (or a namespace override) and each rule's
 * action, for one of the two webhook stages:
 *   mutate stage   patches every fixable finding of a mutate rule (never in
 *                  audit mode) and warns what it fixed; it denies nothing
 *                  (the validate stage judges what is left).
 *   validate stage denies every violation of an enforce or mutate rule in
 *                  enforce mode (one message, every violation: container,
 *                  field, fix); audit rules and audit mode turn violations
 *                  into warnings, audit annotations and "would-deny".
 * Exclusions (namespaces, object labels) are checked before evaluation.
 * Warnings are shaped for the API server's limits: each at most
 * DECIDE_WARNING_MAX bytes, all together at most DECIDE_WARNINGS_TOTAL,
 * ending with one that counts what did not fit.
 * Pure; the verdict's strings live in the caller's arena.
 */
#ifndef TOLLGATE_DECIDE_H
#define TOLLGATE_DECIDE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "error.h"
#include "findings.h"
#include "policy.h"

#define DECIDE_WARNING_MAX 256
#define DECIDE_WARNINGS_TOTAL 4000

enum decide_stage { STAGE_VALIDATE, STAGE_MUTATE };

/* Who is being judged: for exclusions, overrides and the deny message. */
struct decide_subject {
    const char *kind;       /* "Pod" */
    const char *namespace_; /* "" for none */
    const char *name;       /* display name */
    const json_t *labels;   /* the object's metadata.labels, may be NULL */
};

struct verdict {
    bool allowed;
    bool would_deny;       /* audit: something would have been denied */
    const char *decision;  /* static: "allow" "deny" "patch" "would-deny" */
    enum policy_mode mode; /* the mode in force for this object */
    const char *message;   /* deny message, NULL when allowed */
    const char **warnings;
    size_t n_warnings;
    json_t *patch;             /* owned: JSON Patch array, NULL when nothing to patch */
    json_t *patched;           /* owned: the object after the patch, NULL when none */
    json_t *audit_annotations; /* owned: object, NULL when none */
    size_t n_denied;           /* violations that deny (or would, in audit) */
    size_t n_warned;           /* findings reported as warnings */
    size_t n_fixed;            /* findings fixed by the patch */
};

/* Is the subject excluded by the policy?  *why (may be NULL) gets a static
 * or arena string for the log. */
bool decide_is_excluded(const struct policy *p, const struct decide_subject *s,
                        const char **why);

/* The mode in force for the subject (overrides first, then spec.mode). */
enum policy_mode decide_mode(const struct policy *p, const struct decide_subject *s);

/* Judge `f` (findings about `object`) for `stage`.  TG_ENOMEM when the arena
 * or an allocation fails.  `out` is written only on success; release its
 * JSON with verdict_cleanup. */
TG_MUST_CHECK enum tg_rc decide(const struct policy *p, const struct decide_subject *s,
                                enum decide_stage stage, const json_t *object,
                                const struct findings *f, struct arena *a,
                                struct verdict *out);

void verdict_cleanup(struct verdict *v); /* NULL-safe */

enum decide_treatment {
    TREAT_DENY, /* the finding denies the object */
    TREAT_WARN, /* a warning (audit rule, audit mode, or a note) */
    TREAT_FIX,  /* the mutate stage patches it */
    TREAT_NONE, /* this stage does nothing with it */
};

/* What `stage` does with one finding under `mode`: the single place that
 * says so, for decide() and for reports of the same verdict (the CLI). */
enum decide_treatment decide_treatment(const struct finding *f, enum policy_mode mode,
                                       enum decide_stage stage);

/* Is `f` a violation that enforcement would deny, but that `mode` (audit)
 * only warns about?  What makes a verdict "would-deny"; reports of the same
 * verdict (the CLI, PolicyReports) ask it per finding. */
bool decide_would_deny(const struct finding *f, enum policy_mode mode);

/* Who a finding is about: "container \"app\"" ("initContainer", ...), or
 * "pod" for a pod spec's own field.  NULL when the arena is full. */
const char *decide_finding_subject(struct arena *a, const struct finding *fnd);

/* "[rule] container \"app\" (/spec/containers/0/image): message", or
 * "[rule] pod (/spec/hostNetwork): message".  NULL when the arena is full. */
const char *decide_finding_line(struct arena *a, const struct finding *fnd);

#endif
