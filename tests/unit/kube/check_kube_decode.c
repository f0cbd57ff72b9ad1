/* check_kube_decode.c -- answer bodies to objects, and the faults of bad ones.
 *
 * kube_decode replaced json_loadb(JSON_REJECT_DUPLICATES) in kube_client, so
 * every body jansson decodes must give jansson's tree, and every body it
 * rejects must still be an error of the right class: cut short (every
 * prefix of a document, wherever it stops) or not JSON (with the place),
 * not an object, duplicate keys; an empty body is an empty object; an
 * allocation failure is "out of memory", never a malformed body.  Raw keys
 * leave their members as the input's text.
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "alloc_json.h"
#include "buf.h"
#include "kube_decode.h"
#include "podlist.h"
#include "testutil.h"

#define CALL "GET /api/v1/pods"

static enum tg_rc decode(const char *text, size_t len, const char *const *raw,
                         json_t **out, struct kube_error *err)
{
    const struct kube_body body = {text, len, raw};
    return kube_decode_object(&body, CALL, out, err);
}

/* Objects jansson reads: the same tree. */
static const char *const valid[] = {
    "{}",
    " \r\n\t{ \"a\" : [ ] } \n",
    "{\"kind\":\"PodList\",\"items\":[{\"metadata\":{\"name\":\"a\"}},{\"n\":-1.5e3}]}",
    "{\"s\":\"caf\xc3\xa9 \\u00e9 \\ud83d\\ude00 \\\"q\\\" \\\\ "
    "\\/\",\"b\":[true,false,null]}",
    "{\"big\":9223372036854775807,\"small\":-9223372036854775808,\"r\":1e-300}",
};

START_TEST(valid_bodies_give_janssons_tree)
{
    const char *text = valid[_i];
    json_t *got = NULL,
           *want = json_loadb(text, strlen(text), JSON_REJECT_DUPLICATES, NULL);
    struct kube_error err;
    ck_assert_ptr_nonnull(want);
    ck_assert_int_eq(decode(text, strlen(text), NULL, &got, &err), TG_OK);
    ck_assert(json_equal(got, want));
    json_decref(got);
    json_decref(want);
}
END_TEST

/* Bodies that are errors: the fault, and a part of the message. */
static const struct {
    const char *text;
    size_t len; /* 0: strlen */
    enum kube_fault fault;
    const char *message;
} invalid[] = {
    {"[1, 2, 3]", 0, KUBE_FAULT_BODY, "the answer is not a JSON object"},
    {"\"text\"", 0, KUBE_FAULT_BODY, "not JSON: '[' or '{' expected at line 1, column 1"},
    {"  \n ", 0, KUBE_FAULT_BODY, "not JSON: '[' or '{' expected at line 2, column 2"},
    {"<html>503</html>", 0, KUBE_FAULT_BODY, "not JSON"},
    {"{\"a\":}", 0, KUBE_FAULT_BODY, "not JSON: invalid token at line 1, column 6"},
    {"{\"a\":1}x", 0, KUBE_FAULT_BODY, "end of input expected at line 1, column 8"},
    {"{\"a\":1,\"a\":2}", 0, KUBE_FAULT_BODY, "duplicate object key at line 1, column 8"},
    {"{\"a\":\"b\0c\"}", 11, KUBE_FAULT_BODY, "control character in a string"},
    {"{\"a\":\"\xff\"}", 0, KUBE_FAULT_BODY, "invalid UTF-8"},
    {"{\n\"a\": tru", 0, KUBE_FAULT_BODY, "invalid token at line 2, column 6"},
    {"{\"kind\": \"ConfigMap\", \"data\": {\"a\": \"b\"", 0, KUBE_FAULT_TRUNCATED,
     "the answer was cut short after 39 bytes (incomplete JSON)"},
    {"{\"a\": [1, 2", 0, KUBE_FAULT_TRUNCATED, "cut short after 11 bytes"},
    {"\n{\"caf\xc3\xa9\": \"", 0, KUBE_FAULT_TRUNCATED, "cut short"},
    {"{\"n\": -", 0, KUBE_FAULT_TRUNCATED, "cut short"},
};

START_TEST(invalid_bodies_are_faults)
{
    const char *text = invalid[_i].text;
    size_t len = invalid[_i].len ? invalid[_i].len : strlen(text);
    json_t *out = NULL;
    struct kube_error err;
    ck_assert_int_eq(decode(text, len, NULL, &out, &err), TG_EIO);
    ck_assert_ptr_null(out);
    ck_assert_str_eq(kube_fault_str(err.fault), kube_fault_str(invalid[_i].fault));
    ck_assert_str_eq(err.base.source, CALL);
    ck_assert_int_eq(err.http_code, 0);
    ck_assert_msg(strstr(err.base.text, invalid[_i].message), "\"%s\" lacks \"%s\"",
                  err.base.text, invalid[_i].message);
    /* jansson rejects it too */
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
    ck_assert(!json_is_object(j));
    json_decref(j);
}
END_TEST

START_TEST(empty_body_is_an_empty_object)
{
    json_t *out = NULL;
    ck_assert_int_eq(decode("", 0, NULL, &out, NULL), TG_OK);
    ck_assert(json_is_object(out));
    ck_assert_uint_eq(json_object_size(out), 0);
    json_decref(out);
}
END_TEST

