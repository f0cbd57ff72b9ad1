/* audit_cli.c -- `tollgate audit`: the webhook's verdict on what already runs.
 *
 * Lists every pod-bearing object of the cluster (or of one namespace)
 * through the Kubernetes API, judges each top-level object as the webhook
 * would (audit_scan.h: same engine, policy, exclusions, overrides and
 * exemptions), and prints the report `tollgate check` prints, in the same
 * formats.  --as-enforced drops the audit mode and overrides: what
 * enforcement would deny.  Exit status as check: 0 nothing would be denied,
 * 1 something would be, 2 usage, configuration, API or input error.
 */
#include <curl/curl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "audit_cluster.h"
#include "audit_kinds.h"
#include "audit_scan.h"
#include "check_output.h"
#include "commands.h"
#include "facts_gather.h"
#include "kube_client.h"
#include "kube_config.h"
#include "policy_load.h"
#include "registry_opts.h"

#define MAX_LIMIT 100000L
#define MAX_TIMEOUT_S 3600L

struct audit_opts {
    const char *policy_path;
    const char *kubeconfig;
    const char *context;
    const char *ns;
    enum check_format format;
    bool as_enforced;
    bool offline;
    long limit;
    long timeout_s;
    struct registry_opts registry;
};

static void usage(FILE *out)
{
    fprintf(
        out,
        "Usage: tollgate audit [options]\n"
        "\n"
        "Judge the workloads that already run in a cluster, as the webhook would judge\n"
        "them at admission: Pods, Deployments, ReplicaSets, StatefulSets, DaemonSets,\n"
        "Jobs, CronJobs, ReplicationControllers and PodTemplates, listed through the\n"
        "Kubernetes API.  Each violation is reported once, at the top-level controller\n"
        "(a Deployment, not its ReplicaSets and Pods); objects owned by a kind tollgate\n"
        "does not judge, or by nobody, are reported as themselves.  Objects the policy\n"
        "excludes are not reported.\n"
        "\n"
        "Options:\n"
        "  -p, --policy FILE|DIR   policy file or directory of *.yaml files merged in\n"
        "                          name order (default: $TOLLGATE_POLICY, else the\n"
        "                          built-in defaults)\n"
        "  -n, --namespace NS      audit one namespace (default: all namespaces)\n"
        "      --as-enforced       ignore spec.mode audit and the mode overrides: "
        "report\n"
        "                          what enforcement would deny\n"
        "  -o, --output FORMAT     text (default), json, junit or sarif\n"
        "      --kubeconfig FILE   kubeconfig to use (default: $KUBECONFIG, else\n"
        "                          ~/.kube/config, else the in-cluster service account)\n"
        "      --context NAME      kubeconfig context (default: current-context)\n"
        "      --limit N           objects per list page (default 500)\n"
        "      --request-timeout S seconds one API call may take (default 30)\n"
        "      --offline           make no registry lookups; rules that need one\n"
        "                          (resolveDigest, checkImageUser) say so instead\n"
        "  -h, --help              show this help\n"
        "\n"
        "Registry lookups (made only when the policy asks for them):\n");
    registry_opts_usage(out, 2);
    fprintf(
        out,
        "\n"
        "Needs get and list on the listed kinds (the chart's ClusterRole grants them\n"
        "to tollgate; `kubectl auth can-i list pods -A` tells you about yourself).\n"
        "\n"
        "Exit status: 0 nothing would be denied, 1 something would be denied, 2 usage,\n"
        "configuration, API or input error.\n"
        "\n"
        "Examples:\n"
        "  tollgate audit --policy policies/\n"
        "  tollgate audit --policy policies/ -n shop --as-enforced -o sarif\n");
}

static int bad_usage(const char *fmt, ...) TG_PRINTF(1, 2);

static int bad_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("tollgate audit: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n\n", stderr);
    usage(stderr);
    return 2;
}

static bool parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

