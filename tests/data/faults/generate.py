"""Write the hostile AdmissionReviews of test_faults.sh into OUTDIR.

    python3 generate.py SRC/tests/data/server OUTDIR

Generated rather than committed: some are megabytes.  Each is built from
allow_v1.json (a compliant Pod) or deny_v1.json (a Pod breaking
runAsNonRoot and pinnedTags), so the expected answer is known.
"""
import copy
import json
import os
import sys


def main(data, out):
    allow = json.load(open(os.path.join(data, "allow_v1.json")))
    deny = json.load(open(os.path.join(data, "deny_v1.json")))

    def write(name, obj=None, raw=None):
        with open(os.path.join(out, name), "wb") as f:
            f.write(raw if raw is not None else json.dumps(obj).encode())

    text = json.dumps(allow).encode()
    # invalid UTF-8 inside a container name: a stray byte, and an overlong '/'
    write("utf8-stray.json", raw=text.replace(b'"app"', b'"a\xffp"', 1))
    write("utf8-overlong.json", raw=text.replace(b'"app"', b'"a\xc0\xafp"', 1))
    # nesting 100,000 deep: a bare array, and inside the request
    write("deep-array.json", raw=b"[" * 100000 + b"]" * 100000)
    write("deep-field.json", raw=text.replace(
        b'"dryRun"', b'"deep": ' + b'{"a":' * 100000 + b"1" + b"}" * 100000 + b', "dryRun"', 1))

    # 10,000 containers: all compliant; one bad at the end; all bad
    def many(base, bad):
        r = copy.deepcopy(base)
        spec = r["request"]["object"]["spec"]
        first = spec["containers"][0]
        spec["containers"] = [dict(first, name="c%d" % i) for i in range(10000)]
        for i in bad(len(spec["containers"])):
            spec["containers"][i]["image"] = "nginx:latest"
        return r
    write("many-ok.json", many(allow, lambda n: []))
    write("many-last-bad.json", many(allow, lambda n: [n - 1]))
    write("many-all-bad.json", many(allow, range))

    # duplicate keys: at the top, and one hiding a second securityContext
    write("dup-top.json", raw=text.replace(b'"dryRun"', b'"kind": "AdmissionReview", "dryRun"', 1))
    dtext = json.dumps(deny).encode()
    write("dup-securitycontext.json", raw=dtext.replace(
        b'"name": "app"', b'"securityContext": {"runAsNonRoot": true}, "name": "app", '
        b'"securityContext": {"runAsNonRoot": false}', 1))

    # numbers where strings belong, and null wherever a field may be
    def put(base, where, field, value):
        r = copy.deepcopy(base)
        req = r["request"]
        obj = req["object"]
        target = {"review": r, "request": req, "object": obj, "spec": obj["spec"],
                  "container": obj["spec"]["containers"][0]}[where]
        target[field] = value
        return r
    fields = [("request", "uid"), ("review", "request"), ("request", "object"),
              ("request", "kind"), ("request", "operation"), ("request", "namespace"),
              ("object", "metadata"), ("object", "spec"), ("object", "kind"),
              ("spec", "containers"), ("spec", "securityContext"),
              ("container", "name"), ("container", "image"),
              ("container", "securityContext"), ("container", "livenessProbe")]
    for value, tag in ((5, "number"), (None, "null")):
        for where, field in fields:
            write("%s-%s-%s.json" % (tag, where, field), put(deny, where, field, value))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
