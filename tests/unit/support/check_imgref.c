/* check_imgref.c -- image reference parsing, normalisation and prefixes.
 *
 * Rows follow distribution/reference's own cases where they apply, plus
 * the ones a policy engine cares about: Docker Hub spellings that must
 * normalise to one name (or a rule could be evaded), and prefixes that must
 * stop at a path boundary.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "arena.h"
#include "imgref.h"
#include "testutil.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HEX64_UPPER "ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
#define HEX128 HEX64 HEX64
#define DIGEST "sha256:" HEX64

static const struct {
    const char *in;
    const char *registry;
    const char *repository;
    const char *tag;    /* NULL: none */
    const char *digest; /* NULL: none */
} valid[] = {
    {"nginx", "docker.io", "library/nginx", NULL, NULL},
    {"nginx:1.25.3", "docker.io", "library/nginx", "1.25.3", NULL},
    {"nginx:latest", "docker.io", "library/nginx", "latest", NULL},
    {"library/nginx:1.25", "docker.io", "library/nginx", "1.25", NULL},
    {"docker.io/nginx", "docker.io", "library/nginx", NULL, NULL},
    {"docker.io/library/nginx:1.25", "docker.io", "library/nginx", "1.25", NULL},
    {"index.docker.io/nginx", "docker.io", "library/nginx", NULL, NULL},
    {"registry-1.docker.io/bitnami/redis:7.2", "docker.io", "bitnami/redis", "7.2", NULL},
    {"DOCKER.IO/nginx:1.25", "docker.io", "library/nginx", "1.25", NULL},
    {"Index.Docker.Io/library/nginx", "docker.io", "library/nginx", NULL, NULL},
    {"REGISTRY-1.DOCKER.IO/nginx", "docker.io", "library/nginx", NULL, NULL},
    {"bitnami/redis:7.2.4", "docker.io", "bitnami/redis", "7.2.4", NULL},
    {"localhost:5000/app", "localhost:5000", "app", NULL, NULL},
    {"localhost:5000/app:1.2", "localhost:5000", "app", "1.2", NULL},
    {"localhost/app", "localhost", "app", NULL, NULL},
    {"LocalHost:5000/app", "localhost:5000", "app", NULL, NULL},
    {"localhost", "docker.io", "library/localhost", NULL, NULL},
    {"localhost:5000", "docker.io", "library/localhost", "5000", NULL},
    {"registry:5000/app", "registry:5000", "app", NULL, NULL},
    {"10.0.0.1:5000/team/app:v2", "10.0.0.1:5000", "team/app", "v2", NULL},
    {"192.168.1.10/app", "192.168.1.10", "app", NULL, NULL},
    {"[::1]:5000/app:1", "[::1]:5000", "app", "1", NULL},
    {"[2001:DB8::1]/app", "[2001:db8::1]", "app", NULL, NULL},
    {"ghcr.io/acme/app:1.0.0", "ghcr.io", "acme/app", "1.0.0", NULL},
    {"GHCR.IO/acme/app:1.0.0", "ghcr.io", "acme/app", "1.0.0", NULL},
    {"MyRegistry/app", "myregistry", "app", NULL, NULL},
    {"registry.k8s.io/ingress-nginx/controller:v1.9.4", "registry.k8s.io",
     "ingress-nginx/controller", "v1.9.4", NULL},
    {"gcr.io/distroless/static-debian12:nonroot", "gcr.io", "distroless/static-debian12",
     "nonroot", NULL},
    {"ghcr.io/acme/team/svc/api:2024.01.15", "ghcr.io", "acme/team/svc/api", "2024.01.15",
     NULL},
    {"quay.io/prometheus/node-exporter@" DIGEST, "quay.io", "prometheus/node-exporter",
     NULL, DIGEST},
    {"nginx@" DIGEST, "docker.io", "library/nginx", NULL, DIGEST},
    {"ghcr.io/acme/app:latest@" DIGEST, "ghcr.io", "acme/app", "latest", DIGEST},
    {"nginx:1.25@sha512:" HEX128, "docker.io", "library/nginx", "1.25", "sha512:" HEX128},
    {"my-registry.example.com:443/a_b__c/d---e.f:Tag_1-x.y",
     "my-registry.example.com:443", "a_b__c/d---e.f", "Tag_1-x.y", NULL},
    {"app:_build.7", "docker.io", "library/app", "_build.7", NULL},
    {"123/456:7", "docker.io", "123/456", "7", NULL},
    {"example.com/a.b/c", "example.com", "a.b/c", NULL, NULL},
    {"a", "docker.io", "library/a", NULL, NULL},
    {"docker.io:443/nginx", "docker.io:443", "nginx", NULL, NULL},
};

