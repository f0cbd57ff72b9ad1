/* audit_loop.c -- the elector and scanner threads of the background audit. */
#include "audit_loop.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "alloc.h"
#include "audit_cluster.h"
#include "audit_lease.h"
#include "audit_write.h"
#include "facts_gather.h"
#include "kube_client.h"
#include "tlog.h"

#define NS_PER_S 1000000000ULL
#define NS_PER_MS 1000000ULL
#define FIRST_BACKOFF_S 5
#define STANDBY_POLL_NS NS_PER_S
#define PACE_EVERY 16 /* objects between two looks at the CPU clock */
#define LEASE_LOG_EVERY_NS (60 * NS_PER_S)

struct audit_loop {
    struct audit_loop_config cfg; /* its strings point into `lease` */
    struct audit_lease lease;     /* the elector thread's */
    struct kube_client *lease_client, *scan_client;
    pthread_t elector, scanner;
    bool elector_started, scanner_started;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* CLOCK_MONOTONIC: stop, and leadership changes */
    atomic_bool stop;
    atomic_bool leader;
    bool scanner_done;     /* under mu: the elector releases the Lease only then */
    char lease_error[800]; /* the elector's last failure logged, and when */
    uint64_t lease_logged_ns;
};

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static bool stopping(const struct audit_loop *l)
{
    return atomic_load(&l->stop);
}

/* Sleep `ns`, waking early on stop or a leadership change; false if
 * stopping. */
static bool nap(struct audit_loop *l, uint64_t ns)
{
    uint64_t until = mono_ns() + ns;
    struct timespec ts = {(time_t)(until / NS_PER_S), (long)(until % NS_PER_S)};
    pthread_mutex_lock(&l->mu);
    if (!stopping(l))
        pthread_cond_timedwait(&l->cv, &l->mu, &ts);
    pthread_mutex_unlock(&l->mu);
    return !stopping(l);
}

static void kick(struct audit_loop *l)
{
    pthread_mutex_lock(&l->mu);
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
}

const char *audit_api_error_kind(const struct kube_error *e)
{
    static const struct {
        long code;
        const char *kind;
    } codes[] = {{401, "unauthorized"}, {403, "forbidden"}, {404, "not_found"},
                 {409, "conflict"},     {410, "gone"},      {429, "throttled"}};
    switch (e->fault) {
    case KUBE_FAULT_TIMEOUT:
        return "timeout";
    case KUBE_FAULT_CONNECT:
        return "connect";
    case KUBE_FAULT_TLS:
        return "tls";
    case KUBE_FAULT_TRUNCATED:
        return "truncated";
    case KUBE_FAULT_BODY:
        return "malformed";
    case KUBE_FAULT_HTTP:
        break;
    case KUBE_FAULT_NONE:
    case KUBE_FAULT_LOCAL:
        return "local";
    }
    for (size_t i = 0; i < ARRAY_LEN(codes); i++) {
        if (codes[i].code == e->http_code)
            return codes[i].kind;
    }
    return e->http_code >= 500 ? "server_error" : "http_other";
}

/* One line for a failed call, and its count by kind. */
static void report_failure(const struct audit_loop *l, const char *what,
                           const struct kube_error *e, long retry_in_s)
{
    char text[sizeof(e->base.source) + sizeof(e->base.text) + 8];
    tg_error_format(&e->base, text, sizeof(text));
    if (l->cfg.observer.api_error && e->fault != KUBE_FAULT_LOCAL)
        l->cfg.observer.api_error(l->cfg.observer.ctx, audit_api_error_kind(e));
    struct tlog_line line;
    tlog_begin(&line, TLOG_ERROR, what);
    tlog_str(&line, "error", text);
    tlog_str(&line, "kind", audit_api_error_kind(e));
    if (e->http_code)
        tlog_int(&line, "http_code", e->http_code);
    if (retry_in_s >= 0)
        tlog_int(&line, "retry_in_s", retry_in_s);
    tlog_end(&line);
}

/* The elector retries every few seconds: a failure that repeats itself is
 * counted every time but logged again only after LEASE_LOG_EVERY_NS. */
static void lease_failure(struct audit_loop *l, const char *what,
                          const struct kube_error *e)
{
    char text[sizeof(l->lease_error)];
    snprintf(text, sizeof(text), "%s: %s", e->base.source, e->base.text);
    uint64_t now = mono_ns();
    if (strcmp(text, l->lease_error) == 0 &&
        now - l->lease_logged_ns < LEASE_LOG_EVERY_NS) {
        if (l->cfg.observer.api_error && e->fault != KUBE_FAULT_LOCAL)
            l->cfg.observer.api_error(l->cfg.observer.ctx, audit_api_error_kind(e));
        return;
    }
    memcpy(l->lease_error, text, sizeof(text));
    l->lease_logged_ns = now;
    report_failure(l, what, e, -1);
}

