/* kube_resource.h -- API resources: their paths, and the kinds tollgate judges.
 *
 * A struct kube_resource says where a kind lives in the API:
 *   core group  /api/v1/[namespaces/NS/]PLURAL[/NAME]
 *   others      /apis/GROUP/VERSION/[namespaces/NS/]PLURAL[/NAME]
 * kube_resource_path builds such a path, checking namespace and name
 * (RFC 1123 DNS subdomains, at most 253 bytes: what the API server accepts
 * for these kinds), so a path never needs escaping.  Callers describe their
 * own resources the same way (a PolicyReport is {"wgpolicyk8s.io/v1alpha2",
 * "policyreports", "PolicyReport", true}).
 *
 * The pod-bearing kinds are those workload.h finds pod specs in: Pod,
 * Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob,
 * ReplicationController, PodTemplate.  All but CronJob have had one version
 * since Kubernetes 1.9; CronJob is batch/v1beta1 up to 1.20 and batch/v1
 * from 1.21 (v1beta1 removed in 1.25), so kube_workloads_discover asks the
 * API server's discovery which one it serves.
 * The tables are constant; the functions are pure except
 * kube_workloads_discover, which makes calls on the given client (so it has
 * the client's thread rules).
 */
#ifndef TOLLGATE_KUBE_RESOURCE_H
#define TOLLGATE_KUBE_RESOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "kube_client.h"
#include "kube_error.h"

struct kube_resource {
    const char *group_version; /* "v1", "apps/v1", "batch/v1beta1" */
    const char *plural;        /* "deployments": the path segment */
    const char *kind;          /* "Deployment": items of a list get it */
    bool namespaced;
};

/* The fixed ones (CronJob: both versions; pick with kube_workloads_discover). */
extern const struct kube_resource KUBE_RES_PODS, KUBE_RES_DEPLOYMENTS,
    KUBE_RES_REPLICASETS, KUBE_RES_STATEFULSETS, KUBE_RES_DAEMONSETS, KUBE_RES_JOBS,
    KUBE_RES_CRONJOBS_V1, KUBE_RES_CRONJOBS_V1BETA1, KUBE_RES_REPLICATIONCONTROLLERS,
    KUBE_RES_PODTEMPLATES, KUBE_RES_NAMESPACES;

#define KUBE_N_WORKLOADS 9

/* The pod-bearing resources this API server serves, in a fixed order
 * (Pod first, then the controllers top-down: Deployment, ReplicaSet,
 * StatefulSet, DaemonSet, CronJob, Job, ReplicationController,
 * PodTemplate).  Pointers to the constant table: never freed. */
struct kube_workloads {
    const struct kube_resource *res[KUBE_N_WORKLOADS];
    size_t n;
};

/* Fill `out` (caller storage) with the pod-bearing resources, CronJob as
 * batch/v1 when discovery (GET /apis/batch/v1) lists "cronjobs", else as
 * batch/v1beta1 when GET /apis/batch/v1beta1 lists it, else left out (n is
 * then 8: a server with neither serves no CronJobs).  A 404 on a discovery
 * path means "not served"; any other failure is returned as the call's
 * error and `out` is untouched. */
TG_MUST_CHECK enum tg_rc kube_workloads_discover(struct kube_client *c,
                                                 struct kube_workloads *out,
                                                 struct kube_error *err);

/* The resource for a kind and apiVersion ("CronJob", "batch/v1beta1") among
 * the fixed ones above, or NULL. */
const struct kube_resource *kube_resource_find(const char *kind, const char *api_version);

/* Append the path of `r` to `out`: the collection when `name` is NULL, one
 * object otherwise; in namespace `ns`, or across all namespaces (and always
 * for cluster-scoped resources) when `ns` is NULL or "".  A namespaced
 * object (name given) needs its namespace.  TG_EINVAL (err says which value
 * is wrong and why) for a bad namespace or name, TG_ETOOBIG / TG_ENOMEM
 * from the buffer; `out` is unchanged on failure. */
TG_MUST_CHECK enum tg_rc kube_resource_path(struct buf *out,
                                            const struct kube_resource *r, const char *ns,
                                            const char *name, struct kube_error *err);

/* Is `s` a DNS subdomain as Kubernetes names need (RFC 1123: lower-case
 * alphanumerics, '-' and '.', starting and ending alphanumeric, 1 to 253
 * bytes)? */
bool kube_is_dns_subdomain(const char *s);

#endif
