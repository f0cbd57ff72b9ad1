/* engine.c -- run the rules over the containers of one object. */
#include "engine.h"

#include <string.h>

#include "imgref.h"
#include "rules.h"

/* Members whose object or array values are left unbuilt unless a rule that
 * is on reads them (read_by: enum rule_reads; 0 = nothing reads it).  Each
 * name on the list costs a compare for every object or array in a review,
 * so a member that only ever sits inside another (inside: its reads bit) is
 * listed only while that one is built. */
static const struct {
    const char *name;
    unsigned read_by;
    unsigned inside;
} members[] = {
    /* containers */
    {"env", READS_ENV, 0},
    {"envFrom", 0, 0},
    {"volumeMounts", READS_VOLUME_MOUNTS, 0},
    {"volumeDevices", 0, 0},
    {"resources", READS_RESOURCES, 0},
    {"args", 0, 0},
    {"command", 0, 0},
    {"lifecycle", 0, 0},
    /* probes: only whether one is there matters (rule_probes.c) */
    {"livenessProbe", 0, 0},
    {"readinessProbe", 0, 0},
    {"startupProbe", 0, 0},
    /* pod spec */
    {"volumes", READS_VOLUMES, 0},
    {"affinity", 0, 0},
    {"tolerations", 0, 0},
    {"nodeSelector", 0, 0},
    {"dnsConfig", 0, 0},
    {"hostAliases", 0, 0},
    {"topologySpreadConstraints", 0, 0},
    {"readinessGates", 0, 0},
    {"imagePullSecrets", 0, 0},
    /* inside members a rule reads, the parts none does: volume sources but
     * hostPath (the hostPath rule reads volumes), and env sources (the
     * noSecretsInEnv rule reads env, and of valueFrom only which source it
     * names: a raw value is still there, and not null) */
    {"projected", 0, READS_VOLUMES},
    {"configMap", 0, READS_VOLUMES},
    {"secret", 0, READS_VOLUMES},
    {"downwardAPI", 0, READS_VOLUMES},
    {"emptyDir", 0, READS_VOLUMES},
    {"persistentVolumeClaim", 0, READS_VOLUMES},
    {"secretKeyRef", 0, READS_ENV},
    {"configMapKeyRef", 0, READS_ENV},
    {"fieldRef", 0, READS_ENV},
    {"resourceFieldRef", 0, READS_ENV},
    /* metadata, status, the request */
    {"annotations", 0, 0},
    {"ownerReferences", 0, 0},
    {"managedFields", 0, 0},
    {"status", 0, 0},
    {"options", 0, 0},
    {"resource", 0, 0},
    {"requestKind", 0, 0},
    {"requestResource", 0, 0},
};

_Static_assert(ARRAY_LEN(members) < ENGINE_UNREAD_CAP, "raise ENGINE_UNREAD_CAP");

const char *const *engine_unread_members(const struct policy *policy,
                                         const char *out[ENGINE_UNREAD_CAP])
{
    size_t n_rules;
    const struct rule *rules = rules_table(&n_rules);
    unsigned read = 0;
    for (size_t i = 0; i < n_rules; i++) {
        if (rule_common_of(&rules[i], policy)->action != ACTION_OFF)
            read |= rules[i].reads;
    }
    size_t n = 0;
    for (size_t i = 0; i < ARRAY_LEN(members); i++) {
        if (!(members[i].read_by & read) &&
            (!members[i].inside || (members[i].inside & read)))
            out[n++] = members[i].name;
    }
    out[n] = NULL;
    return out;
}

static enum tg_rc run_rule(const struct rule *r, const struct rule_ctx *ctx,
                           const struct container *c, struct findings *out)
{
    const struct rule_common *common = rule_common_of(r, ctx->policy);
    if (common->action == ACTION_OFF || !r->eval)
        return TG_OK;
    if (rule_exempts(common, c, ctx->image))
        return findings_add_exemption(out, r->id, c, common->exempt_reason);
    size_t before = out->n;
    enum tg_rc rc = r->eval(ctx, c, out);
    for (size_t i = before; i < out->n; i++)
        out->items[i].action = common->action;
    return rc;
}

/* Is every container of the pod exempt from the rule?  (None is not
 * "every": a pod without containers is judged.) */
static enum tg_rc all_exempt(const struct rule_common *common, const struct podspec *pod,
                             struct arena *a, bool *out)
{
    *out = false;
    if (!common->exempt_containers.n && !common->exempt_images.n)
        return TG_OK;
    for (size_t i = 0; i < pod->n_containers; i++) {
        bool exempt;
        enum tg_rc rc = rule_exempts_container(common, &pod->containers[i], a, &exempt);
        if (rc != TG_OK || !exempt)
            return rc;
    }
    *out = pod->n_containers > 0;
    return TG_OK;
}

/* The rules' pod hooks, once for the pod spec.  An EphemeralContainers
 * object (pod spec pointer "") lists containers and has no pod fields. */
static enum tg_rc judge_pod(struct rule_ctx *ctx, struct findings *out)
{
    if (!ctx->pod->pointer[0])
        return TG_OK;
    const struct container self = {.kind = CONTAINER_POD,
                                   .name = "",
                                   .pointer = ctx->pod->pointer,
                                   .spec = ctx->pod->spec};
    struct container named = self;
    named.name = "(pod)";
    size_t n_rules;
    const struct rule *rules = rules_table(&n_rules);
    ctx->image = NULL;
    ctx->image_error = NULL;
    for (size_t i = 0; i < n_rules; i++) {
        const struct rule_common *common = rule_common_of(&rules[i], ctx->policy);
        if (!rules[i].eval_pod || common->action == ACTION_OFF)
            continue;
        bool exempt;
        enum tg_rc rc = all_exempt(common, ctx->pod, ctx->arena, &exempt);
        if (rc == TG_OK && exempt) /* logged as "<rule>/(pod): <reason>" */
            rc = findings_add_exemption(out, rules[i].id, &named, common->exempt_reason);
        size_t before = out->n;
        if (rc == TG_OK && !exempt)
            rc = rules[i].eval_pod(ctx, &self, out);
        for (size_t k = before; k < out->n; k++)
            out->items[k].action = common->action;
        if (rc != TG_OK)
            return rc;
    }
    return TG_OK;
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
    if (r.has_podspec)
        rc = judge_pod(&ctx, out);
    if (rc != TG_OK)
        return rc;
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
