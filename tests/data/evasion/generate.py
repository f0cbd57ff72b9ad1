"""Write the AdmissionReviews of test_evasion.sh into OUTDIR.

    python3 generate.py OUTDIR

Each case is one object a rule must still catch however it is dressed up
(or, for the controls, must still let through).  Small, but generated from
one table so the cases read side by side.
"""
import json
import os
import sys

DIGEST = "sha256:" + "0123456789abcdef" * 4
SAFE = {"runAsNonRoot": True}


def container(image, name="app", sc=SAFE):
    c = {"name": name, "image": image}
    if sc is not None:
        c["securityContext"] = sc
    return c


def pod(containers, init=None, sc=None, ephemeral=None):
    spec = {"containers": containers}
    if init:
        spec["initContainers"] = init
    if sc is not None:
        spec["securityContext"] = sc
    if ephemeral:
        spec["ephemeralContainers"] = ephemeral
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "web", "namespace": "team"}, "spec": spec}


def review(uid, obj, kind="Pod", operation="CREATE", old=None, sub=None):
    req = {"uid": uid, "kind": {"group": "", "version": "v1", "kind": kind},
           "namespace": "team", "name": obj["metadata"]["name"], "operation": operation,
           "userInfo": {"username": "mallory"}, "object": obj, "dryRun": False}
    if old is not None:
        req["oldObject"] = old
    if sub:
        req["subResource"] = sub
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": req}


def cronjob(containers):
    tmpl = {"spec": {"containers": containers, "restartPolicy": "OnFailure"}}
    return {"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": "nightly", "namespace": "team"},
            "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": tmpl}}}}


def cases():
    ok = container("ghcr.io/acme/app:1.0")
    images = {
        "host-uppercase-allowed": "GHCR.IO/acme/app:1.0",
        "host-uppercase-other-org": "GHCR.IO/evil/app:1.0",
        "org-prefix-not-boundary": "ghcr.io/acmecorp/app:1.0",
        "host-suffix": "ghcr.io.evil.example/acme/app:1.0",
        "host-port": "ghcr.io:443/acme/app:1.0",
        "hub-short": "nginx:1.25",
        "hub-library": "docker.io/library/nginx:1.25",
        "hub-index": "index.docker.io/nginx:1.25",
        "hub-registry-1": "registry-1.docker.io/library/nginx:1.25",
        "hub-uppercase": "DOCKER.IO/nginx:1.25",
        "hub-other-org": "docker.io/evil/nginx:1.25",
        "hub-longer-name": "nginxx:1.25",
        "latest-with-digest": "ghcr.io/acme/app:latest@" + DIGEST,
        "latest": "ghcr.io/acme/app:latest",
        "no-tag": "ghcr.io/acme/app",
        "port-not-tag": "localhost:5000/app",
        "port-and-tag": "localhost:5000/app:1.0",
    }
    for name, image in images.items():
        yield name, review(name, pod([container(image)]))
    yield "init-container", review("init", pod([ok], init=[container("ghcr.io/acme/setup:latest", "setup")]))
    eph_old = pod([ok])
    eph_new = pod([ok], ephemeral=[container("busybox", "debugger", sc=None)])
    yield "ephemeral-container", review("eph", eph_new, operation="UPDATE", old=eph_old,
                                        sub="ephemeralcontainers")
    yield "cronjob-template", review("cron", cronjob([container("ghcr.io/acme/job:latest", "job")]),
                                     kind="CronJob")
    yield "nonroot-but-uid-0", review("uid0", pod([container("ghcr.io/acme/app:1.0",
                                                             sc={"runAsNonRoot": True, "runAsUser": 0})]))
    yield "pod-nonroot-container-root", review("override", pod(
        [container("ghcr.io/acme/app:1.0", sc={"runAsNonRoot": False})], sc={"runAsNonRoot": True}))
    yield "pod-user-container-uid-0", review("override-uid", pod(
        [container("ghcr.io/acme/app:1.0", sc={"runAsUser": 0})],
        sc={"runAsNonRoot": True, "runAsUser": 1000}))
    yield "pod-level-uid-0", review("pod-uid0", pod(
        [container("ghcr.io/acme/app:1.0", sc=None)], sc={"runAsNonRoot": True, "runAsUser": 0}))
    yield "compliant", review("ok", pod([ok]))
    yield from hardening_cases()


# The container-hardening rules (policy_hardening.yaml): what they judge,
# wherever it is set and however it is spelled.
HARD = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
RUNTIME_DEFAULT = {"seccompProfile": {"type": "RuntimeDefault"}}


def hardened(name="app", **extra):
    return container("ghcr.io/acme/app:1.0", name, dict(HARD, **extra))


def hardening_cases():
    yield "sc-compliant", review("sc-ok", pod([hardened()], sc=RUNTIME_DEFAULT))
    # kubectl debug --profile=sysadmin: a privileged debug container, added
    # to the running pod as an UPDATE of pods/ephemeralcontainers
    old = pod([hardened()], sc=RUNTIME_DEFAULT)
    new = pod([hardened()], sc=RUNTIME_DEFAULT,
              ephemeral=[container("ghcr.io/acme/debug:1.0", "debugger", {"privileged": True})])
    yield "sc-debug-sysadmin", review("sc-dbg", new, operation="UPDATE", old=old,
                                      sub="ephemeralcontainers")
    # SYS_ADMIN spelled the ways a container runtime still grants it
    for name, cap in (("sc-caps-lowercase", "sys_admin"), ("sc-caps-prefixed", "CAP_SYS_ADMIN")):
        c = hardened(capabilities={"drop": ["ALL"], "add": [cap]})
        yield name, review(name, pod([c], sc=RUNTIME_DEFAULT))
    yield "sc-drop-all-lowercase", review("sc-all", pod(
        [hardened(capabilities={"drop": ["all"]})], sc=RUNTIME_DEFAULT))
    # the container's profile overrides the pod's
    yield "sc-unconfined-override", review("sc-unconfined", pod(
        [hardened(seccompProfile={"type": "Unconfined"})], sc=RUNTIME_DEFAULT))
    # container-only fields set on the pod count for nothing
    pod_sc = dict(RUNTIME_DEFAULT, allowPrivilegeEscalation=False, capabilities={"drop": ["ALL"]})
    yield "sc-pod-level-container-fields", review("sc-podlevel", pod(
        [container("ghcr.io/acme/app:1.0", sc=None)], sc=pod_sc))


def main(out):
    for name, obj in cases():
        with open(os.path.join(out, name + ".json"), "w") as f:
            json.dump(obj, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
