/* metrics.c -- fixed tables of relaxed atomic counters, rendered as the
 * Prometheus text format (0.0.4).
 *
 * Every label value comes from a constant table, so the counters are plain
 * arrays indexed by position, counting costs a few string compares and one
 * relaxed add, and rendering only reads.  A value outside a table is
 * counted under "other", so a request for a kind nobody listed can never
 * create a series (cardinality is fixed at build time).  The histogram keeps
 * per-bucket counts and sums them while rendering; its _count is that same
 * sum, so _count always equals the +Inf bucket in one scrape.
 */
#include "metrics.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static const char *const endpoints[] = {"validate", "mutate", "other"};
static const char *const decisions[] = {"allow", "deny",        "patch", "would-deny",
                                        "error", "bad-request", "other"};
static const char *const kinds[] = {
    "Pod",         "Deployment", "ReplicaSet", "StatefulSet",
    "DaemonSet",   "Job",        "CronJob",    "ReplicationController",
    "PodTemplate", "other"};
static const char *const rules[] = {
    "runAsNonRoot", "pinnedTags", "probes", "allowedRegistries", "imagePullPolicy",
    /* host access and hygiene */
    "hostNamespaces", "hostPorts", "hostPath", "noSecretsInEnv", "resources",
    /* container hardening */
    "privileged", "allowPrivilegeEscalation", "capabilities", "readOnlyRootFilesystem",
    "seccompProfile", "other"};
static const char *const actions[] = {"enforce", "audit", "mutate", "other"};
static const char *const results[] = {"ok", "failed"};
/* HTTP answers given before the engine runs; the last slot is "other". */
static const int http_codes[] = {400, 403, 404, 405, 408, 411, 413,
                                 414, 415, 429, 431, 500, 503};

/* A webhook answers in microseconds; the API server gives up after 10 s
 * at most (1-30 s timeoutSeconds), so 1 s is already a disaster. */
static const unsigned long bucket_us[] = {100,    250,    500,    1000,  2500,
                                          5000,   10000,  25000,  50000, 100000,
                                          250000, 500000, 1000000};
static const char *const bucket_le[] = {"0.0001", "0.00025", "0.0005", "0.001", "0.0025",
                                        "0.005",  "0.01",    "0.025",  "0.05",  "0.1",
                                        "0.25",   "0.5",     "1"};

/* The background audit's failed API calls (audit_api_error_kind). */
static const char *const audit_error_kinds[] = {
    "unauthorized", "forbidden",    "not_found",  "conflict", "gone",
    "throttled",    "server_error", "http_other", "timeout",  "connect",
    "tls",          "truncated",    "malformed",  "local",    "other"};
static const char *const audit_results[] = {"ok", "failed"};

#define N_EP ARRAY_LEN(endpoints)
#define N_DEC ARRAY_LEN(decisions)
#define N_KIND ARRAY_LEN(kinds)
#define N_RULE ARRAY_LEN(rules)
#define N_ACT ARRAY_LEN(actions)
#define N_CODE (ARRAY_LEN(http_codes) + 1)
#define N_BUCKET (ARRAY_LEN(bucket_us) + 1) /* + Inf */

static struct {
    atomic_ulong requests[N_EP][N_DEC][N_KIND];
    atomic_ulong buckets[N_EP][N_BUCKET]; /* not cumulative: one bucket per request */
    atomic_ulong sum_us[N_EP];
    atomic_ulong violations[N_RULE][N_ACT];
    atomic_ulong policy_reloads[2];
    atomic_ulong cert_reloads[2];
    atomic_ulong http_errors[N_CODE];
    atomic_llong cert_expiry; /* 0: no certificate loaded yet */
    atomic_ulong audit_scans[2];
    atomic_ulong audit_errors[ARRAY_LEN(audit_error_kinds)];
    atomic_llong audit_last_success; /* 0: none yet */
    atomic_ulong audit_duration_us;  /* of the last successful scan */
    atomic_ulong audit_objects;      /* listed by the last successful scan */
    atomic_int audit_leader;
} m;

/* The last successful scan's violations by rule and namespace: a set that
 * changes as a whole, swapped under a lock (a scrape never sees half of
 * one scan and half of another).  Past METRICS_AUDIT_SERIES pairs the rest
 * is summed into rule="other",namespace="other". */
static struct {
    pthread_mutex_t lock;
    struct metrics_audit_count items[METRICS_AUDIT_SERIES + 1];
    size_t n;
} audit_violations = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Index of `value` in a table whose last entry is "other". */
static size_t lookup(const char *const *table, size_t n, const char *value)
{
    for (size_t i = 0; value && i + 1 < n; i++)
        if (strcmp(table[i], value) == 0)
            return i;
    return n - 1;
}