START_TEST(parses_valid)
{
    struct arena a;
    struct imgref r;
    struct tg_error err = {0};
    char name[512];
    arena_init(&a, 0);
    enum tg_rc rc = imgref_parse(valid[_i].in, &a, &r, &err);
    ck_assert_msg(rc == TG_OK, "%s: %s", valid[_i].in, err.text);
    ck_assert_str_eq(r.registry, valid[_i].registry);
    ck_assert_str_eq(r.repository, valid[_i].repository);
    snprintf(name, sizeof(name), "%s/%s", valid[_i].registry, valid[_i].repository);
    ck_assert_str_eq(r.name, name);
    ck_assert_pstr_eq(r.tag, valid[_i].tag);
    ck_assert_pstr_eq(r.digest, valid[_i].digest);
    ck_assert(imgref_is_pinned(&r) == (valid[_i].digest != NULL));
    /* A name lies under itself and under its registry, and normalising is
     * idempotent -- except for a dotless host known only by its uppercase,
     * which lowercasing turns into a Docker Hub path (see imgref.h). */
    if (strcmp(r.registry, "myregistry") == 0) {
        ck_assert(!imgref_name_has_prefix(r.name, r.registry));
        arena_cleanup(&a);
        return;
    }
    ck_assert(imgref_name_has_prefix(r.name, r.name));
    ck_assert(imgref_name_has_prefix(r.name, r.registry));
    struct imgref again;
    ck_assert_int_eq(imgref_parse(r.name, &a, &again, &err), TG_OK);
    ck_assert_str_eq(again.name, r.name);
    ck_assert_str_eq(again.registry, r.registry);
    arena_cleanup(&a);
}
END_TEST

static const struct {
    const char *in;
    int column;
    const char *text; /* a substring of the message */
} invalid[] = {
    {"", 1, "empty image reference"},
    {"Nginx", 1, "repository \"Nginx\" must be lowercase"},
    {"NGINX:latest", 1, "must be lowercase"},
    {"ghcr.io/Acme/app", 9, "repository \"Acme/app\" must be lowercase"},
    {"nginx:", 7, "empty tag after ':'"},
    {"nginx/", 7, "empty path component"},
    {"ghcr.io/acme/", 14, "empty path component"},
    {"ghcr.io//app", 9, "empty path component"},
    {"/app", 1, "empty path component"},
    {"docker.io/", 11, "empty path component"},
    {" nginx", 1, "whitespace"},
    {"nginx ", 6, "whitespace"},
    {"nginx:1.25\n", 11, "whitespace"},
    {"nginx\t:1", 6, "whitespace"},
    {"nginx\x01", 6, "control character 0x01"},
    {"caf\xc3\xa9", 4, "non-ASCII byte 0xc3"},
    {"nginx@", 7, "empty digest after '@'"},
    {"nginx:1.25@", 12, "empty digest after '@'"},
    {"nginx@sha256:abc", 14,
     "\"sha256:abc\" must be sha256 followed by 64 hex digits (found 3)"},
    {"nginx@sha256:" HEX64 "0", 14, "followed by 64 hex digits (found 65)"},
    {"nginx@sha256:" HEX64_UPPER, 14, "must be lowercase hex"},
    {"nginx@sha256:" HEX64 "@x", 78, "(found '@')"},
    {"nginx@md5:0123456789abcdef0123456789abcdef", 7,
     "algorithm \"md5\" is not supported"},
    {"nginx@SHA256:" HEX64, 7, "algorithm \"SHA256\" is not supported"},
    {"nginx@" HEX64, 7, "must be algorithm:hex"},
    {"nginx@:" HEX64, 7, "must be algorithm:hex"},
    {"nginx:-1", 7, "must start with a letter, digit or '_'"},
    {"nginx:.1", 7, "must start with a letter, digit or '_'"},
    {"nginx:1+2", 8, "tag \"1+2\" contains '+'"},
    {"nginx:1:2", 8, "contains ':'"},
    {"ghcr.io:/app", 9, "port \"\" must be a number from 1 to 65535"},
    {"ghcr.io:99999/app", 9, "port \"99999\""},
    {"ghcr.io:0/app", 9, "port \"0\""},
    {"ghcr.io:123456789012345678901234567890/app", 9, "port \"1234567890123"},
    {"ghcr.io:http/app", 9, "port \"http\""},
    {"ghcr.io:50x0/app", 11, "port \"50x0\""},
    {"ghcr.io:0065535/app", 9, "port \"0065535\""},
    {":5000/app", 1, "empty registry host"},
    {"-bad.io/app", 1, "starts or ends with '-'"},
    {"bad-.io/app", 4, "starts or ends with '-'"},
    {"ghcr..io/app", 6, "empty label"},
    {".ghcr.io/app", 1, "empty label"},
    {"gh_cr.io/app", 3, "registry host \"gh_cr.io\" contains '_'"},
    {"[::1/app", 1, "unclosed '['"},
    {"[]:5000/app", 1, "empty IPv6 address"},
    {"[::g]:5000/app", 4, "IPv6 address \"[::g]\" contains 'g'"},
    {"[::1]x/app", 6, "expected ':' and a port"},
    {"ghcr.io/acme/my..app", 16, "separator \"..\""},
    {"ghcr.io/acme/-app", 14, "must start and end with a letter or digit"},
    {"ghcr.io/acme/app-", 17, "must start and end with a letter or digit"},
    {"ghcr.io/acme/a___b", 15, "separator \"___\""},
    {"ghcr.io/acme/a_-b", 15, "separator \"_-\""},
    {"ghcr.io/ac+me/app", 11, "path component \"ac+me\" contains '+'"},
    {"ghcr.io/acme:1/app", 13, "contains ':'"},
    {HEX64, 1, "is an image ID, not a reference"},
    {":1.25", 1, "empty image name"},
    {"@" DIGEST, 1, "empty image name"},
};

