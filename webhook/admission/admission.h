/* admission.h -- one AdmissionReview in, one AdmissionReview out.
 *
 * The whole decision for a request body: decode (review.h), find the pod
 * specs (workload.h), evaluate the rules (engine.h), decide by policy
 * (decide.h) and encode the response (respond.h).  The server calls it for
 * POST /validate and /mutate; `tollgate check` calls it for AdmissionReview
 * files, so both give the same answer for the same bytes.
 * Pure: the policy is read-only, the result is the caller's; thread-safe.
 */
#ifndef TOLLGATE_ADMISSION_H
#define TOLLGATE_ADMISSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "policy.h"

#include "arena.h"
#include "facts.h"

enum admission_endpoint {
    ENDPOINT_VALIDATE, /* judges: denies violations, warns audit findings */
    ENDPOINT_MUTATE,   /* patches what mutate rules can fix; denies nothing */
};

struct admission_options {
    enum admission_endpoint endpoint;
    /* Registry facts, gathered before evaluation when the policy needs
     * lookups (facts.h, engine_gather_facts); NULL: none (offline). */
    facts_gather_fn gather;
    void *gather_ctx;
    bool internal_error_allows; /* the answer when tollgate itself fails */
    size_t arena_cap;           /* bytes of findings/messages per request; 0 = 4 MiB */
    /* CLOCK_MONOTONIC time (ns) by which the answer must be ready; 0 = none.
     * Once it has passed (checked after decoding, so the uid is known, and
     * before any slow step), the answer is the internal-error decision with
     * the message "tollgate: request deadline exceeded".  The server sets it
     * to the request's arrival + --request-deadline. */
    uint64_t deadline_ns;
    /* Where the decoded request lives (alloc_json.h, alloc_json_arena_begin):
     * reset before admission_handle returns, so reusing one per thread
     * makes decoding free of malloc.  Owned by the caller, used by one
     * thread at a time.  NULL: the heap. */
    struct arena *scratch;
    /* Build every member of the request into the tree, including
     * engine_unread_members (left as raw JSON text otherwise): for tests
     * that check the two give the same answers, and for bench_micro. */
    bool build_all;
};

#define ADMISSION_MAX_HITS 16

/* What happened, for the decision log line and the metrics.  The strings
 * are copies (bounded, truncated if longer). */
struct admission_result {
    char *response; /* owned, tg_free(): the AdmissionReview JSON */
    size_t response_len;
    const char *decision; /* static: "allow" "deny" "patch" "would-deny" "error" */
    char api_version[40];
    char uid[80];
    char kind[64];
    char namespace_[128];
    char name[256];
    char operation[16];
    char user[128];
    char rules[256]; /* comma-separated ids of the rules that found something */
    /* "rule/container: reason; ..." for exemptions the policy applied, so
     * the log says why a container was not judged ("" when none). */
    char exempted[512];
    const char *excluded; /* static: why the object was not judged, or NULL */
    struct {
        const char *rule;   /* static rule id */
        const char *action; /* "enforce" "audit" "mutate" */
        unsigned count;
    } hits[ADMISSION_MAX_HITS];
    size_t n_hits;
};

/* Decide `body`.  TG_OK: out->response is a valid AdmissionReview to send
 * with status 200 -- including internal failures after the uid was known,
 * answered with opt->internal_error_allows (decision "error").
 * TG_EINVAL: the body is not an AdmissionReview tollgate can answer
 * (malformed JSON, no request.uid, wrong apiVersion/kind); err says why in
 * one line fit for a 400 body.  TG_ENOMEM: not even an error answer could
 * be built.  `out` is caller storage; release with admission_result_cleanup
 * whatever the result. */
TG_MUST_CHECK enum tg_rc admission_handle(const struct policy *policy, const char *body,
                                          size_t len, const struct admission_options *opt,
                                          struct admission_result *out,
                                          struct tg_error *err);

void admission_result_cleanup(struct admission_result *r);

#endif
