/* quantity.c -- resource.Quantity text to thousandths, in integers.
 *
 * No floating point: "0.1" + "0.2" style drift would put a request exactly
 * at a maximum on the wrong side of it.  The digits form an integer D with
 * f digits after the point; the value is D * 2^b * 10^(p + 3 - f)
 * thousandths (b, p from the suffix), computed with saturation and
 * rounded up.
 */
#include "quantity.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#define MAX_DIGITS 18 /* significant digits kept in D (below 2^63) */

struct number {
    uint64_t digits; /* D */
    int scale;       /* power of ten to apply to D */
    bool inexact;    /* nonzero digits were dropped: round up */
};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The digits and the point; *end is past them.  false: no digit. */
static bool read_number(const char *s, struct number *n, const char **end)
{
    int kept = 0, seen = 0;
    bool point = false;
    for (; is_digit(*s) || (*s == '.' && !point); s++) {
        if (*s == '.') {
            point = true;
            continue;
        }
        seen++;
        int d = *s - '0';
        if (kept == 0 && d == 0) { /* a leading zero adds nothing */
            n->scale -= point;
            continue;
        }
        if (kept < MAX_DIGITS) {
            n->digits = n->digits * 10 + (uint64_t)d;
            n->scale -= point;
            kept++;
        } else {
            n->scale += !point; /* an integer digit dropped: one power up */
            n->inexact |= d != 0;
        }
    }
    *end = s;
    return seen > 0;
}

/* The suffix: a power of two and a power of ten. */
static bool read_suffix(const char *s, int *pow2, int *pow10)
{
    static const struct {
        const char *text;
        int pow2, pow10;
    } suffixes[] = {
        {"", 0, 0},    {"n", 0, -9},  {"u", 0, -6},  {"m", 0, -3},
        {"k", 0, 3},   {"M", 0, 6},   {"G", 0, 9},   {"T", 0, 12},
        {"P", 0, 15},  {"E", 0, 18},  {"Ki", 10, 0}, {"Mi", 20, 0},
        {"Gi", 30, 0}, {"Ti", 40, 0}, {"Pi", 50, 0}, {"Ei", 60, 0},
    };
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        if (strcmp(s, suffixes[i].text) == 0) {
            *pow2 = suffixes[i].pow2;
            *pow10 = suffixes[i].pow10;
            return true;
        }
    }
    if (s[0] != 'e' && s[0] != 'E')
        return false;
    /* an exponent: e3, E-2, e+1 */
    const char *p = s + 1 + (s[1] == '+' || s[1] == '-');
    if (!is_digit(*p))
        return false;
    int e = 0;
    for (; is_digit(*p); p++)
        e = e < 10000 ? e * 10 + (*p - '0') : e; /* far past any range */
    *pow2 = 0;
    *pow10 = s[1] == '-' ? -e : e;
    return *p == '\0';
}

/* D * 2^pow2 * 10^pow10, rounded up, held at QUANTITY_MAX. */
static int64_t scaled(uint64_t d, int pow2, int pow10, bool inexact)
{
    if (d == 0)
        return 0;
    for (; pow2 > 0; pow2--) {
        if (d > (uint64_t)QUANTITY_MAX >> 1)
            return QUANTITY_MAX;
        d <<= 1;
    }
    for (; pow10 > 0; pow10--) {
        if (d > (uint64_t)QUANTITY_MAX / 10)
            return QUANTITY_MAX;
        d *= 10;
    }
    for (; pow10 < 0 && d > 0; pow10++) {
        inexact |= d % 10 != 0;
        d /= 10;
    }
    if (inexact)
        d++;
    return d > (uint64_t)QUANTITY_MAX ? QUANTITY_MAX : (int64_t)d;
}

enum tg_rc quantity_parse(const char *s, int64_t *milli, const char **why)
{
    const char *reason = "is empty";
    bool negative = s[0] == '-';
    const char *p = s + (s[0] == '-' || s[0] == '+');
    struct number n = {0};
    const char *end;
    int pow2 = 0, pow10 = 0;
    if (s[0] && !read_number(p, &n, &end))
        reason = "has no digits";
    else if (s[0] && !read_suffix(end, &pow2, &pow10))
        reason =
            "has an unknown suffix (expected one of Ki Mi Gi Ti Pi Ei, n u m k M G T "
            "P E, or an exponent such as e3)";
    else if (s[0])
        reason = NULL;
    if (reason) {
        if (why)
            *why = reason;
        return TG_EINVAL;
    }
    int64_t v = scaled(n.digits, pow2, pow10 + n.scale + 3, n.inexact);
    *milli = negative ? -v : v;
    return TG_OK;
}
