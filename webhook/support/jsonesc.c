/* jsonesc.c -- a NUL-terminated string as the content of a JSON string.
 *
 * Shared by the log lines (tlog.c) and the AdmissionReview response
 * (respond.c), which write into different sinks.  '"' and '\\' get a
 * backslash, control characters and DEL their short or \u00xx escape (DEL
 * upsets terminals reading logs), well-formed UTF-8 is copied, and each
 * byte of malformed UTF-8 becomes U+FFFD, so the output is always valid
 * JSON whatever the input.
 */
#include "jsonesc.h"

#include <string.h>

/* Length of the well-formed UTF-8 sequence at `s` (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0 if there is none.
 * Stops at the terminating NUL, which is never a continuation byte. */
static size_t utf8_seq_len(const unsigned char *s)
{
    unsigned char c = s[0];
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    size_t n;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4;
    else
        return 0;
    if (c == 0xE0)
        lo = 0xA0; /* overlong */
    else if (c == 0xED)
        hi = 0x9F; /* surrogates */
    else if (c == 0xF0)
        lo = 0x90; /* overlong */
    else if (c == 0xF4)
        hi = 0x8F; /* above U+10FFFF */
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return n;
}

/* The two-character escape of a control character, or 0 if it has none. */
static char short_escape(unsigned char c)
{
    switch (c) {
    case '\b':
        return 'b';
    case '\f':
        return 'f';
    case '\n':
        return 'n';
    case '\r':
        return 'r';
    case '\t':
        return 't';
    default:
        return 0;
    }
}

const char *jsonesc_char(const unsigned char *s, char esc[8], size_t *adv,
                         size_t *esc_len)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char c = *s;
    *adv = 1;
    esc[0] = '\\';
    if (c == '"' || c == '\\') {
        esc[1] = (char)c;
        *esc_len = 2;
        return esc;
    }
    if (c < 0x20 || c == 0x7f) { /* DEL too: it upsets terminals */
        esc[1] = short_escape(c);
        *esc_len = 2;
        if (!esc[1]) {
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            *esc_len = 6;
        }
        return esc;
    }
    size_t n = utf8_seq_len(s);
    if (n == 0) {
        memcpy(esc, "\xEF\xBF\xBD", 3); /* U+FFFD for one bad byte */
        *esc_len = 3;
        return esc;
    }
    *adv = n;
    *esc_len = n;
    return NULL;
}

size_t jsonesc_plain_run(const unsigned char *s)
{
    /* 1: printable ASCII but '"', '\\' and DEL -- one load and test per
     * byte instead of four compares (every log line and response) */
    static const unsigned char plain[256] = {
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x00 */
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x10 */
        1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x20 */
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x30 */
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x40 */
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, /* 0x50 */
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x60 */
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, /* 0x70 */
    };
    size_t n = 0;
    while (plain[s[n]])
        n++;
    return n;
}