enum {
    OPT_KUBECONFIG = 256,
    OPT_CONTEXT,
    OPT_AS_ENFORCED,
    OPT_LIMIT,
    OPT_TIMEOUT,
    OPT_OFFLINE,
    OPT_REGISTRY
};

static const struct option own_options[] = {
    {"policy", required_argument, NULL, 'p'},
    {"namespace", required_argument, NULL, 'n'},
    {"output", required_argument, NULL, 'o'},
    {"help", no_argument, NULL, 'h'},
    {"kubeconfig", required_argument, NULL, OPT_KUBECONFIG},
    {"context", required_argument, NULL, OPT_CONTEXT},
    {"as-enforced", no_argument, NULL, OPT_AS_ENFORCED},
    {"limit", required_argument, NULL, OPT_LIMIT},
    {"request-timeout", required_argument, NULL, OPT_TIMEOUT},
    {"offline", no_argument, NULL, OPT_OFFLINE},
};

#define MAX_OPTIONS 64

/* Our options, then the registry's (registry_opts.h owns their names). */
static void build_options(struct option *all)
{
    size_t n = ARRAY_LEN(own_options);
    memcpy(all, own_options, sizeof(own_options));
    for (const char *const *name = registry_opts_names(); *name && n < MAX_OPTIONS - 1;
         name++)
        all[n++] = (struct option){*name, required_argument, NULL, OPT_REGISTRY};
    all[n] = (struct option){NULL, 0, NULL, 0};
}

/* One option; -1 to go on, else the exit status. */
static int take_option(int c, const struct option *all, int index, struct audit_opts *o)
{
    struct tg_error err = {0};
    switch (c) {
    case 'p':
        o->policy_path = optarg;
        return -1;
    case 'n':
        o->ns = optarg;
        return -1;
    case 'o':
        if (check_format_parse(optarg, &o->format) != TG_OK)
            return bad_usage("unknown output format '%s' (expected text, json, junit or "
                             "sarif)",
                             optarg);
        return -1;
    case OPT_KUBECONFIG:
        o->kubeconfig = optarg;
        return -1;
    case OPT_CONTEXT:
        o->context = optarg;
        return -1;
    case OPT_AS_ENFORCED:
        o->as_enforced = true;
        return -1;
    case OPT_LIMIT:
        return parse_long(optarg, 1, MAX_LIMIT, &o->limit)
                   ? -1
                   : bad_usage("--limit: '%s' is not a number from 1 to 100000", optarg);
    case OPT_TIMEOUT:
        return parse_long(optarg, 1, MAX_TIMEOUT_S, &o->timeout_s)
                   ? -1
                   : bad_usage("--request-timeout: '%s' is not a number of seconds "
                               "from 1 to 3600",
                               optarg);
    case OPT_OFFLINE:
        o->offline = true;
        return -1;
    case OPT_REGISTRY:
        if (registry_opts_set(&o->registry, all[index].name, optarg, &err) == TG_OK)
            return -1;
        fprintf(stderr, "tollgate audit: --%s: %s\n", all[index].name, err.text);
        return 2;
    case 'h':
        usage(stdout);
        return 0;
    default:
        return bad_usage("unknown or incomplete option '%s'", optarg ? optarg : "");
    }
}

static int parse_args(int argc, char **argv, struct audit_opts *o)
{
    struct option all[MAX_OPTIONS];
    build_options(all);
    registry_opts_defaults(&o->registry);
    opterr = 0;
    int c, index = 0;
    while ((c = getopt_long(argc, argv, "p:n:o:h", all, &index)) != -1) {
        if (c == '?' || c == ':')
            return bad_usage("unknown or incomplete option '%s'", argv[optind - 1]);
        int status = take_option(c, all, index, o);
        if (status >= 0)
            return status;
    }
    if (optind < argc)
        return bad_usage("unexpected argument '%s' (audit reads the cluster, not files)",
                         argv[optind]);
    return -1;
}

