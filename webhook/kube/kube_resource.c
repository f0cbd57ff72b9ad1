/* kube_resource.c -- the resource table, paths, and CronJob's version. */
#include "kube_resource.h"

#include <string.h>

#define DNS_SUBDOMAIN_MAX 253

const struct kube_resource KUBE_RES_PODS = {"v1", "pods", "Pod", true};
const struct kube_resource KUBE_RES_DEPLOYMENTS = {"apps/v1", "deployments", "Deployment",
                                                   true};
const struct kube_resource KUBE_RES_REPLICASETS = {"apps/v1", "replicasets", "ReplicaSet",
                                                   true};
const struct kube_resource KUBE_RES_STATEFULSETS = {"apps/v1", "statefulsets",
                                                    "StatefulSet", true};
const struct kube_resource KUBE_RES_DAEMONSETS = {"apps/v1", "daemonsets", "DaemonSet",
                                                  true};
const struct kube_resource KUBE_RES_JOBS = {"batch/v1", "jobs", "Job", true};
const struct kube_resource KUBE_RES_CRONJOBS_V1 = {"batch/v1", "cronjobs", "CronJob",
                                                   true};
const struct kube_resource KUBE_RES_CRONJOBS_V1BETA1 = {"batch/v1beta1", "cronjobs",
                                                        "CronJob", true};
const struct kube_resource KUBE_RES_REPLICATIONCONTROLLERS = {
    "v1", "replicationcontrollers", "ReplicationController", true};
const struct kube_resource KUBE_RES_PODTEMPLATES = {"v1", "podtemplates", "PodTemplate",
                                                    true};
const struct kube_resource KUBE_RES_NAMESPACES = {"v1", "namespaces", "Namespace", false};

static const struct kube_resource *const fixed[] = {
    &KUBE_RES_PODS,         &KUBE_RES_DEPLOYMENTS,      &KUBE_RES_REPLICASETS,
    &KUBE_RES_STATEFULSETS, &KUBE_RES_DAEMONSETS,       &KUBE_RES_JOBS,
    &KUBE_RES_CRONJOBS_V1,  &KUBE_RES_CRONJOBS_V1BETA1, &KUBE_RES_REPLICATIONCONTROLLERS,
    &KUBE_RES_PODTEMPLATES, &KUBE_RES_NAMESPACES,
};

const struct kube_resource *kube_resource_find(const char *kind, const char *api_version)
{
    for (size_t i = 0; i < ARRAY_LEN(fixed); i++) {
        if (strcmp(fixed[i]->kind, kind) == 0 &&
            strcmp(fixed[i]->group_version, api_version) == 0)
            return fixed[i];
    }
    return NULL;
}

static bool is_alnum_lower(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool kube_is_dns_subdomain(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > DNS_SUBDOMAIN_MAX || !is_alnum_lower(s[0]) ||
        !is_alnum_lower(s[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!is_alnum_lower(s[i]) && s[i] != '-' && s[i] != '.')
            return false;
    }
    return true;
}

static enum tg_rc bad_name(struct kube_error *err, const char *what, const char *v)
{
    return kube_error_set(err, TG_EINVAL, KUBE_FAULT_LOCAL, NULL,
                          "%s \"%.100s\" is not a valid Kubernetes name (lower-case "
                          "letters, digits, '-' and '.', starting and ending with a "
                          "letter or digit, at most 253 characters)",
                          what, v);
}

enum tg_rc kube_resource_path(struct buf *out, const struct kube_resource *r,
                              const char *ns, const char *name, struct kube_error *err)
{
    bool in_ns = r->namespaced && ns && ns[0];
    if (in_ns && !kube_is_dns_subdomain(ns))
        return bad_name(err, "namespace", ns);
    if (name && !kube_is_dns_subdomain(name))
        return bad_name(err, "name", name);
    if (name && r->namespaced && !in_ns)
        return kube_error_set(err, TG_EINVAL, KUBE_FAULT_LOCAL, NULL,
                              "%s \"%s\" needs its namespace", r->kind, name);
    struct buf path; /* built apart, so `out` changes all or nothing */
    buf_init(&path, 0);
    bool core = strchr(r->group_version, '/') == NULL;
    enum tg_rc rc = buf_appendf(&path, "/%s/%s", core ? "api" : "apis", r->group_version);
    if (rc == TG_OK && in_ns)
        rc = buf_appendf(&path, "/namespaces/%s", ns);
    if (rc == TG_OK)
        rc = buf_appendf(&path, "/%s", r->plural);
    if (rc == TG_OK && name)
        rc = buf_appendf(&path, "/%s", name);
    if (rc == TG_OK)
        rc = buf_append(out, buf_str(&path), buf_len(&path));
    buf_cleanup(&path);
    if (rc != TG_OK)
        return kube_error_set(err, rc, KUBE_FAULT_LOCAL, NULL, "%s", tg_rc_str(rc));
    return TG_OK;
}

/* Does the discovery document at `path` (an APIResourceList) list the
 * resource `plural`?  A 404 is "no" (the group version is not served). */
static enum tg_rc serves(struct kube_client *c, const char *path, const char *plural,
                         bool *out, struct kube_error *err)
{
    json_t *doc = NULL;
    enum tg_rc rc = kube_client_get(c, path, &doc, err);
    *out = false;
    if (rc == TG_ENOTFOUND)
        return TG_OK;
    if (rc != TG_OK)
        return rc;
    size_t i;
    const json_t *res;
    json_array_foreach(json_object_get(doc, "resources"), i, res)
    {
        const char *name = json_string_value(json_object_get(res, "name"));
        if (name && strcmp(name, plural) == 0)
            *out = true;
    }
    json_decref(doc);
    return TG_OK;
}

enum tg_rc kube_workloads_discover(struct kube_client *c, struct kube_workloads *out,
                                   struct kube_error *err)
{
    bool v1 = false, v1beta1 = false;
    enum tg_rc rc = serves(c, "/apis/batch/v1", "cronjobs", &v1, err);
    if (rc == TG_OK && !v1)
        rc = serves(c, "/apis/batch/v1beta1", "cronjobs", &v1beta1, err);
    if (rc != TG_OK)
        return rc;
    const struct kube_resource *cronjobs = v1        ? &KUBE_RES_CRONJOBS_V1
                                           : v1beta1 ? &KUBE_RES_CRONJOBS_V1BETA1
                                                     : NULL;
    const struct kube_resource *order[] = {
        &KUBE_RES_PODS,         &KUBE_RES_DEPLOYMENTS,
        &KUBE_RES_REPLICASETS,  &KUBE_RES_STATEFULSETS,
        &KUBE_RES_DAEMONSETS,   cronjobs,
        &KUBE_RES_JOBS,         &KUBE_RES_REPLICATIONCONTROLLERS,
        &KUBE_RES_PODTEMPLATES,
    };
    _Static_assert(ARRAY_LEN(order) == KUBE_N_WORKLOADS, "one slot per workload kind");
    out->n = 0;
    for (size_t i = 0; i < ARRAY_LEN(order); i++) {
        if (order[i])
            out->res[out->n++] = order[i];
    }
    return TG_OK;
}
