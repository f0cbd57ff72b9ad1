/* reload.c -- fingerprints, and reloading the policy and the certificates. */
#include "reload.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "metrics.h"
#include "policy_load.h"
#include "snapshot.h"
#include "tlog.h"
#include "tlscreds.h"
#include "x509.h"

#define FNV_OFFSET 0xcbf29ce484222325u
#define FNV_PRIME 0x100000001b3u

static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= FNV_PRIME;
    }
    return h;
}

static uint64_t hash_file(uint64_t h, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        return fnv(h ^ 0x5a5a5a5a, &e, sizeof(e));
    }
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        h = fnv(h, chunk, n);
    fclose(f);
    return h;
}

/* The files policy_load_path reads from a directory. */
static int is_policy_file(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    if (e->d_name[0] == '.') /* also ..data and the ..2024_ directories */
        return 0;
    return (n > 5 && strcmp(e->d_name + n - 5, ".yaml") == 0) ||
           (n > 4 && strcmp(e->d_name + n - 4, ".yml") == 0);
}

static uint64_t hash_dir(uint64_t h, const char *dir)
{
    struct dirent **list = NULL;
    int n = scandir(dir, &list, is_policy_file, alphasort);
    if (n < 0) {
        int e = errno;
        return fnv(h ^ 0xa5a5a5a5, &e, sizeof(e));
    }
    for (int i = 0; i < n; i++) {
        char path[SERVE_PATH_MAX + 256];
        snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
        h = fnv(h, list[i]->d_name, strlen(list[i]->d_name) + 1);
        h = hash_file(h, path);
        free(list[i]);
    }
    free(list);
    return h;
}

uint64_t reload_fingerprint(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return hash_dir(FNV_OFFSET, path);
    return hash_file(FNV_OFFSET, path);
}

static uint64_t cert_fingerprint(const struct serve_config *cfg)
{
    return fnv(reload_fingerprint(cfg->tls_cert), "", 1) ^
           reload_fingerprint(cfg->tls_key) * FNV_PRIME;
}

void reload_init(struct reload *r, const struct serve_config *cfg)
{
    memset(r, 0, sizeof(*r));
    r->cfg = cfg;
    r->policy.loaded = r->policy.pending = reload_fingerprint(cfg->policy);
    r->cert.loaded = r->cert.pending = cert_fingerprint(cfg);
}

enum tg_rc reload_policy(struct reload *r, struct tg_error *err)
{
    struct policy *p = NULL;
    enum tg_rc rc = policy_load_path(r->cfg->policy, &p, err);
    if (rc == TG_OK) {
        struct snapshot *s = snapshot_new(p, r->generation + 1); /* takes p */
        if (s) {
            r->generation++;
            snapshot_publish(s);
        } else {
            rc = tg_error_set(err, TG_ENOMEM, r->cfg->policy, 0, 0, "out of memory");
        }
    }
    metrics_policy_reload(rc == TG_OK);
    return rc;
}

enum tg_rc reload_certs(struct reload *r, struct tg_error *err)
{
    struct x509_info info;
    struct tlscreds *c = NULL;
    enum tg_rc rc =
        x509_check_pair(r->cfg->tls_cert, r->cfg->tls_key, time(NULL), &info, err);
    if (rc == TG_OK)
        rc = tlscreds_load(r->cfg->tls_cert, r->cfg->tls_key, &c, err);
    metrics_cert_reload(rc == TG_OK);
    if (rc != TG_OK)
        return rc;
    struct tlog_line l;
    tlog_begin(&l, TLOG_INFO, "serving certificate loaded");
    tlog_str(&l, "subject", info.subject);
    tlog_str(&l, "key_type", info.key_type);
    tlog_str(&l, "sha256", tlscreds_fingerprint(c));
    tlog_int(&l, "not_after", (long long)info.not_after);
    tlog_end(&l);
    tlscreds_publish(c);
    metrics_set_cert_expiry(info.not_after);
    return TG_OK;
}

static void log_failure(const char *what, const char *trigger, const struct tg_error *err)
{
    char text[sizeof(err->source) + sizeof(err->text) + 32];
    tg_error_format(err, text, sizeof(text));
    struct tlog_line l;
    tlog_begin(&l, TLOG_ERROR, what);
    tlog_str(&l, "trigger", trigger);
    tlog_str(&l, "error", text);
    tlog_end(&l);
}

static void policy_now(struct reload *r, const char *trigger)
{
    struct tg_error err = {0};
    if (reload_policy(r, &err) != TG_OK) {
        log_failure("policy reload failed; the previous policy stays in force", trigger,
                    &err);
        return;
    }
    struct tlog_line l;
    tlog_begin(&l, TLOG_INFO, "policy loaded");
    tlog_str(&l, "source", r->cfg->policy);
    tlog_str(&l, "trigger", trigger);
    tlog_int(&l, "generation", (long long)r->generation);
    tlog_end(&l);
}

void reload_on_signal(struct reload *r)
{
    r->policy.loaded = r->policy.pending = reload_fingerprint(r->cfg->policy);
    policy_now(r, "SIGHUP");
}

/* True once `fp` differs from what was loaded and was seen the poll
 * before too. */
static bool changed_and_stable(struct watched *w, uint64_t fp)
{
    bool stable = fp == w->pending;
    w->pending = fp;
    if (fp == w->loaded || !stable)
        return false;
    w->loaded = fp; /* a failed load is not retried until the files change again */
    return true;
}

void reload_poll(struct reload *r)
{
    if (changed_and_stable(&r->policy, reload_fingerprint(r->cfg->policy)))
        policy_now(r, "file change");
    if (changed_and_stable(&r->cert, cert_fingerprint(r->cfg))) {
        struct tg_error err = {0};
        if (reload_certs(r, &err) != TG_OK)
            log_failure(
                "certificate reload failed; the previous certificate keeps serving",
                "file change", &err);
    }
}
