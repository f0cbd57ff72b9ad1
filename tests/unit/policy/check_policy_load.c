/* check_policy_load.c -- policy files in, struct policy or a precise error
 * out: valid files, one row per error class, directory merges, limits,
 * allocation failures, and the shipped policies/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "policy_load.h"
#include "rules.h"
#include "testutil.h"

/* Three lines every inline document starts with, so `spec:` is line 4. */
#define HEAD "apiVersion: tollgate.dev/v1\nkind: Policy\nmetadata: {name: t}\n"

static enum tg_rc load_text(const char *text, struct policy **out, struct tg_error *err)
{
    return policy_load_buffer(text, strlen(text), "test.yaml", out, err);
}

static void assert_strlist(const struct strlist *l, const char *const *want, size_t n)
{
    ck_assert_uint_eq(l->n, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_str_eq(l->items[i], want[i]);
}

/* ---- valid files ----------------------------------------------------- */

static void assert_full_rules(const struct policy *p)
{
    const struct run_as_non_root_config *r = &p->run_as_non_root;
    ck_assert_int_eq(r->common.action, ACTION_MUTATE);
    ck_assert(r->set_run_as_user);
    ck_assert_int_eq(r->run_as_user, 1000);
    ck_assert(r->set_run_as_group);
    ck_assert_int_eq(r->run_as_group, 0);
    ck_assert(r->check_image_user && r->allow_named_users);
    ck_assert(!r->common.allow_on_lookup_failure);
    const char *images[] = {"docker.io/library/busybox", "registry.k8s.io/pause"};
    assert_strlist(&r->common.exempt_images, images, 2);
    const char *containers[] = {"istio-proxy"};
    assert_strlist(&r->common.exempt_containers, containers, 1);
    ck_assert_str_eq(r->common.exempt_reason, "sidecars are managed by the mesh team");
    ck_assert_int_eq(p->pinned_tags.common.action, ACTION_AUDIT);
    ck_assert(p->pinned_tags.require_digest && p->pinned_tags.resolve_digest);
    ck_assert(p->pinned_tags.common.allow_on_lookup_failure);
    ck_assert_int_eq(p->probes.common.action, ACTION_MUTATE);
    ck_assert_uint_eq(p->probes.required, PROBE_READINESS | PROBE_STARTUP);
    ck_assert(p->probes.add_default_tcp);
    ck_assert_int_eq(p->probes.defaults.initial_delay_seconds, 0);
    ck_assert_int_eq(p->probes.defaults.period_seconds, 20);
    ck_assert_int_eq(p->probes.defaults.timeout_seconds, 2);
    ck_assert_int_eq(p->probes.defaults.failure_threshold, 6);
    const char *regs[] = {"registry.k8s.io", "ghcr.io/acme", "localhost:5000/team",
                          "nginx"};
    assert_strlist(&p->allowed_registries.registries, regs, 4);
    /* kept as written, and normalised once for matching */
    const char *regs_norm[] = {"registry.k8s.io", "ghcr.io/acme", "localhost:5000/team",
                               "docker.io/library/nginx"};
    struct strlist norm = {.items = p->allowed_registries.registries.normalised, .n = 4};
    ck_assert_ptr_nonnull(norm.items);
    assert_strlist(&norm, regs_norm, 4);
    ck_assert_ptr_nonnull(r->common.exempt_images.normalised);
    ck_assert_ptr_null(r->common.exempt_containers.normalised);
    ck_assert_int_eq(p->image_pull_policy.common.action, ACTION_AUDIT);
}

START_TEST(full_file_sets_every_field)
{
    struct policy *p = NULL;
    struct tg_error err = {0};
    ck_assert_int_eq(policy_load_path(fixture_path("policies/full.yaml"), &p, &err),
                     TG_OK);
    ck_assert_str_eq(p->name, "full");
    ck_assert_str_eq(p->source, fixture_path("policies/full.yaml"));
    ck_assert_int_eq(p->mode, POLICY_AUDIT);
    const char *ns[] = {"kube-system", "legacy-*"};
    assert_strlist(&p->exclude.namespaces, ns, 2);
    const struct label_selector *sel = &p->exclude.object_selector;
    ck_assert(p->exclude.has_object_selector);
    ck_assert_uint_eq(sel->n_labels, 1);
    ck_assert_str_eq(sel->label_keys[0], "tollgate.dev/skip");
    ck_assert_str_eq(sel->label_values[0], "true");
    ck_assert_uint_eq(sel->n_exprs, 2);
    ck_assert_str_eq(sel->exprs[0].key, "tier");
    ck_assert_int_eq(sel->exprs[0].op, SELECTOR_IN);
    const char *tiers[] = {"batch", "cron"};
    assert_strlist(&sel->exprs[0].values, tiers, 2);
    ck_assert_int_eq(sel->exprs[1].op, SELECTOR_DOES_NOT_EXIST);
    ck_assert_uint_eq(sel->exprs[1].values.n, 0);
    ck_assert_uint_eq(p->n_overrides, 2);
    const char *sandbox[] = {"sandbox-?"};
    assert_strlist(&p->overrides[0].namespaces, sandbox, 1);
    ck_assert(!p->overrides[0].has_object_selector);
    ck_assert_int_eq(p->overrides[0].mode, POLICY_AUDIT);
    ck_assert_uint_eq(p->overrides[1].namespaces.n, 0);
    ck_assert(p->overrides[1].has_object_selector);
    ck_assert_int_eq(p->overrides[1].object_selector.exprs[0].op, SELECTOR_NOT_IN);
    ck_assert_int_eq(p->overrides[1].mode, POLICY_ENFORCE);
    assert_full_rules(p);
    policy_free(p);
}
END_TEST

START_TEST(file_without_spec_means_defaults)
{
    struct policy *p = NULL, *d = policy_new_default();
    struct tg_error err = {0};
    ck_assert_int_eq(policy_load_path(fixture_path("policies/minimal.yaml"), &p, &err),
                     TG_OK);
    ck_assert_str_eq(p->name, "minimal");
    ck_assert_int_eq(p->mode, d->mode);
    ck_assert_mem_eq(&p->run_as_non_root, &d->run_as_non_root,
                     sizeof(d->run_as_non_root));
    ck_assert_mem_eq(&p->pinned_tags, &d->pinned_tags, sizeof(d->pinned_tags));
    ck_assert_mem_eq(&p->probes, &d->probes, sizeof(d->probes));
    ck_assert_mem_eq(&p->allowed_registries, &d->allowed_registries,
                     sizeof(d->allowed_registries));
    ck_assert_mem_eq(&p->image_pull_policy, &d->image_pull_policy,
                     sizeof(d->image_pull_policy));
    ck_assert_uint_eq(p->exclude.namespaces.n, 0);
    ck_assert_uint_eq(p->n_overrides, 0);
    policy_free(d);
    policy_free(p);
}
END_TEST

enum probe {
    MODE,
    RUN_AS_USER,
    RUN_AS_GROUP,
    PROBES_ACTION,
    PROBES_REQUIRED,
    DIGEST,
    NAMED_USERS,
    LOOKUP,
    REGISTRIES,
    PERIOD,
    EXCLUDED,
    OVERRIDES
};

static long probe_value(const struct policy *p, enum probe what)
{
    switch (what) {
    case MODE:
        return p->mode;
    case RUN_AS_USER:
        return p->run_as_non_root.set_run_as_user ? p->run_as_non_root.run_as_user : -1;
    case RUN_AS_GROUP:
        return p->run_as_non_root.set_run_as_group ? p->run_as_non_root.run_as_group : -1;
    case PROBES_ACTION:
        return p->probes.common.action;
    case PROBES_REQUIRED:
        return p->probes.required;
    case DIGEST:
        return p->pinned_tags.require_digest;
    case NAMED_USERS:
        return p->run_as_non_root.allow_named_users;
    case LOOKUP:
        return p->pinned_tags.common.allow_on_lookup_failure;
    case REGISTRIES:
        return (long)p->allowed_registries.registries.n;
    case PERIOD:
        return p->probes.defaults.period_seconds;
    case EXCLUDED:
        return (long)p->exclude.namespaces.n;
    case OVERRIDES:
        return (long)p->n_overrides;
    }
    return -2;
}

static const struct {
    const char *spec; /* appended to HEAD */
    enum probe what;
    long want;
} valid_rows[] = {
    {"spec: {}\n", MODE, POLICY_ENFORCE},
    {"spec: {mode: audit}\n", MODE, POLICY_AUDIT},
    {"spec: {rules: {runAsNonRoot: {runAsUser: 2147483647}}}\n", RUN_AS_USER, 2147483647},
    {"spec: {rules: {runAsNonRoot: {runAsUser: +7}}}\n", RUN_AS_USER, 7},
    {"spec: {rules: {runAsNonRoot: {action: audit}}}\n", RUN_AS_USER, -1},
    {"spec: {rules: {runAsNonRoot: {runAsGroup: 0}}}\n", RUN_AS_GROUP, 0},
    {"spec: {rules: {probes: {action: off}}}\n", PROBES_ACTION, ACTION_OFF},
    {"spec: {rules: {probes: {action: off, require: []}}}\n", PROBES_REQUIRED, 0},
    {"spec: {rules: {probes: {require: [startup]}}}\n", PROBES_REQUIRED, PROBE_STARTUP},
    {"spec: {rules: {pinnedTags: {requireDigest: True}}}\n", DIGEST, 1},
    {"spec: {rules: {pinnedTags: {requireDigest: FALSE}}}\n", DIGEST, 0},
    {"spec: {rules: {runAsNonRoot: {allowNamedUsers: true}}}\n", NAMED_USERS, 1},
    {"spec: {rules: {pinnedTags: {onLookupFailure: deny}}}\n", LOOKUP, 0},
    {"spec: {rules: {pinnedTags: {onLookupFailure: allow}}}\n", LOOKUP, 1},
    {"spec: {rules: {allowedRegistries: {action: off}}}\n", REGISTRIES, 0},
    {"spec: {rules: {allowedRegistries: {registries: [docker.io]}}}\n", REGISTRIES, 1},
    {"spec: {rules: {allowedRegistries: {registries: [bitnami/, \"localhost:5000\"]}}}\n",
     REGISTRIES, 2},
    {"spec: {rules: {probes: {defaults: {periodSeconds: 007}}}}\n", PERIOD, 7},
    {"spec: {exclude: {namespaces: []}}\n", EXCLUDED, 0},
    {"spec: {overrides: []}\n", OVERRIDES, 0},
    {"spec:\n  exclude:\n    namespaces:\n      - a\n      - \"b-*\"\n", EXCLUDED, 2},
};

START_TEST(valid_values)
{
    char text[1024];
    snprintf(text, sizeof(text), "%s%s", HEAD, valid_rows[_i].spec);
    struct policy *p = NULL;
    struct tg_error err = {0};
    enum tg_rc rc = load_text(text, &p, &err);
    ck_assert_msg(rc == TG_OK, "row %d: %s", _i, err.text);
    ck_assert_int_eq(probe_value(p, valid_rows[_i].what), valid_rows[_i].want);
    policy_free(p);
}
END_TEST

/* ---- one row per error class ----------------------------------------- */

static const struct {
    const char *text;
    enum tg_rc rc;
    int line, column;
    const char *message; /* substring of err.text */
} error_rows[] = {
    /* the document */
    {"", TG_EINVAL, 1, 1, "the file is empty"},
    {"# nothing but a comment\n", TG_EINVAL, 1, 1, "the file is empty"},
    {HEAD "---\n" HEAD, TG_EINVAL, 4, 1, "a second YAML document"},
    {"apiVersion: [tollgate\nkind: Policy\n", TG_EINVAL, 2, 5, "YAML syntax error"},
    {HEAD "spec:\n  rules:\n    probes:\n\taction: off\n", TG_EINVAL, 7, 1,
     "YAML syntax error: a tab character; YAML indents with spaces only"},
    {HEAD "spec: {mode: \xff}\n", TG_EINVAL, 4, 14,
     "YAML syntax error: invalid leading UTF-8 octet (byte 0xff); policy files are "
     "UTF-8"},
    {HEAD "spec: {mode: \xc3\xa9\x01}\n", TG_EINVAL, 4, 15,
     "control characters are not allowed (byte 0x01)"},
    {"- a\n- b\n", TG_EINVAL, 1, 1, "expected a Policy document"},
    {"~\n", TG_EINVAL, 1, 1, "expected a Policy document (a mapping"},
    {"kind: Policy\nmetadata: {name: t}\n", TG_EINVAL, 1, 1,
     "missing required key \"apiVersion\""},
    {"apiVersion: tollgate.dev/v2\nkind: Policy\nmetadata: {name: t}\n", TG_EINVAL, 1, 13,
     "apiVersion: \"tollgate.dev/v2\" is not supported (expected tollgate.dev/v1)"},
    {"apiVersion: tollgate.dev/v1\nkind: ClusterPolicy\nmetadata: {name: t}\n", TG_EINVAL,
     2, 7, "kind: \"ClusterPolicy\" is not supported (expected Policy)"},
    {"apiVersion: tollgate.dev/v1\nkind: Policy\n", TG_EINVAL, 1, 1,
     "missing required key \"metadata\""},
    {"apiVersion: tollgate.dev/v1\nkind: Policy\nmetadata: {}\n", TG_EINVAL, 3, 11,
     "metadata: missing required key \"name\""},
    {"apiVersion: tollgate.dev/v1\nkind: Policy\nmetadata: {name: Bad_Name}\n", TG_EINVAL,
     3, 18, "metadata.name: \"Bad_Name\" is not a valid name"},
    {"apiVersion: tollgate.dev/v1\nkind: Policy\nmetadata: {name: t, labels: [a]}\n",
     TG_EINVAL, 3, 29, "metadata.labels: expected a mapping, got a list"},
    /* keys */
    {HEAD "sepc: {}\n", TG_EINVAL, 4, 1, "unknown key \"sepc\" (did you mean \"spec\"?)"},
    {HEAD "spec:\n  rules:\n    runAsNonroot: {action: audit}\n", TG_EINVAL, 6, 5,
     "spec.rules: unknown key \"runAsNonroot\" (did you mean \"runAsNonRoot\"?)"},
    {HEAD "spec:\n  rules:\n    probes:\n      frobnicate: true\n", TG_EINVAL, 7, 7,
     "spec.rules.probes: unknown key \"frobnicate\" (expected one of: action, exempt, "
     "onLookupFailure, require, addDefaultTcp, defaults)"},
    {HEAD "spec:\n  mode: audit\n  mode: enforce\n", TG_EINVAL, 6, 3,
     "spec: duplicate key \"mode\" (first set on line 5)"},
    {HEAD "? [a, b]\n: c\n", TG_EINVAL, 4, 3, "a key must be a plain string, not a list"},
    /* types */
    {HEAD "spec:\n", TG_EINVAL, 4, 6, "spec: expected a mapping, got an empty value"},
    {HEAD "spec:\n  rules: [probes]\n", TG_EINVAL, 5, 10,
     "spec.rules: expected a mapping, got a list"},
    {HEAD "spec:\n  rules:\n    probes: {require: liveness}\n", TG_EINVAL, 6, 23,
     "spec.rules.probes.require: expected a list of probes (liveness, readiness, "
     "startup), "
     "got \"liveness\""},
    {HEAD "spec:\n  exclude: {namespaces: {a: b}}\n", TG_EINVAL, 5, 25,
     "spec.exclude.namespaces: expected a list, got a mapping"},
    {HEAD "spec:\n  rules:\n    runAsNonRoot: {runAsUser: abc}\n", TG_EINVAL, 6, 31,
     "spec.rules.runAsNonRoot.runAsUser: expected an integer from 1 to 2147483647, got "
     "\"abc\""},
    {HEAD "spec:\n  rules:\n    runAsNonRoot: {runAsUser: 0}\n", TG_EINVAL, 6, 31,
     "expected an integer from 1 to 2147483647, got \"0\""},
    {HEAD "spec:\n  rules:\n    runAsNonRoot: {runAsGroup: 2147483648}\n", TG_EINVAL, 6,
     32, "runAsGroup: expected an integer from 0 to 2147483647"},
    {HEAD "spec:\n  rules:\n    runAsNonRoot: {runAsUser: 99999999999999999999}\n",
     TG_EINVAL, 6, 31, "expected an integer from 1 to 2147483647"},
    {HEAD "spec:\n  rules:\n    runAsNonRoot: {runAsUser: \"1000\"}\n", TG_EINVAL, 6, 31,
     "got the quoted string \"1000\" (remove the quotes)"},
    {HEAD "spec:\n  rules:\n    probes: {defaults: {periodSeconds: 1.5}}\n", TG_EINVAL, 6,
     40, "spec.rules.probes.defaults.periodSeconds: expected an integer from 1 to"},
    {HEAD "spec:\n  rules:\n    probes: {defaults: {timeoutSeconds: 0x10}}\n", TG_EINVAL,
     6, 41, "timeoutSeconds: expected an integer"},
    {HEAD "spec:\n  rules:\n    pinnedTags: {requireDigest: yes}\n", TG_EINVAL, 6, 33,
     "spec.rules.pinnedTags.requireDigest: expected true or false, got \"yes\""},
    {HEAD "spec:\n  rules:\n    pinnedTags: {requireDigest: \"true\"}\n", TG_EINVAL, 6,
     33, "got the quoted string \"true\" (remove the quotes)"},
    {HEAD "spec:\n  rules:\n    pinnedTags: {resolveDigest: }\n", TG_EINVAL, 6, 33,
     "expected true or false, got an empty value"},
    /* enumerations */
    {HEAD "spec: {mode: dryrun}\n", TG_EINVAL, 4, 14,
     "spec.mode: expected enforce or audit, got \"dryrun\""},
    {HEAD "spec:\n  rules:\n    probes: {action: block}\n", TG_EINVAL, 6, 22,
     "spec.rules.probes.action: expected one of enforce, audit, mutate, off, got "
     "\"block\""},
    {HEAD "spec:\n  rules:\n    probes: {onLookupFailure: maybe}\n", TG_EINVAL, 6, 31,
     "onLookupFailure: expected allow or deny, got \"maybe\""},
    {HEAD "spec:\n  rules:\n    probes:\n      require: [liveness, liveness2]\n",
     TG_EINVAL, 7, 27,
     "spec.rules.probes.require[1]: unknown probe \"liveness2\" (expected liveness, "
     "readiness, startup)"},
    {HEAD "spec:\n  rules:\n    probes: {require: [readiness, readiness]}\n", TG_EINVAL,
     6, 35, "spec.rules.probes.require[1]: \"readiness\" is listed twice"},
    {HEAD "spec:\n  rules:\n    probes: {require: []}\n", TG_EINVAL, 6, 23,
     "spec.rules.probes.require: the list is empty"},
    /* values */
    {HEAD "spec:\n  rules:\n    probes: {exempt: {images: [\"ghcr.io/acme:v1\"]}}\n",
     TG_EINVAL, 6, 32,
     "spec.rules.probes.exempt.images[0]: \"ghcr.io/acme:v1\" is not a "
     "valid image prefix: a prefix names a registry or repository, not a tag"},
    {HEAD "spec:\n  rules:\n    probes: {exempt: {containers: [App]}}\n", TG_EINVAL, 6,
     36, "exempt.containers[0]: \"App\" is not a valid container name"},
    {HEAD "spec:\n  rules:\n    probes: {exempt: {reason: \"\"}}\n", TG_EINVAL, 6, 31,
     "exempt.reason: \"\" is not a valid reason"},
    {HEAD "spec:\n  rules:\n    allowedRegistries: {registries: [ghcr.io//acme]}\n",
     TG_EINVAL, 6, 46, /* the second '/' */
     "registries[0]: \"ghcr.io//acme\" is not a valid image prefix: empty"},
    {HEAD
     "spec:\n  rules:\n    allowedRegistries: {registries: [\"ghcr.io/a@sha256:00\"]}\n",
     TG_EINVAL, 6, 38, "not a digest"},
    {HEAD "spec:\n  rules:\n    allowedRegistries: {registries: [ghcr.io/Acme]}\n",
     TG_EINVAL, 6, 46, "repository \"Acme\" must be lowercase"},
    {HEAD "spec:\n  rules:\n    allowedRegistries: {action: audit}\n", TG_EINVAL, 6, 24,
     "spec.rules.allowedRegistries: no registries are listed"},
    {HEAD "spec:\n  exclude: {namespaces: [Kube-System]}\n", TG_EINVAL, 5, 26,
     "spec.exclude.namespaces[0]: \"Kube-System\" is not a valid namespace name or "
     "pattern"},
    /* selectors and overrides */
    {HEAD "spec:\n  exclude: {objectSelector: {}}\n", TG_EINVAL, 5, 29,
     "spec.exclude.objectSelector: an empty selector matches every object"},
    {HEAD "spec:\n  exclude:\n    objectSelector:\n      matchExpressions:\n"
          "        - {key: a, operator: Equals, values: [b]}\n",
     TG_EINVAL, 8, 30,
     "matchExpressions[0].operator: expected In, NotIn, Exists or DoesNotExist, got "
     "\"Equals\""},
    {HEAD "spec:\n  exclude:\n    objectSelector:\n      matchExpressions:\n"
          "        - {key: a, operator: In}\n",
     TG_EINVAL, 8, 11,
     "matchExpressions[0]: operator In and NotIn need a non-empty values"},
    {HEAD "spec:\n  exclude:\n    objectSelector:\n      matchExpressions:\n"
          "        - {key: a, operator: Exists, values: [x]}\n",
     TG_EINVAL, 8, 11, "operator Exists and DoesNotExist take no values"},
    {HEAD "spec:\n  exclude:\n    objectSelector:\n      matchExpressions:\n"
          "        - {operator: Exists}\n",
     TG_EINVAL, 8, 11, "matchExpressions[0]: missing required key \"key\""},
    {HEAD "spec:\n  exclude:\n    objectSelector:\n      matchLabels: {app: a, app: b}\n",
     TG_EINVAL, 7, 29, "matchLabels: duplicate label \"app\""},
    {HEAD "spec:\n  exclude:\n    objectSelector:\n      matchLabels: {app: [a]}\n",
     TG_EINVAL, 7, 26, "matchLabels.app: expected a string, got a list"},
    {HEAD
     "spec:\n  exclude:\n    objectSelector:\n      matchLabels: {\"bad key!\": a}\n",
     TG_EINVAL, 7, 21, "\"bad key!\" is not a valid label key"},
    {HEAD "spec:\n  overrides: [{mode: audit}]\n", TG_EINVAL, 5, 15,
     "spec.overrides[0]: an override needs namespaces or objectSelector"},
    {HEAD "spec:\n  overrides: [{namespaces: [a]}]\n", TG_EINVAL, 5, 15,
     "spec.overrides[0]: missing required key \"mode\""},
    {HEAD "spec:\n  overrides: {namespaces: [a], mode: audit}\n", TG_EINVAL, 5, 14,
     "spec.overrides: expected a list of {namespaces, objectSelector, mode}, got a "
     "mapping"},
    /* what libyaml allows and a policy does not */
    {HEAD "spec:\n  exclude: &x {namespaces: [a]}\n  rules: *x\n", TG_EINVAL, 6, 10,
     "YAML aliases (*x) are not supported"},
    {HEAD "spec: !!map {}\n", TG_EINVAL, 4, 7, "YAML tags (\"tag:yaml.org,2002:map\")"},
    {HEAD "spec:\n  rules:\n    probes: {exempt: {reason: \"a\\0b\"}}\n", TG_EINVAL, 6,
     31, "a NUL character inside a string"},
};

START_TEST(errors_name_place_and_problem)
{
    struct policy sentinel;
    struct policy *p = &sentinel;
    struct tg_error err = {0};
    enum tg_rc rc = load_text(error_rows[_i].text, &p, &err);
    ck_assert_ptr_eq(p, &sentinel); /* untouched on failure */
    ck_assert_msg(rc == error_rows[_i].rc, "row %d: rc %d (%s)", _i, rc, err.text);
    ck_assert_str_eq(err.source, "test.yaml");
    ck_assert_msg(err.line == error_rows[_i].line && err.column == error_rows[_i].column,
                  "row %d: at %d:%d, want %d:%d (%s)", _i, err.line, err.column,
                  error_rows[_i].line, error_rows[_i].column, err.text);
    ck_assert_msg(strstr(err.text, error_rows[_i].message), "row %d: \"%s\" lacks \"%s\"",
                  _i, err.text, error_rows[_i].message);
}
END_TEST

/* ---- limits ---------------------------------------------------------- */

/* HEAD + "spec: " + `count` repetitions of `unit` + `tail`. */
static char *repeat_doc(const char *unit, size_t count, const char *tail)
{
    struct buf b;
    buf_init(&b, 0);
    ck_assert_int_eq(buf_appends(&b, HEAD "spec: "), TG_OK);
    for (size_t i = 0; i < count; i++)
        ck_assert_int_eq(buf_appends(&b, unit), TG_OK);
    ck_assert_int_eq(buf_appends(&b, tail), TG_OK);
    return buf_take(&b);
}

static const struct {
    const char *unit;
    size_t count;
    const char *tail;
    enum tg_rc rc;
    int line; /* the syntax error shows at the end of the stream */
    const char *message;
} limit_rows[] = {
    {"[", 40, "", TG_ETOOBIG, 4, "nesting deeper than 32 levels"},
    {"{rules: ", 40, "", TG_ETOOBIG, 4, "nesting deeper than 32 levels"},
    {"", 0, "{exclude: {namespaces: [", TG_EINVAL, 5, "YAML syntax error"},
};

START_TEST(limits_are_errors)
{
    char *text =
        repeat_doc(limit_rows[_i].unit, limit_rows[_i].count, limit_rows[_i].tail);
    struct policy *p = NULL;
    struct tg_error err = {0};
    ck_assert_int_eq(load_text(text, &p, &err), limit_rows[_i].rc);
    ck_assert_ptr_null(p);
    ck_assert_int_eq(err.line, limit_rows[_i].line);
    ck_assert_msg(strstr(err.text, limit_rows[_i].message), "%s", err.text);
    tg_free(text);
}
END_TEST

START_TEST(too_many_nodes_is_too_big)
{
    char *text = repeat_doc("", 0, "{exclude: {namespaces: [");
    struct buf b;
    buf_init(&b, 0);
    ck_assert_int_eq(buf_appends(&b, text), TG_OK);
    for (int i = 0; i < 100001; i++)
        ck_assert_int_eq(buf_appends(&b, "a,"), TG_OK);
    ck_assert_int_eq(buf_appends(&b, "]}}\n"), TG_OK);
    struct policy *p = NULL;
    struct tg_error err = {0};
    ck_assert_int_eq(load_text(buf_str(&b), &p, &err), TG_ETOOBIG);
    ck_assert_msg(strstr(err.text, "more than 100000 YAML nodes"), "%s", err.text);
    buf_cleanup(&b);
    tg_free(text);
}
END_TEST

START_TEST(too_many_labels)
{
    struct buf b;
    buf_init(&b, 0);
    ck_assert_int_eq(
        buf_appends(&b, HEAD "spec: {exclude: {objectSelector: {matchLabels: {"), TG_OK);
    for (int i = 0; i < 65; i++)
        ck_assert_int_eq(buf_appendf(&b, "k%d: v,", i), TG_OK);
    ck_assert_int_eq(buf_appends(&b, "}}}}\n"), TG_OK);
    struct policy *p = NULL;
    struct tg_error err = {0};
    ck_assert_int_eq(load_text(buf_str(&b), &p, &err), TG_EINVAL);
    ck_assert_msg(strstr(err.text, "matchLabels: more than 64 labels"), "%s", err.text);
    buf_cleanup(&b);
}
END_TEST

START_TEST(buffer_over_one_mib_is_too_big)
{
    size_t len = POLICY_FILE_MAX + 1;
    char *text = tg_malloc(len);
    ck_assert_ptr_nonnull(text);
    memset(text, '#', len);
    struct policy *p = NULL;
    struct tg_error err = {0};
    ck_assert_int_eq(policy_load_buffer(text, len, "big.yaml", &p, &err), TG_ETOOBIG);
    ck_assert_ptr_null(p);
    ck_assert_str_eq(err.source, "big.yaml");
    ck_assert_msg(strstr(err.text, "larger than 1048576 bytes"), "%s", err.text);
    tg_free(text);
}
END_TEST

/* ---- files and directories ------------------------------------------- */

START_TEST(directory_merges_in_name_order)
{
    struct policy *p = NULL;
    struct tg_error err = {0};
    enum tg_rc rc = policy_load_path(fixture_path("policies/merge"), &p, &err);
    ck_assert_msg(rc == TG_OK, "%s:%d:%d: %s", err.source, err.line, err.column,
                  err.text);
    ck_assert_str_eq(p->name, "baseline");                /* the first file names it */
    ck_assert_int_eq(p->mode, POLICY_AUDIT);              /* 20 overrides 10's enforce */
    const char *ns[] = {"kube-system", "team-a-sandbox"}; /* appended */
    assert_strlist(&p->exclude.namespaces, ns, 2);
    ck_assert_uint_eq(p->n_overrides, 2); /* appended, in file order */
    ck_assert_str_eq(p->overrides[0].namespaces.items[0], "legacy-*");
    ck_assert(p->overrides[1].has_object_selector);
    ck_assert_str_eq(p->overrides[1].object_selector.label_keys[0], "tollgate.dev/mode");
    ck_assert_int_eq(p->probes.common.action, ACTION_ENFORCE); /* kept */
    ck_assert_uint_eq(p->probes.required, PROBE_READINESS);    /* list replaced */
    const char *regs[] = {"docker.io/library"};
    assert_strlist(&p->allowed_registries.registries, regs, 1);
    ck_assert_int_eq(p->run_as_non_root.common.action, ACTION_AUDIT);
    ck_assert(p->run_as_non_root.set_run_as_user); /* kept from 00 */
    ck_assert_int_eq(p->run_as_non_root.run_as_user, 1000);
    policy_free(p);
}
END_TEST

START_TEST(directory_error_fails_the_whole_load)
{
    struct policy *p = NULL;
    struct tg_error err = {0};
    ck_assert_int_eq(policy_load_path(fixture_path("policies/bad-dir"), &p, &err),
                     TG_EINVAL);
    ck_assert_ptr_null(p);
    ck_assert_str_eq(err.source, fixture_path("policies/bad-dir/10-broken.yaml"));
    ck_assert_int_eq(err.line, 6);
    ck_assert_int_eq(err.column, 24);
    ck_assert_msg(strstr(err.text, "spec.rules.probes.require[0]: unknown probe"), "%s",
                  err.text);
}
END_TEST

/* A scratch directory under the build tree for files made at run time. */
static char scratch[4096];

static void scratch_make(void)
{
    snprintf(scratch, sizeof(scratch), "%s/policy-scratch-XXXXXX", TOLLGATE_BINARY_DIR);
    ck_assert_ptr_nonnull(mkdtemp(scratch));
}

static void scratch_remove(const char *name)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/%s", scratch, name);
    remove(path);
}

