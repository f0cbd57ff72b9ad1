"""Write the list pages of the audit fixtures into this directory.

    python3 generate.py

A small cluster as the API server lists it (items without kind or
apiVersion), with the controllers' ownerReferences a controller manager
would set:
  shop/web              Deployment, compliant; its ReplicaSet and two Pods
  shop/api              Deployment without runAsNonRoot (a mutate rule fixes it)
  shop/debug-root       bare Pod running as root (runAsUser 0)
  shop/nightly-report   CronJob with a :latest image; its Job and the Job's Pod
  shop/canary           ReplicaSet and Pod owned by an Argo Rollout (a kind
                        tollgate does not judge): both reported as themselves
  legacy-app/old-web    Deployment breaking three rules, audit-override namespace
  kube-system/coredns   Deployment with :latest in an excluded namespace, a bare Pod
The committed JSON is the output; rerun after changing this file.
"""
import copy
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
PROBES = {
    "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
    "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}},
}
NONROOT = {"runAsNonRoot": True, "runAsUser": 10001}


def meta(ns, name, uid, owner=None, labels=None):
    m = {"name": name, "namespace": ns, "uid": uid, "resourceVersion": "1"}
    if labels:
        m["labels"] = labels
    if owner:
        api, kind, oname, ouid = owner
        m["ownerReferences"] = [{"apiVersion": api, "kind": kind, "name": oname,
                                 "uid": ouid, "controller": True,
                                 "blockOwnerDeletion": True}]
    return m


def container(name, image, probes=True, sc=None):
    c = {"name": name, "image": image}
    if probes:
        c.update(copy.deepcopy(PROBES))
    if sc is not None:
        c["securityContext"] = sc
    return c


def podspec(containers, sc=None, restart=None):
    s = {"containers": containers}
    if sc is not None:
        s["securityContext"] = sc
    if restart:
        s["restartPolicy"] = restart
    return s


def template(spec, labels):
    return {"metadata": {"labels": labels}, "spec": spec}


def page(kind, items):
    return {"kind": kind + "List", "apiVersion": "apps/v1" if kind in (
        "Deployment", "ReplicaSet") else "batch/v1" if kind in ("Job", "CronJob") else "v1",
        "metadata": {"resourceVersion": "100"}, "items": items}


def main():
    web_spec = podspec([container("web", "ghcr.io/acme/web:1.4.2")], sc=NONROOT)
    web_labels = {"app": "web"}
    canary_spec = podspec([container("canary", "ghcr.io/acme/web:1.5.0-rc1",
                                     probes=False)], sc=NONROOT)
    report_spec = podspec([container("report", "ghcr.io/acme/report:latest",
                                     probes=False)], sc=NONROOT, restart="OnFailure")
    legacy_spec = podspec([container("nginx", "nginx:latest", probes=False)])
    dns_spec = podspec([container("coredns", "registry.k8s.io/coredns:latest")])

    deployments = [
        {"metadata": meta("shop", "web", "d-web"),
         "spec": {"replicas": 2, "selector": {"matchLabels": web_labels},
                  "template": template(web_spec, web_labels)}},
        {"metadata": meta("shop", "api", "d-api"),
         "spec": {"selector": {"matchLabels": {"app": "api"}},
                  "template": template(podspec([container("api", "ghcr.io/acme/api:2.0")]),
                                       {"app": "api"})}},
        {"metadata": meta("legacy-app", "old-web", "d-old"),
         "spec": {"selector": {"matchLabels": {"app": "old"}},
                  "template": template(legacy_spec, {"app": "old"})}},
        {"metadata": meta("kube-system", "coredns", "d-dns"),
         "spec": {"selector": {"matchLabels": {"k8s-app": "dns"}},
                  "template": template(dns_spec, {"k8s-app": "dns"})}},
    ]
    replicasets = [
        {"metadata": meta("shop", "web-5d8f", "rs-web",
                          ("apps/v1", "Deployment", "web", "d-web")),
         "spec": {"replicas": 2, "selector": {"matchLabels": web_labels},
                  "template": template(web_spec, web_labels)}},
        {"metadata": meta("shop", "canary-7c4", "rs-canary",
                          ("argoproj.io/v1alpha1", "Rollout", "canary", "ro-1")),
         "spec": {"selector": {"matchLabels": {"app": "canary"}},
                  "template": template(canary_spec, {"app": "canary"})}},
    ]
    pods = [
        {"metadata": meta("shop", "web-5d8f-a1", "p-web-1",
                          ("apps/v1", "ReplicaSet", "web-5d8f", "rs-web")), "spec": web_spec},
        {"metadata": meta("shop", "web-5d8f-b2", "p-web-2",
                          ("apps/v1", "ReplicaSet", "web-5d8f", "rs-web")), "spec": web_spec},
        {"metadata": meta("shop", "debug-root", "p-root"),
         "spec": podspec([container("shell", "docker.io/library/busybox:1.36",
                                    sc={"runAsUser": 0})], sc={"runAsNonRoot": True})},
        {"metadata": meta("shop", "nightly-report-28000-x", "p-job",
                          ("batch/v1", "Job", "nightly-report-28000", "j-1")),
         "spec": report_spec},
        {"metadata": meta("shop", "canary-7c4-z9", "p-canary",
                          ("apps/v1", "ReplicaSet", "canary-7c4", "rs-canary")),
         "spec": canary_spec},
        {"metadata": meta("shop", "canary-direct", "p-canary-direct",
                          ("argoproj.io/v1alpha1", "Rollout", "canary", "ro-1")),
         "spec": canary_spec},
        {"metadata": meta("kube-system", "etcd-node1", "p-etcd"),
         "spec": podspec([container("etcd", "registry.k8s.io/etcd:latest")])},
    ]
    cronjobs = [
        {"metadata": meta("shop", "nightly-report", "cj-1"),
         "spec": {"schedule": "0 3 * * *",
                  "jobTemplate": {"spec": {"template": {"spec": report_spec}}}}},
    ]
    jobs = [
        {"metadata": meta("shop", "nightly-report-28000", "j-1",
                          ("batch/v1beta1", "CronJob", "nightly-report", "cj-1")),
         "spec": {"template": {"spec": report_spec}}},
    ]
    for name, kind, items in [("deployments", "Deployment", deployments),
                              ("replicasets", "ReplicaSet", replicasets),
                              ("pods", "Pod", pods), ("cronjobs", "CronJob", cronjobs),
                              ("jobs", "Job", jobs)]:
        with open(os.path.join(HERE, name + ".json"), "w") as f:
            json.dump(page(kind, items), f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
