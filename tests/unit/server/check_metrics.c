/* check_metrics.c -- counters are rendered back and read series by series;
 * the whole text must pass `promtool check metrics`. */
#include "metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "rules.h"
#include "testutil.h"

static void setup(void)
{
    metrics_reset();
}

/* The rendered text (free()). */
static char *render(void)
{
    struct buf b;
    buf_init(&b, 0);
    ck_assert_int_eq(metrics_render(&b), TG_OK);
    char *text = buf_take(&b);
    ck_assert_ptr_nonnull(text);
    return text;
}

/* The value of one series, written exactly as `series` (name and labels);
 * the test fails if the series is missing or appears twice. */
static double value(const char *text, const char *series)
{
    char needle[512];
    snprintf(needle, sizeof(needle), "\n%s ", series);
    const char *p = strstr(text, needle);
    ck_assert_msg(p, "series %s is missing", series);
    ck_assert_msg(!strstr(p + 1, needle), "series %s appears twice", series);
    char *end;
    double v = strtod(p + strlen(needle), &end);
    ck_assert_msg(*end == '\n', "series %s: value is not a number", series);
    return v;
}

static int count_lines(const char *text, const char *prefix)
{
    int n = 0;
    size_t len = strlen(prefix);
    for (const char *line = text; line && *line; line = strchr(line, '\n')) {
        if (*line == '\n')
            line++;
        if (strncmp(line, prefix, len) == 0)
            n++;
    }
    return n;
}

START_TEST(every_series_exists_from_the_start)
{
    char *text = render();
    /* 3 endpoints x 7 decisions x 10 kinds */
    ck_assert_int_eq(count_lines(text, "tollgate_requests_total{"), 210);
    size_t n_rules;
    rules_table(&n_rules);
    /* (every rule + other) x 4 actions */
    ck_assert_int_eq(count_lines(text, "tollgate_violations_total{"),
                     (int)(n_rules + 1) * 4);
    ck_assert_int_eq(count_lines(text, "tollgate_request_duration_seconds_bucket{"),
                     3 * 14);
    ck_assert_int_eq(count_lines(text, "tollgate_http_errors_total{"), 14);
    ck_assert_double_eq(
        value(text, "tollgate_requests_total{endpoint=\"validate\",decision=\"allow\","
                    "kind=\"Pod\"}"),
        0);
    ck_assert_double_eq(value(text, "tollgate_policy_reloads_total{result=\"failed\"}"),
                        0);
    ck_assert_double_eq(
        value(text, "tollgate_build_info{version=\"" TOLLGATE_VERSION "\"}"), 1);
    /* no certificate yet: the family is declared but has no sample */
    ck_assert_int_eq(count_lines(text, "tollgate_certificate_expiry_timestamp_seconds "),
                     0);
    ck_assert_int_eq(count_lines(text, "# TYPE tollgate_"), 15); /* 7 of the audit */
    ck_assert_int_eq(count_lines(text, "# HELP tollgate_"), 15);
    /* the audit's: every failure kind from the start; no scan, no gauge sample */
    ck_assert_int_eq(count_lines(text, "tollgate_audit_api_errors_total{"), 15);
    ck_assert_int_eq(count_lines(text, "tollgate_audit_last_success_timestamp_seconds "),
                     0);
    ck_assert_int_eq(count_lines(text, "tollgate_audit_violations{"), 0);
    ck_assert_double_eq(value(text, "tollgate_audit_leader"), 0);
    ck_assert_int_eq(text[strlen(text) - 1], '\n');
    free(text);
}
END_TEST