static const char *scratch_file(const char *name, const char *text, size_t len)
{
    static char path[4200];
    snprintf(path, sizeof(path), "%s/%s", scratch, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
    return path;
}

START_TEST(empty_directory_is_an_error)
{
    struct policy *p = NULL;
    struct tg_error err = {0};
    scratch_make();
    scratch_file("notes.txt", "x", 1);
    ck_assert_int_eq(policy_load_path(scratch, &p, &err), TG_EINVAL);
    ck_assert_msg(strstr(err.text, "no policy files (*.yaml, *.yml)"), "%s", err.text);
    scratch_remove("notes.txt");
    rmdir(scratch);
}
END_TEST

START_TEST(subdirectory_named_yaml_is_an_error)
{
    struct policy *p = NULL;
    struct tg_error err = {0};
    char sub[4200];
    scratch_make();
    snprintf(sub, sizeof(sub), "%s/x.yaml", scratch);
    ck_assert_int_eq(mkdir(sub, 0700), 0);
    ck_assert_int_eq(policy_load_path(scratch, &p, &err), TG_EINVAL);
    ck_assert_str_eq(err.source, sub);
    ck_assert_msg(strstr(err.text, "not a regular file"), "%s", err.text);
    rmdir(sub);
    rmdir(scratch);
}
END_TEST

/* The layout kubelet gives a mounted ConfigMap: the real files live in a
 * timestamped directory, reached through the "..data" link, and each key is
 * a symlink through it. */
START_TEST(configmap_mount_layout_loads)
{
    static const char doc[] = HEAD "spec: {mode: audit}\n";
    char path[4200], target[4200];
    struct policy *p = NULL;
    struct tg_error err = {0};
    scratch_make();
    snprintf(path, sizeof(path), "%s/..2026_11_22_10_00_00.1", scratch);
    ck_assert_int_eq(mkdir(path, 0700), 0);
    scratch_file("..2026_11_22_10_00_00.1/policy.yaml", doc, sizeof(doc) - 1);
    snprintf(path, sizeof(path), "%s/..data", scratch);
    ck_assert_int_eq(symlink("..2026_11_22_10_00_00.1", path), 0);
    snprintf(path, sizeof(path), "%s/policy.yaml", scratch);
    ck_assert_int_eq(symlink("..data/policy.yaml", path), 0);
    enum tg_rc rc = policy_load_path(scratch, &p, &err);
    ck_assert_msg(rc == TG_OK, "%s: %s", err.source, err.text);
    ck_assert_int_eq(p->mode, POLICY_AUDIT);
    policy_free(p);
    scratch_remove("policy.yaml");
    scratch_remove("..data");
    scratch_remove("..2026_11_22_10_00_00.1/policy.yaml");
    snprintf(target, sizeof(target), "%s/..2026_11_22_10_00_00.1", scratch);
    rmdir(target);
    rmdir(scratch);
}
END_TEST

START_TEST(file_over_one_mib_is_too_big)
{
    struct policy *p = NULL;
    struct tg_error err = {0};
    size_t len = POLICY_FILE_MAX + 100;
    char *text = tg_malloc(len);
    ck_assert_ptr_nonnull(text);
    memset(text, '#', len);
    scratch_make();
    const char *path = scratch_file("big.yaml", text, len);
    ck_assert_int_eq(policy_load_path(path, &p, &err), TG_ETOOBIG);
    ck_assert_ptr_null(p);
    ck_assert_str_eq(err.source, path);
    scratch_remove("big.yaml");
    rmdir(scratch);
    tg_free(text);
}
END_TEST

START_TEST(empty_file_is_an_error)
{
    struct policy *p = NULL;
    struct tg_error err = {0};
    scratch_make();
    const char *path = scratch_file("empty.yaml", "", 0);
    ck_assert_int_eq(policy_load_path(path, &p, &err), TG_EINVAL);
    ck_assert_int_eq(err.line, 1);
    ck_assert_msg(strstr(err.text, "the file is empty"), "%s", err.text);
    scratch_remove("empty.yaml");
    rmdir(scratch);
}
END_TEST

START_TEST(missing_path_is_an_io_error)
{
    struct policy *p = NULL;
    struct tg_error err = {0};
    const char *path = fixture_path("policies/no-such-file.yaml");
    ck_assert_int_eq(policy_load_path(path, &p, &err), TG_EIO);
    ck_assert_ptr_null(p);
    ck_assert_str_eq(err.source, path);
    ck_assert_msg(strstr(err.text, "No such file"), "%s", err.text);
}
END_TEST

START_TEST(shipped_policies_load)
{
    struct policy *p = NULL;
    struct tg_error err = {0};
    enum tg_rc rc = policy_load_path(TOLLGATE_SOURCE_DIR "/policies", &p, &err);
    ck_assert_msg(rc == TG_OK, "%s:%d:%d: %s", err.source, err.line, err.column,
                  err.text);
    ck_assert_int_eq(p->mode, POLICY_ENFORCE);
    bool kube = false, tollgate = false;
    for (size_t i = 0; i < p->exclude.namespaces.n; i++) {
        kube |= strcmp(p->exclude.namespaces.items[i], "kube-system") == 0;
        tollgate |= strcmp(p->exclude.namespaces.items[i], "tollgate-system") == 0;
    }
    ck_assert(kube && tollgate);
    ck_assert_int_ne(p->run_as_non_root.common.action, ACTION_OFF);
    ck_assert_int_ne(p->pinned_tags.common.action, ACTION_OFF);
    ck_assert_int_ne(p->probes.common.action, ACTION_OFF);
    policy_free(p);
}
END_TEST

/* ---- mutated input ---------------------------------------------------- */

/* Damaged copies of a valid file (bytes replaced by YAML's own punctuation,
 * cut short, lines swapped in) must load or fail with a positioned error:
 * never crash, never leak, never an error without a place.  A fixed seed
 * keeps failures reproducible. */
static unsigned long lcg(unsigned long *state)
{
    *state = *state * 6364136223846793005UL + 1442695040888963407UL;
    return *state >> 33;
}

static void mutate(char *text, size_t *len, unsigned long *state)
{
    static const char bytes[] = ":-[]{},#&*!|>'\"\t\n 0aZ?%@`";
    size_t n = 1 + lcg(state) % 4;
    for (size_t i = 0; i<n && * len> 0; i++) {
        size_t at = lcg(state) % *len;
        switch (lcg(state) % 3) {
        case 0:
            text[at] = bytes[lcg(state) % (sizeof(bytes) - 1)];
            break;
        case 1:
            *len = at; /* cut short */
            break;
        default:
            text[at] = (char)(lcg(state) & 0xff); /* any byte, UTF-8 or not */
            break;
        }
    }
}

START_TEST(mutated_files_fail_cleanly)
{
    size_t orig_len;
    char *orig = fixture_read("policies/full.yaml", &orig_len);
    char *text = malloc(orig_len + 1);
    ck_assert_ptr_nonnull(text);
    unsigned long state = 42;
    for (int round = 0; round < 400; round++) {
        size_t len = orig_len;
        memcpy(text, orig, orig_len + 1);
        mutate(text, &len, &state);
        struct policy *p = NULL;
        struct tg_error err = {0};
        enum tg_rc rc = policy_load_buffer(text, len, "fuzz.yaml", &p, &err);
        policy_free(p);
        if (rc == TG_OK)
            continue;
        ck_assert_msg(rc == TG_EINVAL || rc == TG_ETOOBIG, "round %d: rc %d", round, rc);
        ck_assert_msg(err.line >= 1 && err.column >= 1, "round %d: no position: %s",
                      round, err.text);
        ck_assert_str_eq(err.source, "fuzz.yaml");
        ck_assert_msg(err.text[0], "round %d: empty message", round);
    }
    free(text);
    free(orig);
}
END_TEST

/* ---- allocation failures --------------------------------------------- */

/* Fail the 0th, 1st, 2nd... allocation until the load gives its real
 * answer `want`: every earlier failure must be a clean TG_ENOMEM (leaks
 * show under valgrind/ASan). */
static void walk_allocation_failures(const char *path, enum tg_rc want)
{
    long n = 0;
    for (;; n++) {
        struct policy *p = NULL;
        struct tg_error err = {0};
        alloc_fail_after(n);
        enum tg_rc rc = policy_load_path(path, &p, &err);
        alloc_fail_after(-1);
        if (rc == want) {
            policy_free(p);
            break;
        }
        ck_assert_msg(rc == TG_ENOMEM, "after %ld allocations: rc %d (%s)", n, rc,
                      err.text);
        ck_assert_ptr_null(p);
        ck_assert_msg(strstr(err.text, "out of memory"), "%s", err.text);
        ck_assert_int_lt(n, 100000);
    }
    ck_assert_int_gt(n, 3); /* the walk did reach inside the loader */
}

START_TEST(allocation_failures_in_a_file)
{
    walk_allocation_failures(fixture_path("policies/full.yaml"), TG_OK);
}
END_TEST

START_TEST(allocation_failures_in_a_directory)
{
    walk_allocation_failures(fixture_path("policies/merge"), TG_OK);
}
END_TEST

START_TEST(allocation_failures_before_a_load_error)
{
    walk_allocation_failures(fixture_path("policies/bad-dir"), TG_EINVAL);
}
END_TEST

/* ---- container hardening (issue 15) --------------------------------- */

/* Off in the built-in defaults and in a file that does not name them. */
static const char *const hardening_rules[] = {"privileged", "allowPrivilegeEscalation",
                                              "capabilities", "readOnlyRootFilesystem",
                                              "seccompProfile"};

START_TEST(hardening_rules_are_off_by_default)
{
    struct policy *p = NULL, *d = policy_new_default();
    struct tg_error err = {0};
    ck_assert_int_eq(policy_load_path(fixture_path("policies/minimal.yaml"), &p, &err),
                     TG_OK);
    for (size_t i = 0; i < ARRAY_LEN(hardening_rules); i++) {
        const struct rule *r = rule_find(hardening_rules[i]);
        ck_assert_ptr_nonnull(r);
        ck_assert_int_eq(rule_common_of(r, d)->action, ACTION_OFF);
        ck_assert_int_eq(rule_common_of(r, p)->action, ACTION_OFF);
    }
    policy_free(d);
    policy_free(p);
}
END_TEST

static const struct {
    const char *spec; /* appended to HEAD */
    const char *rule; /* loads: this rule gets `action` */
    enum rule_action action;
    int line, column; /* fails: here, with `message` */
    const char *message;
} hardening_rows[] = {
    {"spec: {rules: {privileged: {action: enforce}}}\n", "privileged", ACTION_ENFORCE, 0,
     0, NULL},
    {"spec: {rules: {privileged: {action: mutate}}}\n", "privileged", ACTION_MUTATE, 0, 0,
     NULL},
    {"spec: {rules: {allowPrivilegeEscalation: {action: mutate}}}\n",
     "allowPrivilegeEscalation", ACTION_MUTATE, 0, 0, NULL},
    {"spec: {rules: {capabilities: {action: enforce, allowedCapabilities: "
     "[NET_BIND_SERVICE, SYS_TIME]}}}\n",
     "capabilities", ACTION_ENFORCE, 0, 0, NULL},
    {"spec:\n  rules:\n    capabilities:\n      allowedCapabilities: [NET_RAW, "
     "cap_chown]\n",
     NULL, 0, 7, 38,
     "spec.rules.capabilities.allowedCapabilities[1]: \"cap_chown\" must be written as "
     "Kubernetes writes capabilities: upper case, without CAP_"},
    {"spec:\n  rules:\n    capabilities: {allowedCapabilities: [ALL]}\n", NULL, 0, 6, 42,
     "\"ALL\" would allow every capability"},
    {"spec:\n  rules:\n    capabilities: {allowedCapabilities: NET_RAW}\n", NULL, 0, 6,
     41, "allowedCapabilities: expected a list"},
    {"spec:\n  rules:\n    capabilities: {allowed: [NET_RAW]}\n", NULL, 0, 6, 20,
     "unknown key \"allowed\""},
    {"spec: {rules: {readOnlyRootFilesystem: {action: audit}}}\n",
     "readOnlyRootFilesystem", ACTION_AUDIT, 0, 0, NULL},
    {"spec: {rules: {seccompProfile: {action: mutate, exempt: {containers: [dbg]}}}}\n",
     "seccompProfile", ACTION_MUTATE, 0, 0, NULL},
    {"spec:\n  rules:\n    privileged: {action: on}\n", NULL, 0, 6, 26,
     "spec.rules.privileged.action: expected one of enforce, audit, mutate, off, got "
     "\"on\""},
    {"spec:\n  rules:\n    privileged: {allowed: true}\n", NULL, 0, 6, 18,
     "spec.rules.privileged: unknown key \"allowed\""},
    {"spec:\n  rules:\n    privileged: true\n", NULL, 0, 6, 17,
     "spec.rules.privileged: expected a mapping, got"},
    {"spec:\n  rules:\n    privilegd: {action: enforce}\n", NULL, 0, 6, 5,
     "unknown key \"privilegd\" (did you mean \"privileged\"?)"},
};

START_TEST(hardening_keys)
{
    char text[1024];
    snprintf(text, sizeof(text), "%s%s", HEAD, hardening_rows[_i].spec);
    struct policy *p = NULL;
    struct tg_error err = {0};
    enum tg_rc rc = load_text(text, &p, &err);
    if (hardening_rows[_i].rule) {
        ck_assert_msg(rc == TG_OK, "row %d: %s", _i, err.text);
        const struct rule *r = rule_find(hardening_rows[_i].rule);
        ck_assert_int_eq(rule_common_of(r, p)->action, hardening_rows[_i].action);
        policy_free(p);
        return;
    }
    ck_assert_int_eq(rc, TG_EINVAL);
    ck_assert_msg(err.line == hardening_rows[_i].line &&
                      err.column == hardening_rows[_i].column,
                  "row %d: at %d:%d, want %d:%d (%s)", _i, err.line, err.column,
                  hardening_rows[_i].line, hardening_rows[_i].column, err.text);
    ck_assert_msg(strstr(err.text, hardening_rows[_i].message),
                  "row %d: \"%s\" lacks \"%s\"", _i, err.text,
                  hardening_rows[_i].message);
}
END_TEST

/* spec.rules has more keys than an error's text can list: the list is cut
 * with "...", never mid-name, and the message keeps its closing ")". */
START_TEST(unknown_rule_lists_what_fits)
{
    struct policy *p = NULL;
    struct tg_error err = {0};
    ck_assert_int_eq(load_text(HEAD "spec: {rules: {zzzzzzzzzz: {}}}\n", &p, &err),
                     TG_EINVAL);
    ck_assert_msg(
        strstr(err.text, "(expected one of: runAsNonRoot, pinnedTags, probes, "), "%s",
        err.text);
    size_t len = strlen(err.text);
    ck_assert_uint_lt(len, sizeof(err.text) - 1);
    ck_assert_msg(err.text[len - 1] == ')', "%s", err.text);
    ck_assert_msg(strstr(err.text, ", ...)") || strstr(err.text, ", seccompProfile"),
                  "%s", err.text);
}
END_TEST

static Suite *policy_load_suite(void)
{
    Suite *s = suite_create("policy_load");
    TCase *tc = tcase_create("valid");
    tcase_add_test(tc, full_file_sets_every_field);
    tcase_add_test(tc, file_without_spec_means_defaults);
    tcase_add_loop_test(tc, valid_values, 0, ARRAY_LEN(valid_rows));
    tcase_add_test(tc, shipped_policies_load);
    tcase_add_test(tc, hardening_rules_are_off_by_default);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_add_loop_test(tc, errors_name_place_and_problem, 0, ARRAY_LEN(error_rows));
    tcase_add_loop_test(tc, limits_are_errors, 0, ARRAY_LEN(limit_rows));
    tcase_add_test(tc, too_many_nodes_is_too_big);
    tcase_add_test(tc, too_many_labels);
    tcase_add_test(tc, buffer_over_one_mib_is_too_big);
    tcase_add_test(tc, mutated_files_fail_cleanly);
    tcase_add_loop_test(tc, hardening_keys, 0, ARRAY_LEN(hardening_rows));
    tcase_add_test(tc, unknown_rule_lists_what_fits);
    suite_add_tcase(s, tc);
    tc = tcase_create("files");
    tcase_add_test(tc, directory_merges_in_name_order);
    tcase_add_test(tc, directory_error_fails_the_whole_load);
    tcase_add_test(tc, empty_directory_is_an_error);
    tcase_add_test(tc, subdirectory_named_yaml_is_an_error);
    tcase_add_test(tc, configmap_mount_layout_loads);
    tcase_add_test(tc, file_over_one_mib_is_too_big);
    tcase_add_test(tc, empty_file_is_an_error);
    tcase_add_test(tc, missing_path_is_an_io_error);
    suite_add_tcase(s, tc);
    tc = tcase_create("allocation");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, allocation_failures_in_a_file);
    tcase_add_test(tc, allocation_failures_in_a_directory);
    tcase_add_test(tc, allocation_failures_before_a_load_error);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(policy_load_suite());
}
