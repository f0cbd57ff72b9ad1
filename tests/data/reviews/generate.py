#!/usr/bin/env python3
"""Regenerate the AdmissionReview fixtures in this directory.

Each file is what kube-apiserver sends a validating webhook for a Pod that a
Deployment's ReplicaSet creates: the object after defaulting and after the
built-in admission plugins ran (ServiceAccount adds the projected token
volume and its mounts, DefaultTolerationSeconds the two tolerations), with
name, uid and creationTimestamp already filled in.  The apiserver sends
compact JSON, and so do these files.

The variants come from one base so they differ exactly where they should:
  typical-allowed.json  compliant (pinned tags, runAsNonRoot, probes)
  typical-denied.json   web uses nginx:latest, git-sync lacks readinessProbe
                        and sets runAsUser 0
  typical-v1beta1.json  typical-allowed as admission.k8s.io/v1beta1
  large.json            compliant, 60 app containers, large annotations

Run: python3 tests/data/reviews/generate.py   (deterministic output)
"""
import copy
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
NS = "shop"
RS = "storefront-7d4b9c8f6"
POD = RS + "-x2k7p"
TOKEN_VOL = "kube-api-access-5wz8q"

TOKEN_MOUNT = {
    "name": TOKEN_VOL,
    "readOnly": True,
    "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
}


def probe(path, port, delay, period=10):
    return {
        "httpGet": {"path": path, "port": port, "scheme": "HTTP"},
        "initialDelaySeconds": delay,
        "timeoutSeconds": 1,
        "periodSeconds": period,
        "successThreshold": 1,
        "failureThreshold": 3,
    }


def restricted_ctx():
    return {
        "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": True,
        "allowPrivilegeEscalation": False,
    }


def container_defaults(c):
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    c.setdefault("imagePullPolicy", "IfNotPresent")
    return c


def web(name="web", image="ghcr.io/acme/storefront:2.14.1", port=8080):
    return container_defaults({
        "name": name,
        "image": image,
        "args": ["--listen=:%d" % port, "--metrics-listen=:9090",
                 "--config=/etc/storefront/config.yaml"],
        "ports": [
            {"name": "http", "containerPort": port, "protocol": "TCP"},
            {"name": "metrics", "containerPort": 9090, "protocol": "TCP"},
        ],
        "env": [
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {
                "apiVersion": "v1", "fieldPath": "metadata.name"}}},
            {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {
                "apiVersion": "v1", "fieldPath": "metadata.namespace"}}},
            {"name": "GOMEMLIMIT", "valueFrom": {"resourceFieldRef": {
                "containerName": name, "resource": "limits.memory",
                "divisor": "0"}}},
            {"name": "STOREFRONT_DB_HOST",
             "value": "storefront-db.shop.svc.cluster.local"},
            {"name": "STOREFRONT_DB_PASSWORD", "valueFrom": {"secretKeyRef": {
                "name": "storefront-db", "key": "password"}}},
            {"name": "STOREFRONT_CACHE_URL",
             "value": "redis://storefront-cache.shop.svc:6379/0"},
            {"name": "OTEL_EXPORTER_OTLP_ENDPOINT",
             "value": "http://otel-collector.observability.svc:4317"},
            {"name": "LOG_FORMAT", "value": "json"},
        ],
        "envFrom": [{"configMapRef": {"name": "storefront-env"}}],
        "resources": {
            "limits": {"cpu": "1", "memory": "512Mi"},
            "requests": {"cpu": "250m", "memory": "256Mi"},
        },
        "volumeMounts": [
            {"name": "config", "readOnly": True, "mountPath": "/etc/storefront"},
            {"name": "tmp", "mountPath": "/tmp"},
            dict(TOKEN_MOUNT),
        ],
        "livenessProbe": probe("/healthz", port, 10),
        "readinessProbe": probe("/ready", port, 5, 5),
        "securityContext": restricted_ctx(),
    })