/* A body may stop anywhere: every proper prefix of a document is cut short,
 * except where it stops inside a literal, an escape or a UTF-8 sequence,
 * which reads as not JSON; never a success. */
START_TEST(every_prefix_is_an_error)
{
    static const char doc[] =
        "{\"kind\": \"PodList\", \"metadata\": {\"continue\": \"x\"},\n"
        " \"items\": [{\"name\": \"caf\xc3\xa9\", \"n\": [-12.5e3, 0, {}], "
        "\"ok\": true, \"s\": \"a\\nb\"}]}";
    size_t n = sizeof(doc) - 1;
    size_t t = (size_t)(strstr(doc, "true") - doc),
           esc = (size_t)(strchr(doc, '\\') - doc);
    size_t cut = 0;
    for (size_t len = 1; len < n; len++) {
        json_t *out = NULL;
        struct kube_error err;
        ck_assert_int_eq(decode(doc, len, NULL, &out, &err), TG_EIO);
        bool in_token = ((unsigned char)doc[len] & 0xC0) == 0x80 || /* UTF-8 */
                        len == esc + 1 || (len > t && len < t + 4);
        if (!in_token)
            ck_assert_msg(err.fault == KUBE_FAULT_TRUNCATED, "%zu: %s", len,
                          err.base.text);
        else
            ck_assert_msg(err.fault == KUBE_FAULT_BODY, "%zu: %s", len, err.base.text);
        cut += err.fault == KUBE_FAULT_TRUNCATED;
    }
    ck_assert_uint_gt(cut, n - 10);
}
END_TEST

/* A list page with raw keys: those members are the input's text, the rest
 * is built as before. */
START_TEST(raw_keys_keep_the_text)
{
    static const char *const raw[] = {"managedFields", "status", NULL};
    struct buf page;
    buf_init(&page, 0);
    const struct podlist_opts o = {.pods = 3, .page = 3, .owned = true};
    ck_assert_int_eq(podlist_page(&page, 0, &o), TG_OK);
    json_t *full = NULL, *lean = NULL;
    ck_assert_int_eq(decode(buf_str(&page), buf_len(&page), NULL, &full, NULL), TG_OK);
    ck_assert_int_eq(decode(buf_str(&page), buf_len(&page), raw, &lean, NULL), TG_OK);
    json_t *item = json_array_get(json_object_get(lean, "items"), 1);
    const char *status = json_string_value(json_object_get(item, "status"));
    ck_assert_ptr_nonnull(status);
    ck_assert_ptr_nonnull(strstr(buf_str(&page), status)); /* as it was sent */
    json_t *back = json_loads(status, 0, NULL);
    json_t *built = json_array_get(json_object_get(full, "items"), 1);
    ck_assert(json_equal(back, json_object_get(built, "status")));
    /* everything else as before */
    json_object_del(item, "status");
    json_object_del(json_object_get(item, "metadata"), "managedFields");
    json_object_del(built, "status");
    json_object_del(json_object_get(built, "metadata"), "managedFields");
    ck_assert(json_equal(item, built));
    json_decref(back);
    json_decref(full);
    json_decref(lean);
    buf_cleanup(&page);
}
END_TEST

/* Out of memory is said so, at every allocation, with and without raw
 * keys; never a malformed body, never a leak. */
START_TEST(allocation_failures_are_out_of_memory)
{
    static const char *const raw[] = {"managedFields", NULL};
    struct buf page;
    buf_init(&page, 0);
    const struct podlist_opts o = {.pods = 2, .page = 2, .owned = true};
    ck_assert_int_eq(podlist_page(&page, 0, &o), TG_OK);
    bool passed = false;
    for (long n = 0; !passed; n++) {
        json_t *out = NULL;
        struct kube_error err;
        alloc_fail_after(n);
        enum tg_rc rc =
            decode(buf_str(&page), buf_len(&page), _i ? raw : NULL, &out, &err);
        alloc_fail_after(-1);
        ck_assert_msg(rc == TG_OK || rc == TG_ENOMEM, "n=%ld: %d %s", n, rc,
                      err.base.text);
        if (rc == TG_ENOMEM) {
            ck_assert_int_eq(err.fault, KUBE_FAULT_LOCAL);
            ck_assert_str_eq(err.base.text, "out of memory");
        }
        passed = rc == TG_OK;
        json_decref(out);
    }
    alloc_fail_after(0);
    json_t *out = NULL;
    ck_assert_int_eq(decode("", 0, NULL, &out, NULL), TG_ENOMEM);
    alloc_fail_after(-1);
    buf_cleanup(&page);
}
END_TEST

int main(void)
{
    alloc_json_install();
    Suite *s = suite_create("kube_decode");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, valid_bodies_give_janssons_tree, 0, ARRAY_LEN(valid));
    tcase_add_loop_test(tc, invalid_bodies_are_faults, 0, ARRAY_LEN(invalid));
    tcase_add_test(tc, empty_body_is_an_empty_object);
    tcase_add_test(tc, every_prefix_is_an_error);
    tcase_add_test(tc, raw_keys_keep_the_text);
    tcase_add_loop_test(tc, allocation_failures_are_out_of_memory, 0, 2);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
