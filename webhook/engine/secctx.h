/* secctx.h -- what Kubernetes makes of a securityContext, for the rules.
 *
 * Some securityContext fields exist on the pod and on each container
 * (runAsUser, runAsNonRoot, seccompProfile, ...): the container's value,
 * when set (present and not null), wins; otherwise the pod's applies, to
 * app, init and ephemeral containers alike.  Others exist on the container
 * only (privileged, allowPrivilegeEscalation, capabilities,
 * readOnlyRootFilesystem): the pod's securityContext has no such member.
 * And some controls are Linux-only: from Kubernetes 1.25 the API server
 * refuses seccompProfile, capabilities, allowPrivilegeEscalation,
 * readOnlyRootFilesystem and privileged on a pod whose spec.os.name is
 * "windows" (podspec.is_windows), and Pod Security Admission does not ask a
 * Windows pod for them.
 * Pure: borrows from the object, allocates only from the arena it is
 * given; thread-safe.
 */
#ifndef TOLLGATE_SECCTX_H
#define TOLLGATE_SECCTX_H

#include <jansson.h>
#include <stdbool.h>

#include "arena.h"
#include "workload.h"

/* One effective securityContext field: the value and the level that set it.
 * Its JSON Pointer is written only when a rule reports it (secctx_pointer):
 * most containers pass, and formatting a pointer for each of them cost ~5%
 * of a typical review's decision (callgrind, bench_micro). */
struct secctx_field {
    const json_t *value; /* NULL when neither level sets it */
    const char *base;    /* pointer of the container or the pod spec that sets it */
    const char *field;   /* "runAsUser" */
    const char *level;   /* "container" or "pod"; NULL when unset */
};

/* The effective `field` of container `c` in `pod`: the container's, else
 * the pod's. */
struct secctx_field secctx_effective(const struct podspec *pod, const struct container *c,
                                     const char *field);

/* `field` of the container's own securityContext, for the container-only
 * fields; NULL when absent or null. */
const json_t *secctx_container(const struct container *c, const char *field);

/* "<base>/securityContext/<field>", from `a`; NULL when `a` is full. */
const char *secctx_pointer(struct arena *a, const struct secctx_field *f);

/* Does `written` (an item of capabilities.add or .drop) name capability
 * `name` ("SYS_ADMIN") the way the container runtimes read it?  containerd
 * and CRI-O compare in any case and CRI-O also takes a "CAP_" prefix, so
 * "sys_admin" and "CAP_SYS_ADMIN" grant SYS_ADMIN too.  (The API server
 * and Pod Security Admission compare exactly, as written.) */
bool secctx_capability_is(const char *written, const char *name);

#endif
