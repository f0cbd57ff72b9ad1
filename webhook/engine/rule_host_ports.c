/* rule_host_ports.c -- containers do not open ports on the node.
 *
 * A hostPort maps a port of the node to the container: it bypasses the
 * Service in front of the workload, and only one such pod fits per node
 * (Pod Security Standards, baseline: "Host Ports").  Every container list
 * is judged, as the standard lists them (the API server refuses ports on
 * ephemeral containers anyway).  hostPort 0 means none.  In a pod with
 * hostNetwork: true every containerPort is a port of the node, with or
 * without hostPort (the API server fills hostPort in from it), so a
 * manifest cannot hide a host port by leaving the field out.  Ports the
 * policy allows (single ports and ranges) pass; by default none does.
 * No automatic fix: removing a host port breaks whoever connects to it.
 */
#include "rules.h"

#define RULE_ID "hostPorts"

static bool is_allowed(const struct host_ports_config *cfg, json_int_t port)
{
    for (size_t i = 0; i < cfg->n_allowed; i++) {
        if (port >= cfg->allowed[i].lo && port <= cfg->allowed[i].hi)
            return true;
    }
    return false;
}

static bool pod_on_host_network(const struct rule_ctx *ctx)
{
    const json_t *v = json_object_get(ctx->pod->spec, "hostNetwork");
    return v && !json_is_false(v) && !json_is_null(v); /* as hostNamespaces reads it */
}

/* One entry of ports[]: its host port, through hostPort or hostNetwork. */
static enum tg_rc judge_port(const struct rule_ctx *ctx, const struct container *c,
                             size_t i, bool host_network, struct findings *out)
{
    const json_t *p = json_array_get(json_object_get(c->spec, "ports"), i);
    const json_t *host = json_object_get(p, "hostPort");
    const json_t *container_port = json_object_get(p, "containerPort");
    const char *field = "hostPort";
    bool unset = !host || json_is_null(host) ||
                 (json_is_integer(host) && json_integer_value(host) == 0);
    if (unset && host_network) {
        host = container_port; /* the API server sets hostPort to it */
        field = "containerPort";
    }
    if (!host || json_is_null(host))
        return TG_OK;
    char *at = arena_printf(ctx->arena, "ports/%zu/%s", i, field);
    if (!at)
        return TG_ENOMEM;
    if (!json_is_integer(host) || json_integer_value(host) < 0 ||
        json_integer_value(host) > 65535)
        return findings_addf(out, RULE_ID, c, at, NULL,
                             "%s is not a port number (0-65535), so it cannot be checked "
                             "against the allowed host ports; remove it or write the "
                             "port as a number",
                             field);
    json_int_t port = json_integer_value(host);
    if (port == 0 || is_allowed(&ctx->policy->host_ports, port))
        return TG_OK;
    if (field[0] == 'c')
        return findings_addf(out, RULE_ID, c, at, NULL,
                             "containerPort %lld is a port of the node itself "
                             "(hostNetwork: true); leave the host network, or allow "
                             "the port in hostPorts.allowed",
                             (long long)port);
    return findings_addf(out, RULE_ID, c, at, NULL,
                         "hostPort %lld opens port %lld on the node; remove hostPort "
                         "and reach the container through a Service, or allow the "
                         "port in hostPorts.allowed",
                         (long long)port, (long long)port);
}

enum tg_rc rule_host_ports_eval(const struct rule_ctx *ctx, const struct container *c,
                                struct findings *out)
{
    size_t n = json_array_size(json_object_get(c->spec, "ports"));
    bool host_network = n && pod_on_host_network(ctx);
    for (size_t i = 0; i < n; i++) {
        enum tg_rc rc = judge_port(ctx, c, i, host_network, out);
        if (rc != TG_OK)
            return rc;
    }
    return TG_OK;
}
