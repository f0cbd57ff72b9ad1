/* check_kube_resource.c -- API paths, Kubernetes names, the resource table. */
#include <string.h>

#include "kube_resource.h"
#include "testutil.h"

static const struct {
    const struct kube_resource *res;
    const char *ns, *name, *path; /* path NULL: TG_EINVAL */
} paths[] = {
    {&KUBE_RES_PODS, NULL, NULL, "/api/v1/pods"},
    {&KUBE_RES_PODS, "", NULL, "/api/v1/pods"},
    {&KUBE_RES_PODS, "shop", NULL, "/api/v1/namespaces/shop/pods"},
    {&KUBE_RES_PODS, "shop", "web-1", "/api/v1/namespaces/shop/pods/web-1"},
    {&KUBE_RES_DEPLOYMENTS, "a.b", "x", "/apis/apps/v1/namespaces/a.b/deployments/x"},
    {&KUBE_RES_CRONJOBS_V1BETA1, NULL, NULL, "/apis/batch/v1beta1/cronjobs"},
    {&KUBE_RES_NAMESPACES, "ignored", "kube-system", "/api/v1/namespaces/kube-system"},
    {&KUBE_RES_NAMESPACES, NULL, NULL, "/api/v1/namespaces"},
    {&KUBE_RES_PODS, NULL, "web", NULL},   /* a namespaced object needs its namespace */
    {&KUBE_RES_PODS, "Shop", NULL, NULL},  /* upper case */
    {&KUBE_RES_PODS, "shop", "a/b", NULL}, /* would be another path */
    {&KUBE_RES_PODS, "shop", "..", NULL},
    {&KUBE_RES_PODS, "-shop", NULL, NULL},
    {&KUBE_RES_PODS, "shop?x=1", NULL, NULL},
};

START_TEST(resource_paths)
{
    struct buf b;
    struct kube_error err;
    buf_init(&b, 0);
    ck_assert_int_eq(buf_appends(&b, "prefix"), TG_OK);
    enum tg_rc rc =
        kube_resource_path(&b, paths[_i].res, paths[_i].ns, paths[_i].name, &err);
    if (paths[_i].path) {
        ck_assert_int_eq(rc, TG_OK);
        ck_assert_str_eq(buf_str(&b) + 6, paths[_i].path);
    } else {
        ck_assert_int_eq(rc, TG_EINVAL);
        ck_assert_int_eq(err.fault, KUBE_FAULT_LOCAL);
        ck_assert_str_eq(buf_str(&b), "prefix"); /* unchanged */
    }
    buf_cleanup(&b);
}
END_TEST

static const struct {
    const char *s;
    bool ok;
} names[] = {
    {"a", true},   {"web-1", true}, {"a.b.c", true}, {"0abc", true},
    {"", false},   {"A", false},    {"a_b", false},  {"-a", false},
    {"a-", false}, {".a", false},   {"a b", false},  {NULL, false},
};

START_TEST(dns_subdomains)
{
    ck_assert_int_eq(kube_is_dns_subdomain(names[_i].s), names[_i].ok);
}
END_TEST

START_TEST(subdomain_length)
{
    char s[300];
    memset(s, 'a', sizeof(s));
    s[253] = '\0';
    ck_assert(kube_is_dns_subdomain(s));
    s[253] = 'a';
    s[254] = '\0';
    ck_assert(!kube_is_dns_subdomain(s));
}
END_TEST

START_TEST(find_fixed_resources)
{
    ck_assert_ptr_eq(kube_resource_find("CronJob", "batch/v1beta1"),
                     &KUBE_RES_CRONJOBS_V1BETA1);
    ck_assert_ptr_eq(kube_resource_find("CronJob", "batch/v1"), &KUBE_RES_CRONJOBS_V1);
    ck_assert_ptr_eq(kube_resource_find("Pod", "v1"), &KUBE_RES_PODS);
    ck_assert_ptr_null(kube_resource_find("Pod", "apps/v1"));
    ck_assert_ptr_null(kube_resource_find("Secret", "v1"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kube_resource");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, resource_paths, 0, ARRAY_LEN(paths));
    tcase_add_loop_test(tc, dns_subdomains, 0, ARRAY_LEN(names));
    tcase_add_test(tc, subdomain_length);
    tcase_add_test(tc, find_fixed_resources);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
