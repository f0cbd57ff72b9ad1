/* check_rule_host_path.c -- hostPath volumes against the allowed paths
 * (normalised, at a path boundary), and read-only mounts in every
 * container list, in every pod-bearing kind. */
#include <stdio.h>
#include <string.h>

#include "evalfix.h"
#include "testutil.h"
#include "workload.h"

#define RULE "hostPath"
#define NONE "    hostPath: {action: enforce}\n"
#define LOGS "    hostPath: {action: enforce, allowedPaths: [/var/log, /opt/agent/]}\n"
#define VOL(path) "'volumes':[{'name':'h','hostPath':{'path':'" path "'}}],"
#define RO "'volumeMounts':[{'name':'h','mountPath':'/h','readOnly':true}]"
#define RW "'volumeMounts':[{'name':'h','mountPath':'/h'}]"

static const struct evalfix_row rows[] = {
    /* other volumes are not hostPath */
    {"'volumes':[{'name':'e','emptyDir':{}},{'name':'h','hostPath':null}],"
     "'containers':[{'name':'a','volumeMounts':[{'name':'e','mountPath':'/e'}]}]",
     NONE, 0, NULL, NULL},
    /* no allowed paths: every hostPath volume, mounted or not */
    {VOL("/var/log") "'containers':[{'name':'a'," RO "}]", NONE, 1,
     "/volumes/0/hostPath/path", "the policy allows no hostPath"},
    {VOL("/var/log") "'containers':[{'name':'a'}]", NONE, 1, "/volumes/0/hostPath/path",
     "mounts /var/log from the node"},
    /* allowed, at a path boundary, normalised */
    {VOL("/var/log") "'containers':[{'name':'a'," RO "}]", LOGS, 0, NULL, NULL},
    {VOL("/var/log/pods/") "'containers':[{'name':'a'," RO "}]", LOGS, 0, NULL, NULL},
    {VOL("//var//log/./containers") "'containers':[{'name':'a'," RO "}]", LOGS, 0, NULL,
     NULL},
    {VOL("/opt/agent") "'containers':[{'name':'a'," RO "}]", LOGS, 0, NULL, NULL},
    {VOL("/var/logs") "'containers':[{'name':'a'," RO "}]", LOGS, 1,
     "/volumes/0/hostPath/path",
     "mounts /var/logs from the node, which is not under an allowed path (/var/log, "
     "/opt/agent/)"},
    {VOL("/var") "'containers':[{'name':'a'," RO "}]", LOGS, 1,
     "/volumes/0/hostPath/path", NULL},
    {VOL("/") "'containers':[{'name':'a'," RO "}]", LOGS, 1, "/volumes/0/hostPath/path",
     NULL},
    /* evasion: a backstep out of an allowed path, relative paths, no path */
    {VOL("/var/log/../../etc") "'containers':[{'name':'a'," RO "}]", LOGS, 1,
     "/volumes/0/hostPath/path", "has a \"..\" element, so it cannot be checked"},
    {VOL("var/log") "'containers':[{'name':'a'," RO "}]", LOGS, 1,
     "/volumes/0/hostPath/path", "is not an absolute path"},
    {"'volumes':[{'name':'h','hostPath':{}}],'containers':[{'name':'a'," RO "}]", LOGS, 1,
     "/volumes/0/hostPath/path", "is not a string"},
    /* writable mounts, in every container list */
    {VOL("/var/log") "'containers':[{'name':'a'," RW "}]", LOGS, 1,
     "/containers/0/volumeMounts/0/readOnly",
     "mounts hostPath volume \"h\" (/var/log) writable; set readOnly: true"},
    {VOL("/var/log") "'containers':[{'name':'a'," RO "}],'initContainers':[{'name':'i',"
                     "'volumeMounts':[{'name':'x','mountPath':'/"
                     "x'},{'name':'h','mountPath':'/h',"
                     "'readOnly':false}]}]",
     LOGS, 1, "/initContainers/0/volumeMounts/1/readOnly", NULL},
    {VOL("/var/log") "'containers':[{'name':'a'," RO "}],'ephemeralContainers':[{'name':"
                     "'e'," RW "}]",
     LOGS, 1, "/ephemeralContainers/0/volumeMounts/0/readOnly", NULL},
    /* evasion: readOnly as a string is not true */
    {VOL("/var/log") "'containers':[{'name':'a','volumeMounts':[{'name':'h','mountPath':"
                     "'/h','readOnly':'true'}]}]",
     LOGS, 1, "/containers/0/volumeMounts/0/readOnly", NULL},
    /* evasion: an emptyDir of the same name listed first hides nothing */
    {"'volumes':[{'name':'h','emptyDir':{}},{'name':'h','hostPath':{'path':'/var/log'}}],"
     "'containers':[{'name':'a'," RW "}]",
     LOGS, 1, "/containers/0/volumeMounts/0/readOnly", NULL},
    /* both: a path that is not allowed, mounted writable */
    {VOL("/etc") "'containers':[{'name':'a'," RW "}]", LOGS, 2,
     "/volumes/0/hostPath/path", NULL},
    /* requireReadOnly: false */
    {VOL("/var/log") "'containers':[{'name':'a'," RW "}]",
     "    hostPath: {action: enforce, allowedPaths: [/var/log], requireReadOnly: "
     "false}\n",
     0, NULL, NULL},
    /* off by default, and off */
    {VOL("/etc") "'containers':[{'name':'a'," RW "}]", "    probes: {action: off}\n", 0,
     NULL, NULL},
    {VOL("/etc") "'containers':[{'name':'a'," RW "}]", "    hostPath: {action: off}\n", 0,
     NULL, NULL},
};

