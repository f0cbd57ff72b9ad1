#!/usr/bin/python3
"""token_server.py -- the bearer-token server for the registry tests.

usage: token_server.py PORT_FILE KEY CERT ISSUER SERVICE USER:PASSWORD COUNT_FILE

Speaks the distribution token protocol the way docker's auth service does:
GET /token?service=S&scope=repository:NAME:ACTIONS[&scope=...] with basic
credentials answers {"token", "access_token", "expires_in", "issued_at"}
where the token is an RS256 JWT signed with KEY, carrying CERT in its x5c
header so the registry (auth.token.rootcertbundle = CERT) can verify it.
Wrong or missing credentials get 401.  Every token issued appends a line to
COUNT_FILE, so tests can see how many tokens a client asked for.  Binds
127.0.0.1 on a free port and writes the port to PORT_FILE once listening.
Needs Debian's python3-jwt and python3-cryptography.
"""
import base64
import http.server
import json
import os
import sys
import time
import uuid
from urllib.parse import parse_qs, urlparse

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization

PORT_FILE, KEY, CERT, ISSUER, SERVICE, CREDS, COUNT_FILE = sys.argv[1:8]

with open(KEY, "rb") as f:
    # parsed once: checking an RSA key takes ~40 ms, which jwt.encode would
    # otherwise pay on every token
    PRIVATE_KEY = serialization.load_pem_private_key(f.read(), password=None)
with open(CERT, "rb") as f:
    CERT_DER = x509.load_pem_x509_certificate(f.read()).public_bytes(
        serialization.Encoding.DER)
X5C = [base64.b64encode(CERT_DER).decode()]
WANT_AUTH = "Basic " + base64.b64encode(CREDS.encode()).decode()


def access_for(scopes):
    access = []
    for scope in scopes:
        for one in scope.split(" "):
            parts = one.split(":")
            if len(parts) >= 3 and parts[0] == "repository":
                name = ":".join(parts[1:-1])
                access.append({"type": "repository", "name": name,
                               "actions": parts[-1].split(",")})
    return access


class Handler(http.server.BaseHTTPRequestHandler):
    # One segment per answer: headers and body written apart would meet
    # Nagle's algorithm and delayed ACKs, adding 40 ms to every token.
    disable_nagle_algorithm = True
    wbufsize = 1 << 16

    def do_GET(self):
        url = urlparse(self.path)
        if url.path != "/token":
            self.send_error(404)
            return
        if self.headers.get("Authorization") != WANT_AUTH:
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        query = parse_qs(url.query)
        now = int(time.time())
        claims = {"iss": ISSUER, "sub": CREDS.split(":")[0], "aud": SERVICE,
                  "exp": now + 300, "nbf": now - 10, "iat": now, "jti": str(uuid.uuid4()),
                  "access": access_for(query.get("scope", []))}
        token = jwt.encode(claims, PRIVATE_KEY, algorithm="RS256", headers={"x5c": X5C})
        body = json.dumps({"token": token, "access_token": token, "expires_in": 300,
                           "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                      time.gmtime(now))}).encode()
        with open(COUNT_FILE, "a") as f:
            f.write(" ".join(query.get("scope", [])) + "\n")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass  # the count file is the log that matters


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(PORT_FILE + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(PORT_FILE + ".tmp", PORT_FILE)
    server.serve_forever()


if __name__ == "__main__":
    main()
