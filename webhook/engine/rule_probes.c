/* rule_probes.c -- long-running containers must say how to check them.
 *
 * Without a readiness probe a Service sends traffic to a container that is
 * still starting; without a liveness probe a hung process is never
 * restarted.  Required probes (policy: liveness, readiness, optionally
 * startup) apply to app containers and to native sidecars (init containers
 * with restartPolicy: Always, which run for the pod's life).  Plain init
 * containers run to completion and ephemeral containers are debugging
 * shells: the API server rejects probes on both, so they are exempt.
 * Batch pods (restartPolicy OnFailure or Never: Jobs, CronJobs and the
 * pods they create) run to completion and serve no traffic, so their app
 * containers are exempt too; a native sidecar in them is still judged.
 * Fix (mutate, addDefaultTcp): a tcpSocket probe on the container's only
 * TCP port, with the policy's timings.  With no port or several, there is
 * no safe guess: the finding stays.
 */
#include <string.h>

#include "rules.h"

#define RULE_ID "probes"

static const struct {
    enum probe_kind kind;
    const char *field;
    const char *name;
} probe_fields[] = {
    {PROBE_LIVENESS, "livenessProbe", "liveness"},
    {PROBE_READINESS, "readinessProbe", "readiness"},
    {PROBE_STARTUP, "startupProbe", "startup"},
};

/* The container's only TCP containerPort, or -1 (none, several, or not a
 * number). */
static json_int_t only_tcp_port(const struct container *c)
{
    const json_t *ports = json_object_get(c->spec, "ports");
    json_int_t found = -1;
    size_t n_tcp = 0;
    for (size_t i = 0; i < json_array_size(ports); i++) {
        const json_t *p = json_array_get(ports, i);
        const char *proto = json_string_value(json_object_get(p, "protocol"));
        if (proto && strcmp(proto, "TCP") != 0)
            continue;
        const json_t *num = json_object_get(p, "containerPort");
        if (!json_is_integer(num))
            return -1;
        found = json_integer_value(num);
        n_tcp++;
    }
    return n_tcp == 1 ? found : -1;
}

static json_t *tcp_probe(const struct probe_defaults *d, json_int_t port)
{
    return json_pack("{s:{s:I},s:i,s:i,s:i,s:i}", "tcpSocket", "port", port,
                     "initialDelaySeconds", d->initial_delay_seconds, "periodSeconds",
                     d->period_seconds, "timeoutSeconds", d->timeout_seconds,
                     "failureThreshold", d->failure_threshold);
}

static enum tg_rc missing_probe(const struct rule_ctx *ctx, const struct container *c,
                                size_t which, struct findings *out)
{
    const struct probes_config *cfg = &ctx->policy->probes;
    json_int_t port = cfg->add_default_tcp ? only_tcp_port(c) : -1;
    struct finding *fnd;
    enum tg_rc rc = findings_addf(
        out, RULE_ID, c, probe_fields[which].field, &fnd,
        "%s is not set; add a %s probe (httpGet, tcpSocket, exec or grpc) so the "
        "kubelet can %s",
        probe_fields[which].field, probe_fields[which].name,
        probe_fields[which].kind == PROBE_READINESS  ? "hold traffic until it is ready"
        : probe_fields[which].kind == PROBE_LIVENESS ? "restart it when it hangs"
                                                     : "wait for a slow start");
    if (rc != TG_OK || port < 0)
        return rc;
    char *ptr = arena_printf(ctx->arena, "%s/%s", c->pointer, probe_fields[which].field);
    if (!ptr)
        return TG_ENOMEM;
    return finding_add_fix(out, fnd, ptr, tcp_probe(&cfg->defaults, port));
}

static bool is_batch_pod(const struct podspec *pod)
{
    const char *policy = json_string_value(json_object_get(pod->spec, "restartPolicy"));
    return policy && strcmp(policy, "Always") != 0;
}

enum tg_rc rule_probes_eval(const struct rule_ctx *ctx, const struct container *c,
                            struct findings *out)
{
    if (c->kind == CONTAINER_EPHEMERAL || (c->kind == CONTAINER_INIT && !c->is_sidecar))
        return TG_OK; /* the API server rejects probes on these */
    if (c->kind == CONTAINER_APP && is_batch_pod(ctx->pod))
        return TG_OK;
    for (size_t i = 0; i < ARRAY_LEN(probe_fields); i++) {
        if (!(ctx->policy->probes.required & probe_fields[i].kind))
            continue;
        const json_t *probe = json_object_get(c->spec, probe_fields[i].field);
        if (probe && !json_is_null(probe))
            continue;
        enum tg_rc rc = missing_probe(ctx, c, i, out);
        if (rc != TG_OK)
            return rc;
    }
    return TG_OK;
}
