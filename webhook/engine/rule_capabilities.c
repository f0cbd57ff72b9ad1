/* rule_capabilities.c -- drop every capability, add back only allowed ones.
 *
 * A container starts with the runtime's default capability set (CHOWN,
 * NET_RAW, SETUID, ... in containerd and CRI-O) unless it drops them.  Each
 * container must list "ALL" in capabilities.drop, and every item of
 * capabilities.add must be on the policy's allowedCapabilities (default
 * none; Pod Security Standards "restricted" allows NET_BIND_SERVICE).
 * Both lists are compared exactly as written, as Pod Security Admission
 * does: the runtimes also read "all" and "net_bind_service" (any case),
 * but a spelling that PSA and most tools would not recognise is reported,
 * with the spelling to use.  Comparing as written is the strict direction
 * for additions: an unexpected spelling is refused, never let through.
 * Fix (mutate): capabilities.drop: ["ALL"], which replaces a drop list
 * without "ALL" (ALL covers whatever it named; the runtime drops first and
 * then adds what add names).  Additions are never removed: the container
 * may need them, and only its author can say.  Container-only field;
 * Linux-only, so Windows pods are not judged.
 */
#include <stdio.h>
#include <string.h>

#include "rules.h"
#include "secctx.h"

#define RULE_ID "capabilities"
#define DROP "securityContext/capabilities/drop"

static bool drops_all(const json_t *drop, const char **variant)
{
    *variant = NULL;
    for (size_t i = 0; i < json_array_size(drop); i++) {
        const char *cap = json_string_value(json_array_get(drop, i));
        if (!cap)
            continue;
        if (strcmp(cap, "ALL") == 0)
            return true;
        if (!*variant && secctx_capability_is(cap, "ALL"))
            *variant = cap;
    }
    return false;
}

static enum tg_rc report_drop(const struct container *c, const char *variant,
                              struct findings *out)
{
    struct finding *fnd;
    enum tg_rc rc;
    if (variant)
        rc = findings_addf(out, RULE_ID, c, DROP, &fnd,
                           "capabilities.drop has \"%s\": runtimes take it, but Pod "
                           "Security Admission only counts \"ALL\" as written; write "
                           "\"ALL\"",
                           variant);
    else
        rc = findings_addf(out, RULE_ID, c, DROP, &fnd,
                           "capabilities.drop does not contain \"ALL\"; set "
                           "securityContext.capabilities.drop: [\"ALL\"] and add back "
                           "only what the container needs");
    if (rc != TG_OK)
        return rc;
    return finding_add_container_fix(out, fnd, c, DROP, json_pack("[s]", "ALL"));
}

/* The allowed capability that `cap` names in another spelling, or NULL. */
static const char *allowed_as(const struct strlist *allowed, const char *cap)
{
    for (size_t i = 0; i < allowed->n; i++) {
        if (secctx_capability_is(cap, allowed->items[i]))
            return allowed->items[i];
    }
    return NULL;
}

static bool is_allowed(const struct strlist *allowed, const char *cap)
{
    for (size_t i = 0; i < allowed->n; i++) {
        if (strcmp(cap, allowed->items[i]) == 0)
            return true;
    }
    return false;
}

/* capabilities.add[i] is `cap`, which the policy does not allow. */
static enum tg_rc report_add(const struct rule_ctx *ctx, const struct container *c,
                             size_t i, const char *cap, struct findings *out)
{
    const struct strlist *allowed = &ctx->policy->capabilities.allowed;
    char field[64];
    snprintf(field, sizeof(field), "securityContext/capabilities/add/%zu", i);
    const char *as = allowed_as(allowed, cap);
    if (as)
        return findings_addf(out, RULE_ID, c, field, NULL,
                             "capability \"%s\" is allowed only as written in the "
                             "policy; write \"%s\"",
                             cap, as);
    const char *names = allowed->n ? rules_list_text(ctx->arena, allowed, 8) : "none";
    return findings_addf(out, RULE_ID, c, field, NULL,
                         "capability \"%s\" may not be added (allowed: %s); remove it "
                         "from securityContext.capabilities.add",
                         cap, names);
}

enum tg_rc rule_capabilities_eval(const struct rule_ctx *ctx, const struct container *c,
                                  struct findings *out)
{
    if (ctx->pod->is_windows)
        return TG_OK;
    const json_t *caps = secctx_container(c, "capabilities");
    const char *variant;
    enum tg_rc rc = TG_OK;
    if (!drops_all(json_object_get(caps, "drop"), &variant))
        rc = report_drop(c, variant, out);
    const json_t *add = json_object_get(caps, "add");
    for (size_t i = 0; rc == TG_OK && i < json_array_size(add); i++) {
        const char *cap = json_string_value(json_array_get(add, i));
        if (cap && !is_allowed(&ctx->policy->capabilities.allowed, cap))
            rc = report_add(ctx, c, i, cap, out);
    }
    return rc;
}
