#!/usr/bin/env bash
# test_chart.sh -- the Helm chart lints clean and renders what the issue asks for, in every
# certificate mode and in URL mode; bad values fail with a clear message.
#
# Needs Helm (cached by tests/e2e/kube-tools.sh, which this runs to install it when
# missing: never skipped), /usr/bin/python3 with yaml, and openssl. $TOLLGATE (set by
# ctest) is the built binary: the rendered policies must load in `tollgate check` and the
# chart's own Deployment must pass the default one; the Dockerfile is checked against the
# libraries it links.
set -euo pipefail

SRC=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
export SRC
CHART=$SRC/charts/tollgate
PY=/usr/bin/python3
NS=tollgate-system

tools=$("$SRC/tests/e2e/kube-tools.sh" --helm-only) || {
    echo "FAIL: tests/e2e/kube-tools.sh --helm-only could not provide Helm" >&2
    exit 1
}
eval "$tools"
[ -x "$HELM" ] || {
    echo "FAIL: no Helm at '$HELM'" >&2
    exit 1
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
n=0

ok() {
    n=$((n + 1))
    echo "ok $n - $*"
}
not_ok() {
    n=$((n + 1))
    failures=$((failures + 1))
    echo "not ok $n - $*"
}

# render NAME HELM-ARGS...: `helm lint --strict` must pass without warnings and
# `helm template` must succeed; the manifests go to $tmp/NAME.yaml.
render() {
    local name=$1
    shift
    local lint
    if ! lint=$("$HELM" lint --strict "$CHART" --namespace $NS "$@" 2>&1); then
        not_ok "$name: helm lint --strict"
        printf '%s\n' "$lint" | sed 's/^/#   /'
        return 1
    fi
    if printf '%s\n' "$lint" | grep -q -E '^\[(WARNING|ERROR)\]'; then
        not_ok "$name: helm lint --strict reports warnings"
        printf '%s\n' "$lint" | sed 's/^/#   /'
        return 1
    fi
    ok "$name: helm lint --strict"
    if ! "$HELM" template tg "$CHART" --namespace $NS "$@" >"$tmp/$name.yaml" 2>"$tmp/$name.err"; then
        not_ok "$name: helm template"
        sed 's/^/#   /' "$tmp/$name.err"
        return 1
    fi
    ok "$name: helm template"
}

# assert NAME CHECK: run the python check CHECK on $tmp/NAME.yaml.
assert() {
    local out
    if out=$(cd "$tmp" && $PY "$tmp/checks.py" "$2" "$tmp/$1.yaml" 2>&1); then
        ok "$1: $2"
    else
        not_ok "$1: $2"
        printf '%s\n' "$out" | tail -n 4 | sed 's/^/#   /'
    fi
}

# refuse NAME REGEX HELM-ARGS...: `helm template` must fail and say REGEX.
refuse() {
    local name=$1 want=$2 out
    shift 2
    if out=$("$HELM" template tg "$CHART" --namespace $NS "$@" 2>&1); then
        not_ok "$name: rendered, but must be refused"
    elif printf '%s\n' "$out" | grep -q -E "$want"; then
        ok "$name: refused ($want)"
    else
        not_ok "$name: refused, but without /$want/"
        printf '%s\n' "$out" | sed 's/^/#   /'
    fi
}

cat >"$tmp/checks.py" <<'PYEOF'
"""Assertions on rendered manifests: python3 checks.py CHECK FILE."""
import base64
import os
import subprocess
import sys

import yaml

NS = "tollgate-system"
FULL = "tg-tollgate"


def load(path):
    objs = [o for o in yaml.safe_load_all(open(path)) if o]
    by = {}
    for o in objs:
        by.setdefault(o["kind"], []).append(o)
    return objs, by


def one(by, kind):
    got = by.get(kind, [])
    assert len(got) == 1, "expected one %s, got %d" % (kind, len(got))
    return got[0]


def webhooks(by):
    return [one(by, "ValidatingWebhookConfiguration")["webhooks"][0],
            one(by, "MutatingWebhookConfiguration")["webhooks"][0]]


def openssl(*args, stdin=None):
    r = subprocess.run(("openssl",) + args, input=stdin, capture_output=True)
    assert r.returncode == 0, "openssl %s: %s" % (" ".join(args), r.stderr.decode())
    return r.stdout.decode()


def write(name, data):
    with open(name, "wb") as f:
        f.write(data)
    return name


CLUSTER_SCOPED = ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
                  "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition")
AUDIT_KINDS = ["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"]


def check_kinds_default(objs, by):
    kinds = sorted(o["kind"] for o in objs)
    want = sorted(["ConfigMap", "Deployment", "MutatingWebhookConfiguration",
                   "PodDisruptionBudget", "Secret", "Service", "ServiceAccount",
                   "ValidatingWebhookConfiguration"] + AUDIT_KINDS +
                  ["CustomResourceDefinition"] * 2)
    assert kinds == want, "kinds %s, want %s" % (kinds, want)
    for o in objs:
        if o["kind"] not in CLUSTER_SCOPED:
            assert o["metadata"]["namespace"] == NS, o["metadata"]


