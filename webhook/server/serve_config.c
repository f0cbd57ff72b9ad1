/* serve_config.c -- the settings table of `tollgate serve` and its parsers.
 *
 * One row per setting, as Redis keeps its directives in a table: --help,
 * the environment lookup and validation all walk the same rows.
 */
#include "serve_config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

struct setting {
    const char *flag; /* without the leading "--" */
    const char *env;
    const char *defval; /* NULL: no default */
    const char *metavar;
    const char *help;
    enum tg_rc (*parse)(const struct setting *s, const char *value,
                        struct serve_config *cfg, struct tg_error *err);
    size_t offset;          /* of the field in struct serve_config */
    unsigned long min, max; /* numeric settings only */
};

static enum tg_rc parse_listen(const struct setting *s, const char *value,
                               struct serve_config *cfg, struct tg_error *err);
static enum tg_rc parse_metrics_listen(const struct setting *s, const char *value,
                                       struct serve_config *cfg, struct tg_error *err);
static enum tg_rc parse_path(const struct setting *s, const char *value,
                             struct serve_config *cfg, struct tg_error *err);
static enum tg_rc parse_level(const struct setting *s, const char *value,
                              struct serve_config *cfg, struct tg_error *err);
static enum tg_rc parse_uint(const struct setting *s, const char *value,
                             struct serve_config *cfg, struct tg_error *err);
static enum tg_rc parse_size(const struct setting *s, const char *value,
                             struct serve_config *cfg, struct tg_error *err);
static enum tg_rc parse_on_error(const struct setting *s, const char *value,
                                 struct serve_config *cfg, struct tg_error *err);
static enum tg_rc parse_registry(const struct setting *s, const char *value,
                                 struct serve_config *cfg, struct tg_error *err);

#define FIELD(f) offsetof(struct serve_config, f)

