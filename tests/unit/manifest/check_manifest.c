/* check_manifest.c -- manifests in and out: typing, documents, Lists,
 * errors, round trips, limits and allocation failures. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "alloc_json.h"
#include "manifest.h"
#include "testutil.h"

/* Load `text` and insist it works; the message says why when it does not. */
static void load_ok(const char *text, size_t len, struct manifest_set *set)
{
    struct tg_error err = {0};
    char msg[1024];
    enum tg_rc rc = manifest_load(text, len, "test.yaml", set, &err);
    tg_error_format(&err, msg, sizeof(msg));
    ck_assert_msg(rc == TG_OK, "load failed (%d): %s\ninput:\n%s", rc, msg, text);
}

static void assert_json_equal(const json_t *got, const char *want_text)
{
    json_error_t jerr;
    json_t *want = json_loads(want_text, JSON_DECODE_ANY, &jerr);
    ck_assert_msg(want != NULL, "bad expected JSON %s: %s", want_text, jerr.text);
    char *got_text = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
    ck_assert_msg(json_equal(got, want), "got %s, want %s", got_text, want_text);
    free(got_text);
    json_decref(want);
}

/* ---- scalar typing, keys, anchors: one document, its JSON ---- */

static const struct {
    const char *yaml, *json;
} typing[] = {
    {"v: true", "{\"v\": true}"},
    {"v: True", "{\"v\": true}"},
    {"v: TRUE", "{\"v\": true}"},
    {"v: yes", "{\"v\": true}"},
    {"v: On", "{\"v\": true}"},
    {"v: y", "{\"v\": true}"},
    {"v: false", "{\"v\": false}"},
    {"v: no", "{\"v\": false}"},
    {"v: OFF", "{\"v\": false}"},
    {"v: n", "{\"v\": false}"},
    {"v: null", "{\"v\": null}"},
    {"v: Null", "{\"v\": null}"},
    {"v: ~", "{\"v\": null}"},
    {"v:", "{\"v\": null}"},
    {"v: 1000", "{\"v\": 1000}"},
    {"v: -7", "{\"v\": -7}"},
    {"v: +3", "{\"v\": 3}"},
    {"v: 0", "{\"v\": 0}"},
    {"v: 0x1F", "{\"v\": 31}"},
    {"v: 0o17", "{\"v\": 15}"},
    {"v: 017", "{\"v\": 15}"},
    {"v: 0b101", "{\"v\": 5}"},
    {"v: 1_000_000", "{\"v\": 1000000}"},
    {"v: -9223372036854775808", "{\"v\": -9223372036854775808}"},
    {"v: 9223372036854775808", "{\"v\": 9.223372036854775808e18}"},
    {"v: 09", "{\"v\": 9.0}"},
    {"v: 1.5", "{\"v\": 1.5}"},
    {"v: 1.", "{\"v\": 1.0}"},
    {"v: .5", "{\"v\": 0.5}"},
    {"v: -.5e1", "{\"v\": -5.0}"},
    {"v: 1e3", "{\"v\": 1000.0}"},
    {"v: 1e400", "{\"v\": \"1e400\"}"},
    {"v: 1.2.3", "{\"v\": \"1.2.3\"}"},
    {"v: 0x", "{\"v\": \"0x\"}"},
    {"v: 25%", "{\"v\": \"25%\"}"},
    {"v: 2001-12-14", "{\"v\": \"2001-12-14\"}"},
    {"v: yES", "{\"v\": \"yES\"}"},
    {"v: nginx:1.25", "{\"v\": \"nginx:1.25\"}"},
    {"v: .inf.x", "{\"v\": \".inf.x\"}"},
    {"v: \"true\"", "{\"v\": \"true\"}"},
    {"v: '1000'", "{\"v\": \"1000\"}"},
    {"v: \"\"", "{\"v\": \"\"}"},
    {"v: \"a\\tb\\u00e9\"", "{\"v\": \"a\\tb\\u00e9\"}"},
    {"v: |\n  a\n  b\n", "{\"v\": \"a\\nb\\n\"}"},
    {"v: |-\n  a\n", "{\"v\": \"a\"}"},
    {"v: >\n  a\n  b\n", "{\"v\": \"a b\\n\"}"},
    {"v: !!str 123", "{\"v\": \"123\"}"},
    {"v: !!int \"42\"", "{\"v\": 42}"},
    {"v: !!float 1", "{\"v\": 1.0}"},
    {"v: !!bool yes", "{\"v\": true}"},
    {"v: !!null ''", "{\"v\": null}"},
    {"v: !custom 12", "{\"v\": \"12\"}"},
    {"v: ! 12", "{\"v\": \"12\"}"},
    {"1: a", "{\"1\": \"a\"}"},
    {"0x10: a", "{\"16\": \"a\"}"},
    {"on: a", "{\"true\": \"a\"}"},
    {"1.5: a", "{\"1.5\": \"a\"}"},
    {"1e6: a", "{\"1e+06\": \"a\"}"},
    {"'on': a", "{\"on\": \"a\"}"},
    {"\"<<\": a", "{\"<<\": \"a\"}"},
    {"v: <<", "{\"v\": \"<<\"}"},
    {"v: [1, \"a\", {k: v}, [], {}]", "{\"v\": [1, \"a\", {\"k\": \"v\"}, [], {}]}"},
    {"a: &x {p: 1}\nb: *x", "{\"a\": {\"p\": 1}, \"b\": {\"p\": 1}}"},
    {"a: &s text\nb: *s\n*s : k", "{\"a\": \"text\", \"b\": \"text\", \"text\": \"k\"}"},
    {"a: &x 1\nb: &x 2\nc: *x", "{\"a\": 1, \"b\": 2, \"c\": 2}"},
    {"b: &b {x: 1, z: 2}\nd:\n  <<: *b\n  z: 3",
     "{\"b\": {\"x\": 1, \"z\": 2}, \"d\": {\"z\": 3, \"x\": 1}}"},
    {"d:\n  z: 3\n  <<: {x: 1, z: 2}", "{\"d\": {\"z\": 3, \"x\": 1}}"},
    {"a: &a {x: 1}\nb: &b {x: 2, z: 2}\nc:\n  <<: [*a, *b]",
     "{\"a\": {\"x\": 1}, \"b\": {\"x\": 2, \"z\": 2}, \"c\": {\"x\": 1, \"z\": 2}}"},
    /* go-yaml v2's YAML 1.1 keys: kubectl really turns `y:` into "true". */
    {"y: 1\nn: 0", "{\"true\": 1, \"false\": 0}"},
    {"v: # comment\n  - 1 # more\n", "{\"v\": [1]}"},
    {"\xef\xbb\xbfv: 1", "{\"v\": 1}"},
};

