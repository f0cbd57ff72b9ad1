/* rule_resources.c -- containers say what they need, within bounds.
 *
 * Without a request the scheduler packs a node blind; without a memory
 * limit one leak takes its neighbours down.  For cpu and memory, on app
 * and init containers (the API server refuses resources on ephemeral
 * ones):
 *   - the requests and limits the policy requires must be set.  A missing
 *     request defaults to the limit in Kubernetes, so a limit alone
 *     satisfies a required request, as the cluster would see it;
 *   - each value must be a quantity (quantity.h), not negative, and not
 *     above the policy's maximum; a request that is missing is judged by
 *     the limit it defaults to, so a large limit alone does not slip past
 *     a maximum request.
 * A malformed quantity is a finding with the reason, never a guess.
 * Fix (mutate, when the policy has defaults): a missing request or limit
 * is set to the default, unless that would put a request above its limit
 * (the API server would refuse the pod) or `resources` is not a mapping.
 */
#include <stdio.h>
#include <string.h>

#include "quantity.h"
#include "rules.h"

#define RULE_ID "resources"

/* What one container says about one resource, requests or limits. */
struct amount {
    bool present;
    bool valid;      /* a quantity, not negative */
    int64_t milli;   /* when valid */
    char text[48];   /* as written, cut, for messages */
    const char *why; /* when not valid */
};

static void read_amount(const json_t *v, struct amount *a)
{
    memset(a, 0, sizeof(*a));
    if (!v || json_is_null(v))
        return;
    a->present = true;
    if (json_is_integer(v)) { /* a manifest's "cpu: 2"; the API server sends "2" */
        json_int_t n = json_integer_value(v);
        snprintf(a->text, sizeof(a->text), "%lld", (long long)n);
    } else if (json_is_real(v)) {
        snprintf(a->text, sizeof(a->text), "%.15g", json_real_value(v));
    } else if (json_is_string(v) && json_string_length(v) < sizeof(a->text)) {
        memcpy(a->text, json_string_value(v), json_string_length(v) + 1);
    } else if (json_is_string(v)) {
        snprintf(a->text, sizeof(a->text), "%s", json_string_value(v)); /* cut */
    } else {
        a->why = "is not a string or a number";
        return;
    }
    if (!json_is_string(v) || json_string_length(v) < sizeof(a->text))
        a->valid = quantity_parse(a->text, &a->milli, &a->why) == TG_OK;
    else
        a->why = "is too long to be a quantity";
    if (a->valid && a->milli < 0) {
        a->valid = false;
        a->why = "is negative";
    }
}

/* The policy's view of one resource: "cpu" or "memory". */
struct resource {
    unsigned bit;
    const char *name;
    const char *example;
    const struct quantity_setting *max_request, *max_limit;
    const struct quantity_setting *default_request, *default_limit;
};

static void resource_of(const struct resources_config *cfg, unsigned bit,
                        struct resource *r)
{
    bool cpu = bit == RESOURCE_CPU;
    *r = (struct resource){
        .bit = bit,
        .name = cpu ? "cpu" : "memory",
        .example = cpu ? "250m" : "256Mi",
        .max_request = cpu ? &cfg->max_requests.cpu : &cfg->max_requests.memory,
        .max_limit = cpu ? &cfg->max_limits.cpu : &cfg->max_limits.memory,
        .default_request =
            cpu ? &cfg->default_requests.cpu : &cfg->default_requests.memory,
        .default_limit = cpu ? &cfg->default_limits.cpu : &cfg->default_limits.memory,
    };
}

/* Can a fix set resources/<kind>/<name>?  Only where the parents are
 * mappings or absent (the patch builder creates absent ones). */
static bool fixable(const struct container *c, const char *kind)
{
    const json_t *res = json_object_get(c->spec, "resources");
    if (res && !json_is_null(res) && !json_is_object(res))
        return false;
    const json_t *k = json_object_get(res, kind);
    return !k || json_is_null(k) || json_is_object(k);
}

static enum tg_rc add_fix(const struct rule_ctx *ctx, const struct container *c,
                          const char *kind, const struct resource *r,
                          const struct quantity_setting *value, struct findings *out,
                          struct finding *fnd)
{
    if (!value->set || !fixable(c, kind))
        return TG_OK;
    const char *at =
        arena_printf(ctx->arena, "%s/resources/%s/%s", c->pointer, kind, r->name);
    if (!at)
        return TG_ENOMEM;
    return finding_add_fix(out, fnd, at, json_string(value->text));
}

