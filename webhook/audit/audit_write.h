/* audit_write.h -- a finished scan's PolicyReports into the cluster.
 *
 * After a complete scan (never after a failed or partial one: the caller
 * decides), the report set replaces the previous one:
 *   1. the PolicyReports tollgate wrote before are listed (label
 *      app.kubernetes.io/managed-by=tollgate; a 404 here means the
 *      wgpolicyk8s.io CRDs are not installed, and nothing is written);
 *   2. each namespace's report is created or replaced (PUT with the
 *      resourceVersion read in 1, so a concurrent writer makes it 409 and it
 *      is read again and retried once) -- skipped when its content is what
 *      the cluster already holds (the annotation tollgate.dev/content-hash
 *      says so), so an unchanged cluster costs one list per scan;
 *   3. the ClusterPolicyReport likewise;
 *   4. the reports of namespaces that have nothing judged any more (every
 *      workload deleted or excluded) are deleted, last.
 * The first failure stops the write and is returned: reports already
 * replaced are from this scan, the others from the last one, each one
 * whole; the next scan writes them all again.
 * I/O through the client (its thread rules); logs nothing.
 */
#ifndef TOLLGATE_AUDIT_WRITE_H
#define TOLLGATE_AUDIT_WRITE_H

#include <stddef.h>

#include "audit_report.h"
#include "error.h"
#include "kube_client.h"
#include "kube_error.h"
#include "kube_resource.h"

extern const struct kube_resource AUDIT_RES_POLICYREPORTS, AUDIT_RES_CLUSTERPOLICYREPORTS;

#define AUDIT_CONTENT_HASH_ANNOTATION "tollgate.dev/content-hash"

struct audit_write_stats {
    size_t created, replaced, unchanged, deleted;
};

/* Write `r` (finished) as described above.  TG_OK when every report is as
 * `r` says; else the failing call's code and `err` (required).  `stats`
 * may be NULL. */
TG_MUST_CHECK enum tg_rc audit_write_reports(struct kube_client *c,
                                             const struct audit_report *r,
                                             struct audit_write_stats *stats,
                                             struct kube_error *err);

#endif