START_TEST(types_scalars_like_kubectl)
{
    struct manifest_set set;
    load_ok(typing[_i].yaml, strlen(typing[_i].yaml), &set);
    ck_assert_uint_eq(set.n, 1);
    ck_assert_int_eq(set.format, MANIFEST_YAML);
    assert_json_equal(set.docs[0].object, typing[_i].json);
    manifest_set_cleanup(&set);
}
END_TEST

/* An alias is a copy: changing one place leaves the other alone. */
START_TEST(aliases_are_independent_copies)
{
    const char *text = "a: &x {p: [1]}\nb: *x\n";
    struct manifest_set set;
    load_ok(text, strlen(text), &set);
    json_t *a = json_object_get(set.docs[0].object, "a");
    json_t *b = json_object_get(set.docs[0].object, "b");
    ck_assert_ptr_ne(a, b);
    json_array_append_new(json_object_get(a, "p"), json_integer(2));
    ck_assert_uint_eq(json_array_size(json_object_get(b, "p")), 1);
    manifest_set_cleanup(&set);
}
END_TEST

/* ---- documents: how many, where, what ---- */

static const struct {
    const char *fixture; /* under tests/data/manifests/, or NULL */
    const char *text;    /* used when fixture is NULL */
    enum manifest_format format;
    size_t n;
    const char *kinds; /* "Kind/name Kind/name ..." */
    int lines[4];
} documents[] = {
    {"deployment.yaml", NULL, MANIFEST_YAML, 2, "Deployment/web Service/web", {3, 75}},
    {"pod.yaml", NULL, MANIFEST_YAML, 1, "Pod/toolbox", {3}},
    {"cronjob.yaml", NULL, MANIFEST_YAML, 1, "CronJob/nightly-report", {2}},
    {"multi.yaml",
     NULL,
     MANIFEST_YAML,
     3,
     "Namespace/shop ConfigMap/settings ServiceAccount/web",
     {4, 11, 23}},
    {"list.yaml", NULL, MANIFEST_YAML, 2, "Deployment/web Service/web", {1, 1}},
    {"podlist.json",
     NULL,
     MANIFEST_JSON,
     2,
     "Pod/web-7d9f8c6b5-x2x9k Pod/toolbox",
     {1, 1}},
    {"deploymentlist.json",
     NULL,
     MANIFEST_JSON,
     3,
     "Deployment/api Deployment/worker Deployment/cache",
     {1, 1, 1}},
    {"stream.json", NULL, MANIFEST_JSON, 3, "ConfigMap/a Pod/b Secret/c", {1, 2, 5}},
    {NULL, "", MANIFEST_YAML, 0, "", {0}},
    {NULL, "# nothing here\n", MANIFEST_YAML, 0, "", {0}},
    {NULL, "---\n---\n...\n", MANIFEST_YAML, 0, "", {0}},
    {NULL,
     "--- null\n---\nkind: Pod\nmetadata: {name: p}\n",
     MANIFEST_YAML,
     1,
     "Pod/p",
     {3}},
    {NULL,
     "kind: A\nmetadata: {name: a}\n---\n\n\nkind: B\nmetadata: {name: b}\n",
     MANIFEST_YAML,
     2,
     "A/a B/b",
     {1, 6}},
    {NULL,
     "{\"kind\":\"A\",\"metadata\":{\"name\":\"a\"}}{\"kind\":\"B\",\"metadata\":{"
     "\"name\":\"b\"}}",
     MANIFEST_JSON,
     2,
     "A/a B/b",
     {1, 1}},
    {NULL,
     "  \n\n  {\"kind\":\"A\",\"metadata\":{\"name\":\"a\"}}  \n",
     MANIFEST_JSON,
     1,
     "A/a",
     {3}},
    {NULL, "kind: List\nitems: []\n", MANIFEST_YAML, 0, "", {0}},
    {NULL,
     "kind: PodList\napiVersion: v1\nitems:\n- metadata: {name: a}\n",
     MANIFEST_YAML,
     1,
     "Pod/a",
     {1}},
    {NULL,
     "kind: ShoppingList\nitems: milk\nmetadata: {name: s}\n",
     MANIFEST_YAML,
     1,
     "ShoppingList/s",
     {1}},
    {NULL,
     "x: 1\n---\nkind: List\nitems:\n- {kind: A, metadata: {name: a}}\n"
     "- {kind: B, metadata: {name: b}}\n",
     MANIFEST_YAML,
     3,
     "(none)/(none) A/a B/b",
     {1, 3, 3}},
};

