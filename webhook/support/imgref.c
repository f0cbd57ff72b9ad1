/* imgref.c -- parsing and normalising container image references.
 *
 * A hand-written scanner instead of the distribution project's regular
 * expressions: it runs once per container per request, and it has to say
 * *where* a reference goes wrong.  Parsing first cuts the reference into
 * spans of the input (host, path, tag, digest), validating each, and only
 * then copies the normalised strings into the arena in one allocation, so
 * a failure leaves nothing half-built.
 */
#include "imgref.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define NAME_MAX_LEN 255 /* distribution's NameTotalLengthMax */
#define TAG_MAX_LEN 128
#define SHOW_MAX 64 /* longest part quoted in a message */
#define DOCKER_HUB "docker.io"
#define LIBRARY "library/"

/* Quote a span in a message, cut to SHOW_MAX characters. */
#define SPAN_FMT "\"%.*s%s\""
#define SPAN_ARG(p, n) shown(n), (p), ((n) > SHOW_MAX ? "..." : "")

/* Pieces of one reference, as spans of the input; nothing is owned. */
struct parts {
    const char *host; /* NULL when the name has no domain (Docker Hub) */
    size_t host_len;
    const char *path;
    size_t path_len;
    const char *tag; /* NULL when there is none */
    size_t tag_len;
    const char *digest; /* NULL when there is none */
    size_t digest_len;
};

static int shown(size_t n)
{
    return n > SHOW_MAX ? SHOW_MAX : (int)n;
}

static int is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_alnum(char c)
{
    return is_lower_alnum(c) || is_upper(c);
}

static char to_lower(char c)
{
    return is_upper(c) ? (char)(c - 'A' + 'a') : c;
}

static int span_ieq(const char *p, size_t n, const char *lit)
{
    if (strlen(lit) != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (to_lower(p[i]) != lit[i])
            return 0;
    }
    return 1;
}

/* TG_EINVAL with the 1-based column of `at` in `s`. */
static enum tg_rc bad(struct tg_error *err, const char *s, const char *at,
                      const char *fmt, ...) TG_PRINTF(4, 5);

static enum tg_rc bad(struct tg_error *err, const char *s, const char *at,
                      const char *fmt, ...)
{
    if (!err)
        return TG_EINVAL;
    char text[sizeof(err->text)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    size_t off = (size_t)(at - s);
    int column = off >= INT_MAX ? INT_MAX : (int)off + 1;
    return tg_error_set(err, TG_EINVAL, NULL, 1, column, "%s", text);
}

/* Whitespace, control bytes and non-ASCII get their own message: they are
 * usually a copy-paste accident, and a quoted '\t' would be invisible. */
static enum tg_rc check_bytes(const char *s, struct tg_error *err)
{
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f')
            return bad(err, s, p, "whitespace is not allowed in an image reference");
        if (c < 0x20 || c == 0x7f)
            return bad(err, s, p, "control character 0x%02x is not allowed", c);
        if (c >= 0x80)
            return bad(err, s, p, "non-ASCII byte 0x%02x is not allowed", c);
    }
    return TG_OK;
}

/* tag := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127} */
static enum tg_rc check_tag(const char *s, const char *t, size_t n, struct tg_error *err)
{
    if (n == 0)
        return bad(err, s, t, "empty tag after ':' (remove the ':' or add a tag)");
    if (!is_alnum(t[0]) && t[0] != '_')
        return bad(err, s, t, "tag " SPAN_FMT " must start with a letter, digit or '_'",
                   SPAN_ARG(t, n));
    for (size_t i = 1; i < n; i++) {
        char c = t[i];
        if (!is_alnum(c) && c != '_' && c != '.' && c != '-')
            return bad(err, s, t + i,
                       "tag " SPAN_FMT " contains '%c' (allowed: letters, digits, "
                       "'_', '.', '-')",
                       SPAN_ARG(t, n), c);
    }
    if (n > TAG_MAX_LEN)
        return bad(err, s, t + TAG_MAX_LEN,
                   "tag is %zu characters long; at most %d are allowed", n, TAG_MAX_LEN);
    return TG_OK;
}

