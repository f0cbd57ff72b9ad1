/* check_jsondec.c -- the fast decoder against jansson's own.
 *
 * jsondec promises json_loadb(JSON_REJECT_DUPLICATES)'s answers, so most
 * rows are differential: both decode the text, both must accept or both
 * reject, and accepted trees must be json_equal (and of the same number
 * types, which json_equal does not check for 1 vs 1.0).  Error rows also
 * pin jsondec's own position and reason.
 */
#include "jsondec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "alloc_json.h"
#include "jptr.h"
#include "testutil.h"

/* Same number types everywhere: json_equal says 1 and 1.0 differ, but
 * check it directly so a mismatch names the culprit. */
static void assert_same_types(json_t *a, json_t *b)
{
    ck_assert_int_eq(json_typeof(a), json_typeof(b));
    const char *key;
    json_t *v;
    size_t i;
    if (json_is_object(a)) {
        json_object_foreach(a, key, v) assert_same_types(v, json_object_get(b, key));
    } else if (json_is_array(a)) {
        json_array_foreach(a, i, v) assert_same_types(v, json_array_get(b, i));
    }
}

/* Both decoders on the same bytes agree; returns jsondec's rc. */
static enum tg_rc agree(const char *text, size_t len, struct tg_error *err)
{
    json_error_t jerr;
    json_t *want = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    json_t *got = NULL;
    enum tg_rc rc = jsondec_parse(text, len, "t", &got, err);
    if (want) {
        ck_assert_msg(rc == TG_OK, "jansson accepts, jsondec says %s: [%.60s]", err->text,
                      text);
        ck_assert_msg(json_equal(want, got), "trees differ for [%.60s]", text);
        assert_same_types(want, got);
    } else {
        ck_assert_msg(rc == TG_EINVAL,
                      "jansson rejects (%s), jsondec returns %d: [%.60s]", jerr.text, rc,
                      text);
    }
    json_decref(want);
    json_decref(got);
    return rc;
}

static const char *const valid[] = {
    "{}",
    "[]",
    " \t\r\n{ \"a\" : [ 1 , -2 , 3.5 , -0 , 0 , 1e3 , 1E-2 , -1.25e+2 ] } \n",
    "{\"k\":\"plain\",\"e\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\",\"u\":\"\\u00e9\\u4e2d\"}",
    "[\"\\ud83d\\ude00\",\"caf\xc3\xa9\",\"\xe4\xb8\xad\",\"\xf0\x9f\x98\x80\"]",
    "{\"esc\\u0041key\":{\"x\\ny\":1,\"z\":\"\\u0042\"},\"plain\":2}",
    "[true,false,null,[],{},[[[]]],\"\"]",
    "[9223372036854775807,-9223372036854775808,1.7976931348623157e308,1e-400]",
    "{\"a\":{\"a\":{\"a\":1}},\"b\":[{\"a\":1},{\"a\":2}]}",
    "[0.5,123456789012,-0.0,10E2]",
};

START_TEST(accepts_as_jansson)
{
    struct tg_error err = {0};
    const char *t = valid[_i];
    ck_assert_int_eq(agree(t, strlen(t), &err), TG_OK);
}
END_TEST

