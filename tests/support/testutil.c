/* testutil.c -- fixture loading and the suite runner. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>

const char *fixture_path(const char *rel)
{
    static char path[4096];
    snprintf(path, sizeof(path), "%s/tests/data/%s", TOLLGATE_SOURCE_DIR, rel);
    return path;
}

char *fixture_read(const char *rel, size_t *len)
{
    const char *path = fixture_path(rel);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open fixture %s", path);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)size + 1);
    ck_assert_ptr_nonnull(data);
    size_t got = fread(data, 1, (size_t)size, f);
    fclose(f);
    ck_assert_uint_eq(got, (size_t)size);
    data[size] = '\0';
    if (len)
        *len = (size_t)size;
    return data;
}

int run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
