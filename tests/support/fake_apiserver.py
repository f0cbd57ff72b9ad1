#!/usr/bin/python3
"""fake_apiserver.py -- a scripted Kubernetes API server for the kube client tests.

usage: fake_apiserver.py PORT_FILE CERT KEY CA TOKENS_FILE [--require-client-cert]

HTTPS on 127.0.0.1 (a free port, written to PORT_FILE once listening) with
CERT/KEY; client certificates signed by CA are accepted (required with
--require-client-cert).  A request is authenticated by a verified client
certificate or by "Authorization: Bearer T" where T is a line of
TOKENS_FILE, read again on every request so a test can rotate tokens; else
401.  The real kube-apiserver (check_kube_live.c) shows the protocol as it
is; this server says what a real one rarely does, on demand:

  /_echo                          any method: what the request carried
  /apis/batch/v1, /apis/batch/v1beta1
                                  discovery as Kubernetes 1.20 serves it; under
                                  the prefix /v121 as 1.21, /v125 as 1.25, /nocron
                                  with no CronJobs at all (the prefix is what a
                                  kubeconfig server URL with a path gives)
  /api/v1/namespaces/faults/configmaps/NAME
                                  GET answers the fault NAME (see FAULTS)
  /api/v1/namespaces/store/configmaps[/NAME]
                                  an in-memory store: POST, GET, PUT (409 on a
                                  stale resourceVersion), PATCH (merge patch), DELETE
  lists of every pod-bearing kind, paged by limit/continue; namespace alpha
  holds 7 pods and 2 deployments, beta 3 pods, and the namespaces named in
  PAGE_FAULTS misbehave as their names say.
"""
import gzip
import http.server
import json
import os
import select
import socket
import ssl
import sys
import threading
from urllib.parse import parse_qs, urlparse

PORT_FILE, CERT, KEY, CA, TOKENS = sys.argv[1:6]
REQUIRE_CERT = "--require-client-cert" in sys.argv[6:]

KINDS = {  # (group/version, plural) -> kind
    ("v1", "pods"): "Pod",
    ("v1", "replicationcontrollers"): "ReplicationController",
    ("v1", "podtemplates"): "PodTemplate",
    ("v1", "configmaps"): "ConfigMap",
    ("apps/v1", "deployments"): "Deployment",
    ("apps/v1", "replicasets"): "ReplicaSet",
    ("apps/v1", "statefulsets"): "StatefulSet",
    ("apps/v1", "daemonsets"): "DaemonSet",
    ("batch/v1", "jobs"): "Job",
    ("batch/v1", "cronjobs"): "CronJob",
    ("batch/v1beta1", "cronjobs"): "CronJob",
}


def obj(ns, name):
    return {"metadata": {"name": name, "namespace": ns, "resourceVersion": "900"},
            "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]}}


DATA = {  # (plural, namespace) -> items, without kind/apiVersion as the API server sends them
    ("pods", "alpha"): [obj("alpha", "pod-%d" % i) for i in range(7)],
    ("pods", "beta"): [obj("beta", "pod-%d" % i) for i in range(3)],
    ("deployments", "alpha"): [obj("alpha", "web"), obj("alpha", "api")],
}
PAGE_FAULTS = ["gone-once", "gone-always", "wrong-kind", "wrong-item", "truncated-page2",
               "hang-page2", "error-page2", "malformed-page2", "same-token", "items-null",
               "forbidden"]
for fault_ns in PAGE_FAULTS:
    DATA[("pods", fault_ns)] = [obj(fault_ns, "pod-%d" % i) for i in range(5)]

STORE = {}
LOCK = threading.Lock()
EPOCH = {"gone-once": 0}


def status(code, reason, message, details=None):
    st = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
          "message": message, "reason": reason, "code": code}
    if details:
        st["details"] = details
    return st