def git_sync():
    return container_defaults({
        "name": "git-sync",
        "image": "registry.k8s.io/git-sync/git-sync:v4.1.0",
        "args": ["--repo=https://github.com/acme/storefront-content",
                 "--ref=main", "--root=/content", "--period=60s",
                 "--http-bind=:8081"],
        "ports": [{"name": "sync-http", "containerPort": 8081,
                   "protocol": "TCP"}],
        "resources": {
            "limits": {"cpu": "100m", "memory": "64Mi"},
            "requests": {"cpu": "10m", "memory": "32Mi"},
        },
        "volumeMounts": [
            {"name": "content", "mountPath": "/content"},
            dict(TOKEN_MOUNT),
        ],
        "livenessProbe": probe("/", 8081, 15, 20),
        "readinessProbe": probe("/", 8081, 5),
        "securityContext": restricted_ctx(),
    })


def migrate():
    return container_defaults({
        "name": "migrate",
        "image": "ghcr.io/acme/storefront-migrate:2.14.1",
        "command": ["/usr/local/bin/migrate"],
        "args": ["up", "--database-url=$(DATABASE_URL)", "--timeout=120s"],
        "env": [{"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {
            "name": "storefront-db", "key": "url"}}}],
        "resources": {
            "limits": {"cpu": "500m", "memory": "128Mi"},
            "requests": {"cpu": "100m", "memory": "64Mi"},
        },
        "volumeMounts": [dict(TOKEN_MOUNT)],
        "securityContext": restricted_ctx(),
    })


def pod(containers, annotations):
    return {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {
            "name": POD,
            "generateName": RS + "-",
            "namespace": NS,
            "uid": "4f3c7a52-91de-4b0e-8f5b-2a9e6d1c0b47",
            "creationTimestamp": "2024-05-14T09:21:37Z",
            "labels": {
                "app.kubernetes.io/name": "storefront",
                "app.kubernetes.io/instance": "storefront",
                "app.kubernetes.io/version": "2.14.1",
                "app.kubernetes.io/component": "web",
                "app.kubernetes.io/part-of": "shop",
                "app.kubernetes.io/managed-by": "Helm",
                "pod-template-hash": "7d4b9c8f6",
            },
            "annotations": annotations,
            "ownerReferences": [{
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "name": RS,
                "uid": "b8e1f0c4-2d7a-4e39-9c61-0f5a3b8d2e19",
                "controller": True,
                "blockOwnerDeletion": True,
            }],
            "managedFields": [{
                "manager": "kube-controller-manager",
                "operation": "Update",
                "apiVersion": "v1",
                "time": "2024-05-14T09:21:37Z",
                "fieldsType": "FieldsV1",
                "fieldsV1": {"f:metadata": {
                    "f:generateName": {}, "f:labels": {".": {}},
                    "f:ownerReferences": {".": {}}}},
            }],
        },
        "spec": {
            "volumes": [
                {"name": "config", "configMap": {
                    "name": "storefront-config", "defaultMode": 420}},
                {"name": "content", "emptyDir": {}},
                {"name": "tmp", "emptyDir": {"medium": "Memory",
                                             "sizeLimit": "64Mi"}},
                {"name": TOKEN_VOL, "projected": {"sources": [
                    {"serviceAccountToken": {"expirationSeconds": 3607,
                                             "path": "token"}},
                    {"configMap": {"name": "kube-root-ca.crt", "items": [
                        {"key": "ca.crt", "path": "ca.crt"}]}},
                    {"downwardAPI": {"items": [{"path": "namespace",
                        "fieldRef": {"apiVersion": "v1",
                                     "fieldPath": "metadata.namespace"}}]}},
                ], "defaultMode": 420}},
            ],
            "initContainers": [migrate()],
            "containers": containers,
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "serviceAccountName": "storefront",
            "serviceAccount": "storefront",
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": 10001,
                "runAsGroup": 10001,
                "fsGroup": 10001,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "imagePullSecrets": [{"name": "ghcr-pull"}],
            "affinity": {"podAntiAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [{
                    "weight": 100,
                    "podAffinityTerm": {
                        "labelSelector": {"matchLabels": {
                            "app.kubernetes.io/name": "storefront"}},
                        "topologyKey": "kubernetes.io/hostname"}}]}},
            "schedulerName": "default-scheduler",
            "tolerations": [
                {"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                 "effect": "NoExecute", "tolerationSeconds": 300},
                {"key": "node.kubernetes.io/unreachable", "operator": "Exists",
                 "effect": "NoExecute", "tolerationSeconds": 300},
            ],
            "priority": 0,
            "enableServiceLinks": True,
            "preemptionPolicy": "PreemptLowerPriority",
        },
        "status": {"phase": "Pending", "qosClass": "Burstable"},
    }


