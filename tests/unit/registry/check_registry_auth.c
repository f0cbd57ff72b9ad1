/* check_registry_auth.c -- credentials, challenges, token answers and cache. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "alloc_json.h"
#include "registry_auth.h"
#include "testutil.h"

/* Which host gets which Authorization header from which file (expected
 * values computed with base64(1) when the fixtures were written). */
static const struct {
    const char *file, *host, *header; /* NULL header: no credentials */
} creds[] = {
    {"registry/dockerconfig.json", "docker.io", "Basic aHVidXNlcjpodWJwYXNz"},
    {"registry/dockerconfig.json", "registry-1.docker.io", "Basic aHVidXNlcjpodWJwYXNz"},
    {"registry/dockerconfig.json", "ghcr.io", "Basic Z2g6cDp3"},
    {"registry/dockerconfig.json", "GHCR.io", "Basic Z2g6cDp3"},
    {"registry/dockerconfig.json", "127.0.0.1:5000", "Basic YWxpY2U6czNjcmV0"},
    {"registry/dockerconfig.json", "127.0.0.1:5001", NULL},
    {"registry/dockerconfig.json", "registry.example.com", "Basic Ym9iOmIwYg=="},
    {"registry/dockerconfig.json", "quay.io", NULL}, /* identitytoken only */
    {"registry/dockercfg_legacy.json", "legacy.example.com", "Basic Y2Fyb2w6YzRyb2w="},
    {"registry/dockercfg_legacy.json", "docker.io", NULL},
    {NULL, "docker.io", NULL},
};

START_TEST(credentials)
{
    struct registry_auth *a = NULL;
    struct tg_error err;
    const char *path = creds[_i].file ? fixture_path(creds[_i].file) : NULL;
    ck_assert_int_eq(registry_auth_new(path, &a, &err), TG_OK);
    char *hdr = NULL;
    enum tg_rc rc = registry_auth_basic(a, creds[_i].host, &hdr);
    if (creds[_i].header) {
        ck_assert_int_eq(rc, TG_OK);
        ck_assert_str_eq(hdr, creds[_i].header);
    } else {
        ck_assert_int_eq(rc, TG_ENOTFOUND);
        ck_assert_ptr_null(hdr);
    }
    tg_free(hdr);
    registry_auth_free(a);
}
END_TEST

/* Bad files: the error names the file and the host, never the secret. */
static const struct {
    const char *file;
    enum tg_rc rc;
    int line;
    const char *text; /* substring */
} bad_files[] = {
    {"registry/dockerconfig_bad_auth.json", TG_EINVAL, 0,
     "auths[\"bad.example.com\"].auth: not base64 of \"user:password\""},
    {"registry/dockerconfig_malformed.json", TG_EINVAL, 2, "unexpected token"},
    {"registry/dockerconfig_not_object.json", TG_EINVAL, 0,
     "\"auths\" must be an object"},
    {"registry/no-such-file.json", TG_EIO, 0, "unable to open"},
};

START_TEST(bad_config_files)
{
    struct registry_auth *a = NULL;
    struct tg_error err;
    const char *path = fixture_path(bad_files[_i].file);
    ck_assert_int_eq(registry_auth_new(path, &a, &err), bad_files[_i].rc);
    ck_assert_ptr_null(a);
    ck_assert_str_eq(err.source, path);
    ck_assert_int_eq(err.line, bad_files[_i].line);
    ck_assert_msg(strstr(err.text, bad_files[_i].text), "text: %s", err.text);
    ck_assert_ptr_null(strstr(err.text, "secret"));
}
END_TEST

static const struct {
    const char *header;
    enum tg_rc rc;
    const char *scheme, *realm, *service, *scope;
    int column; /* of the fault */
} challenges[] = {
    {"Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
     "scope=\"repository:library/nginx:pull\"",
     TG_OK, "bearer", "https://auth.docker.io/token", "registry.docker.io",
     "repository:library/nginx:pull", 0},
    {"Basic realm=\"Registry Realm\"", TG_OK, "basic", "Registry Realm", NULL, NULL, 0},
    {"bearer realm=http://127.0.0.1:9/t, service=svc , scope=\"a:b,c:pull,push\"", TG_OK,
     "bearer", "http://127.0.0.1:9/t", "svc", "a:b,c:pull,push", 0},
    {"Bearer realm=\"a\\\"b\",error=\"insufficient_scope\"", TG_OK, "bearer", "a\"b",
     NULL, NULL, 0},
    {"Bearer", TG_OK, "bearer", NULL, NULL, NULL, 0},
    {"", TG_EINVAL, NULL, NULL, NULL, NULL, 1},
    {"Bearer realm", TG_EINVAL, NULL, NULL, NULL, NULL, 13},
    {"Bearer realm=\"unterminated", TG_EINVAL, NULL, NULL, NULL, NULL, 14},
    {"Bearer realm=\"a\" service=\"b\"", TG_EINVAL, NULL, NULL, NULL, NULL, 18},
    {"Bearer realm=,", TG_EINVAL, NULL, NULL, NULL, NULL, 14},
};

static void assert_opt_str(const char *got, const char *want)
{
    if (want)
        ck_assert_str_eq(got, want);
    else
        ck_assert_ptr_null(got);
}

START_TEST(challenge_parsing)
{
    struct registry_challenge ch;
    struct tg_error err;
    enum tg_rc rc = registry_challenge_parse(challenges[_i].header, &ch, &err);
    ck_assert_int_eq(rc, challenges[_i].rc);
    if (rc != TG_OK) {
        ck_assert_int_eq(err.column, challenges[_i].column);
        return;
    }
    ck_assert_str_eq(ch.scheme, challenges[_i].scheme);
    assert_opt_str(ch.realm, challenges[_i].realm);
    assert_opt_str(ch.service, challenges[_i].service);
    assert_opt_str(ch.scope, challenges[_i].scope);
    registry_challenge_cleanup(&ch);
}
END_TEST

