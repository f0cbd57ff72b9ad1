/* policy_names.c -- Kubernetes and distribution naming rules, as
 * validators that explain themselves. */
#include "policy_names.h"

#include <stdbool.h>
#include <string.h>

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* RFC 1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])? of `len` bytes. */
static bool is_dns_label(const char *s, size_t len)
{
    if (len == 0 || len > 63 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[len - 1]))
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!is_lower_alnum(s[i]) && s[i] != '-')
            return false;
    }
    return true;
}

static bool is_dns_subdomain(const char *s, size_t len)
{
    if (len == 0 || len > 253)
        return false;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != '.')
            continue;
        if (!is_dns_label(s + start, i - start))
            return false;
        start = i + 1;
    }
    return true;
}

const char *policy_check_policy_name(const char *s)
{
    if (is_dns_subdomain(s, strlen(s)))
        return NULL;
    return "is not a valid name (lowercase letters, digits, '-' and '.', "
           "at most 253 characters)";
}

const char *policy_check_namespace_pattern(const char *s)
{
    size_t len = strlen(s);
    bool ok = len > 0 && len <= 63;
    for (size_t i = 0; ok && i < len; i++)
        ok = is_lower_alnum(s[i]) || s[i] == '-' || s[i] == '*' || s[i] == '?';
    if (ok)
        return NULL;
    return "is not a valid namespace name or pattern (lowercase letters, digits, "
           "'-', and '*' or '?' as wildcards; at most 63 characters)";
}

const char *policy_check_container_name(const char *s)
{
    if (is_dns_label(s, strlen(s)))
        return NULL;
    return "is not a valid container name (lowercase letters, digits and '-', "
           "starting and ending with a letter or digit; at most 63 characters)";
}

/* host [":" port], as the distribution grammar allows for a domain. */
static bool is_registry_host(const char *s, size_t len)
{
    const char *colon = memchr(s, ':', len);
    size_t host_len = colon ? (size_t)(colon - s) : len;
    if (host_len == 0)
        return false;
    for (size_t i = 0; i < host_len; i++) {
        if (!is_alnum(s[i]) && s[i] != '.' && s[i] != '-')
            return false;
    }
    if (!colon)
        return true;
    size_t port_len = len - host_len - 1;
    for (size_t i = 0; i < port_len; i++) {
        if (!is_digit(colon[1 + i]))
            return false;
    }
    return port_len > 0 && port_len <= 5;
}

/* [a-z0-9]+ ((".", "_", "__", "-"+) [a-z0-9]+)* */
static bool is_path_component(const char *s, size_t len)
{
    if (len == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[len - 1]))
        return false;
    for (size_t i = 1; i < len; i++) {
        char c = s[i], prev = s[i - 1];
        if (is_lower_alnum(c) || c == '-')
            continue;
        if (c == '.' && is_lower_alnum(prev))
            continue;
        if (c == '_' &&
            (is_lower_alnum(prev) || (prev == '_' && is_lower_alnum(s[i - 2]))))
            continue;
        return false;
    }
    /* '-' runs may not touch '.' or '_' */
    for (size_t i = 1; i < len; i++) {
        if ((s[i] == '-' && (s[i - 1] == '.' || s[i - 1] == '_')) ||
            ((s[i] == '.' || s[i] == '_') && s[i - 1] == '-'))
            return false;
    }
    return true;
}

static bool looks_like_host(const char *s, size_t len)
{
    return memchr(s, '.', len) || memchr(s, ':', len) ||
           (len == 9 && memcmp(s, "localhost", 9) == 0);
}

const char *policy_check_image_prefix(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > 255)
        return "is not a valid image prefix (1 to 255 characters)";
    if (strchr(s, '@'))
        return "is not a valid image prefix: it names registries or repositories, "
               "so it carries no digest";
    if (s[0] == '/' || s[len - 1] == '/' || strstr(s, "//"))
        return "is not a valid image prefix: empty path component (stray '/')";
    const char *slash = strchr(s, '/');
    size_t first_len = slash ? (size_t)(slash - s) : len;
    const char *path = s;
    const char *colon = slash ? NULL : strchr(s, ':');
    if (colon && strspn(colon + 1, "0123456789") != strlen(colon + 1))
        return "is not a valid image prefix: it names registries or repositories, "
               "so it carries no tag"; /* "nginx:1.25"; "localhost:5000" is a host */
    if (looks_like_host(s, first_len)) {
        if (!is_registry_host(s, first_len))
            return "is not a valid image prefix: bad registry host (letters, digits, "
                   "'.', '-' and an optional :port)";
        path = slash ? slash + 1 : s + len;
    }
    while (*path) {
        const char *end = strchr(path, '/');
        size_t n = end ? (size_t)(end - path) : strlen(path);
        if (memchr(path, ':', n))
            return "is not a valid image prefix: it names registries or repositories, "
                   "so it carries no tag";
        if (!is_path_component(path, n))
            return "is not a valid image prefix: repository path components are "
                   "lowercase letters and digits separated by '.', '_', '__' or '-'";
        path += n + (end ? 1 : 0);
    }
    return NULL;
}

static bool is_label_name(const char *s, size_t len)
{
    if (len == 0 || len > 63 || !is_alnum(s[0]) || !is_alnum(s[len - 1]))
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return false;
    }
    return true;
}

const char *policy_check_label_key(const char *s)
{
    const char *slash = strchr(s, '/');
    bool ok;
    if (slash)
        ok = is_dns_subdomain(s, (size_t)(slash - s)) &&
             is_label_name(slash + 1, strlen(slash + 1));
    else
        ok = is_label_name(s, strlen(s));
    if (ok)
        return NULL;
    return "is not a valid label key ([prefix/]name: name of at most 63 letters, "
           "digits, '-', '_' or '.', prefix a DNS subdomain)";
}

const char *policy_check_label_value(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || is_label_name(s, len))
        return NULL;
    return "is not a valid label value (at most 63 letters, digits, '-', '_' or '.', "
           "starting and ending with a letter or digit)";
}

const char *policy_check_reason(const char *s)
{
    size_t len = strlen(s);
    if (len > 0 && len <= 1024)
        return NULL;
    return "is not a valid reason (1 to 1024 characters)";
}
