/* podlist.h -- PodList pages as the API server sends them, made up.
 *
 * bench_audit measures the audit on these pages and check_audit_lean
 * judges them with every member built and with the members nobody reads
 * left as text, so the figures and the proof are about the same data:
 * about 1.5 kB a pod (labels, annotations, managedFields, two containers
 * with env, resources and probes, status), 50 namespaces, one pod in three
 * breaking runAsNonRoot and pinnedTags, and in the `owned` mix nine pods in
 * ten owned by a ReplicaSet.  Pure; no shared state.
 */
#ifndef TOLLGATE_PODLIST_H
#define TOLLGATE_PODLIST_H

#include <stdbool.h>

#include "buf.h"
#include "error.h"

#define PODLIST_NAMESPACES 50

struct podlist_opts {
    int pods;   /* in the whole list */
    int page;   /* items per page */
    bool owned; /* nine in ten owned by a ReplicaSet (else all top-level) */
};

/* The number of pages the list has. */
int podlist_n_pages(const struct podlist_opts *o);

/* Page `p` (from 0) of the list into `b`, replacing what it held: a
 * PodList whose items carry no kind or apiVersion, as the API server's.
 * TG_ENOMEM, or TG_ETOOBIG past b's cap. */
TG_MUST_CHECK enum tg_rc podlist_page(struct buf *b, int p, const struct podlist_opts *o);

#endif