/* ---- the elector ---- */

static void set_leader(struct audit_loop *l, bool held)
{
    if (atomic_exchange(&l->leader, held) == held)
        return;
    struct tlog_line line;
    tlog_begin(&line, TLOG_INFO, held ? "audit lease acquired" : "audit lease lost");
    tlog_str(&line, "lease", l->lease.name);
    tlog_str(&line, "namespace", l->lease.ns);
    tlog_str(&line, "identity", l->lease.identity);
    tlog_end(&line);
    if (l->cfg.observer.leader)
        l->cfg.observer.leader(l->cfg.observer.ctx, held);
    kick(l);
}

static void *elector_main(void *arg)
{
    struct audit_loop *l = arg;
    uint64_t duration = (uint64_t)l->lease.duration_s * NS_PER_S;
    do {
        struct kube_error err;
        kube_error_clear(&err);
        bool held = false;
        if (audit_lease_try(&l->lease, l->lease_client, mono_ns(), &held, &err) != TG_OK)
            lease_failure(l, "audit lease: cannot read or renew", &err);
        else
            l->lease_error[0] = '\0'; /* the next failure is news */
        set_leader(l, held);
    } while (nap(l, atomic_load(&l->leader) ? duration / 3 : duration / 4));
    /* Release only once the scanner is done: a write of ours in flight must
     * not overlap the next holder's. */
    pthread_mutex_lock(&l->mu);
    while (!l->scanner_done)
        pthread_cond_wait(&l->cv, &l->mu);
    pthread_mutex_unlock(&l->mu);
    struct kube_error err;
    kube_error_clear(&err);
    if (audit_lease_release(&l->lease, l->lease_client, &err) != TG_OK)
        report_failure(l, "audit lease: cannot release", &err, -1);
    set_leader(l, false);
    return NULL;
}

/* ---- the scanner ---- */

struct pacer {
    struct audit_loop *loop;
    uint64_t mark; /* thread CPU time after the last nap */
    unsigned n;
};

/* After each object: stop when asked or when the Lease is gone, and sleep
 * so that the work so far is at most cpu_percent of the time. */
static enum tg_rc pace(void *ctx, struct kube_error *err)
{
    struct pacer *p = ctx;
    if (stopping(p->loop))
        return kube_error_set(err, TG_ETIMEDOUT, KUBE_FAULT_LOCAL, NULL,
                              "the server is stopping");
    if (++p->n % PACE_EVERY != 0)
        return TG_OK;
    if (!atomic_load(&p->loop->leader))
        return kube_error_set(err, TG_EIO, KUBE_FAULT_LOCAL, NULL,
                              "this replica lost the audit lease during the scan");
    unsigned pct = p->loop->cfg.cpu_percent;
    uint64_t busy = thread_cpu_ns() - p->mark;
    if (pct < 100 && busy > 0)
        nap(p->loop, busy * (100 - pct) / pct);
    p->mark = thread_cpu_ns();
    return TG_OK;
}

static enum tg_rc report_sink(void *ctx, const json_t *object, json_t *entry)
{
    (void)object;
    enum tg_rc rc = audit_report_add(ctx, entry);
    json_decref(entry);
    return rc;
}

static void report_rollback(void *ctx, size_t n)
{
    audit_report_truncate(ctx, n);
}

static void log_scan(const struct audit_scan_summary *s,
                     const struct audit_write_stats *w)
{
    struct tlog_line line;
    tlog_begin(&line, TLOG_INFO, "audit scan");
    tlog_int(&line, "listed", (long long)s->counts->listed);
    tlog_int(&line, "judged", (long long)s->counts->judged);
    tlog_int(&line, "owned", (long long)s->counts->owned);
    tlog_int(&line, "excluded", (long long)s->counts->excluded);
    tlog_int(&line, "namespaces", (long long)audit_report_n_namespaces(s->report));
    tlog_int(&line, "reports_created", (long long)w->created);
    tlog_int(&line, "reports_replaced", (long long)w->replaced);
    tlog_int(&line, "reports_unchanged", (long long)w->unchanged);
    tlog_int(&line, "reports_deleted", (long long)w->deleted);
    tlog_int(&line, "duration_ms", (long long)(s->seconds * 1000));
    tlog_end(&line);
}

