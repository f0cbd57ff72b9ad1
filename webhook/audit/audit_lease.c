/* audit_lease.c -- acquire, renew, take over and release a Lease. */
#include "audit_lease.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"

const struct kube_resource AUDIT_RES_LEASES = {"coordination.k8s.io/v1", "leases",
                                               "Lease", true};

#define PATH_BYTES 1024
#define NS_PER_S 1000000000ULL

static enum tg_rc copy_name(char *dst, size_t len, const char *src, const char *what,
                            struct tg_error *err)
{
    if (!src || !src[0] || strlen(src) >= len)
        return tg_error_setf(err, TG_EINVAL, "lease %s must be 1-%zu bytes", what,
                             len - 1);
    memcpy(dst, src, strlen(src) + 1);
    return TG_OK;
}

enum tg_rc audit_lease_init(struct audit_lease *l, const char *ns, const char *name,
                            const char *identity, unsigned duration_s,
                            struct tg_error *err)
{
    memset(l, 0, sizeof(*l));
    if (duration_s < 2)
        return tg_error_setf(err, TG_EINVAL, "lease duration must be at least 2 s");
    enum tg_rc rc = copy_name(l->ns, sizeof(l->ns), ns, "namespace", err);
    if (rc == TG_OK)
        rc = copy_name(l->name, sizeof(l->name), name, "name", err);
    if (rc == TG_OK)
        rc = copy_name(l->identity, sizeof(l->identity), identity, "identity", err);
    l->duration_s = duration_s;
    /* Step down with a third of the duration to spare, so nobody else can
     * take over while we still believe we hold it. */
    l->renew_deadline_ns = (uint64_t)duration_s * NS_PER_S * 2 / 3;
    return rc;
}

void audit_lease_microtime(const struct timespec *t, char out[40])
{
    struct tm tm;
    char date[32];
    gmtime_r(&t->tv_sec, &tm);
    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
    unsigned us = (unsigned)((t->tv_nsec / 1000) % 1000000);
    snprintf(out, 40, "%.20s.%06uZ", date, us);
}

static void now_microtime(char out[40])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    audit_lease_microtime(&ts, out);
}

static const char *spec_str(const json_t *lease, const char *key)
{
    const char *s =
        json_string_value(json_object_get(json_object_get(lease, "spec"), key));
    return s ? s : "";
}

static long long spec_int(const json_t *lease, const char *key)
{
    return (long long)json_integer_value(
        json_object_get(json_object_get(lease, "spec"), key));
}

static const char *rv_of(const json_t *lease)
{
    const char *s = json_string_value(
        json_object_get(json_object_get(lease, "metadata"), "resourceVersion"));
    return s ? s : "";
}

/* Note what the Lease says; a changed record restarts its expiry clock. */
static void observe(struct audit_lease *l, const json_t *lease, uint64_t now_ns)
{
    const char *holder = spec_str(lease, "holderIdentity");
    const char *renew = spec_str(lease, "renewTime");
    const char *rv = rv_of(lease);
    if (strcmp(holder, l->seen_holder) == 0 && strcmp(renew, l->seen_renew) == 0 &&
        strcmp(rv, l->seen_rv) == 0)
        return;
    snprintf(l->seen_holder, sizeof(l->seen_holder), "%s", holder);
    snprintf(l->seen_renew, sizeof(l->seen_renew), "%s", renew);
    snprintf(l->seen_rv, sizeof(l->seen_rv), "%s", rv);
    l->seen_at_ns = now_ns;
}

static json_t *lease_body(const struct audit_lease *l, const char *holder,
                          unsigned duration_s, const char *rv)
{
    char now[40];
    now_microtime(now);
    json_t *body =
        json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s,s:i,s:s,s:s,s:i}}", "apiVersion",
                  AUDIT_RES_LEASES.group_version, "kind", AUDIT_RES_LEASES.kind,
                  "metadata", "name", l->name, "namespace", l->ns, "spec",
                  "holderIdentity", holder, "leaseDurationSeconds", (int)duration_s,
                  "acquireTime", l->acquire_time[0] ? l->acquire_time : now, "renewTime",
                  now, "leaseTransitions", (int)l->transitions);
    if (body && rv &&
        json_object_set_new(json_object_get(body, "metadata"), "resourceVersion",
                            json_string(rv)) != 0) {
        json_decref(body);
        return NULL;
    }
    return body;
}

