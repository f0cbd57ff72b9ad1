#!/usr/bin/python3
"""fake_cluster.py -- a small stateful Kubernetes API server for the audit tests.

usage: fake_cluster.py PORT_FILE [--token TOKEN]

Plain HTTP on 127.0.0.1 (a free port, written to PORT_FILE once listening).
With --token, requests must carry "Authorization: Bearer TOKEN" (else 401).
Where fake_apiserver.py scripts what one client call sees, this one keeps
objects, as the audit needs from a cluster:

  discovery      /apis/batch/v1 (jobs) and /apis/batch/v1beta1 (cronjobs), as 1.20
  objects        every pod-bearing kind, PolicyReports, ClusterPolicyReports and
                 Leases: POST (409 AlreadyExists), GET, PUT (409 Conflict on a
                 stale metadata.resourceVersion), DELETE; lists cluster-wide or per
                 namespace, paged by limit/continue, with labelSelector key=value
  /_control/objects   POST a JSON list of objects (kind + apiVersion set): stored
                      as if created; DELETE: forget every object
  /_control/faults    POST a list of rules, each answered instead of the real thing
                      the next `times` matching requests:
                        {"method": "GET", "path": "/apis/apps/v1/deployments",
                         "continue": true,   (only a page after the first)
                         "times": 1, "action": "status", "status": 500,
                         "reason": "InternalError", "message": "..."}
                      actions: status, hang (answer nothing for 30 s), truncate
                      (promise more body than sent), malformed (200, not JSON),
                      expire (410 Expired: the continue token is gone)
                      GET: {"items": the rules left}; DELETE clears them
  /_control/crds      POST {"policyreports": false}: the CRD is not installed (404)
  /_control/log       GET: {"items": every request so far, "METHOD /path?query"};
                      DELETE clears
"""
import json
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

PORT_FILE = sys.argv[1]
TOKEN = sys.argv[sys.argv.index("--token") + 1] if "--token" in sys.argv else None

RESOURCES = {  # (group/version, plural) -> (kind, namespaced)
    ("v1", "pods"): ("Pod", True),
    ("v1", "replicationcontrollers"): ("ReplicationController", True),
    ("v1", "podtemplates"): ("PodTemplate", True),
    ("v1", "namespaces"): ("Namespace", False),
    ("apps/v1", "deployments"): ("Deployment", True),
    ("apps/v1", "replicasets"): ("ReplicaSet", True),
    ("apps/v1", "statefulsets"): ("StatefulSet", True),
    ("apps/v1", "daemonsets"): ("DaemonSet", True),
    ("batch/v1", "jobs"): ("Job", True),
    ("batch/v1beta1", "cronjobs"): ("CronJob", True),
    ("wgpolicyk8s.io/v1alpha2", "policyreports"): ("PolicyReport", True),
    ("wgpolicyk8s.io/v1alpha2", "clusterpolicyreports"): ("ClusterPolicyReport", False),
    ("coordination.k8s.io/v1", "leases"): ("Lease", True),
}
PLURAL_OF = {(gv, kind): plural for (gv, plural), (kind, _) in RESOURCES.items()}
DISCOVERY = {
    "batch/v1": ["jobs"],
    "batch/v1beta1": ["cronjobs"],
}

LOCK = threading.Lock()
OBJECTS = {}  # (gv, plural, ns, name) -> object
STATE = {"rv": 1000, "faults": [], "log": [], "crds": {"policyreports": True}}


def status(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}


def parse_path(path):
    """(gv, plural, ns, name) of an API path, or None."""
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["api"] and len(parts) >= 2:
        gv, rest = parts[1], parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 3:
        gv, rest = parts[1] + "/" + parts[2], parts[3:]
    else:
        return None
    ns = None
    if len(rest) >= 2 and rest[0] == "namespaces" and (len(rest) > 2 or gv != "v1"):
        ns, rest = rest[1], rest[2:]
    if not rest or len(rest) > 2:
        return None
    return gv, rest[0], ns, rest[1] if len(rest) == 2 else None


def crd_installed(plural):
    return STATE["crds"].get("policyreports", True) or plural not in (
        "policyreports", "clusterpolicyreports")