FAULTS = {  # NAME -> (code, body, extra headers)
    "unauthorized": (401, status(401, "Unauthorized", "Unauthorized"), {}),
    "forbidden": (403, status(403, "Forbidden",
                              'configmaps "forbidden" is forbidden: User "system:serviceaccount:'
                              'tollgate-system:tollgate" cannot get resource "configmaps" in API '
                              'group "" in the namespace "faults"'), {}),
    "missing": (404, status(404, "NotFound", 'configmaps "missing" not found'), {}),
    "conflict": (409, status(409, "Conflict",
                             'Operation cannot be fulfilled on configmaps "conflict": the object '
                             'has been modified; please apply your changes to the latest '
                             'version and try again'), {}),
    "gone": (410, status(410, "Expired", "too old resource version: 1 (2)"), {}),
    "invalid": (422, status(422, "Invalid",
                            'ConfigMap "Invalid" is invalid: metadata.name: Invalid value: '
                            '"Invalid": a lowercase RFC 1123 subdomain must consist of lower '
                            'case alphanumeric characters'), {}),
    "throttled": (429, status(429, "TooManyRequests", "Too many requests, please try again later.",
                              {"retryAfterSeconds": 1}), {"Retry-After": "7"}),
    "throttled-body": (429, status(429, "TooManyRequests", "slow down",
                                   {"retryAfterSeconds": 3}), {}),
    "broken": (500, status(500, "InternalError",
                           "Internal error occurred: etcdserver: request timed out"), {}),
    "unavailable": (503, "<html><body><h1>503 Service Unavailable</h1>\nNo server is "
                         "available.</body></html>", {"Content-Type": "text/html"}),
    "redirect": (302, "", {"Location": "https://127.0.0.1:1/elsewhere"}),
    "malformed": (200, '{"kind": "ConfigMap", "data": {not json}}', {}),
    "notobject": (200, "[1, 2, 3]", {}),
    "empty": (200, "", {}),
    "huge": (200, {"kind": "ConfigMap", "data": {"big": "x" * 200000}}, {}),
    "gzip": (200, {"kind": "ConfigMap", "apiVersion": "v1", "data": {"z": "y" * 5000}},
             {"gzip": "1"}),
}


def tokens():
    try:
        with open(TOKENS) as f:
            return {line.strip() for line in f if line.strip()}
    except OSError:
        return set()


