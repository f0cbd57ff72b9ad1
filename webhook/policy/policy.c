/* policy.c -- the built-in defaults, names, and the matchers that decide
 * whether an exclusion or a mode override applies to an object. */
#include "policy.h"

#include <string.h>

#include "alloc.h"
#include "imgref.h"

/* Policy strings come from files capped at 1 MiB each; the arena needs no
 * cap of its own beyond what the loader already bounds. */
#define POLICY_ARENA_CAP 0

/* A list of static upper-case patterns, in the policy's arena, which are
 * their own normalised form (policy.h); false on OOM. */
static bool static_list(struct policy *p, struct strlist *l, const char *const *items,
                        size_t n)
{
    const char **copy = arena_alloc(&p->arena, n * sizeof(*copy));
    if (!copy)
        return false;
    memcpy(copy, items, n * sizeof(*copy));
    l->items = copy;
    l->normalised = copy;
    l->n = n;
    return true;
}

static bool secrets_default(struct policy *p)
{
    static const char *const names[] = {"*PASSWORD*",    "*PASSWD*",    "*SECRET*",
                                        "*TOKEN*",       "*API_KEY*",   "*APIKEY*",
                                        "*PRIVATE_KEY*", "*CREDENTIAL*"};
    static const char *const except[] = {"*_FILE", "*_PATH", "*_DIR"};
    struct no_secrets_in_env_config *c = &p->no_secrets_in_env;
    c->detect_values = true;
    return static_list(p, &c->names, names, ARRAY_LEN(names)) &&
           static_list(p, &c->except_names, except, ARRAY_LEN(except));
}

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
    /* container hardening: off until a policy asks (presets/restricted.yaml does) */
    common_default(&p->privileged.common, ACTION_OFF);
    common_default(&p->allow_privilege_escalation.common, ACTION_OFF);
    common_default(&p->capabilities.common, ACTION_OFF);
    common_default(&p->read_only_root_filesystem.common, ACTION_OFF);
    common_default(&p->seccomp_profile.common, ACTION_OFF);
    /* The host access and hygiene rules came later: off unless a policy
     * names them, so a policy written before them judges as it did. */
    common_default(&p->host_namespaces.common, ACTION_OFF);
    common_default(&p->host_ports.common, ACTION_OFF);
    common_default(&p->host_path.common, ACTION_OFF);
    p->host_path.require_read_only = true;
    common_default(&p->no_secrets_in_env.common, ACTION_OFF);
    common_default(&p->resources.common, ACTION_OFF);
    /* requests let the scheduler place the pod; a memory limit bounds a
     * leak; a CPU limit throttles, so it is not asked for by default */
    p->resources.require_requests = RESOURCE_CPU | RESOURCE_MEMORY;
    p->resources.require_limits = RESOURCE_MEMORY;
    if (!secrets_default(p)) {
        policy_free(p);
        return NULL;
    }
    return p;
}

void policy_force_mode(struct policy *p, enum policy_mode mode)
{
    p->mode = mode;
    p->n_overrides = 0;
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
/* ASCII only, without the locale's toupper(): env names are ASCII, and
 * this runs for every env var against every pattern. */
static bool same_char(char a, char b, bool fold)
{
    if (a == b)
        return true;
    unsigned char x = (unsigned char)(a | 0x20);
    return fold && x == (unsigned char)(b | 0x20) && x >= 'a' && x <= 'z';
}

static bool pattern_matches(const char *pattern, const char *name, bool fold)
{
    const char *p = pattern, *n = name;
    const char *star = NULL, *resume = NULL;
    while (*n) {
        if (*p == '*') {
            star = p++;
            resume = n;
        } else if (*p == '?' || (*p && same_char(*p, *n, fold))) {
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

bool name_pattern_matches(const char *pattern, const char *name)
{
    return pattern_matches(pattern, name, false);
}

bool name_pattern_matches_nocase(const char *pattern, const char *name)
{
    return pattern_matches(pattern, name, true);
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
