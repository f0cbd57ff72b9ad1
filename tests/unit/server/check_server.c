/* check_server.c -- the daemon in-process, driven by libcurl over TLS:
 * routing, status codes and bodies, and every allocation failing in turn
 * while a request is answered (an error answer or a closed connection,
 * never a crash or a leak: run under valgrind with CK_FORK=no). */
#include "server.h"

#include <curl/curl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "alloc_json.h"
#include "buf.h"
#include "policy_load.h"
#include "snapshot.h"
#include "testutil.h"
#include "tlog.h"
#include "tlscreds.h"

static struct serve_config cfg;
static struct server *srv;
static char ca_path[512];

static unsigned short free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static void setup(void)
{
    tlog_set_level(TLOG_ERROR);
    struct policy *p = NULL;
    ck_assert_int_eq(
        policy_load_path(fixture_path("server/policy_enforce.yaml"), &p, NULL), TG_OK);
    snapshot_publish(snapshot_new(p, 1));
    char cert[512];
    snprintf(cert, sizeof(cert), "%s", fixture_path("server/tls/tls.crt"));
    struct tlscreds *c = NULL;
    ck_assert_int_eq(tlscreds_load(cert, fixture_path("server/tls/tls.key"), &c, NULL),
                     TG_OK);
    tlscreds_publish(c);
    snprintf(ca_path, sizeof(ca_path), "%s", fixture_path("server/tls/ca.crt"));
    memset(&cfg, 0, sizeof(cfg));
    snprintf(cfg.listen.host, sizeof(cfg.listen.host), "127.0.0.1");
    cfg.listen.port = free_port();
    cfg.max_body_bytes = 64 * 1024;
    cfg.read_timeout_s = 5;
    cfg.max_connections = 16;
    cfg.threads = 2;
    cfg.request_deadline_ms = 2500;
    cfg.internal_error_allows = true;
    struct tg_error err = {0};
    ck_assert_msg(server_start(&cfg, NULL, NULL, &srv, &err) == TG_OK, "%s", err.text);
}

static void teardown(void)
{
    server_stop(srv);
    srv = NULL;
    snapshot_clear();
    tlscreds_clear();
}

static size_t collect(char *data, size_t size, size_t n, void *userp)
{
    return buf_append(userp, data, size * n) == TG_OK ? size * n : 0;
}

/* One request; the status (0: no answer) and the body in `out`. */
static long request(const char *method, const char *path, const char *ctype,
                    const char *body_fixture, struct buf *out)
{
    CURL *h = curl_easy_init();
    ck_assert_ptr_nonnull(h);
    char url[128];
    snprintf(url, sizeof(url), "https://localhost:%u%s", cfg.listen.port, path);
    struct curl_slist *hdrs = NULL;
    char ct[128];
    char *body = body_fixture ? fixture_read(body_fixture, NULL) : NULL;
    if (ctype) {
        snprintf(ct, sizeof(ct), "Content-Type: %s", ctype);
        hdrs = curl_slist_append(hdrs, ct);
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CAINFO, ca_path);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
    if (body)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
    long status = 0;
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    free(body);
    return status;
}

static const struct {
    const char *method, *path, *ctype, *body;
    long status;
    const char *contains;
} rows[] = {
    {"POST", "/validate", "application/json", "server/allow_v1.json", 200,
     "\"allowed\":true"},
    {"POST", "/validate?timeout=10s", "application/json", "server/deny_v1.json", 200,
     "\"code\":403"},
    {"POST", "/mutate", "application/json; charset=utf-8", "server/deny_v1beta1.json",
     200, "admission.k8s.io/v1beta1"},
    {"POST", "/validate", "text/plain", "server/allow_v1.json", 415,
     "{\"error\":\"Content-Type must be application/json\"}"},
    {"POST", "/validate", NULL, "server/allow_v1.json", 415, "Content-Type"},
    {"GET", "/validate", NULL, NULL, 405, "method GET not allowed; use POST"},
    {"PUT", "/healthz", NULL, NULL, 405, "use GET"},
    {"GET", "/", NULL, NULL, 404, "{\"error\":\"not found\"}"},
    {"GET", "/validatex", NULL, NULL, 404, "not found"},
    {"POST", "/validate", "application/json", "server/policy_enforce.yaml", 400, "JSON"},
    {"GET", "/healthz", NULL, NULL, 200, "{\"status\":\"ok\"}"},
    {"GET", "/readyz", NULL, NULL, 200, "{\"status\":\"ok\"}"},
    {"GET", "/metrics", NULL, NULL, 200, "# TYPE tollgate_requests_total counter"},
};

