/* jsonesc.h -- escaping text for a JSON string, a character at a time.
 *
 * A writer copies jsonesc_plain_run() bytes as they are, then asks
 * jsonesc_char() for the next character, and repeats until the NUL.
 * Pure; thread-safe.
 */
#ifndef TOLLGATE_JSONESC_H
#define TOLLGATE_JSONESC_H

#include <stddef.h>

/* Bytes from `s` that are printable ASCII other than '"' and '\\': copied
 * as they are (nearly every byte of a log line or a message). */
size_t jsonesc_plain_run(const unsigned char *s);

/* The JSON form of the one character at `s` (not NUL): written into `esc`
 * and returned, or NULL when its bytes are copied as they are.  *adv is
 * the input bytes it takes, *esc_len the output bytes. */
const char *jsonesc_char(const unsigned char *s, char esc[8], size_t *adv,
                         size_t *esc_len);

#endif
