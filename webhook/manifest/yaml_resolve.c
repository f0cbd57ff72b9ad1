/* yaml_resolve.c -- YAML 1.1 typing of plain scalars, after go-yaml v2. */
#include "yaml_resolve.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

static const struct {
    const char *text;
    enum yaml_resolved_kind kind;
    int boolean;
    double real;
} words[] = {
    {"", YAML_RESOLVED_NULL, 0, 0},
    {"~", YAML_RESOLVED_NULL, 0, 0},
    {"null", YAML_RESOLVED_NULL, 0, 0},
    {"Null", YAML_RESOLVED_NULL, 0, 0},
    {"NULL", YAML_RESOLVED_NULL, 0, 0},
    {"y", YAML_RESOLVED_BOOL, 1, 0},
    {"Y", YAML_RESOLVED_BOOL, 1, 0},
    {"yes", YAML_RESOLVED_BOOL, 1, 0},
    {"Yes", YAML_RESOLVED_BOOL, 1, 0},
    {"YES", YAML_RESOLVED_BOOL, 1, 0},
    {"true", YAML_RESOLVED_BOOL, 1, 0},
    {"True", YAML_RESOLVED_BOOL, 1, 0},
    {"TRUE", YAML_RESOLVED_BOOL, 1, 0},
    {"on", YAML_RESOLVED_BOOL, 1, 0},
    {"On", YAML_RESOLVED_BOOL, 1, 0},
    {"ON", YAML_RESOLVED_BOOL, 1, 0},
    {"n", YAML_RESOLVED_BOOL, 0, 0},
    {"N", YAML_RESOLVED_BOOL, 0, 0},
    {"no", YAML_RESOLVED_BOOL, 0, 0},
    {"No", YAML_RESOLVED_BOOL, 0, 0},
    {"NO", YAML_RESOLVED_BOOL, 0, 0},
    {"false", YAML_RESOLVED_BOOL, 0, 0},
    {"False", YAML_RESOLVED_BOOL, 0, 0},
    {"FALSE", YAML_RESOLVED_BOOL, 0, 0},
    {"off", YAML_RESOLVED_BOOL, 0, 0},
    {"Off", YAML_RESOLVED_BOOL, 0, 0},
    {"OFF", YAML_RESOLVED_BOOL, 0, 0},
    {".nan", YAML_RESOLVED_FLOAT, 0, NAN},
    {".NaN", YAML_RESOLVED_FLOAT, 0, NAN},
    {".NAN", YAML_RESOLVED_FLOAT, 0, NAN},
    {".inf", YAML_RESOLVED_FLOAT, 0, INFINITY},
    {".Inf", YAML_RESOLVED_FLOAT, 0, INFINITY},
    {".INF", YAML_RESOLVED_FLOAT, 0, INFINITY},
    {"+.inf", YAML_RESOLVED_FLOAT, 0, INFINITY},
    {"+.Inf", YAML_RESOLVED_FLOAT, 0, INFINITY},
    {"+.INF", YAML_RESOLVED_FLOAT, 0, INFINITY},
    {"-.inf", YAML_RESOLVED_FLOAT, 0, -INFINITY},
    {"-.Inf", YAML_RESOLVED_FLOAT, 0, -INFINITY},
    {"-.INF", YAML_RESOLVED_FLOAT, 0, -INFINITY},
    {"<<", YAML_RESOLVED_MERGE, 0, 0},
};

static int lookup_word(const char *s, size_t len, struct yaml_resolved *out)
{
    for (size_t i = 0; i < ARRAY_LEN(words); i++) {
        if (strlen(words[i].text) == len && memcmp(words[i].text, s, len) == 0) {
            out->kind = words[i].kind;
            out->boolean = words[i].boolean;
            out->real = words[i].real;
            return 1;
        }
    }
    return 0;
}

static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return 99;
}

/* Go's base-0 prefixes: 0x, 0o, 0b, and a bare leading 0 for octal. */
static int int_base(const char **s)
{
    const char *p = *s;
    if (p[0] != '0' || p[1] == '\0')
        return 10;
    int base = 8;
    if (p[1] == 'x' || p[1] == 'X')
        base = 16;
    else if (p[1] == 'o' || p[1] == 'O')
        base = 8;
    else if (p[1] == 'b' || p[1] == 'B')
        base = 2;
    else {
        *s = p + 1;
        return 8;
    }
    *s = p + 2;
    return base;
}

/* strconv.ParseInt(s, 0, 64): 1 and *out on success, 0 on syntax or range. */
static int parse_int(const char *s, long long *out)
{
    int neg = 0;
    if (*s == '+' || *s == '-') {
        neg = *s == '-';
        s++;
    }
    int base = int_base(&s);
    if (*s == '\0')
        return 0;
    unsigned long long v = 0;
    for (; *s; s++) {
        int d = digit_value(*s);
        if (d >= base)
            return 0;
        if (v > (ULLONG_MAX - (unsigned)d) / (unsigned)base)
            return 0;
        v = v * (unsigned)base + (unsigned)d;
    }
    unsigned long long limit = (unsigned long long)LLONG_MAX + (neg ? 1 : 0);
    if (v > limit)
        return 0;
    if (neg)
        *out = v == limit ? LLONG_MIN : -(long long)v;
    else
        *out = (long long)v;
    return 1;
}

static const char *skip_digits(const char *p)
{
    while (*p >= '0' && *p <= '9')
        p++;
    return p;
}

/* go-yaml's yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static int is_yaml_float(const char *p)
{
    if (*p == '+' || *p == '-')
        p++;
    if (*p == '.') {
        const char *q = skip_digits(p + 1);
        if (q == p + 1)
            return 0;
        p = q;
    } else {
        const char *q = skip_digits(p);
        if (q == p)
            return 0;
        p = *q == '.' ? skip_digits(q + 1) : q;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        const char *q = skip_digits(p);
        if (q == p)
            return 0;
        p = q;
    }
    return *p == '\0';
}

/* Go's ParseFloat fails with ErrRange on overflow and go-yaml then keeps
 * the text as a string; underflow quietly gives 0 or a subnormal. */
static int parse_float(const char *s, double *out)
{
    if (!is_yaml_float(s))
        return 0;
    errno = 0;
    double d = strtod(s, NULL);
    if (errno == ERANGE && isinf(d))
        return 0;
    *out = d;
    return 1;
}

void yaml_resolve_plain(const char *s, size_t len, struct yaml_resolved *out)
{
    out->kind = YAML_RESOLVED_STR;
    out->boolean = 0;
    out->integer = 0;
    out->real = 0;
    if (lookup_word(s, len, out))
        return;
    char first = s[0];
    int numeric = (first >= '0' && first <= '9') || first == '+' || first == '-';
    if (!numeric && first != '.')
        return;
    /* go-yaml strips every '_' before trying a number, except after '.',
     * where Go's ParseFloat sees the raw text and rejects underscores. */
    char plain[YAML_RESOLVE_MAX_NUMBER + 1];
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '_' && numeric)
            continue;
        if (s[i] == '\0' || n == YAML_RESOLVE_MAX_NUMBER)
            return;
        plain[n++] = s[i];
    }
    plain[n] = '\0';
    if (numeric && parse_int(plain, &out->integer)) {
        out->kind = YAML_RESOLVED_INT;
        return;
    }
    if (parse_float(plain, &out->real))
        out->kind = YAML_RESOLVED_FLOAT;
}
