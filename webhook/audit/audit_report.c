/* audit_report.c -- compact verdicts in, one PolicyReport at a time out. */
#include "audit_report.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "arena.h"
#include "audit_kinds.h"
#include "buf.h"
#include "object_verdict.h"
#include "rules.h"

#define REPORT_ARENA_CAP (256u << 20)
#define MESSAGE_MAX 1024
#define CLUSTER_NAMESPACES_MAX 10

enum outcome { OUT_PASS, OUT_WARN, OUT_FAIL, OUT_ERROR };

static const char *const outcome_names[] = {"pass", "warn", "fail", "error"};

struct result {
    const char *rule;      /* arena; NULL for an object that could not be read */
    enum outcome outcome;  /* the worst of the rule's findings */
    const char *admission; /* static: deny, would-deny, warn, patch */
    const char *message;   /* arena */
    unsigned n_findings;
    unsigned n_violations;
};

struct resource {
    const char *ns, *kind, *api_version, *name, *uid; /* arena */
    size_t kind_rank;
    struct result *results; /* arena */
    size_t n_results;
};

struct audit_report {
    struct arena arena;
    const char *policy_name;
    time_t time;
    const char **rules; /* ids of the rules that are not off, in table order */
    size_t n_rules;
    struct resource **items; /* tg_realloc'd */
    size_t n, cap;
    size_t budget;
    bool finished;
    size_t *ns_start; /* namespace i: items[ns_start[i] .. ns_start[i + 1]) */
    size_t n_ns;
};

static const struct {
    const char *rule, *severity;
} severities[] = {
    {"runAsNonRoot", "high"},
    {"allowedRegistries", "high"},
    {"privileged", "high"},
    {"allowPrivilegeEscalation", "high"},
    {"capabilities", "high"},
    {"hostNamespaces", "high"},
    {"hostPath", "high"},
    {"noSecretsInEnv", "high"},
    {"pinnedTags", "medium"},
    {"seccompProfile", "medium"},
    {"readOnlyRootFilesystem", "medium"},
    {"hostPorts", "medium"},
    {"probes", "low"},
    {"imagePullPolicy", "low"},
    {"resources", "low"},
};

const char *audit_report_severity(const char *rule)
{
    for (size_t i = 0; rule && i < ARRAY_LEN(severities); i++) {
        if (strcmp(severities[i].rule, rule) == 0)
            return severities[i].severity;
    }
    return "medium";
}

static enum tg_rc copy_rules(struct audit_report *r, const struct policy *policy)
{
    size_t n;
    const struct rule *table = rules_table(&n);
    r->rules = arena_alloc(&r->arena, (n + 1) * sizeof(*r->rules));
    if (!r->rules)
        return TG_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (rule_common_of(&table[i], policy)->action != ACTION_OFF)
            r->rules[r->n_rules++] = table[i].id; /* static strings */
    }
    return TG_OK;
}

struct audit_report *audit_report_new(const struct policy *policy, time_t scan_time)
{
    struct audit_report *r = tg_calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    arena_init(&r->arena, REPORT_ARENA_CAP);
    r->time = scan_time;
    r->budget = AUDIT_REPORT_DEFAULT_BUDGET;
    r->policy_name = arena_strdup(&r->arena, policy->name ? policy->name : "tollgate");
    if (!r->policy_name || copy_rules(r, policy) != TG_OK) {
        audit_report_free(r);
        return NULL;
    }
    return r;
}

void audit_report_free(struct audit_report *r)
{
    if (!r)
        return;
    tg_free(r->items);
    tg_free(r->ns_start);
    arena_cleanup(&r->arena);
    tg_free(r);
}

void audit_report_set_budget(struct audit_report *r, size_t bytes)
{
    r->budget = bytes;
}

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* The outcome of one finding, and what admission does with it. */
static enum outcome classify(const json_t *f, const char **admission)
{
    const char *outcome = str(f, "outcome");
    if (strcmp(outcome, "deny") == 0) {
        *admission = "deny";
        return OUT_FAIL;
    }
    if (strcmp(outcome, "fixed") == 0) {
        *admission = "patch";
        return OUT_WARN;
    }
    if (json_is_true(json_object_get(f, "wouldDeny"))) {
        *admission = "would-deny";
        return OUT_FAIL;
    }
    *admission = "warn";
    return OUT_WARN;
}

