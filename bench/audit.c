/* audit.c -- bench_audit: how fast the audit judges listed objects, and
 * what a scan costs in memory.
 *
 * Builds 10,000 pods' worth of list pages (PodList JSON as the API server
 * sends it: 250 items a page (serve's default), metadata with labels, annotations,
 * ownerReferences, managedFields and status, two containers each, one pod
 * in three breaking a rule), one page at a time, as they would arrive, and
 * runs each through what the background audit does with a page in
 * process: parse it, set kind and apiVersion on the items (kube_list),
 * judge every item (audit_scan_item into an audit_report), then group the
 * verdicts and render every namespace's PolicyReport.  No API server and
 * no network: API latency is excluded by construction.  Reported per scan:
 * objects/s for the whole in-process work and for judging alone (the
 * parse excluded), CPU time (one thread), and the peak RSS growth over the
 * scan (VmHWM reset through /proc/self/clear_refs before it).  Two mixes:
 * `bare` (every pod top-level: each one judged, the worst case) and
 * `owned` (nine in ten owned by a ReplicaSet: what a cluster of
 * Deployments lists).  Figures, not a test: nothing is asserted about
 * speed.  Build Release without sanitizers; pin with `taskset -c N`.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc_json.h"
#include "audit_report.h"
#include "audit_scan.h"
#include "buf.h"
#include "engine.h"
#include "jsondec.h"
#include "kube_resource.h"
#include "policy.h"
#include "policy_load.h"

#define N_PODS 10000
#define PAGE 250 /* serve's --audit-page-size default */
#define N_NAMESPACES 50
#define SCANS 3

struct options {
    const char *policy_path;
    const char *json_path; /* NULL: no JSON file */
    int pods;
    int scans;
    int page;           /* items per list page */
    const char *parser; /* jansson (kube_client's), jsondec, lean */
};

struct figures {
    const char *mix;
    int scan;
    int page;
    const char *parser;
    size_t judged, owned;
    double judge_s, parse_s, report_s, cpu_s;
    long rss_before_kb, hwm_kb;
    size_t report_bytes;
};

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A field of /proc/self/status in kB ("VmRSS", "VmHWM"), or -1. */
static long status_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    size_t len = strlen(field);
    while (f && fgets(line, sizeof(line), f)) {
        if (strncmp(line, field, len) == 0 && line[len] == ':')
            kb = strtol(line + len + 1, NULL, 10);
    }
    if (f)
        fclose(f);
    return kb;
}

/* Start the peak-RSS count again (Linux 4.0+: "5" resets VmHWM). */
static void reset_hwm(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) {
        fputs("5", f);
        fclose(f);
    }
}

