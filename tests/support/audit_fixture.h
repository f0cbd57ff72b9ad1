/* audit_fixture.h -- the small cluster of tests/data/audit, as kube_list
 * delivers it: each page's items with the list's kind and apiVersion set
 * (tests/data/audit/generate.py says what is in it). */
#ifndef TOLLGATE_AUDIT_FIXTURE_H
#define TOLLGATE_AUDIT_FIXTURE_H

#include <jansson.h>

#include "audit_scan.h"
#include "kube_resource.h"
#include "policy.h"

#define AUDIT_FIXTURE_PAGES 5

struct audit_fixture {
    const struct kube_resource *res[AUDIT_FIXTURE_PAGES];
    json_t *list[AUDIT_FIXTURE_PAGES]; /* owned */
};

/* Read every page (the test fails if one is missing or malformed). */
void audit_fixture_load(struct audit_fixture *f);
void audit_fixture_cleanup(struct audit_fixture *f);

/* Every item of every page through audit_scan_item; the first error. */
enum tg_rc audit_fixture_scan(const struct audit_fixture *f, struct audit_scan *s);

/* tests/data/<rel> loaded as a policy (the test fails otherwise). */
struct policy *audit_fixture_policy(const char *rel);

#endif