static const struct {
    const char *body;
    enum tg_rc rc;
    const char *token;
    long expires_in;
} tokens[] = {
    {"{\"token\":\"abc\",\"expires_in\":300}", TG_OK, "abc", 300},
    {"{\"access_token\":\"oauth\"}", TG_OK, "oauth", 60},
    {"{\"token\":\"\",\"access_token\":\"second\",\"expires_in\":5}", TG_OK, "second", 5},
    {"{\"expires_in\":300}", TG_EINVAL, NULL, 0},
    {"{\"token\":\"abc\",\"expires_in\":\"soon\"}", TG_EINVAL, NULL, 0},
    {"<html>nope</html>", TG_EINVAL, NULL, 0},
};

START_TEST(token_answers)
{
    char *tok = NULL;
    long exp = -1;
    struct tg_error err;
    enum tg_rc rc = registry_auth_parse_token(tokens[_i].body, strlen(tokens[_i].body),
                                              &tok, &exp, &err);
    ck_assert_int_eq(rc, tokens[_i].rc);
    if (rc == TG_OK) {
        ck_assert_str_eq(tok, tokens[_i].token);
        ck_assert_int_eq(exp, tokens[_i].expires_in);
    } else {
        ck_assert_ptr_null(tok);
    }
    tg_free(tok);
}
END_TEST

START_TEST(token_cache)
{
    struct registry_auth *a = NULL;
    ck_assert_int_eq(registry_auth_new(NULL, &a, NULL), TG_OK);
    char *t = NULL;
    ck_assert_int_eq(registry_auth_token_get(a, "h repository:x:pull", &t), TG_ENOTFOUND);
    ck_assert_int_eq(registry_auth_token_put(a, "h repository:x:pull", "T1", 300), TG_OK);
    ck_assert_int_eq(registry_auth_token_put(a, "h repository:x:pull", "T2", 300), TG_OK);
    ck_assert_int_eq(registry_auth_token_put(a, "h repository:y:pull", "Y", 300), TG_OK);
    ck_assert_int_eq(registry_auth_token_put(a, "h repository:z:pull", "Z", 0), TG_OK);
    ck_assert_int_eq(registry_auth_token_put(a, "h short", "S", 1), TG_OK);
    ck_assert_int_eq(registry_auth_token_get(a, "h repository:x:pull", &t), TG_OK);
    ck_assert_str_eq(t, "T2"); /* replaced, not duplicated */
    tg_free(t);
    ck_assert_int_eq(registry_auth_token_get(a, "h repository:y:pull", &t), TG_OK);
    ck_assert_str_eq(t, "Y");
    tg_free(t);
    ck_assert_int_eq(registry_auth_token_get(a, "h repository:z:pull", &t), TG_ENOTFOUND);
    ck_assert_int_eq(registry_auth_token_get(a, "h short", &t), TG_OK);
    tg_free(t);
    struct timespec ts = {1, 0};
    nanosleep(&ts, NULL);
    ck_assert_int_eq(registry_auth_token_get(a, "h short", &t), TG_ENOTFOUND);
    /* more tokens than slots: the newest are kept */
    for (int i = 0; i < 300; i++) {
        char key[32];
        snprintf(key, sizeof(key), "k%d", i);
        ck_assert_int_eq(registry_auth_token_put(a, key, "v", 300 + i), TG_OK);
    }
    ck_assert_int_eq(registry_auth_token_get(a, "k299", &t), TG_OK);
    tg_free(t);
    ck_assert_int_eq(registry_auth_token_get(a, "k0", &t), TG_ENOTFOUND);
    registry_auth_free(a);
}
END_TEST

START_TEST(allocation_failures)
{
    const char *path = fixture_path("registry/dockerconfig.json");
    alloc_json_install();
    for (long n = 0; n < 60; n++) {
        struct registry_auth *a = NULL;
        struct registry_challenge ch;
        char *hdr = NULL;
        alloc_fail_after(n);
        struct tg_error err;
        enum tg_rc rc = registry_auth_new(path, &a, &err);
        /* jansson reports an allocation failure inside its lexer as a syntax
         * error, so TG_EINVAL is a legitimate answer here too */
        ck_assert_msg(rc == TG_OK || rc == TG_ENOMEM || rc == TG_EINVAL, "n=%ld rc=%d %s",
                      n, rc, err.text);
        if (rc == TG_OK) {
            rc = registry_auth_basic(a, "ghcr.io", &hdr);
            ck_assert(rc == TG_OK || rc == TG_ENOMEM);
        }
        rc = registry_challenge_parse("Bearer realm=\"r\",service=s,scope=\"x\"", &ch,
                                      NULL);
        ck_assert(rc == TG_OK || rc == TG_ENOMEM);
        if (rc == TG_OK)
            registry_challenge_cleanup(&ch);
        alloc_fail_after(-1);
        tg_free(hdr);
        registry_auth_free(a);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("registry_auth");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, credentials, 0, ARRAY_LEN(creds));
    tcase_add_loop_test(tc, bad_config_files, 0, ARRAY_LEN(bad_files));
    tcase_add_loop_test(tc, challenge_parsing, 0, ARRAY_LEN(challenges));
    tcase_add_loop_test(tc, token_answers, 0, ARRAY_LEN(tokens));
    tcase_add_test(tc, token_cache);
    tcase_add_test(tc, allocation_failures);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(suite());
}