/* One pod as a PodList item: about 2.3 kB, like a real one. */
static enum tg_rc pod_item(struct buf *b, int i, bool first, bool owned)
{
    int ns = i % N_NAMESPACES;
    bool bad = i % 3 == 0;
    enum tg_rc rc = buf_appendf(
        b,
        "%s{\"metadata\":{\"name\":\"web-%d\",\"namespace\":\"team-%02d\","
        "\"uid\":\"00000000-0000-4000-8000-%012d\",\"resourceVersion\":\"%d\","
        "\"creationTimestamp\":\"2026-11-20T08:14:03Z\",\"generateName\":\"web-\","
        "\"labels\":{\"app.kubernetes.io/"
        "name\":\"web\",\"pod-template-hash\":\"7d9f8c6b5\","
        "\"team\":\"t%02d\"},\"annotations\":{\"kubectl.kubernetes.io/restartedAt\":"
        "\"2026-11-20T08:00:00Z\",\"prometheus.io/scrape\":\"true\"}",
        first ? "" : ",", i, ns, i, 100000 + i, ns);
    if (rc == TG_OK && owned)
        rc = buf_appendf(b,
                         ",\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":"
                         "\"ReplicaSet\",\"name\":\"web-7d9f8c6b5\",\"uid\":\"rs-%d\","
                         "\"controller\":true,\"blockOwnerDeletion\":true}]",
                         ns);
    if (rc == TG_OK)
        rc = buf_appendf(
            b,
            ",\"managedFields\":[{\"manager\":\"kube-controller-manager\",\"operation\":"
            "\"Update\",\"apiVersion\":\"v1\",\"time\":\"2026-11-20T08:14:03Z\","
            "\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:metadata\":{\"f:labels\":{}}}}"
            "]},"
            "\"spec\":{\"securityContext\":{\"runAsNonRoot\":true,\"runAsUser\":10001},"
            "\"containers\":[{\"name\":\"web\",\"image\":\"%s\",\"ports\":[{"
            "\"containerPort\":8080,\"protocol\":\"TCP\"}],\"env\":[{\"name\":\"MODE\","
            "\"value\":\"prod\"}],\"resources\":{\"requests\":{\"cpu\":\"100m\","
            "\"memory\":"
            "\"128Mi\"}},\"livenessProbe\":{\"httpGet\":{\"path\":\"/healthz\",\"port\":"
            "8080}},\"readinessProbe\":{\"httpGet\":{\"path\":\"/ready\",\"port\":8080}},"
            "\"imagePullPolicy\":\"IfNotPresent\",\"terminationMessagePath\":"
            "\"/dev/termination-log\"},{\"name\":\"sidecar\",\"image\":"
            "\"ghcr.io/acme/proxy:2.1\",%s\"livenessProbe\":{\"tcpSocket\":{\"port\":"
            "15000}},\"readinessProbe\":{\"tcpSocket\":{\"port\":15000}}}],"
            "\"restartPolicy\":\"Always\",\"dnsPolicy\":\"ClusterFirst\","
            "\"serviceAccountName\":\"default\",\"nodeName\":\"node-%d\"},"
            "\"status\":{\"phase\":\"Running\",\"podIP\":\"10.1.%d.%d\",\"conditions\":[{"
            "\"type\":\"Ready\",\"status\":\"True\"}],\"containerStatuses\":[{\"name\":"
            "\"web\",\"ready\":true,\"restartCount\":0}]}}",
            bad ? "nginx:latest" : "ghcr.io/acme/web:1.14.2",
            bad ? "\"securityContext\":{\"runAsUser\":0}," : "", i % 7, i / 250 % 250,
            i % 250);
    return rc;
}

/* Page `p` of the PodList as the API server would send it. */
static enum tg_rc page_text(struct buf *b, int p, const struct options *o, bool owned_mix)
{
    buf_reset(b);
    enum tg_rc rc = buf_appends(b, "{\"kind\":\"PodList\",\"apiVersion\":\"v1\","
                                   "\"metadata\":{\"resourceVersion\":\"900000\"},"
                                   "\"items\":[");
    for (int i = p * o->page; rc == TG_OK && i < (p + 1) * o->page && i < o->pods; i++)
        rc = pod_item(b, i, i == p * o->page, owned_mix && i % 10 != 0);
    return rc == TG_OK ? buf_appends(b, "]}") : rc;
}

static enum tg_rc report_sink(void *ctx, const json_t *object, json_t *entry)
{
    (void)object;
    enum tg_rc rc = audit_report_add(ctx, entry);
    json_decref(entry);
    return rc;
}

/* Judge one page's items (kind and apiVersion set first, as kube_list). */
static enum tg_rc judge_page(struct audit_scan *s, json_t *list, double *judge_s)
{
    json_t *items = json_object_get(list, "items");
    size_t i;
    json_t *item;
    double t0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
    enum tg_rc rc = TG_OK;
    json_array_foreach(items, i, item)
    {
        if (json_object_set_new(item, "kind", json_string("Pod")) != 0 ||
            json_object_set_new(item, "apiVersion", json_string("v1")) != 0)
            return TG_ENOMEM;
        rc = audit_scan_item(s, &KUBE_RES_PODS, item);
        if (rc != TG_OK)
            return rc;
    }
    *judge_s += clock_s(CLOCK_THREAD_CPUTIME_ID) - t0;
    return rc;
}

/* Every namespace's PolicyReport, rendered and dropped: the writer's work. */
static enum tg_rc render_all(const struct audit_report *r, size_t *bytes)
{
    for (size_t i = 0; i < audit_report_n_namespaces(r); i++) {
        json_t *doc = NULL;
        enum tg_rc rc = audit_report_namespace_json(r, i, &doc);
        if (rc != TG_OK)
            return rc;
        *bytes += json_dumpb(doc, NULL, 0, JSON_COMPACT);
        json_decref(doc);
    }
    return TG_OK;
}

