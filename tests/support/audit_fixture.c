/* audit_fixture.c -- the fixture cluster's pages, ready to scan. */
#include "audit_fixture.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_load.h"
#include "testutil.h"

static const char *const names[AUDIT_FIXTURE_PAGES] = {"cronjobs", "deployments", "jobs",
                                                       "replicasets", "pods"};

void audit_fixture_load(struct audit_fixture *f)
{
    for (size_t i = 0; i < AUDIT_FIXTURE_PAGES; i++) {
        char rel[64];
        snprintf(rel, sizeof(rel), "audit/%s.json", names[i]);
        char *text = fixture_read(rel, NULL);
        json_t *list = json_loads(text, 0, NULL);
        free(text);
        ck_assert_ptr_nonnull(list);
        const char *list_kind = json_string_value(json_object_get(list, "kind"));
        const char *api_version = json_string_value(json_object_get(list, "apiVersion"));
        char kind[64];
        snprintf(kind, sizeof(kind), "%.*s", (int)strlen(list_kind) - 4, list_kind);
        f->res[i] = kube_resource_find(kind, api_version);
        ck_assert_ptr_nonnull(f->res[i]);
        size_t k;
        json_t *item;
        json_array_foreach(json_object_get(list, "items"), k, item)
        {
            json_object_set_new(item, "kind", json_string(kind));
            json_object_set_new(item, "apiVersion", json_string(api_version));
        }
        f->list[i] = list;
    }
}

void audit_fixture_cleanup(struct audit_fixture *f)
{
    for (size_t i = 0; i < AUDIT_FIXTURE_PAGES; i++)
        json_decref(f->list[i]);
}

enum tg_rc audit_fixture_scan(const struct audit_fixture *f, struct audit_scan *s)
{
    for (size_t i = 0; i < AUDIT_FIXTURE_PAGES; i++) {
        size_t k;
        const json_t *item;
        json_array_foreach(json_object_get(f->list[i], "items"), k, item)
        {
            enum tg_rc rc = audit_scan_item(s, f->res[i], item);
            if (rc != TG_OK)
                return rc;
        }
    }
    return TG_OK;
}

struct policy *audit_fixture_policy(const char *rel)
{
    struct policy *p = NULL;
    struct tg_error err = {0};
    ck_assert_msg(policy_load_path(fixture_path(rel), &p, &err) == TG_OK, "%s", err.text);
    return p;
}