def check_deployment(objs, by):
    d = one(by, "Deployment")
    spec = d["spec"]
    assert spec["replicas"] == 2, spec["replicas"]
    pod = spec["template"]["spec"]
    assert pod["priorityClassName"] == "system-cluster-critical"
    # The background audit (on by default) is the only caller of the API.
    assert pod["automountServiceAccountToken"] is True
    assert one(by, "ServiceAccount")["automountServiceAccountToken"] is True
    aa = pod["affinity"]["podAntiAffinity"]
    term = aa["preferredDuringSchedulingIgnoredDuringExecution"][0]["podAffinityTerm"]
    assert term["topologyKey"] == "kubernetes.io/hostname"
    assert term["labelSelector"]["matchLabels"] == spec["selector"]["matchLabels"]
    psc = pod["securityContext"]
    assert psc["runAsNonRoot"] is True and psc["seccompProfile"]["type"] == "RuntimeDefault"
    (c,) = pod["containers"]
    sc = c["securityContext"]
    assert sc["runAsNonRoot"] is True, sc
    assert sc["runAsUser"] != 0, sc
    assert sc["readOnlyRootFilesystem"] is True, sc
    assert sc["allowPrivilegeEscalation"] is False, sc
    assert sc["capabilities"]["drop"] == ["ALL"], sc
    assert "add" not in sc["capabilities"], sc
    assert sc["seccompProfile"]["type"] == "RuntimeDefault", sc
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    # tollgate serves the health endpoints on the metrics port when it has one.
    for p in ("livenessProbe", "readinessProbe"):
        assert c[p]["httpGet"]["scheme"] == "HTTP", c[p]
        assert c[p]["httpGet"]["port"] == "metrics", c[p]
    image = c["image"]
    name, _, tag = image.rpartition(":")
    assert "/" in name and tag and tag != "latest", image
    for kind in ("requests", "limits"):
        assert set(c["resources"][kind]) == {"cpu", "memory"}, c["resources"]
    args = c["args"]
    assert args[0] == "serve", args
    for a in ("--listen=0.0.0.0:8443", "--tls-cert=/certs/tls.crt",
              "--tls-key=/certs/tls.key", "--policy=/etc/tollgate/policy",
              "--metrics-listen=0.0.0.0:9090", "--log-level=info",
              "--request-deadline=2000", "--on-internal-error=allow",
              "--max-body-bytes=8388608"):
        assert a in args, "missing %s in %s" % (a, args)
    for a in ("--audit-interval=3600", "--audit-lease-namespace=" + NS,
              "--audit-lease-name=" + FULL + "-audit", "--audit-lease-duration=15",
              "--audit-page-size=250", "--audit-cpu-percent=20",
              "--audit-request-timeout=30"):
        assert a in args, "missing %s in %s" % (a, args)
    env = {e["name"]: e for e in c["env"]}
    assert env["TOLLGATE_AUDIT_IDENTITY"]["valueFrom"]["fieldRef"]["fieldPath"] == \
        "metadata.name", env
    vols = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
    assert mounts == {"certs": "/certs", "policy": "/etc/tollgate/policy"}, mounts
    assert vols["certs"]["secret"]["secretName"] == FULL + "-tls"
    assert vols["policy"]["configMap"]["name"] == one(by, "ConfigMap")["metadata"]["name"]
    assert pod["serviceAccountName"] == one(by, "ServiceAccount")["metadata"]["name"]
    assert "checksum/policy" in spec["template"]["metadata"]["annotations"]
    assert c["lifecycle"]["preStop"]["exec"]["command"] == ["sleep", "5"], c.get("lifecycle")
    assert pod["terminationGracePeriodSeconds"] == 30
    pdb = one(by, "PodDisruptionBudget")
    assert pdb["spec"]["minAvailable"] == 1
    assert pdb["spec"]["selector"]["matchLabels"] == spec["selector"]["matchLabels"]
    svc = one(by, "Service")
    assert svc["spec"]["selector"] == spec["selector"]["matchLabels"]
    assert {p["name"]: p["port"] for p in svc["spec"]["ports"]} == {"https": 443,
                                                                    "metrics": 9090}