/* engine_unread_members for `p` but ownerReferences, which the audit reads. */
static const char *const *lean_keys(const struct policy *p)
{
    static const char *keys[ENGINE_UNREAD_CAP];
    const char *unread[ENGINE_UNREAD_CAP];
    size_t n = 0;
    for (const char *const *k = engine_unread_members(p, unread); *k; k++) {
        if (strcmp(*k, "ownerReferences") != 0)
            keys[n++] = *k;
    }
    keys[n] = NULL;
    return keys;
}

/* The page's bytes to a tree, as --parser says. */
static json_t *parse_page(const struct options *o, const struct policy *p,
                          const struct buf *text)
{
    json_t *out = NULL;
    if (strcmp(o->parser, "jansson") == 0)
        return json_loadb(buf_str(text), buf_len(text), 0, NULL);
    struct jsondec_opts jo = {.raw_keys = lean_keys(p)};
    bool lean = strcmp(o->parser, "lean") == 0;
    if (jsondec_parse_opts(buf_str(text), buf_len(text), "page", lean ? &jo : NULL, &out,
                           NULL) != TG_OK)
        return NULL;
    return out;
}

static double since(double t0)
{
    return clock_s(CLOCK_THREAD_CPUTIME_ID) - t0;
}

static enum tg_rc one_scan(const struct policy *p, const struct options *o, bool owned,
                           struct figures *f)
{
    struct audit_report *r = audit_report_new(p, time(NULL));
    if (!r)
        return TG_ENOMEM;
    struct audit_scan s = {.policy = p, .sink = report_sink, .sink_ctx = r};
    struct buf text;
    buf_init(&text, 0);
    enum tg_rc rc = TG_OK;
    for (int pg = 0; rc == TG_OK && pg * o->page < o->pods; pg++) {
        /* Making the page's bytes stands for the network: not the scan's work. */
        rc = page_text(&text, pg, o, owned);
        double t0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
        json_t *list = rc == TG_OK ? parse_page(o, p, &text) : NULL;
        f->parse_s += since(t0);
        rc = list ? judge_page(&s, list, &f->judge_s) : TG_ENOMEM;
        t0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
        json_decref(list);
        f->parse_s += since(t0); /* freeing the page is the parser's too */
    }
    double t0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
    if (rc == TG_OK)
        rc = audit_report_finish(r);
    if (rc == TG_OK)
        rc = render_all(r, &f->report_bytes);
    f->report_s = since(t0);
    f->cpu_s = f->parse_s + f->judge_s + f->report_s;
    f->judged = s.counts.judged;
    f->owned = s.counts.owned;
    f->hwm_kb = status_kb("VmHWM");
    buf_cleanup(&text);
    audit_report_free(r);
    return rc;
}

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: bench_audit [--policy FILE|DIR] [--pods N] [--scans N] "
            "[--json FILE]\n"
            "  --policy   policy to judge with (default: the built-in defaults)\n"
            "  --pods     pods listed per scan (default 10000, pages of 500)\n"
            "  --scans    scans per mix (default 3)\n"
            "  --page     items per list page (default 250, serve's --audit-page-size)\n"
            "  --parser   jansson (what kube_client uses, the default), jsondec\n"
            "             (tollgate's decoder), lean (jsondec leaving the members\n"
            "             the engine never reads unbuilt)\n"
            "  --json     also write the figures as JSON\n");
}

static int parse_args(int argc, char **argv, struct options *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (!v) {
            usage(stderr);
            return 2;
        }
        if (strcmp(a, "--policy") == 0)
            o->policy_path = v;
        else if (strcmp(a, "--json") == 0)
            o->json_path = v;
        else if (strcmp(a, "--pods") == 0)
            o->pods = (int)strtol(v, NULL, 10);
        else if (strcmp(a, "--scans") == 0)
            o->scans = (int)strtol(v, NULL, 10);
        else if (strcmp(a, "--page") == 0)
            o->page = (int)strtol(v, NULL, 10);
        else if (strcmp(a, "--parser") == 0)
            o->parser = v;
        else {
            usage(stderr);
            return 2;
        }
        i++;
    }
    bool parser_ok = strcmp(o->parser, "jansson") == 0 ||
                     strcmp(o->parser, "jsondec") == 0 || strcmp(o->parser, "lean") == 0;
    return o->pods > 0 && o->scans > 0 && o->page > 0 && parser_ok ? -1 : 2;
}

