/* check_audit_kinds.c -- the listed kinds and who reports an object. */
#include "alloc_json.h"
#include "audit_kinds.h"
#include "testutil.h"

static const struct {
    const char *refs; /* metadata.ownerReferences, JSON */
    int top_level;
} owners[] = {
    {NULL, 1},
    {"[]", 1},
    {"[{\"apiVersion\":\"apps/"
     "v1\",\"kind\":\"ReplicaSet\",\"name\":\"r\",\"controller\":true}]",
     0},
    {"[{\"apiVersion\":\"batch/"
     "v1beta1\",\"kind\":\"CronJob\",\"name\":\"c\",\"controller\":true}]",
     0},
    {"[{\"apiVersion\":\"v1\",\"kind\":\"ReplicationController\",\"name\":\"r\","
     "\"controller\":"
     "true}]",
     0},
    /* not the controller: a garbage-collection link only */
    {"[{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"name\":\"r\"}]", 1},
    {"[{\"apiVersion\":\"apps/"
     "v1\",\"kind\":\"ReplicaSet\",\"name\":\"r\",\"controller\":false}]",
     1},
    /* a kind tollgate does not judge: reported as itself */
    {"[{\"apiVersion\":\"argoproj.io/v1alpha1\",\"kind\":\"Rollout\",\"name\":\"r\","
     "\"controller\":true}]",
     1},
    /* the same kind name in another API group is not ours */
    {"[{\"apiVersion\":\"example.com/v1\",\"kind\":\"Deployment\",\"name\":\"d\","
     "\"controller\":true}]",
     1},
    {"[{\"apiVersion\":\"v1\",\"kind\":\"Deployment\",\"name\":\"d\",\"controller\":true}"
     "]",
     1},
    /* a second, non-controller reference does not hide the controller */
    {"[{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"name\":\"x\"},"
     "{\"apiVersion\":\"apps/"
     "v1\",\"kind\":\"StatefulSet\",\"name\":\"s\",\"controller\":true}]",
     0},
    /* malformed references count as none */
    {"{\"apiVersion\":\"apps/v1\"}", 1},
    {"[{\"kind\":\"ReplicaSet\",\"controller\":true}]", 1},
    {"[7]", 1},
};

START_TEST(reports_at_the_top_level_controller)
{
    json_t *obj = json_pack("{s:{s:s}}", "metadata", "name", "x");
    if (owners[_i].refs) {
        json_t *refs = json_loads(owners[_i].refs, JSON_DECODE_ANY, NULL);
        ck_assert_ptr_nonnull(refs);
        json_object_set_new(json_object_get(obj, "metadata"), "ownerReferences", refs);
    }
    ck_assert_int_eq(audit_is_top_level(obj), owners[_i].top_level);
    json_decref(obj);
}
END_TEST

START_TEST(reports_controllers_top_down)
{
    static const char *const order[] = {
        "CronJob", "Deployment", "StatefulSet", "DaemonSet", "ReplicationController",
        "Job",     "ReplicaSet", "PodTemplate", "Pod"};
    for (size_t i = 1; i < ARRAY_LEN(order); i++)
        ck_assert_uint_lt(audit_kind_rank(order[i - 1]), audit_kind_rank(order[i]));
    ck_assert_uint_gt(audit_kind_rank("ConfigMap"), audit_kind_rank("Pod"));
}
END_TEST

static const struct {
    const char *api_version, *group;
} groups[] = {{"v1", ""}, {"apps/v1", "apps"}, {"batch/v1beta1", "batch"}, {"", ""}};

START_TEST(api_group_of_an_api_version)
{
    char g[32];
    audit_api_group(groups[_i].api_version, g, sizeof(g));
    ck_assert_str_eq(g, groups[_i].group);
}
END_TEST

static Suite *audit_kinds_suite(void)
{
    Suite *s = suite_create("audit_kinds");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, reports_at_the_top_level_controller, 0, ARRAY_LEN(owners));
    tcase_add_test(tc, reports_controllers_top_down);
    tcase_add_loop_test(tc, api_group_of_an_api_version, 0, ARRAY_LEN(groups));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    alloc_json_install();
    return run_suite(audit_kinds_suite());
}