/* `text` cut to MESSAGE_MAX bytes at a UTF-8 boundary, into the arena. */
static const char *bounded(struct arena *a, const char *text, size_t len)
{
    if (len < MESSAGE_MAX)
        return arena_strndup(a, text, len);
    size_t cut = MESSAGE_MAX - 4;
    while (cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80)
        cut--;
    return arena_printf(a, "%.*s...", (int)cut, text);
}

static const struct result *result_for(const struct resource *res, const char *rule)
{
    for (size_t i = 0; i < res->n_results; i++) {
        if (res->results[i].rule && strcmp(res->results[i].rule, rule) == 0)
            return &res->results[i];
    }
    return NULL;
}

/* Fold one rule's findings into a result: the worst outcome, every line. */
static enum tg_rc rule_result(struct audit_report *r, const json_t *findings,
                              const char *rule, struct result *out)
{
    struct buf b;
    buf_init(&b, 0);
    enum tg_rc rc = TG_OK;
    size_t i;
    const json_t *f;
    *out = (struct result){.rule = arena_strdup(&r->arena, rule), .outcome = OUT_PASS};
    json_array_foreach(findings, i, f)
    {
        if (rc != TG_OK || strcmp(str(f, "rule"), rule) != 0)
            continue;
        const char *admission;
        enum outcome o = classify(f, &admission);
        if (!out->admission || o > out->outcome) {
            out->outcome = o;
            out->admission = admission;
        }
        out->n_findings++;
        out->n_violations += strcmp(str(f, "severity"), "violation") == 0;
        char who[300];
        object_verdict_subject(f, who, sizeof(who));
        rc = buf_appendf(&b, "%s%s (%s): %s", out->n_findings > 1 ? "; " : "", who,
                         str(f, "pointer"), str(f, "message"));
    }
    if (rc == TG_OK) {
        out->message = bounded(&r->arena, buf_str(&b), buf_len(&b));
        rc = out->rule && out->message ? TG_OK : TG_ENOMEM;
    }
    buf_cleanup(&b);
    return rc;
}

static enum tg_rc add_results(struct audit_report *r, struct resource *res,
                              const json_t *entry)
{
    const json_t *findings = json_object_get(entry, "findings");
    size_t n = json_array_size(findings);
    res->results = arena_alloc(&r->arena, (n + 1) * sizeof(*res->results));
    if (!res->results)
        return TG_ENOMEM;
    if (strcmp(str(entry, "decision"), "error") == 0) {
        const char *text = str(entry, "error");
        res->results[0] = (struct result){.outcome = OUT_ERROR, .admission = "deny"};
        res->results[0].message = bounded(&r->arena, text, strlen(text));
        res->n_results = 1;
        return res->results[0].message ? TG_OK : TG_ENOMEM;
    }
    size_t i;
    const json_t *f;
    json_array_foreach(findings, i, f)
    {
        const char *rule = str(f, "rule");
        if (result_for(res, rule))
            continue;
        enum tg_rc rc = rule_result(r, findings, rule, &res->results[res->n_results]);
        if (rc != TG_OK)
            return rc;
        res->n_results++;
    }
    return TG_OK;
}

static enum tg_rc grow(struct audit_report *r)
{
    if (r->n < r->cap)
        return TG_OK;
    size_t cap = r->cap ? r->cap * 2 : 256;
    struct resource **items = tg_realloc(r->items, cap * sizeof(*items));
    if (!items)
        return TG_ENOMEM;
    r->items = items;
    r->cap = cap;
    return TG_OK;
}

enum tg_rc audit_report_add(struct audit_report *r, const json_t *entry)
{
    if (r->finished)
        return TG_EINVAL;
    if (grow(r) != TG_OK)
        return TG_ENOMEM;
    struct arena *a = &r->arena;
    struct resource *res = arena_zalloc(a, sizeof(*res));
    if (!res)
        return TG_ENOMEM;
    res->ns = arena_strdup(a, str(entry, "namespace"));
    res->kind = arena_strdup(a, str(entry, "kind"));
    res->api_version = arena_strdup(a, str(entry, "apiVersion"));
    res->name = arena_strdup(a, str(entry, "name"));
    res->uid = arena_strdup(a, str(entry, "uid"));
    if (!res->ns || !res->kind || !res->api_version || !res->name || !res->uid)
        return TG_ENOMEM;
    res->kind_rank = audit_kind_rank(res->kind);
    enum tg_rc rc = add_results(r, res, entry);
    if (rc != TG_OK)
        return rc;
    r->items[r->n++] = res;
    return TG_OK;
}