START_TEST(rejects_invalid)
{
    struct arena a;
    struct tg_error err = {0};
    struct imgref sentinel = {"r", "p", "n", "t", "d"};
    struct imgref r = sentinel;
    arena_init(&a, 0);
    enum tg_rc rc = imgref_parse(invalid[_i].in, &a, &r, &err);
    ck_assert_msg(rc == TG_EINVAL, "row %d: rc %d", _i, rc);
    ck_assert_msg(strstr(err.text, invalid[_i].text) != NULL,
                  "row %d: \"%s\" lacks \"%s\"", _i, err.text, invalid[_i].text);
    ck_assert_int_eq(err.line, 1);
    ck_assert_msg(err.column == invalid[_i].column, "row %d (%s): column %d, want %d", _i,
                  err.text, err.column, invalid[_i].column);
    ck_assert(memcmp(&r, &sentinel, sizeof(r)) == 0); /* untouched on failure */
    ck_assert_uint_eq(a.used, 0);                     /* and nothing allocated */

    /* Without a struct tg_error the answer is the same. */
    ck_assert_int_eq(imgref_parse(invalid[_i].in, &a, &r, NULL), TG_EINVAL);
    arena_cleanup(&a);
}
END_TEST

START_TEST(rejects_null)
{
    struct arena a;
    struct imgref r;
    struct tg_error err = {0};
    arena_init(&a, 0);
    ck_assert_int_eq(imgref_parse(NULL, &a, &r, &err), TG_EINVAL);
    ck_assert_int_eq(err.column, 1);
    arena_cleanup(&a);
}
END_TEST

/* The limits sit on the boundary: 128 tag characters and a 255-character
 * normalised name pass, one more fails. */
static const struct {
    const char *head; /* before the generated run of 'a' */
    size_t run;
    const char *tail;
    enum tg_rc rc;
    int column;
    const char *text;
} limits[] = {
    {"nginx:", 128, "", TG_OK, 0, NULL},
    {"nginx:", 129, "", TG_EINVAL, 135, "tag is 129 characters long; at most 128"},
    {"ghcr.io/", 247, "", TG_OK, 0, NULL},
    {"ghcr.io/", 248, ":1", TG_EINVAL, 1, "256 characters long once normalised"},
    /* docker.io/library/ makes a 238-character input too long. */
    {"", 237, "", TG_OK, 0, NULL},
    {"", 238, "", TG_EINVAL, 1, "at most 255"},
};

