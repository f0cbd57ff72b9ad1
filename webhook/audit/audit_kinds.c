/* audit_kinds.c -- the listed kinds and the top-level controller test. */
#include "audit_kinds.h"

#include <stdio.h>
#include <string.h>

#include "error.h"

static const struct audit_kind kinds[] = {
    {"CronJob", "batch", "v1", "v1beta1", "cronjobs"},
    {"Deployment", "apps", "v1", NULL, "deployments"},
    {"StatefulSet", "apps", "v1", NULL, "statefulsets"},
    {"DaemonSet", "apps", "v1", NULL, "daemonsets"},
    {"ReplicationController", "", "v1", NULL, "replicationcontrollers"},
    {"Job", "batch", "v1", NULL, "jobs"},
    {"ReplicaSet", "apps", "v1", NULL, "replicasets"},
    {"PodTemplate", "", "v1", NULL, "podtemplates"},
    {"Pod", "", "v1", NULL, "pods"},
};

const struct audit_kind *audit_kinds(size_t *n)
{
    *n = ARRAY_LEN(kinds);
    return kinds;
}

const struct audit_kind *audit_kind_find(const char *group, const char *kind)
{
    for (size_t i = 0; i < ARRAY_LEN(kinds); i++) {
        if (strcmp(kinds[i].group, group) == 0 && strcmp(kinds[i].kind, kind) == 0)
            return &kinds[i];
    }
    return NULL;
}

void audit_api_group(const char *api_version, char *out, size_t len)
{
    const char *slash = strchr(api_version, '/');
    int n = slash ? (int)(slash - api_version) : 0;
    snprintf(out, len, "%.*s", n, api_version);
}

/* Does this ownerReference make a listed kind the object's controller? */
static bool is_listed_controller(const json_t *ref)
{
    if (!json_is_true(json_object_get(ref, "controller")))
        return false;
    const char *api_version = json_string_value(json_object_get(ref, "apiVersion"));
    const char *kind = json_string_value(json_object_get(ref, "kind"));
    if (!api_version || !kind)
        return false;
    char group[128];
    audit_api_group(api_version, group, sizeof(group));
    return audit_kind_find(group, kind) != NULL;
}

bool audit_is_top_level(const json_t *object)
{
    const json_t *refs =
        json_object_get(json_object_get(object, "metadata"), "ownerReferences");
    size_t i;
    const json_t *ref;
    json_array_foreach(refs, i, ref)
    {
        if (is_listed_controller(ref))
            return false;
    }
    return true;
}
