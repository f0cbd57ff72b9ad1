/* metrics.h -- Prometheus metrics, counted lock-free and rendered on demand.
 *
 * Process-wide counters (relaxed atomics: a scrape may see a request counted
 * in one series a moment before another, which Prometheus tolerates).  Label
 * values come from fixed sets, so every series exists from the start and the
 * render never allocates per label; an unknown value is counted as "other".
 * Names follow the Prometheus conventions (tollgate_ prefix, _total for
 * counters, _seconds for durations), and `promtool check metrics` passes on
 * the rendered text.  Thread-safe.
 */
#ifndef TOLLGATE_METRICS_H
#define TOLLGATE_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "error.h"

/* Count one answered request and its latency (`seconds`; negative or NaN
 * count as 0) in the histogram tollgate_request_duration_seconds, buckets
 * 0.0001 s .. 1 s.  NULL or unknown labels count as "other".
 * endpoint: "validate" | "mutate"; decision: "allow" | "deny" | "patch" |
 * "would-deny" | "error" | "bad-request"; kind: the object kind ("Pod",
 * "Deployment", ... -- others count as "other"). */
void metrics_request(const char *endpoint, const char *decision, const char *kind,
                     double seconds);

/* `n` findings of `rule` ("runAsNonRoot", ...) handled with `action`
 * ("enforce" | "audit" | "mutate"). */
void metrics_violations(const char *rule, const char *action, unsigned long n);

/* A policy (re)load: ok or failed. */
void metrics_policy_reload(bool ok);

/* A certificate (re)load: ok or failed, and the serving cert's notAfter
 * (the expiry gauge has no sample until it is set, so an alert on it cannot
 * fire before a certificate is loaded). */
void metrics_cert_reload(bool ok);
void metrics_set_cert_expiry(time_t not_after);

/* HTTP-level answers that never reached the engine (404, 405, 413, 415...).
 * Codes outside the fixed set (400 403 404 405 408 411 413 414 415 429 431
 * 500 503) count as code="other". */
void metrics_http_error(int status);

/* The background audit (audit_loop.h).  A scan that ended: ok (complete and
 * written) or failed; for an ok one its duration, the objects it listed and
 * when it ended set the gauges tollgate_audit_scan_duration_seconds,
 * tollgate_audit_objects_scanned and
 * tollgate_audit_last_success_timestamp_seconds. */
void metrics_audit_scan(bool ok, double seconds, unsigned long objects, time_t finished);

/* A failed API call, by kind (audit_api_error_kind: "forbidden", "timeout",
 * ...; others count as "other"). */
void metrics_audit_api_error(const char *kind);

/* Whether this replica holds the audit Lease. */
void metrics_audit_leader(bool leader);

#define METRICS_AUDIT_SERIES 512
#define METRICS_AUDIT_LABEL_MAX 64

/* One series of tollgate_audit_violations{rule,namespace}. */
struct metrics_audit_count {
    char rule[METRICS_AUDIT_LABEL_MAX];
    char ns[METRICS_AUDIT_LABEL_MAX]; /* Kubernetes names: no escaping needed */
    unsigned long count;
};

/* Replace the violation counts of the last scan with `items` (copied; at
 * most METRICS_AUDIT_SERIES are kept as they are, the rest is summed into
 * rule="other",namespace="other"). */
void metrics_audit_violations(const struct metrics_audit_count *items, size_t n);

/* Append the exposition text (format 0.0.4) to `out`.  About 24 kB; no
 * allocation but the buffer's own growth.  TG_ENOMEM or TG_ETOOBIG (out's
 * cap) leave a partial text in `out`: answer 500, do not serve it. */
TG_MUST_CHECK enum tg_rc metrics_render(struct buf *out);

/* Zero everything (tests). */
void metrics_reset(void);

#endif