def check_webhooks(objs, by):
    v, m = webhooks(by)
    assert v["name"] == "validate.tollgate.dev" and m["name"] == "mutate.tollgate.dev"
    for w, path in ((v, "/validate"), (m, "/mutate")):
        assert w["admissionReviewVersions"] == ["v1", "v1beta1"], w
        assert w["sideEffects"] == "None"
        assert w["failurePolicy"] == "Fail"
        assert w["timeoutSeconds"] == 5
        ops = {}
        for rule in w["rules"]:
            for r in rule["resources"]:
                assert r not in ops, "%s in two rules" % r
                ops[r] = rule["operations"]
        workloads = ("deployments", "replicasets", "statefulsets", "daemonsets", "jobs",
                     "cronjobs", "replicationcontrollers", "podtemplates")
        for r in workloads:
            assert ops.get(r) == ["CREATE", "UPDATE"], "%s: %s" % (r, ops.get(r))
        if w is v:
            assert ops.get("pods") == ["CREATE", "UPDATE"], ops
            assert ops.get("pods/ephemeralcontainers") == ["CREATE", "UPDATE"], ops
        else:
            # A patch to a Pod's spec on UPDATE is always refused by the API server.
            assert ops.get("pods") == ["CREATE"], ops
            assert "pods/ephemeralcontainers" not in ops, ops
        assert set(ops) <= set(workloads) | {"pods", "pods/ephemeralcontainers"}, ops
        exprs = w["namespaceSelector"]["matchExpressions"]
        assert {"key": "tollgate.dev/ignore", "operator": "NotIn",
                "values": ["true"]} in exprs, exprs
        assert {"key": "kubernetes.io/metadata.name", "operator": "NotIn",
                "values": [NS, "kube-system"]} in exprs, exprs
        svc = w["clientConfig"]["service"]
        assert svc == {"name": FULL, "namespace": NS, "path": path, "port": 443}, svc
    assert m["reinvocationPolicy"] == "IfNeeded"
    assert "reinvocationPolicy" not in v