START_TEST(length_limits)
{
    size_t hlen = strlen(limits[_i].head);
    size_t tlen = strlen(limits[_i].tail);
    char *ref = malloc(hlen + limits[_i].run + tlen + 1);
    ck_assert_ptr_nonnull(ref);
    memcpy(ref, limits[_i].head, hlen);
    memset(ref + hlen, 'a', limits[_i].run);
    memcpy(ref + hlen + limits[_i].run, limits[_i].tail, tlen + 1);

    struct arena a;
    struct imgref r;
    struct tg_error err = {0};
    arena_init(&a, 0);
    enum tg_rc rc = imgref_parse(ref, &a, &r, &err);
    ck_assert_msg(rc == limits[_i].rc, "row %d: rc %d (%s)", _i, rc, err.text);
    if (limits[_i].text) {
        ck_assert_int_eq(err.column, limits[_i].column);
        ck_assert_msg(strstr(err.text, limits[_i].text), "%s", err.text);
    } else {
        ck_assert_uint_le(strlen(r.name), 255);
    }
    arena_cleanup(&a);
    free(ref);
}
END_TEST

static const struct {
    const char *name;
    const char *prefix;
    bool match;
} prefixes[] = {
    {"docker.io/library/nginx", "nginx", true},
    {"docker.io/library/nginx-unprivileged", "nginx", false},
    {"docker.io/library/nginx", "docker.io", true},
    {"docker.io/bitnami/redis", "docker.io", true},
    {"docker.io/library/nginx", "index.docker.io", true},
    {"docker.io/library/nginx", "docker.io/nginx", true},
    {"docker.io/library/nginx", "docker.io/library", true},
    {"docker.io/library/nginx", "library", true},
    {"docker.io/library/nginx", "registry-1.docker.io/library", true},
    {"docker.io/bitnami/redis", "docker.io/library", false},
    {"docker.io/bitnami/redis", "bitnami/", true},
    {"docker.io/bitnami/redis", "docker.io/bitnami/", true},
    {"docker.io/bitnami/redis", "bitnami", false},
    {"docker.io/library/bitnami", "bitnami/", false},
    {"ghcr.io/acme/app", "ghcr.io/acme", true},
    {"ghcr.io/acme", "ghcr.io/acme", true},
    {"ghcr.io/acmecorp/app", "ghcr.io/acme", false},
    {"ghcr.io/acme/app", "ghcr.io", true},
    {"ghcr.io.evil.com/acme/app", "ghcr.io", false},
    {"ghcr.io/acme/app", "GHCR.IO/acme", true},
    {"ghcr.io/acme/app", "ghcr.io/acme/", true},
    {"ghcr.io/acme/app", "ghcr.io/acme/app", true},
    {"ghcr.io/acme/app", "ghcr.io/acme/app/", true},
    {"ghcr.io/acme/app", "ghcr.io/acme/app/v2", false},
    {"quay.io/acme/app", "ghcr.io", false},
    {"localhost:5000/app", "localhost:5000", true},
    {"localhost:5000/app", "localhost", false},
    {"localhost/app", "localhost", true},
    {"localhost/app", "LOCALHOST", true},
    {"10.0.0.1:5000/team/app", "10.0.0.1:5000/team", true},
    {"registry.k8s.io/ingress-nginx/controller", "registry.k8s.io/ingress-nginx", true},
    {"registry.k8s.io/ingress-nginx/controller", "registry.k8s.io/ingress", false},
    /* Prefixes that cannot be normalised match nothing. */
    {"ghcr.io/acme/app", "", false},
    {"ghcr.io/acme/app", NULL, false},
    {"ghcr.io/acme/app", "ghcr.io/acme:1", false},
    {"ghcr.io/acme/app", "ghcr.io/Acme", false},
    {"ghcr.io/acme/app", " ghcr.io", false},
    {"docker.io/library/nginx", "nginx@" DIGEST, false},
    {NULL, "ghcr.io", false},
};

START_TEST(matches_prefix)
{
    ck_assert_msg(imgref_name_has_prefix(prefixes[_i].name, prefixes[_i].prefix) ==
                      prefixes[_i].match,
                  "row %d: \"%s\" under \"%s\" should be %s", _i, prefixes[_i].name,
                  prefixes[_i].prefix, prefixes[_i].match ? "true" : "false");
}
END_TEST

