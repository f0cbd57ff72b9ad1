/* fuzz.h -- what every fuzz target shares.
 *
 * Each tests/fuzz/fuzz_<name>.c defines LLVMFuzzerTestOneInput for one
 * parser and checks properties of what it returns, not only that it does
 * not crash.  The same file links either with libFuzzer (tests/fuzz/run.sh,
 * clang -fsanitize=fuzzer) or with replay.c (the normal build, where ctest
 * runs every file of tests/fuzz/corpus/<name>/ through it), so the corpus
 * and every crash kept in it are exercised in each build.
 * A broken property prints what and where, then abort()s: libFuzzer saves
 * the input, and replay exits non-zero.
 */
#ifndef TOLLGATE_FUZZ_H
#define TOLLGATE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* The libFuzzer entry point: always returns 0 (the input is never refused). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                                            \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "%s:%d: property broken: %s: ", __FILE__, __LINE__, #cond);  \
            fprintf(stderr, __VA_ARGS__);                                                \
            fputc('\n', stderr);                                                         \
            abort();                                                                     \
        }                                                                                \
    } while (0)

/* Process-wide setup the server also does (jansson through tg_malloc, a
 * fixed hash seed so runs reproduce); idempotent. */
void fuzz_init(void);

/* data[0..size) as a NUL-terminated copy (malloc'd; caller frees). */
char *fuzz_strndup(const uint8_t *data, size_t size);

#endif
