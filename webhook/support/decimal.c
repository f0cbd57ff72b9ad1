/* decimal.c -- unsigned integers as decimal digits, without printf. */
#include "decimal.h"

size_t decimal_format(char *out, unsigned long long v, size_t width)
{
    char tmp[DECIMAL_MAX_DIGITS]; /* least significant first */
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n < width && n < DECIMAL_MAX_DIGITS)
        tmp[n++] = '0';
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}
