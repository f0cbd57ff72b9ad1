/* rule_no_secrets_in_env.c -- credentials come from Secrets, not manifests.
 *
 * A literal env value is stored in the object, in etcd unencrypted, in
 * every `kubectl get -o yaml`, in Git and in CI logs.  Two checks on each
 * env entry of every container list:
 *   - a name that looks like a credential (the policy's patterns, matched
 *     regardless of case: db_password is *PASSWORD*; minus the exceptions,
 *     such as *_FILE for a path to a mounted Secret) must take its value
 *     from valueFrom.secretKeyRef: a literal `value` or a configMapKeyRef
 *     (ConfigMaps are not secret) is a finding;
 *   - with detectValues, a literal value that looks like key material is
 *     a finding whatever the name: a PEM private key block, an AWS access
 *     key id (AKIA/ASIA and 16 more characters).
 * An empty value and a value made only of $(VAR) references (expanded
 * from other variables, typically ones read from a Secret) hold no
 * credential.  THE VALUE IS NEVER COPIED into a message, a pointer or
 * anywhere else: findings name the variable and point at the field, and
 * the tests search every output for the values they plant.
 * No automatic fix: tollgate cannot create the Secret.
 */
#include <ctype.h>
#include <string.h>

#include "rules.h"

#define RULE_ID "noSecretsInEnv"

#define NAME_MAX_FOLDED 256

/* `text` (len bytes) contains `lit` (n bytes)? */
static bool contains(const char *text, size_t len, const char *lit, size_t n)
{
    if (n == 0)
        return true;
    const char *end = text + len;
    for (const char *p = text; (size_t)(end - p) >= n; p++) {
        p = memchr(p, lit[0], (size_t)(end - p) - n + 1);
        if (!p)
            return false;
        if (memcmp(p, lit, n) == 0)
            return true;
    }
    return false;
}

/* An upper-cased pattern on an upper-cased name.  "*TEXT*", the shape of
 * every default, is a search; the rest goes through the glob. */
static bool pattern_hit(const char *pat, const char *upper, size_t len)
{
    size_t n = strlen(pat);
    if (n >= 2 && pat[0] == '*' && pat[n - 1] == '*' && !memchr(pat + 1, '*', n - 2) &&
        !memchr(pat + 1, '?', n - 2))
        return contains(upper, len, pat + 1, n - 2);
    return name_pattern_matches(pat, upper);
}

/* Does a pattern of `l` match the name?  `upper` is the name folded to
 * upper case (len bytes), or NULL when it was too long to fold. */
static bool matches_any(const struct strlist *l, const char *name, const char *upper,
                        size_t len)
{
    for (size_t i = 0; i < l->n; i++) {
        if ((upper && l->normalised) ? pattern_hit(l->normalised[i], upper, len)
                                     : name_pattern_matches_nocase(l->items[i], name))
            return true;
    }
    return false;
}

/* The name upper-cased into `buf` (NAME_MAX_FOLDED + 1 bytes), or NULL
 * when it is longer. */
static const char *fold(const char *name, char *buf, size_t *len)
{
    size_t n = strlen(name);
    if (n > NAME_MAX_FOLDED)
        return NULL;
    for (size_t i = 0; i <= n; i++)
        buf[i] = name[i] >= 'a' && name[i] <= 'z' ? (char)(name[i] - 'a' + 'A') : name[i];
    *len = n;
    return buf;
}

/* "$(A)$(B_2)": expanded from other variables, no literal of its own. */
static bool only_references(const char *v)
{
    if (!*v)
        return false;
    while (*v) {
        if (v[0] != '$' || v[1] != '(' || !(isalpha((unsigned char)v[2]) || v[2] == '_'))
            return false;
        v += 2;
        while (isalnum((unsigned char)*v) || *v == '_' || *v == '.' || *v == '-')
            v++;
        if (*v++ != ')')
            return false;
    }
    return true;
}

/* "-----BEGIN <label>-----" whose label names a private key. */
static bool has_pem_private_key(const char *v)
{
    for (const char *p = strstr(v, "-----BEGIN "); p; p = strstr(p + 1, "-----BEGIN ")) {
        const char *label = p + 11;
        const char *end = strstr(label, "-----");
        size_t len = end ? (size_t)(end - label) : 0;
        for (size_t i = 0; len >= 11 && len <= 64 && i + 11 <= len; i++) {
            if (memcmp(label + i, "PRIVATE KEY", 11) == 0)
                return true;
        }
    }
    return false;
}