/* Rejected by both; jsondec's position (line, column) and reason. */
static const struct {
    const char *text;
    int line, column;
    const char *why;
} invalid[] = {
    {"", 1, 1, "'[' or '{' expected"},
    {"42", 1, 1, "'[' or '{' expected"},
    {"\"s\"", 1, 1, "'[' or '{' expected"},
    {"{", 1, 2, "string expected"},
    {"{\"a\" 1}", 1, 6, "':' expected"},
    {"{\"a\":1,}", 1, 8, "string expected"},
    {"[1,]", 1, 4, "invalid token"},
    {"[1 2]", 1, 4, "',' or ']' expected"},
    {"{\"a\":1 \"b\":2}", 1, 8, "',' or '}' expected"},
    {"{\"a\":1,\"a\":2}", 1, 8, "duplicate object key"},
    {"{\"a\":1,\"\\u0061\":2}", 1, 8, "duplicate object key"},
    {"[01]", 1, 2, "invalid number"},
    {"[1.]", 1, 4, "invalid number"},
    {"[-]", 1, 3, "invalid number"},
    {"[1e]", 1, 4, "invalid number"},
    {"[+1]", 1, 2, "invalid token"},
    {"[9223372036854775808]", 1, 2, "too big integer"},
    {"[-9223372036854775809]", 1, 2, "too big integer"},
    {"[1e400]", 1, 2, "real number overflow"},
    {"[tru]", 1, 2, "invalid token"},
    {"[nul", 1, 2, "invalid token"},
    {"[\"a\nb\"]", 1, 4, "control character"},
    {"[\"abc", 1, 6, "premature end of input in a string"},
    {"[\"\\x\"]", 1, 3, "invalid escape"},
    {"[\"\\u12\"]", 1, 3, "invalid \\u escape"},
    {"[\"\\u0000\"]", 1, 3, "\\u0000 is not allowed"},
    {"[\"\\udc00\"]", 1, 3, "lone low surrogate"},
    {"[\"\\ud800x\"]", 1, 3, "high surrogate alone"},
    {"[\"\xc3\"]", 1, 3, "invalid UTF-8"},
    {"[\"\xc0\xaf\"]", 1, 3, "invalid UTF-8"},         /* overlong '/' */
    {"[\"\xed\xa0\x80\"]", 1, 3, "invalid UTF-8"},     /* a surrogate */
    {"[\"\xf4\x90\x80\x80\"]", 1, 3, "invalid UTF-8"}, /* past U+10FFFF */
    {"{}\n[]", 2, 1, "end of input expected"},
    {"[\n  1,\n  \xc3\xa9]", 3, 3, "invalid token"}, /* é counts as one column */
};

START_TEST(rejects_as_jansson)
{
    struct tg_error err = {0};
    const char *t = invalid[_i].text;
    ck_assert_int_eq(agree(t, strlen(t), &err), TG_EINVAL);
    ck_assert_str_eq(err.source, "t");
    ck_assert_int_eq(err.line, invalid[_i].line);
    ck_assert_int_eq(err.column, invalid[_i].column);
    ck_assert_msg(strstr(err.text, invalid[_i].why), "[%s] not in [%s]", invalid[_i].why,
                  err.text);
}
END_TEST

/* Every JSON fixture in the tree, whole and cut short at many places. */
static const char *const fixtures[] = {
    "reviews/typical-allowed.json", "reviews/typical-denied.json",
    "reviews/typical-v1beta1.json", "reviews/large.json",
    "server/allow_v1.json",         "server/deny_v1beta1.json",
    "manifests/podlist.json",       "manifests/deploymentlist.json",
    "modes/podspec.json",
};

START_TEST(fixtures_and_prefixes)
{
    size_t len;
    char *text = fixture_read(fixtures[_i], &len);
    struct tg_error err = {0};
    ck_assert_int_eq(agree(text, len, &err), TG_OK);
    size_t step = len / 97 + 1; /* ~100 truncations, each one malformed */
    for (size_t cut = 0; cut < len - 2; cut += step)
        ck_assert_int_eq(agree(text, cut, &err), TG_EINVAL);
    free(text);
}
END_TEST

START_TEST(depth_limit)
{
    enum { N = 2100 };
    static char deep[2 * N + 1];
    struct tg_error err = {0};
    for (size_t n = 2047; n <= 2049; n++) { /* jansson's limit is 2048 values */
        memset(deep, '[', n);
        memset(deep + n, ']', n);
        agree(deep, 2 * n, &err);
    }
    memset(deep, '[', N);
    memset(deep + N, ']', N);
    ck_assert_int_eq(agree(deep, 2 * N, &err), TG_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.text, "depth"));
}
END_TEST

/* Each kind of byte that ends a plain run of string bytes, at offsets
 * 0-17 into the string and 0-9 from its end (word-at-a-time scanning was
 * tried, and these rows guard any return of it: it saved nothing, as
 * strings in a review are short). */
static const char *const specials[] = {
    "\"",   "\\n",  "\x01", "\x1f",    "\xc3\xa9", "\xe4\xb8\xad", "\xf0\x9f\x98\x80",
    "\xc3", "\xff", "\x7f", "\\u00e9",
};