void audit_report_truncate(struct audit_report *r, size_t n)
{
    /* Their arena memory stays until the report set is freed: at most a
     * few abandoned passes' worth (kube_list gives up after a few). */
    if (!r->finished && n < r->n)
        r->n = n;
}

static int by_place(const void *pa, const void *pb)
{
    const struct resource *a = *(const struct resource *const *)pa;
    const struct resource *b = *(const struct resource *const *)pb;
    int c = strcmp(a->ns, b->ns);
    if (c)
        return c;
    if (a->kind_rank != b->kind_rank)
        return a->kind_rank < b->kind_rank ? -1 : 1;
    return strcmp(a->name, b->name);
}

enum tg_rc audit_report_finish(struct audit_report *r)
{
    if (r->finished)
        return TG_EINVAL;
    if (r->n)
        qsort(r->items, r->n, sizeof(*r->items), by_place);
    r->ns_start = tg_malloc((r->n + 1) * sizeof(*r->ns_start));
    if (!r->ns_start)
        return TG_ENOMEM;
    for (size_t i = 0; i < r->n; i++) {
        if (i == 0 || strcmp(r->items[i]->ns, r->items[i - 1]->ns) != 0)
            r->ns_start[r->n_ns++] = i;
    }
    r->ns_start[r->n_ns] = r->n;
    r->finished = true;
    return TG_OK;
}

size_t audit_report_n_namespaces(const struct audit_report *r)
{
    return r->n_ns;
}

const char *audit_report_namespace(const struct audit_report *r, size_t i)
{
    return i < r->n_ns ? r->items[r->ns_start[i]]->ns : NULL;
}

/* The rules that passed on `res`: those that are on and found nothing. */
static size_t n_passed(const struct audit_report *r, const struct resource *res)
{
    if (res->n_results == 1 && res->results[0].outcome == OUT_ERROR)
        return 0;
    size_t n = 0;
    for (size_t k = 0; k < r->n_rules; k++)
        n += result_for(res, r->rules[k]) == NULL;
    return n;
}

static void count(struct audit_summary *s, enum outcome o, size_t n)
{
    switch (o) {
    case OUT_PASS:
        s->pass += n;
        break;
    case OUT_WARN:
        s->warn += n;
        break;
    case OUT_FAIL:
        s->fail += n;
        break;
    case OUT_ERROR:
        s->error += n;
        break;
    }
}

static struct audit_summary summarize(const struct audit_report *r, size_t from,
                                      size_t to)
{
    struct audit_summary s = {0};
    for (size_t i = from; i < to; i++) {
        const struct resource *res = r->items[i];
        for (size_t k = 0; k < res->n_results; k++)
            count(&s, res->results[k].outcome, 1);
        s.pass += n_passed(r, res);
    }
    return s;
}

struct audit_summary audit_report_totals(const struct audit_report *r)
{
    return summarize(r, 0, r->n);
}

/* ---- rendering ---- */

/* Values every result of a report has in common, made once per report and
 * shared (jansson values are reference counted, and nothing writes to a
 * rendered report): a namespace of 10^4 results then costs a few
 * allocations per result, not twenty. */
struct shared {
    json_t *source, *policy, *timestamp;
    json_t *outcome[ARRAY_LEN(outcome_names)];
    json_t *severity[3]; /* high, medium, low */
};

static const char *const severity_names[] = {"high", "medium", "low"};

static void shared_cleanup(struct shared *sh)
{
    json_decref(sh->source);
    json_decref(sh->policy);
    json_decref(sh->timestamp);
    for (size_t i = 0; i < ARRAY_LEN(sh->outcome); i++)
        json_decref(sh->outcome[i]);
    for (size_t i = 0; i < ARRAY_LEN(sh->severity); i++)
        json_decref(sh->severity[i]);
}

static enum tg_rc shared_init(struct shared *sh, const struct audit_report *r)
{
    *sh = (struct shared){
        .source = json_string("tollgate"),
        .policy = json_string(r->policy_name),
        .timestamp = json_pack("{s:I,s:i}", "seconds", (json_int_t)r->time, "nanos", 0)};
    bool ok = sh->source && sh->policy && sh->timestamp;
    for (size_t i = 0; i < ARRAY_LEN(sh->outcome); i++)
        ok = (sh->outcome[i] = json_string(outcome_names[i])) && ok;
    for (size_t i = 0; i < ARRAY_LEN(sh->severity); i++)
        ok = (sh->severity[i] = json_string(severity_names[i])) && ok;
    if (!ok) {
        shared_cleanup(sh);
        return TG_ENOMEM;
    }
    return TG_OK;
}

