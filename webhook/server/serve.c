/* serve.c -- `tollgate serve`: configuration, start-up checks, the control
 * loop (signals, file watching, reaping slow connections) and draining.
 *
 * Signals are blocked in every thread before any is started and taken
 * synchronously here with sigtimedwait, so no work happens in a signal
 * handler and MHD's threads never see them.
 */
#include "commands.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>

#include "alloc_json.h"
#include "buf.h"
#include "registry_opts.h"
#include "reload.h"
#include "req.h"
#include "serve_audit.h"
#include "serve_config.h"
#include "server.h"
#include "snapshot.h"
#include "tlog.h"
#include "tlscreds.h"
#include "x509.h"

#define TICK_MS 100 /* reaper and signal latency */
#define MAX_CA_PEM (1024 * 1024)

/* Library set-up that must happen before any thread starts.  libcurl only
 * for the background audit, whose API client wants it before the first
 * client is made (kube_client.h): the registry sets it up at its first
 * lookup itself, and OpenSSL's start-up costs ~2 MB of resident memory
 * that a server needing neither does not pay (bench/README.md). */
static void init_process(const struct serve_config *cfg, sigset_t *signals)
{
    alloc_json_install();
    json_object_seed(0);
    if (cfg->audit_interval_s)
        curl_global_init(CURL_GLOBAL_DEFAULT);
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(signals);
    sigaddset(signals, SIGTERM);
    sigaddset(signals, SIGINT);
    sigaddset(signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, signals, NULL);
}

static void log_startup_error(const char *what, const struct tg_error *err)
{
    char text[sizeof(err->source) + sizeof(err->text) + 32];
    tg_error_format(err, text, sizeof(text));
    struct tlog_line l;
    tlog_begin(&l, TLOG_ERROR, what);
    tlog_str(&l, "error", text);
    tlog_end(&l);
}

static enum tg_rc read_client_ca(const char *path, struct buf *out, struct tg_error *err)
{
    enum tg_rc rc = x509_check_ca(path, err);
    return rc == TG_OK ? tlscreds_read_pem(path, out, err) : rc;
}

/* Everything that must hold before the port opens; exit status 2 if not. */
static int start_up(struct reload *r, const struct serve_config *cfg, struct buf *ca)
{
    struct tg_error err = {0};
    if (cfg->client_ca[0] && read_client_ca(cfg->client_ca, ca, &err) != TG_OK) {
        log_startup_error("cannot use --client-ca", &err);
        return 2;
    }
    reload_init(r, cfg);
    if (reload_certs(r, &err) != TG_OK) {
        log_startup_error("cannot use the serving certificate", &err);
        return 2;
    }
    if (reload_policy(r, &err) != TG_OK) {
        log_startup_error("cannot load the policy", &err);
        return 2;
    }
    struct tlog_line l;
    tlog_begin(&l, TLOG_INFO, "policy loaded");
    tlog_str(&l, "source", cfg->policy);
    tlog_str(&l, "trigger", "start-up");
    tlog_end(&l);
    return 0;
}

static void wait_signal(const sigset_t *signals, unsigned ms, int *sig)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    int s = sigtimedwait(signals, NULL, &ts);
    *sig = s > 0 ? s : 0;
}

/* Serve until SIGTERM or SIGINT. */
static void control_loop(struct reload *r, struct server *srv, const sigset_t *signals)
{
    const struct serve_config *cfg = r->cfg;
    uint64_t next_watch = req_now_ns() + (uint64_t)cfg->watch_interval_ms * 1000000u;
    for (;;) {
        int sig;
        wait_signal(signals, TICK_MS, &sig);
        if (sig == SIGTERM || sig == SIGINT) {
            TLOG(TLOG_INFO, "%s: draining", sig == SIGTERM ? "SIGTERM" : "SIGINT");
            return;
        }
        if (sig == SIGHUP)
            reload_on_signal(r);
        server_reap(srv);
        if (req_now_ns() >= next_watch) {
            reload_poll(r);
            next_watch = req_now_ns() + (uint64_t)cfg->watch_interval_ms * 1000000u;
        }
    }
}

/* Let requests in flight finish, for at most --shutdown-timeout. */
static void drain(struct server *srv, const struct serve_config *cfg,
                  const sigset_t *signals)
{
    server_drain(srv);
    uint64_t deadline = req_now_ns() + (uint64_t)cfg->shutdown_timeout_s * 1000000000u;
    while (server_in_flight(srv) > 0 && req_now_ns() < deadline) {
        int sig;
        wait_signal(signals, 20, &sig); /* a second signal changes nothing */
        server_reap(srv);
    }
    unsigned left = server_in_flight(srv);
    if (left)
        TLOG(TLOG_WARN, "shutdown timeout: closing %u request(s) still in flight", left);
    else
        TLOG(TLOG_INFO, "drained: no request in flight");
}

static void log_listening(const struct serve_config *cfg)
{
    struct tlog_line l;
    tlog_begin(&l, TLOG_INFO, "serving");
    tlog_str(&l, "listen", cfg->listen.host);
    tlog_int(&l, "port", cfg->listen.port);
    if (cfg->has_metrics_listen) {
        tlog_str(&l, "metrics_listen", cfg->metrics_listen.host);
        tlog_int(&l, "metrics_port", cfg->metrics_listen.port);
    }
    tlog_bool(&l, "mtls", cfg->client_ca[0] != '\0');
    tlog_int(&l, "threads", cfg->threads);
    tlog_end(&l);
}

int cmd_serve(int argc, char **argv)
{
    struct serve_config cfg;
    enum serve_config_action action;
    struct tg_error err = {0};
    if (serve_config_parse(argc, argv, &cfg, &action, &err) != TG_OK) {
        char text[sizeof(err.source) + sizeof(err.text) + 32];
        tg_error_format(&err, text, sizeof(text));
        fprintf(stderr, "tollgate serve: %s\n", text);
        return 2;
    }
    if (action == SERVE_HELP) {
        serve_config_usage(stdout);
        return 0;
    }
    tlog_set_level(cfg.log_level);
    sigset_t signals;
    init_process(&cfg, &signals);
    struct reload r;
    struct buf ca;
    buf_init(&ca, MAX_CA_PEM);
    struct server *srv = NULL;
    struct registry *registry = NULL;
    int status = start_up(&r, &cfg, &ca);
    if (status == 0 && registry_opts_open(&cfg.registry, &registry, &err) != TG_OK) {
        log_startup_error("bad registry settings", &err);
        status = 2;
    }
    if (status == 0 && server_start(&cfg, cfg.client_ca[0] ? buf_str(&ca) : NULL,
                                    registry, &srv, &err) != TG_OK) {
        log_startup_error("cannot start the server", &err);
        status = 1;
    }
    struct serve_audit *audit = NULL;
    if (status == 0 && serve_audit_start(&cfg, registry, &audit, &err) != TG_OK) {
        log_startup_error("cannot start the background audit", &err);
        status = 2;
    }
    if (status == 0) {
        log_listening(&cfg);
        control_loop(&r, srv, &signals);
        serve_audit_request_stop(audit); /* it ends while requests drain */
        drain(srv, &cfg, &signals);
    }
    serve_audit_stop(audit); /* releases the Lease */
    server_stop(srv);
    registry_free(registry); /* after the server: no lookup runs any more */
    snapshot_clear();
    tlscreds_clear();
    buf_cleanup(&ca);
    curl_global_cleanup(); /* set up above or by the registry's first lookup, if at all */
    return status;
}