/* List, judge and (still holding the Lease) write; the scan's code. */
static enum tg_rc judge_and_write(struct audit_loop *l, const struct policy *policy,
                                  struct audit_report *report,
                                  struct audit_counts *counts,
                                  struct audit_write_stats *w, struct kube_error *err)
{
    struct facts_gather_ctx gather = {.registry = l->cfg.registry, .policy = policy};
    struct audit_scan scan = {.policy = policy,
                              .sink = report_sink,
                              .rollback = report_rollback,
                              .sink_ctx = report};
    if (l->cfg.registry && facts_need_of(policy)) {
        scan.gather = facts_gather_admission;
        scan.gather_ctx = &gather;
    }
    struct pacer pacer = {.loop = l, .mark = thread_cpu_ns()};
    struct audit_cluster_opts co = {
        .limit = l->cfg.page_size, .pace = pace, .pace_ctx = &pacer};
    enum tg_rc rc = audit_cluster_scan(l->scan_client, &co, &scan, NULL, err);
    *counts = scan.counts;
    if (rc == TG_OK && audit_report_finish(report) != TG_OK)
        rc = kube_error_set(err, TG_ENOMEM, KUBE_FAULT_LOCAL, NULL, "out of memory");
    if (rc == TG_OK && !atomic_load(&l->leader))
        rc = kube_error_set(err, TG_EIO, KUBE_FAULT_LOCAL, NULL,
                            "this replica lost the audit lease; nothing written");
    if (rc == TG_OK)
        rc = audit_write_reports(l->scan_client, report, w, err);
    return rc;
}

/* One scan with the webhook's current policy; true when it was written. */
static bool run_scan(struct audit_loop *l, struct kube_error *err)
{
    uint64_t start = mono_ns();
    void *pin = NULL;
    const struct policy *policy = l->cfg.policy.acquire(l->cfg.policy.ctx, &pin);
    struct audit_report *report = policy ? audit_report_new(policy, time(NULL)) : NULL;
    struct audit_counts counts = {0};
    struct audit_write_stats w = {0};
    enum tg_rc rc = report ? judge_and_write(l, policy, report, &counts, &w, err)
                           : kube_error_set(err, TG_ENOMEM, KUBE_FAULT_LOCAL, NULL,
                                            "no policy, or out of memory");
    struct audit_scan_summary s = {.ok = rc == TG_OK,
                                   .seconds = (double)(mono_ns() - start) / NS_PER_S,
                                   .finished = time(NULL),
                                   .counts = &counts,
                                   .report = rc == TG_OK ? report : NULL};
    if (s.ok)
        log_scan(&s, &w);
    if (l->cfg.observer.scan_done)
        l->cfg.observer.scan_done(l->cfg.observer.ctx, &s);
    audit_report_free(report);
    if (policy)
        l->cfg.policy.release(pin);
    return s.ok;
}

/* 5 s, 10 s, 20 s, ... at most the interval; at least what the server asked. */
static uint64_t backoff_ns(unsigned failures, const struct kube_error *err,
                           unsigned interval_s)
{
    uint64_t s = FIRST_BACKOFF_S;
    for (unsigned i = 1; i < failures && s < interval_s; i++)
        s *= 2;
    if (s > interval_s)
        s = interval_s;
    if (err->retry_after_s > 0 && (uint64_t)err->retry_after_s > s)
        s = (uint64_t)err->retry_after_s;
    return s * NS_PER_S;
}

