/* audit_cluster.h -- one audit pass over the cluster, kind by kind.
 *
 * Asks the API server which pod-bearing kinds it serves (CronJob is
 * batch/v1 or batch/v1beta1: kube_workloads_discover), lists each of them
 * page by page (kube_list: `limit` + `continue`) and runs every item
 * through the scan (audit_scan.h), decoded lean: the members no verdict
 * reads stay JSON text (audit_scan_unread_members).  When a list starts
 * over because its
 * continue token expired (410), what that list had handed to the scan is
 * rewound first, so the scan's sink only ever holds one complete pass of
 * every kind.  On any failure the pass is incomplete and the caller must
 * not report it.
 * I/O through the client: the client's thread rules apply.
 */
#ifndef TOLLGATE_AUDIT_CLUSTER_H
#define TOLLGATE_AUDIT_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>

#include "audit_scan.h"
#include "error.h"
#include "kube_client.h"
#include "kube_error.h"

struct audit_cluster_opts {
    const char *ns; /* one namespace; NULL or "" = all */
    long limit;     /* items per page; 0 = kube_list's default */
    /* Called after each item, e.g. to pace the scan or stop it; anything but
     * TG_OK ends the pass with that code (fill err->base).  NULL: none. */
    enum tg_rc (*pace)(void *ctx, struct kube_error *err);
    void *pace_ctx;
    /* Build every member of the listed objects; by default those that no
     * verdict reads are left as JSON text (audit_scan_unread_members),
     * which takes less than half the CPU and memory of a page.  For tests
     * that compare the two. */
    bool build_all;
};

struct audit_cluster_stats {
    size_t resources; /* kinds listed */
    size_t pages;     /* pages received, restarts included */
    unsigned restarts;
};

/* One pass.  TG_OK: every served kind was listed completely and judged.
 * Otherwise the code and `err` of the call that failed (kube_error.h: the
 * discovery, a page, a 410 that could not be restarted), or of the scan
 * (TG_ENOMEM, the sink's) or of `pace`.  `stats` (may be NULL) is filled
 * as far as the pass got. */
TG_MUST_CHECK enum tg_rc audit_cluster_scan(struct kube_client *c,
                                            const struct audit_cluster_opts *o,
                                            struct audit_scan *scan,
                                            struct audit_cluster_stats *stats,
                                            struct kube_error *err);

#endif
