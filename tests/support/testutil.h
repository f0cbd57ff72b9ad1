/* testutil.h -- helpers shared by the Check suites.
 *
 * Fixtures live in tests/data/ of the source tree (TOLLGATE_SOURCE_DIR is
 * compiled in), so suites run from any directory.
 */
#ifndef TOLLGATE_TESTUTIL_H
#define TOLLGATE_TESTUTIL_H

#include <check.h>
#include <stddef.h>

#include "error.h"

/* Whole file tests/data/<rel>, NUL-terminated; the test fails if missing.
 * Free with free(). */
char *fixture_read(const char *rel, size_t *len);

/* Absolute path of tests/data/<rel> in a static buffer (not thread-safe). */
const char *fixture_path(const char *rel);

/* Run a suite with the runner's usual output; returns the exit status for
 * main (0 when every test passed). */
int run_suite(Suite *s);

#endif
