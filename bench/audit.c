/* audit.c -- bench_audit: how fast the audit judges listed objects, and
 * what a scan costs in memory.
 *
 * Builds 10,000 pods' worth of list pages (PodList JSON as the API server
 * sends it, tests/support/podlist.h: 250 items a page (serve's default),
 * metadata with labels, annotations, ownerReferences, managedFields and
 * status, two containers each, one pod in three breaking a rule; the data
 * check_audit_lean judges too), one page at a time, as they would arrive, and
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
 * speed.  Build Release without sanitizers; pin with `taskset -c N`; for
 * figures that hold on a shared machine, count instructions instead
 * (bench/audit_instructions.sh).
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
#include "kube_decode.h"
#include "kube_resource.h"
#include "podlist.h"
#include "policy.h"
#include "policy_load.h"

#define N_PODS 10000
#define PAGE 250 /* serve's --audit-page-size default */
#define SCANS 3

struct options {
    const char *policy_path;
    const char *json_path; /* NULL: no JSON file */
    int pods;
    int scans;
    int page;           /* items per list page */
    const char *parser; /* lean (the audit's), jsondec, jansson (the old one) */
    const char *mix;    /* bare, owned or both */
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

static enum tg_rc report_sink(void *ctx, const json_t *object, json_t *entry)
{
    (void)object;
    enum tg_rc rc = audit_report_add(ctx, entry);
    json_decref(entry);
    return rc;
}

/* The stages of a scan: each one its own function, never inlined, so that
 * callgrind counts each alone (bench/audit_instructions.sh). */
#define STAGE __attribute__((noinline))

/* Judge one page's items (kind and apiVersion set first, as kube_list). */
STAGE static enum tg_rc stage_judge(struct audit_scan *s, json_t *list)
{
    json_t *items = json_object_get(list, "items");
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item)
    {
        if (json_object_set_new(item, "kind", json_string("Pod")) != 0 ||
            json_object_set_new(item, "apiVersion", json_string("v1")) != 0)
            return TG_ENOMEM;
        enum tg_rc rc = audit_scan_item(s, &KUBE_RES_PODS, item);
        if (rc != TG_OK)
            return rc;
    }
    return TG_OK;
}

/* Every namespace's PolicyReport, rendered and dropped: the writer's work. */
STAGE static enum tg_rc stage_reports(struct audit_report *r, size_t *bytes)
{
    enum tg_rc rc = audit_report_finish(r);
    for (size_t i = 0; rc == TG_OK && i < audit_report_n_namespaces(r); i++) {
        json_t *doc = NULL;
        rc = audit_report_namespace_json(r, i, &doc);
        if (rc == TG_OK)
            *bytes += json_dumpb(doc, NULL, 0, JSON_COMPACT);
        json_decref(doc);
    }
    return rc;
}

/* The page's bytes to a tree, as --parser says. */
STAGE static json_t *stage_parse(const struct options *o, const struct policy *p,
                                 const struct buf *text)
{
    if (strcmp(o->parser, "jansson") == 0) /* as kube_client did before jsondec */
        return json_loadb(buf_str(text), buf_len(text), JSON_REJECT_DUPLICATES, NULL);
    const char *unread[ENGINE_UNREAD_CAP];
    bool lean = strcmp(o->parser, "lean") == 0;
    const struct kube_body body = {buf_str(text), buf_len(text),
                                   lean ? audit_scan_unread_members(p, unread) : NULL};
    json_t *out = NULL;
    return kube_decode_object(&body, "GET /api/v1/pods", &out, NULL) == TG_OK ? out
                                                                              : NULL;
}

/* The page's tree freed (the parser's cost too). */
STAGE static void stage_release(json_t *list)
{
    json_decref(list);
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
    const struct podlist_opts lo = {.pods = o->pods, .page = o->page, .owned = owned};
    struct buf text;
    buf_init(&text, 0);
    enum tg_rc rc = TG_OK;
    for (int pg = 0; rc == TG_OK && pg < podlist_n_pages(&lo); pg++) {
        /* Making the page's bytes stands for the network: not the scan's work. */
        rc = podlist_page(&text, pg, &lo);
        double t0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
        json_t *list = rc == TG_OK ? stage_parse(o, p, &text) : NULL;
        f->parse_s += since(t0);
        t0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
        rc = list ? stage_judge(&s, list) : TG_ENOMEM;
        f->judge_s += since(t0);
        t0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
        stage_release(list);
        f->parse_s += since(t0);
    }
    double t0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
    if (rc == TG_OK)
        rc = stage_reports(r, &f->report_bytes);
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
            "Usage: bench_audit [--policy FILE|DIR] [--pods N] [--scans N] [--page N]\n"
            "                   [--parser NAME] [--mix bare|owned|both] [--json FILE]\n"
            "  --policy   policy to judge with (default: the built-in defaults)\n"
            "  --pods     pods listed per scan (default 10000)\n"
            "  --scans    scans per mix (default 3)\n"
            "  --mix      bare (every pod top-level), owned (nine in ten owned by a\n"
            "             ReplicaSet) or both (the default), one after the other\n"
            "  --page     items per list page (default 250, serve's --audit-page-size)\n"
            "  --parser   lean (the default: what the audit's lists get from\n"
            "             kube_client, jsondec leaving the members no verdict reads\n"
            "             unbuilt), jsondec (every member built), jansson (json_loadb,\n"
            "             what kube_client used before)\n"
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
        else if (strcmp(a, "--mix") == 0)
            o->mix = v;
        else {
            usage(stderr);
            return 2;
        }
        i++;
    }
    bool parser_ok = strcmp(o->parser, "jansson") == 0 ||
                     strcmp(o->parser, "jsondec") == 0 || strcmp(o->parser, "lean") == 0;
    bool mix_ok = strcmp(o->mix, "bare") == 0 || strcmp(o->mix, "owned") == 0 ||
                  strcmp(o->mix, "both") == 0;
    return o->pods > 0 && o->scans > 0 && o->page > 0 && parser_ok && mix_ok ? -1 : 2;
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
            rows, json_pack("{s:s,s:s,s:i,s:i,s:I,s:I,s:f,s:f,s:f,s:f,s:I,s:I,s:I}",
                            "mix", f[i].mix, "parser", f[i].parser, "page", f[i].page,
                            "scan", f[i].scan, "judged", (json_int_t)f[i].judged, "owned",
                            (json_int_t)f[i].owned, "judge_s", f[i].judge_s, "parse_s",
                            f[i].parse_s, "report_s", f[i].report_s, "cpu_s", f[i].cpu_s,
                            "rss_before_kb", (json_int_t)f[i].rss_before_kb, "hwm_kb",
                            (json_int_t)f[i].hwm_kb, "report_bytes",
                            (json_int_t)f[i].report_bytes));
    json_t *doc = json_pack("{s:s,s:o}", "bench", "audit", "results", rows);
    if (!doc || json_dump_file(doc, path, JSON_INDENT(2)) != 0)
        fprintf(stderr, "bench_audit: cannot write %s\n", path);
    json_decref(doc);
}

int main(int argc, char **argv)
{
    struct options o = {
        .pods = N_PODS, .scans = SCANS, .page = PAGE, .parser = "lean", .mix = "both"};
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
           o.pods, o.page, PODLIST_NAMESPACES, BENCH_BUILD_TYPE,
           BENCH_SANITIZE ? " with sanitizers (figures mean nothing)" : "");
    for (int mix = 0; mix < 2 && status < 0; mix++) {
        if (strcmp(o.mix, "both") != 0 && strcmp(o.mix, mix ? "owned" : "bare") != 0)
            continue;
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