static json_t *severity_of(const struct shared *sh, const char *rule)
{
    const char *sev = audit_report_severity(rule);
    size_t i = 0;
    while (i + 1 < ARRAY_LEN(severity_names) && strcmp(severity_names[i], sev) != 0)
        i++;
    return sh->severity[i];
}

/* [{apiVersion, kind, name, namespace, uid}]: shared by an object's results. */
static json_t *resource_refs(const struct resource *res)
{
    json_t *ref = json_pack("{s:s,s:s,s:s,s:s}", "apiVersion", res->api_version, "kind",
                            res->kind, "name", res->name, "namespace", res->ns);
    if (ref && res->uid[0] &&
        json_object_set_new(ref, "uid", json_string(res->uid)) != 0) {
        json_decref(ref);
        return NULL;
    }
    return ref ? json_pack("[o]", ref) : NULL;
}

/* The fields every result has: source, policy, result, scored, timestamp,
 * and the rule with its severity when there is one. */
static json_t *result_base(const struct shared *sh, const char *rule, enum outcome o)
{
    json_t *j = json_object();
    int rc = j ? 0 : -1;
    rc = rc ? rc : json_object_set(j, "source", sh->source);
    rc = rc ? rc : json_object_set(j, "policy", sh->policy);
    rc = rc ? rc : json_object_set(j, "result", sh->outcome[o]);
    rc = rc ? rc
            : json_object_set_new(j, "scored",
                                  json_boolean(o == OUT_FAIL || o == OUT_PASS));
    rc = rc ? rc : json_object_set(j, "timestamp", sh->timestamp);
    if (rule) {
        rc = rc ? rc : json_object_set_new(j, "rule", json_string(rule));
        rc = rc ? rc : json_object_set(j, "severity", severity_of(sh, rule));
    }
    if (rc != 0) {
        json_decref(j);
        return NULL;
    }
    return j;
}

static json_t *result_json(const struct shared *sh, json_t *refs, const struct result *x,
                           const char *pass_rule)
{
    json_t *j = result_base(sh, x ? x->rule : pass_rule, x ? x->outcome : OUT_PASS);
    int rc = j ? json_object_set(j, "resources", refs) : -1;
    if (rc == 0 && x && x->message && x->message[0])
        rc = json_object_set_new(j, "message", json_string(x->message));
    if (rc == 0 && x) {
        char n[24];
        snprintf(n, sizeof(n), "%u", x->n_findings);
        rc = json_object_set_new(
            j, "properties",
            json_pack("{s:s,s:s}", "admission", x->admission, "findings", n));
    }
    if (rc != 0) {
        json_decref(j);
        return NULL;
    }
    return j;
}

struct render {
    json_t *results;
    size_t used, budget, omitted;
    bool full; /* the budget was reached */
};

/* Bytes `s` takes as a JSON string, quotes included: never fewer than
 * json_dumps writes (a control character may take six). */
static size_t json_len(const char *s)
{
    size_t n = 2;
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++)
        n += *p == '"' || *p == '\\' ? 2 : *p < 0x20 ? 6 : 1;
    return n;
}

/* The compact JSON of a result is its strings plus a skeleton of member
 * names, punctuation, the timestamp and the booleans, under 330 bytes: an
 * upper bound that costs no serialization (a report can have 10^5). */
#define RESULT_SKELETON 330

static size_t result_size(const struct audit_report *r, const struct resource *res,
                          const struct result *x, const char *rule)
{
    return RESULT_SKELETON + json_len(r->policy_name) + json_len(rule) +
           json_len(res->api_version) + json_len(res->kind) + json_len(res->name) +
           json_len(res->ns) + json_len(res->uid) + (x ? json_len(x->message) : 0);
}

/* Does a result of `size` bytes fit?  If not, it is counted as omitted. */
static bool fits(struct render *out, size_t size)
{
    if (out->used + size > out->budget) {
        out->full = true;
        out->omitted++;
        return false;
    }
    out->used += size;
    return true;
}

/* Append `j` (stolen). */
static enum tg_rc put(struct render *out, json_t *j)
{
    if (!j)
        return TG_ENOMEM;
    return json_array_append_new(out->results, j) == 0 ? TG_OK : TG_ENOMEM;
}

