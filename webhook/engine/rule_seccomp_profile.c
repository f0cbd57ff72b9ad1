/* rule_seccomp_profile.c -- every container runs under a seccomp profile.
 *
 * Without one the kubelet runs a container Unconfined (unless it was
 * started with --seccomp-default), so every system call is open to it.
 * The effective securityContext.seccompProfile (the container's, else the
 * pod's, for app, init and ephemeral containers alike) must have type
 * RuntimeDefault or Localhost, as Pod Security Standards "restricted"
 * says.  The seccomp.security.alpha.kubernetes.io annotations of
 * Kubernetes before 1.19 are not read: reading them would mean building
 * every annotation, which the lean decoder leaves raw, and from 1.19 the
 * API server copies a Pod's annotation into the field before validating
 * webhooks see it.  A template that has only the annotation is reported
 * (the safe direction) with the field to set.
 *
 * Fix (mutate), only where neither level sets a profile: type
 * RuntimeDefault in the pod's securityContext, because one field there
 * covers every container without its own -- init containers, and debug
 * containers that `kubectl debug` adds later to the running pod, which
 * the mutate stage cannot patch.  But a pod-level field also changes the
 * containers the rule does not judge, and an exemption must leave its
 * container as it is: when an exempt container would inherit it (it sets
 * no profile of its own), the fix goes to each judged container instead.
 * It goes there too for the pods/ephemeralcontainers object of API
 * servers before 1.22, which carries no pod spec, and, when the rule has
 * exemptions, for pods of more than POD_LEVEL_MAX_CONTAINERS containers.  An explicit
 * Unconfined, at either level, is somebody's decision and is never overwritten.
 * Linux-only: Windows pods are not judged (the API server refuses the
 * field on them).
 */
#include <string.h>

#include "rules.h"
#include "secctx.h"

#define RULE_ID "seccompProfile"

static bool is_confining(const char *type)
{
    return type &&
           (strcmp(type, "RuntimeDefault") == 0 || strcmp(type, "Localhost") == 0);
}

/* Deciding on a pod-level fix looks at every container of the pod, for
 * each finding; past this many containers each gets its own instead, so a
 * padded pod cannot make the rule quadratic (real pods have a handful). */
#define POD_LEVEL_MAX_CONTAINERS 64

/* Where the fix goes: the pod's securityContext when the object has a pod
 * spec and no exempt container would inherit it, else the container's. */
static enum tg_rc fix_pointer(const struct rule_ctx *ctx, const struct container *c,
                              const char **out)
{
    const struct rule_common *common = &ctx->policy->seccomp_profile.common;
    bool has_exemptions = common->exempt_containers.n || common->exempt_images.n;
    bool pod_level =
        ctx->pod->pointer[0] != '\0' &&
        (!has_exemptions || ctx->pod->n_containers <= POD_LEVEL_MAX_CONTAINERS);
    for (size_t i = 0; has_exemptions && pod_level && i < ctx->pod->n_containers; i++) {
        const struct container *o = &ctx->pod->containers[i];
        bool exempt = false;
        if (secctx_container(o, "seccompProfile"))
            continue; /* keeps its own */
        enum tg_rc rc = rule_exempts_container(common, o, ctx->arena, &exempt);
        if (rc != TG_OK)
            return rc;
        pod_level = !exempt;
    }
    *out = arena_printf(ctx->arena, "%s/securityContext/seccompProfile",
                        pod_level ? ctx->pod->pointer : c->pointer);
    return *out ? TG_OK : TG_ENOMEM;
}

static enum tg_rc report_unset(const struct rule_ctx *ctx, const struct container *c,
                               struct findings *out)
{
    struct finding *fnd;
    enum tg_rc rc = findings_addf(out, RULE_ID, c, "securityContext/seccompProfile", &fnd,
                                  "no seccompProfile is set on the container or the pod, "
                                  "so it runs Unconfined; set "
                                  "securityContext.seccompProfile.type: RuntimeDefault");
    const char *at = NULL;
    if (rc == TG_OK)
        rc = fix_pointer(ctx, c, &at);
    if (rc == TG_OK)
        rc = finding_add_fix(out, fnd, at, json_pack("{s:s}", "type", "RuntimeDefault"));
    return rc;
}

enum tg_rc rule_seccomp_profile_eval(const struct rule_ctx *ctx,
                                     const struct container *c, struct findings *out)
{
    if (ctx->pod->is_windows)
        return TG_OK;
    struct secctx_field f = secctx_effective(ctx->pod, c, "seccompProfile");
    if (!f.value)
        return report_unset(ctx, c, out);
    const char *type = json_string_value(json_object_get(f.value, "type"));
    if (is_confining(type))
        return TG_OK;
    const char *at =
        arena_printf(ctx->arena, "%s/securityContext/seccompProfile/type", f.base);
    if (!at)
        return TG_ENOMEM;
    if (!type)
        return findings_addf(out, RULE_ID, c, at, NULL,
                             "seccompProfile at the %s level has no type; set type: "
                             "RuntimeDefault (or Localhost with localhostProfile)",
                             f.level);
    return findings_addf(out, RULE_ID, c, at, NULL,
                         "seccompProfile.type is \"%s\" at the %s level; use "
                         "RuntimeDefault (or Localhost with localhostProfile)",
                         type, f.level);
}
