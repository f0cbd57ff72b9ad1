/* policy.c -- the built-in defaults, names, and the matchers that decide
 * whether an exclusion or a mode override applies to an object. */
#include "policy.h"

#include <string.h>

#include "alloc.h"
#include "imgref.h"

/* Policy strings come from files capped at 1 MiB each; the arena needs no
 * cap of its own beyond what the loader already bounds. */
#define POLICY_ARENA_CAP 0

static void common_default(struct rule_common *c, enum rule_action action)
{
    c->action = action;
    c->allow_on_lookup_failure = true; /* never block the cluster on a registry outage */
}

struct policy *policy_new_default(void)
{
    struct policy *p = tg_calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    arena_init(&p->arena, POLICY_ARENA_CAP);
    p->name = "default"; /* static: policy_free never frees name or source */
    p->source = "built-in defaults";
    p->mode = POLICY_ENFORCE;

    common_default(&p->run_as_non_root.common, ACTION_ENFORCE);
    common_default(&p->pinned_tags.common, ACTION_ENFORCE);
    common_default(&p->probes.common, ACTION_ENFORCE);
    p->probes.required = PROBE_LIVENESS | PROBE_READINESS;
    p->probes.defaults.initial_delay_seconds = 5;
    p->probes.defaults.period_seconds = 10;
    p->probes.defaults.timeout_seconds = 1;
    p->probes.defaults.failure_threshold = 3;
    /* enforce with no list: off until registries are named */
    common_default(&p->allowed_registries.common, ACTION_ENFORCE);
    common_default(&p->image_pull_policy.common, ACTION_OFF);
    /* container hardening: off until a policy asks (restricted.yaml does) */
    common_default(&p->privileged.common, ACTION_OFF);
    common_default(&p->allow_privilege_escalation.common, ACTION_OFF);
    common_default(&p->capabilities.common, ACTION_OFF);
    common_default(&p->read_only_root_filesystem.common, ACTION_OFF);
    common_default(&p->seccomp_profile.common, ACTION_OFF);
    return p;
}

void policy_free(struct policy *p)
{
    if (!p)
        return;
    arena_cleanup(&p->arena);
    tg_free(p);
}

const char *policy_mode_name(enum policy_mode m)
{
    switch (m) {
    case POLICY_ENFORCE:
        return "enforce";
    case POLICY_AUDIT:
        return "audit";
    }
    return "unknown";
}

const char *rule_action_name(enum rule_action a)
{
    switch (a) {
    case ACTION_OFF:
        return "off";
    case ACTION_ENFORCE:
        return "enforce";
    case ACTION_AUDIT:
        return "audit";
    case ACTION_MUTATE:
        return "mutate";
    }
    return "unknown";
}

/* The label's value, or NULL when the key is absent.  Kubernetes label
 * values are always strings; anything else counts as absent. */
static const char *label_get(const json_t *labels, const char *key)
{
    if (!labels || !json_is_object(labels))
        return NULL;
    return json_string_value(json_object_get(labels, key));
}

static bool strlist_has(const struct strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->items[i], s) == 0)
            return true;
    }
    return false;
}

static bool expr_matches(const struct selector_expr *e, const json_t *labels)
{
    const char *v = label_get(labels, e->key);
    bool present = v;
    switch (e->op) {
    case SELECTOR_IN:
        return present && strlist_has(&e->values, v);
    case SELECTOR_NOT_IN:
        return !present || !strlist_has(&e->values, v); /* absent key: matches */
    case SELECTOR_EXISTS:
        return present;
    case SELECTOR_DOES_NOT_EXIST:
        return !present;
    }
    return false;
}

bool label_selector_matches(const struct label_selector *sel, const json_t *labels)
{
    for (size_t i = 0; i < sel->n_labels; i++) {
        const char *v = label_get(labels, sel->label_keys[i]);
        if (!v || strcmp(v, sel->label_values[i]) != 0)
            return false;
    }
    for (size_t i = 0; i < sel->n_exprs; i++) {
        if (!expr_matches(&sel->exprs[i], labels))
            return false;
    }
    return true;
}

/* Iterative glob with one backtrack point (the last '*'): linear in
 * practice, and no recursion for a hostile pattern like "*a*a*a*a*b". */
bool name_pattern_matches(const char *pattern, const char *name)
{
    const char *p = pattern, *n = name;
    const char *star = NULL, *resume = NULL;
    while (*n) {
        if (*p == '*') {
            star = p++;
            resume = n;
        } else if (*p == '?' || (*p && *p == *n)) {
            p++;
            n++;
        } else if (star) {
            p = star + 1; /* let the last '*' swallow one more character */
            n = ++resume;
        } else {
            return false;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

bool policy_prefixes_cover(const struct strlist *l, const char *name)
{
    for (size_t i = 0; name && i < l->n; i++) {
        if (l->normalised ? imgref_name_under(name, l->normalised[i])
                          : imgref_name_has_prefix(name, l->items[i]))
            return true;
    }
    return false;
}
