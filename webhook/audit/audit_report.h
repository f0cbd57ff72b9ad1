/* audit_report.h -- the audit's verdicts as wgpolicyk8s.io PolicyReports.
 *
 * A scan adds the verdict entry of every judged object (audit_scan.h); at
 * the end, audit_report_finish() groups them by namespace and each
 * namespace's wgpolicyk8s.io/v1alpha2 PolicyReport is rendered on demand,
 * one at a time, so only the compact verdicts stay in memory, never every
 * report's JSON at once.  In a PolicyReport each judged object gets one
 * result per rule that is not off:
 *   fail   a violation the webhook denies (property admission=deny), or
 *          would deny in audit mode (admission=would-deny); scored
 *   warn   a finding of an audit rule, a note (admission=warn), or a
 *          violation the mutating webhook would fix (admission=patch)
 *   pass   the rule found nothing
 *   error  the object could not be read (no rule)
 * with the rule's severity, the findings' messages (container, JSON Pointer,
 * fix) and the object in `resources`.  Summary counts are exact.  A report
 * is kept under a byte budget (the API server stores an object of at most
 * ~1.5 MiB): pass results are left out first, then the last failures; the
 * annotation tollgate.dev/omitted-results says how many.  The
 * ClusterPolicyReport carries the cluster's totals: its summary is the sum
 * of every namespace's, with one result per rule counting the objects that
 * break it.
 * Pure (no I/O); not thread-safe: one report set belongs to one scan.
 */
#ifndef TOLLGATE_AUDIT_REPORT_H
#define TOLLGATE_AUDIT_REPORT_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#include "error.h"
#include "policy.h"

#define AUDIT_REPORT_NAME "tollgate-audit"
#define AUDIT_REPORT_MANAGED_LABEL "app.kubernetes.io/managed-by"
#define AUDIT_REPORT_MANAGED_VALUE "tollgate"
#define AUDIT_REPORT_DEFAULT_BUDGET (1024u * 1024u)

struct audit_report;

struct audit_summary {
    size_t pass, fail, warn, error;
};

/* An empty report set for a scan under `policy` (its name and which rules
 * are on are copied), stamped `scan_time`.  NULL on OOM.  Free with
 * audit_report_free(). */
struct audit_report *audit_report_new(const struct policy *policy, time_t scan_time);

void audit_report_free(struct audit_report *r); /* NULL-safe */

/* Largest rendered PolicyReport in bytes (default AUDIT_REPORT_DEFAULT_BUDGET). */
void audit_report_set_budget(struct audit_report *r, size_t bytes);

/* Record the verdict `entry` of one judged object (borrowed; an entry of
 * audit_scan.h, with kind, namespace, name, apiVersion, uid, decision and
 * findings).  TG_ENOMEM; TG_EINVAL after audit_report_finish. */
TG_MUST_CHECK enum tg_rc audit_report_add(struct audit_report *r, const json_t *entry);

/* Forget every object added after the first `n` (a list restarted).
 * Before audit_report_finish. */
void audit_report_truncate(struct audit_report *r, size_t n);

/* Group what was added by namespace (sorted by name; objects by kind in
 * audit_kinds order, then name).  Call once, after the last add. */
TG_MUST_CHECK enum tg_rc audit_report_finish(struct audit_report *r);

/* After finish: the namespaces that have a report, and each one's name. */
size_t audit_report_n_namespaces(const struct audit_report *r);
const char *audit_report_namespace(const struct audit_report *r, size_t i);

/* The PolicyReport of namespace `i` (metadata.name AUDIT_REPORT_NAME,
 * labelled as managed by tollgate, no resourceVersion): a new value the
 * caller owns.  TG_ENOMEM. */
TG_MUST_CHECK enum tg_rc audit_report_namespace_json(const struct audit_report *r,
                                                     size_t i, json_t **out);

/* The ClusterPolicyReport with the totals.  TG_ENOMEM. */
TG_MUST_CHECK enum tg_rc audit_report_cluster_json(const struct audit_report *r,
                                                   json_t **out);

/* Totals over every namespace (after finish). */
struct audit_summary audit_report_totals(const struct audit_report *r);

/* Violations (findings of severity violation) by rule and namespace, for
 * the metrics: calls `fn` once per pair with a count > 0, in namespace
 * order.  After finish. */
typedef void (*audit_report_count_fn)(void *ctx, const char *rule, const char *ns,
                                      size_t count);
void audit_report_violations(const struct audit_report *r, audit_report_count_fn fn,
                             void *ctx);

/* The PolicyReport severity of a rule id: "high", "medium" or "low" (the
 * values every version of the v1alpha2 CRD accepts). */
const char *audit_report_severity(const char *rule);

#endif