static void kinds_of(const struct manifest_set *set, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < set->n && used < size; i++) {
        const json_t *o = set->docs[i].object;
        const char *kind = json_string_value(json_object_get(o, "kind"));
        const char *name =
            json_string_value(json_object_get(json_object_get(o, "metadata"), "name"));
        int n = snprintf(out + used, size - used, "%s%s/%s", i ? " " : "",
                         kind ? kind : "(none)", name ? name : "(none)");
        used += (size_t)n;
    }
}

START_TEST(finds_every_document)
{
    size_t len = 0;
    char rel[128];
    char *text = NULL;
    if (documents[_i].fixture) {
        snprintf(rel, sizeof(rel), "manifests/%s", documents[_i].fixture);
        text = fixture_read(rel, &len);
    }
    const char *in = text ? text : documents[_i].text;
    struct manifest_set set;
    char kinds[512];
    load_ok(in, text ? len : strlen(in), &set);
    ck_assert_int_eq(set.format, documents[_i].format);
    ck_assert_uint_eq(set.n, documents[_i].n);
    kinds_of(&set, kinds, sizeof(kinds));
    ck_assert_str_eq(kinds, documents[_i].kinds);
    for (size_t i = 0; i < set.n && i < ARRAY_LEN(documents[_i].lines); i++)
        ck_assert_int_eq(set.docs[i].line, documents[_i].lines[i]);
    manifest_set_cleanup(&set);
    free(text);
}
END_TEST

/* Items of a typed list from the API server have no kind of their own. */
START_TEST(typed_list_items_get_their_kind)
{
    size_t len;
    char *text = fixture_read("manifests/deploymentlist.json", &len);
    struct manifest_set set;
    load_ok(text, len, &set);
    for (size_t i = 0; i < set.n; i++) {
        const json_t *o = set.docs[i].object;
        ck_assert_str_eq(json_string_value(json_object_get(o, "apiVersion")), "apps/v1");
    }
    manifest_set_cleanup(&set);
    free(text);
}
END_TEST

/* ---- errors: code, place, and words that help ---- */

