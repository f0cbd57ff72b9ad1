"""Raw HTTPS clients for the server tests: what curl cannot do on purpose.

  slow PORT CA SECONDS           send a request one byte per second; exit 0
                                 if the server closes it within SECONDS
  late PORT CA FILE DELAY        headers now ("headers sent" on stderr), the
                                 body after DELAY seconds; prints the status
                                 and the body
  drain PORT CA FILE PID         half the body, SIGTERM to PID, then the
                                 rest; prints the status and the body
  declared PORT CA LENGTH        headers with Content-Length LENGTH and no
                                 body; prints the status and the body
"""
import os
import signal
import socket
import ssl
import sys
import time


def connect(port, ca):
    ctx = ssl.create_default_context(cafile=ca)
    raw = socket.create_connection(("127.0.0.1", port), timeout=30)
    return ctx.wrap_socket(raw, server_hostname="localhost")


def headers(length):
    return ("POST /validate HTTP/1.1\r\nHost: localhost\r\n"
            "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % length).encode()


def read_response(s):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            raise SystemExit("connection closed before a response: %r" % data)
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    while len(rest) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        rest += chunk
    return status, rest[:length].decode()


def slow(port, ca, limit):
    s = connect(port, ca)
    req = headers(100) + b"{" * 100
    t0 = time.time()
    try:
        for b in req:
            s.send(bytes([b]))
            time.sleep(1)
            if time.time() - t0 > limit + 5:
                break
        print("not closed after %.1fs" % (time.time() - t0))
        return 1
    except (OSError, ssl.SSLError) as e:
        took = time.time() - t0
        print("closed after %.1fs (%s)" % (took, type(e).__name__))
        return 0 if took <= limit else 1


def late(port, ca, path, delay):
    body = open(path, "rb").read()
    s = connect(port, ca)
    s.sendall(headers(len(body)))
    print("headers sent", file=sys.stderr, flush=True)
    time.sleep(delay)
    s.sendall(body)
    status, text = read_response(s)
    print(status)
    print(text)
    return 0


def drain(port, ca, path, pid):
    body = open(path, "rb").read()
    s = connect(port, ca)
    half = len(body) // 2
    s.sendall(headers(len(body)) + body[:half])
    time.sleep(0.3)
    os.kill(pid, signal.SIGTERM)
    time.sleep(0.7)
    s.sendall(body[half:])
    status, text = read_response(s)
    print(status)
    print(text)
    return 0


def declared(port, ca, length):
    s = connect(port, ca)
    s.sendall(headers(length))
    status, text = read_response(s)
    print(status)
    print(text)
    return 0


def main(argv):
    cmd, port, ca = argv[1], int(argv[2]), argv[3]
    if cmd == "slow":
        return slow(port, ca, float(argv[4]))
    if cmd == "late":
        return late(port, ca, argv[4], float(argv[5]))
    if cmd == "drain":
        return drain(port, ca, argv[4], int(argv[5]))
    if cmd == "declared":
        return declared(port, ca, int(argv[4]))
    raise SystemExit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