static const struct setting settings[] = {
    {"listen", "TOLLGATE_LISTEN", "0.0.0.0:8443", "ADDR:PORT",
     "HTTPS address for /validate and /mutate", parse_listen, FIELD(listen), 0, 0},
    {"tls-cert", "TOLLGATE_TLS_CERT", NULL, "FILE",
     "serving certificate (PEM); reloaded when it changes", parse_path, FIELD(tls_cert),
     0, 0},
    {"tls-key", "TOLLGATE_TLS_KEY", NULL, "FILE", "private key of --tls-cert (PEM)",
     parse_path, FIELD(tls_key), 0, 0},
    {"policy", "TOLLGATE_POLICY", NULL, "FILE|DIR",
     "policy file or directory; reloaded on change and on SIGHUP", parse_path,
     FIELD(policy), 0, 0},
    {"client-ca", "TOLLGATE_CLIENT_CA", "", "FILE",
     "require client certificates signed by this CA (mTLS); empty = off", parse_path,
     FIELD(client_ca), 0, 0},
    {"metrics-listen", "TOLLGATE_METRICS_LISTEN", "", "ADDR:PORT",
     "plain-HTTP address for /metrics /healthz /readyz; empty = on the HTTPS port",
     parse_metrics_listen, 0, 0, 0},
    {"log-level", "TOLLGATE_LOG_LEVEL", "info", "LEVEL", "debug, info, warn or error",
     parse_level, FIELD(log_level), 0, 0},
    {"max-body-bytes", "TOLLGATE_MAX_BODY_BYTES", "3145728", "N",
     "largest request body; bigger ones get 413", parse_size, FIELD(max_body_bytes), 1024,
     1UL << 30},
    {"read-timeout", "TOLLGATE_READ_TIMEOUT", "10", "SECONDS",
     "idle timeout, and the longest a request may take to arrive", parse_uint,
     FIELD(read_timeout_s), 1, 3600},
    {"max-connections", "TOLLGATE_MAX_CONNECTIONS", "1024", "N",
     "most simultaneous connections", parse_uint, FIELD(max_connections), 1, 65536},
    {"threads", "TOLLGATE_THREADS", "2", "N", "worker threads", parse_uint,
     FIELD(threads), 1, 256},
    {"request-deadline", "TOLLGATE_REQUEST_DEADLINE", "2500", "MS",
     "answer with --on-internal-error when a request takes longer (from its first line)",
     parse_uint, FIELD(request_deadline_ms), 1, 600000},
    {"on-internal-error", "TOLLGATE_ON_INTERNAL_ERROR", "allow", "allow|deny",
     "the answer when tollgate itself fails", parse_on_error,
     FIELD(internal_error_allows), 0, 0},
    {"shutdown-timeout", "TOLLGATE_SHUTDOWN_TIMEOUT", "20", "SECONDS",
     "longest wait for requests in flight on SIGTERM", parse_uint,
     FIELD(shutdown_timeout_s), 0, 3600},
    {"watch-interval", "TOLLGATE_WATCH_INTERVAL", "1000", "MS",
     "how often policy and certificate files are checked for changes", parse_uint,
     FIELD(watch_interval_ms), 50, 3600000},
    /* Registry lookups, made only when the policy asks for them
     * (pinnedTags.resolveDigest, runAsNonRoot.checkImageUser). */
    {"registry-auth-file", "TOLLGATE_REGISTRY_AUTH_FILE", "", "FILE",
     "dockerconfigjson credentials for registries; empty = anonymous", parse_registry, 0,
     0, 0},
    {"registry-ca-file", "TOLLGATE_REGISTRY_CA_FILE", "", "FILE",
     "CA bundle (PEM) for registry HTTPS; empty = the system CAs", parse_registry, 0, 0,
     0},
    {"registry-insecure", "TOLLGATE_REGISTRY_INSECURE", "", "HOST[:PORT],...",
     "registries spoken to over plain HTTP", parse_registry, 0, 0, 0},
    {"registry-platform", "TOLLGATE_REGISTRY_PLATFORM", "linux/amd64", "OS/ARCH",
     "platform whose image config is read from a multi-platform index", parse_registry, 0,
     0, 0},
    {"registry-timeout", "TOLLGATE_REGISTRY_TIMEOUT", "2000", "MS",
     "budget of one registry lookup (the request deadline may cut it shorter)",
     parse_registry, 0, 0, 0},
    {"registry-cache-ttl", "TOLLGATE_REGISTRY_CACHE_TTL", "300", "SECONDS",
     "how long registry answers are cached", parse_registry, 0, 0, 0},
    {"registry-error-ttl", "TOLLGATE_REGISTRY_ERROR_TTL", "10", "SECONDS",
     "how long registry failures are cached", parse_registry, 0, 0, 0},
    {"registry-cache-size", "TOLLGATE_REGISTRY_CACHE_SIZE", "1024", "N",
     "most cached registry answers", parse_registry, 0, 0, 0},
    /* The background audit: PolicyReports of what already runs. */
    {"audit-interval", "TOLLGATE_AUDIT_INTERVAL", "0", "SECONDS",
     "scan the cluster this often and write PolicyReports; 0 = off", parse_uint,
     FIELD(audit_interval_s), 0, 604800},
    {"audit-kubeconfig", "TOLLGATE_AUDIT_KUBECONFIG", "", "FILE",
     "kubeconfig for the audit's API calls; empty = the in-cluster service account",
     parse_path, FIELD(audit_kubeconfig), 0, 0},
    {"audit-lease-namespace", "TOLLGATE_AUDIT_LEASE_NAMESPACE", "", "NAMESPACE",
     "namespace of the Lease that picks the one replica that writes; empty = the pod's",
     parse_path, FIELD(audit_lease_namespace), 0, 0},
    {"audit-lease-name", "TOLLGATE_AUDIT_LEASE_NAME", "tollgate-audit", "NAME",
     "name of that Lease", parse_path, FIELD(audit_lease_name), 0, 0},
    {"audit-identity", "TOLLGATE_AUDIT_IDENTITY", "", "ID",
     "this replica's holderIdentity in the Lease; empty = hostname and pid", parse_path,
     FIELD(audit_identity), 0, 0},
    {"audit-lease-duration", "TOLLGATE_AUDIT_LEASE_DURATION", "15", "SECONDS",
     "a holder that stops renewing is replaced after this long", parse_uint,
     FIELD(audit_lease_duration_s), 2, 3600},
    {"audit-page-size", "TOLLGATE_AUDIT_PAGE_SIZE", "250", "N",
     "objects per list page (memory is bounded by one page)", parse_uint,
     FIELD(audit_page_size), 1, 100000},
    {"audit-cpu-percent", "TOLLGATE_AUDIT_CPU_PERCENT", "20", "PERCENT",
     "most of one core the scan may use (it sleeps to stay below)", parse_uint,
     FIELD(audit_cpu_percent), 1, 100},
    {"audit-request-timeout", "TOLLGATE_AUDIT_REQUEST_TIMEOUT", "30", "SECONDS",
     "longest one API call of the audit may take", parse_uint,
     FIELD(audit_request_timeout_s), 1, 3600},
};

static void *field(struct serve_config *cfg, const struct setting *s)
{
    return (char *)cfg + s->offset;
}

