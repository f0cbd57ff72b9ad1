/* rules.c -- the table of rules. */
#include "rules.h"

#include <stddef.h>
#include <string.h>

static const struct rule table[] = {
    {"runAsNonRoot", offsetof(struct policy, run_as_non_root), rule_run_as_non_root_eval},
    {"pinnedTags", offsetof(struct policy, pinned_tags), rule_pinned_tags_eval},
    {"probes", offsetof(struct policy, probes), rule_probes_eval},
    {"allowedRegistries", offsetof(struct policy, allowed_registries),
     rule_allowed_registries_eval},
    {"imagePullPolicy", offsetof(struct policy, image_pull_policy),
     rule_image_pull_policy_eval},
    /* container hardening */
    {"privileged", offsetof(struct policy, privileged), rule_privileged_eval},
    {"allowPrivilegeEscalation", offsetof(struct policy, allow_privilege_escalation),
     rule_allow_privilege_escalation_eval},
    {"capabilities", offsetof(struct policy, capabilities), rule_capabilities_eval},
    {"readOnlyRootFilesystem", offsetof(struct policy, read_only_root_filesystem),
     rule_read_only_root_filesystem_eval},
    {"seccompProfile", offsetof(struct policy, seccomp_profile),
     rule_seccomp_profile_eval},
};

const struct rule *rules_table(size_t *n)
{
    *n = ARRAY_LEN(table);
    return table;
}

const struct rule *rule_find(const char *id)
{
    for (size_t i = 0; i < ARRAY_LEN(table); i++) {
        if (strcmp(table[i].id, id) == 0)
            return &table[i];
    }
    return NULL;
}

const struct rule_common *rule_common_of(const struct rule *r, const struct policy *p)
{
    /* Each config struct starts with its rule_common (policy.h). */
    return (const struct rule_common *)((const char *)p + r->config_offset);
}

bool rule_exempts(const struct rule_common *common, const struct container *c,
                  const struct imgref *image)
{
    for (size_t i = 0; i < common->exempt_containers.n; i++) {
        if (strcmp(common->exempt_containers.items[i], c->name) == 0)
            return true;
    }
    return image && policy_prefixes_cover(&common->exempt_images, image->name);
}

enum tg_rc rule_exempts_container(const struct rule_common *common,
                                  const struct container *c, struct arena *a, bool *out)
{
    struct imgref ref;
    const struct imgref *image = NULL;
    if (common->exempt_images.n && c->image) {
        enum tg_rc rc = imgref_parse(c->image, a, &ref, NULL);
        if (rc == TG_ENOMEM)
            return rc;
        if (rc == TG_OK)
            image = &ref;
    }
    *out = rule_exempts(common, c, image);
    return TG_OK;
}