/* The algorithms go-digest accepts, each with its fixed hex length. */
static const struct {
    const char *name;
    size_t hex_len;
} algorithms[] = {
    {"sha256", 64},
    {"sha384", 96},
    {"sha512", 128},
};

static enum tg_rc check_digest_hex(const char *s, const char *d, size_t n, size_t alg_len,
                                   struct tg_error *err)
{
    const char *hex = d + alg_len + 1;
    size_t hex_len = n - alg_len - 1;
    size_t want = 0;
    for (size_t i = 0; i < ARRAY_LEN(algorithms); i++) {
        if (strlen(algorithms[i].name) == alg_len &&
            memcmp(d, algorithms[i].name, alg_len) == 0)
            want = algorithms[i].hex_len;
    }
    if (!want)
        return bad(err, s, d,
                   "digest algorithm " SPAN_FMT " is not supported (expected sha256, "
                   "sha384 or sha512)",
                   SPAN_ARG(d, alg_len));
    for (size_t i = 0; i < hex_len; i++) {
        if (hex[i] >= 'A' && hex[i] <= 'F')
            return bad(err, s, hex + i, "digest " SPAN_FMT " must be lowercase hex",
                       SPAN_ARG(d, n));
        if (!is_digit(hex[i]) && !(hex[i] >= 'a' && hex[i] <= 'f'))
            return bad(err, s, hex + i,
                       "digest " SPAN_FMT " must be %.*s followed by %zu hex digits "
                       "(found '%c')",
                       SPAN_ARG(d, n), (int)alg_len, d, want, hex[i]);
    }
    if (hex_len != want)
        return bad(err, s, hex,
                   "digest " SPAN_FMT " must be %.*s followed by %zu hex digits "
                   "(found %zu)",
                   SPAN_ARG(d, n), (int)alg_len, d, want, hex_len);
    return TG_OK;
}

/* digest := algorithm ":" hex; the algorithm must be one go-digest knows. */
static enum tg_rc check_digest(const char *s, const char *d, size_t n,
                               struct tg_error *err)
{
    if (n == 0)
        return bad(err, s, d, "empty digest after '@' (expected sha256:<64 hex digits>)");
    const char *colon = memchr(d, ':', n);
    if (!colon || colon == d)
        return bad(err, s, colon ? colon : d,
                   "digest " SPAN_FMT
                   " must be algorithm:hex, e.g. sha256:<64 hex digits>",
                   SPAN_ARG(d, n));
    return check_digest_hex(s, d, n, (size_t)(colon - d), err);
}

/* port := 1..65535 in decimal */
static enum tg_rc check_port(const char *s, const char *p, size_t n, struct tg_error *err)
{
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(p[i]))
            return bad(err, s, p + i,
                       "port " SPAN_FMT " must be a number from 1 to 65535",
                       SPAN_ARG(p, n));
        if (i < 5) /* more digits are rejected below; no overflow */
            v = v * 10 + (p[i] - '0');
    }
    if (n > 5 || v < 1 || v > 65535)
        return bad(err, s, p, "port " SPAN_FMT " must be a number from 1 to 65535",
                   SPAN_ARG(p, n));
    return TG_OK;
}

/* "[" IPv6 "]": only the characters are checked, as distribution does. */
static enum tg_rc check_ipv6(const char *s, const char *h, size_t n, struct tg_error *err)
{
    if (h[n - 1] != ']')
        return bad(err, s, h, "registry host " SPAN_FMT " has an unclosed '['",
                   SPAN_ARG(h, n));
    if (n < 3)
        return bad(err, s, h, "empty IPv6 address in \"[]\"");
    for (size_t i = 1; i + 1 < n; i++) {
        char c = h[i];
        if (!is_digit(c) && !(c >= 'a' && c <= 'f') && !(c >= 'A' && c <= 'F') &&
            c != ':')
            return bad(err, s, h + i, "IPv6 address " SPAN_FMT " contains '%c'",
                       SPAN_ARG(h, n), c);
    }
    return TG_OK;
}

