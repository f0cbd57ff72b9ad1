/* policy.h -- the policy data model: what tollgate enforces, and how.
 *
 * A struct policy is built by policy_load (policy_load.h) from YAML files and
 * is immutable afterwards: the engine, the CLI and every server thread read
 * it through `const struct policy *` without locks.  All strings and arrays
 * are allocated from the policy's own arena, so policy_free() releases
 * everything at once.
 *
 * Each rule has a config struct that starts with a struct rule_common, so
 * the engine can look at the action and the exemptions of any rule through
 * the rule table (rules.h) without knowing the rule.
 */
#ifndef TOLLGATE_POLICY_H
#define TOLLGATE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "arena.h"

enum policy_mode {
    POLICY_ENFORCE = 0, /* deny what an enforce rule finds */
    POLICY_AUDIT,       /* dry-run audit: deny nothing, report everything */
};

enum rule_action {
    ACTION_OFF = 0, /* the rule is not evaluated */
    ACTION_ENFORCE, /* a finding denies the object */
    ACTION_AUDIT,   /* a finding is a warning; the object is allowed */
    ACTION_MUTATE,  /* a finding with a fix is patched; one without is denied */
};

struct strlist {
    const char **items; /* owned by the policy arena */
    size_t n;
    /* Image-prefix lists (exempt images, allowed registries), hostPath
     * prefixes and env name patterns only: each item normalised once at
     * load (imgref_normalise_prefix, fspath_normalise, upper-cased), so
     * matching a container is a string compare.  NULL for other lists; for
     * those three, NULL means normalise while matching. */
    const char **normalised;
};

enum selector_op {
    SELECTOR_IN,
    SELECTOR_NOT_IN,
    SELECTOR_EXISTS,
    SELECTOR_DOES_NOT_EXIST,
};

struct selector_expr {
    const char *key;
    enum selector_op op;
    struct strlist values; /* empty for Exists / DoesNotExist */
};

/* A Kubernetes label selector (metav1.LabelSelector): all terms must hold.
 * A loaded selector always has at least one term; "no selector" is
 * has_object_selector == false in the structs that hold one. */
struct label_selector {
    const char **label_keys; /* matchLabels, as parallel arrays */
    const char **label_values;
    size_t n_labels;
    struct selector_expr *exprs; /* matchExpressions */
    size_t n_exprs;
};

/* Objects the policy does not judge at all (allowed untouched). */
struct exclusions {
    struct strlist namespaces; /* names or glob patterns ("legacy-*") */
    bool has_object_selector;
    struct label_selector object_selector; /* on the object's own labels */
};

/* "enforce everywhere, but audit in legacy-* namespaces".  Overrides are
 * kept in file order and the first one that matches an object decides its
 * mode; one matches when its namespaces (if any) and its selector (if any)
 * both match.  The loader guarantees at least one of the two is set. */
struct mode_override {
    struct strlist namespaces; /* names or glob patterns; empty = any */
    bool has_object_selector;
    struct label_selector object_selector;
    enum policy_mode mode;
};

struct rule_common {
    enum rule_action action;
    struct strlist exempt_images;     /* normalised-name prefixes, path boundary */
    struct strlist exempt_containers; /* container names */
    const char *exempt_reason;        /* logged when an exemption applies; may be NULL */
    /* What to do when a registry lookup this rule needs fails or is too
     * slow: true = allow with a warning, false = deny with a clear message. */
    bool allow_on_lookup_failure;
};

struct run_as_non_root_config {
    struct rule_common common; /* must be first */
    bool set_run_as_user;      /* mutate: also set runAsUser when none is set */
    long run_as_user;
    bool set_run_as_group;
    long run_as_group;
    bool check_image_user;  /* consult the image config's USER (registry facts) */
    bool allow_named_users; /* an image USER "appuser" counts as non-root */
};