static void print_error(const struct tg_error *err)
{
    char line[1024];
    tg_error_format(err, line, sizeof(line));
    fprintf(stderr, "tollgate audit: %s\n", line);
}

static enum tg_rc load_policy(const struct audit_opts *o, struct policy **out)
{
    const char *path = o->policy_path ? o->policy_path : getenv("TOLLGATE_POLICY");
    struct tg_error err = {0};
    enum tg_rc rc = TG_OK;
    if (path && path[0]) {
        rc = policy_load_path(path, out, &err);
        if (rc != TG_OK)
            print_error(&err);
    } else if (!(*out = policy_new_default())) {
        rc = TG_ENOMEM;
    }
    if (rc == TG_OK && o->as_enforced)
        policy_force_mode(*out, POLICY_ENFORCE);
    return rc;
}

/* Where the verdicts go: the report's objects, in listing order. */
struct collect {
    json_t *objects;
    bool denied;
    size_t errors;
};

static enum tg_rc collect_entry(void *ctx, const json_t *object, json_t *entry)
{
    struct collect *c = ctx;
    (void)object;
    const char *decision = json_string_value(json_object_get(entry, "decision"));
    if (decision && strcmp(decision, "error") == 0) {
        c->errors++;
        fprintf(stderr, "tollgate audit: %s: cannot be judged: %s\n",
                json_string_value(json_object_get(entry, "source")),
                json_string_value(json_object_get(entry, "error")));
    }
    return json_array_append_new(c->objects, entry) == 0 ? TG_OK : TG_ENOMEM;
}

static void collect_rollback(void *ctx, size_t n)
{
    struct collect *c = ctx;
    while (json_array_size(c->objects) > n)
        json_array_remove(c->objects, json_array_size(c->objects) - 1);
}

static bool any_denied(const json_t *objects)
{
    size_t i;
    const json_t *e;
    json_array_foreach(objects, i, e)
    {
        const char *d = json_string_value(json_object_get(e, "decision"));
        if (d && strcmp(d, "deny") == 0)
            return true;
    }
    return false;
}

static int by_place(const void *pa, const void *pb)
{
    const json_t *a = *(const json_t *const *)pa, *b = *(const json_t *const *)pb;
    int c = strcmp(json_string_value(json_object_get(a, "namespace")),
                   json_string_value(json_object_get(b, "namespace")));
    if (c)
        return c;
    size_t ka = audit_kind_rank(json_string_value(json_object_get(a, "kind")));
    size_t kb = audit_kind_rank(json_string_value(json_object_get(b, "kind")));
    if (ka != kb)
        return ka < kb ? -1 : 1;
    return strcmp(json_string_value(json_object_get(a, "name")),
                  json_string_value(json_object_get(b, "name")));
}

/* By namespace, controllers before what they own, then name: the order of
 * the PolicyReports, and the same output for the same cluster every time. */
static enum tg_rc sort_entries(json_t *objects)
{
    size_t n = json_array_size(objects);
    if (n == 0)
        return TG_OK;
    json_t **items = tg_malloc(n * sizeof(*items));
    if (!items)
        return TG_ENOMEM;
    for (size_t i = 0; i < n; i++)
        items[i] = json_incref(json_array_get(objects, i)); /* moved back below */
    qsort(items, n, sizeof(*items), by_place);
    json_array_clear(objects);
    enum tg_rc rc = TG_OK;
    for (size_t i = 0; i < n; i++) {
        if (json_array_append_new(objects, items[i]) != 0)
            rc = TG_ENOMEM;
    }
    tg_free(items);
    return rc;
}