/* One object's results; passes too unless `failures_only`. */
static enum tg_rc render_resource(const struct audit_report *r, const struct shared *sh,
                                  const struct resource *res, bool failures_only,
                                  struct render *out)
{
    json_t *refs = resource_refs(res);
    if (!refs)
        return TG_ENOMEM;
    enum tg_rc rc = TG_OK;
    for (size_t k = 0; rc == TG_OK && k < res->n_results; k++) {
        const struct result *x = &res->results[k];
        if (fits(out, result_size(r, res, x, x->rule)))
            rc = put(out, result_json(sh, refs, x, NULL));
    }
    bool readable = !(res->n_results == 1 && res->results[0].outcome == OUT_ERROR);
    for (size_t k = 0; rc == TG_OK && readable && k < r->n_rules; k++) {
        if (result_for(res, r->rules[k]))
            continue;
        if (failures_only)
            out->omitted++;
        else if (fits(out, result_size(r, res, NULL, r->rules[k])))
            rc = put(out, result_json(sh, refs, NULL, r->rules[k]));
    }
    json_decref(refs);
    return rc;
}

/* Results of items[from..to) in order; passes too unless `failures_only`. */
static enum tg_rc render_results(const struct audit_report *r, size_t from, size_t to,
                                 bool failures_only, struct render *out)
{
    struct shared sh;
    enum tg_rc rc = shared_init(&sh, r);
    if (rc != TG_OK)
        return rc;
    for (size_t i = from; rc == TG_OK && i < to; i++) {
        rc = render_resource(r, &sh, r->items[i], failures_only, out);
        if (out->full && !failures_only)
            break; /* the caller starts over without the passes */
    }
    shared_cleanup(&sh);
    return rc;
}

static json_t *summary_json(const struct audit_summary *s)
{
    return json_pack("{s:I,s:I,s:I,s:I,s:i}", "pass", (json_int_t)s->pass, "fail",
                     (json_int_t)s->fail, "warn", (json_int_t)s->warn, "error",
                     (json_int_t)s->error, "skip", 0);
}