struct pinned_tags_config {
    struct rule_common common; /* must be first */
    bool require_digest;       /* a tag alone is not enough: "@sha256:..." required */
    bool resolve_digest;       /* look the tag up in the registry (facts) */
};

enum probe_kind {
    PROBE_LIVENESS = 1 << 0,
    PROBE_READINESS = 1 << 1,
    PROBE_STARTUP = 1 << 2,
};

struct probe_defaults {
    int initial_delay_seconds;
    int period_seconds;
    int timeout_seconds;
    int failure_threshold;
};

struct probes_config {
    struct rule_common common; /* must be first */
    unsigned required;         /* bit set of enum probe_kind */
    bool add_default_tcp;      /* mutate: add tcpSocket probes on the only TCP port */
    struct probe_defaults defaults;
};

struct allowed_registries_config {
    struct rule_common common; /* must be first */
    struct strlist registries; /* prefixes; empty = the rule is off */
};

struct image_pull_policy_config {
    struct rule_common common; /* must be first; default action off */
};

/* ---- host access and hygiene (issue 15) -------------------------------- */

enum host_namespace {
    HOST_NETWORK = 1 << 0, /* hostNetwork */
    HOST_PID = 1 << 1,     /* hostPID */
    HOST_IPC = 1 << 2,     /* hostIPC */
};

struct host_namespaces_config {
    struct rule_common common; /* must be first; default action off */
    unsigned allowed;          /* bit set of enum host_namespace a pod may share */
};

struct host_path_config {
    struct rule_common common; /* must be first; default action off */
    /* Paths a hostPath volume may name, each covering what is below it;
     * normalised at load (fspath.h) into allowed_paths.normalised.  None by
     * default: every hostPath volume is a finding. */
    struct strlist allowed_paths;
    bool require_read_only; /* every mount of such a volume is readOnly (default) */
};

struct no_secrets_in_env_config {
    struct rule_common common; /* must be first; default action off */
    /* Names that look like credentials: patterns ('*', '?') matched
     * regardless of case.  Default: *PASSWORD*, *PASSWD*, *SECRET*, *TOKEN*,
     * *API_KEY*, *APIKEY*, *PRIVATE_KEY*, *CREDENTIAL*. */
    struct strlist names;
    /* Names that match `names` but hold no credential (PASSWORD_FILE, a
     * path).  Default: *_FILE, *_PATH, *_DIR. */
    struct strlist except_names;
    bool detect_values; /* any literal value that looks like a private key or an
                           AWS access key id (default true) */
};

enum resource_name {
    RESOURCE_CPU = 1 << 0,
    RESOURCE_MEMORY = 1 << 1,
};

/* A quantity the policy names ("4", "16Gi"), as written and as its value
 * in thousandths (quantity.h). */
struct quantity_setting {
    bool set;
    int64_t milli;
    const char *text;
};

struct resource_amounts {
    struct quantity_setting cpu, memory;
};

struct resources_config {
    struct rule_common common; /* must be first; default action off */
    unsigned require_requests; /* bit sets of enum resource_name; default cpu and */
    unsigned require_limits;   /* memory requests, and a memory limit */
    struct resource_amounts max_requests, max_limits; /* unset: no maximum */
    /* mutate: what a missing request or limit is set to (unset: no fix) */
    struct resource_amounts default_requests, default_limits;
};

struct port_range {
    int lo, hi; /* 1 <= lo <= hi <= 65535 */
};

struct host_ports_config {
    struct rule_common common;  /* must be first; default action off */
    struct port_range *allowed; /* host ports a container may open; none by default */
    size_t n_allowed;
};

/* Container hardening (issue 15): privileged, allowPrivilegeEscalation,
 * capabilities, readOnlyRootFilesystem, seccompProfile.  Off in the
 * built-in defaults, so a policy written before they existed keeps its
 * verdicts; policies/presets/restricted.yaml turns them on. */
struct privileged_config {
    struct rule_common common; /* must be first; no keys of its own */
};

