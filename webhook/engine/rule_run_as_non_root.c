/* rule_run_as_non_root.c -- containers must not run as root.
 *
 * Kubernetes resolves securityContext per container: a field set on the
 * container wins over the same field on the pod.  A container passes when
 * its effective runAsUser is non-zero, or its effective runAsNonRoot is
 * true and its effective runAsUser is not 0 (runAsUser: 0 with
 * runAsNonRoot: true is a pod the kubelet refuses to start: deny it at the
 * door).  With checkImageUser, a container that sets no runAsUser is judged
 * by its image's USER from the registry (facts), because that is what it
 * will run as.
 * Fix (mutate): runAsNonRoot: true in the container's securityContext,
 * plus the configured runAsUser/runAsGroup when none is in effect.  An
 * explicit runAsNonRoot: false is a decision somebody made: it stays a
 * violation, never silently overwritten.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "rules.h"
#include "secctx.h"

#define RULE_ID "runAsNonRoot"

static bool is_root_user_name(const char *user)
{
    if (!user[0] || strcmp(user, "root") == 0)
        return true;
    /* "0", "0:0", "0:wheel" all run as uid 0 */
    return user[0] == '0' && (user[1] == '\0' || user[1] == ':');
}

static bool is_numeric_user(const char *user)
{
    size_t i = 0;
    while (isdigit((unsigned char)user[i]))
        i++;
    return i > 0 && (user[i] == '\0' || user[i] == ':');
}

/* runAsNonRoot: true, and the configured ids where none is in effect --
 * but not on a Windows pod, where the API server refuses runAsUser and
 * runAsGroup (from 1.25). */
static enum tg_rc add_fixes(const struct rule_ctx *ctx, const struct container *c,
                            struct findings *out, struct finding *fnd)
{
    const struct run_as_non_root_config *cfg = &ctx->policy->run_as_non_root;
    bool ids = !ctx->pod->is_windows;
    enum tg_rc rc = finding_add_container_fix(out, fnd, c, "securityContext/runAsNonRoot",
                                              json_true());
    if (rc == TG_OK && ids && cfg->set_run_as_user &&
        !secctx_effective(ctx->pod, c, "runAsUser").value)
        rc = finding_add_container_fix(out, fnd, c, "securityContext/runAsUser",
                                       json_integer(cfg->run_as_user));
    if (rc == TG_OK && ids && cfg->set_run_as_group &&
        !secctx_effective(ctx->pod, c, "runAsGroup").value)
        rc = finding_add_container_fix(out, fnd, c, "securityContext/runAsGroup",
                                       json_integer(cfg->run_as_group));
    return rc;
}

/* checkImageUser: judge by the image's own USER when no runAsUser is set. */
static enum tg_rc check_image_user(const struct rule_ctx *ctx, const struct container *c,
                                   struct findings *out)
{
    const struct run_as_non_root_config *cfg = &ctx->policy->run_as_non_root;
    const struct image_fact *fact = facts_find(ctx->facts, c->image);
    struct finding *fnd;
    if (!fact || fact->status != FACT_OK || !fact->has_config_user) {
        const char *why = !fact ? "no registry lookup was made" : fact->error;
        enum tg_rc rc = findings_addf(out, RULE_ID, c, "image", &fnd,
                                      "cannot check the USER of image \"%s\" (%s)%s",
                                      c->image ? c->image : "", why ? why : "no config",
                                      cfg->common.allow_on_lookup_failure
                                          ? "; allowed by policy"
                                          : "; set securityContext.runAsUser to a "
                                            "non-zero UID to be admitted");
        if (rc == TG_OK && cfg->common.allow_on_lookup_failure)
            fnd->severity = FINDING_NOTE;
        return rc;
    }
    const char *user = fact->config_user;
    if (is_root_user_name(user))
        return findings_addf(out, RULE_ID, c, "image", NULL,
                             "image \"%s\" runs as root (USER %s in its config) and no "
                             "runAsUser is set; set securityContext.runAsUser to a "
                             "non-zero UID or rebuild the image with a numeric USER",
                             c->image, user[0] ? user : "unset");
    if (is_numeric_user(user) || cfg->allow_named_users)
        return TG_OK;
    return findings_addf(out, RULE_ID, c, "image", NULL,
                         "image \"%s\" runs as the named user \"%s\", which the kubelet "
                         "cannot verify as non-root; set securityContext.runAsUser to a "
                         "non-zero UID (or allow named users in the policy)",
                         c->image, user);
}

/* runAsUser: 0, wherever it was set. */
static enum tg_rc report_root_uid(const struct rule_ctx *ctx, const struct container *c,
                                  const struct secctx_field *user, bool non_root_true,
                                  struct findings *out)
{
    const char *at = secctx_pointer(ctx->arena, user);
    if (!at)
        return TG_ENOMEM;
    return findings_addf(out, RULE_ID, c, at, NULL,
                         "runAsUser is 0 (root), set at the %s level; use a non-zero "
                         "UID such as 10001%s",
                         user->level,
                         non_root_true ? " (runAsNonRoot: true does not override it: "
                                         "the kubelet would refuse to start the "
                                         "container)"
                                       : "");
}

/* runAsNonRoot: false with no non-zero runAsUser. */
static enum tg_rc report_non_root_false(const struct rule_ctx *ctx,
                                        const struct container *c,
                                        const struct secctx_field *non_root,
                                        struct findings *out)
{
    const char *at = secctx_pointer(ctx->arena, non_root);
    if (!at)
        return TG_ENOMEM;
    return findings_addf(out, RULE_ID, c, at, NULL,
                         "runAsNonRoot is false at the %s level and no non-zero "
                         "runAsUser is set; set runAsNonRoot: true and a non-zero "
                         "runAsUser",
                         non_root->level);
}

enum tg_rc rule_run_as_non_root_eval(const struct rule_ctx *ctx,
                                     const struct container *c, struct findings *out)
{
    struct secctx_field user = secctx_effective(ctx->pod, c, "runAsUser");
    struct secctx_field non_root = secctx_effective(ctx->pod, c, "runAsNonRoot");
    if (user.value && json_is_integer(user.value) && json_integer_value(user.value) == 0)
        return report_root_uid(ctx, c, &user, json_is_true(non_root.value), out);
    if (user.value && json_is_integer(user.value))
        return TG_OK; /* an explicit non-zero UID is what the process runs as */
    if (json_is_false(non_root.value))
        return report_non_root_false(ctx, c, &non_root, out);
    if (ctx->policy->run_as_non_root.check_image_user)
        return check_image_user(ctx, c, out);
    if (json_is_true(non_root.value))
        return TG_OK;
    struct finding *fnd;
    enum tg_rc rc =
        findings_addf(out, RULE_ID, c, "securityContext/runAsNonRoot", &fnd,
                      "neither the container nor the pod securityContext sets "
                      "runAsNonRoot: true or a non-zero runAsUser; set "
                      "securityContext.runAsNonRoot: true");
    if (rc != TG_OK)
        return rc;
    return add_fixes(ctx, c, out, fnd);
}
