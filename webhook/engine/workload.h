/* workload.h -- where the pod spec lives in each kind of object.
 *
 * Kubernetes nests the same PodSpec at a different place in every workload
 * kind; tollgate finds it by kind, from a fixed table (never by guessing, as
 * Polaris's GetPodSpec does), and lists every container of it with the JSON
 * Pointer where it lives:
 *   Pod                                  /spec
 *   Deployment, ReplicaSet, StatefulSet,
 *   DaemonSet, Job, ReplicationController /spec/template/spec
 *   CronJob                              /spec/jobTemplate/spec/template/spec
 *   PodTemplate                          /template/spec
 *   EphemeralContainers (the pods/ephemeralcontainers subresource object
 *   of API servers before 1.22)           "" (ephemeralContainers at the top)
 * Other kinds have no pod spec and are allowed untouched.
 * Pure: borrows from the object, allocates from the arena; thread-safe.
 */
#ifndef TOLLGATE_WORKLOAD_H
#define TOLLGATE_WORKLOAD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "error.h"

enum container_kind {
    CONTAINER_APP,       /* spec.containers */
    CONTAINER_INIT,      /* spec.initContainers */
    CONTAINER_EPHEMERAL, /* spec.ephemeralContainers (kubectl debug) */
    CONTAINER_POD,       /* not a container: the pod spec itself, for findings about
                            its own fields (hostNetwork, volumes); never listed */
};

struct container {
    enum container_kind kind;
    bool is_sidecar;     /* an init container with restartPolicy: Always runs for
                            the pod's whole life: judged as an app container */
    size_t index;        /* position in its array */
    const char *name;    /* "" when the object gives none */
    const char *image;   /* NULL when the object gives none */
    const char *pointer; /* "/spec/template/spec/containers/1" */
    const json_t *spec;  /* borrowed from the object */
    /* Its securityContext, borrowed; NULL when absent or null.  Looked up
     * once here because most rules read it (secctx.h). */
    const json_t *security_context;
};

struct podspec {
    const char *pointer;          /* "/spec/template/spec" ("" for EphemeralContainers) */
    const json_t *spec;           /* borrowed */
    struct container *containers; /* from the arena: app, then init, then ephemeral */
    size_t n_containers;
    const json_t *security_context; /* the pod's, borrowed; NULL when absent or null */
    bool is_windows; /* spec.os.name is "windows": Linux-only controls do not apply */
};

/* The pod spec pointer for `kind`, or NULL for kinds without one. */
const char *workload_podspec_pointer(const char *kind);

/* Find the pod spec of `object` (its "kind" decides where).  *found is false
 * for kinds without a pod spec, or when the object has none at the place
 * (e.g. a Deployment without template: nothing to judge).  Errors: TG_EINVAL
 * when a part that must be a mapping or a list is something else (the
 * message names the JSON Pointer and the expected type), TG_ENOMEM when the
 * arena is full.  `out` is written only on success. */
TG_MUST_CHECK enum tg_rc workload_find(const json_t *object, struct arena *a,
                                       struct podspec *out, bool *found,
                                       struct tg_error *err);

/* Do `a` and `b` (two versions of one object) carry the same pod spec?
 * True also when neither kind has one.  Pure. */
bool workload_same_podspec(const json_t *a, const json_t *b);

/* "container", "initContainer", "ephemeralContainer", "pod". */
const char *container_kind_name(enum container_kind k);

#endif