/* Send `body` (POST without rv, PUT with it); on success we hold it. */
static enum tg_rc write_lease(struct audit_lease *l, struct kube_client *c, json_t *body,
                              bool create, uint64_t now_ns, struct kube_error *err)
{
    struct buf path;
    buf_init(&path, PATH_BYTES);
    json_t *answer = NULL;
    enum tg_rc rc =
        body ? kube_resource_path(&path, &AUDIT_RES_LEASES, l->ns,
                                  create ? NULL : l->name, err)
             : kube_error_set(err, TG_ENOMEM, KUBE_FAULT_LOCAL, NULL, "out of memory");
    if (rc == TG_OK && create)
        rc = kube_client_create(c, buf_str(&path), body, &answer, err);
    else if (rc == TG_OK)
        rc = kube_client_replace(c, buf_str(&path), body, &answer, err);
    if (rc == TG_OK) {
        observe(l, answer, now_ns);
        l->held = true;
        l->renewed_at_ns = now_ns;
    }
    json_decref(answer);
    buf_cleanup(&path);
    return rc;
}

/* An API error: we still count as holder until the renew deadline. */
static enum tg_rc failed(struct audit_lease *l, enum tg_rc rc, uint64_t now_ns,
                         bool *held)
{
    l->held = l->held && now_ns - l->renewed_at_ns < l->renew_deadline_ns;
    *held = l->held;
    return rc;
}

/* 409: another replica wrote first; we are (now) a candidate. */
static enum tg_rc lost_race(struct audit_lease *l, bool *held)
{
    l->held = false;
    *held = false;
    return TG_OK;
}

static enum tg_rc create_lease(struct audit_lease *l, struct kube_client *c,
                               uint64_t now_ns, bool *held, struct kube_error *err)
{
    l->transitions = 0;
    l->acquire_time[0] = '\0';
    json_t *body = lease_body(l, l->identity, l->duration_s, NULL);
    enum tg_rc rc = write_lease(l, c, body, true, now_ns, err);
    json_decref(body);
    if (rc != TG_OK)
        return err->http_code == 409 ? lost_race(l, held) : failed(l, rc, now_ns, held);
    *held = true;
    return TG_OK;
}

enum tg_rc audit_lease_try(struct audit_lease *l, struct kube_client *c, uint64_t now_ns,
                           bool *held, struct kube_error *err)
{
    struct buf path;
    buf_init(&path, PATH_BYTES);
    json_t *lease = NULL;
    enum tg_rc rc = kube_resource_path(&path, &AUDIT_RES_LEASES, l->ns, l->name, err);
    if (rc == TG_OK)
        rc = kube_client_get(c, buf_str(&path), &lease, err);
    buf_cleanup(&path);
    if (rc == TG_ENOTFOUND)
        return create_lease(l, c, now_ns, held, err);
    if (rc != TG_OK)
        return failed(l, rc, now_ns, held);
    observe(l, lease, now_ns);
    bool mine = strcmp(l->seen_holder, l->identity) == 0;
    long long duration = spec_int(lease, "leaseDurationSeconds");
    uint64_t expires = l->seen_at_ns + (uint64_t)(duration > 0 ? duration : 1) * NS_PER_S;
    if (!mine && l->seen_holder[0] && now_ns < expires) {
        json_decref(lease);
        l->held = false;
        *held = false;
        return TG_OK; /* someone else holds it, and renews it */
    }
    if (mine) {
        snprintf(l->acquire_time, sizeof(l->acquire_time), "%s",
                 spec_str(lease, "acquireTime"));
        l->transitions = (unsigned)spec_int(lease, "leaseTransitions");
    } else {
        l->acquire_time[0] = '\0';
        l->transitions = (unsigned)spec_int(lease, "leaseTransitions") + 1;
    }
    json_t *body = lease_body(l, l->identity, l->duration_s, rv_of(lease));
    rc = write_lease(l, c, body, false, now_ns, err);
    json_decref(body);
    json_decref(lease);
    if (rc != TG_OK)
        return err->http_code == 409 ? lost_race(l, held) : failed(l, rc, now_ns, held);
    *held = true;
    return TG_OK;
}

enum tg_rc audit_lease_release(struct audit_lease *l, struct kube_client *c,
                               struct kube_error *err)
{
    if (!l->held)
        return TG_OK;
    l->held = false;
    json_t *body = lease_body(l, "", 1, l->seen_rv);
    struct buf path;
    buf_init(&path, PATH_BYTES);
    enum tg_rc rc =
        body ? kube_resource_path(&path, &AUDIT_RES_LEASES, l->ns, l->name, err)
             : TG_ENOMEM;
    if (rc == TG_OK)
        rc = kube_client_replace(c, buf_str(&path), body, NULL, err);
    buf_cleanup(&path);
    json_decref(body);
    /* 409: someone changed it meanwhile, so it is not ours to release. */
    return rc == TG_EIO && err->http_code == 409 ? TG_OK : rc;
}