/* The summary check gives, plus what only a cluster has. */
static enum tg_rc summarize(json_t *report, const struct audit_counts *counts)
{
    if (check_summarize(report) != TG_OK)
        return TG_ENOMEM;
    json_t *sum = json_object_get(report, "summary");
    json_int_t objects = json_integer_value(json_object_get(sum, "objects"));
    int rc = json_object_set_new(sum, "objects",
                                 json_integer(objects + (json_int_t)counts->excluded));
    rc |=
        json_object_set_new(sum, "excluded", json_integer((json_int_t)counts->excluded));
    rc |= json_object_set_new(sum, "listed", json_integer((json_int_t)counts->listed));
    rc |= json_object_set_new(sum, "owned", json_integer((json_int_t)counts->owned));
    return rc ? TG_ENOMEM : TG_OK;
}

static enum tg_rc connect_api(const struct audit_opts *o, struct kube_config **cfg,
                              struct kube_client **client)
{
    struct kube_error err;
    kube_error_clear(&err);
    struct kube_config_opts co = {.kubeconfig = o->kubeconfig, .context = o->context};
    co.mode = o->kubeconfig ? KUBE_CONFIG_KUBECONFIG : KUBE_CONFIG_AUTO;
    struct kube_client_opts cl = {.timeout_ms = o->timeout_s * 1000};
    enum tg_rc rc = kube_config_load(&co, cfg, &err);
    if (rc == TG_OK)
        rc = kube_client_new(*cfg, &cl, client, &err);
    if (rc != TG_OK)
        print_error(&err.base);
    return rc;
}

static enum tg_rc open_registry(const struct audit_opts *o, const struct policy *p,
                                struct registry **out)
{
    struct tg_error err = {0};
    if (o->offline || !facts_need_of(p))
        return TG_OK;
    enum tg_rc rc = registry_opts_open(&o->registry, out, &err);
    if (rc != TG_OK)
        print_error(&err);
    return rc;
}

/* List, judge, print; the exit status. */
static int run(const struct audit_opts *o, const struct policy *p,
               struct kube_client *client, struct registry *registry)
{
    json_t *report = json_pack("{s:s,s:[]}", "command", "audit", "objects");
    if (!report) {
        fputs("tollgate audit: out of memory\n", stderr);
        return 2;
    }
    struct collect c = {.objects = json_object_get(report, "objects")};
    struct facts_gather_ctx gather = {.registry = registry, .policy = p};
    struct audit_scan scan = {
        .policy = p, .sink = collect_entry, .rollback = collect_rollback, .sink_ctx = &c};
    if (registry) {
        scan.gather = facts_gather_admission;
        scan.gather_ctx = &gather;
    }
    struct audit_cluster_opts co = {.ns = o->ns, .limit = o->limit};
    struct kube_error err;
    kube_error_clear(&err);
    int status = 2;
    if (audit_cluster_scan(client, &co, &scan, NULL, &err) != TG_OK) {
        print_error(&err.base); /* nothing is printed of an incomplete pass */
    } else if (sort_entries(c.objects) != TG_OK ||
               summarize(report, &scan.counts) != TG_OK ||
               check_render(report, o->format, stdout) != TG_OK) {
        fputs("tollgate audit: cannot write the report\n", stderr);
    } else {
        status = c.errors ? 2 : any_denied(c.objects) ? 1 : 0;
    }
    json_decref(report);
    return status;
}

int cmd_audit(int argc, char **argv)
{
    struct audit_opts opts = {.format = CHECK_TEXT};
    int status = parse_args(argc, argv, &opts);
    if (status >= 0)
        return status;
    struct policy *policy = NULL;
    struct kube_config *cfg = NULL;
    struct kube_client *client = NULL;
    struct registry *registry = NULL;
    status = 2;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (load_policy(&opts, &policy) == TG_OK &&
        connect_api(&opts, &cfg, &client) == TG_OK &&
        open_registry(&opts, policy, &registry) == TG_OK)
        status = run(&opts, policy, client, registry);
    registry_free(registry);
    kube_client_free(client);
    kube_config_free(cfg);
    policy_free(policy);
    curl_global_cleanup();
    return status;
}
