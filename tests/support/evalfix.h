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

#endif