static bool is_key_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* An AWS access key id: AKIA (long-term) or ASIA (temporary) and 16
 * upper-case letters or digits, not inside a longer such run. */
static bool has_aws_access_key_id(const char *v, size_t len)
{
    const char *end = v + len; /* v[len] is the NUL, which stops the checks below */
    for (const char *p = memchr(v, 'A', len); p;
         p = memchr(p + 1, 'A', (size_t)(end - p - 1))) {
        if ((p[1] != 'K' && p[1] != 'S') || p[2] != 'I' || p[3] != 'A' ||
            (p > v && is_key_char(p[-1])))
            continue;
        size_t n = 4;
        while (n < 21 && is_key_char(p[n]))
            n++;
        if (n == 20)
            return true;
    }
    return false;
}

/* What the literal value (len bytes) looks like, or NULL.  Both formats
 * are at least 20 bytes long, which most values are not. */
static const char *key_material(const char *v, size_t len)
{
    if (len < 20)
        return NULL;
    if (has_pem_private_key(v))
        return "a PEM private key";
    if (has_aws_access_key_id(v, len))
        return "an AWS access key id";
    return NULL;
}

/* The name looks like a credential, and the value does not come from a
 * Secret: a literal, or a ConfigMap key. */
static enum tg_rc judge_name(const struct rule_ctx *ctx, const struct container *c,
                             size_t i, const json_t *var, struct findings *out)
{
    const char *name = json_string_value(json_object_get(var, "name"));
    const json_t *value = json_object_get(var, "value");
    const json_t *from = json_object_get(var, "valueFrom");
    const json_t *cm = json_object_get(from, "configMapKeyRef");
    bool literal =
        value && !json_is_null(value) &&
        !(json_is_string(value) &&
          (json_string_length(value) == 0 || only_references(json_string_value(value))));
    if (!literal && !(cm && !json_is_null(cm)))
        return TG_OK;
    const char *at = arena_printf(
        ctx->arena, literal ? "env/%zu/value" : "env/%zu/valueFrom/configMapKeyRef", i);
    if (!at)
        return TG_ENOMEM;
    if (literal)
        return findings_addf(out, RULE_ID, c, at, NULL,
                             "env var \"%s\" looks like a credential and has a literal "
                             "value; put the value in a Secret and use "
                             "valueFrom.secretKeyRef",
                             name);
    return findings_addf(out, RULE_ID, c, at, NULL,
                         "env var \"%s\" looks like a credential and is read from a "
                         "ConfigMap, which is not secret; use a Secret and "
                         "valueFrom.secretKeyRef",
                         name);
}

static enum tg_rc judge_var(const struct rule_ctx *ctx, const struct container *c,
                            size_t i, const json_t *var, struct findings *out)
{
    const struct no_secrets_in_env_config *cfg = &ctx->policy->no_secrets_in_env;
    const char *name = json_string_value(json_object_get(var, "name"));
    char buf[NAME_MAX_FOLDED + 1];
    size_t len = 0;
    const char *upper = name ? fold(name, buf, &len) : NULL;
    if (name && matches_any(&cfg->names, name, upper, len) &&
        !matches_any(&cfg->except_names, name, upper, len))
        return judge_name(ctx, c, i, var, out);
    const json_t *value = json_object_get(var, "value");
    const char *what =
        cfg->detect_values && json_is_string(value)
            ? key_material(json_string_value(value), json_string_length(value))
            : NULL;
    if (!what)
        return TG_OK;
    const char *at = arena_printf(ctx->arena, "env/%zu/value", i);
    if (!at)
        return TG_ENOMEM;
    return findings_addf(
        out, RULE_ID, c, at, NULL,
        "env var \"%s\" has a literal value that looks like %s; put it "
        "in a Secret and use valueFrom.secretKeyRef (and rotate the key: "
        "it is in the manifest)",
        name ? name : "", what);
}

enum tg_rc rule_no_secrets_in_env_eval(const struct rule_ctx *ctx,
                                       const struct container *c, struct findings *out)
{
    const json_t *env = json_object_get(c->spec, "env");
    for (size_t i = 0; i < json_array_size(env); i++) {
        enum tg_rc rc = judge_var(ctx, c, i, json_array_get(env, i), out);
        if (rc != TG_OK)
            return rc;
    }
    return TG_OK;
}
