/* check_kube_error.c -- Status answers into kube_error, and fault classes.
 *
 * What the API server sends (Status objects with reason, message and
 * retryAfterSeconds) and what proxies send instead (HTML, text, nothing,
 * JSON that is no Status), each into code, reason, Retry-After and a
 * message that says what to do.
 */
#include <string.h>

#include "kube_error.h"
#include "testutil.h"

static const struct {
    long code;
    const char *body, *retry_after;
    enum tg_rc rc;
    const char *reason;
    long retry;
    const char *text; /* the whole message */
} statuses[] = {
    {404,
     "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":"
     "\"pods \\\"x\\\" not found\",\"reason\":\"NotFound\",\"code\":404}",
     NULL, TG_ENOTFOUND, "NotFound", 0, "404 Not Found: pods \"x\" not found"},
    {403, "{\"kind\":\"Status\",\"message\":\"no\",\"reason\":\"Forbidden\"}", NULL,
     TG_EIO, "Forbidden", 0,
     "403 Forbidden: no (grant the verb on this resource to the user in a Role or "
     "ClusterRole)"},
    {429,
     "{\"kind\":\"Status\",\"message\":\"slow\",\"reason\":\"TooManyRequests\","
     "\"details\":{\"retryAfterSeconds\":4}}",
     "9", TG_EIO, "TooManyRequests", 9,
     "429 Too Many Requests: slow (retry after 9 s) (the API server is throttling "
     "requests; retry later)"},
    {429, "{\"kind\":\"Status\",\"details\":{\"retryAfterSeconds\":4}}", NULL, TG_EIO, "",
     4,
     "429 Too Many Requests (retry after 4 s) (the API server is throttling requests; "
     "retry later)"},
    {503, "{\"kind\":\"Status\",\"reason\":\"ServiceUnavailable\"}", "Wed, 21 Oct 2015",
     TG_EIO, "ServiceUnavailable", 0,
     "503 Service Unavailable (the API server failed; retry later)"},
    {502, "<html>\r\n<head>bad\tgateway</head>\n</html>", NULL, TG_EIO, "", 0,
     "502 Bad Gateway: <html> (the API server failed; retry later)"},
    {500, "  plain\x01text\n", NULL, TG_EIO, "", 0,
     "500 Internal Server Error: plain?text (the API server failed; retry later)"},
    {409, "{\"kind\":\"ConfigMap\",\"message\":\"not a status\"}", NULL, TG_EIO, "", 0,
     "409 Conflict: {\"kind\":\"ConfigMap\",\"message\":\"not a status\"}"},
    {418, "", NULL, TG_EIO, "", 0, "418 Client Error"},
    {410, NULL, NULL, TG_EIO, "", 0,
     "410 Gone (the list snapshot expired; start the list again)"},
    {422, "{\"kind\":\"Status\",\"message\":7,\"reason\":[1]}", NULL, TG_EIO, "", 0,
     "422 Unprocessable Entity"},
};

START_TEST(status_bodies)
{
    struct kube_error e;
    const char *body = statuses[_i].body;
    const struct kube_answer a = {statuses[_i].code, body, body ? strlen(body) : 0,
                                  statuses[_i].retry_after};
    enum tg_rc rc = kube_error_from_status(&e, "GET /api/v1/pods", &a);
    ck_assert_int_eq(rc, statuses[_i].rc);
    ck_assert_int_eq(e.fault, KUBE_FAULT_HTTP);
    ck_assert_int_eq(e.http_code, statuses[_i].code);
    ck_assert_str_eq(e.reason, statuses[_i].reason);
    ck_assert_int_eq(e.retry_after_s, statuses[_i].retry);
    ck_assert_str_eq(e.base.text, statuses[_i].text);
    ck_assert_str_eq(e.base.source, "GET /api/v1/pods");
    char line[1024];
    tg_error_format(&e.base, line, sizeof(line));
    ck_assert_int_eq(strncmp(line, "GET /api/v1/pods: ", 18), 0);
}
END_TEST

START_TEST(long_bodies_are_cut)
{
    char body[2000];
    memset(body, 'x', sizeof(body) - 1);
    body[sizeof(body) - 1] = '\0';
    struct kube_error e;
    const struct kube_answer a = {500, body, strlen(body), NULL};
    kube_error_from_status(&e, "GET /x", &a);
    ck_assert_uint_lt(strlen(e.base.text), 300);
    const struct kube_answer missing = {404, body, 5, NULL};
    ck_assert_int_eq(kube_error_from_status(NULL, "GET /x", &missing), TG_ENOTFOUND);
}
END_TEST

static const struct {
    enum kube_fault fault;
    long code;
    bool transient;
} transients[] = {
    {KUBE_FAULT_CONNECT, 0, true},     {KUBE_FAULT_TIMEOUT, 0, true},
    {KUBE_FAULT_TRUNCATED, 200, true}, {KUBE_FAULT_TLS, 0, false},
    {KUBE_FAULT_BODY, 200, false},     {KUBE_FAULT_LOCAL, 0, false},
    {KUBE_FAULT_NONE, 0, false},       {KUBE_FAULT_HTTP, 429, true},
    {KUBE_FAULT_HTTP, 500, true},      {KUBE_FAULT_HTTP, 502, true},
    {KUBE_FAULT_HTTP, 503, true},      {KUBE_FAULT_HTTP, 504, true},
    {KUBE_FAULT_HTTP, 401, false},     {KUBE_FAULT_HTTP, 403, false},
    {KUBE_FAULT_HTTP, 404, false},     {KUBE_FAULT_HTTP, 409, false},
    {KUBE_FAULT_HTTP, 410, false},     {KUBE_FAULT_HTTP, 422, false},
    {KUBE_FAULT_HTTP, 501, false},
};

START_TEST(what_is_transient)
{
    struct kube_error e;
    kube_error_set(&e, TG_EIO, transients[_i].fault, "GET /x", "boom %d", 1);
    e.http_code = transients[_i].code;
    ck_assert_int_eq(kube_error_is_transient(&e), transients[_i].transient);
    ck_assert_str_eq(e.base.text, "boom 1");
    ck_assert_str_ne(kube_fault_str(transients[_i].fault), "unknown");
}
END_TEST

START_TEST(clear_and_null)
{
    struct kube_error e;
    kube_error_set(&e, TG_EIO, KUBE_FAULT_TLS, NULL, "x");
    kube_error_clear(&e);
    ck_assert_int_eq(e.fault, KUBE_FAULT_NONE);
    ck_assert_str_eq(e.base.text, "");
    kube_error_clear(NULL);
    ck_assert(!kube_error_is_transient(NULL));
    ck_assert_int_eq(kube_error_set(NULL, TG_ETIMEDOUT, KUBE_FAULT_TIMEOUT, NULL, "x"),
                     TG_ETIMEDOUT);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kube_error");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, status_bodies, 0, ARRAY_LEN(statuses));
    tcase_add_test(tc, long_bodies_are_cut);
    tcase_add_loop_test(tc, what_is_transient, 0, ARRAY_LEN(transients));
    tcase_add_test(tc, clear_and_null);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