def check_audit_rbac(objs, by):
    """list on the judged kinds, its reports, its own Lease: nothing more."""
    sa = one(by, "ServiceAccount")["metadata"]["name"]
    cr = one(by, "ClusterRole")
    rules = {(g, r): sorted(rule["verbs"]) for rule in cr["rules"]
             for g in rule["apiGroups"] for r in rule["resources"]}
    judged = {("", "pods"), ("", "replicationcontrollers"), ("", "podtemplates"),
              ("apps", "deployments"), ("apps", "replicasets"), ("apps", "statefulsets"),
              ("apps", "daemonsets"), ("batch", "jobs"), ("batch", "cronjobs")}
    for k in judged:
        assert rules.get(k) == ["list"], (k, rules.get(k))
    assert rules[("wgpolicyk8s.io", "policyreports")] == sorted(
        ["list", "get", "create", "update", "delete"]), rules
    assert rules[("wgpolicyk8s.io", "clusterpolicyreports")] == sorted(
        ["get", "create", "update"]), rules
    assert set(rules) == judged | {("wgpolicyk8s.io", "policyreports"),
                                   ("wgpolicyk8s.io", "clusterpolicyreports")}, set(rules)
    for rule in cr["rules"]:
        assert "*" not in rule["verbs"] + rule["resources"] + rule["apiGroups"], rule
        assert "resourceNames" not in rule, rule
    crb = one(by, "ClusterRoleBinding")
    assert crb["roleRef"]["name"] == cr["metadata"]["name"], crb
    assert crb["subjects"] == [{"kind": "ServiceAccount", "name": sa, "namespace": NS}], crb
    role = one(by, "Role")
    assert role["metadata"]["namespace"] == NS
    lease = FULL + "-audit"
    assert role["rules"] == [
        {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create"]},
        {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"],
         "resourceNames": [lease], "verbs": ["get", "update"]}], role["rules"]
    rb = one(by, "RoleBinding")
    assert rb["roleRef"]["name"] == role["metadata"]["name"], rb
    assert rb["subjects"] == [{"kind": "ServiceAccount", "name": sa, "namespace": NS}], rb
    args = one(by, "Deployment")["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "--audit-lease-name=" + lease in args, args


def check_audit_crds(objs, by):
    crds = {c["metadata"]["name"]: c for c in by["CustomResourceDefinition"]}
    assert set(crds) == {"policyreports.wgpolicyk8s.io",
                         "clusterpolicyreports.wgpolicyk8s.io"}, set(crds)
    for name, scope, kind in (("policyreports.wgpolicyk8s.io", "Namespaced", "PolicyReport"),
                              ("clusterpolicyreports.wgpolicyk8s.io", "Cluster",
                               "ClusterPolicyReport")):
        c = crds[name]
        assert c["apiVersion"] == "apiextensions.k8s.io/v1", c["apiVersion"]
        assert c["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
        spec = c["spec"]
        assert spec["group"] == "wgpolicyk8s.io" and spec["scope"] == scope, spec
        assert spec["names"]["kind"] == kind, spec["names"]
        (v,) = spec["versions"]
        assert v["name"] == "v1alpha2" and v["served"] and v["storage"], v
        props = v["schema"]["openAPIV3Schema"]["properties"]
        result = props["results"]["items"]
        assert result["required"] == ["policy"], result
        assert result["properties"]["result"]["enum"] == ["pass", "fail", "warn", "error",
                                                          "skip"]
        for sev in ("high", "medium", "low"):  # what tollgate writes
            assert sev in result["properties"]["severity"]["enum"]
        assert set(props["summary"]["properties"]) == {"pass", "fail", "warn", "error",
                                                       "skip"}


def check_audit_off(objs, by):
    for kind in AUDIT_KINDS + ["CustomResourceDefinition"]:
        assert kind not in by, kind + " rendered with audit.enabled=false"
    pod = one(by, "Deployment")["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    assert one(by, "ServiceAccount")["automountServiceAccountToken"] is False
    c = pod["containers"][0]
    assert not any(a.startswith("--audit-") for a in c["args"]), c["args"]
    assert "env" not in c, c.get("env")


def check_audit_without_crds(objs, by):
    assert "CustomResourceDefinition" not in by
    for kind in AUDIT_KINDS:
        assert kind in by, kind


def check_generated_certs(objs, by, key_type="EC"):
    sec = one(by, "Secret")
    assert sec["type"] == "kubernetes.io/tls"
    data = {k: base64.b64decode(v) for k, v in sec["data"].items()}
    assert set(data) == {"ca.crt", "tls.crt", "tls.key"}, set(data)
    for w in webhooks(by):
        assert base64.b64decode(w["clientConfig"]["caBundle"]) == data["ca.crt"], \
            "caBundle differs from the Secret's ca.crt"
    ca = write("ca.pem", data["ca.crt"])
    crt = write("crt.pem", data["tls.crt"])
    key = write("key.pem", data["tls.key"])
    out = openssl("verify", "-CAfile", ca, crt)
    assert out.strip().endswith("OK"), out
    text = openssl("x509", "-in", crt, "-noout", "-text")
    host = "%s.%s.svc" % (FULL, NS)
    assert "DNS:%s," % host in text or "DNS:%s\n" % host in text, text
    if key_type == "EC":
        assert "id-ecPublicKey" in text and "prime256v1" in text, text
    else:
        assert "rsaEncryption" in text and "2048 bit" in text, text
    assert openssl("x509", "-in", crt, "-noout", "-pubkey") == \
        openssl("pkey", "-in", key, "-pubout"), "tls.key does not match tls.crt"


def check_rsa_certs(objs, by):
    check_generated_certs(objs, by, key_type="RSA")


def off_is_a_string(node):
    """PyYAML reads an unquoted `off` as False (YAML 1.1); libyaml hands tollgate the text."""
    if isinstance(node, dict):
        return {k: ("off" if k == "action" and v is False else off_is_a_string(v))
                for k, v in node.items()}
    if isinstance(node, list):
        return [off_is_a_string(v) for v in node]
    return node


def check_policy_default(objs, by):
    cm = one(by, "ConfigMap")
    doc = yaml.safe_load(cm["data"]["policy.yaml"])
    assert doc["apiVersion"] == "tollgate.dev/v1" and doc["kind"] == "Policy", doc
    # "off" must reach tollgate as the string, not the YAML 1.1 boolean.
    assert doc["spec"]["rules"]["imagePullPolicy"]["action"] == "off", doc["spec"]["rules"]
    # The default values are the shipped policies/default.yaml.
    shipped = off_is_a_string(yaml.safe_load(open(os.environ["SRC"] + "/policies/default.yaml")))
    assert doc["metadata"] == shipped["metadata"], (doc["metadata"], shipped["metadata"])
    assert doc["spec"] == shipped["spec"], "chart policy.spec differs from policies/default.yaml:\n%s\n%s" % (
        yaml.safe_dump(doc["spec"]), yaml.safe_dump(shipped["spec"]))
    open("policy.yaml", "w").write(cm["data"]["policy.yaml"])
    # Judged in a namespace the policy does not exclude, or the check proves nothing.
    d = one(by, "Deployment")
    d["metadata"]["namespace"] = "apps"
    open("deployment.yaml", "w").write(yaml.safe_dump(d))


def check_policy_audit(objs, by):
    doc = yaml.safe_load(one(by, "ConfigMap")["data"]["policy.yaml"])
    assert doc["spec"]["mode"] == "audit", doc["spec"]
    assert doc["spec"]["exclude"]["namespaces"] == ["legacy", NS, "kube-system"], doc
    assert doc["metadata"]["name"] == "strict"
    open("policy-audit.yaml", "w").write(one(by, "ConfigMap")["data"]["policy.yaml"])


def check_policy_other_namespace(objs, by):
    doc = yaml.safe_load(one(by, "ConfigMap")["data"]["policy.yaml"])
    want = ["kube-system", "tollgate-system", "security"]
    assert doc["spec"]["exclude"]["namespaces"] == want, doc["spec"]["exclude"]


def check_existing_configmap(objs, by):
    assert "ConfigMap" not in by
    pod = one(by, "Deployment")["spec"]["template"]["spec"]
    vols = {v["name"]: v for v in pod["volumes"]}
    assert vols["policy"]["configMap"]["name"] == "my-policy", vols


def check_cert_manager(objs, by):
    assert "Secret" not in by, "generate-mode Secret rendered in certManager mode"
    certs = {c["metadata"]["name"]: c for c in by["Certificate"]}
    serving = certs[FULL + "-serving"]["spec"]
    assert serving["privateKey"]["algorithm"] == "ECDSA"
    assert serving["privateKey"]["size"] == 256
    assert serving["secretName"] == FULL + "-tls"
    assert "%s.%s.svc" % (FULL, NS) in serving["dnsNames"]
    issuers = {i["metadata"]["name"]: i["spec"] for i in by["Issuer"]}
    assert issuers[FULL + "-selfsigned"] == {"selfSigned": {}}, issuers
    assert issuers[FULL + "-ca"]["ca"]["secretName"] == FULL + "-ca"
    assert certs[FULL + "-ca"]["spec"]["isCA"] is True
    assert serving["issuerRef"]["name"] == FULL + "-ca"
    for kind in ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"):
        o = one(by, kind)
        ann = o["metadata"]["annotations"]["cert-manager.io/inject-ca-from"]
        assert ann == "%s/%s-serving" % (NS, FULL), ann
        assert "caBundle" not in o["webhooks"][0]["clientConfig"], "caBundle set"
    pod = one(by, "Deployment")["spec"]["template"]["spec"]
    vols = {v["name"]: v for v in pod["volumes"]}
    assert vols["certs"]["secret"]["secretName"] == FULL + "-tls"


def check_cert_manager_issuer(objs, by):
    assert "Issuer" not in by, "chart made issuers although one was given"
    (cert,) = by["Certificate"]
    ref = cert["spec"]["issuerRef"]
    assert ref == {"name": "corp-ca", "kind": "ClusterIssuer",
                   "group": "cert-manager.io"}, ref


def check_existing_secret(objs, by):
    assert "Secret" not in by and "Certificate" not in by
    pod = one(by, "Deployment")["spec"]["template"]["spec"]
    vols = {v["name"]: v for v in pod["volumes"]}
    assert vols["certs"]["secret"]["secretName"] == "my-tls", vols
    for w in webhooks(by):
        assert w["clientConfig"]["caBundle"] == open("given-ca.b64").read().strip()


def check_url_mode(objs, by):
    kinds = sorted(o["kind"] for o in objs)
    assert kinds == ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"], kinds
    v, m = webhooks(by)
    assert v["clientConfig"]["url"] == "https://127.0.0.1:8443/validate", v["clientConfig"]
    assert m["clientConfig"]["url"] == "https://127.0.0.1:8443/mutate", m["clientConfig"]
    for w in (v, m):
        assert "service" not in w["clientConfig"]
        assert w["clientConfig"]["caBundle"] == open("given-ca.b64").read().strip()
        assert w["failurePolicy"] == "Ignore"
        assert w["timeoutSeconds"] == 2


def check_options(objs, by):
    d = one(by, "Deployment")
    pod = d["spec"]["template"]["spec"]
    assert "PodDisruptionBudget" not in by
    assert one(by, "ServiceMonitor")["spec"]["endpoints"][0]["port"] == "metrics"
    assert pod["affinity"]["podAntiAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"], pod["affinity"]
    assert "priorityClassName" not in pod
    assert "lifecycle" not in pod["containers"][0], "preStopSleepSeconds=0 keeps a preStop hook"
    c = pod["containers"][0]
    assert c["image"] == "reg.example/tg:1.2.3@sha256:" + "a" * 64, c["image"]
    assert "--log-level=debug" in c["args"] and "--on-internal-error=deny" in c["args"]
    assert "ValidatingWebhookConfiguration" not in by
    m = one(by, "MutatingWebhookConfiguration")["webhooks"][0]
    exprs = m["namespaceSelector"]["matchExpressions"]
    assert {"key": "team", "operator": "In", "values": ["a"]} in exprs, exprs
    assert {"key": "kubernetes.io/metadata.name", "operator": "NotIn",
            "values": [NS, "kube-system", "monitoring"]} in exprs, exprs


def check_probes_on_https(objs, by):
    c = one(by, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert [p["name"] for p in c["ports"]] == ["https"], c["ports"]
    assert not any(a.startswith("--metrics-listen") for a in c["args"]), c["args"]
    for p in ("livenessProbe", "readinessProbe"):
        assert c[p]["httpGet"]["scheme"] == "HTTPS", c[p]
        assert c[p]["httpGet"]["port"] == "https", c[p]
    assert [p["name"] for p in one(by, "Service")["spec"]["ports"]] == ["https"]


def check_registry(objs, by):
    spec = one(by, "Deployment")["spec"]["template"]["spec"]
    c = spec["containers"][0]
    for want in ("--registry-auth-file=/etc/tollgate/registry-auth/.dockerconfigjson",
                 "--registry-ca-file=/etc/tollgate/registry-ca/ca.crt",
                 "--registry-insecure=reg.local:5000,mirror.local",
                 "--registry-timeout=900"):
        assert want in c["args"], (want, c["args"])
    mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
    assert mounts.get("registry-auth") == "/etc/tollgate/registry-auth", mounts
    assert mounts.get("registry-ca") == "/etc/tollgate/registry-ca", mounts
    vols = {v["name"]: v for v in spec["volumes"]}
    assert vols["registry-auth"]["secret"]["secretName"] == "regcred", vols
    assert vols["registry-ca"]["configMap"]["name"] == "regca", vols


def check_no_registry_mounts(objs, by):
    c = one(by, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert not any(a.startswith(("--registry-auth-file", "--registry-ca-file",
                                 "--registry-insecure")) for a in c["args"]), c["args"]
    assert not any(m["name"].startswith("registry-") for m in c["volumeMounts"])


CHECKS = {k[len("check_"):]: v for k, v in globals().items() if k.startswith("check_")}

if __name__ == "__main__":
    objs, by = load(sys.argv[2])
    CHECKS[sys.argv[1]](objs, by)
PYEOF

# A CA for the modes where the user brings one.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj /CN=given-ca -keyout "$tmp/given-ca.key" -out "$tmp/given-ca.crt" 2>/dev/null
base64 -w0 "$tmp/given-ca.crt" >"$tmp/given-ca.b64"
given_ca=$(cat "$tmp/given-ca.b64")

# Default values.
if render default; then
    for c in kinds_default deployment webhooks generated_certs policy_default audit_rbac audit_crds; do
        assert default $c
    done
fi

# The background audit off: no RBAC, no CRDs, no token; or on with CRDs
# that another tool installed.
render audit-off --set audit.enabled=false && assert audit-off audit_off
render audit-no-crds --set audit.installCRDs=false && assert audit-no-crds audit_without_crds

# Helm's generated certificates, RSA flavour.
render gen-rsa --set certs.generate.keyAlgorithm=rsa && assert gen-rsa rsa_certs

# cert-manager, with the chart's own CA chain and with a given issuer.
render certmanager --set certs.mode=certManager &&
    assert certmanager cert_manager && assert certmanager webhooks
render certmanager-issuer --set certs.mode=certManager \
    --set certs.certManager.issuerRef.name=corp-ca \
    --set certs.certManager.issuerRef.kind=ClusterIssuer &&
    assert certmanager-issuer cert_manager_issuer

# An existing Secret and its CA.
render existing --set certs.mode=existingSecret --set certs.existingSecret.name=my-tls \
    --set certs.caBundle="$given_ca" && assert existing existing_secret

# URL mode: tollgate outside the cluster.
render url --set webhook.url=https://127.0.0.1:8443/ --set certs.caBundle="$given_ca" \
    --set webhook.failurePolicy=Ignore --set webhook.timeoutSeconds=2 \
    --set server.requestDeadlineMs=1000 && assert url url_mode

# Policy from values, and an existing policy ConfigMap.
render policy-audit --set policy.spec.mode=audit --set policy.name=strict \
    --set 'policy.spec.exclude.namespaces={legacy}' && assert policy-audit policy_audit
if "$HELM" template tg "$CHART" --namespace security >"$tmp/policy-ns.yaml" 2>"$tmp/policy-ns.err"; then
    assert policy-ns policy_other_namespace
else
    not_ok "policy-ns: helm template -n security"
fi
render policy-cm --set policy.existingConfigMap=my-policy &&
    assert policy-cm existing_configmap

# The other switches.
render options --set podDisruptionBudget.enabled=false \
    --set metrics.serviceMonitor.enabled=true --set podAntiAffinity=hard \
    --set priorityClassName= --set preStopSleepSeconds=0 --set image.repository=reg.example/tg --set image.tag=1.2.3 \
    --set image.digest="sha256:$(printf 'a%.0s' $(seq 64))" --set server.logLevel=debug \
    --set server.onInternalError=deny --set webhook.validating.enabled=false \
    --set 'webhook.namespaceSelectorExpressions[0].key=team' \
    --set 'webhook.namespaceSelectorExpressions[0].operator=In' \
    --set 'webhook.namespaceSelectorExpressions[0].values={a}' \
    --set 'webhook.excludeNamespaces={kube-system,monitoring}' && assert options options

# Registry credentials and CA are mounted and passed only when given.
render registry --set registry.authSecret=regcred --set registry.caConfigMap=regca \
    --set 'registry.insecure={reg.local:5000,mirror.local}' --set registry.timeoutMs=900 &&
    assert registry registry
render registry-default && assert registry-default no_registry_mounts
refuse registry-platform "does not match pattern" --set registry.platform=amd64

# Without a metrics port the probes go to the HTTPS port.
render no-metrics --set server.metricsPort=0 && assert no-metrics probes_on_https

# Bad values are refused with a message that says what to fix.
refuse typo "additional properties 'replicas' not allowed" --set replicas=3
refuse latest "image/tag" --set image.tag=latest
refuse bad-failure-policy "'Fail', 'Ignore'" --set webhook.failurePolicy=Maybe
refuse bad-mode "generate" --set certs.mode=selfsigned
refuse bad-timeout "timeoutSeconds" --set webhook.timeoutSeconds=60
refuse audit-interval "audit/intervalSeconds" --set audit.intervalSeconds=5
refuse pdb-blocks-drain "minAvailable .* must be below replicaCount" --set replicaCount=1
refuse deadline-after-timeout "requestDeadlineMs .* must be below webhook.timeoutSeconds" \
    --set webhook.timeoutSeconds=2 --set server.requestDeadlineMs=2000
# Unquoted `off` is the YAML 1.1 boolean false to Helm: caught before tollgate sees it.
printf 'policy:\n  spec:\n    rules:\n      imagePullPolicy:\n        action: off\n' \
    >"$tmp/unquoted-off.yaml"
refuse unquoted-off "imagePullPolicy/action.*got boolean, want string" -f "$tmp/unquoted-off.yaml"
refuse grace-too-short "terminationGracePeriodSeconds .* must exceed preStopSleepSeconds" \
    --set terminationGracePeriodSeconds=5
refuse existing-no-name "certs.existingSecret.name is required" --set certs.mode=existingSecret \
    --set certs.caBundle="$given_ca"
refuse existing-no-ca "certs.caBundle .* is required with certs.mode=existingSecret" \
    --set certs.mode=existingSecret --set certs.existingSecret.name=my-tls
refuse url-no-ca "certs.caBundle .* is required with webhook.url" \
    --set webhook.url=https://127.0.0.1:8443
refuse url-http "webhook/url" --set webhook.url=http://127.0.0.1:8443 \
    --set certs.caBundle="$given_ca"
refuse monitor-no-port "serviceMonitor.enabled needs server.metricsPort" \
    --set metrics.serviceMonitor.enabled=true --set server.metricsPort=0

# Kubernetes < 1.21: the install notes tell how to label the excluded namespaces.
# `helm template` does not render NOTES.txt, so a copy of the chart renders it
# into a ConfigMap.
notes_check() {
    local kube=$1 want=$2 copy=$tmp/notes-chart-$1 notes
    rm -rf "$copy"
    cp -r "$CHART" "$copy"
    {
        echo '{{- define "test.notes" -}}'
        cat "$CHART/templates/NOTES.txt"
        echo '{{- end }}'
    } >"$copy/templates/_test_notes.tpl"
    printf '%s\n' 'apiVersion: v1' 'kind: ConfigMap' 'metadata: {name: notes}' \
        'data: {notes: {{ include "test.notes" . | toJson }}}' >"$copy/templates/zz-notes.yaml"
    if ! notes=$("$HELM" template tg "$copy" --namespace $NS --kube-version "$kube" \
        --show-only templates/zz-notes.yaml 2>&1 |
        $PY -c 'import sys, yaml; print(yaml.safe_load(sys.stdin)["data"]["notes"])' 2>&1); then
        not_ok "notes on Kubernetes $kube: not rendered"
        printf '%s\n' "$notes" | sed 's/^/#   /'
        return
    fi
    local has=0
    printf '%s\n' "$notes" | grep -q "kubectl label namespace $NS tollgate.dev/ignore=true" &&
        printf '%s\n' "$notes" | grep -q "kubectl label namespace kube-system tollgate.dev/ignore=true" &&
        has=1
    if [ $has = "$want" ]; then
        ok "notes on Kubernetes $kube: label commands $([ "$want" = 1 ] || echo "not ")shown"
    else
        not_ok "notes on Kubernetes $kube: label commands $([ "$want" = 1 ] || echo "not ")shown"
        printf '%s\n' "$notes" | sed 's/^/#   /'
    fi
}
notes_check 1.20.2 1
notes_check 1.29.0 0

# Every value in values.yaml is documented in README.md.
if out=$($PY - "$CHART" <<'PYEOF'
import sys, yaml
chart = sys.argv[1]
values = yaml.safe_load(open(chart + "/values.yaml"))
readme = open(chart + "/README.md").read()
# Maps whose keys are free-form (documented as one row).
opaque = {"updateStrategy", "affinity", "nodeSelector", "resources", "podAnnotations",
          "podLabels", "podSecurityContext", "securityContext", "serviceAccount.annotations",
          "policy.spec", "webhook.objectSelector", "webhook.annotations",
          "metrics.serviceMonitor.labels", "certs.certManager.privateKey.encoding"}
missing = []
def walk(prefix, v):
    if isinstance(v, dict) and v and prefix not in opaque:
        for k, sub in v.items():
            walk(prefix + "." + k if prefix else k, sub)
    elif "| `%s` |" % prefix not in readme:
        missing.append(prefix)
walk("", values)
if missing:
    sys.exit("undocumented in README.md: " + ", ".join(missing))
PYEOF
); then
    ok "README.md documents every value"
else
    not_ok "README.md documents every value"
    printf '%s\n' "$out" | sed 's/^/#   /'
fi

# The rendered policies load in tollgate, and the chart's own pod passes the default one.
if [ -n "${TOLLGATE:-}" ] && [ -x "${TOLLGATE:-}" ]; then
    if [ -f "$tmp/deployment.yaml" ] &&
        out=$("$TOLLGATE" check --policy "$tmp/policy.yaml" "$tmp/deployment.yaml" 2>&1) &&
        printf '%s\n' "$out" | grep -q -E '1 object\(s\) checked: 0 denied, 1 allowed, 0 excluded; 0 violation'; then
        ok "tollgate check: the chart's Deployment passes the chart's default policy"
    else
        not_ok "tollgate check: the chart's Deployment passes the chart's default policy"
        printf '%s\n' "${out:-no rendered Deployment}" | sed 's/^/#   /'
    fi
    if [ -f "$tmp/policy-audit.yaml" ] &&
        out=$("$TOLLGATE" check --policy "$tmp/policy-audit.yaml" "$tmp/deployment.yaml" 2>&1); then
        ok "tollgate check: the policy rendered from --set values loads"
    else
        not_ok "tollgate check: the policy rendered from --set values loads"
        printf '%s\n' "${out:-no rendered policy}" | sed 's/^/#   /'
    fi
else
    not_ok "tollgate check of the chart's Deployment: no tollgate binary (\$TOLLGATE='${TOLLGATE:-}'); run through ctest"
fi

# The image the chart deploys (no Docker engine here, so the Dockerfile is checked
# against this bookworm machine): the runtime stage installs the package of every
# library the binary links directly, the build stage the -dev package of every
# pkg-config module CMakeLists.txt asks for, and the image agrees with the chart
# on the user and the health port.
if out=$($PY - "$SRC" "${TOLLGATE:-}" <<'PYEOF' 2>&1
import os, re, subprocess, sys, yaml
src, binary = sys.argv[1], sys.argv[2]
text = open(src + "/Dockerfile").read().replace("\\\n", " ")
stages = re.split(r"(?m)^FROM ", text)[1:]
assert len(stages) == 2, "want a build and a runtime stage, got %d" % len(stages)
def installed(stage):
    pkgs = set()
    for m in re.finditer(r"apt-get install ([^&\n]*)", stage):
        pkgs |= {t for t in m.group(1).split() if not t.startswith("-")}
    return pkgs
build, runtime = installed(stages[0]), installed(stages[1])
def owner(path):
    # /lib is a link to /usr/lib (usrmerge); dpkg knows the /usr path.
    path = os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))
    out = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True)
    assert out.returncode == 0, "dpkg -S %s: %s" % (path, out.stderr)
    return out.stdout.split(":")[0]
problems = []
arg = re.search(r"(?m)^ARG DEBIAN_IMAGE=(\S+)", text)
if not arg or not re.fullmatch(r"debian:bookworm-\d{8}-slim(@sha256:[0-9a-f]{64})?", arg.group(1)):
    problems.append("base image not pinned to a dated bookworm tag: %s" % (arg and arg.group(1)))
if not all(st.startswith("${DEBIAN_IMAGE}") for st in stages):
    problems.append("a stage does not use the pinned ${DEBIAN_IMAGE}")
# Direct libraries of the binary -> their packages must be in the runtime stage.
if binary:
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^]]+)\]",
                        subprocess.run(["readelf", "-d", binary], capture_output=True,
                                       text=True).stdout)
    paths = dict(re.findall(r"^\s*(\S+) => (\S+)", subprocess.run(
        ["ldd", binary], capture_output=True, text=True).stdout, re.M))
    for lib in needed:
        if lib.startswith(("libc.so", "libm.so", "libasan", "libubsan", "ld-linux")):
            continue  # in the base image / sanitizer builds only
        pkg = owner(paths[lib])
        if pkg not in runtime:
            problems.append("runtime stage lacks %s (provides %s)" % (pkg, lib))
