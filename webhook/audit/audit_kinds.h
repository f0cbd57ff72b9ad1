/* audit_kinds.h -- which listed object reports a violation.
 *
 * The audit lists every kind tollgate judges at admission (workload.h;
 * kube_resource.h has their API paths) and reports each violation once, at
 * the top-level controller: an object whose controller ownerReference
 * points to one of these kinds is skipped, because its owner is listed and
 * judged instead (a Pod of a ReplicaSet of a Deployment is reported as the
 * Deployment, a Job of a CronJob as the CronJob).  An object owned by
 * another kind (an operator's custom resource), or by nobody, is reported
 * as itself.  The decision looks at the object alone, so a scan never has
 * to remember what it listed before.
 * Pure; thread-safe.
 */
#ifndef TOLLGATE_AUDIT_KINDS_H
#define TOLLGATE_AUDIT_KINDS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Is `object` reported as itself?  False when a controller
 * ownerReference (controller: true) names a judged kind of the same API
 * group ("apps/v1" ReplicaSet, "batch/v1beta1" CronJob).  Owner references
 * that are not the controller (garbage-collection links only) do not
 * count.  A malformed ownerReferences member counts as no owner. */
bool audit_is_top_level(const json_t *object);

/* The place of a kind in a report: controllers top-down (CronJob,
 * Deployment, StatefulSet, DaemonSet, ReplicationController, Job,
 * ReplicaSet, PodTemplate), then Pod; other kinds last. */
size_t audit_kind_rank(const char *kind);

/* The group of an apiVersion ("apps/v1" -> "apps", "v1" -> "") into `out`
 * (`len` bytes, truncated). */
void audit_api_group(const char *api_version, char *out, size_t len);

#endif
