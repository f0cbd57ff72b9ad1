/* serve_audit.c -- the audit loop wired to the snapshot and the metrics. */
#include "serve_audit.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "audit_loop.h"
#include "kube_config.h"
#include "metrics.h"
#include "snapshot.h"
#include "tlog.h"

struct serve_audit {
    struct kube_config *kube;
    struct audit_loop *loop;
};

static const struct policy *acquire_policy(void *ctx, void **pin)
{
    (void)ctx;
    struct snapshot *s = snapshot_acquire();
    *pin = s;
    return s ? snapshot_policy(s) : NULL;
}

static void release_policy(void *pin)
{
    snapshot_release(pin);
}

struct tally {
    struct metrics_audit_count *items;
    size_t n, cap;
};

static void add_count(void *ctx, const char *rule, const char *ns, size_t count)
{
    struct tally *t = ctx;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        struct metrics_audit_count *items = tg_realloc(t->items, cap * sizeof(*items));
        if (!items)
            return; /* the metric misses a series; the reports do not */
        t->items = items;
        t->cap = cap;
    }
    struct metrics_audit_count *c = &t->items[t->n++];
    snprintf(c->rule, sizeof(c->rule), "%s", rule);
    snprintf(c->ns, sizeof(c->ns), "%s", ns);
    c->count = count;
}

static void on_scan(void *ctx, const struct audit_scan_summary *s)
{
    (void)ctx;
    metrics_audit_scan(s->ok, s->seconds, (unsigned long)s->counts->listed, s->finished);
    if (!s->ok)
        return;
    struct tally t = {0};
    audit_report_violations(s->report, add_count, &t);
    metrics_audit_violations(t.items, t.n);
    tg_free(t.items);
}

static void on_api_error(void *ctx, const char *kind)
{
    (void)ctx;
    metrics_audit_api_error(kind);
}

static void on_leader(void *ctx, bool leader)
{
    (void)ctx;
    metrics_audit_leader(leader);
}

static enum tg_rc load_kube(const struct serve_config *cfg, struct kube_config **out,
                            struct tg_error *err)
{
    struct kube_error kerr;
    kube_error_clear(&kerr);
    struct kube_config_opts o = {
        .mode =
            cfg->audit_kubeconfig[0] ? KUBE_CONFIG_KUBECONFIG : KUBE_CONFIG_IN_CLUSTER,
        .kubeconfig = cfg->audit_kubeconfig[0] ? cfg->audit_kubeconfig : NULL};
    enum tg_rc rc = kube_config_load(&o, out, &kerr);
    if (rc != TG_OK && err)
        *err = kerr.base;
    return rc;
}

/* hostname_pid: unique among replicas (pod names are hostnames). */
static void default_identity(char *out, size_t len)
{
    char host[256] = "tollgate";
    if (gethostname(host, sizeof(host)) != 0)
        snprintf(host, sizeof(host), "tollgate");
    host[sizeof(host) - 1] = '\0';
    snprintf(out, len, "%s_%ld", host, (long)getpid());
}

enum tg_rc serve_audit_start(const struct serve_config *cfg, struct registry *registry,
                             struct serve_audit **out, struct tg_error *err)
{
    *out = NULL;
    if (!cfg->audit_interval_s)
        return TG_OK;
    struct serve_audit *a = tg_calloc(1, sizeof(*a));
    if (!a)
        return tg_error_setf(err, TG_ENOMEM, "out of memory");
    enum tg_rc rc = load_kube(cfg, &a->kube, err);
    char identity[SERVE_PATH_MAX];
    if (cfg->audit_identity[0])
        snprintf(identity, sizeof(identity), "%s", cfg->audit_identity);
    else
        default_identity(identity, sizeof(identity));
    struct audit_loop_config lc = {
        .interval_s = cfg->audit_interval_s,
        .kube = a->kube,
        .lease_ns = cfg->audit_lease_namespace[0] ? cfg->audit_lease_namespace
                    : a->kube                     ? a->kube->namespace_
                                                  : "default",
        .lease_name = cfg->audit_lease_name,
        .identity = identity,
        .lease_duration_s = cfg->audit_lease_duration_s,
        .page_size = cfg->audit_page_size,
        .cpu_percent = cfg->audit_cpu_percent,
        .timeout_ms = (long)cfg->audit_request_timeout_s * 1000,
        .registry = registry,
        .policy = {acquire_policy, release_policy, NULL},
        .observer = {on_scan, on_api_error, on_leader, NULL},
    };
    if (rc == TG_OK)
        rc = audit_loop_start(&lc, &a->loop, err);
    if (rc != TG_OK) {
        serve_audit_stop(a);
        return rc;
    }
    struct tlog_line l;
    tlog_begin(&l, TLOG_INFO, "background audit on");
    tlog_int(&l, "interval_s", cfg->audit_interval_s);
    tlog_str(&l, "api", a->kube->origin);
    tlog_str(&l, "lease_namespace", lc.lease_ns);
    tlog_str(&l, "lease", lc.lease_name);
    tlog_str(&l, "identity", identity);
    tlog_end(&l);
    *out = a;
    return TG_OK;
}

void serve_audit_request_stop(struct serve_audit *a)
{
    if (a)
        audit_loop_request_stop(a->loop);
}

void serve_audit_stop(struct serve_audit *a)
{
    if (!a)
        return;
    audit_loop_stop(a->loop);
    kube_config_free(a->kube);
    tg_free(a);
}
