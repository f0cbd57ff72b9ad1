/* audit_kinds.h -- what the audit lists, and which object reports what.
 *
 * The audit lists every kind tollgate judges at admission (workload.h):
 * Pods, ReplicationControllers, PodTemplates, Deployments, ReplicaSets,
 * StatefulSets, DaemonSets, Jobs and CronJobs.  Each violation is reported
 * once, at the top-level controller: an object whose controller
 * ownerReference points to one of these kinds is skipped, because its owner
 * is listed and judged instead (a Pod of a ReplicaSet of a Deployment is
 * reported as the Deployment, a Job of a CronJob as the CronJob).  An
 * object owned by another kind (an operator's custom resource), or by
 * nobody, is reported as itself.  The decision looks at the object alone,
 * so a scan never has to remember what it listed before.
 * Pure: a const table; thread-safe.
 */
#ifndef TOLLGATE_AUDIT_KINDS_H
#define TOLLGATE_AUDIT_KINDS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct audit_kind {
    const char *kind;     /* "Deployment" */
    const char *group;    /* "apps"; "" for the core group */
    const char *version;  /* the preferred version: "v1" */
    const char *fallback; /* a version to try when the API server does not serve
                             `version` (CronJob: batch/v1 arrived in 1.21, before
                             that batch/v1beta1), or NULL */
    const char *resource; /* "deployments" */
};

/* The listed kinds, top-level controllers first (the order of a report). */
const struct audit_kind *audit_kinds(size_t *n);

/* The listed kind with this group ("" core, "apps", ...) and kind name, or
 * NULL. */
const struct audit_kind *audit_kind_find(const char *group, const char *kind);

/* Is `object` reported as itself?  False when a controller
 * ownerReference (controller: true) names a listed kind of the same API
 * group ("apps/v1" ReplicaSet, "batch/v1beta1" CronJob).  Owner references
 * that are not the controller (garbage-collection links only) do not
 * count.  A malformed ownerReferences member counts as no owner. */
bool audit_is_top_level(const json_t *object);

/* The group of an apiVersion ("apps/v1" -> "apps", "v1" -> "") into `out`
 * (`len` bytes, truncated). */
void audit_api_group(const char *api_version, char *out, size_t len);

#endif