/* metrics_request arguments and the requests_total series they count in. */
static const struct {
    const char *endpoint, *decision, *kind;
    const char *series;
} requests[] = {
    {"validate", "allow", "Pod", "endpoint=\"validate\",decision=\"allow\",kind=\"Pod\""},
    {"mutate", "patch", "Deployment",
     "endpoint=\"mutate\",decision=\"patch\",kind=\"Deployment\""},
    {"validate", "would-deny", "CronJob",
     "endpoint=\"validate\",decision=\"would-deny\",kind=\"CronJob\""},
    {"validate", "bad-request", "PodTemplate",
     "endpoint=\"validate\",decision=\"bad-request\",kind=\"PodTemplate\""},
    {"validate", "deny", "ReplicationController",
     "endpoint=\"validate\",decision=\"deny\",kind=\"ReplicationController\""},
    {"validate", "deny", "Service",
     "endpoint=\"validate\",decision=\"deny\",kind=\"other\""},
    {"validate", "deny", "pod", "endpoint=\"validate\",decision=\"deny\",kind=\"other\""},
    {"validate", "error", NULL,
     "endpoint=\"validate\",decision=\"error\",kind=\"other\""},
    {"/healthz", "maybe", "Job", "endpoint=\"other\",decision=\"other\",kind=\"Job\""},
    {NULL, NULL, NULL, "endpoint=\"other\",decision=\"other\",kind=\"other\""},
};

START_TEST(counts_requests_by_labels)
{
    for (int i = 0; i < 3; i++)
        metrics_request(requests[_i].endpoint, requests[_i].decision, requests[_i].kind,
                        0.0001);
    char *text = render();
    char series[256];
    snprintf(series, sizeof(series), "tollgate_requests_total{%s}", requests[_i].series);
    ck_assert_double_eq(value(text, series), 3);
    /* nothing else moved: the sum over all series is 3 */
    double total = 0;
    for (const char *p = strstr(text, "\ntollgate_requests_total{"); p;
         p = strstr(p + 1, "\ntollgate_requests_total{"))
        total += strtod(strchr(p, '}') + 2, NULL);
    ck_assert_double_eq(total, 3);
    free(text);
}
END_TEST

START_TEST(histogram_is_cumulative_with_sum_and_count)
{
    static const double seconds[] = {0.00005, 0.0001, 0.0003, 0.002, 0.7, 2.0, -1, NAN};
    for (size_t i = 0; i < ARRAY_LEN(seconds); i++)
        metrics_request("validate", "allow", "Pod", seconds[i]);
    metrics_request("mutate", "allow", "Pod", 0.02);
    char *text = render();
#define BUCKET(le)                                                                       \
    "tollgate_request_duration_seconds_bucket{endpoint=\"validate\",le=\"" le "\"}"
    ck_assert_double_eq(value(text, BUCKET("0.0001")),
                        4); /* 0.00005, 0.0001 (le is <=), -1, NaN */
    ck_assert_double_eq(value(text, BUCKET("0.00025")), 4);
    ck_assert_double_eq(value(text, BUCKET("0.0005")), 5);
    ck_assert_double_eq(value(text, BUCKET("0.0025")), 6);
    ck_assert_double_eq(value(text, BUCKET("0.5")), 6);
    ck_assert_double_eq(value(text, BUCKET("1")), 7);
    ck_assert_double_eq(value(text, BUCKET("+Inf")), 8);
#undef BUCKET
    ck_assert_double_eq(
        value(text, "tollgate_request_duration_seconds_count{endpoint=\"validate\"}"), 8);
    /* 50 + 100 + 300 + 2000 + 700000 + 2000000 us; nonsense counts 0 */
    ck_assert_ptr_nonnull(
        strstr(text, "\ntollgate_request_duration_seconds_sum{endpoint=\"validate\"} "
                     "2.702450\n"));
    ck_assert_double_eq(
        value(
            text,
            "tollgate_request_duration_seconds_bucket{endpoint=\"mutate\",le=\"0.01\"}"),
        0);
    ck_assert_double_eq(
        value(
            text,
            "tollgate_request_duration_seconds_bucket{endpoint=\"mutate\",le=\"0.025\"}"),
        1);
    ck_assert_double_eq(
        value(text, "tollgate_request_duration_seconds_count{endpoint=\"mutate\"}"), 1);
    free(text);
}
END_TEST

