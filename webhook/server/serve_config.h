/* serve_config.h -- `tollgate serve` settings from flags and environment.
 *
 * Every setting has a flag and an environment variable (TOLLGATE_*); the
 * flag wins, then the variable, then the default, which suits the Helm
 * chart.  Parsing is table-driven (one row per setting: name, variable,
 * default, parser), so --help, the env lookup and validation never drift
 * apart.  A value that does not parse or is out of range is TG_EINVAL with
 * err naming the flag (or variable) and saying what was expected; the
 * caller exits 2.  The result is a plain struct read by every thread after
 * start-up and never written again.
 * Pure apart from reading the environment; not thread-safe while parsing.
 */
#ifndef TOLLGATE_SERVE_CONFIG_H
#define TOLLGATE_SERVE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "error.h"
#include "registry_opts.h"
#include "tlog.h"

#define SERVE_ADDR_MAX 64
#define SERVE_PATH_MAX 1024

struct serve_addr {
    char host[SERVE_ADDR_MAX]; /* numeric IPv4 or IPv6 ("0.0.0.0", "::1") */
    unsigned short port;       /* 1-65535 */
};

struct serve_config {
    struct serve_addr listen;         /* --listen, default 0.0.0.0:8443 */
    bool has_metrics_listen;          /* --metrics-listen given */
    struct serve_addr metrics_listen; /* plain HTTP: /metrics /healthz /readyz */
    char tls_cert[SERVE_PATH_MAX];    /* --tls-cert, required */
    char tls_key[SERVE_PATH_MAX];     /* --tls-key, required */
    char client_ca[SERVE_PATH_MAX];   /* --client-ca, "" = no mTLS */
    char policy[SERVE_PATH_MAX];      /* --policy, file or directory, required */
    enum tlog_level log_level;        /* --log-level, default info */
    size_t max_body_bytes;            /* --max-body-bytes, default 3 MiB */
    unsigned read_timeout_s;          /* --read-timeout, default 10 */
    unsigned max_connections;         /* --max-connections, default 1024 */
    unsigned threads;                 /* --threads, default 2 */
    unsigned request_deadline_ms;     /* --request-deadline, default 2500 */
    bool internal_error_allows;       /* --on-internal-error allow|deny, default allow */
    unsigned shutdown_timeout_s;      /* --shutdown-timeout, default 20 */
    unsigned watch_interval_ms;       /* --watch-interval, default 1000 */
    struct registry_opts
        registry; /* --registry-*: lookups for the rules that need them */
    /* The background audit (audit_loop.h): off while audit_interval_s is 0. */
    unsigned audit_interval_s;                  /* --audit-interval */
    char audit_kubeconfig[SERVE_PATH_MAX];      /* "" = the in-cluster service account */
    char audit_lease_namespace[SERVE_PATH_MAX]; /* "" = the pod's (or kubeconfig's) */
    char audit_lease_name[SERVE_PATH_MAX];      /* default tollgate-audit */
    char audit_identity[SERVE_PATH_MAX];        /* "" = hostname and pid */
    unsigned audit_lease_duration_s;            /* default 15 */
    unsigned audit_page_size;                   /* default 500 */
    unsigned audit_cpu_percent;                 /* default 20 */
    unsigned audit_request_timeout_s;           /* default 30 */
};

/* What serve_config_parse found besides settings. */
enum serve_config_action {
    SERVE_RUN,  /* start the server with the parsed config */
    SERVE_HELP, /* --help was given: print serve_config_usage, exit 0 */
};

/* Parse `argv` (argv[0] is "serve") over the defaults and the environment
 * (read with getenv).  Flags take "--name value" or "--name=value".  On
 * success fills *cfg and *action.  TG_EINVAL: an unknown flag, a missing
 * value, a bad value or a missing required setting; err->source is the
 * flag or variable at fault and err->text says what was expected. */
TG_MUST_CHECK enum tg_rc serve_config_parse(int argc, char **argv,
                                            struct serve_config *cfg,
                                            enum serve_config_action *action,
                                            struct tg_error *err);

/* Every flag with its variable, default and meaning. */
void serve_config_usage(FILE *out);

/* "ADDR:PORT" or "[V6ADDR]:PORT" -> addr.  TG_EINVAL when malformed. */
TG_MUST_CHECK enum tg_rc serve_addr_parse(const char *text, struct serve_addr *out,
                                          struct tg_error *err);

#endif