static const struct {
    const char *in;
    enum tg_rc rc;
    int line, column;
    const char *says;
} errors[] = {
    {"a:\n\tb: 1\n", TG_EINVAL, 2, 1, "tab character"},
    {"a:\n  b: 1\n\t c: 2\n", TG_EINVAL, 3, 1, "tab character"},
    {"a: \"abc\nb: 2\n", TG_EINVAL, 1, 4, "unclosed quoted string"},
    {"a: 'abc\n", TG_EINVAL, 1, 4, "unclosed quoted string"},
    {"a:\n  b: 1\n c: 2\n", TG_EINVAL, 3, 2, "bad indentation"},
    {"a:\n  - b\n  c: 1\n", TG_EINVAL, 3, 3, "bad indentation"},
    {"a: b\n- c\n", TG_EINVAL, 2, 1, "bad indentation"},
    {"a: 1\nb: 2\na: 3\n", TG_EINVAL, 3, 1, "duplicate key \"a\" (first at line 1)"},
    {"m:\n  x: 1\n  \"x\": 2\n", TG_EINVAL, 3, 3,
     "duplicate key \"x\" (first at line 2)"},
    {"m:\n  <<: {x: 1}\n  z: 2\n  x: 3\n  z: 4\n", TG_EINVAL, 5, 3,
     "\"z\" (first at line 3)"},
    {"true: 1\non: 2\n", TG_EINVAL, 2, 1, "duplicate key \"true\" (first at line 1)"},
    {"{\"a\":1,\n \"a\":2}", TG_EINVAL, 2, 4, "duplicate object key"},
    {"a: b: c\n", TG_EINVAL, 1, 5, "unexpected ':'"},
    {"a: [1, 2\n", TG_EINVAL, 2, 1, "unclosed '['"},
    {"a: {b: 1\n", TG_EINVAL, 2, 1, "unclosed '{'"},
    {"a: \xff\n", TG_EINVAL, 1, 4, "not valid UTF-8"},
    {"a: \"\\q\"\n", TG_EINVAL, 1, 5, "unknown escape"},
    {"a: \"x\\0y\"\n", TG_EINVAL, 1, 4, "NUL character"},
    {"\"k\\0\": 1\n", TG_EINVAL, 1, 1, "NUL character"},
    {"{\"a\": \"x\\u0000\"}", TG_EINVAL, 1, 15, "NUL character (\\u0000)"},
    {"a: @x\n", TG_EINVAL, 1, 4, "'@' cannot start a value"},
    {"just text\n", TG_EINVAL, 1, 1, "document 1 is a string, not a Kubernetes object"},
    {"a: 1\n---\n- a\n- b\n", TG_EINVAL, 3, 1, "document 2 is a list"},
    {"[1, 2]", TG_EINVAL, 1, 1, "document 1 is a list"},
    {"kind: List\nitems:\n- 1\n", TG_EINVAL, 1, 0, "items[0] of this List is a number"},
    {"~: 1\n", TG_EINVAL, 1, 1, "key cannot be null"},
    {"? [a]\n: 1\n", TG_EINVAL, 1, 3, "key must be a scalar"},
    {"a: .inf\n", TG_EINVAL, 1, 4, "no JSON form"},
    {"a: -.Inf\n", TG_EINVAL, 1, 4, "no JSON form"},
    {"a: .nan\n", TG_EINVAL, 1, 4, "no JSON form"},
    {"a: !!int abc\n", TG_EINVAL, 1, 4, "cannot read \"abc\" as !!int"},
    {"a: !!bool 1\n", TG_EINVAL, 1, 4, "as !!bool"},
    {"a: !!binary aGk=\n", TG_EINVAL, 1, 4, "!!binary"},
    {"a: *nope\n", TG_EINVAL, 1, 4, "unknown alias *nope"},
    {"a: &x 1\n---\nb: *x\n", TG_EINVAL, 3, 4, "unknown alias *x"},
    {"a: &x [1, *x]\n", TG_EINVAL, 1, 11, "unknown alias *x"},
    {"&k a: 1\n", TG_EINVAL, 1, 1, "anchors on mapping keys"},
    {"a: &m {x: 1}\n*m : 2\n", TG_EINVAL, 2, 1, "key must be a scalar"},
    {"a:\n  <<: 1\n", TG_EINVAL, 2, 7, "merge key '<<'"},
    {"a:\n  <<: [{x: 1}, 2]\n", TG_EINVAL, 2, 7, "item 2 is not a mapping"},
    {"{\"a\": }", TG_EINVAL, 1, 7, "malformed JSON"},
    {"{\"a\": 1}\n {\"b\":}", TG_EINVAL, 2, 7, "malformed JSON"},
    {"{\"a\": 1", TG_EINVAL, 1, 7, "malformed JSON"},
    {"{apiVersion: v1}", TG_EINVAL, 1, 11, "malformed JSON"},
    {"a: 1\n--- x\n", TG_EINVAL, 2, 5, "document 2 is a string"},
    {"a: 1\nb\n", TG_EINVAL, 3, 1, "a key must be followed by ': '"},
    /* Nine levels of nine: a billion strings from a few hundred bytes. */
    {"a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n"
     "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
     "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
     "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
     "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
     "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
     "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
     "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
     "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n",
     TG_EINVAL, 6, 8, "billion laughs"},
};

START_TEST(reports_errors_with_place)
{
    struct manifest_set set = {(struct manifest_doc *)&set, 42, MANIFEST_JSON};
    struct tg_error err = {0};
    enum tg_rc rc =
        manifest_load(errors[_i].in, strlen(errors[_i].in), "bad.yaml", &set, &err);
    ck_assert_msg(rc == errors[_i].rc, "rc %d, want %d (%s)", rc, errors[_i].rc,
                  err.text);
    ck_assert_str_eq(err.source, "bad.yaml");
    ck_assert_msg(strstr(err.text, errors[_i].says), "message \"%s\" lacks \"%s\"",
                  err.text, errors[_i].says);
    ck_assert_msg(err.line == errors[_i].line && err.column == errors[_i].column,
                  "at %d:%d, want %d:%d (%s)", err.line, err.column, errors[_i].line,
                  errors[_i].column, err.text);
    ck_assert_uint_eq(set.n, 42); /* untouched on failure */
}
END_TEST

static char *repeat(const char *head, const char *unit, size_t n, const char *tail)
{
    size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
    char *s = malloc(hl + ul * n + tl + 1);
    ck_assert_ptr_nonnull(s);
    memcpy(s, head, hl);
    for (size_t i = 0; i < n; i++)
        memcpy(s + hl + i * ul, unit, ul);
    memcpy(s + hl + ul * n, tail, tl + 1);
    return s;
}

static const struct {
    const char *head, *unit, *tail;
    size_t n;
    int column; /* where the 513th level opens */
} too_deep[] = {
    {"a: ", "[", "", 10000, 4 + MANIFEST_MAX_DEPTH - 1},
    {"", "- ", "x\n", 10000, 1 + 2 * MANIFEST_MAX_DEPTH},
    {"", "[", "", 10000, 1 + MANIFEST_MAX_DEPTH},
    {"{\"a\":", "{\"a\":", "", 10000, 1 + 5 * MANIFEST_MAX_DEPTH},
};

