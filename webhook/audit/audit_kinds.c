/* audit_kinds.c -- the top-level controller test and the report order. */
#include "audit_kinds.h"

#include <stdio.h>
#include <string.h>

#include "error.h"
#include "kube_resource.h"

/* The kinds that own pod-bearing objects and that tollgate judges itself. */
static const struct kube_resource *const judged[] = {
    &KUBE_RES_PODS,         &KUBE_RES_DEPLOYMENTS,      &KUBE_RES_REPLICASETS,
    &KUBE_RES_STATEFULSETS, &KUBE_RES_DAEMONSETS,       &KUBE_RES_JOBS,
    &KUBE_RES_CRONJOBS_V1,  &KUBE_RES_CRONJOBS_V1BETA1, &KUBE_RES_REPLICATIONCONTROLLERS,
    &KUBE_RES_PODTEMPLATES,
};

static const char *const report_order[] = {
    "CronJob", "Deployment", "StatefulSet", "DaemonSet", "ReplicationController",
    "Job",     "ReplicaSet", "PodTemplate", "Pod",
};

size_t audit_kind_rank(const char *kind)
{
    size_t i = 0;
    while (i < ARRAY_LEN(report_order) && strcmp(report_order[i], kind) != 0)
        i++;
    return i;
}

void audit_api_group(const char *api_version, char *out, size_t len)
{
    const char *slash = strchr(api_version, '/');
    int n = slash ? (int)(slash - api_version) : 0;
    snprintf(out, len, "%.*s", n, api_version);
}

static bool is_judged(const char *group, const char *kind)
{
    for (size_t i = 0; i < ARRAY_LEN(judged); i++) {
        char g[64];
        audit_api_group(judged[i]->group_version, g, sizeof(g));
        if (strcmp(judged[i]->kind, kind) == 0 && strcmp(g, group) == 0)
            return true;
    }
    return false;
}

/* Does this ownerReference make a judged kind the object's controller? */
static bool is_judged_controller(const json_t *ref)
{
    if (!json_is_true(json_object_get(ref, "controller")))
        return false;
    const char *api_version = json_string_value(json_object_get(ref, "apiVersion"));
    const char *kind = json_string_value(json_object_get(ref, "kind"));
    if (!api_version || !kind)
        return false;
    char group[128];
    audit_api_group(api_version, group, sizeof(group));
    return is_judged(group, kind);
}

bool audit_is_top_level(const json_t *object)
{
    const json_t *refs =
        json_object_get(json_object_get(object, "metadata"), "ownerReferences");
    size_t i;
    const json_t *ref;
    json_array_foreach(refs, i, ref)
    {
        if (is_judged_controller(ref))
            return false;
    }
    return true;
}