START_TEST(special_at_every_offset)
{
    char text[128];
    struct tg_error err = {0};
    for (int before = 0; before <= 17; before++) {
        for (int after = 0; after <= 9; after++) {
            int n = snprintf(text, sizeof(text), "[\"%.*s%s%.*s\"]", before,
                             "abcdefghijklmnopqrstuvwxyz", specials[_i], after,
                             "ABCDEFGHIJKLMNOP");
            ck_assert_int_lt(n, (int)sizeof(text));
            agree(text, (size_t)n, &err); /* same verdict and tree as jansson */
        }
    }
}
END_TEST

/* The length bounds the text: bytes after it are never read. */
START_TEST(length_not_nul)
{
    json_t *v = NULL;
    struct tg_error err = {0};
    ck_assert_int_eq(jsondec_parse("[1]garbage", 3, NULL, &v, &err), TG_OK);
    ck_assert_int_eq(json_integer_value(json_array_get(v, 0)), 1);
    json_decref(v);
    ck_assert_int_eq(jsondec_parse("[\"a\0b\"]", 7, NULL, &v, &err), TG_EINVAL);
}
END_TEST

/* Every allocation failing in turn: TG_ENOMEM, nothing leaked (valgrind),
 * *out untouched; then enough allocations succeed. */
START_TEST(allocation_failures)
{
    static const char text[] =
        "{\"a\":[1,2.5,\"x\",{\"k\\n\":\"v\\t\"}],\"b\":{\"c\":null}}";
    alloc_json_install();
    enum tg_rc rc = TG_ENOMEM;
    long n;
    for (n = 0; rc == TG_ENOMEM && n < 200; n++) {
        json_t *v = (json_t *)&n; /* a sentinel: must stay as it is on failure */
        struct tg_error err = {0};
        alloc_fail_after(n);
        rc = jsondec_parse(text, sizeof(text) - 1, NULL, &v, &err);
        alloc_fail_after(-1);
        if (rc == TG_ENOMEM) {
            ck_assert_ptr_eq(v, &n);
            ck_assert_ptr_nonnull(strstr(err.text, "out of memory"));
        } else {
            ck_assert_int_eq(rc, TG_OK);
            json_decref(v);
        }
    }
    ck_assert_int_eq(rc, TG_OK);
    ck_assert_int_gt(n, 10); /* the failures above really were tried */
}
END_TEST

/* ---- raw values (jsondec_opts.raw_keys) ---- */

static const char *const env_only[] = {"env", NULL};

static json_t *parse_raw(const char *text, const char *const *keys, struct tg_error *err)
{
    struct jsondec_opts opts = {.raw_keys = keys};
    json_t *v = NULL;
    enum tg_rc rc = jsondec_parse_opts(text, strlen(text), "t", &opts, &v, err);
    ck_assert(rc == TG_OK || v == NULL);
    return v;
}

static const struct {
    const char *text;
    const char *pointer; /* where the raw value is */
    const char *raw;     /* its text; NULL: not raw (built as usual) */
} raw_rows[] = {
    {"{\"env\":[{\"a\":1},2,\"x\"]}", "/env", "[{\"a\":1},2,\"x\"]"},
    {"{\"b\":{\"env\":{\"k\":\"v\"}}}", "/b/env", "{\"k\":\"v\"}"},
    {"{\"env\" : [ 1 , 2 ] }", "/env", "[ 1 , 2 ]"},              /* as written */
    {"{\"\\u0065nv\":[1]}", "/env", "[1]"},                       /* escaped key */
    {"{\"env\":{\"env\":[1]}}", "/env", "{\"env\":[1]}"},         /* nested */
    {"{\"env\":{\"a\":1,\"a\":2}}", "/env", "{\"a\":1,\"a\":2}"}, /* not looked at */
    {"{\"env\":[\"caf\\u00e9\",1e3,-0]}", "/env", "[\"caf\\u00e9\",1e3,-0]"},
    {"{\"env\":\"plain\"}", "/env", NULL}, /* scalars are built */
    {"{\"envy\":[1]}", "/envy", NULL},
    {"[{\"env\":[]}]", "/0/env", "[]"},
};