START_TEST(refuses_deep_nesting)
{
    char *text =
        repeat(too_deep[_i].head, too_deep[_i].unit, too_deep[_i].n, too_deep[_i].tail);
    struct manifest_set set;
    struct tg_error err = {0};
    ck_assert_int_eq(manifest_load(text, strlen(text), "deep", &set, &err), TG_EINVAL);
    ck_assert_msg(strstr(err.text, "nesting deeper than 512"), "%s", err.text);
    ck_assert_int_eq(err.line, 1);
    ck_assert_int_eq(err.column, too_deep[_i].column);
    free(text);
}
END_TEST

/* Exactly MANIFEST_MAX_DEPTH levels is fine, in both formats. */
START_TEST(accepts_nesting_at_the_limit)
{
    char *yaml = repeat("a: ", "[", MANIFEST_MAX_DEPTH - 1, "");
    char *json = repeat("{\"a\":", "[", MANIFEST_MAX_DEPTH - 1, "");
    size_t yl = strlen(yaml), jl = strlen(json);
    yaml = realloc(yaml, yl + MANIFEST_MAX_DEPTH + 1);
    json = realloc(json, jl + MANIFEST_MAX_DEPTH + 1);
    memset(yaml + yl, ']', MANIFEST_MAX_DEPTH - 1);
    yaml[yl + MANIFEST_MAX_DEPTH - 1] = '\0';
    memset(json + jl, ']', MANIFEST_MAX_DEPTH - 1);
    memcpy(json + jl + MANIFEST_MAX_DEPTH - 1, "}", 2);
    struct manifest_set set;
    load_ok(yaml, strlen(yaml), &set);
    manifest_set_cleanup(&set);
    load_ok(json, strlen(json), &set);
    manifest_set_cleanup(&set);
    free(yaml);
    free(json);
}
END_TEST

/* Brackets inside JSON strings (escaped quotes too) are not nesting. */
START_TEST(counts_only_real_json_brackets)
{
    char *brackets = repeat("{\"a\": \"\\\"", "[{", 2000, "\"}");
    struct manifest_set set;
    load_ok(brackets, strlen(brackets), &set);
    ck_assert_uint_eq(json_string_length(json_object_get(set.docs[0].object, "a")), 4001);
    manifest_set_cleanup(&set);
    free(brackets);
}
END_TEST

START_TEST(reads_a_1mib_scalar)
{
    const size_t n = 1024 * 1024;
    char *plain = repeat("data: ", "x", n, "\n");
    char *quoted = repeat("data: \"", "y", n, "\"\n");
    struct manifest_set set;
    load_ok(plain, strlen(plain), &set);
    ck_assert_uint_eq(json_string_length(json_object_get(set.docs[0].object, "data")), n);
    manifest_set_cleanup(&set);
    load_ok(quoted, strlen(quoted), &set);
    ck_assert_uint_eq(json_string_length(json_object_get(set.docs[0].object, "data")), n);
    manifest_set_cleanup(&set);
    free(plain);
    free(quoted);
}
END_TEST

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

START_TEST(reads_10000_containers_quickly)
{
    const size_t n = 10000;
    struct buf b;
    buf_init(&b, 0);
    ck_assert_int_eq(buf_appends(&b, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: big\n"
                                     "spec:\n  containers:\n"),
                     TG_OK);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(buf_appendf(&b,
                                     "  - name: c%zu\n    image: nginx:1.25\n"
                                     "    ports: [{containerPort: %zu}]\n",
                                     i, 1000 + i),
                         TG_OK);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct manifest_set set;
    load_ok(buf_str(&b), buf_len(&b), &set);
    double took = seconds_since(&t0);
    json_t *containers =
        json_object_get(json_object_get(set.docs[0].object, "spec"), "containers");
    ck_assert_uint_eq(json_array_size(containers), n);
    ck_assert_str_eq(
        json_string_value(json_object_get(json_array_get(containers, n - 1), "name")),
        "c9999");
    /* Linear work is milliseconds; a quadratic slip would take far longer.
     * The bound leaves room for valgrind. */
    ck_assert_msg(took < 10.0, "took %.2f s", took);
    manifest_set_cleanup(&set);
    buf_cleanup(&b);
}
END_TEST

/* Many anchors, each used once: lookups must not scan every anchor. */
START_TEST(reads_many_anchors_quickly)
{
    const size_t n = 50000;
    struct buf b;
    buf_init(&b, 0);
    ck_assert_int_eq(buf_appends(&b, "a:\n"), TG_OK);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(buf_appendf(&b, "- &a%zu v%zu\n", i, i), TG_OK);
    ck_assert_int_eq(buf_appends(&b, "b:\n"), TG_OK);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(buf_appendf(&b, "- *a%zu\n", n - 1 - i), TG_OK);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct manifest_set set;
    load_ok(buf_str(&b), buf_len(&b), &set);
    double took = seconds_since(&t0);
    json_t *aliased = json_object_get(set.docs[0].object, "b");
    ck_assert_uint_eq(json_array_size(aliased), n);
    ck_assert_str_eq(json_string_value(json_array_get(aliased, 0)), "v49999");
    ck_assert_msg(took < 10.0, "took %.2f s", took);
    manifest_set_cleanup(&set);
    buf_cleanup(&b);
}
END_TEST

/* ---- writing, and reading back ---- */

