/* check_kube_token.c -- bearer tokens inline and from files that rotate.
 *
 * The kubelet's way of rotating (a new file swapped in by rename), an
 * in-place rewrite that keeps size and mtime (only kube_token_reload sees
 * it), a file that vanishes or turns bad (the last good token stays), and
 * the errors of a first read.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kube_token.h"
#include "testutil.h"

static char dir[64];

static const char *path_of(const char *name)
{
    static char p[128];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    return p;
}

static void put(const char *name, const char *text, bool swap)
{
    char tmp[160], target[128];
    snprintf(target, sizeof(target), "%s", path_of(name));
    snprintf(tmp, sizeof(tmp), "%s.new", target);
    FILE *f = fopen(swap ? tmp : target, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
    if (swap)
        ck_assert_int_eq(rename(tmp, target), 0);
}

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/tollgate-token-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[96];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(rotation)
{
    struct kube_token t;
    struct tg_error err;
    put("token", "  first\n", true);
    ck_assert_int_eq(kube_token_init(&t, "ignored", path_of("token"), &err), TG_OK);
    ck_assert_str_eq(kube_token_get(&t), "first");
    ck_assert_str_eq(kube_token_get(&t), "first");
    put("token", "second\n", true); /* the kubelet's swap */
    ck_assert_str_eq(kube_token_get(&t), "second");
    /* in place, same size and mtime: invisible to get, seen by reload */
    struct stat st;
    ck_assert_int_eq(stat(path_of("token"), &st), 0);
    put("token", "third!\n", false);
    struct timespec times[2] = {st.st_atim, st.st_mtim};
    ck_assert_int_eq(utimensat(AT_FDCWD, path_of("token"), times, 0), 0);
    ck_assert_str_eq(kube_token_get(&t), "second");
    ck_assert(kube_token_reload(&t));
    ck_assert_str_eq(kube_token_get(&t), "third!");
    ck_assert(!kube_token_reload(&t)); /* unchanged */
    /* a bad or missing file keeps the last good token */
    put("token", "has space\n", true);
    ck_assert_str_eq(kube_token_get(&t), "third!");
    put("token", "\n", true);
    ck_assert_str_eq(kube_token_get(&t), "third!");
    ck_assert_int_eq(unlink(path_of("token")), 0);
    ck_assert_str_eq(kube_token_get(&t), "third!");
    ck_assert(!kube_token_reload(&t));
    put("token", "fourth", true);
    ck_assert_str_eq(kube_token_get(&t), "fourth");
    kube_token_cleanup(&t);
    kube_token_cleanup(NULL);
}
END_TEST

START_TEST(inline_and_none)
{
    struct kube_token t;
    ck_assert_int_eq(kube_token_init(&t, "abc", NULL, NULL), TG_OK);
    ck_assert_str_eq(kube_token_get(&t), "abc");
    ck_assert(!kube_token_reload(&t));
    kube_token_cleanup(&t);
    ck_assert_int_eq(kube_token_init(&t, NULL, NULL, NULL), TG_OK);
    ck_assert_ptr_null(kube_token_get(&t));
    kube_token_cleanup(&t);
}
END_TEST

static const struct {
    const char *content; /* NULL: no file */
    enum tg_rc rc;
    const char *text;
} first_reads[] = {
    {NULL, TG_EIO, "cannot be read: No such file or directory"},
    {"", TG_EINVAL, "is empty"},
    {" \n\t", TG_EINVAL, "is empty"},
    {"a\x01b", TG_EINVAL, "holds spaces or control characters; a bearer token cannot"},
    {"two words", TG_EINVAL, "holds spaces or control characters; a bearer token cannot"},
};

START_TEST(first_read_errors)
{
    struct kube_token t;
    struct tg_error err;
    if (first_reads[_i].content)
        put("bad", first_reads[_i].content, false);
    else
        unlink(path_of("bad"));
    ck_assert_int_eq(kube_token_init(&t, NULL, path_of("bad"), &err), first_reads[_i].rc);
    ck_assert_str_eq(err.text, first_reads[_i].text);
    ck_assert_ptr_null(t.value);
    ck_assert_ptr_null(t.path);
}
END_TEST

static const struct {
    const char *s;
    bool ok;
} tokens[] = {
    {"eyJhbGciOiJSUzI1NiJ9.e30.sig", true},
    {"a", true},
    {"", false},
    {NULL, false},
    {"a b", false},
    {"a\r\nX-Injected: 1", false},
    {"\x7f", false},
    {"caf\xc3\xa9", false},
};

START_TEST(valid_tokens)
{
    ck_assert_int_eq(kube_token_is_valid(tokens[_i].s), tokens[_i].ok);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kube_token");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, rotation);
    tcase_add_test(tc, inline_and_none);
    tcase_add_loop_test(tc, first_read_errors, 0, ARRAY_LEN(first_reads));
    tcase_add_loop_test(tc, valid_tokens, 0, ARRAY_LEN(tokens));
    suite_add_tcase(s, tc);
    return run_suite(s);
}