static const struct {
    const char *rule, *action, *series;
} violations[] = {
    {"runAsNonRoot", "mutate", "rule=\"runAsNonRoot\",action=\"mutate\""},
    {"pinnedTags", "enforce", "rule=\"pinnedTags\",action=\"enforce\""},
    {"probes", "audit", "rule=\"probes\",action=\"audit\""},
    {"allowedRegistries", "enforce", "rule=\"allowedRegistries\",action=\"enforce\""},
    {"imagePullPolicy", "audit", "rule=\"imagePullPolicy\",action=\"audit\""},
    {"noSuchRule", "off", "rule=\"other\",action=\"other\""},
    {NULL, "enforce", "rule=\"other\",action=\"enforce\""},
};

START_TEST(counts_violations)
{
    metrics_violations(violations[_i].rule, violations[_i].action, 1);
    metrics_violations(violations[_i].rule, violations[_i].action, 1);
    metrics_violations(violations[_i].rule, violations[_i].action, 3); /* one review's */
    char *text = render();
    char series[256];
    snprintf(series, sizeof(series), "tollgate_violations_total{%s}",
             violations[_i].series);
    ck_assert_double_eq(value(text, series), 5);
    free(text);
}
END_TEST

/* A rule missing from metrics.c's table would be counted as "other". */
START_TEST(every_rule_has_its_series)
{
    size_t n;
    const struct rule *rules = rules_table(&n);
    for (size_t i = 0; i < n; i++)
        metrics_violations(rules[i].id, "enforce", 2);
    char *text = render();
    for (size_t i = 0; i < n; i++) {
        char series[256];
        snprintf(series, sizeof(series),
                 "tollgate_violations_total{rule=\"%s\",action=\"enforce\"}",
                 rules[i].id);
        ck_assert_double_eq(value(text, series), 2);
    }
    free(text);
}
END_TEST

START_TEST(counts_reloads_errors_and_expiry)
{
    metrics_policy_reload(true);
    metrics_policy_reload(true);
    metrics_policy_reload(false);
    metrics_cert_reload(false);
    metrics_http_error(404);
    metrics_http_error(413);
    metrics_http_error(413);
    metrics_http_error(418);
    metrics_set_cert_expiry(1826879527);
    char *text = render();
    ck_assert_double_eq(value(text, "tollgate_policy_reloads_total{result=\"ok\"}"), 2);
    ck_assert_double_eq(value(text, "tollgate_policy_reloads_total{result=\"failed\"}"),
                        1);
    ck_assert_double_eq(value(text, "tollgate_cert_reloads_total{result=\"ok\"}"), 0);
    ck_assert_double_eq(value(text, "tollgate_cert_reloads_total{result=\"failed\"}"), 1);
    ck_assert_double_eq(value(text, "tollgate_http_errors_total{code=\"404\"}"), 1);
    ck_assert_double_eq(value(text, "tollgate_http_errors_total{code=\"413\"}"), 2);
    ck_assert_double_eq(value(text, "tollgate_http_errors_total{code=\"405\"}"), 0);
    ck_assert_double_eq(value(text, "tollgate_http_errors_total{code=\"other\"}"), 1);
    ck_assert_ptr_nonnull(
        strstr(text, "\ntollgate_certificate_expiry_timestamp_seconds 1826879527\n"));
    free(text);

    metrics_reset();
    text = render();
    ck_assert_double_eq(value(text, "tollgate_policy_reloads_total{result=\"ok\"}"), 0);
    ck_assert_double_eq(value(text, "tollgate_http_errors_total{code=\"413\"}"), 0);
    ck_assert_int_eq(count_lines(text, "tollgate_certificate_expiry_timestamp_seconds "),
                     0);
    free(text);
}
END_TEST