else:
    problems.append("no tollgate binary to read the linked libraries from ($TOLLGATE)")
# pkg-config modules of CMakeLists.txt -> their -dev packages in the build stage.
cmake = open(src + "/CMakeLists.txt").read()
for mod in re.findall(r"pkg_check_modules\(\w+ REQUIRED IMPORTED_TARGET (\S+)\)", cmake):
    pcdir = subprocess.run(["pkg-config", "--variable=pcfiledir", mod],
                           capture_output=True, text=True).stdout.strip()
    pkg = owner("%s/%s.pc" % (pcdir, mod))
    if pkg not in build:
        problems.append("build stage lacks %s (pkg-config %s)" % (pkg, mod))
values = yaml.safe_load(open(src + "/charts/tollgate/values.yaml"))
user = re.search(r"(?m)^USER (\d+):(\d+)$", stages[1])
if not user or int(user.group(1)) == 0:
    problems.append("runtime USER is not a numeric non-root uid:gid")
elif int(user.group(1)) != values["securityContext"]["runAsUser"]:
    problems.append("USER %s differs from the chart's runAsUser" % user.group(1))
hc = re.search(r"HEALTHCHECK .*CMD .*http://127\.0\.0\.1:(\d+)/healthz", stages[1])
if not hc or int(hc.group(1)) != values["server"]["metricsPort"]:
    problems.append("HEALTHCHECK does not probe /healthz on the chart's metrics port")
if "org.opencontainers.image.source" not in stages[1]:
    problems.append("no OCI labels")
ignore = [l.strip() for l in open(src + "/.dockerignore")
          if l.strip() and not l.startswith("#")]
if ignore[:1] != ["*"] or any(x.startswith("!certs") for x in ignore):
    problems.append(".dockerignore must start by excluding everything and never let certs/ in")
if problems:
    sys.exit("\n".join(problems))
PYEOF
); then
    ok "Dockerfile: runtime and build packages cover the binary, pinned base, USER and HEALTHCHECK match the chart"
else
    not_ok "Dockerfile: runtime and build packages cover the binary, pinned base, USER and HEALTHCHECK match the chart"
    printf '%s\n' "$out" | sed 's/^/#   /'
fi

echo "1..$n"
if [ $failures -ne 0 ]; then
    echo "FAIL: $failures of $n chart checks failed" >&2
    exit 1
fi
echo "PASS: $n chart checks"