START_TEST(routes)
{
    struct buf out;
    buf_init(&out, 1 << 20);
    long status =
        request(rows[_i].method, rows[_i].path, rows[_i].ctype, rows[_i].body, &out);
    ck_assert_int_eq(status, rows[_i].status);
    ck_assert_msg(strstr(buf_str(&out), rows[_i].contains), "row %d: \"%s\" lacks \"%s\"",
                  _i, buf_str(&out), rows[_i].contains);
    buf_cleanup(&out);
}
END_TEST

START_TEST(readyz_when_draining)
{
    server_drain(srv);
    ck_assert_uint_eq(server_in_flight(srv), 0);
    struct buf out;
    buf_init(&out, 0);
    /* the listening socket is gone: no new connection */
    ck_assert_int_eq(request("GET", "/readyz", NULL, NULL, &out), 0);
    buf_cleanup(&out);
}
END_TEST

/* Each allocation in turn fails while a decision is made: the answer is
 * the decision, an error body, or no answer -- and the server goes on. */
START_TEST(allocation_failures)
{
    for (long n = 0; n < 400; n += 3) {
        struct buf out;
        buf_init(&out, 1 << 20);
        alloc_fail_after(n);
        long status =
            request("POST", "/validate", "application/json", "server/deny_v1.json", &out);
        alloc_fail_after(-1);
        ck_assert_msg(status == 0 || status == 200 || status == 500, "n=%ld: status %ld",
                      n, status);
        if (status == 500)
            ck_assert_ptr_nonnull(strstr(buf_str(&out), "{\"error\":"));
        if (status == 200) /* the decision, or the configured internal-error answer */
            ck_assert_ptr_nonnull(strstr(buf_str(&out), "\"uid\":\"22222222"));
        buf_cleanup(&out);
    }
    struct buf out;
    buf_init(&out, 1 << 20);
    ck_assert_int_eq(
        request("POST", "/validate", "application/json", "server/deny_v1.json", &out),
        200);
    ck_assert_ptr_nonnull(strstr(buf_str(&out), "\"allowed\":false"));
    buf_cleanup(&out);
    /* MHD calls the completion callback after the last byte is sent, so the
     * client may read the answer a moment before the count drops. */
    for (int i = 0; i < 200 && server_in_flight(srv) != 0; i++)
        nanosleep(&(struct timespec){.tv_nsec = 5000000}, NULL);
    ck_assert_uint_eq(server_in_flight(srv), 0);
}
END_TEST

START_TEST(port_in_use)
{
    struct server *second = NULL;
    struct tg_error err = {0};
    ck_assert_int_eq(server_start(&cfg, NULL, NULL, &second, &err), TG_EIO);
    ck_assert_ptr_null(second);
    ck_assert_ptr_nonnull(strstr(err.text, "cannot listen on 127.0.0.1:"));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("server");
    TCase *tc = tcase_create("server");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, routes, 0, (int)ARRAY_LEN(rows));
    tcase_add_test(tc, readyz_when_draining);
    tcase_add_test(tc, allocation_failures);
    tcase_add_test(tc, port_in_use);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    alloc_json_install(); /* before any JSON value exists */
    json_object_seed(0);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = run_suite(suite());
    curl_global_cleanup();
    return rc;
}