static void inc(atomic_ulong *c)
{
    atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static unsigned long get(atomic_ulong *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

/* Seconds to whole microseconds; nonsense (negative, NaN) counts as 0 and
 * anything past an hour is clamped, so the sum cannot be thrown off. */
static unsigned long to_us(double seconds)
{
    if (!(seconds > 0))
        return 0;
    if (seconds > 3600)
        return 3600UL * 1000000;
    return (unsigned long)(seconds * 1e6 + 0.5);
}

void metrics_request(const char *endpoint, const char *decision, const char *kind,
                     double seconds)
{
    size_t e = lookup(endpoints, N_EP, endpoint);
    size_t b = 0;
    unsigned long us = to_us(seconds);
    while (b < ARRAY_LEN(bucket_us) && us > bucket_us[b])
        b++;
    inc(&m.requests[e][lookup(decisions, N_DEC, decision)][lookup(kinds, N_KIND, kind)]);
    inc(&m.buckets[e][b]);
    atomic_fetch_add_explicit(&m.sum_us[e], us, memory_order_relaxed);
}

void metrics_violations(const char *rule, const char *action, unsigned long n)
{
    atomic_fetch_add_explicit(
        &m.violations[lookup(rules, N_RULE, rule)][lookup(actions, N_ACT, action)], n,
        memory_order_relaxed);
}

void metrics_policy_reload(bool ok)
{
    inc(&m.policy_reloads[ok ? 0 : 1]);
}

void metrics_cert_reload(bool ok)
{
    inc(&m.cert_reloads[ok ? 0 : 1]);
}

void metrics_set_cert_expiry(time_t not_after)
{
    atomic_store_explicit(&m.cert_expiry, (long long)not_after, memory_order_relaxed);
}

void metrics_audit_scan(bool ok, double seconds, unsigned long objects, time_t finished)
{
    inc(&m.audit_scans[ok ? 0 : 1]);
    if (!ok)
        return;
    atomic_store_explicit(&m.audit_last_success, (long long)finished,
                          memory_order_relaxed);
    atomic_store_explicit(&m.audit_duration_us, to_us(seconds), memory_order_relaxed);
    atomic_store_explicit(&m.audit_objects, objects, memory_order_relaxed);
}

void metrics_audit_api_error(const char *kind)
{
    inc(&m.audit_errors[lookup(audit_error_kinds, ARRAY_LEN(audit_error_kinds), kind)]);
}

void metrics_audit_leader(bool leader)
{
    atomic_store_explicit(&m.audit_leader, leader, memory_order_relaxed);
}

void metrics_audit_violations(const struct metrics_audit_count *items, size_t n)
{
    pthread_mutex_lock(&audit_violations.lock);
    size_t kept = n < METRICS_AUDIT_SERIES ? n : METRICS_AUDIT_SERIES;
    if (kept) /* memcpy wants a pointer even for 0 bytes: reset passes NULL */
        memcpy(audit_violations.items, items, kept * sizeof(*items));
    audit_violations.n = kept;
    if (n > kept) {
        struct metrics_audit_count *rest = &audit_violations.items[kept];
        *rest = (struct metrics_audit_count){.rule = "other", .ns = "other"};
        for (size_t i = kept; i < n; i++)
            rest->count += items[i].count;
        audit_violations.n++;
    }
    pthread_mutex_unlock(&audit_violations.lock);
}

void metrics_http_error(int status)
{
    size_t i = 0;
    while (i < ARRAY_LEN(http_codes) && http_codes[i] != status)
        i++;
    inc(&m.http_errors[i]);
}

/* One line through a stack buffer: a single format pass per series. */
static enum tg_rc emit(struct buf *out, const char *fmt, ...) TG_PRINTF(2, 3);
static enum tg_rc emit(struct buf *out, const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(line))
        return TG_EINVAL; /* every line is far shorter: a bug, not input */
    return buf_append(out, line, (size_t)n);
}

static enum tg_rc family(struct buf *out, const char *name, const char *type,
                         const char *help)
{
    return emit(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static enum tg_rc render_requests(struct buf *out)
{
    const char *name = "tollgate_requests_total";
    enum tg_rc rc = family(out, name, "counter",
                           "Admission requests answered, by endpoint, decision and "
                           "object kind.");
    for (size_t e = 0; e < N_EP && rc == TG_OK; e++)
        for (size_t d = 0; d < N_DEC && rc == TG_OK; d++)
            for (size_t k = 0; k < N_KIND && rc == TG_OK; k++)
                rc = emit(out, "%s{endpoint=\"%s\",decision=\"%s\",kind=\"%s\"} %lu\n",
                          name, endpoints[e], decisions[d], kinds[k],
                          get(&m.requests[e][d][k]));
    return rc;
}

static enum tg_rc render_histogram(struct buf *out, size_t e)
{
    const char *name = "tollgate_request_duration_seconds";
    unsigned long total = 0;
    enum tg_rc rc = TG_OK;
    for (size_t b = 0; b < N_BUCKET && rc == TG_OK; b++) {
        total += get(&m.buckets[e][b]);
        rc = emit(out, "%s_bucket{endpoint=\"%s\",le=\"%s\"} %lu\n", name, endpoints[e],
                  b < ARRAY_LEN(bucket_le) ? bucket_le[b] : "+Inf", total);
    }
    unsigned long us = get(&m.sum_us[e]);
    if (rc == TG_OK)
        rc = emit(out, "%s_sum{endpoint=\"%s\"} %lu.%06lu\n", name, endpoints[e],
                  us / 1000000, us % 1000000);
    if (rc == TG_OK)
        rc = emit(out, "%s_count{endpoint=\"%s\"} %lu\n", name, endpoints[e], total);
    return rc;
}

static enum tg_rc render_durations(struct buf *out)
{
    enum tg_rc rc = family(out, "tollgate_request_duration_seconds", "histogram",
                           "Time to answer an admission request once its body "
                           "arrived, by endpoint.");
    for (size_t e = 0; e < N_EP && rc == TG_OK; e++)
        rc = render_histogram(out, e);
    return rc;
}

static enum tg_rc render_violations(struct buf *out)
{
    const char *name = "tollgate_violations_total";
    enum tg_rc rc = family(out, name, "counter",
                           "Policy findings, by rule and the action taken on them.");
    for (size_t r = 0; r < N_RULE && rc == TG_OK; r++)
        for (size_t a = 0; a < N_ACT && rc == TG_OK; a++)
            rc = emit(out, "%s{rule=\"%s\",action=\"%s\"} %lu\n", name, rules[r],
                      actions[a], get(&m.violations[r][a]));
    return rc;
}

static enum tg_rc render_reloads(struct buf *out, const char *name, const char *help,
                                 atomic_ulong *counts)
{
    enum tg_rc rc = family(out, name, "counter", help);
    for (size_t i = 0; i < ARRAY_LEN(results) && rc == TG_OK; i++)
        rc = emit(out, "%s{result=\"%s\"} %lu\n", name, results[i], get(&counts[i]));
    return rc;
}

static enum tg_rc render_http_errors(struct buf *out)
{
    const char *name = "tollgate_http_errors_total";
    enum tg_rc rc = family(out, name, "counter",
                           "HTTP error answers given before a request reached the "
                           "policy engine, by status code.");
    for (size_t i = 0; i < N_CODE && rc == TG_OK; i++) {
        if (i < ARRAY_LEN(http_codes))
            rc = emit(out, "%s{code=\"%d\"} %lu\n", name, http_codes[i],
                      get(&m.http_errors[i]));
        else
            rc = emit(out, "%s{code=\"other\"} %lu\n", name, get(&m.http_errors[i]));
    }
    return rc;
}

static enum tg_rc render_gauges(struct buf *out)
{
    const char *expiry = "tollgate_certificate_expiry_timestamp_seconds";
    long long not_after = atomic_load_explicit(&m.cert_expiry, memory_order_relaxed);
    enum tg_rc rc = family(out, expiry, "gauge",
                           "notAfter of the serving certificate, in seconds since "
                           "1970 (absent until one is loaded).");
    /* No sample before a certificate is loaded: a 0 would fire every
     * "expires within N days" alert. */
    if (rc == TG_OK && not_after != 0)
        rc = emit(out, "%s %lld\n", expiry, not_after);
    if (rc == TG_OK)
        rc = family(out, "tollgate_build_info", "gauge",
                    "Always 1; the version of the running tollgate is a label.");
    if (rc == TG_OK)
        rc = emit(out, "tollgate_build_info{version=\"%s\"} 1\n", TOLLGATE_VERSION);
    return rc;
}

static enum tg_rc render_audit_counters(struct buf *out)
{
    const char *scans = "tollgate_audit_scans_total";
    enum tg_rc rc = family(out, scans, "counter",
                           "Background audit scans, by result (a failed one writes "
                           "nothing and keeps the last reports).");
    for (size_t i = 0; i < ARRAY_LEN(audit_results) && rc == TG_OK; i++)
        rc = emit(out, "%s{result=\"%s\"} %lu\n", scans, audit_results[i],
                  get(&m.audit_scans[i]));
    const char *errors = "tollgate_audit_api_errors_total";
    if (rc == TG_OK)
        rc = family(out, errors, "counter",
                    "Failed calls of the background audit to the Kubernetes API, by "
                    "kind of failure.");
    for (size_t i = 0; i < ARRAY_LEN(audit_error_kinds) && rc == TG_OK; i++)
        rc = emit(out, "%s{kind=\"%s\"} %lu\n", errors, audit_error_kinds[i],
                  get(&m.audit_errors[i]));
    return rc;
}

static enum tg_rc render_audit_gauges(struct buf *out)
{
    long long last = atomic_load_explicit(&m.audit_last_success, memory_order_relaxed);
    unsigned long us = get(&m.audit_duration_us);
    enum tg_rc rc = family(out, "tollgate_audit_last_success_timestamp_seconds", "gauge",
                           "When the last successful background audit scan ended, in "
                           "seconds since 1970 (absent until one has).");
    if (rc == TG_OK && last)
        rc = emit(out, "tollgate_audit_last_success_timestamp_seconds %lld\n", last);
    if (rc == TG_OK)
        rc = family(out, "tollgate_audit_scan_duration_seconds", "gauge",
                    "How long the last successful background audit scan took.");
    if (rc == TG_OK && last)
        rc = emit(out, "tollgate_audit_scan_duration_seconds %lu.%06lu\n", us / 1000000,
                  us % 1000000);
    if (rc == TG_OK)
        rc = family(out, "tollgate_audit_objects_scanned", "gauge",
                    "Objects listed by the last successful background audit scan.");
    if (rc == TG_OK && last)
        rc = emit(out, "tollgate_audit_objects_scanned %lu\n", get(&m.audit_objects));
    if (rc == TG_OK)
        rc = family(out, "tollgate_audit_leader", "gauge",
                    "1 while this replica holds the audit Lease and writes the "
                    "PolicyReports.");
    if (rc == TG_OK)
        rc = emit(out, "tollgate_audit_leader %d\n",
                  atomic_load_explicit(&m.audit_leader, memory_order_relaxed));
    return rc;
}

static enum tg_rc render_audit_violations(struct buf *out)
{
    const char *name = "tollgate_audit_violations";
    enum tg_rc rc = family(out, name, "gauge",
                           "Violations the last successful background audit found in "
                           "running workloads, by rule and namespace.");
    pthread_mutex_lock(&audit_violations.lock);
    for (size_t i = 0; i < audit_violations.n && rc == TG_OK; i++) {
        const struct metrics_audit_count *c = &audit_violations.items[i];
        rc = emit(out, "%s{rule=\"%s\",namespace=\"%s\"} %lu\n", name, c->rule, c->ns,
                  c->count);
    }
    pthread_mutex_unlock(&audit_violations.lock);
    return rc;
}

enum tg_rc metrics_render(struct buf *out)
{
    enum tg_rc rc = render_requests(out);
    if (rc == TG_OK)
        rc = render_durations(out);
    if (rc == TG_OK)
        rc = render_violations(out);
    if (rc == TG_OK)
        rc = render_reloads(out, "tollgate_policy_reloads_total",
                            "Policy loads and reloads, by result (a failed reload "
                            "keeps the last good policy).",
                            m.policy_reloads);
    if (rc == TG_OK)
        rc = render_reloads(out, "tollgate_cert_reloads_total",
                            "Certificate loads and reloads, by result (a failed "
                            "reload keeps the serving pair).",
                            m.cert_reloads);
    if (rc == TG_OK)
        rc = render_http_errors(out);
    if (rc == TG_OK)
        rc = render_gauges(out);
    if (rc == TG_OK)
        rc = render_audit_counters(out);
    if (rc == TG_OK)
        rc = render_audit_gauges(out);
    if (rc == TG_OK)
        rc = render_audit_violations(out);
    return rc;
}

static void zero(atomic_ulong *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        atomic_store_explicit(&c[i], 0, memory_order_relaxed);
}

void metrics_reset(void)
{
    for (size_t e = 0; e < N_EP; e++) {
        for (size_t d = 0; d < N_DEC; d++)
            zero(m.requests[e][d], N_KIND);
        zero(m.buckets[e], N_BUCKET);
    }
    zero(m.sum_us, N_EP);
    for (size_t r = 0; r < N_RULE; r++)
        zero(m.violations[r], N_ACT);
    zero(m.policy_reloads, ARRAY_LEN(m.policy_reloads));
    zero(m.cert_reloads, ARRAY_LEN(m.cert_reloads));
    zero(m.http_errors, N_CODE);
    atomic_store_explicit(&m.cert_expiry, 0, memory_order_relaxed);
    zero(m.audit_scans, ARRAY_LEN(m.audit_scans));
    zero(m.audit_errors, ARRAY_LEN(m.audit_errors));
    atomic_store_explicit(&m.audit_last_success, 0, memory_order_relaxed);
    atomic_store_explicit(&m.audit_duration_us, 0, memory_order_relaxed);
    atomic_store_explicit(&m.audit_objects, 0, memory_order_relaxed);
    atomic_store_explicit(&m.audit_leader, 0, memory_order_relaxed);
    metrics_audit_violations(NULL, 0);
}
