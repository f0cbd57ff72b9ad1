"""Abusive clients for test_faults.sh: what curl will not do on purpose.

  halfhello PORT SECONDS        TCP, the first 40 bytes of a ClientHello, then
                                silence; exit 0 if the server closes within
                                SECONDS
  halfhandshake PORT CA SECONDS a ClientHello, read the server's flight, then
                                silence (no Finished); exit 0 if closed in time
  idle PORT CA N FILE REQUESTS  REQUESTS timed reviews (FILE) on fresh TLS
                                connections, then N idle connections opened
                                (half plain TCP, half after a TLS handshake),
                                then REQUESTS timed reviews again; prints JSON
                                {"idle_open", "before_ms", "during_ms", "ok"}
  fullbody PORT CA LENGTH       headers with Content-Length LENGTH, then the
                                body (no Expect) until the server answers;
                                prints the status and the body of the answer
"""
import json
import select
import socket
import ssl
import statistics
import sys
import time


def tls_context(ca):
    return ssl.create_default_context(cafile=ca)


def closed_within(sock, limit):
    """Wait for the server to close `sock`; seconds taken, or None."""
    t0 = time.time()
    sock.settimeout(limit + 5)
    try:
        while sock.recv(65536):
            pass
    except (socket.timeout, TimeoutError):
        return None
    except OSError:
        pass  # a reset is a close too
    took = time.time() - t0
    return took if took <= limit else None


def client_hello(ca):
    """The bytes of a real ClientHello, from an ssl object on memory BIOs."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = tls_context(ca).wrap_bio(incoming, outgoing, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return obj, incoming, outgoing.read()


def halfhello(port, ca, limit):
    _, _, hello = client_hello(ca)
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(hello[:40])
    took = closed_within(s, limit)
    print("closed after %.1fs" % took if took is not None else "not closed in time")
    return 0 if took is not None else 1


def halfhandshake(port, ca, limit):
    obj, incoming, hello = client_hello(ca)
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(hello)
    s.settimeout(5)
    got = s.recv(65536)  # ServerHello and the rest of the server's flight
    incoming.write(got)
    if not got or got[0] != 0x16:
        print("no handshake record from the server: %r" % got[:16])
        return 1
    took = closed_within(s, limit)  # we never send our Finished
    print("server flight %d bytes; closed after %.1fs" % (len(got), took)
          if took is not None else "not closed in time")
    return 0 if took is not None else 1


def review(port, ctx, body):
    """One review on a fresh connection; (status, milliseconds)."""
    t0 = time.perf_counter()
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    s = ctx.wrap_socket(raw, server_hostname="localhost")
    s.sendall(("POST /validate HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
               "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
               % len(body)).encode() + body)
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else 0
    return status, (time.perf_counter() - t0) * 1000


def timed(port, ctx, body, n):
    results = [review(port, ctx, body) for _ in range(n)]
    return [ms for _, ms in results], sum(1 for st, _ in results if st == 200)


def idle(port, ca, n, path, requests):
    ctx = tls_context(ca)
    body = open(path, "rb").read()
    before, ok_before = timed(port, ctx, body, requests)
    held = []
    for i in range(n):
        raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        held.append(ctx.wrap_socket(raw, server_hostname="localhost") if i % 2 else raw)
    during, ok_during = timed(port, ctx, body, requests)
    still = 0
    for s in held:  # are they still open, i.e. not cut to make room?
        s.setblocking(False)
        try:
            still += 1 if s.recv(1) else 0
        except (BlockingIOError, ssl.SSLWantReadError):
            still += 1
        except OSError:
            pass
        s.close()
    print(json.dumps({
        "idle_open": still,
        "before_ms": {"median": round(statistics.median(before), 2), "max": round(max(before), 2)},
        "during_ms": {"median": round(statistics.median(during), 2), "max": round(max(during), 2)},
        "ok": ok_before + ok_during,
    }))
    return 0


def fullbody(port, ca, length):
    """Send the whole body like a naive client, but read whenever the server
    has answered (it may answer 413 and close before the last byte; after a
    close with unread bytes the kernel resets, and a reply not read by then
    is lost -- so read before sending more, as curl does)."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=30)
    s = tls_context(ca).wrap_socket(raw, server_hostname="localhost")
    s.sendall(("POST /validate HTTP/1.1\r\nHost: localhost\r\n"
               "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
               % length).encode())
    data = b""
    left = length
    chunk = b" " * 16384
    try:
        while left > 0:
            readable, _, _ = select.select([s], [], [], 0)
            if readable or s.pending():
                break
            left -= s.send(chunk[:min(left, len(chunk))])
    except OSError:
        pass  # the server closed while we were still sending
    try:
        while b"\r\n\r\n" not in data or len(data.partition(b"\r\n\r\n")[2]) < clen(data):
            got = s.recv(65536)
            if not got:
                break
            data += got
    except OSError:
        pass
    head, _, rest = data.partition(b"\r\n\r\n")
    print(int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.1 ") else 0)
    print(rest[:clen(data)].decode())
    print("sent %d of %d body bytes" % (length - left, length), file=sys.stderr)
    return 0


def clen(data):
    for line in data.partition(b"\r\n\r\n")[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


def main(argv):
    cmd = argv[1]
    if cmd == "halfhello":
        return halfhello(int(argv[2]), None, float(argv[3]))
    if cmd == "halfhandshake":
        return halfhandshake(int(argv[2]), argv[3], float(argv[4]))
    if cmd == "idle":
        return idle(int(argv[2]), argv[3], int(argv[4]), argv[5], int(argv[6]))
    if cmd == "fullbody":
        return fullbody(int(argv[2]), argv[3], int(argv[4]))
    raise SystemExit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
