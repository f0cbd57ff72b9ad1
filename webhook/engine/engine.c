/* engine.c -- run the rules over the containers of one object. */
#include "engine.h"

#include <string.h>

#include "imgref.h"
#include "rules.h"

const char *const engine_unread_members[] = {
    /* containers */
    "env", "envFrom", "volumeMounts", "volumeDevices", "resources", "args", "command",
    "lifecycle",
    /* probes: only whether one is there matters (rule_probes.c) */
    "livenessProbe", "readinessProbe", "startupProbe",
    /* pod spec */
    "volumes", "affinity", "tolerations", "nodeSelector", "dnsConfig", "hostAliases",
    "topologySpreadConstraints", "readinessGates", "imagePullSecrets",
    /* metadata, status, the request */
    "annotations", "ownerReferences", "managedFields", "status", "options", "resource",
    "requestKind", "requestResource", NULL};

static enum tg_rc run_rule(const struct rule *r, const struct rule_ctx *ctx,
                           const struct container *c, struct findings *out)
{
    const struct rule_common *common = rule_common_of(r, ctx->policy);
    if (common->action == ACTION_OFF)
        return TG_OK;
    if (rule_exempts(common, c, ctx->image))
        return findings_add_exemption(out, r->id, c, common->exempt_reason);
    size_t before = out->n;
    enum tg_rc rc = r->eval(ctx, c, out);
    for (size_t i = before; i < out->n; i++)
        out->items[i].action = common->action;
    return rc;
}

static enum tg_rc judge_container(struct rule_ctx *ctx, const struct container *c,
                                  struct findings *out)
{
    struct imgref ref;
    struct tg_error ierr;
    ctx->image = NULL;
    ctx->image_error = NULL;
    if (c->image) {
        enum tg_rc rc = imgref_parse(c->image, ctx->arena, &ref, &ierr);
        if (rc == TG_ENOMEM)
            return rc;
        if (rc == TG_OK)
            ctx->image = &ref;
        else if (!(ctx->image_error = arena_strdup(ctx->arena, ierr.text)))
            return TG_ENOMEM;
    }
    size_t n_rules;
    const struct rule *rules = rules_table(&n_rules);
    for (size_t i = 0; i < n_rules; i++) {
        enum tg_rc rc = run_rule(&rules[i], ctx, c, out);
        if (rc != TG_OK)
            return rc;
    }
    return TG_OK;
}

enum tg_rc engine_eval(const struct policy *policy, const json_t *object,
                       const struct facts *facts, struct arena *a, struct findings *out,
                       struct engine_result *res, struct tg_error *err)
{
    struct engine_result r = {0};
    enum tg_rc rc = workload_find(object, a, &r.pod, &r.has_podspec, err);
    if (rc != TG_OK)
        return rc;
    struct rule_ctx ctx = {.policy = policy, .pod = &r.pod, .facts = facts, .arena = a};
    for (size_t i = 0; r.has_podspec && i < r.pod.n_containers; i++) {
        rc = judge_container(&ctx, &r.pod.containers[i], out);
        if (rc != TG_OK)
            return rc;
    }
    if (res)
        *res = r;
    return TG_OK;
}

static bool needs_lookup(const struct policy *p)
{
    return (p->pinned_tags.common.action != ACTION_OFF &&
            p->pinned_tags.resolve_digest) ||
           (p->run_as_non_root.common.action != ACTION_OFF &&
            p->run_as_non_root.check_image_user);
}

static bool seen(const char **images, size_t n, const char *image)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(images[i], image) == 0)
            return true;
    }
    return false;
}

/* The images of the object's containers that the policy would look up,
 * each once, as written (borrowed from `object`); *n is their count. */
static enum tg_rc images_to_lookup(const struct policy *policy, const json_t *object,
                                   struct arena *a, const char ***images, size_t *n,
                                   struct tg_error *err)
{
    struct podspec pod;
    bool found;
    *n = 0;
    *images = NULL;
    if (!needs_lookup(policy))
        return TG_OK;
    enum tg_rc rc = workload_find(object, a, &pod, &found, err);
    if (rc != TG_OK || !found || !pod.n_containers)
        return rc;
    const char **list = arena_alloc(a, pod.n_containers * sizeof(*list));
    if (!list)
        return TG_ENOMEM;
    size_t count = 0;
    for (size_t i = 0; i < pod.n_containers; i++) {
        const char *image = pod.containers[i].image;
        if (image && !seen(list, count, image))
            list[count++] = image;
    }
    *images = list;
    *n = count;
    return TG_OK;
}

enum tg_rc engine_gather_facts(const struct policy *policy, const json_t *object,
                               facts_gather_fn gather, void *ctx, struct arena *a,
                               struct facts *out)
{
    const char **images;
    size_t n;
    enum tg_rc rc = images_to_lookup(policy, object, a, &images, &n, NULL);
    if (rc == TG_EINVAL)
        return TG_OK; /* engine_eval reports the malformed object itself */
    if (rc != TG_OK || n == 0)
        return rc;
    return gather(ctx, (const char *const *)images, n, a, out);
}
