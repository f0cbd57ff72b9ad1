/* audit_loop.h -- the background audit of `tollgate serve`.
 *
 * Two threads of their own, each with its own API client:
 *   the elector  competes for the Lease (audit_lease.h) and renews it every
 *                third of its duration (a candidate retries as often);
 *   the scanner  while this replica holds the Lease, every `interval_s`:
 *                lists and judges the whole cluster (audit_cluster.h) with the
 *                policy the webhook uses at that moment, and only after a
 *                complete pass, and only while still holding the Lease,
 *                writes the PolicyReports (audit_write.h).  A failed pass
 *                writes nothing: the reports of the last good one stay.  The
 *                next attempt comes after a backoff (5 s, doubling, at most
 *                the interval; longer if the API server asked for it).
 * The scanner never slows admission: its thread runs at the lowest
 * priority (nice 19; on Linux that is per thread), and it paces itself so
 * that it uses at most `cpu_percent` of one core (it sleeps after work in
 * proportion to the CPU time it used).  Its memory is its own: one list
 * page at a time and the compact verdicts of one scan (audit_report.h).
 * Each failure is logged once, as one JSON line naming the call, the HTTP
 * status and what to do, and counted through the observer by kind.
 * audit_loop_stop ends a scan at its next object, releases the Lease and
 * joins both threads.
 */
#ifndef TOLLGATE_AUDIT_LOOP_H
#define TOLLGATE_AUDIT_LOOP_H

#include <stdbool.h>
#include <time.h>

#include "audit_report.h"
#include "audit_scan.h"
#include "error.h"
#include "kube_config.h"
#include "kube_error.h"
#include "policy.h"
#include "registry.h"

/* What one scan did, for the metrics. */
struct audit_scan_summary {
    bool ok;                           /* complete, and its reports written */
    double seconds;                    /* wall time of the attempt */
    time_t finished;                   /* wall clock */
    const struct audit_counts *counts; /* how far it got */
    const struct audit_report *report; /* ok only: the verdicts (finished) */
};

/* Told what happens, from the loop's threads (so: thread-safe callbacks). */
struct audit_observer {
    void (*scan_done)(void *ctx, const struct audit_scan_summary *s);
    void (*api_error)(void *ctx, const char *kind); /* audit_api_error_kind */
    void (*leader)(void *ctx, bool leader);
    void *ctx;
};

/* Where the policy comes from: acquire pins the current one (the webhook's
 * snapshot) for one scan, release lets go of it. */
struct audit_policy_source {
    const struct policy *(*acquire)(void *ctx, void **pin);
    void (*release)(void *pin);
    void *ctx;
};

struct audit_loop_config {
    unsigned interval_s;            /* between the starts of two scans */
    const struct kube_config *kube; /* borrowed; outlives the loop */
    const char *lease_ns;           /* copied */
    const char *lease_name;         /* copied */
    const char *identity;           /* copied: holderIdentity */
    unsigned lease_duration_s;      /* >= 2 */
    long page_size;                 /* 0: kube_list's default */
    unsigned cpu_percent;           /* 1-100 */
    long timeout_ms;                /* per API call; 0: the client's default */
    struct registry *registry;      /* borrowed, may be NULL: no lookups */
    struct audit_policy_source policy;
    struct audit_observer observer; /* every callback may be NULL */
};

struct audit_loop;

/* Start both threads.  TG_EINVAL for a bad setting (err says which),
 * TG_ENOMEM, TG_EIO when a client or thread cannot be made.  *out owns
 * the loop; stop it with audit_loop_stop. */
TG_MUST_CHECK enum tg_rc audit_loop_start(const struct audit_loop_config *cfg,
                                          struct audit_loop **out, struct tg_error *err);

/* Ask both threads to stop, without waiting: a scan ends at its next
 * object or when its API call in flight returns.  NULL-safe. */
void audit_loop_request_stop(struct audit_loop *l);

/* Stop, wait for the scan to end, release the Lease (if held), join, free.
 * NULL-safe. */
void audit_loop_stop(struct audit_loop *l);

/* Does this replica hold the Lease now? */
bool audit_loop_is_leader(const struct audit_loop *l);

/* The metric label of a failed call: unauthorized, forbidden, not_found,
 * conflict, gone, throttled, server_error, http_other, timeout, connect,
 * tls, truncated, malformed, local. */
const char *audit_api_error_kind(const struct kube_error *e);

#endif