struct allow_privilege_escalation_config {
    struct rule_common common; /* must be first */
};

struct capabilities_config {
    struct rule_common common; /* must be first */
    struct strlist allowed;    /* capabilities containers may add ("NET_BIND_SERVICE") */
};

struct read_only_root_filesystem_config {
    struct rule_common common; /* must be first */
};

struct seccomp_profile_config {
    struct rule_common common; /* must be first */
};

struct policy {
    struct arena arena; /* owns every string and array reachable from here */
    const char *name;   /* metadata.name */
    const char *source; /* file or directory it was loaded from */
    enum policy_mode mode;
    struct exclusions exclude;
    struct mode_override *overrides;
    size_t n_overrides;

    struct run_as_non_root_config run_as_non_root;
    struct pinned_tags_config pinned_tags;
    struct probes_config probes;
    struct allowed_registries_config allowed_registries;
    struct image_pull_policy_config image_pull_policy;

    /* host access and hygiene (issue 15) */
    struct host_namespaces_config host_namespaces;
    struct host_ports_config host_ports;
    struct host_path_config host_path;
    struct no_secrets_in_env_config no_secrets_in_env;
    struct resources_config resources;

    /* container hardening */
    struct privileged_config privileged;
    struct allow_privilege_escalation_config allow_privilege_escalation;
    struct capabilities_config capabilities;
    struct read_only_root_filesystem_config read_only_root_filesystem;
    struct seccomp_profile_config seccomp_profile;
};

/* A policy with the built-in defaults (what a policy file without `spec`
 * means): mode enforce; runAsNonRoot, pinnedTags and probes (liveness,
 * readiness; defaults 5/10/1/3) enforce; allowedRegistries enforce with no
 * list, which is off; imagePullPolicy, the host access and hygiene rules
 * (hostNamespaces, ...) and the container-hardening rules (privileged, ...)
 * off; allow_on_lookup_failure true
 * everywhere; no exclusions or overrides.  name is "default" and source
 * "built-in defaults" (static strings).  NULL on OOM.  Free with
 * policy_free(). */
struct policy *policy_new_default(void);

void policy_free(struct policy *p); /* NULL-safe */

/* One mode for every object, as a command line asks for it (`check --mode`,
 * `audit --as-enforced`): spec.mode becomes `mode` and the overrides are
 * dropped.  Only on a policy the caller owns, before it is shared. */
void policy_force_mode(struct policy *p, enum policy_mode mode);

/* Does an image prefix of `l` cover `name` (a normalised image name)?
 * imgref_name_has_prefix for each, with the normalised forms when the
 * loader made them. */
bool policy_prefixes_cover(const struct strlist *l, const char *name);

/* Names for messages, logs and metrics. */
const char *policy_mode_name(enum policy_mode m); /* "enforce", "audit" */
const char *rule_action_name(enum rule_action a); /* "off", "enforce", ... */

/* Does the selector match these labels?  `labels` is a JSON object of
 * string values (metadata.labels) or NULL for none.  Kubernetes semantics:
 * every term must hold; NotIn and DoesNotExist match when the key is
 * absent; a non-string label value counts as absent.  A selector with no
 * terms matches everything (as in Kubernetes), which is why the loader
 * rejects an empty objectSelector and callers test has_object_selector. */
bool label_selector_matches(const struct label_selector *sel, const json_t *labels);

/* Shell-style match of a namespace name against a pattern with '*'
 * (any run of characters, also none) and '?' (exactly one character); the
 * whole name must match.  No escapes: namespace names cannot contain either
 * character.  Linear time, no recursion. */
bool name_pattern_matches(const char *pattern, const char *name);

/* The same, with ASCII letters matched regardless of case (environment
 * variable names: db_password must not slip past *PASSWORD*). */
bool name_pattern_matches_nocase(const char *pattern, const char *name);

#endif