START_TEST(counts_the_background_audit)
{
    metrics_audit_scan(false, 0.5, 7, 1000);
    metrics_audit_scan(true, 1.25, 15, 1826879527);
    metrics_audit_api_error("forbidden");
    metrics_audit_api_error("forbidden");
    metrics_audit_api_error("teapot");
    metrics_audit_leader(true);
    struct metrics_audit_count c[] = {{"probes", "shop", 4}, {"pinnedTags", "legacy", 1}};
    metrics_audit_violations(c, ARRAY_LEN(c));
    char *text = render();
    ck_assert_double_eq(value(text, "tollgate_audit_scans_total{result=\"ok\"}"), 1);
    ck_assert_double_eq(value(text, "tollgate_audit_scans_total{result=\"failed\"}"), 1);
    ck_assert_double_eq(value(text, "tollgate_audit_last_success_timestamp_seconds"),
                        1826879527);
    ck_assert_double_eq(value(text, "tollgate_audit_scan_duration_seconds"), 1.25);
    ck_assert_double_eq(value(text, "tollgate_audit_objects_scanned"), 15);
    ck_assert_double_eq(
        value(text, "tollgate_audit_api_errors_total{kind=\"forbidden\"}"), 2);
    ck_assert_double_eq(value(text, "tollgate_audit_api_errors_total{kind=\"other\"}"),
                        1);
    ck_assert_double_eq(value(text, "tollgate_audit_leader"), 1);
    ck_assert_double_eq(
        value(text, "tollgate_audit_violations{rule=\"probes\",namespace=\"shop\"}"), 4);
    free(text);

    /* The next scan's set replaces the last one's as a whole. */
    struct metrics_audit_count next[] = {{"probes", "shop", 2}};
    metrics_audit_violations(next, 1);
    text = render();
    ck_assert_int_eq(count_lines(text, "tollgate_audit_violations{"), 1);
    ck_assert_double_eq(
        value(text, "tollgate_audit_violations{rule=\"probes\",namespace=\"shop\"}"), 2);
    free(text);

    /* Past METRICS_AUDIT_SERIES pairs, the rest is one "other" series. */
    static struct metrics_audit_count many[METRICS_AUDIT_SERIES + 10];
    for (size_t i = 0; i < ARRAY_LEN(many); i++) {
        snprintf(many[i].rule, sizeof(many[i].rule), "probes");
        snprintf(many[i].ns, sizeof(many[i].ns), "ns-%zu", i);
        many[i].count = 1;
    }
    metrics_audit_violations(many, ARRAY_LEN(many));
    text = render();
    ck_assert_int_eq(count_lines(text, "tollgate_audit_violations{"),
                     METRICS_AUDIT_SERIES + 1);
    ck_assert_double_eq(
        value(text, "tollgate_audit_violations{rule=\"other\",namespace=\"other\"}"), 10);
    free(text);
    metrics_reset();
    text = render();
    ck_assert_int_eq(count_lines(text, "tollgate_audit_violations{"), 0);
    ck_assert_double_eq(value(text, "tollgate_audit_leader"), 0);
    free(text);
}
END_TEST

/* The exposition text is linted by Prometheus's own tool: naming, HELP and
 * TYPE, histogram shape.  Without promtool this test fails on purpose. */
START_TEST(promtool_accepts_the_text)
{
    ck_assert_msg(system("command -v promtool >/dev/null 2>&1") == 0,
                  "promtool is not installed: apt-get install prometheus "
                  "(this check must not be skipped)");
    metrics_request("validate", "deny", "Deployment", 0.0004);
    metrics_request("mutate", "patch", "Pod", 1.5);
    metrics_violations("probes", "enforce", 1);
    metrics_set_cert_expiry(1826879527);
    metrics_audit_scan(true, 0.25, 12, 1826879527);
    struct metrics_audit_count c[] = {{"probes", "shop", 4}};
    metrics_audit_violations(c, 1);
    char dir[] = "/tmp/check_metrics.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char in[96], out[96], cmd[512];
    snprintf(in, sizeof(in), "%s/metrics.txt", dir);
    snprintf(out, sizeof(out), "%s/promtool.out", dir);
    char *text = render();
    FILE *f = fopen(in, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text, 1, strlen(text), f), strlen(text));
    fclose(f);
    free(text);
    snprintf(cmd, sizeof(cmd), "promtool check metrics < %s > %s 2>&1", in, out);
    int status = system(cmd);
    size_t len = 0;
    f = fopen(out, "r");
    ck_assert_ptr_nonnull(f);
    char complaint[2048];
    len = fread(complaint, 1, sizeof(complaint) - 1, f);
    complaint[len] = '\0';
    fclose(f);
    unlink(in);
    unlink(out);
    rmdir(dir);
    ck_assert_msg(status == 0 && len == 0, "promtool complains (status %d): %s", status,
                  complaint);
}
END_TEST

