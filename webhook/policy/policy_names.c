/* policy_names.c -- Kubernetes naming rules, as validators that explain
 * themselves. */
#include "policy_names.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "error.h"

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
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

const char *policy_check_env_name_pattern(const char *s)
{
    size_t len = strlen(s);
    bool ok = len > 0 && len <= 256;
    for (size_t i = 0; ok && i < len; i++)
        ok = s[i] > ' ' && s[i] <= '~' && s[i] != '=';
    return ok ? NULL
              : "is not a valid environment variable name pattern (1 to 256 printable "
                "characters without '=' or spaces; '*' and '?' match any run and any one "
                "character)";
}

const char *policy_check_reason(const char *s)
{
    size_t len = strlen(s);
    if (len > 0 && len <= 1024)
        return NULL;
    return "is not a valid reason (1 to 1024 characters)";
}

/* capabilities(7), in the kernel's order (CAP_CHOWN is 0). */
static const char *const capabilities[] = {"CHOWN",
                                           "DAC_OVERRIDE",
                                           "DAC_READ_SEARCH",
                                           "FOWNER",
                                           "FSETID",
                                           "KILL",
                                           "SETGID",
                                           "SETUID",
                                           "SETPCAP",
                                           "LINUX_IMMUTABLE",
                                           "NET_BIND_SERVICE",
                                           "NET_BROADCAST",
                                           "NET_ADMIN",
                                           "NET_RAW",
                                           "IPC_LOCK",
                                           "IPC_OWNER",
                                           "SYS_MODULE",
                                           "SYS_RAWIO",
                                           "SYS_CHROOT",
                                           "SYS_PTRACE",
                                           "SYS_PACCT",
                                           "SYS_ADMIN",
                                           "SYS_BOOT",
                                           "SYS_NICE",
                                           "SYS_RESOURCE",
                                           "SYS_TIME",
                                           "SYS_TTY_CONFIG",
                                           "MKNOD",
                                           "LEASE",
                                           "AUDIT_WRITE",
                                           "AUDIT_CONTROL",
                                           "SETFCAP",
                                           "MAC_OVERRIDE",
                                           "MAC_ADMIN",
                                           "SYSLOG",
                                           "WAKE_ALARM",
                                           "BLOCK_SUSPEND",
                                           "AUDIT_READ",
                                           "PERFMON",
                                           "BPF",
                                           "CHECKPOINT_RESTORE"};

/* Is `s` a capability in another case, or with a CAP_ prefix? */
static bool is_capability_spelled_otherwise(const char *s)
{
    if (strncasecmp(s, "CAP_", 4) == 0)
        s += 4;
    for (size_t i = 0; i < ARRAY_LEN(capabilities); i++) {
        if (strcasecmp(s, capabilities[i]) == 0)
            return true;
    }
    return false;
}

const char *policy_check_capability(const char *s)
{
    for (size_t i = 0; i < ARRAY_LEN(capabilities); i++) {
        if (strcmp(s, capabilities[i]) == 0)
            return NULL;
    }
    if (strcasecmp(s, "ALL") == 0)
        return "would allow every capability; list the ones containers may add";
    if (is_capability_spelled_otherwise(s))
        return "must be written as Kubernetes writes capabilities: upper case, without "
               "CAP_ (e.g. NET_BIND_SERVICE)";
    return "is not a Linux capability (see capabilities(7); write it without CAP_, "
           "e.g. NET_BIND_SERVICE)";
}