static struct policy *load_policy(const char *path)
{
    if (!path)
        return policy_new_default();
    struct policy *p = NULL;
    struct tg_error err = {0};
    if (policy_load_path(path, &p, &err) != TG_OK)
        fprintf(stderr, "bench_audit: %s: %s\n", path, err.text);
    return p;
}

static void print_figures(const struct figures *f)
{
    double n = (double)(f->judged + f->owned);
    printf("%-5s %-7s page %3d scan %d: %5zu judged %5zu owned | judging %7.0f/s | with "
           "parse and reports %6.0f/s (parse %4.0f ms, judge %4.0f ms, reports %4.0f ms) "
           "| RSS +%4.1f MB, peak %4.1f MB\n",
           f->mix, f->parser, f->page, f->scan, f->judged, f->owned, n / f->judge_s,
           n / f->cpu_s, f->parse_s * 1000, f->judge_s * 1000, f->report_s * 1000,
           (double)(f->hwm_kb - f->rss_before_kb) / 1024, (double)f->hwm_kb / 1024);
}

static void write_json(const struct figures *f, size_t n, const char *path)
{
    json_t *rows = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            rows,
            json_pack("{s:s,s:i,s:i,s:I,s:I,s:f,s:f,s:f,s:f,s:I,s:I,s:I}", "mix",
                      f[i].mix, "page", f[i].page, "scan", f[i].scan, "judged",
                      (json_int_t)f[i].judged, "owned", (json_int_t)f[i].owned, "judge_s",
                      f[i].judge_s, "parse_s", f[i].parse_s, "report_s", f[i].report_s,
                      "cpu_s", f[i].cpu_s, "rss_before_kb",
                      (json_int_t)f[i].rss_before_kb, "hwm_kb", (json_int_t)f[i].hwm_kb,
                      "report_bytes", (json_int_t)f[i].report_bytes));
    json_t *doc = json_pack("{s:s,s:o}", "bench", "audit", "results", rows);
    if (!doc || json_dump_file(doc, path, JSON_INDENT(2)) != 0)
        fprintf(stderr, "bench_audit: cannot write %s\n", path);
    json_decref(doc);
}

int main(int argc, char **argv)
{
    struct options o = {
        .pods = N_PODS, .scans = SCANS, .page = PAGE, .parser = "jansson"};
    int status = parse_args(argc, argv, &o);
    if (status >= 0)
        return status;
    alloc_json_install();
    struct policy *p = load_policy(o.policy_path);
    if (!p)
        return 2;
    struct figures all[2 * 16];
    size_t n = 0;
    printf("bench_audit: %d pods per scan in pages of %d, %d namespaces, build %s%s\n",
           o.pods, o.page, N_NAMESPACES, BENCH_BUILD_TYPE,
           BENCH_SANITIZE ? " with sanitizers (figures mean nothing)" : "");
    for (int mix = 0; mix < 2 && status < 0; mix++) {
        for (int i = 0; i < o.scans && n < ARRAY_LEN(all); i++) {
            struct figures *f = &all[n];
            *f = (struct figures){.mix = mix ? "owned" : "bare",
                                  .scan = i + 1,
                                  .page = o.page,
                                  .parser = o.parser};
            reset_hwm();
            f->rss_before_kb = status_kb("VmRSS");
            if (one_scan(p, &o, mix == 1, f) != TG_OK) {
                fprintf(stderr, "bench_audit: the scan failed (out of memory?)\n");
                status = 1;
                break;
            }
            print_figures(f);
            n++;
        }
    }
    if (o.json_path && status < 0)
        write_json(all, n, o.json_path);
    policy_free(p);
    return status < 0 ? 0 : status;
}
