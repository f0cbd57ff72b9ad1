/* cluster_fixture.h -- tests/support/fake_cluster.py for the audit suites.
 *
 * Starts the fake API server (plain HTTP on 127.0.0.1, no credentials) in a
 * temporary directory, writes a kubeconfig for it and loads it; `control`
 * drives the fake's /_control endpoints.  Every helper fails the running
 * test (ck_assert) instead of returning an error.  One fixture per test
 * (the fake keeps state): start it in the test, stop it at the end.
 */
#ifndef TOLLGATE_CLUSTER_FIXTURE_H
#define TOLLGATE_CLUSTER_FIXTURE_H

#include <jansson.h>
#include <sys/types.h>

#include "kube_client.h"
#include "kube_config.h"

struct cluster_fixture {
    char dir[64];             /* /tmp/tollgate-cluster-XXXXXX */
    char server[64];          /* "http://127.0.0.1:PORT" */
    pid_t pid;                /* the fake, 0 when stopped */
    struct kube_config *kube; /* for it */
    struct kube_client *ctl;  /* the test's own client (control calls) */
};

void cluster_fixture_start(struct cluster_fixture *f);
void cluster_fixture_stop(struct cluster_fixture *f);

/* POST `json` to /_control/`what` (objects, faults, crds); DELETE when
 * `json` is NULL. */
void cluster_fixture_control(struct cluster_fixture *f, const char *what,
                             const char *json);

/* GET an API path from the fake: a new reference, or NULL on 404 (other
 * errors fail the test). */
json_t *cluster_fixture_get(struct cluster_fixture *f, const char *path);

/* How many requests the fake saw whose "METHOD /path" starts with `prefix`. */
size_t cluster_fixture_count(struct cluster_fixture *f, const char *prefix);

#endif
