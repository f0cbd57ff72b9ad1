/* audit_lease.h -- one writer among the replicas: a coordination.k8s.io/v1 Lease.
 *
 * Every replica of `tollgate serve` with the background audit on competes
 * for one Lease in its namespace, as client-go's leader election does: the
 * holder renews spec.renewTime well within spec.leaseDurationSeconds; the
 * others read the Lease and take it over only when its record (holder,
 * renewTime, resourceVersion) has not changed for a whole lease duration
 * as measured by their own monotonic clock -- so clocks that disagree
 * between nodes do not matter.  Every write is a PUT carrying the
 * resourceVersion that was read (optimistic concurrency): when two replicas
 * try at once, the API server lets exactly one through and the other gets
 * 409 Conflict and stays a candidate.  A holder that cannot renew for
 * `renew_deadline` steps down on its own, before anyone else may take over.
 * On a clean stop the holder releases the Lease (empty holderIdentity), so
 * another replica takes over at its next try instead of after a duration.
 * I/O through the client (its thread rules); not thread-safe: one elector
 * per thread, whose answer other threads read (audit_loop.h).
 */
#ifndef TOLLGATE_AUDIT_LEASE_H
#define TOLLGATE_AUDIT_LEASE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "error.h"
#include "kube_client.h"
#include "kube_error.h"
#include "kube_resource.h"

extern const struct kube_resource AUDIT_RES_LEASES;

#define AUDIT_LEASE_NAME_MAX 254
#define AUDIT_LEASE_ID_MAX 256

struct audit_lease {
    char ns[AUDIT_LEASE_NAME_MAX];
    char name[AUDIT_LEASE_NAME_MAX];
    char identity[AUDIT_LEASE_ID_MAX]; /* holderIdentity: unique per replica */
    unsigned duration_s;               /* leaseDurationSeconds written */
    uint64_t renew_deadline_ns;        /* a holder steps down after this long
                                          without a successful renewal */
    /* What was last seen, and when (monotonic ns), for the expiry test. */
    char seen_holder[AUDIT_LEASE_ID_MAX];
    char seen_renew[40];
    char seen_rv[64];
    uint64_t seen_at_ns;
    bool held;              /* the last attempt (re)acquired it */
    uint64_t renewed_at_ns; /* of the last successful renewal */
    unsigned transitions;   /* spec.leaseTransitions as last written */
    char acquire_time[40];  /* spec.acquireTime as last written */
};

/* Set up an elector; nothing is sent.  TG_EINVAL when a name is too long or
 * the duration is below 2 s (err says which). */
TG_MUST_CHECK enum tg_rc audit_lease_init(struct audit_lease *l, const char *ns,
                                          const char *name, const char *identity,
                                          unsigned duration_s, struct tg_error *err);

/* One attempt at `now_ns` (monotonic): create the Lease if there is none,
 * renew it if we hold it, take it over if its holder let it expire or
 * released it.  TG_OK with *held saying whether we hold it now (losing a
 * race is TG_OK with false).  On an API error the code and `err`, and
 * *held says whether we still count as holder (until renew_deadline
 * after the last renewal). */
TG_MUST_CHECK enum tg_rc audit_lease_try(struct audit_lease *l, struct kube_client *c,
                                         uint64_t now_ns, bool *held,
                                         struct kube_error *err);

/* Give the Lease up if we hold it (holderIdentity emptied): at shutdown. */
TG_MUST_CHECK enum tg_rc audit_lease_release(struct audit_lease *l, struct kube_client *c,
                                             struct kube_error *err);

/* "2026-11-22T10:22:38.123456Z" for `t` (a MicroTime, as Lease wants). */
void audit_lease_microtime(const struct timespec *t, char out[40]);

#endif
