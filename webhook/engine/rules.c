/* rules.c -- the table of rules. */
#include "rules.h"

#include <stddef.h>
#include <string.h>

#include "buf.h"

/* Rows name their members: a rule may have a container hook, a pod hook,
 * or both, and say which unbuilt members it reads. */
static const struct rule table[] = {
    {.id = "runAsNonRoot",
     .config_offset = offsetof(struct policy, run_as_non_root),
     .eval = rule_run_as_non_root_eval},
    {.id = "pinnedTags",
     .config_offset = offsetof(struct policy, pinned_tags),
     .eval = rule_pinned_tags_eval},
    {.id = "probes",
     .config_offset = offsetof(struct policy, probes),
     .eval = rule_probes_eval},
    {.id = "allowedRegistries",
     .config_offset = offsetof(struct policy, allowed_registries),
     .eval = rule_allowed_registries_eval},
    {.id = "imagePullPolicy",
     .config_offset = offsetof(struct policy, image_pull_policy),
     .eval = rule_image_pull_policy_eval},
    /* host access and hygiene (issue 15) */
    {.id = "hostNamespaces",
     .config_offset = offsetof(struct policy, host_namespaces),
     .eval_pod = rule_host_namespaces_eval_pod},
    {.id = "hostPorts",
     .config_offset = offsetof(struct policy, host_ports),
     .eval = rule_host_ports_eval},
    {.id = "hostPath",
     .config_offset = offsetof(struct policy, host_path),
     .eval = rule_host_path_eval,
     .eval_pod = rule_host_path_eval_pod,
     .reads = READS_VOLUMES | READS_VOLUME_MOUNTS},
    {.id = "noSecretsInEnv",
     .config_offset = offsetof(struct policy, no_secrets_in_env),
     .eval = rule_no_secrets_in_env_eval,
     .reads = READS_ENV},
    {.id = "resources",
     .config_offset = offsetof(struct policy, resources),
     .eval = rule_resources_eval,
     .reads = READS_RESOURCES},
    /* container hardening (issue 15) */
    {.id = "privileged",
     .config_offset = offsetof(struct policy, privileged),
     .eval = rule_privileged_eval},
    {.id = "allowPrivilegeEscalation",
     .config_offset = offsetof(struct policy, allow_privilege_escalation),
     .eval = rule_allow_privilege_escalation_eval},
    {.id = "capabilities",
     .config_offset = offsetof(struct policy, capabilities),
     .eval = rule_capabilities_eval},
    {.id = "readOnlyRootFilesystem",
     .config_offset = offsetof(struct policy, read_only_root_filesystem),
     .eval = rule_read_only_root_filesystem_eval},
    {.id = "seccompProfile",
     .config_offset = offsetof(struct policy, seccomp_profile),
     .eval = rule_seccomp_profile_eval},
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

const char *rules_list_text(struct arena *a, const struct strlist *l, size_t max)
{
    struct buf b;
    buf_init(&b, 0);
    for (size_t i = 0; i < l->n && i < max; i++) {
        if (buf_appendf(&b, "%s%s", i ? ", " : "", l->items[i]) != TG_OK)
            break;
    }
    if (l->n > max && buf_appendf(&b, ", and %zu more", l->n - max) != TG_OK)
        buf_reset(&b);
    const char *s = arena_strdup(a, buf_str(&b));
    buf_cleanup(&b);
    return s ? s : "";
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
    if (rule_exempts(common, c, NULL)) { /* by name: nothing to parse */
        *out = true;
        return TG_OK;
    }
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