static enum tg_rc missing(const struct rule_ctx *ctx, const struct container *c,
                          const struct resource *r, bool limit,
                          const struct amount *request, struct findings *out)
{
    const char *kind = limit ? "limits" : "requests";
    const char *at = arena_printf(ctx->arena, "resources/%s/%s", kind, r->name);
    if (!at)
        return TG_ENOMEM;
    struct finding *fnd;
    enum tg_rc rc = findings_addf(
        out, RULE_ID, c, at, &fnd, "resources.%s.%s is not set; %s", kind, r->name,
        !limit ? (r->bit == RESOURCE_CPU ? "set a CPU request (such as 250m) so the "
                                           "scheduler reserves CPU for the container"
                                         : "set a memory request (such as 256Mi) so the "
                                           "scheduler reserves memory for the container")
        : r->bit == RESOURCE_CPU
            ? "set a CPU limit to cap what the container can take "
              "from its neighbours"
            : "set a memory limit so a leak ends in this container's "
              "OOM kill, not its neighbours'");
    if (rc != TG_OK)
        return rc;
    const struct quantity_setting *value = limit ? r->default_limit : r->default_request;
    if (limit && request->valid && value->set && request->milli > value->milli)
        return TG_OK; /* the default limit is below the request: no valid fix */
    return add_fix(ctx, c, kind, r, value, out, fnd);
}

static enum tg_rc malformed(const struct rule_ctx *ctx, const struct container *c,
                            const struct resource *r, const char *kind,
                            const struct amount *a, struct findings *out)
{
    const char *at = arena_printf(ctx->arena, "resources/%s/%s", kind, r->name);
    if (!at)
        return TG_ENOMEM;
    return findings_addf(out, RULE_ID, c, at, NULL,
                         "resources.%s.%s \"%s\" is not a valid quantity: it %s; write "
                         "one such as %s, 1.5 or 2Gi",
                         kind, r->name, a->text, a->why, r->example);
}

/* Above the maximum.  `kind` is where the value is written; for a request
 * that is missing, its limit. */
static enum tg_rc above(const struct rule_ctx *ctx, const struct container *c,
                        const struct resource *r, const char *kind,
                        const struct amount *a, bool as_request, struct findings *out)
{
    const struct quantity_setting *max = as_request ? r->max_request : r->max_limit;
    if (!max->set || !a->valid || a->milli <= max->milli)
        return TG_OK;
    const char *at = arena_printf(ctx->arena, "resources/%s/%s", kind, r->name);
    if (!at)
        return TG_ENOMEM;
    if (as_request && strcmp(kind, "limits") == 0)
        return findings_addf(out, RULE_ID, c, at, NULL,
                             "resources.requests.%s is not set, so it is the limit %s, "
                             "above the policy's maximum request of %s; set a request "
                             "within it",
                             r->name, a->text, max->text);
    return findings_addf(out, RULE_ID, c, at, NULL,
                         "resources.%s.%s is %s, above the policy's maximum of %s; lower "
                         "it, or ask for an exemption",
                         kind, r->name, a->text, max->text);
}

static enum tg_rc judge_resource(const struct rule_ctx *ctx, const struct container *c,
                                 const struct resource *r, struct findings *out)
{
    const struct resources_config *cfg = &ctx->policy->resources;
    const json_t *res = json_object_get(c->spec, "resources");
    struct amount req, lim;
    read_amount(json_object_get(json_object_get(res, "requests"), r->name), &req);
    read_amount(json_object_get(json_object_get(res, "limits"), r->name), &lim);
    enum tg_rc rc = TG_OK;
    if (req.present && !req.valid)
        rc = malformed(ctx, c, r, "requests", &req, out);
    if (rc == TG_OK && lim.present && !lim.valid)
        rc = malformed(ctx, c, r, "limits", &lim, out);
    if (rc != TG_OK || (req.present && !req.valid) || (lim.present && !lim.valid))
        return rc; /* nothing to compare */
    if ((cfg->require_requests & r->bit) && !req.present && !lim.present)
        rc = missing(ctx, c, r, false, &req, out);
    if (rc == TG_OK && (cfg->require_limits & r->bit) && !lim.present)
        rc = missing(ctx, c, r, true, &req, out);
    if (rc == TG_OK)
        rc = req.present ? above(ctx, c, r, "requests", &req, true, out)
                         : above(ctx, c, r, "limits", &lim, true, out);
    if (rc == TG_OK)
        rc = above(ctx, c, r, "limits", &lim, false, out);
    return rc;
}

enum tg_rc rule_resources_eval(const struct rule_ctx *ctx, const struct container *c,
                               struct findings *out)
{
    if (c->kind == CONTAINER_EPHEMERAL)
        return TG_OK; /* the API server refuses resources on ephemeral containers */
    static const unsigned bits[] = {RESOURCE_CPU, RESOURCE_MEMORY};
    for (size_t i = 0; i < ARRAY_LEN(bits); i++) {
        struct resource r;
        resource_of(&ctx->policy->resources, bits[i], &r);
        enum tg_rc rc = judge_resource(ctx, c, &r, out);
        if (rc != TG_OK)
            return rc;
    }
    return TG_OK;
}