/* label ('.' label)*, label := [A-Za-z0-9] | [A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9] */
static enum tg_rc check_hostname(const char *s, const char *h, size_t n,
                                 struct tg_error *err)
{
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && h[i] != '.') {
            if (!is_alnum(h[i]) && h[i] != '-')
                return bad(err, s, h + i, "registry host " SPAN_FMT " contains '%c'",
                           SPAN_ARG(h, n), h[i]);
            continue;
        }
        if (i == start)
            return bad(err, s, h + i, "registry host " SPAN_FMT " has an empty label",
                       SPAN_ARG(h, n));
        if (h[start] == '-' || h[i - 1] == '-')
            return bad(err, s, h[start] == '-' ? h + start : h + i - 1,
                       "registry host " SPAN_FMT
                       " has a label that starts or ends with '-'",
                       SPAN_ARG(h, n));
        start = i + 1;
    }
    return TG_OK;
}

/* domain := host [":" port] */
static enum tg_rc check_domain(const char *s, const char *h, size_t n,
                               struct tg_error *err)
{
    if (n == 0)
        return bad(err, s, h, "empty registry host");
    const char *end = h + n;
    const char *colon;
    enum tg_rc rc;
    if (h[0] == '[') {
        const char *close = memchr(h, ']', n);
        size_t host_len = close ? (size_t)(close - h) + 1 : n;
        rc = check_ipv6(s, h, host_len, err);
        colon = h + host_len < end ? h + host_len : NULL;
        if (rc == TG_OK && colon && *colon != ':')
            return bad(err, s, colon, "expected ':' and a port after the IPv6 address");
    } else {
        colon = memchr(h, ':', n);
        if (colon == h)
            return bad(err, s, h, "empty registry host before ':'");
        rc = check_hostname(s, h, colon ? (size_t)(colon - h) : n, err);
    }
    if (rc != TG_OK || !colon)
        return rc;
    return check_port(s, colon + 1, (size_t)(end - colon - 1), err);
}

/* Is `sep` a valid separator inside a path component: "." | "_" | "__" | "-"+ */
static int is_separator(const char *sep, size_t n)
{
    if (n == 1)
        return sep[0] == '.' || sep[0] == '_' || sep[0] == '-';
    if (n == 2 && sep[0] == '_' && sep[1] == '_')
        return 1;
    for (size_t i = 0; i < n; i++) {
        if (sep[i] != '-')
            return 0;
    }
    return 1;
}

/* component := [a-z0-9]+ ( separator [a-z0-9]+ )*  (uppercase was ruled out) */
static enum tg_rc check_component(const char *s, const char *c, size_t n,
                                  struct tg_error *err)
{
    if (n == 0)
        return bad(err, s, c, "empty path component (remove the extra '/')");
    size_t i = 0;
    while (i < n) {
        if (is_lower_alnum(c[i])) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && (c[j] == '.' || c[j] == '_' || c[j] == '-'))
            j++;
        if (j == i)
            return bad(err, s, c + i,
                       "path component " SPAN_FMT " contains '%c' (allowed: a-z, 0-9, "
                       "'.', '_', '-')",
                       SPAN_ARG(c, n), c[i]);
        if (i == 0 || j == n)
            return bad(err, s, c + i,
                       "path component " SPAN_FMT " must start and end with a letter or "
                       "digit",
                       SPAN_ARG(c, n));
        if (!is_separator(c + i, j - i))
            return bad(err, s, c + i,
                       "path component " SPAN_FMT
                       " has separator \"%.*s\" (use '.', '_', "
                       "'__' or a run of '-')",
                       SPAN_ARG(c, n), (int)(j - i), c + i);
        i = j;
    }
    return TG_OK;
}

/* path := component ("/" component)*; the repository must be lowercase,
 * which gets its own message because it is the most common mistake. */