enum tg_rc serve_addr_parse(const char *text, struct serve_addr *out,
                            struct tg_error *err)
{
    const char *colon = strrchr(text, ':');
    const char *host = text;
    size_t hlen = colon ? (size_t)(colon - text) : 0;
    if (!colon || hlen == 0)
        return tg_error_setf(err, TG_EINVAL, "\"%s\" is not ADDR:PORT", text);
    if (host[0] == '[') { /* [::1]:8443 */
        if (hlen < 3 || host[hlen - 1] != ']')
            return tg_error_setf(err, TG_EINVAL, "\"%s\": unbalanced [ ] around IPv6",
                                 text);
        host++;
        hlen -= 2;
    }
    struct serve_addr a = {0};
    if (hlen >= sizeof(a.host))
        return tg_error_setf(err, TG_EINVAL, "\"%s\": address too long", text);
    memcpy(a.host, host, hlen);
    unsigned char probe[16];
    if (inet_pton(AF_INET, a.host, probe) != 1 && inet_pton(AF_INET6, a.host, probe) != 1)
        return tg_error_setf(err, TG_EINVAL,
                             "\"%s\": \"%s\" is not a numeric IPv4 or IPv6 address", text,
                             a.host);
    char *end = NULL;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (errno || end == colon + 1 || *end || port < 1 || port > 65535)
        return tg_error_setf(err, TG_EINVAL, "\"%s\": port must be 1-65535", text);
    a.port = (unsigned short)port;
    *out = a;
    return TG_OK;
}

static enum tg_rc parse_listen(const struct setting *s, const char *value,
                               struct serve_config *cfg, struct tg_error *err)
{
    (void)s;
    return serve_addr_parse(value, &cfg->listen, err);
}

static enum tg_rc parse_metrics_listen(const struct setting *s, const char *value,
                                       struct serve_config *cfg, struct tg_error *err)
{
    (void)s;
    cfg->has_metrics_listen = value[0] != '\0';
    if (!cfg->has_metrics_listen)
        return TG_OK;
    return serve_addr_parse(value, &cfg->metrics_listen, err);
}

static enum tg_rc parse_path(const struct setting *s, const char *value,
                             struct serve_config *cfg, struct tg_error *err)
{
    size_t len = strlen(value);
    if (len >= SERVE_PATH_MAX)
        return tg_error_setf(err, TG_EINVAL, "path longer than %d bytes",
                             SERVE_PATH_MAX - 1);
    memcpy(field(cfg, s), value, len + 1);
    return TG_OK;
}

static enum tg_rc parse_level(const struct setting *s, const char *value,
                              struct serve_config *cfg, struct tg_error *err)
{
    enum tlog_level *level = field(cfg, s);
    if (tlog_parse_level(value, level) != TG_OK)
        return tg_error_setf(
            err, TG_EINVAL,
            "\"%s\" is not a log level (expected debug, info, warn, error)", value);
    return TG_OK;
}

/* strtoul rejects nothing on its own: no sign, digits only, within range. */
static enum tg_rc parse_number(const struct setting *s, const char *value,
                               unsigned long *out, struct tg_error *err)
{
    char *end = NULL;
    errno = 0;
    unsigned long n = strtoul(value, &end, 10);
    if (value[0] < '0' || value[0] > '9' || errno || *end)
        return tg_error_setf(err, TG_EINVAL, "\"%s\" is not a whole number", value);
    if (n < s->min || n > s->max)
        return tg_error_setf(err, TG_EINVAL, "%lu is out of range (expected %lu-%lu)", n,
                             s->min, s->max);
    *out = n;
    return TG_OK;
}

static enum tg_rc parse_registry(const struct setting *s, const char *value,
                                 struct serve_config *cfg, struct tg_error *err)
{
    return registry_opts_set(&cfg->registry, s->flag, value, err);
}

static enum tg_rc parse_uint(const struct setting *s, const char *value,
                             struct serve_config *cfg, struct tg_error *err)
{
    unsigned long n = 0; /* GCC -O3 cannot see parse_number sets it on TG_OK */
    enum tg_rc rc = parse_number(s, value, &n, err);
    if (rc == TG_OK)
        *(unsigned *)field(cfg, s) = (unsigned)n;
    return rc;
}

static enum tg_rc parse_size(const struct setting *s, const char *value,
                             struct serve_config *cfg, struct tg_error *err)
{
    unsigned long n = 0; /* GCC -O3 cannot see parse_number sets it on TG_OK */
    enum tg_rc rc = parse_number(s, value, &n, err);
    if (rc == TG_OK)
        *(size_t *)field(cfg, s) = (size_t)n;
    return rc;
}

static enum tg_rc parse_on_error(const struct setting *s, const char *value,
                                 struct serve_config *cfg, struct tg_error *err)
{
    bool *allows = field(cfg, s);
    if (strcmp(value, "allow") == 0)
        *allows = true;
    else if (strcmp(value, "deny") == 0)
        *allows = false;
    else
        return tg_error_setf(err, TG_EINVAL, "\"%s\" is not allow or deny", value);
    return TG_OK;
}