static void *scanner_main(void *arg)
{
    struct audit_loop *l = arg;
    /* On Linux, PRIO_PROCESS with 0 names the calling thread only: the
     * webhook's threads keep their priority. */
    if (setpriority(PRIO_PROCESS, 0, 19) != 0)
        TLOG(TLOG_DEBUG, "audit: cannot lower the scanner's priority");
    uint64_t next = 0;
    unsigned failures = 0;
    bool was_leader = false;
    while (!stopping(l)) {
        bool leader = atomic_load(&l->leader);
        if (leader && !was_leader)
            next = 0; /* just took over: the reports may be a whole interval old */
        was_leader = leader;
        uint64_t now = mono_ns();
        if (!leader || now < next) {
            nap(l, leader ? next - now : STANDBY_POLL_NS);
            continue;
        }
        struct kube_error err;
        kube_error_clear(&err);
        if (run_scan(l, &err)) {
            failures = 0;
            next = now + (uint64_t)l->cfg.interval_s * NS_PER_S;
        } else if (!stopping(l)) {
            uint64_t delay = backoff_ns(++failures, &err, l->cfg.interval_s);
            report_failure(l, "audit scan failed; the last reports stay", &err,
                           (long)(delay / NS_PER_S));
            next = mono_ns() + delay;
        }
    }
    pthread_mutex_lock(&l->mu);
    l->scanner_done = true;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

/* ---- start and stop ---- */

static enum tg_rc make_client(const struct audit_loop_config *cfg,
                              struct kube_client **out, struct tg_error *err)
{
    struct kube_error kerr;
    kube_error_clear(&kerr);
    struct kube_client_opts o = {.timeout_ms = cfg->timeout_ms};
    enum tg_rc rc = kube_client_new(cfg->kube, &o, out, &kerr);
    if (rc != TG_OK && err)
        *err = kerr.base;
    return rc;
}

static enum tg_rc check_config(const struct audit_loop_config *cfg, struct tg_error *err)
{
    if (!cfg->interval_s)
        return tg_error_setf(err, TG_EINVAL, "the audit interval must be at least 1 s");
    if (cfg->cpu_percent < 1 || cfg->cpu_percent > 100)
        return tg_error_setf(err, TG_EINVAL, "the audit CPU share must be 1-100%%");
    if (!cfg->kube || !cfg->policy.acquire || !cfg->policy.release)
        return tg_error_setf(err, TG_EINVAL, "no API configuration or policy source");
    return TG_OK;
}

static enum tg_rc init_sync(struct audit_loop *l)
{
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0)
        return TG_ENOMEM;
    int rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_cond_init(&l->cv, &attr);
    pthread_condattr_destroy(&attr);
    if (rc != 0)
        return TG_EIO;
    if (pthread_mutex_init(&l->mu, NULL) != 0) {
        pthread_cond_destroy(&l->cv);
        return TG_EIO;
    }
    return TG_OK;
}

enum tg_rc audit_loop_start(const struct audit_loop_config *cfg, struct audit_loop **out,
                            struct tg_error *err)
{
    enum tg_rc rc = check_config(cfg, err);
    if (rc != TG_OK)
        return rc;
    struct audit_loop *l = tg_calloc(1, sizeof(*l));
    if (!l)
        return tg_error_setf(err, TG_ENOMEM, "out of memory");
    l->cfg = *cfg;
    rc = init_sync(l);
    if (rc != TG_OK) {
        tg_free(l);
        return tg_error_setf(err, rc, "cannot make the audit's condition variable");
    }
    atomic_init(&l->stop, false);
    atomic_init(&l->leader, false);
    rc = audit_lease_init(&l->lease, cfg->lease_ns, cfg->lease_name, cfg->identity,
                          cfg->lease_duration_s, err);
    if (rc == TG_OK)
        rc = make_client(cfg, &l->lease_client, err);
    if (rc == TG_OK)
        rc = make_client(cfg, &l->scan_client, err);
    if (rc == TG_OK && pthread_create(&l->elector, NULL, elector_main, l) != 0)
        rc = tg_error_setf(err, TG_EIO, "cannot start the audit's lease thread");
    l->elector_started = rc == TG_OK;
    if (rc == TG_OK && pthread_create(&l->scanner, NULL, scanner_main, l) != 0)
        rc = tg_error_setf(err, TG_EIO, "cannot start the audit's scan thread");
    l->scanner_started = rc == TG_OK;
    if (rc != TG_OK) {
        audit_loop_stop(l);
        return rc;
    }
    *out = l;
    return TG_OK;
}

void audit_loop_request_stop(struct audit_loop *l)
{
    if (!l)
        return;
    pthread_mutex_lock(&l->mu);
    atomic_store(&l->stop, true);
    if (!l->scanner_started)
        l->scanner_done = true;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
}

void audit_loop_stop(struct audit_loop *l)
{
    if (!l)
        return;
    audit_loop_request_stop(l);
    if (l->scanner_started)
        pthread_join(l->scanner, NULL);
    if (l->elector_started) /* it releases the Lease once the scanner is done */
        pthread_join(l->elector, NULL);
    kube_client_free(l->scan_client);
    kube_client_free(l->lease_client);
    pthread_cond_destroy(&l->cv);
    pthread_mutex_destroy(&l->mu);
    tg_free(l);
}

bool audit_loop_is_leader(const struct audit_loop *l)
{
    return atomic_load(&l->leader);
}
