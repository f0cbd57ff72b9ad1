/* check_serve_config.c -- flags, environment variables and defaults of
 * `tollgate serve`: every row parses argv (and env) and checks a field or
 * the error's code, origin and text. */
#include "serve_config.h"

#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define REQUIRED "--tls-cert", "c.pem", "--tls-key", "k.pem", "--policy", "p.yaml"

static const char *const env_names[] = {
    "TOLLGATE_LISTEN",
    "TOLLGATE_TLS_CERT",
    "TOLLGATE_TLS_KEY",
    "TOLLGATE_POLICY",
    "TOLLGATE_CLIENT_CA",
    "TOLLGATE_METRICS_LISTEN",
    "TOLLGATE_LOG_LEVEL",
    "TOLLGATE_MAX_BODY_BYTES",
    "TOLLGATE_READ_TIMEOUT",
    "TOLLGATE_MAX_CONNECTIONS",
    "TOLLGATE_THREADS",
    "TOLLGATE_REQUEST_DEADLINE",
    "TOLLGATE_ON_INTERNAL_ERROR",
    "TOLLGATE_SHUTDOWN_TIMEOUT",
    "TOLLGATE_WATCH_INTERVAL",
};

static void clear_env(void)
{
    for (size_t i = 0; i < ARRAY_LEN(env_names); i++)
        unsetenv(env_names[i]);
}

/* Parse a NULL-terminated argv (without "serve", which is added), from
 * writable copies as main() would get. */
static enum tg_rc parse(const char *const *args, struct serve_config *cfg,
                        enum serve_config_action *action, struct tg_error *err)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = strdup("serve");
    for (; args[argc - 1]; argc++)
        argv[argc] = strdup(args[argc - 1]);
    enum tg_rc rc = serve_config_parse(argc, argv, cfg, action, err);
    for (int i = 0; i < argc; i++)
        free(argv[i]);
    return rc;
}

START_TEST(defaults)
{
    clear_env();
    const char *args[] = {REQUIRED, NULL};
    struct serve_config c;
    enum serve_config_action action;
    struct tg_error err = {0};
    ck_assert_int_eq(parse(args, &c, &action, &err), TG_OK);
    ck_assert_int_eq(action, SERVE_RUN);
    ck_assert_str_eq(c.listen.host, "0.0.0.0");
    ck_assert_uint_eq(c.listen.port, 8443);
    ck_assert(!c.has_metrics_listen);
    ck_assert_str_eq(c.client_ca, "");
    ck_assert_str_eq(c.tls_cert, "c.pem");
    ck_assert_str_eq(c.tls_key, "k.pem");
    ck_assert_str_eq(c.policy, "p.yaml");
    ck_assert_int_eq(c.log_level, TLOG_INFO);
    ck_assert_uint_eq(c.max_body_bytes, 3145728);
    ck_assert_uint_eq(c.read_timeout_s, 10);
    ck_assert_uint_eq(c.max_connections, 1024);
    ck_assert_uint_eq(c.threads, 2);
    ck_assert_uint_eq(c.request_deadline_ms, 2500);
    ck_assert(c.internal_error_allows);
    ck_assert_uint_eq(c.shutdown_timeout_s, 20);
    ck_assert_uint_eq(c.watch_interval_ms, 1000);
}
END_TEST

/* A flag, an env value or both, and what the config then says. */
static const struct {
    const char *flag;  /* NULL: none */
    const char *value; /* of the flag */
    const char *env, *env_value;
    const char *field; /* which field to check */
    const char *want;  /* printed as text */
} good[] = {
    {"--listen", "127.0.0.1:9443", NULL, NULL, "listen", "127.0.0.1:9443"},
    {"--listen", "[::1]:9443", NULL, NULL, "listen", "::1:9443"},
    {NULL, NULL, "TOLLGATE_LISTEN", "10.0.0.1:1", "listen", "10.0.0.1:1"},
    {"--listen", "127.0.0.1:2", "TOLLGATE_LISTEN", "10.0.0.1:1", "listen", "127.0.0.1:2"},
    {"--metrics-listen", "127.0.0.1:9090", NULL, NULL, "metrics", "127.0.0.1:9090"},
    {"--metrics-listen", "", "TOLLGATE_METRICS_LISTEN", "127.0.0.1:1", "metrics", "none"},
    {"--log-level", "debug", NULL, NULL, "level", "0"},
    {NULL, NULL, "TOLLGATE_LOG_LEVEL", "error", "level", "3"},
    {"--max-body-bytes", "1024", NULL, NULL, "body", "1024"},
    {"--threads", "8", "TOLLGATE_THREADS", "4", "threads", "8"},
    {NULL, NULL, "TOLLGATE_THREADS", "4", "threads", "4"},
    {"--on-internal-error", "deny", NULL, NULL, "allows", "0"},
    {NULL, NULL, "TOLLGATE_ON_INTERNAL_ERROR", "deny", "allows", "0"},
    {"--on-internal-error", "allow", "TOLLGATE_ON_INTERNAL_ERROR", "deny", "allows", "1"},
    {"--client-ca", "ca.pem", NULL, NULL, "ca", "ca.pem"},
    {"--request-deadline", "100", NULL, NULL, "deadline", "100"},
    {"--shutdown-timeout", "0", NULL, NULL, "shutdown", "0"},
    {"--watch-interval", "50", NULL, NULL, "watch", "50"},
    {"--read-timeout", "3600", NULL, NULL, "read", "3600"},
    {"--max-connections", "1", NULL, NULL, "conns", "1"},
};