START_TEST(raw_values_are_their_text)
{
    struct tg_error err = {0};
    json_t *v = parse_raw(raw_rows[_i].text, env_only, &err);
    ck_assert_msg(v, "%s: %s", raw_rows[_i].text, err.text);
    json_t *full = NULL;
    ck_assert_int_eq(jsondec_parse(raw_rows[_i].text, strlen(raw_rows[_i].text), "t",
                                   &full, &err) == TG_OK,
                     !strstr(raw_rows[_i].text, "\"a\":1,\"a\":2"));
    const json_t *at = jptr_get(v, raw_rows[_i].pointer);
    ck_assert_ptr_nonnull(at);
    if (raw_rows[_i].raw) {
        ck_assert(json_is_string(at));
        ck_assert_str_eq(json_string_value(at), raw_rows[_i].raw);
    } else {
        ck_assert(full && json_equal(v, full)); /* nothing raw: the same tree */
    }
    json_decref(full);
    json_decref(v);
}
END_TEST

/* A duplicate raw key is still a duplicate of its object. */
START_TEST(raw_key_twice_rejected)
{
    struct tg_error err = {0};
    ck_assert_ptr_null(parse_raw("{\"env\":[1],\"env\":[2]}", env_only, &err));
    ck_assert_msg(strstr(err.text, "duplicate object key"), "%s", err.text);
    ck_assert_int_eq(err.column, 12);
}
END_TEST

/* Inside a raw value errors are found where the full decoder finds them. */
START_TEST(raw_errors_as_full)
{
    const char *t = invalid[_i].text;
    if (t[0] != '[' && t[0] != '{')
        return;
    char text[256];
    snprintf(text, sizeof(text), "{\"env\":%s}", t);
    struct tg_error full_err = {0}, raw_err = {0};
    json_t *full = NULL;
    enum tg_rc rc = jsondec_parse(text, strlen(text), "t", &full, &full_err);
    json_decref(full);
    if (rc == TG_OK)
        return; /* e.g. "{}\n[]" is whole once wrapped */
    if (strstr(full_err.text, "duplicate object key"))
        return; /* not looked for inside a raw value (jsondec.h) */
    json_t *raw = parse_raw(text, env_only, &raw_err);
    ck_assert_msg(!raw, "%s accepted raw", text);
    ck_assert_str_eq(raw_err.text, full_err.text);
    ck_assert_int_eq(raw_err.line, full_err.line);
    ck_assert_int_eq(raw_err.column, full_err.column);
}
END_TEST

/* Structure inside a raw value (skip_container's own loop): the same
 * errors at the same bytes as the full decoder, and the same successes. */
static const char *const raw_structure[] = {
    "{\"env\":{\"a\":1,}}",
    "{\"env\":[1,]}",
    "{\"env\":{\"a\" 1}}",
    "{\"env\":{\"a\":1 \"b\":2}}",
    "{\"env\":[1 2]}",
    "{\"env\":{1:2}}",
    "{\"env\":[",
    "{\"env\":{\"a\":",
    "{\"env\":[[[]]],\"x\":}",
    "{\"env\":[{}, [ ], {\"a\":[{}]}], \"b\":1}",
    "{\"env\":[{\"a\":[1,{\"b\":[true,false,null,\"\\u00e9\"]}]},-1.5e3]}",
    "{\"env\":[]]",
    "{\"env\":{}}}",
    "{\"env\":[{]}",
    "{\"env\":[}",
    "{\"env\":{\"a\":[1}]}",
    "{\"env\":[01]}",
    "{\"env\":{\"\\q\":1}}",
    "{\"env\" [1]}",
};

static void assert_same_outcome(const char *text, size_t len)
{
    struct tg_error full_err = {0}, raw_err = {0};
    json_t *full = NULL, *raw = NULL;
    struct jsondec_opts opts = {.raw_keys = env_only};
    enum tg_rc frc = jsondec_parse(text, len, "t", &full, &full_err);
    enum tg_rc rrc = jsondec_parse_opts(text, len, "t", &opts, &raw, &raw_err);
    ck_assert_msg(frc == rrc, "%.60s: full %d, raw %d (%s / %s)", text, frc, rrc,
                  full_err.text, raw_err.text);
    if (frc != TG_OK) {
        ck_assert_str_eq(raw_err.text, full_err.text);
        ck_assert_int_eq(raw_err.line, full_err.line);
        ck_assert_int_eq(raw_err.column, full_err.column);
    }
    json_decref(full);
    json_decref(raw);
}