START_TEST(judges_host_paths_in_every_kind)
{
    evalfix_check_row(RULE, &rows[(size_t)_i / EVALFIX_N_KINDS],
                      (size_t)_i % EVALFIX_N_KINDS);
}
END_TEST

/* The volume finding needs every container exempt; the mount finding is
 * the container's own. */
static const struct {
    const char *exempt;
    size_t n_volume, n_mount;
} exemptions[] = {
    {"{containers: [agent]}", 1, 0},          /* its mount is; the sidecar is not */
    {"{containers: [agent, sidecar]}", 0, 0}, /* the pod is */
    {"{containers: [sidecar]}", 1, 1},        /* agent's own mount still counts */
};

START_TEST(exemptions_for_the_volume_and_the_mounts)
{
    char rules[256];
    snprintf(rules, sizeof(rules), "    hostPath: {action: enforce, exempt: %s}\n",
             exemptions[_i].exempt);
    struct evalfix ef;
    evalfix_init(&ef);
    evalfix_rules(&ef, rules);
    ck_assert_int_eq(
        evalfix_run(
            &ef,
            evalfix_object("DaemonSet",
                           VOL("/var/run/docker.sock") "'containers':[{'name':'agent'," RW
                                                       "},{'name':'sidecar'}]")),
        TG_OK);
    size_t volume = 0, mount = 0;
    for (size_t i = 0; i < evalfix_count(&ef, RULE); i++) {
        const struct finding *f = evalfix_get(&ef, RULE, i);
        volume += f->container_kind == CONTAINER_POD;
        mount += f->container_kind != CONTAINER_POD;
    }
    ck_assert_uint_eq(volume, exemptions[_i].n_volume);
    ck_assert_uint_eq(mount, exemptions[_i].n_mount);
    evalfix_cleanup(&ef);
}
END_TEST

/* kubectl debug on old API servers: no volumes in the object, nothing to
 * resolve and nothing found. */
START_TEST(ephemeral_containers_object)
{
    struct evalfix ef;
    evalfix_init(&ef);
    evalfix_rules(&ef, LOGS);
    ck_assert_int_eq(evalfix_run(&ef,
                                 "{'kind':'EphemeralContainers','ephemeralContainers':"
                                 "[{'name':'d'," RW "}]}"),
                     TG_OK);
    ck_assert_uint_eq(evalfix_count(&ef, RULE), 0);
    evalfix_cleanup(&ef);
}
END_TEST

START_TEST(loads_normalised_paths)
{
    struct evalfix ef;
    evalfix_init(&ef);
    ck_assert(ef.policy->host_path.require_read_only); /* the default */
    evalfix_rules(&ef, "    hostPath: {allowedPaths: [/var/log/, //opt//agent/.]}\n");
    const struct strlist *l = &ef.policy->host_path.allowed_paths;
    ck_assert_uint_eq(l->n, 2);
    ck_assert_str_eq(l->items[0], "/var/log/");
    ck_assert_str_eq(l->normalised[0], "/var/log");
    ck_assert_str_eq(l->normalised[1], "/opt/agent");
    ck_assert(ef.policy->host_path.require_read_only);
    evalfix_cleanup(&ef);
}
END_TEST

static const struct evalfix_error_row errors[] = {
    {"    hostPath: {allowedPaths: [var/log]}\n", 6, 31,
     "spec.rules.hostPath.allowedPaths[0]: \"var/log\" is not an absolute path (expected "
     "an absolute path such as /var/log)"},
    {"    hostPath: {allowedPaths: [/var/log, /var/log/../etc]}\n", 6, 41,
     "spec.rules.hostPath.allowedPaths[1]: \"/var/log/../etc\" has a \"..\" element "
     "(expected an absolute path such as /var/log)"},
    {"    hostPath: {allowedPaths: /var/log}\n", 6, 30,
     "spec.rules.hostPath.allowedPaths: expected a list, got \"/var/log\""},
    {"    hostPath: {requireReadOnly: \"false\"}\n", 6, 33,
     "spec.rules.hostPath.requireReadOnly: expected true or false, got the quoted string "
     "\"false\" (remove the quotes)"},
};

START_TEST(policy_errors_say_where)
{
    evalfix_check_error_row(&errors[_i]);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rule_host_path");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, judges_host_paths_in_every_kind, 0,
                        (int)(ARRAY_LEN(rows) * EVALFIX_N_KINDS));
    tcase_add_loop_test(tc, exemptions_for_the_volume_and_the_mounts, 0,
                        ARRAY_LEN(exemptions));
    tcase_add_test(tc, ephemeral_containers_object);
    tcase_add_test(tc, loads_normalised_paths);
    tcase_add_loop_test(tc, policy_errors_say_where, 0, ARRAY_LEN(errors));
    suite_add_tcase(s, tc);
    return run_suite(s);
}