/* Emit `docs` in `format`, read the text back, and insist on equality. */
static void assert_round_trip(json_t *docs, enum manifest_format format)
{
    struct buf out;
    struct tg_error err = {0};
    struct manifest_set set;
    buf_init(&out, 0);
    ck_assert_msg(manifest_emit(docs, format, &out, &err) == TG_OK, "emit: %s", err.text);
    load_ok(buf_str(&out), buf_len(&out), &set);
    ck_assert_int_eq(set.format, format);
    ck_assert_uint_eq(set.n, json_array_size(docs));
    for (size_t i = 0; i < set.n; i++) {
        char *want = json_dumps(json_array_get(docs, i), JSON_COMPACT);
        char *got = json_dumps(set.docs[i].object, JSON_COMPACT);
        ck_assert_msg(json_equal(set.docs[i].object, json_array_get(docs, i)),
                      "round trip changed\n%s\ninto\n%s\nvia\n%s", want, got,
                      buf_str(&out));
        free(want);
        free(got);
    }
    manifest_set_cleanup(&set);
    buf_cleanup(&out);
}

static const char *const fixtures[] = {
    "manifests/deployment.yaml", "manifests/pod.yaml",
    "manifests/cronjob.yaml",    "manifests/multi.yaml",
    "manifests/list.yaml",       "manifests/podlist.json",
    "manifests/stream.json",     "manifests/deploymentlist.json",
};

START_TEST(fixtures_round_trip)
{
    size_t len;
    char *text = fixture_read(fixtures[_i], &len);
    struct manifest_set set;
    load_ok(text, len, &set);
    json_t *docs = json_array();
    for (size_t i = 0; i < set.n; i++)
        json_array_append(docs, set.docs[i].object);
    assert_round_trip(docs, MANIFEST_YAML);
    assert_round_trip(docs, MANIFEST_JSON);
    json_decref(docs);
    manifest_set_cleanup(&set);
    free(text);
}
END_TEST

/* Values a careless writer would change: each as a value and as a key. */
static const char *const tricky[] = {
    "\"true\"",
    "\"True\"",
    "\"yes\"",
    "\"y\"",
    "\"N\"",
    "\"off\"",
    "\"null\"",
    "\"~\"",
    "\"\"",
    "\"1000\"",
    "\"-7\"",
    "\"0x1F\"",
    "\"0o17\"",
    "\"017\"",
    "\"1_000\"",
    "\"1e3\"",
    "\"09\"",
    "\".5\"",
    "\".inf\"",
    "\"-.inf\"",
    "\".NaN\"",
    "\"<<\"",
    "\" lead\"",
    "\"trail \"",
    "\" \"",
    "\"a: b\"",
    "\"key:\"",
    "\"#x\"",
    "\"x #y\"",
    "\"x#y\"",
    "\"-x\"",
    "\"- x\"",
    "\"---\"",
    "\"...\"",
    "\"?x\"",
    "\":x\"",
    "\"*x\"",
    "\"&x\"",
    "\"!x\"",
    "\"|x\"",
    "\">x\"",
    "\"'x\"",
    "\"\\\"x\"",
    "\"%x\"",
    "\"@x\"",
    "\"`x\"",
    "\"[x]\"",
    "\"{x}\"",
    "\",x\"",
    "\"a,b\"",
    "\"http://x\"",
    "\"\\tx\"",
    "\"x\\ty\"",
    "\"back\\\\slash\"",
    "\"\\u0085\"",
    "\"\\u2028\"",
    "\"\\ufeffx\"",
    "\"\\u007f\"",
    "\"\\u0001\"",
    "\"\\r\\n\"",
    "\"\\u00e9t\\u00e9\"",
    "\"\\ud83d\\ude00\"",
    "\"line\\nline\"",
    "\"line\\nline\\n\"",
    "\"keep\\n\\n\"",
    "\"\\nlead\"",
    "\"  indented\\nx\"",
    "\"a\\n  b\\n\"",
    "\"a\\n  \\nb\"",
    "\"a\\n\\nb\\n\"",
    "\"2001-12-14\"",
    "\"25%\"",
    "\"nginx:1.25\"",
    "\"=\"",
    "0",
    "-1",
    "9223372036854775807",
    "-9223372036854775808",
    "1.0",
    "-0.0",
    "0.1",
    "1e300",
    "1.5e-300",
    "123456789.125",
    "true",
    "false",
    "null",
    "{}",
    "[]",
    "[[]]",
    "[{}]",
    "[[1, [2]], {\"a\": [{}]}]",
    "{\"a\": {\"b\": {\"c\": []}}}",
};

START_TEST(tricky_values_round_trip)
{
    json_error_t jerr;
    json_t *v = json_loads(tricky[_i], JSON_DECODE_ANY, &jerr);
    ck_assert_msg(v != NULL, "%s: %s", tricky[_i], jerr.text);
    json_t *docs = json_array();
    json_array_append_new(docs, json_pack("{s:O}", "v", v));
    json_array_append_new(docs, json_pack("{s:[O,O]}", "list", v, v));
    if (json_is_string(v))
        json_array_append_new(docs, json_pack("{s:i}", json_string_value(v), 1));
    assert_round_trip(docs, MANIFEST_YAML);
    assert_round_trip(docs, MANIFEST_JSON);
    json_decref(docs);
    json_decref(v);
}
END_TEST