START_TEST(raw_structure_as_full)
{
    assert_same_outcome(raw_structure[_i], strlen(raw_structure[_i]));
}
END_TEST

/* The depth limit counts the levels inside a raw value as any other. */
START_TEST(raw_depth_as_full)
{
    for (size_t levels = 2040; levels <= 2050; levels++) {
        size_t len = 8 + 2 * levels + 1;
        char *text = malloc(len + 1);
        memcpy(text, "{\"env\":", 7);
        for (size_t i = 0; i < levels; i++) {
            text[7 + i] = '[';
            text[7 + levels + i] = ']';
        }
        text[7 + 2 * levels] = '}';
        text[7 + 2 * levels + 1] = '\0';
        assert_same_outcome(text, strlen(text));
        free(text);
    }
}
END_TEST

/* Where the lean tree holds a string and the full one a container, the
 * string decodes to that container. */
static void assert_raw_equal(json_t *full, json_t *lean, int *n_raw)
{
    if (json_is_string(lean) && (json_is_object(full) || json_is_array(full))) {
        json_t *back = NULL;
        struct tg_error err = {0};
        const char *s = json_string_value(lean);
        ck_assert_int_eq(jsondec_parse(s, strlen(s), "raw", &back, &err), TG_OK);
        ck_assert(json_equal(back, full));
        json_decref(back);
        ++*n_raw;
        return;
    }
    ck_assert_int_eq(json_typeof(full), json_typeof(lean));
    const char *key;
    json_t *v;
    size_t i;
    if (json_is_object(full)) {
        ck_assert_uint_eq(json_object_size(full), json_object_size(lean));
        json_object_foreach(full, key, v)
            assert_raw_equal(v, json_object_get(lean, key), n_raw);
    } else if (json_is_array(full)) {
        ck_assert_uint_eq(json_array_size(full), json_array_size(lean));
        json_array_foreach(full, i, v)
            assert_raw_equal(v, json_array_get(lean, i), n_raw);
    } else {
        ck_assert(json_equal(full, lean));
    }
}

START_TEST(raw_fixtures_decode_back)
{
    static const char *const keys[] = {
        "env",         "volumeMounts",  "resources", "volumes", "affinity",
        "tolerations", "managedFields", "status",    "options", "args",
        NULL};
    size_t len;
    char *text = fixture_read(fixtures[_i], &len);
    struct tg_error err = {0};
    json_t *full = NULL, *lean = NULL;
    struct jsondec_opts opts = {.raw_keys = keys};
    ck_assert_int_eq(jsondec_parse(text, len, "t", &full, &err), TG_OK);
    ck_assert_int_eq(jsondec_parse_opts(text, len, "t", &opts, &lean, &err), TG_OK);
    int n_raw = 0;
    assert_raw_equal(full, lean, &n_raw);
    if (strstr(fixtures[_i], "reviews/"))
        ck_assert_int_gt(n_raw, 3); /* the reviews do carry such members */
    json_decref(full);
    json_decref(lean);
    free(text);
}
END_TEST

static Suite *jsondec_suite(void)
{
    Suite *s = suite_create("jsondec");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, accepts_as_jansson, 0, ARRAY_LEN(valid));
    tcase_add_loop_test(tc, rejects_as_jansson, 0, ARRAY_LEN(invalid));
    tcase_add_loop_test(tc, fixtures_and_prefixes, 0, ARRAY_LEN(fixtures));
    tcase_add_loop_test(tc, special_at_every_offset, 0, ARRAY_LEN(specials));
    tcase_add_test(tc, depth_limit);
    tcase_add_test(tc, length_not_nul);
    tcase_add_test(tc, allocation_failures);
    tcase_add_loop_test(tc, raw_values_are_their_text, 0, ARRAY_LEN(raw_rows));
    tcase_add_test(tc, raw_key_twice_rejected);
    tcase_add_loop_test(tc, raw_errors_as_full, 0, ARRAY_LEN(invalid));
    tcase_add_loop_test(tc, raw_fixtures_decode_back, 0, ARRAY_LEN(fixtures));
    tcase_add_loop_test(tc, raw_structure_as_full, 0, ARRAY_LEN(raw_structure));
    tcase_add_test(tc, raw_depth_as_full);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(jsondec_suite());
}