static json_t *metadata_json(const struct audit_report *r, const char *ns, size_t omitted)
{
    char when[32];
    struct tm tm;
    gmtime_r(&r->time, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_t *m =
        json_pack("{s:s,s:{s:s},s:{s:s,s:s}}", "name", AUDIT_REPORT_NAME, "labels",
                  AUDIT_REPORT_MANAGED_LABEL, AUDIT_REPORT_MANAGED_VALUE, "annotations",
                  "tollgate.dev/policy", r->policy_name, "tollgate.dev/scan-time", when);
    int rc = m ? 0 : -1;
    if (rc == 0 && ns)
        rc = json_object_set_new(m, "namespace", json_string(ns));
    if (rc == 0 && omitted) {
        char n[24];
        snprintf(n, sizeof(n), "%zu", omitted);
        rc = json_object_set_new(json_object_get(m, "annotations"),
                                 "tollgate.dev/omitted-results", json_string(n));
    }
    if (rc != 0) {
        json_decref(m);
        return NULL;
    }
    return m;
}

static json_t *report_json(const struct audit_report *r, const char *kind, const char *ns,
                           const struct audit_summary *s, struct render *out)
{
    json_t *doc =
        json_pack("{s:s,s:s,s:o,s:o,s:O}", "apiVersion", "wgpolicyk8s.io/v1alpha2",
                  "kind", kind, "metadata", metadata_json(r, ns, out->omitted), "summary",
                  summary_json(s), "results", out->results);
    return doc;
}

/* Room for the metadata and the summary. */
#define REPORT_OVERHEAD 1024

enum tg_rc audit_report_namespace_json(const struct audit_report *r, size_t i,
                                       json_t **out)
{
    if (!r->finished || i >= r->n_ns)
        return TG_EINVAL;
    size_t from = r->ns_start[i], to = r->ns_start[i + 1];
    size_t budget = r->budget > REPORT_OVERHEAD ? r->budget - REPORT_OVERHEAD : 0;
    struct render ren = {.results = json_array(), .budget = budget};
    enum tg_rc rc = ren.results ? render_results(r, from, to, false, &ren) : TG_ENOMEM;
    if (rc == TG_OK && ren.full) {
        json_decref(ren.results);
        ren = (struct render){.results = json_array(), .budget = budget};
        rc = ren.results ? render_results(r, from, to, true, &ren) : TG_ENOMEM;
    }
    struct audit_summary s = summarize(r, from, to);
    json_t *doc =
        rc == TG_OK ? report_json(r, "PolicyReport", r->items[from]->ns, &s, &ren) : NULL;
    json_decref(ren.results);
    if (!doc)
        return TG_ENOMEM;
    *out = doc;
    return TG_OK;
}

struct rule_tally {
    size_t failed, warned, n_ns;
    char namespaces[256];
};

static void tally_rule(const struct audit_report *r, const char *rule,
                       struct rule_tally *t)
{
    size_t used = 0;
    for (size_t n = 0; n < r->n_ns; n++) {
        size_t before = t->failed + t->warned;
        for (size_t i = r->ns_start[n]; i < r->ns_start[n + 1]; i++) {
            const struct result *x = result_for(r->items[i], rule);
            t->failed += x && x->outcome == OUT_FAIL;
            t->warned += x && x->outcome == OUT_WARN;
        }
        if (t->failed + t->warned == before)
            continue;
        if (t->n_ns++ < CLUSTER_NAMESPACES_MAX && used < sizeof(t->namespaces)) {
            int w = snprintf(t->namespaces + used, sizeof(t->namespaces) - used, "%s%s",
                             used ? "," : "", r->items[r->ns_start[n]]->ns);
            used += w > 0 ? (size_t)w : 0;
        }
    }
}

static json_t *cluster_result(const struct audit_report *r, const struct shared *sh,
                              const char *rule)
{
    struct rule_tally t = {0};
    tally_rule(r, rule, &t);
    enum outcome o = t.failed ? OUT_FAIL : t.warned ? OUT_WARN : OUT_PASS;
    json_t *j = result_base(sh, rule, o);
    char msg[512], failed[24], warned[24];
    snprintf(failed, sizeof(failed), "%zu", t.failed);
    snprintf(warned, sizeof(warned), "%zu", t.warned);
    snprintf(msg, sizeof(msg),
             "%zu object(s) fail and %zu warn in %zu namespace(s)%s%s%s; see the "
             "PolicyReports " AUDIT_REPORT_NAME " there",
             t.failed, t.warned, t.n_ns, t.n_ns ? " (" : "", t.namespaces,
             t.n_ns > CLUSTER_NAMESPACES_MAX ? ", ...)"
             : t.n_ns                        ? ")"
                                             : "");
    json_t *props = json_pack("{s:s,s:s}", "failed", failed, "warned", warned);
    /* No empty values: the API server (1.20) reads "" in a string map as null
     * and refuses the object. */
    if (props && t.namespaces[0] &&
        json_object_set_new(props, "namespaces", json_string(t.namespaces)) != 0) {
        json_decref(props);
        props = NULL;
    }
    if (!j) {
        json_decref(props);
        return NULL;
    }
    int rc = json_object_set_new(j, "properties", props); /* steals, even on failure */
    if (rc == 0)
        rc = json_object_set_new(j, "message", json_string(msg));
    if (rc != 0) {
        json_decref(j);
        return NULL;
    }
    return j;
}

enum tg_rc audit_report_cluster_json(const struct audit_report *r, json_t **out)
{
    if (!r->finished)
        return TG_EINVAL;
    struct render ren = {.results = json_array(), .budget = SIZE_MAX};
    struct shared sh;
    enum tg_rc rc = ren.results ? shared_init(&sh, r) : TG_ENOMEM;
    bool have_shared = rc == TG_OK;
    for (size_t k = 0; rc == TG_OK && k < r->n_rules; k++)
        rc = put(&ren, cluster_result(r, &sh, r->rules[k]));
    if (have_shared)
        shared_cleanup(&sh);
    struct audit_summary s = audit_report_totals(r);
    json_t *doc =
        rc == TG_OK ? report_json(r, "ClusterPolicyReport", NULL, &s, &ren) : NULL;
    json_decref(ren.results);
    if (!doc)
        return TG_ENOMEM;
    *out = doc;
    return TG_OK;
}

void audit_report_violations(const struct audit_report *r, audit_report_count_fn fn,
                             void *ctx)
{
    for (size_t n = 0; n < r->n_ns; n++) {
        const char *ns = r->items[r->ns_start[n]]->ns;
        for (size_t k = 0; k < r->n_rules; k++) {
            size_t count = 0;
            for (size_t i = r->ns_start[n]; i < r->ns_start[n + 1]; i++) {
                const struct result *x = result_for(r->items[i], r->rules[k]);
                count += x ? x->n_violations : 0;
            }
            if (count)
                fn(ctx, r->rules[k], ns, count);
        }
    }
}