/* What the YAML looks like: plain where safe, quoted where it must be. */
static const struct {
    const char *json, *yaml;
} shapes[] = {
    {"{\"v\": \"true\"}", "v: \"true\"\n"},
    {"{\"v\": \"1000\"}", "v: \"1000\"\n"},
    {"{\"v\": \"\"}", "v: \"\"\n"},
    {"{\"v\": \"plain text\"}", "v: plain text\n"},
    {"{\"v\": \"a: b\"}", "v: \"a: b\"\n"},
    {"{\"v\": \"tab\\there\"}", "v: \"tab\\there\"\n"},
    {"{\"v\": \"a\\nb\\n\"}", "v: |\n  a\n  b\n"},
    {"{\"v\": \"a\\nb\"}", "v: |-\n  a\n  b\n"},
    {"{\"v\": \"a\\n\\n\"}", "v: |+\n  a\n\n"},
    {"{\"v\": 1.0, \"w\": 0.5, \"i\": 3}", "v: 1.0\nw: 0.5\ni: 3\n"},
    {"{\"v\": null, \"t\": true, \"e\": {}, \"l\": []}",
     "v: null\nt: true\ne: {}\nl: []\n"},
    {"{\"m\": {\"a\": 1}, \"s\": [1, {\"k\": 1, \"j\": 2}, [2, 3]]}",
     "m:\n  a: 1\ns:\n- 1\n- k: 1\n  j: 2\n- - 2\n  - 3\n"},
    {"{\"true\": 1}", "\"true\": 1\n"},
};

START_TEST(writes_kubectl_shaped_yaml)
{
    json_t *obj = json_loads(shapes[_i].json, 0, NULL);
    json_t *docs = json_pack("[o]", obj);
    struct buf out;
    buf_init(&out, 0);
    ck_assert_int_eq(manifest_emit(docs, MANIFEST_YAML, &out, NULL), TG_OK);
    ck_assert_str_eq(buf_str(&out), shapes[_i].yaml);
    buf_cleanup(&out);
    json_decref(docs);
}
END_TEST

START_TEST(writes_documents_and_json_streams)
{
    json_t *docs = json_loads("[{\"a\": 1}, {\"b\": [\"x\"]}]", 0, NULL);
    struct buf out;
    buf_init(&out, 0);
    ck_assert_int_eq(manifest_emit(docs, MANIFEST_YAML, &out, NULL), TG_OK);
    ck_assert_str_eq(buf_str(&out), "a: 1\n---\nb:\n- x\n");
    buf_reset(&out);
    ck_assert_int_eq(manifest_emit(docs, MANIFEST_JSON, &out, NULL), TG_OK);
    ck_assert_str_eq(buf_str(&out),
                     "{\n  \"a\": 1\n}\n{\n  \"b\": [\n    \"x\"\n  ]\n}\n");
    buf_cleanup(&out);
    json_decref(docs);
}
END_TEST

/* Keys too long for a YAML simple key, and keys that need escapes. */
/* Found by tests/fuzz/fuzz_manifest.c: an empty first object was written
 * as "{}", which reads back as JSON and fails at the next "---". */
START_TEST(empty_first_object_round_trips)
{
    json_t *docs = json_loads("[{}, {\"kind\": \"Pod\"}, {}]", 0, NULL);
    assert_round_trip(docs, MANIFEST_YAML);
    assert_round_trip(docs, MANIFEST_JSON);
    json_decref(docs);
}
END_TEST

START_TEST(odd_strings_round_trip)
{
    char long_key[2000];
    memset(long_key, 'k', sizeof(long_key) - 1);
    long_key[sizeof(long_key) - 1] = '\0';
    json_t *obj = json_object();
    json_object_set_new(obj, long_key, json_string("long key"));
    json_object_set_new(obj, "quoted long key \"\n\"", json_string("x"));
    json_t *docs = json_pack("[o]", obj);
    assert_round_trip(docs, MANIFEST_YAML);
    json_decref(docs);
}
END_TEST

static const struct {
    const char *json; /* the `objects` argument */
    enum tg_rc rc;
    const char *says;
} emit_errors[] = {
    {"{\"a\": 1}", TG_EINVAL, "array of objects"},
    {"[{\"a\": 1}, 2]", TG_EINVAL, "item 1 is a number"},
    {"[[]]", TG_EINVAL, "item 0 is a list"},
};

START_TEST(refuses_what_it_cannot_write)
{
    json_t *objects = json_loads(emit_errors[_i].json, JSON_DECODE_ANY, NULL);
    struct buf out;
    struct tg_error err = {0};
    buf_init(&out, 0);
    ck_assert_int_eq(manifest_emit(objects, MANIFEST_YAML, &out, &err),
                     emit_errors[_i].rc);
    ck_assert_msg(strstr(err.text, emit_errors[_i].says), "%s", err.text);
    ck_assert_uint_eq(buf_len(&out), 0); /* nothing written on failure */
    buf_cleanup(&out);
    json_decref(objects);
}
END_TEST

