/* findings.h -- what the rules found, in the order they found it.
 *
 * A finding is one problem with one container: the rule that found it, the
 * container, the JSON Pointer of the field at fault, a message that says how
 * to fix it, and optionally the fix itself as values to set (the patch
 * builder, patch.h, turns fixes into RFC 6902 operations).  A note is a
 * finding that never denies (a misleading tag, a registry that did not
 * answer under an allow-on-failure rule); an exemption records a finding
 * that was not made because the policy exempts the image or container, so
 * the caller can log the reason.
 * Memory: the list, its strings and its fixes' pointers come from the
 * caller's arena; fix values are jansson references owned by the list and
 * released by findings_cleanup.  Not thread-safe (one list per request).
 */
#ifndef TOLLGATE_FINDINGS_H
#define TOLLGATE_FINDINGS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "error.h"
#include "policy.h"
#include "workload.h"

enum finding_severity {
    FINDING_VIOLATION, /* breaks the rule: denied, warned or fixed by the action */
    FINDING_NOTE,      /* worth saying, never denies */
};

/* Set `value` at `pointer` (absolute, in the object).  Parents that do not
 * exist are created by the patch builder. */
struct fix {
    const char *pointer;
    json_t *value; /* owned by the findings list */
};

#define FINDING_MAX_FIXES 3

struct finding {
    const char *rule;        /* static rule id, "runAsNonRoot" */
    enum rule_action action; /* the rule's action in the policy */
    enum finding_severity severity;
    const char *container; /* container name */
    enum container_kind container_kind;
    const char *pointer; /* the field at fault */
    const char *message; /* what is wrong and how to fix it */
    struct fix fixes[FINDING_MAX_FIXES];
    size_t n_fixes;
};

struct exemption {
    const char *rule;
    const char *container;
    const char *image;
    const char *reason; /* from the policy, may be NULL */
};

struct findings {
    struct arena *arena; /* borrowed: where items and strings live */
    struct finding *items;
    size_t n, cap;
    struct exemption *exemptions;
    size_t n_exemptions, cap_exemptions;
};

void findings_init(struct findings *f, struct arena *a);
void findings_cleanup(struct findings *f); /* releases fix values; NULL-safe */

/* Add a finding about container `c`, field `field` (a path below the
 * container: "securityContext/runAsNonRoot", "" for the container itself,
 * or an absolute pointer starting with '/' that outlives the list, for a
 * field outside the container such as the pod's securityContext).  The message is
 * formatted into the arena.  On success *added (may be NULL) points at the new finding so
 * the rule can attach fixes; it stays valid until the next add.  TG_ENOMEM when the arena
 * is full. */
TG_MUST_CHECK enum tg_rc findings_addf(struct findings *f, const char *rule,
                                       const struct container *c, const char *field,
                                       struct finding **added, const char *fmt, ...)
    TG_PRINTF(6, 7);

/* Attach "set `value` at `pointer`" to `fnd`.  Steals `value` (released
 * even on failure).  TG_ENOMEM when the value is NULL or the fix list full. */
TG_MUST_CHECK enum tg_rc finding_add_fix(struct findings *f, struct finding *fnd,
                                         const char *pointer, json_t *value);

/* finding_add_fix at `field` below container `c`, a path as findings_addf
 * takes it ("securityContext/allowPrivilegeEscalation").  Steals `value`. */
TG_MUST_CHECK enum tg_rc finding_add_container_fix(struct findings *f,
                                                   struct finding *fnd,
                                                   const struct container *c,
                                                   const char *field, json_t *value);

TG_MUST_CHECK enum tg_rc findings_add_exemption(struct findings *f, const char *rule,
                                                const struct container *c,
                                                const char *reason);

/* Number of violations (notes not counted). */
size_t findings_n_violations(const struct findings *f);

#endif
