/* rule_image_pull_policy.c -- mutable tags are pulled every time.
 *
 * With a mutable tag and imagePullPolicy IfNotPresent, two nodes can run
 * two different images under one name.  "Always" makes every start ask the
 * registry.  An image pinned by digest is immutable and may use any policy.
 * Off by default; with mutate it sets imagePullPolicy: Always.
 */
#include <string.h>

#include "rules.h"

#define RULE_ID "imagePullPolicy"

enum tg_rc rule_image_pull_policy_eval(const struct rule_ctx *ctx,
                                       const struct container *c, struct findings *out)
{
    if (!ctx->image || ctx->image->digest)
        return TG_OK; /* invalid images are pinnedTags' to report */
    const char *policy = json_string_value(json_object_get(c->spec, "imagePullPolicy"));
    if (policy && strcmp(policy, "Always") == 0)
        return TG_OK;
    /* The API server defaults a missing policy to Always for :latest or no
     * tag, IfNotPresent otherwise. */
    if (!policy && (!ctx->image->tag || strcmp(ctx->image->tag, "latest") == 0))
        return TG_OK;
    struct finding *fnd;
    enum tg_rc rc = findings_addf(out, RULE_ID, c, "imagePullPolicy", &fnd,
                                  "image \"%s\" has a mutable tag but imagePullPolicy is "
                                  "%s; set imagePullPolicy: Always or pin a digest",
                                  c->image, policy ? policy : "unset (IfNotPresent)");
    if (rc != TG_OK)
        return rc;
    return finding_add_container_fix(out, fnd, c, "imagePullPolicy",
                                     json_string("Always"));
}