static void describe(const struct serve_config *c, const char *field, char *out, size_t n)
{
    if (strcmp(field, "listen") == 0)
        snprintf(out, n, "%s:%u", c->listen.host, c->listen.port);
    else if (strcmp(field, "metrics") == 0 && !c->has_metrics_listen)
        snprintf(out, n, "none");
    else if (strcmp(field, "metrics") == 0)
        snprintf(out, n, "%s:%u", c->metrics_listen.host, c->metrics_listen.port);
    else if (strcmp(field, "level") == 0)
        snprintf(out, n, "%d", (int)c->log_level);
    else if (strcmp(field, "body") == 0)
        snprintf(out, n, "%zu", c->max_body_bytes);
    else if (strcmp(field, "threads") == 0)
        snprintf(out, n, "%u", c->threads);
    else if (strcmp(field, "allows") == 0)
        snprintf(out, n, "%d", (int)c->internal_error_allows);
    else if (strcmp(field, "ca") == 0)
        snprintf(out, n, "%s", c->client_ca);
    else if (strcmp(field, "deadline") == 0)
        snprintf(out, n, "%u", c->request_deadline_ms);
    else if (strcmp(field, "shutdown") == 0)
        snprintf(out, n, "%u", c->shutdown_timeout_s);
    else if (strcmp(field, "watch") == 0)
        snprintf(out, n, "%u", c->watch_interval_ms);
    else if (strcmp(field, "read") == 0)
        snprintf(out, n, "%u", c->read_timeout_s);
    else if (strcmp(field, "conns") == 0)
        snprintf(out, n, "%u", c->max_connections);
    else
        ck_abort_msg("unknown field %s", field);
}

START_TEST(good_values)
{
    clear_env();
    if (good[_i].env)
        setenv(good[_i].env, good[_i].env_value, 1);
    const char *args[10] = {REQUIRED};
    if (good[_i].flag) {
        args[6] = good[_i].flag;
        args[7] = good[_i].value;
    }
    struct serve_config c;
    enum serve_config_action action;
    struct tg_error err = {0};
    ck_assert_msg(parse(args, &c, &action, &err) == TG_OK, "row %d: %s: %s", _i,
                  err.source, err.text);
    char got[SERVE_PATH_MAX + 80];
    describe(&c, good[_i].field, got, sizeof(got));
    ck_assert_str_eq(got, good[_i].want);
    clear_env();
}
END_TEST

START_TEST(flag_equals_form)
{
    clear_env();
    const char *args[] = {REQUIRED, "--threads=7", "--listen=127.0.0.1:7", NULL};
    struct serve_config c;
    enum serve_config_action action;
    ck_assert_int_eq(parse(args, &c, &action, NULL), TG_OK);
    ck_assert_uint_eq(c.threads, 7);
    ck_assert_uint_eq(c.listen.port, 7);
}
END_TEST

/* Bad input: the code, who is blamed (err->source) and a word of the text. */
static const struct {
    const char *args[4];
    const char *env, *env_value;
    const char *source;
    const char *text;
} bad[] = {
    {{"--threads", "0"}, NULL, NULL, "--threads", "out of range (expected 1-256)"},
    {{"--threads", "257"}, NULL, NULL, "--threads", "out of range"},
    {{"--threads", "two"}, NULL, NULL, "--threads", "not a whole number"},
    {{"--threads", "-1"}, NULL, NULL, "--threads", "not a whole number"},
    {{"--threads", "2x"}, NULL, NULL, "--threads", "not a whole number"},
    {{"--threads", ""}, NULL, NULL, "--threads", "not a whole number"},
    {{"--max-body-bytes", "99999999999999999999999"},
     NULL,
     NULL,
     "--max-body-bytes",
     "not a whole number"},
    {{"--max-body-bytes", "10"}, NULL, NULL, "--max-body-bytes", "out of range"},
    {{"--listen", "8443"}, NULL, NULL, "--listen", "is not ADDR:PORT"},
    {{"--listen", ":8443"}, NULL, NULL, "--listen", "is not ADDR:PORT"},
    {{"--listen", "localhost:8443"},
     NULL,
     NULL,
     "--listen",
     "not a numeric IPv4 or IPv6"},
    {{"--listen", "127.0.0.1:0"}, NULL, NULL, "--listen", "port must be 1-65535"},
    {{"--listen", "127.0.0.1:65536"}, NULL, NULL, "--listen", "port must be 1-65535"},
    {{"--listen", "127.0.0.1:http"}, NULL, NULL, "--listen", "port must be 1-65535"},
    {{"--listen", "[::1:8443"}, NULL, NULL, "--listen", "unbalanced"},
    {{"--metrics-listen", "x:1"}, NULL, NULL, "--metrics-listen", "not a numeric"},
    {{"--log-level", "verbose"}, NULL, NULL, "--log-level", "expected debug, info, warn"},
    {{"--on-internal-error", "ignore"},
     NULL,
     NULL,
     "--on-internal-error",
     "allow or deny"},
    {{"--watch-interval", "10"}, NULL, NULL, "--watch-interval", "out of range"},
    {{"--request-deadline", "0"}, NULL, NULL, "--request-deadline", "out of range"},
    {{"--bogus", "1"}, NULL, NULL, "--bogus", "unknown flag"},
    {{"--threads"}, NULL, NULL, "--threads", "needs a value"},
    {{"serve-me"}, NULL, NULL, "serve-me", "unexpected argument"},
    {{NULL}, "TOLLGATE_THREADS", "lots", "TOLLGATE_THREADS", "not a whole number"},
    {{NULL}, "TOLLGATE_LISTEN", "nowhere", "TOLLGATE_LISTEN", "is not ADDR:PORT"},
};

