/* check_fspath.c -- path normalisation and boundary matching. */
#include <string.h>

#include "fspath.h"
#include "testutil.h"

static const struct {
    const char *in;
    enum fspath_problem problem;
    const char *out;
} paths[] = {
    {"/var/log", FSPATH_OK, "/var/log"},
    {"/var/log/", FSPATH_OK, "/var/log"},
    {"//var///log//", FSPATH_OK, "/var/log"},
    {"/var/./log/.", FSPATH_OK, "/var/log"},
    {"/", FSPATH_OK, "/"},
    {"///", FSPATH_OK, "/"},
    {"/.", FSPATH_OK, "/"},
    {"/var/log/..data", FSPATH_OK, "/var/log/..data"}, /* a name, not a backstep */
    {"/var/.../x", FSPATH_OK, "/var/.../x"},
    {"/var/log/../../etc", FSPATH_BACKSTEP, NULL},
    {"/..", FSPATH_BACKSTEP, NULL},
    {"/var/log/..", FSPATH_BACKSTEP, NULL},
    {"var/log", FSPATH_RELATIVE, NULL},
    {"", FSPATH_RELATIVE, NULL},
    {"C:\\var\\log", FSPATH_RELATIVE, NULL},
    {"/0123456789/0123456789", FSPATH_TOO_LONG, NULL}, /* cap 16 below */
};

START_TEST(normalises)
{
    char out[16] = "untouched";
    ck_assert_int_eq(fspath_normalise(paths[_i].in, out, sizeof(out)), paths[_i].problem);
    ck_assert_str_eq(out, paths[_i].out ? paths[_i].out : "untouched");
    ck_assert_int_eq(fspath_problem_text(paths[_i].problem)[0] == '\0',
                     paths[_i].problem == FSPATH_OK);
}
END_TEST

static const struct {
    const char *path, *prefix;
    bool under;
} prefixes[] = {
    {"/var/log", "/var/log", true},
    {"/var/log/pods", "/var/log", true},
    {"/var/logs", "/var/log", false},
    {"/var", "/var/log", false},
    {"/etc", "/", true},
    {"/", "/", true},
    {"/", "/var", false},
    {"/var/log/pods/x", "/var/log/pods", true},
    {"/var/lib/kubelet", "/var/lib/kubelet/pods", false},
};

START_TEST(matches_at_a_boundary)
{
    ck_assert_int_eq(fspath_is_under(prefixes[_i].path, prefixes[_i].prefix),
                     prefixes[_i].under);
}
END_TEST

/* Exactly full: "/a" needs 3 bytes; the root 2. */
START_TEST(fits_exactly)
{
    char out[3];
    ck_assert_int_eq(fspath_normalise("/ab", out, sizeof(out)), FSPATH_TOO_LONG);
    ck_assert_int_eq(fspath_normalise("//a/", out, sizeof(out)), FSPATH_OK);
    ck_assert_str_eq(out, "/a");
    ck_assert_int_eq(fspath_normalise("/", out, 2), FSPATH_OK);
    ck_assert_str_eq(out, "/");
    ck_assert_int_eq(fspath_normalise("/", out, 1), FSPATH_TOO_LONG);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fspath");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, normalises, 0, ARRAY_LEN(paths));
    tcase_add_loop_test(tc, matches_at_a_boundary, 0, ARRAY_LEN(prefixes));
    tcase_add_test(tc, fits_exactly);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
