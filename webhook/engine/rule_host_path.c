/* rule_host_path.c -- hostPath volumes stay inside allowed paths, read-only.
 *
 * A hostPath volume hands a container part of the node's file system:
 * /var/run/docker.sock or /etc is the node itself (Pod Security Standards,
 * baseline, forbids hostPath entirely).  Two checks:
 *   - pod hook: each hostPath volume's path lies under one of the policy's
 *     allowed paths, at a path boundary, compared normalised ("/var/log/",
 *     "/var//log/." are /var/log; a ".." element is refused, as the API
 *     server refuses it).  With no allowed paths, every hostPath volume is
 *     a finding.  The volume is the pod's, so the finding is made once and
 *     is exempt only when every container is.
 *   - container hook (requireReadOnly, the default): every volumeMount of
 *     a hostPath volume, in every container list, has readOnly: true.
 * The volume is set up by the kubelet whether or not a container mounts
 * it, so an unmounted hostPath volume is judged too.  An
 * EphemeralContainers object (kubectl debug on API servers before 1.22)
 * carries no volumes, so its mounts cannot be resolved there.
 * No automatic fix: a read-only mount, or no mount, can break the workload.
 */
#include <string.h>

#include "fspath.h"
#include "rules.h"

#define RULE_ID "hostPath"

static bool is_allowed(const struct strlist *l, const char *path)
{
    for (size_t i = 0; i < l->n; i++) {
        if (fspath_is_under(path, l->normalised ? l->normalised[i] : l->items[i]))
            return true;
    }
    return false;
}

static enum tg_rc judge_volume(const struct rule_ctx *ctx, const struct container *pod,
                               size_t i, struct findings *out)
{
    const json_t *vol = json_array_get(json_object_get(pod->spec, "volumes"), i);
    const json_t *hp = json_object_get(vol, "hostPath");
    if (!hp || json_is_null(hp))
        return TG_OK;
    const char *name = json_string_value(json_object_get(vol, "name"));
    const char *path = json_string_value(json_object_get(hp, "path"));
    const char *at = arena_printf(ctx->arena, "volumes/%zu/hostPath/path", i);
    char norm[4096];
    if (!at)
        return TG_ENOMEM;
    name = name ? name : "";
    enum fspath_problem why =
        path ? fspath_normalise(path, norm, sizeof(norm)) : FSPATH_OK;
    if (!path || why != FSPATH_OK)
        return findings_addf(out, RULE_ID, pod, at, NULL,
                             "hostPath volume \"%s\": its path %s, so it cannot be "
                             "checked; use an absolute path without \"..\" elements",
                             name, path ? fspath_problem_text(why) : "is not a string");
    const struct strlist *allowed = &ctx->policy->host_path.allowed_paths;
    if (is_allowed(allowed, norm))
        return TG_OK;
    if (!allowed->n)
        return findings_addf(out, RULE_ID, pod, at, NULL,
                             "hostPath volume \"%s\" mounts %s from the node, and the "
                             "policy allows no hostPath; use emptyDir, a ConfigMap or a "
                             "PersistentVolumeClaim instead",
                             name, norm);
    return findings_addf(out, RULE_ID, pod, at, NULL,
                         "hostPath volume \"%s\" mounts %s from the node, which is not "
                         "under an allowed path (%s); use another volume type, or a "
                         "path the policy allows",
                         name, norm, rules_list_text(ctx->arena, allowed, 6));
}

enum tg_rc rule_host_path_eval_pod(const struct rule_ctx *ctx,
                                   const struct container *pod, struct findings *out)
{
    size_t n = json_array_size(json_object_get(pod->spec, "volumes"));
    for (size_t i = 0; i < n; i++) {
        enum tg_rc rc = judge_volume(ctx, pod, i, out);
        if (rc != TG_OK)
            return rc;
    }
    return TG_OK;
}

/* The hostPath source of a pod volume called `name`, or NULL.  Every
 * volume of that name is looked at: the API server refuses two with one
 * name, but an emptyDir listed first must not hide a hostPath after it. */
static const json_t *host_path_volume(const struct rule_ctx *ctx, const char *name)
{
    const json_t *vols = json_object_get(ctx->pod->spec, "volumes");
    for (size_t i = 0; name && i < json_array_size(vols); i++) {
        const json_t *vol = json_array_get(vols, i);
        const char *vname = json_string_value(json_object_get(vol, "name"));
        const json_t *hp = json_object_get(vol, "hostPath");
        if (vname && strcmp(vname, name) == 0 && json_is_object(hp))
            return hp;
    }
    return NULL;
}

/* Has the pod any hostPath volume?  Most have none, and then no mount
 * needs looking up. */
static bool has_host_path(const struct rule_ctx *ctx)
{
    const json_t *vols = json_object_get(ctx->pod->spec, "volumes");
    for (size_t i = 0; i < json_array_size(vols); i++) {
        if (json_is_object(json_object_get(json_array_get(vols, i), "hostPath")))
            return true;
    }
    return false;
}

enum tg_rc rule_host_path_eval(const struct rule_ctx *ctx, const struct container *c,
                               struct findings *out)
{
    if (!ctx->policy->host_path.require_read_only || !ctx->pod->pointer[0] ||
        !has_host_path(ctx))
        return TG_OK; /* an EphemeralContainers object has no volumes to resolve */
    const json_t *mounts = json_object_get(c->spec, "volumeMounts");
    for (size_t i = 0; i < json_array_size(mounts); i++) {
        const json_t *m = json_array_get(mounts, i);
        const char *name = json_string_value(json_object_get(m, "name"));
        const json_t *hp = host_path_volume(ctx, name);
        if (!hp || json_is_true(json_object_get(m, "readOnly")))
            continue;
        const char *path = json_string_value(json_object_get(hp, "path"));
        const char *at = arena_printf(ctx->arena, "volumeMounts/%zu/readOnly", i);
        if (!at)
            return TG_ENOMEM;
        enum tg_rc rc = findings_addf(out, RULE_ID, c, at, NULL,
                                      "mounts hostPath volume \"%s\" (%s) writable; set "
                                      "readOnly: true on the mount",
                                      name, path ? path : "no path");
        if (rc != TG_OK)
            return rc;
    }
    return TG_OK;
}
