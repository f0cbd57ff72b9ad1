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

/* The kinds that carry a pod spec (workload.h), for rows that judge the
 * same pod spec in each; EVALFIX_N_KINDS of them. */
#define EVALFIX_N_KINDS 9
extern const char *const evalfix_kinds[EVALFIX_N_KINDS];

/* An object of `kind` (one of evalfix_kinds) whose pod spec has the
 * members `spec` (single-quoted, without the braces), where that kind
 * keeps its pod spec; the result is static storage. */
const char *evalfix_object(const char *kind, const char *spec);

/* Replace the fixture's policy with one loaded from `rules` (the YAML
 * under spec.rules, each line indented by four spaces); the test fails if
 * it does not load. */
void evalfix_rules(struct evalfix *ef, const char *rules);

/* Load a policy document whose spec.rules is `rules`, expecting an
 * error: returns its code, and the error in *err (source "test.yaml";
 * spec.rules' first line is line 6). */
enum tg_rc evalfix_rules_error(const char *rules, struct tg_error *err);

/* One row of a rule's table, judged in one pod-bearing kind. */
struct evalfix_row {
    const char *spec;    /* the pod spec's members (single-quoted) */
    const char *rules;   /* the policy's spec.rules (evalfix_rules) */
    size_t n;            /* findings of the rule */
    const char *pointer; /* of the first finding, below the pod spec; NULL: any */
    const char *message; /* part of the first finding's message; NULL: any */
};

/* Run `row` in evalfix_kinds[kind] and assert what it says, that the
 * first finding has no fix (rows are for rules without configured fixes),
 * and that a finding about a pod spec field, not below a container list,
 * is of kind CONTAINER_POD. */
void evalfix_check_row(const char *rule, const struct evalfix_row *row, size_t kind);

/* A policy error row: spec.rules, and the error's line, column and text. */
struct evalfix_error_row {
    const char *rules;
    int line, column;
    const char *text;
};

/* Load `row->rules` and assert TG_EINVAL with that position and text in
 * "test.yaml". */
void evalfix_check_error_row(const struct evalfix_error_row *row);

/* evalfix_object for a whole pod spec `podspec` (single-quoted, with its
 * braces), for any kind of evalfix_kinds and also EphemeralContainers (the
 * subresource object of API servers before 1.22, which carries
 * ephemeralContainers alone).  The pod spec's pointer
 * (workload_podspec_pointer) is the prefix of every pointer the rules
 * report. */
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