static enum tg_rc check_path(const char *s, const char *p, size_t n, struct tg_error *err)
{
    for (size_t i = 0; i < n; i++) {
        if (is_upper(p[i]))
            return bad(err, s, p + i, "repository " SPAN_FMT " must be lowercase",
                       SPAN_ARG(p, n));
    }
    const char *end = p + n;
    const char *c = p;
    for (;;) {
        const char *slash = memchr(c, '/', (size_t)(end - c));
        const char *cend = slash ? slash : end;
        enum tg_rc rc = check_component(s, c, (size_t)(cend - c), err);
        if (rc != TG_OK || !slash)
            return rc;
        c = slash + 1;
    }
}

/* The distribution rule: the first component is a domain only if a '/'
 * follows it and it contains '.' or ':', is "localhost", or has an
 * uppercase letter (a repository never has one). */
static int is_domain(const char *c, size_t n)
{
    if (memchr(c, '.', n) || memchr(c, ':', n))
        return 1;
    if (n == 9 && memcmp(c, "localhost", 9) == 0)
        return 1;
    for (size_t i = 0; i < n; i++) {
        if (is_upper(c[i]))
            return 1;
    }
    return 0;
}

static enum tg_rc split_name(const char *s, const char *name, size_t n, struct parts *pt,
                             struct tg_error *err)
{
    const char *slash = memchr(name, '/', n);
    pt->host = NULL;
    pt->host_len = 0;
    pt->path = name;
    pt->path_len = n;
    if (slash && is_domain(name, (size_t)(slash - name))) {
        pt->host = name;
        pt->host_len = (size_t)(slash - name);
        pt->path = slash + 1;
        pt->path_len = n - pt->host_len - 1;
        enum tg_rc rc = check_domain(s, pt->host, pt->host_len, err);
        if (rc != TG_OK)
            return rc;
    }
    return check_path(s, pt->path, pt->path_len, err);
}

/* A bare 64-hex string is an image ID; distribution refuses to read it as
 * the Docker Hub repository "library/<hex>". */
static int is_image_id(const char *s, size_t n)
{
    if (n != 64)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
            return 0;
    }
    return 1;
}

/* reference := name [":" tag] ["@" digest].  The tag's ':' is the first one
 * after the last '/', so "localhost:5000/app" is a host and port. */
static enum tg_rc split_reference(const char *s, struct parts *pt, struct tg_error *err)
{
    size_t len = strlen(s);
    const char *at = memchr(s, '@', len);
    size_t name_len = at ? (size_t)(at - s) : len;
    pt->digest = at ? at + 1 : NULL;
    pt->digest_len = at ? len - name_len - 1 : 0;
    const char *slash = NULL;
    for (const char *p = s; p < s + name_len; p++) {
        if (*p == '/')
            slash = p;
    }
    const char *from = slash ? slash + 1 : s;
    const char *colon = memchr(from, ':', (size_t)(s + name_len - from));
    pt->tag = colon ? colon + 1 : NULL;
    pt->tag_len = colon ? (size_t)(s + name_len - colon - 1) : 0;
    if (colon)
        name_len = (size_t)(colon - s);
    if (name_len == 0)
        return bad(err, s, s,
                   "empty image name (expected e.g. nginx or ghcr.io/acme/app)");
    if (is_image_id(s, len))
        return bad(
            err, s, s,
            "\"%.12s...\" is an image ID, not a reference (write name@sha256:<id>)", s);
    enum tg_rc rc = split_name(s, s, name_len, pt, err);
    if (rc == TG_OK && pt->tag)
        rc = check_tag(s, pt->tag, pt->tag_len, err);
    if (rc == TG_OK && pt->digest)
        rc = check_digest(s, pt->digest, pt->digest_len, err);
    return rc;
}

/* Registry and repository after Docker Hub normalisation, as the lengths
 * and sources to copy from. */
struct canon {
    const char *reg;
    size_t reg_len;
    const char *path; /* "" for a registry-only prefix */
    size_t path_len;
    int add_library; /* the repository gets "library/" in front */
};