static const struct {
    const char *in;
    const char *out; /* NULL: TG_EINVAL */
    int column;
    const char *text;
} norm[] = {
    {"nginx", "docker.io/library/nginx", 0, NULL},
    {"INDEX.DOCKER.IO", "docker.io", 0, NULL},
    {"docker.io/", "docker.io", 0, NULL},
    {"docker.io/nginx", "docker.io/library/nginx", 0, NULL},
    {"library", "docker.io/library", 0, NULL},
    {"docker.io/bitnami/", "docker.io/bitnami", 0, NULL},
    {"GHCR.IO/acme", "ghcr.io/acme", 0, NULL},
    {"localhost:5000", "localhost:5000", 0, NULL},
    {"[::1]:5000/team", "[::1]:5000/team", 0, NULL},
    {"nginx:1.25", NULL, 6, "not a tag"},
    {"ghcr.io/acme:1", NULL, 13, "not a tag"},
    {"ghcr.io/acme@" DIGEST, NULL, 13, "not a digest"},
    {"ghcr.io:/acme", NULL, 9, "port"},
    {"", NULL, 1, "empty image prefix"},
    {"ghcr.io/acme//", NULL, 14, "empty path component"},
    {"ghcr.io/Acme", NULL, 9, "must be lowercase"},
};

START_TEST(normalises_prefix)
{
    struct arena a;
    struct tg_error err = {0};
    const char *out = "untouched";
    arena_init(&a, 0);
    enum tg_rc rc = imgref_normalise_prefix(norm[_i].in, &a, &out, &err);
    if (norm[_i].out) {
        ck_assert_msg(rc == TG_OK, "%s: %s", norm[_i].in, err.text);
        ck_assert_str_eq(out, norm[_i].out);
    } else {
        ck_assert_int_eq(rc, TG_EINVAL);
        ck_assert_str_eq(out, "untouched");
        ck_assert_int_eq(err.column, norm[_i].column);
        ck_assert_msg(strstr(err.text, norm[_i].text), "%s", err.text);
    }
    arena_cleanup(&a);
}
END_TEST

static const char *const walk_refs[] = {
    "ghcr.io/acme/app:1.0@" DIGEST,
    "nginx",
    "registry.k8s.io/ingress-nginx/controller:v1.9.4",
};

/* A capped arena fails cleanly below the size one parse needs. */
START_TEST(parse_walks_arena_caps)
{
    const char *ref = walk_refs[_i];
    size_t cap;
    for (cap = 1; cap < 4096; cap++) {
        struct arena a;
        struct imgref r = {0};
        struct tg_error err = {0};
        arena_init(&a, cap);
        enum tg_rc rc = imgref_parse(ref, &a, &r, &err);
        arena_cleanup(&a);
        if (rc == TG_OK)
            break;
        ck_assert_int_eq(rc, TG_ENOMEM);
        ck_assert_ptr_null(r.name);
        ck_assert_str_eq(err.text, "out of memory parsing an image reference");
    }
    ck_assert_uint_gt(cap, strlen(ref)); /* some caps did fail */
    ck_assert_uint_lt(cap, 4096);        /* and a sane one succeeded */
}
END_TEST

/* Fail the n-th block allocation while many references fill one arena:
 * every failure is TG_ENOMEM, the arena stays usable, and (under valgrind)
 * nothing leaks. */
START_TEST(parse_walks_malloc_failures)
{
    for (long n = 0; n < 64; n++) {
        struct arena a;
        arena_init(&a, 0);
        alloc_fail_after(n);
        enum tg_rc rc = TG_OK;
        for (int i = 0; i < 300 && rc == TG_OK; i++) {
            struct imgref r;
            rc = imgref_parse(walk_refs[i % ARRAY_LEN(walk_refs)], &a, &r, NULL);
        }
        const char *norm_out = NULL;
        enum tg_rc prc = imgref_normalise_prefix("ghcr.io/acme", &a, &norm_out, NULL);
        alloc_fail_after(-1);
        arena_cleanup(&a);
        if (rc == TG_OK && prc == TG_OK)
            return; /* n allocations were enough for everything */
        ck_assert_int_eq(rc == TG_OK ? prc : rc, TG_ENOMEM);
    }
    ck_abort_msg("300 parses never succeeded within 64 allocations");
}
END_TEST

/* Random strings built from the pieces references are made of: whatever
 * comes out, the answer is TG_OK or TG_EINVAL with a column inside the
 * string (or just past it), and a success satisfies the invariants. */
