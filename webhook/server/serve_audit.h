/* serve_audit.h -- the background audit inside `tollgate serve`.
 *
 * Turns the --audit-* settings into an audit loop (audit_loop.h): the API
 * configuration (the in-cluster service account, or --audit-kubeconfig),
 * the Lease's namespace (the pod's unless given) and this replica's
 * identity (hostname and pid unless given); the policy is the webhook's
 * current snapshot, pinned for one scan; what the loop reports goes to the
 * metrics (metrics.h).  Started after the server, stopped before it.
 */
#ifndef TOLLGATE_SERVE_AUDIT_H
#define TOLLGATE_SERVE_AUDIT_H

#include "error.h"
#include "registry.h"
#include "serve_config.h"

struct serve_audit;

/* Start the audit when cfg->audit_interval_s is set (else *out is NULL and
 * nothing runs).  TG_OK, or the configuration's error (err names the file
 * or setting): the caller exits 2.  `registry` is borrowed (may be NULL)
 * and must outlive the audit. */
TG_MUST_CHECK enum tg_rc serve_audit_start(const struct serve_config *cfg,
                                           struct registry *registry,
                                           struct serve_audit **out,
                                           struct tg_error *err);

/* Ask the audit to stop without waiting (before the drain).  NULL-safe. */
void serve_audit_request_stop(struct serve_audit *a);

/* Stop the scan, release the Lease, free.  NULL-safe. */
void serve_audit_stop(struct serve_audit *a);

#endif