/* Docker Hub's other names: the legacy v1 index and the v2 API host. */
static int is_docker_hub(const char *h, size_t n)
{
    return !h || span_ieq(h, n, DOCKER_HUB) || span_ieq(h, n, "index.docker.io") ||
           span_ieq(h, n, "registry-1.docker.io");
}

static void canonicalise(const struct parts *pt, struct canon *c)
{
    int hub = is_docker_hub(pt->host, pt->host_len);
    c->reg = hub ? DOCKER_HUB : pt->host;
    c->reg_len = hub ? strlen(DOCKER_HUB) : pt->host_len;
    c->path = pt->path ? pt->path : "";
    c->path_len = pt->path_len;
    c->add_library = hub && c->path_len && !memchr(c->path, '/', c->path_len);
}

static size_t name_len_of(const struct canon *c)
{
    if (!c->path_len)
        return c->reg_len;
    return c->reg_len + 1 + (c->add_library ? strlen(LIBRARY) : 0) + c->path_len;
}

/* Write registry ["/" [library/] path], NUL-terminated, lowercasing the
 * registry (hosts are case-insensitive; "GHCR.IO" must not evade a rule). */
static void write_name(char *dst, const struct canon *c)
{
    char *w = dst;
    for (size_t i = 0; i < c->reg_len; i++)
        *w++ = to_lower(c->reg[i]);
    if (c->path_len) {
        *w++ = '/';
        if (c->add_library) {
            memcpy(w, LIBRARY, strlen(LIBRARY));
            w += strlen(LIBRARY);
        }
        memcpy(w, c->path, c->path_len);
        w += c->path_len;
    }
    *w = '\0';
}

static char *copy_span(char *w, const char *p, size_t n)
{
    memcpy(w, p, n);
    w[n] = '\0';
    return w + n + 1;
}

/* One arena allocation holds name, registry, tag and digest; the
 * repository points into the name. */
static enum tg_rc build(const char *s, const struct parts *pt, struct arena *a,
                        struct imgref *out, struct tg_error *err)
{
    struct canon c;
    canonicalise(pt, &c);
    size_t nlen = name_len_of(&c);
    if (nlen > NAME_MAX_LEN)
        return bad(err, s, s,
                   "image name is %zu characters long once normalised; at most %d "
                   "are allowed",
                   nlen, NAME_MAX_LEN);
    size_t total = nlen + 1 + c.reg_len + 1 + pt->tag_len + 1 + pt->digest_len + 1;
    char *mem = arena_alloc(a, total);
    if (!mem)
        return tg_error_setf(err, TG_ENOMEM, "out of memory parsing an image reference");
    struct imgref r;
    r.name = mem;
    write_name(mem, &c);
    r.repository = mem + c.reg_len + 1;
    char *w = mem + nlen + 1;
    r.registry = w;
    w = copy_span(w, mem, c.reg_len); /* already lowercased in the name */
    r.tag = pt->tag ? w : NULL;
    w = copy_span(w, pt->tag ? pt->tag : "", pt->tag_len);
    r.digest = pt->digest ? w : NULL;
    copy_span(w, pt->digest ? pt->digest : "", pt->digest_len);
    *out = r;
    return TG_OK;
}

enum tg_rc imgref_parse(const char *ref, struct arena *a, struct imgref *out,
                        struct tg_error *err)
{
    if (!ref || !ref[0])
        return tg_error_set(err, TG_EINVAL, NULL, 1, 1, "empty image reference");
    enum tg_rc rc = check_bytes(ref, err);
    if (rc != TG_OK)
        return rc;
    struct parts pt;
    rc = split_reference(ref, &pt, err);
    if (rc != TG_OK)
        return rc;
    return build(ref, &pt, a, out, err);
}

bool imgref_is_pinned(const struct imgref *r)
{
    return r->digest != NULL;
}

/* A prefix without '/' is a registry when it looks like a host
 * ("ghcr.io", "localhost:5000", "LOCALHOST"), else a Docker Hub repository. */
