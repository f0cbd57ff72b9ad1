/* rule_host_namespaces.c -- pods do not share the node's namespaces.
 *
 * hostNetwork, hostPID and hostIPC are fields of the pod spec, not of a
 * container: one of them set puts every container of the pod into the
 * node's network, process or IPC namespace (Pod Security Standards,
 * baseline: "Host Namespaces").  So this is a pod hook: one finding per
 * field, at the pod spec's own pointer (/spec/hostNetwork), however many
 * containers the pod has.  A value other than false or null counts as
 * set: the API server would refuse a non-boolean, and tollgate must not
 * read one as "off".  The policy may allow some of them (a node agent
 * that needs the host network); an exemption applies when every container
 * of the pod is exempt, since the namespace reaches all of them.
 * No automatic fix: taking a workload off the host network changes what
 * it is.
 */
#include "rules.h"

#define RULE_ID "hostNamespaces"

static const struct {
    enum host_namespace which;
    const char *field;
    const char *shares; /* short: audit warnings stop at 256 bytes (decide.h) */
} host_fields[] = {
    {HOST_NETWORK, "hostNetwork", "the node's network (every port, its localhost)"},
    {HOST_PID, "hostPID", "the node's processes (it can see and signal them)"},
    {HOST_IPC, "hostIPC", "the node's shared memory and IPC"},
};

enum tg_rc rule_host_namespaces_eval_pod(const struct rule_ctx *ctx,
                                         const struct container *pod,
                                         struct findings *out)
{
    unsigned allowed = ctx->policy->host_namespaces.allowed;
    for (size_t i = 0; i < ARRAY_LEN(host_fields); i++) {
        const json_t *v = json_object_get(pod->spec, host_fields[i].field);
        if (!v || json_is_false(v) || json_is_null(v) || (allowed & host_fields[i].which))
            continue;
        enum tg_rc rc = findings_addf(
            out, RULE_ID, pod, host_fields[i].field, NULL,
            "%s is %s: the pod shares %s; remove it, or allow it for this workload "
            "(hostNamespaces.allow or an exemption)",
            host_fields[i].field, json_is_true(v) ? "true" : "not false",
            host_fields[i].shares);
        if (rc != TG_OK)
            return rc;
    }
    return TG_OK;
}