START_TEST(bad_values)
{
    clear_env();
    if (bad[_i].env)
        setenv(bad[_i].env, bad[_i].env_value, 1);
    const char *args[12] = {REQUIRED};
    for (int k = 0; k < 4 && bad[_i].args[k]; k++)
        args[6 + k] = bad[_i].args[k];
    struct serve_config c;
    memset(&c, 0x5a, sizeof(c));
    enum serve_config_action action = SERVE_HELP;
    struct tg_error err = {0};
    ck_assert_int_eq(parse(args, &c, &action, &err), TG_EINVAL);
    ck_assert_str_eq(err.source, bad[_i].source);
    ck_assert_msg(strstr(err.text, bad[_i].text), "row %d: \"%s\" lacks \"%s\"", _i,
                  err.text, bad[_i].text);
    ck_assert_int_eq(action, SERVE_HELP); /* outputs untouched on failure */
    ck_assert_uint_eq(c.threads, 0x5a5a5a5a);
    clear_env();
}
END_TEST

static const struct {
    const char *args[5];
    const char *missing;
} incomplete[] = {
    {{"--tls-key", "k", "--policy", "p"}, "--tls-cert"},
    {{"--tls-cert", "c", "--policy", "p"}, "--tls-key"},
    {{"--tls-cert", "c", "--tls-key", "k"}, "--policy"},
};

START_TEST(required_settings)
{
    clear_env();
    struct serve_config c;
    enum serve_config_action action;
    struct tg_error err = {0};
    ck_assert_int_eq(parse(incomplete[_i].args, &c, &action, &err), TG_EINVAL);
    ck_assert_str_eq(err.source, incomplete[_i].missing);
    ck_assert_ptr_nonnull(strstr(err.text, "is required (or set TOLLGATE_"));
    /* the variable satisfies it as well */
    setenv("TOLLGATE_TLS_CERT", "c", 1);
    setenv("TOLLGATE_TLS_KEY", "k", 1);
    setenv("TOLLGATE_POLICY", "p", 1);
    ck_assert_int_eq(parse(incomplete[_i].args, &c, &action, &err), TG_OK);
    clear_env();
}
END_TEST

START_TEST(help_wins)
{
    clear_env();
    setenv("TOLLGATE_THREADS", "bad", 1); /* --help must work even so */
    const char *args[] = {"--threads", "0", "--help", NULL};
    struct serve_config c;
    enum serve_config_action action = SERVE_RUN;
    ck_assert_int_eq(parse(args, &c, &action, NULL), TG_OK);
    ck_assert_int_eq(action, SERVE_HELP);
    clear_env();
}
END_TEST

START_TEST(usage_lists_everything)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(f);
    serve_config_usage(f);
    fclose(f);
    for (size_t i = 0; i < ARRAY_LEN(env_names); i++)
        ck_assert_msg(strstr(text, env_names[i]), "usage lacks %s", env_names[i]);
    ck_assert_ptr_nonnull(strstr(text, "--on-internal-error allow|deny"));
    ck_assert_ptr_nonnull(strstr(text, "default 2500"));
    ck_assert_ptr_nonnull(strstr(text, "TOLLGATE_POLICY (required)"));
    free(text);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("serve_config");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, defaults);
    tcase_add_loop_test(tc, good_values, 0, (int)ARRAY_LEN(good));
    tcase_add_test(tc, flag_equals_form);
    tcase_add_loop_test(tc, bad_values, 0, (int)ARRAY_LEN(bad));
    tcase_add_loop_test(tc, required_settings, 0, (int)ARRAY_LEN(incomplete));
    tcase_add_test(tc, help_wins);
    tcase_add_test(tc, usage_lists_everything);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(suite());
}