START_TEST(render_appends_and_reports_failures)
{
    struct buf b;
    buf_init(&b, 0);
    ck_assert_int_eq(buf_appends(&b, "# before\n"), TG_OK);
    ck_assert_int_eq(metrics_render(&b), TG_OK);
    ck_assert_int_eq(strncmp(buf_str(&b), "# before\n# HELP tollgate_requests_total", 39),
                     0);
    size_t full = buf_len(&b) - strlen("# before\n");
    buf_cleanup(&b);

    buf_init(&b, full - 1); /* one byte short */
    ck_assert_int_eq(metrics_render(&b), TG_ETOOBIG);
    buf_cleanup(&b);
    buf_init(&b, full);
    ck_assert_int_eq(metrics_render(&b), TG_OK);
    buf_cleanup(&b);

    /* every allocation the render makes may fail */
    enum tg_rc rc = TG_ENOMEM;
    long n;
    for (n = 0; rc == TG_ENOMEM && n < 100; n++) {
        buf_init(&b, 0);
        alloc_fail_after(n);
        rc = metrics_render(&b);
        alloc_fail_after(-1);
        buf_cleanup(&b);
        ck_assert(rc == TG_OK || rc == TG_ENOMEM);
    }
    ck_assert_int_eq(rc, TG_OK);
    ck_assert_int_gt(n, 1);
}
END_TEST

#define THREADS 8
#define PER_THREAD 20000

static void *count_from_thread(void *arg)
{
    (void)arg;
    for (int i = 0; i < PER_THREAD; i++) {
        metrics_request("validate", "allow", "Pod", 0.0002);
        metrics_violations("probes", "audit", 1);
    }
    return NULL;
}

/* Relaxed atomics lose no increments, even while someone renders. */
START_TEST(counts_exactly_under_concurrency)
{
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, count_from_thread, NULL), 0);
    for (int i = 0; i < 5; i++)
        free(render());
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    char *text = render();
    ck_assert_double_eq(
        value(text, "tollgate_requests_total{endpoint=\"validate\",decision=\"allow\","
                    "kind=\"Pod\"}"),
        THREADS * PER_THREAD);
    ck_assert_double_eq(
        value(text, "tollgate_request_duration_seconds_count{endpoint=\"validate\"}"),
        THREADS * PER_THREAD);
    ck_assert_double_eq(
        value(text, "tollgate_request_duration_seconds_sum{endpoint=\"validate\"}"),
        (double)(THREADS * PER_THREAD * 200) / 1e6);
    ck_assert_double_eq(
        value(text, "tollgate_violations_total{rule=\"probes\",action=\"audit\"}"),
        THREADS * PER_THREAD);
    free(text);
}
END_TEST

static Suite *metrics_suite(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("metrics");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, every_series_exists_from_the_start);
    tcase_add_loop_test(tc, counts_requests_by_labels, 0, ARRAY_LEN(requests));
    tcase_add_test(tc, histogram_is_cumulative_with_sum_and_count);
    tcase_add_loop_test(tc, counts_violations, 0, ARRAY_LEN(violations));
    tcase_add_test(tc, every_rule_has_its_series);
    tcase_add_test(tc, counts_reloads_errors_and_expiry);
    tcase_add_test(tc, counts_the_background_audit);
    tcase_add_test(tc, promtool_accepts_the_text);
    tcase_add_test(tc, render_appends_and_reports_failures);
    tcase_add_test(tc, counts_exactly_under_concurrency);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(metrics_suite());
}