ANNOTATIONS = {
    "checksum/config":
        "9f2c1e7b4a6d8e0f3b5c7a9d1e2f4a6b8c0d2e4f6a8b0c2d4e6f8a0b2c4d6e8f",
    "kubectl.kubernetes.io/default-container": "web",
    "kubectl.kubernetes.io/restartedAt": "2024-05-14T09:21:30Z",
    "prometheus.io/scrape": "true",
    "prometheus.io/port": "9090",
    "prometheus.io/path": "/metrics",
}


def review(api_version, uid, obj):
    return {
        "kind": "AdmissionReview",
        "apiVersion": api_version,
        "request": {
            "uid": uid,
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "requestKind": {"group": "", "version": "v1", "kind": "Pod"},
            "requestResource": {"group": "", "version": "v1",
                                "resource": "pods"},
            "name": obj["metadata"]["name"],
            "namespace": NS,
            "operation": "CREATE",
            "userInfo": {
                "username":
                    "system:serviceaccount:kube-system:replicaset-controller",
                "uid": "6a0e2f1d-8c3b-4d57-a9e4-1b7c5f2d0e83",
                "groups": ["system:serviceaccounts",
                           "system:serviceaccounts:kube-system",
                           "system:authenticated"],
            },
            "object": obj,
            "oldObject": None,
            "dryRun": False,
            "options": {"kind": "CreateOptions",
                        "apiVersion": "meta.k8s.io/v1"},
        },
    }


def allowed_pod():
    return pod([web(), git_sync()], dict(ANNOTATIONS))


def denied_pod():
    p = allowed_pod()
    web_c, sync = p["spec"]["containers"]
    web_c["image"] = "nginx:latest"
    web_c["imagePullPolicy"] = "Always"  # the apiserver default for :latest
    del sync["readinessProbe"]
    sync["securityContext"]["runAsUser"] = 0
    return p


def large_pod():
    """60 app containers (a fan-out of workers, as batch and mesh-heavy pods
    have) and the large annotations injectors leave behind."""
    containers = [web()]
    for i in range(1, 60):
        c = web(name="worker-%02d" % i,
                image="ghcr.io/acme/storefront-worker:2.14.%d" % (i % 7),
                port=8080 + i)
        c["ports"][1]["containerPort"] = 9100 + i
        c["ports"][1]["name"] = "metrics-%02d" % i
        c["args"][1] = "--metrics-listen=:%d" % (9100 + i)
        c["env"].append({"name": "WORKER_SHARD", "value": str(i)})
        containers.append(c)
    annotations = dict(ANNOTATIONS)
    for i in range(16):
        key = "vault.hashicorp.com/agent-inject-template-shard-%d" % i
        annotations[key] = "\n".join(
            '{{- with secret "database/creds/storefront-shard-%d-%d" -}}'
            "\npostgres://{{ .Data.username }}:{{ .Data.password }}"
            "@db-%d-%d.shop.svc:5432/storefront?sslmode=verify-full"
            "\n{{- end }}" % (i, j, i, j)
            for j in range(24))
    return pod(containers, annotations)


def write(name, doc):
    path = os.path.join(HERE, name)
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print("%-22s %7d bytes" % (name, os.path.getsize(path)))


def main():
    write("typical-allowed.json", review(
        "admission.k8s.io/v1", "705ab4f5-6393-11e8-b7cc-42010a800002",
        allowed_pod()))
    write("typical-denied.json", review(
        "admission.k8s.io/v1", "c1d7a3e2-5f04-4b8a-9e6c-3a2b1f0d9e57",
        denied_pod()))
    write("typical-v1beta1.json", review(
        "admission.k8s.io/v1beta1", "0e9d4c6b-7a31-4f28-b5e0-8c2d1a9f3b64",
        allowed_pod()))
    write("large.json", review(
        "admission.k8s.io/v1", "3b8f2e91-4c7d-4a06-a1e5-9d0c6b2f7e38",
        large_pod()))


if __name__ == "__main__":
    main()