def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return patch
    if not isinstance(target, dict):
        target = {}
    for k, v in patch.items():
        if v is None:
            target.pop(k, None)
        else:
            target[k] = merge_patch(target.get(k), v)
    return target


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the API server
    disable_nagle_algorithm = True

    def setup(self):
        super().setup()
        self.client_cn = None
        try:
            self.connection.do_handshake()
            cert = self.connection.getpeercert()
            for rdn in (cert or {}).get("subject", ()):
                for key, value in rdn:
                    if key == "commonName":
                        self.client_cn = value
        except (ssl.SSLError, OSError):
            self.close_connection = True

    def log_message(self, fmt, *args):
        pass

    # ---- answers ----
    def send(self, code, body, headers=None):
        headers = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        data = body.encode() if isinstance(body, str) else body
        if headers.pop("gzip", None) and "gzip" in self.headers.get("Accept-Encoding", ""):
            data = gzip.compress(data)
            headers["Content-Encoding"] = "gzip"
        self.send_response(code)
        self.send_header("Content-Type", headers.pop("Content-Type", "application/json"))
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def hang(self):
        """Say nothing until the client gives up and closes the connection."""
        self.wfile.flush()
        select.select([self.connection], [], [], 120)
        self.close_connection = True

    def truncate(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 3])
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_RDWR)
        self.close_connection = True

    def cut(self):
        """Connection: close without a length: the body ends where we stop."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(b'{"kind": "ConfigMap", "data": {"a": "b"')
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_RDWR)
        self.close_connection = True

    def authenticated(self):
        if self.client_cn:
            return True
        auth = self.headers.get("Authorization", "")
        return auth.startswith("Bearer ") and auth[7:] in tokens()

    def body_json(self):
        n = int(self.headers.get("Content-Length", "0") or 0)
        raw = self.rfile.read(n) if n else b""
        return raw.decode(), (json.loads(raw) if raw else None)

    # ---- dispatch ----
    def handle_any(self):
        url = urlparse(self.path)
        path, query = url.path, parse_qs(url.query)
        version = "1.20"
        for prefix, v in (("/v121", "1.21"), ("/v125", "1.25"), ("/nocron", "none")):
            if path.startswith(prefix + "/"):
                path, version = path[len(prefix):], v
        if path == "/_echo":
            return self.echo()
        if not self.authenticated():
            return self.send(401, status(401, "Unauthorized", "Unauthorized"))
        if path in ("/apis/batch/v1", "/apis/batch/v1beta1"):
            return self.discovery(path, version)
        parts = path.strip("/").split("/")
        if path.startswith("/api/v1/namespaces/faults/configmaps/"):
            return self.fault(parts[-1])
        if path.startswith("/api/v1/namespaces/store/configmaps"):
            return self.store(parts[5] if len(parts) > 5 else None)
        return self.collection(parts, query)

    def echo(self):
        text, _ = self.body_json()
        self.send(200, {"kind": "Echo", "apiVersion": "v1", "method": self.command,
                        "path": self.path, "authorization": self.headers.get("Authorization"),
                        "client_cn": self.client_cn,
                        "user_agent": self.headers.get("User-Agent"),
                        "accept": self.headers.get("Accept"),
                        "content_type": self.headers.get("Content-Type"), "body": text})

    def discovery(self, path, version):
        gv = path[len("/apis/"):]
        names = []
        if gv == "batch/v1":
            names = ["jobs", "jobs/status"] + (["cronjobs"] if version in ("1.21", "1.25") else [])
        elif gv == "batch/v1beta1" and version in ("1.20", "1.21"):
            names = ["cronjobs", "cronjobs/status"]
        else:
            return self.send(404, status(404, "NotFound", "the server could not find the "
                                                          "requested resource"))
        self.send(200, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
                        "resources": [{"name": n, "namespaced": True} for n in names]})

    def fault(self, name):
        if name == "hang":
            return self.hang()
        if name == "truncated":
            return self.truncate({"kind": "ConfigMap", "data": {"k": "v" * 3000}})
        if name == "cut":
            return self.cut()
        if name == "close":
            self.close_connection = True
            return None
        if name not in FAULTS:
            return self.send(404, status(404, "NotFound", 'configmaps "%s" not found' % name))
        code, body, headers = FAULTS[name]
        return self.send(code, body, headers)

    def store(self, name):
        text, body = self.body_json()
        with LOCK:
            if self.command == "POST":
                return self.store_create(body)
            if name not in STORE:
                return self.send(404, status(404, "NotFound",
                                             'configmaps "%s" not found' % name))
            cur = STORE[name]
            if self.command == "GET":
                return self.send(200, cur)
            if self.command == "DELETE":
                del STORE[name]
                return self.send(200, {"kind": "Status", "apiVersion": "v1", "status": "Success",
                                       "details": {"name": name, "kind": "configmaps"}})
            if self.command == "PUT":
                if body["metadata"].get("resourceVersion") != cur["metadata"]["resourceVersion"]:
                    return self.send(409, FAULTS["conflict"][1])
                new = body
            elif self.command == "PATCH":
                if self.headers.get("Content-Type") != "application/merge-patch+json":
                    return self.send(415, status(415, "UnsupportedMediaType", "bad patch type"))
                new = merge_patch(json.loads(json.dumps(cur)), body)
            else:
                return self.send(405, status(405, "MethodNotAllowed", "no"))
            new["metadata"]["resourceVersion"] = str(int(cur["metadata"]["resourceVersion"]) + 1)
            STORE[name] = new
            return self.send(200, new)

    def store_create(self, body):
        name = (body or {}).get("metadata", {}).get("name", "")
        if not name or name.lower() != name:
            return self.send(422, FAULTS["invalid"][1])
        if name in STORE:
            return self.send(409, status(409, "AlreadyExists",
                                         'configmaps "%s" already exists' % name))
        body["metadata"]["resourceVersion"] = "1"
        body.setdefault("kind", "ConfigMap")
        body.setdefault("apiVersion", "v1")
        STORE[name] = body
        return self.send(201, body)

    # ---- lists ----
    def collection(self, parts, query):
        # api/v1[/namespaces/NS]/PLURAL or apis/G/V[/namespaces/NS]/PLURAL
        if parts[0] == "api":
            gv, rest = "v1", parts[2:]
        elif parts[0] == "apis" and len(parts) >= 4:
            gv, rest = parts[1] + "/" + parts[2], parts[3:]
        else:
            return self.send(404, status(404, "NotFound", "no such path"))
        ns = None
        if len(rest) == 3 and rest[0] == "namespaces":
            ns, rest = rest[1], rest[2:]
        if len(rest) != 1 or (gv, rest[0]) not in KINDS or self.command != "GET":
            return self.send(404, status(404, "NotFound", "the server could not find the "
                                                          "requested resource"))
        plural, kind = rest[0], KINDS[(gv, rest[0])]
        if ns is None:
            items = [i for (p, n), v in sorted(DATA.items())
                     if p == plural and n in ("alpha", "beta") for i in v]
        else:
            items = DATA.get((plural, ns), [])
        return self.page(gv, kind, ns, items, query)

    def page(self, gv, kind, ns, items, query):
        limit = int(query.get("limit", ["0"])[0]) or len(items) or 1
        cont = query.get("continue", [None])[0]
        offset, epoch = 0, 0
        if cont:
            # tokens are opaque base64 on a real server; these hold '=', '+'
            # and '/' too, so a client that does not escape them fails here
            try:
                head, tail = cont.split("+", 1)
                epoch = int(head[len("e="):])
                offset = int(tail.split("/")[0][len("o="):])
            except ValueError:
                return self.send(400, status(400, "BadRequest", "bad continue %r" % cont))
        if ns == "forbidden":
            return self.send(403, status(403, "Forbidden", 'pods is forbidden: User "x" '
                                                           'cannot list resource "pods"'))
        if ns == "gone-once" and not cont:
            with LOCK:
                EPOCH["gone-once"] += 1
                epoch = EPOCH["gone-once"]
        if cont and (ns == "gone-always" or (ns == "gone-once" and epoch % 2 == 1)):
            return self.send(410, status(410, "Expired",
                                         "The provided continue parameter is too old to display "
                                         "a consistent list result. You can start a new list "
                                         "without the continue parameter."))
        if cont and ns == "truncated-page2":
            return self.truncate({"kind": kind + "List", "items": items})
        if cont and ns == "hang-page2":
            return self.hang()
        if cont and ns == "error-page2":
            return self.send(500, FAULTS["broken"][1])
        if cont and ns == "malformed-page2":
            return self.send(200, '{"kind": "PodList", "items": [}')
        selector = query.get("labelSelector", [None])[0]
        if selector is not None:
            # one selector, to see that it arrives intact (',' '=' '!' escaped)
            if selector != "app=web,tier!=db":
                return self.send(400, status(400, "BadRequest", "bad selector %r" % selector))
            items = items[:1]
        chunk = [dict(i) for i in items[offset:offset + limit]]
        meta = {"resourceVersion": "1000"}
        if offset + limit < len(items):
            meta["continue"] = "e=%d+o=%d/x==" % (epoch, offset + limit)
            meta["remainingItemCount"] = len(items) - offset - limit
            if ns == "same-token" and cont:
                meta["continue"] = cont
        if ns == "wrong-item" and chunk:
            chunk[0]["kind"] = "Secret"
        body = {"kind": kind + "List", "apiVersion": gv, "metadata": meta, "items": chunk}
        if ns == "wrong-kind":
            body["kind"] = "ConfigMapList"
        if ns == "items-null":
            body["items"] = None
            body["metadata"].pop("continue", None)
        return self.send(200, body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # a client that gives up (a timeout, a body over its cap) closes the
        # connection under our feet: expected here, not worth a traceback
        if not isinstance(sys.exc_info()[1], (OSError, ssl.SSLError)):
            super().handle_error(request, client_address)


def main():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(CERT, KEY)
    ctx.load_verify_locations(CA)
    ctx.verify_mode = ssl.CERT_REQUIRED if REQUIRE_CERT else ssl.CERT_OPTIONAL
    if REQUIRE_CERT:
        # TLS 1.3 refuses a missing client certificate after the client
        # considers the handshake done, so the client sees either the alert
        # or a broken pipe, by luck; TLS 1.2 refuses it inside the handshake
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    server = Server(("127.0.0.1", 0), Handler)
    # the handshake happens in the handler's thread (setup), so one client
    # that never finishes it cannot stop the others from being accepted
    server.socket = ctx.wrap_socket(server.socket, server_side=True,
                                    do_handshake_on_connect=False)
    with open(PORT_FILE + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(PORT_FILE + ".tmp", PORT_FILE)
    server.serve_forever()


if __name__ == "__main__":
    main()