/* Run a row's parser and name the origin of a bad value in err->source. */
static enum tg_rc apply(const struct setting *s, const char *value, const char *origin,
                        struct serve_config *cfg, struct tg_error *err)
{
    enum tg_rc rc = s->parse(s, value, cfg, err);
    if (rc != TG_OK && err)
        snprintf(err->source, sizeof(err->source), "%s", origin);
    return rc;
}

static const struct setting *find_flag(const char *name, size_t len)
{
    for (size_t i = 0; i < ARRAY_LEN(settings); i++) {
        if (strlen(settings[i].flag) == len && strncmp(settings[i].flag, name, len) == 0)
            return &settings[i];
    }
    return NULL;
}

static enum tg_rc apply_defaults_and_env(struct serve_config *cfg, struct tg_error *err)
{
    for (size_t i = 0; i < ARRAY_LEN(settings); i++) {
        const struct setting *s = &settings[i];
        if (s->defval) {
            enum tg_rc rc = apply(s, s->defval, "default", cfg, err);
            if (rc != TG_OK)
                return rc;
        }
        const char *env = getenv(s->env);
        if (env) {
            enum tg_rc rc = apply(s, env, s->env, cfg, err);
            if (rc != TG_OK)
                return rc;
        }
    }
    return TG_OK;
}

/* One flag at argv[*i]; advances *i past its value. */
static enum tg_rc apply_flag(int argc, char **argv, int *i, struct serve_config *cfg,
                             struct tg_error *err)
{
    const char *arg = argv[*i];
    if (strncmp(arg, "--", 2) != 0)
        return tg_error_set(err, TG_EINVAL, arg, 0, 0,
                            "unexpected argument (flags start with --; see --help)");
    const char *name = arg + 2;
    const char *eq = strchr(name, '=');
    size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
    const struct setting *s = find_flag(name, nlen);
    if (!s)
        return tg_error_set(err, TG_EINVAL, arg, 0, 0, "unknown flag (see --help)");
    char origin[80];
    snprintf(origin, sizeof(origin), "--%s", s->flag);
    const char *value = eq ? eq + 1 : NULL;
    if (!value) {
        if (*i + 1 >= argc)
            return tg_error_set(err, TG_EINVAL, origin, 0, 0, "needs a value (%s)",
                                s->metavar);
        value = argv[++*i];
    }
    return apply(s, value, origin, cfg, err);
}

static enum tg_rc check_required(const struct serve_config *cfg, struct tg_error *err)
{
    static const struct {
        size_t offset;
        const char *flag, *env;
    } required[] = {
        {FIELD(tls_cert), "--tls-cert", "TOLLGATE_TLS_CERT"},
        {FIELD(tls_key), "--tls-key", "TOLLGATE_TLS_KEY"},
        {FIELD(policy), "--policy", "TOLLGATE_POLICY"},
    };
    for (size_t i = 0; i < ARRAY_LEN(required); i++) {
        const char *value = (const char *)cfg + required[i].offset;
        if (!value[0])
            return tg_error_set(err, TG_EINVAL, required[i].flag, 0, 0,
                                "is required (or set %s)", required[i].env);
    }
    return TG_OK;
}

enum tg_rc serve_config_parse(int argc, char **argv, struct serve_config *cfg,
                              enum serve_config_action *action, struct tg_error *err)
{
    struct serve_config c;
    memset(&c, 0, sizeof(c));
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            *action = SERVE_HELP;
            return TG_OK;
        }
    }
    enum tg_rc rc = apply_defaults_and_env(&c, err);
    for (int i = 1; rc == TG_OK && i < argc; i++)
        rc = apply_flag(argc, argv, &i, &c, err);
    if (rc == TG_OK)
        rc = check_required(&c, err);
    if (rc != TG_OK)
        return rc;
    *cfg = c;
    *action = SERVE_RUN;
    return TG_OK;
}

void serve_config_usage(FILE *out)
{
    fprintf(out,
            "Usage: tollgate serve --tls-cert FILE --tls-key FILE --policy FILE|DIR "
            "[options]\n\n"
            "Run the TLS admission webhook: POST /validate, POST /mutate, GET /healthz,\n"
            "/readyz and /metrics.  Every flag can also be set with its environment\n"
            "variable; the flag wins.  SIGHUP reloads the policy; SIGTERM drains.\n\n");
    for (size_t i = 0; i < ARRAY_LEN(settings); i++) {
        const struct setting *s = &settings[i];
        char left[64];
        snprintf(left, sizeof(left), "--%s %s", s->flag, s->metavar);
        fprintf(out, "  %-30s %s\n", left, s->help);
        if (!s->defval)
            fprintf(out, "  %-30s env %s (required)\n", "", s->env);
        else if (s->defval[0])
            fprintf(out, "  %-30s env %s, default %s\n", "", s->env, s->defval);
        else
            fprintf(out, "  %-30s env %s, default unset\n", "", s->env);
    }
    fprintf(out, "  %-30s print this help\n", "--help");
}