def store(obj):
    """Create `obj` (kind and apiVersion set); returns the stored copy."""
    gv, kind = obj["apiVersion"], obj["kind"]
    plural = PLURAL_OF[(gv, kind)]
    meta = obj.setdefault("metadata", {})
    STATE["rv"] += 1
    meta["resourceVersion"] = str(STATE["rv"])
    meta.setdefault("uid", str(uuid.uuid4()))
    meta.setdefault("creationTimestamp", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    namespaced = RESOURCES[(gv, plural)][1]
    OBJECTS[(gv, plural, meta.get("namespace") if namespaced else None, meta["name"])] = obj
    return obj


def matches(obj, selector):
    if not selector:
        return True
    labels = obj.get("metadata", {}).get("labels", {}) or {}
    for term in selector.split(","):
        key, _, value = term.partition("=")
        if labels.get(key) != value:
            return False
    return True


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_json(self, code, body, extra=None):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(n) or b"null") if n else None

    def fault(self, method, url):
        """The first rule matching this request (consumed), or None."""
        q = parse_qs(url.query)
        for rule in STATE["faults"]:
            if rule.get("method", method) != method:
                continue
            if not url.path.startswith(rule.get("path", "/")):
                continue
            if rule.get("continue") and "continue" not in q:
                continue
            rule["times"] = rule.get("times", 1) - 1
            if rule["times"] <= 0:
                STATE["faults"].remove(rule)
            return dict(rule)
        return None

    def play(self, rule):
        action = rule.get("action", "status")
        if action == "status":
            code = rule.get("status", 500)
            extra = {"Retry-After": str(rule["retryAfter"])} if "retryAfter" in rule else {}
            self.send_json(code, status(code, rule.get("reason", "InternalError"),
                                        rule.get("message", "injected fault")), extra)
        elif action == "expire":
            self.send_json(410, status(410, "Expired",
                                       "The provided continue parameter is too old"))
        elif action == "hang":
            time.sleep(rule.get("seconds", 30))
            self.close_connection = True
        elif action == "truncate":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "5000")
            self.end_headers()
            self.wfile.write(b'{"kind":"PodList","items":[')
            self.close_connection = True
        elif action == "malformed":
            data = b'{"kind": "List", "items": [ {not json'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    def control(self, method, url):
        what = url.path[len("/_control/"):]
        with LOCK:
            if what == "objects" and method == "POST":
                for obj in self.body():
                    store(obj)
                return self.send_json(200, {"stored": len(OBJECTS)})
            if what == "objects" and method == "DELETE":
                OBJECTS.clear()
                return self.send_json(200, {})
            if what == "faults" and method == "POST":
                STATE["faults"].extend(self.body())
                return self.send_json(200, {"faults": len(STATE["faults"])})
            if what == "faults":
                if method == "DELETE":
                    STATE["faults"] = []
                return self.send_json(200, {"items": STATE["faults"]})
            if what == "crds" and method == "POST":
                STATE["crds"].update(self.body())
                return self.send_json(200, STATE["crds"])
            if what == "log":
                log = list(STATE["log"])
                if method == "DELETE":
                    STATE["log"] = []
                return self.send_json(200, {"items": log})
        return self.send_json(404, status(404, "NotFound", "no such control"))

    def handle_any(self, method):
        url = urlparse(self.path)
        if url.path.startswith("/_control/"):
            return self.control(method, url)
        if TOKEN and self.headers.get("Authorization") != "Bearer " + TOKEN:
            self.body()
            return self.send_json(401, status(401, "Unauthorized", "Unauthorized"))
        body = self.body()  # read even when a fault answers: keep-alive needs it
        with LOCK:
            STATE["log"].append(method + " " + self.path)
            rule = self.fault(method, url)
        if rule:
            return self.play(rule)
        with LOCK:
            code, answer = self.serve(method, url, body)
        self.send_json(code, answer)

    def serve(self, method, url, body):
        gv = url.path[len("/apis/"):].rstrip("/")
        if method == "GET" and gv in DISCOVERY:
            return 200, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
                         "resources": [{"name": p, "namespaced": True,
                                        "kind": RESOURCES[(gv, p)][0],
                                        "verbs": ["get", "list"]} for p in DISCOVERY[gv]]}
        where = parse_path(url.path)
        if not where or (where[0], where[1]) not in RESOURCES or not crd_installed(where[1]):
            return 404, status(404, "NotFound", "the server could not find the requested "
                                                "resource")
        gv, plural, ns, name = where
        kind, namespaced = RESOURCES[(gv, plural)]
        key = (gv, plural, ns if namespaced else None, name)
        if name is None and method == "GET":
            return self.list(url, gv, plural, kind, ns)
        if name is None and method == "POST":
            body.setdefault("metadata", {})
            if namespaced:
                body["metadata"]["namespace"] = ns
            key = (gv, plural, ns if namespaced else None, body["metadata"].get("name"))
            if key in OBJECTS:
                return 409, status(409, "AlreadyExists", '%s "%s" already exists'
                                   % (plural, key[3]))
            body["kind"], body["apiVersion"] = kind, gv
            return 201, store(body)
        if key not in OBJECTS:
            return 404, status(404, "NotFound", '%s "%s" not found' % (plural, name))
        if method == "GET":
            return 200, OBJECTS[key]
        if method == "DELETE":
            del OBJECTS[key]
            return 200, status(200, "", "deleted") | {"status": "Success"}
        if method == "PUT":
            have = OBJECTS[key]["metadata"]["resourceVersion"]
            if body.get("metadata", {}).get("resourceVersion") != have:
                return 409, status(409, "Conflict", 'Operation cannot be fulfilled on %s '
                                   '"%s": the object has been modified' % (plural, name))
            body["kind"], body["apiVersion"] = kind, gv
            body["metadata"]["uid"] = OBJECTS[key]["metadata"]["uid"]
            return 200, store(body)
        return 405, status(405, "MethodNotAllowed", method)

    def list(self, url, gv, plural, kind, ns):
        q = parse_qs(url.query)
        limit = int(q.get("limit", ["0"])[0])
        offset = int(q.get("continue", ["0"])[0])
        selector = q.get("labelSelector", [""])[0]
        keys = sorted(k for k in OBJECTS if k[0] == gv and k[1] == plural and
                      (ns is None or k[2] == ns) and matches(OBJECTS[k], selector))
        page = keys[offset:offset + limit] if limit else keys[offset:]
        nxt = offset + len(page)
        items = []
        for k in page:
            item = json.loads(json.dumps(OBJECTS[k]))
            item.pop("kind", None)
            item.pop("apiVersion", None)
            items.append(item)
        meta = {"resourceVersion": str(STATE["rv"])}
        if nxt < len(keys):
            meta["continue"] = str(nxt)
        return 200, {"kind": kind + "List", "apiVersion": gv, "metadata": meta,
                     "items": items}

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_DELETE(self):
        self.handle_any("DELETE")


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with open(PORT_FILE + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    import os
    os.rename(PORT_FILE + ".tmp", PORT_FILE)
    server.serve_forever()


if __name__ == "__main__":
    main()