START_TEST(respects_the_output_cap)
{
    json_t *docs = json_loads("[{\"a\": \"0123456789\"}]", 0, NULL);
    struct buf out;
    struct tg_error err = {0};
    buf_init(&out, 8);
    ck_assert_int_eq(manifest_emit(docs, MANIFEST_YAML, &out, &err), TG_ETOOBIG);
    ck_assert_uint_eq(buf_len(&out), 0);
    ck_assert_int_eq(manifest_emit(docs, MANIFEST_JSON, &out, &err), TG_ETOOBIG);
    buf_cleanup(&out);
    json_decref(docs);
}
END_TEST

START_TEST(refuses_writing_too_deep)
{
    json_t *root = json_object();
    json_t *cur = root;
    for (int i = 0; i < MANIFEST_MAX_DEPTH + 1; i++) {
        json_t *next = json_object();
        json_object_set_new(cur, "a", next);
        cur = next;
    }
    json_object_set_new(cur, "leaf", json_true());
    json_t *docs = json_pack("[o]", root);
    struct buf out;
    struct tg_error err = {0};
    buf_init(&out, 0);
    ck_assert_int_eq(manifest_emit(docs, MANIFEST_YAML, &out, &err), TG_EINVAL);
    ck_assert_msg(strstr(err.text, "deeper than 512"), "%s", err.text);
    buf_cleanup(&out);
    json_decref(docs);
}
END_TEST

/* ---- allocation failures: every failing allocation, no leak, no crash ---- */

static const char *const alloc_inputs[] = {
    "manifests/deployment.yaml", "manifests/multi.yaml",          "manifests/list.yaml",
    "manifests/stream.json",     "manifests/deploymentlist.json",
};

START_TEST(survives_allocation_failures)
{
    size_t len;
    char *text = fixture_read(alloc_inputs[_i], &len);
    struct manifest_set set;
    long n = 0;
    for (;; n++) {
        struct tg_error err = {0};
        alloc_fail_after(n);
        enum tg_rc rc = manifest_load(text, len, "f", &set, &err);
        alloc_fail_after(-1);
        if (rc == TG_OK)
            break;
        ck_assert_msg(rc == TG_ENOMEM, "after %ld allocations: rc %d (%s)", n, rc,
                      err.text);
    }
    ck_assert_uint_gt(n, 10); /* the walk did fail somewhere */
    json_t *docs = json_array();
    for (size_t i = 0; i < set.n; i++)
        json_array_append(docs, set.docs[i].object);
    for (int format = MANIFEST_YAML; format <= MANIFEST_JSON; format++) {
        struct buf out;
        buf_init(&out, 0);
        for (n = 0;; n++) {
            alloc_fail_after(n);
            enum tg_rc rc = manifest_emit(docs, (enum manifest_format)format, &out, NULL);
            alloc_fail_after(-1);
            if (rc == TG_OK)
                break;
            ck_assert_int_eq(rc, TG_ENOMEM);
            ck_assert_uint_eq(buf_len(&out), 0);
        }
        ck_assert_uint_gt(buf_len(&out), 0);
        buf_cleanup(&out);
    }
    json_decref(docs);
    manifest_set_cleanup(&set);
    free(text);
}
END_TEST

static Suite *manifest_suite(void)
{
    Suite *s = suite_create("manifest");
    TCase *tc = tcase_create("read");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, types_scalars_like_kubectl, 0, ARRAY_LEN(typing));
    tcase_add_test(tc, aliases_are_independent_copies);
    tcase_add_loop_test(tc, finds_every_document, 0, ARRAY_LEN(documents));
    tcase_add_test(tc, typed_list_items_get_their_kind);
    tcase_add_loop_test(tc, reports_errors_with_place, 0, ARRAY_LEN(errors));
    tcase_add_loop_test(tc, refuses_deep_nesting, 0, ARRAY_LEN(too_deep));
    tcase_add_test(tc, accepts_nesting_at_the_limit);
    tcase_add_test(tc, counts_only_real_json_brackets);
    tcase_add_test(tc, reads_a_1mib_scalar);
    tcase_add_test(tc, reads_10000_containers_quickly);
    tcase_add_test(tc, reads_many_anchors_quickly);
    suite_add_tcase(s, tc);
    tc = tcase_create("write");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, fixtures_round_trip, 0, ARRAY_LEN(fixtures));
    tcase_add_test(tc, empty_first_object_round_trips);
    tcase_add_loop_test(tc, tricky_values_round_trip, 0, ARRAY_LEN(tricky));
    tcase_add_loop_test(tc, writes_kubectl_shaped_yaml, 0, ARRAY_LEN(shapes));
    tcase_add_test(tc, writes_documents_and_json_streams);
    tcase_add_test(tc, odd_strings_round_trip);
    tcase_add_loop_test(tc, refuses_what_it_cannot_write, 0, ARRAY_LEN(emit_errors));
    tcase_add_test(tc, respects_the_output_cap);
    tcase_add_test(tc, refuses_writing_too_deep);
    suite_add_tcase(s, tc);
    tc = tcase_create("alloc");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, survives_allocation_failures, 0, ARRAY_LEN(alloc_inputs));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    alloc_json_install(); /* before any JSON value exists */
    return run_suite(manifest_suite());
}