static int is_registry_prefix(const char *p, size_t n)
{
    return memchr(p, '.', n) || memchr(p, ':', n) || span_ieq(p, n, "localhost");
}

static enum tg_rc check_prefix_shape(const char *s, size_t n, struct tg_error *err)
{
    const char *at = memchr(s, '@', n);
    if (at)
        return bad(err, s, at, "a prefix names a registry or repository, not a digest");
    const char *slash = NULL;
    for (const char *p = s; p < s + n; p++) {
        if (*p == '/')
            slash = p;
    }
    const char *from = slash ? slash : s;
    if (!slash && s[0] == '[') { /* the colons of an IPv6 host are not a tag */
        const char *close = memchr(s, ']', n);
        from = close ? close : s + n;
    }
    const char *colon = memchr(from, ':', (size_t)(s + n - from));
    if (!colon)
        return TG_OK;
    /* "localhost:5000" is a port; "nginx:1.25" or "ghcr.io/app:1" a tag. */
    for (const char *p = colon + 1; p < s + n; p++) {
        if (!is_digit(*p) || slash)
            return bad(err, s, colon,
                       "a prefix names a registry or repository, not a tag");
    }
    if (slash)
        return bad(err, s, colon, "a prefix names a registry or repository, not a tag");
    return TG_OK;
}

/* Normalise `s` into `buf` (at least NAME_MAX_LEN + 1 bytes).  A trailing
 * '/' marks a namespace, taken as written ("docker.io/bitnami/"), and
 * "library" on Docker Hub is the official-image namespace itself. */
static enum tg_rc normalise_prefix(const char *s, char *buf, struct tg_error *err)
{
    if (!s || !s[0])
        return tg_error_set(err, TG_EINVAL, NULL, 1, 1, "empty image prefix");
    enum tg_rc rc = check_bytes(s, err);
    size_t n = strlen(s);
    if (rc == TG_OK)
        rc = check_prefix_shape(s, n, err);
    if (rc != TG_OK)
        return rc;
    int literal = n > 1 && s[n - 1] == '/';
    if (literal)
        n--;
    struct parts pt = {0};
    struct canon c;
    if (!memchr(s, '/', n) && is_registry_prefix(s, n)) {
        rc = check_domain(s, s, n, err);
        pt.host = s;
        pt.host_len = n;
    } else {
        rc = split_name(s, s, n, &pt, err);
    }
    if (rc != TG_OK)
        return rc;
    canonicalise(&pt, &c);
    if (c.add_library && (literal || span_ieq(c.path, c.path_len, "library")))
        c.add_library = 0;
    size_t nlen = name_len_of(&c);
    if (nlen > NAME_MAX_LEN)
        return bad(err, s, s,
                   "image prefix is %zu characters long once normalised; at most %d are "
                   "allowed",
                   nlen, NAME_MAX_LEN);
    write_name(buf, &c);
    return TG_OK;
}

enum tg_rc imgref_normalise_prefix(const char *prefix, struct arena *a, const char **out,
                                   struct tg_error *err)
{
    char buf[NAME_MAX_LEN + 1];
    enum tg_rc rc = normalise_prefix(prefix, buf, err);
    if (rc != TG_OK)
        return rc;
    char *copy = arena_strdup(a, buf);
    if (!copy)
        return tg_error_setf(err, TG_ENOMEM, "out of memory normalising an image prefix");
    *out = copy;
    return TG_OK;
}

bool imgref_name_under(const char *name, const char *normalised_prefix)
{
    size_t n = strlen(normalised_prefix);
    return name && strncmp(name, normalised_prefix, n) == 0 &&
           (name[n] == '\0' || name[n] == '/');
}

bool imgref_name_has_prefix(const char *name, const char *prefix)
{
    char buf[NAME_MAX_LEN + 1];
    if (!name || normalise_prefix(prefix, buf, NULL) != TG_OK)
        return false;
    return imgref_name_under(name, buf);
}
