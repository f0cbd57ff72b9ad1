/* rule_allowed_registries.c -- images come only from trusted places.
 *
 * The image's normalised name ("nginx" is docker.io/library/nginx) must lie
 * under one of the policy's prefixes at a path boundary: "ghcr.io/acme"
 * allows "ghcr.io/acme/app" but not "ghcr.io/acmecorp/app".  Normalising
 * first is what stops "index.docker.io/nginx" or "DOCKER.IO/nginx" from
 * slipping past a list that names "docker.io/library".  An empty list turns
 * the rule off.  There is no automatic fix: moving an image is a decision.
 */
#include "rules.h"

#define RULE_ID "allowedRegistries"

enum tg_rc rule_allowed_registries_eval(const struct rule_ctx *ctx,
                                        const struct container *c, struct findings *out)
{
    const struct strlist *l = &ctx->policy->allowed_registries.registries;
    if (l->n == 0)
        return TG_OK;
    if (!c->image || !ctx->image)
        return findings_addf(out, RULE_ID, c, "image", NULL,
                             "image \"%s\" cannot be checked against the allowed "
                             "registries: %s",
                             c->image ? c->image : "",
                             c->image ? (ctx->image_error ? ctx->image_error : "invalid")
                                      : "it is not set");
    if (policy_prefixes_cover(l, ctx->image->name))
        return TG_OK;
    return findings_addf(out, RULE_ID, c, "image", NULL,
                         "image \"%s\" (%s) is not from an allowed registry (%s); use an "
                         "image from one of them, or mirror it there",
                         c->image, ctx->image->name, rules_list_text(ctx->arena, l, 8));
}