static const char *const pieces[] = {
    "a",         "z",       "0",    "9",       "A",       "Z",
    ".",         "_",       "-",    "/",       ":",       "@",
    "[",         "]",       "+",    " ",       "ghcr.io", "docker.io",
    "localhost", "library", "5000", "sha256:", HEX64,     "index.docker.io",
    "acme",      "__",      "--",   "1.25",    "latest",  "\xc3",
    "::1",
};

static unsigned long rng_next(unsigned long *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

static int is_quirk_host(const char *registry)
{
    return !strchr(registry, '.') && !strchr(registry, ':') &&
           strcmp(registry, "localhost") != 0;
}

static void check_success(const char *ref, const struct imgref *r, struct arena *a)
{
    char buf[1024];
    ck_assert_uint_le(strlen(r->name), 255);
    for (const char *p = r->name; *p; p++)
        ck_assert_msg(!(*p >= 'A' && *p <= 'Z'), "%s: name %s has uppercase", ref,
                      r->name);
    snprintf(buf, sizeof(buf), "%s/%s", r->registry, r->repository);
    ck_assert_str_eq(r->name, buf);
    ck_assert(!r->tag || (strlen(r->tag) >= 1 && strlen(r->tag) <= 128));
    if (is_quirk_host(r->registry) && strcmp(r->registry, "docker.io") != 0)
        return;
    snprintf(buf, sizeof(buf), "%s%s%s%s%s", r->name, r->tag ? ":" : "",
             r->tag ? r->tag : "", r->digest ? "@" : "", r->digest ? r->digest : "");
    struct imgref again;
    ck_assert_msg(imgref_parse(buf, a, &again, NULL) == TG_OK, "%s -> %s", ref, buf);
    ck_assert_str_eq(again.name, r->name);
    ck_assert_pstr_eq(again.tag, r->tag);
    ck_assert_pstr_eq(again.digest, r->digest);
}

START_TEST(random_references)
{
    unsigned long state = 0x9e3779b97f4a7c15UL + (unsigned long)_i;
    char ref[2048];
    unsigned n_ok = 0;
    for (int iter = 0; iter < 5000; iter++) {
        size_t len = 0;
        size_t n_pieces = rng_next(&state) % 12;
        ref[0] = '\0';
        for (size_t k = 0; k < n_pieces; k++) {
            const char *piece = pieces[rng_next(&state) % ARRAY_LEN(pieces)];
            size_t plen = strlen(piece);
            memcpy(ref + len, piece, plen + 1);
            len += plen;
        }
        struct arena a;
        struct imgref r;
        struct tg_error err = {0};
        arena_init(&a, 0);
        enum tg_rc rc = imgref_parse(ref, &a, &r, &err);
        if (rc == TG_OK) {
            n_ok++;
            check_success(ref, &r, &a);
        } else {
            ck_assert_msg(rc == TG_EINVAL, "\"%s\": rc %d", ref, rc);
            ck_assert_msg(err.column >= 1 && (size_t)err.column <= len + 1,
                          "\"%s\": column %d", ref, err.column);
            ck_assert(err.text[0] != '\0');
        }
        arena_cleanup(&a);
    }
    ck_assert_uint_gt(n_ok, 50); /* the generator does reach valid references */
}
END_TEST

static Suite *imgref_suite(void)
{
    Suite *s = suite_create("imgref");
    TCase *tc = tcase_create("parse");
    tcase_add_loop_test(tc, parses_valid, 0, ARRAY_LEN(valid));
    tcase_add_loop_test(tc, rejects_invalid, 0, ARRAY_LEN(invalid));
    tcase_add_test(tc, rejects_null);
    tcase_add_loop_test(tc, length_limits, 0, ARRAY_LEN(limits));
    tcase_add_loop_test(tc, random_references, 0, 4);
    suite_add_tcase(s, tc);

    tc = tcase_create("prefix");
    tcase_add_loop_test(tc, matches_prefix, 0, ARRAY_LEN(prefixes));
    tcase_add_loop_test(tc, normalises_prefix, 0, ARRAY_LEN(norm));
    suite_add_tcase(s, tc);

    tc = tcase_create("alloc");
    tcase_add_loop_test(tc, parse_walks_arena_caps, 0, ARRAY_LEN(walk_refs));
    tcase_add_test(tc, parse_walks_malloc_failures);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(imgref_suite());
}
