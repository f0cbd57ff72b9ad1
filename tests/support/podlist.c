/* podlist.c -- made-up PodList pages, item by item (podlist.h). */
#include "podlist.h"

int podlist_n_pages(const struct podlist_opts *o)
{
    return (o->pods + o->page - 1) / o->page;
}

/* One pod as a PodList item (1.5-1.6 kB). */
static enum tg_rc pod_item(struct buf *b, int i, bool first, bool owned)
{
    int ns = i % PODLIST_NAMESPACES;
    bool bad = i % 3 == 0;
    enum tg_rc rc = buf_appendf(
        b,
        "%s{\"metadata\":{\"name\":\"web-%d\",\"namespace\":\"team-%02d\","
        "\"uid\":\"00000000-0000-4000-8000-%012d\",\"resourceVersion\":\"%d\","
        "\"creationTimestamp\":\"2026-11-20T08:14:03Z\",\"generateName\":\"web-\","
        "\"labels\":{\"app.kubernetes.io/"
        "name\":\"web\",\"pod-template-hash\":\"7d9f8c6b5\","
        "\"team\":\"t%02d\"},\"annotations\":{\"kubectl.kubernetes.io/restartedAt\":"
        "\"2026-11-20T08:00:00Z\",\"prometheus.io/scrape\":\"true\"}",
        first ? "" : ",", i, ns, i, 100000 + i, ns);
    if (rc == TG_OK && owned)
        rc = buf_appendf(b,
                         ",\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":"
                         "\"ReplicaSet\",\"name\":\"web-7d9f8c6b5\",\"uid\":\"rs-%d\","
                         "\"controller\":true,\"blockOwnerDeletion\":true}]",
                         ns);
    if (rc == TG_OK)
        rc = buf_appendf(
            b,
            ",\"managedFields\":[{\"manager\":\"kube-controller-manager\",\"operation\":"
            "\"Update\",\"apiVersion\":\"v1\",\"time\":\"2026-11-20T08:14:03Z\","
            "\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:metadata\":{\"f:labels\":{}}}}"
            "]},"
            "\"spec\":{\"securityContext\":{\"runAsNonRoot\":true,\"runAsUser\":10001},"
            "\"containers\":[{\"name\":\"web\",\"image\":\"%s\",\"ports\":[{"
            "\"containerPort\":8080,\"protocol\":\"TCP\"}],\"env\":[{\"name\":\"MODE\","
            "\"value\":\"prod\"}],\"resources\":{\"requests\":{\"cpu\":\"100m\","
            "\"memory\":"
            "\"128Mi\"}},\"livenessProbe\":{\"httpGet\":{\"path\":\"/healthz\",\"port\":"
            "8080}},\"readinessProbe\":{\"httpGet\":{\"path\":\"/ready\",\"port\":8080}},"
            "\"imagePullPolicy\":\"IfNotPresent\",\"terminationMessagePath\":"
            "\"/dev/termination-log\"},{\"name\":\"sidecar\",\"image\":"
            "\"ghcr.io/acme/proxy:2.1\",%s\"livenessProbe\":{\"tcpSocket\":{\"port\":"
            "15000}},\"readinessProbe\":{\"tcpSocket\":{\"port\":15000}}}],"
            "\"restartPolicy\":\"Always\",\"dnsPolicy\":\"ClusterFirst\","
            "\"serviceAccountName\":\"default\",\"nodeName\":\"node-%d\"},"
            "\"status\":{\"phase\":\"Running\",\"podIP\":\"10.1.%d.%d\",\"conditions\":[{"
            "\"type\":\"Ready\",\"status\":\"True\"}],\"containerStatuses\":[{\"name\":"
            "\"web\",\"ready\":true,\"restartCount\":0}]}}",
            bad ? "nginx:latest" : "ghcr.io/acme/web:1.14.2",
            bad ? "\"securityContext\":{\"runAsUser\":0}," : "", i % 7, i / 250 % 250,
            i % 250);
    return rc;
}

enum tg_rc podlist_page(struct buf *b, int p, const struct podlist_opts *o)
{
    buf_reset(b);
    enum tg_rc rc = buf_appends(b, "{\"kind\":\"PodList\",\"apiVersion\":\"v1\","
                                   "\"metadata\":{\"resourceVersion\":\"900000\"},"
                                   "\"items\":[");
    for (int i = p * o->page; rc == TG_OK && i < (p + 1) * o->page && i < o->pods; i++)
        rc = pod_item(b, i, i == p * o->page, o->owned && i % 10 != 0);
    return rc == TG_OK ? buf_appends(b, "]}") : rc;
}
