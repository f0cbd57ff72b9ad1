/* admission.c -- decode, evaluate, decide, encode: one AdmissionReview. */
#include "admission.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "alloc_json.h"
#include "decide.h"
#include "engine.h"
#include "respond.h"
#include "review.h"

#define DEFAULT_ARENA_CAP (4u << 20)

/* `src` cut to len - 1 bytes, as snprintf("%s") would, without the
 * formatting machinery (seven fields per request). */
static void copy_field(char *dst, size_t len, const char *src)
{
    size_t n = src ? strnlen(src, len - 1) : 0;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

static void describe(struct admission_result *out, const struct review *rv)
{
    char gen[256];
    copy_field(out->api_version, sizeof(out->api_version), rv->api_version);
    copy_field(out->uid, sizeof(out->uid), rv->uid);
    copy_field(out->kind, sizeof(out->kind), rv->kind);
    copy_field(out->namespace_, sizeof(out->namespace_), rv->namespace_);
    copy_field(out->name, sizeof(out->name), review_display_name(rv, gen, sizeof(gen)));
    copy_field(out->operation, sizeof(out->operation), rv->operation);
    copy_field(out->user, sizeof(out->user), rv->username);
}

/* Count findings per rule and action for the log line and the metrics. */
static void record_hits(struct admission_result *out, const struct findings *f)
{
    size_t used = 0;
    for (size_t i = 0; i < f->n; i++) {
        const struct finding *fnd = &f->items[i];
        if (fnd->severity != FINDING_VIOLATION)
            continue;
        const char *action = rule_action_name(fnd->action);
        size_t k = 0;
        while (k < out->n_hits && (strcmp(out->hits[k].rule, fnd->rule) ||
                                   strcmp(out->hits[k].action, action)))
            k++;
        if (k == out->n_hits) {
            if (k == ADMISSION_MAX_HITS)
                continue;
            out->hits[k].rule = fnd->rule;
            out->hits[k].action = action;
            out->hits[k].count = 0;
            out->n_hits++;
            if (!strstr(out->rules, fnd->rule))
                used += (size_t)snprintf(out->rules + used, sizeof(out->rules) - used,
                                         "%s%s", used ? "," : "", fnd->rule);
            if (used >= sizeof(out->rules))
                used = sizeof(out->rules) - 1;
        }
        out->hits[k].count++;
    }
}

static void record_exemptions(struct admission_result *out, const struct findings *f)
{
    size_t used = 0;
    for (size_t i = 0; i < f->n_exemptions && used < sizeof(out->exempted) - 1; i++) {
        const struct exemption *e = &f->exemptions[i];
        int n = snprintf(out->exempted + used, sizeof(out->exempted) - used,
                         "%s%s/%s: %s", used ? "; " : "", e->rule, e->container,
                         e->reason ? e->reason : "exempt by policy");
        used = n < 0 ? used : used + (size_t)n;
    }
}

/* The configured answer when tollgate itself fails: never a bare 500. */
static enum tg_rc internal_error(const struct review *rv,
                                 const struct admission_options *opt, const char *what,
                                 struct admission_result *out)
{
    char msg[256];
    snprintf(msg, sizeof(msg), "tollgate could not evaluate the request (%s)", what);
    const char *warning = msg;
    struct verdict v = {.allowed = opt->internal_error_allows, .message = msg};
    if (v.allowed) {
        v.warnings = &warning;
        v.n_warnings = 1;
    }
    out->decision = "error";
    return respond_encode(rv->api_version, rv->uid, &v, 500, &out->response,
                          &out->response_len);
}

static enum tg_rc answer(const struct review *rv, const struct verdict *v, int code,
                         struct admission_result *out)
{
    out->decision = v->decision;
    return respond_encode(rv->api_version, rv->uid, v, code, &out->response,
                          &out->response_len);
}

/* The object needs more findings, pointers and messages than a request's
 * arena holds (thousands of containers, each breaking rules).  The object
 * caused it, so it is refused like an unreadable one: answering with the
 * internal-error decision would let anyone who can pad a pod spec turn
 * "allow on internal error" into a way around every rule. */
static enum tg_rc too_big(const struct review *rv, const struct arena *a,
                          struct admission_result *out)
{
    char msg[256];
    snprintf(msg, sizeof(msg),
             "tollgate cannot judge the object: its findings need more than the %zu "
             "KiB a request may use; fix the violations or split the workload",
             a->cap / 1024);
    struct verdict v = {.allowed = false, .decision = "deny", .message = msg};
    return answer(rv, &v, 400, out);
}

/* Has opt->deadline_ns passed?  Checked where the answer could still be
 * given in time: before evaluation and after the registry lookups. */
static bool past_deadline(const struct admission_options *opt)
{
    if (!opt->deadline_ns)
        return false;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    return now >= opt->deadline_ns;
}

/* Updates, as Pod Security Admission treats them: an update that leaves the
 * pod spec as it was (labels, annotations, finalizers, scaling, a
 * controller adopting a pod) is not judged, so objects admitted before a
 * policy existed can still be managed.  And a Pod's spec is immutable
 * after creation, so an UPDATE patch to it would make the API server
 * refuse the whole request: the mutate stage leaves running pods alone. */
static bool skip_update(const struct review *rv, const struct admission_options *opt,
                        const char **why)
{
    if (strcmp(rv->operation, "UPDATE") != 0 || !rv->old_object)
        return false;
    if (workload_same_podspec(rv->object, rv->old_object)) {
        *why = "update leaves the pod spec unchanged";
        return true;
    }
    if (opt->endpoint == ENDPOINT_MUTATE && strcmp(rv->kind, "Pod") == 0) {
        *why = "a Pod's spec cannot be patched after creation";
        return true;
    }
    return false;
}

/* Registry facts first, so the engine itself stays free of I/O. */
static enum tg_rc gather(const struct policy *policy, const json_t *object,
                         const struct admission_options *opt, struct arena *a,
                         struct facts *out)
{
    if (!opt->gather)
        return TG_OK;
    return engine_gather_facts(policy, object, opt->gather, opt->gather_ctx, a, out);
}

/* Evaluate the object for the endpoint's stage and encode the answer. */
static enum tg_rc judge(const struct policy *policy, const struct review *rv,
                        const struct admission_options *opt, struct arena *a,
                        struct admission_result *out)
{
    const json_t *meta = json_object_get(rv->object, "metadata");
    char gen[256];
    struct decide_subject subject = {
        .kind = rv->kind,
        .namespace_ = rv->namespace_,
        .name = review_display_name(rv, gen, sizeof(gen)),
        .labels = json_object_get(meta, "labels"),
    };
    struct verdict v = {.allowed = true, .decision = "allow"};
    if (decide_is_excluded(policy, &subject, &out->excluded))
        return answer(rv, &v, 200, out);
    if (skip_update(rv, opt, &out->excluded))
        return answer(rv, &v, 200, out);
    struct findings f;
    struct tg_error err;
    struct facts facts = {0};
    enum tg_rc rc = gather(policy, rv->object, opt, a, &facts);
    if (rc != TG_OK)
        return rc;
    if (past_deadline(opt))
        return TG_ETIMEDOUT;
    findings_init(&f, a);
    rc = engine_eval(policy, rv->object, &facts, a, &f, NULL, &err);
    if (rc == TG_EINVAL) {
        /* The API server would not send such an object; a hand-made one
         * gets a clear refusal rather than a guess. */
        v.allowed = false;
        v.decision = "deny";
        v.message = arena_printf(a, "tollgate cannot read the object: %s", err.text);
        findings_cleanup(&f);
        return v.message ? answer(rv, &v, 400, out) : TG_ENOMEM;
    }
    enum decide_stage stage =
        opt->endpoint == ENDPOINT_MUTATE ? STAGE_MUTATE : STAGE_VALIDATE;
    if (rc == TG_OK)
        rc = decide(policy, &subject, stage, rv->object, &f, a, &v);
    if (rc == TG_OK) {
        record_hits(out, &f);
        record_exemptions(out, &f);
        rc = answer(rv, &v, 403, out);
    }
    verdict_cleanup(&v);
    findings_cleanup(&f);
    return rc;
}

/* The decoded request is released: its arena can be reused. */
static void scratch_done(const struct admission_options *opt)
{
    alloc_json_arena_end();
    if (opt->scratch)
        arena_reset(opt->scratch);
}

enum tg_rc admission_handle(const struct policy *policy, const char *body, size_t len,
                            const struct admission_options *opt,
                            struct admission_result *out, struct tg_error *err)
{
    struct review *rv = NULL;
    memset(out, 0, sizeof(*out));
    out->decision = "error";
    alloc_json_arena_begin(opt->scratch);
    const char *unread[ENGINE_UNREAD_CAP];
    enum tg_rc rc = review_decode(
        body, len, opt->build_all ? NULL : engine_unread_members(policy, unread), &rv,
        err);
    /* Nothing is added to the decoded tree later (patches work on a copy),
     * so if the arena holds all of it now, it will at the end too. */
    bool tree_in_arena = alloc_json_arena_holds_all();
    alloc_json_arena_pause(); /* what is built from here on may outlive us */
    if (rc != TG_OK) {
        scratch_done(opt);
        return rc;
    }
    describe(out, rv);
    struct arena a;
    arena_init(&a, opt->arena_cap ? opt->arena_cap : DEFAULT_ARENA_CAP);
    if (past_deadline(opt)) { /* e.g. the body took too long to arrive */
        rc = TG_ETIMEDOUT;
    } else if (!rv->object) { /* DELETE, CONNECT: nothing of ours to judge */
        struct verdict v = {.allowed = true, .decision = "allow"};
        rc = answer(rv, &v, 200, out);
    } else {
        rc = judge(policy, rv, opt, &a, out);
    }
    if (rc == TG_ENOMEM && a.capped) {
        tg_free(out->response);
        out->response = NULL;
        rc = too_big(rv, &a, out);
    }
    if (rc == TG_ENOMEM || rc == TG_ETIMEDOUT) {
        tg_free(out->response);
        out->response = NULL;
        rc = internal_error(
            rv, opt, rc == TG_ETIMEDOUT ? "request deadline exceeded" : "out of memory",
            out);
    }
    arena_cleanup(&a);
    if (tree_in_arena)
        review_free_arena_tree(rv);
    else
        review_free(rv);
    scratch_done(opt);
    return rc;
}

void admission_result_cleanup(struct admission_result *r)
{
    if (!r)
        return;
    tg_free(r->response);
    r->response = NULL;
}
