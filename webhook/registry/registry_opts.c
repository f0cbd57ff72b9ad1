/* registry_opts.c -- registry flags shared by serve and check. */
#include "registry_opts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_INSECURE 32

static const struct {
    const char *name;
    const char *metavar;
    const char *help;
} options[] = {
    {"registry-auth-file", "FILE",
     "dockerconfigjson credentials per registry (a kubernetes.io/dockerconfigjson "
     "Secret's .dockerconfigjson); default anonymous"},
    {"registry-ca-file", "FILE",
     "CA bundle (PEM) for registry HTTPS; default system CAs"},
    {"registry-insecure", "HOST[:PORT],...", "registries spoken to over plain HTTP"},
    {"registry-platform", "OS/ARCH",
     "platform whose image config is read from a "
     "multi-platform index; default linux/amd64"},
    {"registry-timeout", "MS", "budget of one registry lookup; default 2000"},
    {"registry-cache-ttl", "SECONDS", "how long answers are cached; default 300"},
    {"registry-error-ttl", "SECONDS", "how long failures are cached; default 10"},
    {"registry-cache-size", "N", "most cached answers; default 1024"},
};

static const char *const names[] = {
    "registry-auth-file", "registry-ca-file",    "registry-insecure",
    "registry-platform",  "registry-timeout",    "registry-cache-ttl",
    "registry-error-ttl", "registry-cache-size", NULL,
};

void registry_opts_defaults(struct registry_opts *o)
{
    memset(o, 0, sizeof(*o));
    memcpy(o->platform, "linux/amd64", sizeof("linux/amd64"));
    o->timeout_ms = 2000;
    o->cache_ttl_s = 300;
    o->error_ttl_s = 10;
    o->cache_size = 1024;
}

const char *const *registry_opts_names(void)
{
    return names;
}

int registry_opts_is_option(const char *name)
{
    for (size_t i = 0; names[i]; i++) {
        if (strcmp(names[i], name) == 0)
            return 1;
    }
    return 0;
}

static enum tg_rc copy_text(char *dst, size_t cap, const char *value,
                            struct tg_error *err)
{
    size_t len = strlen(value);
    if (len >= cap)
        return tg_error_setf(err, TG_EINVAL, "longer than %zu bytes", cap - 1);
    memcpy(dst, value, len + 1);
    return TG_OK;
}

static enum tg_rc parse_long(const char *value, long min, long max, long *out,
                             struct tg_error *err)
{
    char *end = NULL;
    errno = 0;
    long n = strtol(value, &end, 10);
    if (value[0] < '0' || value[0] > '9' || errno || *end || n < min || n > max)
        return tg_error_setf(err, TG_EINVAL,
                             "\"%s\" is not a whole number from %ld to %ld", value, min,
                             max);
    *out = n;
    return TG_OK;
}

enum tg_rc registry_opts_set(struct registry_opts *o, const char *name, const char *value,
                             struct tg_error *err)
{
    if (strcmp(name, "registry-auth-file") == 0)
        return copy_text(o->auth_file, sizeof(o->auth_file), value, err);
    if (strcmp(name, "registry-ca-file") == 0)
        return copy_text(o->ca_file, sizeof(o->ca_file), value, err);
    if (strcmp(name, "registry-insecure") == 0)
        return copy_text(o->insecure, sizeof(o->insecure), value, err);
    if (strcmp(name, "registry-platform") == 0)
        return copy_text(o->platform, sizeof(o->platform), value, err);
    if (strcmp(name, "registry-timeout") == 0)
        return parse_long(value, 1, 60000, &o->timeout_ms, err);
    if (strcmp(name, "registry-cache-ttl") == 0)
        return parse_long(value, 0, 86400, &o->cache_ttl_s, err);
    if (strcmp(name, "registry-error-ttl") == 0)
        return parse_long(value, 0, 86400, &o->error_ttl_s, err);
    if (strcmp(name, "registry-cache-size") == 0)
        return parse_long(value, 0, 1000000, &o->cache_size, err);
    return TG_ENOTFOUND;
}

void registry_opts_usage(FILE *out, int indent)
{
    for (size_t i = 0; i < ARRAY_LEN(options); i++)
        fprintf(out, "%*s--%s %s\n%*s%s\n", indent, "", options[i].name,
                options[i].metavar, indent + 8, "", options[i].help);
}

/* "a,b:5000" -> pointers into `copy` (which the caller keeps alive). */
static size_t split_hosts(char *copy, const char **hosts, size_t cap)
{
    size_t n = 0;
    for (char *p = copy; *p && n < cap;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        if (*p)
            hosts[n++] = p;
        if (!comma)
            break;
        p = comma + 1;
    }
    return n;
}

enum tg_rc registry_opts_open(const struct registry_opts *o, struct registry **out,
                              struct tg_error *err)
{
    char insecure[REGISTRY_OPTS_PATH_MAX];
    const char *hosts[MAX_INSECURE];
    memcpy(insecure, o->insecure, sizeof(insecure));
    struct registry_config cfg;
    registry_config_defaults(&cfg);
    cfg.docker_config = o->auth_file[0] ? o->auth_file : NULL;
    cfg.ca_bundle = o->ca_file[0] ? o->ca_file : NULL;
    cfg.n_insecure = split_hosts(insecure, hosts, MAX_INSECURE);
    cfg.insecure = hosts;
    cfg.platform = o->platform;
    cfg.timeout_ms = o->timeout_ms;
    cfg.cache_ttl_s = o->cache_ttl_s;
    cfg.error_ttl_s = o->error_ttl_s;
    cfg.cache_max_entries = (size_t)o->cache_size;
    return registry_new(&cfg, out, err);
}
