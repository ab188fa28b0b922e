"""examples/server_epoll against Python's ssl module (OpenSSL underneath, an independent
stack): 16 clients at once, TLS 1.3 and 1.2, each writing 1 MiB while it reads the echo
(full duplex, through 32 KiB client socket buffers), checking every byte and closing with close_notify both ways; --max-conns 8 holds (more wait
in the backlog and are served later). A silent client is dropped after --idle; peers that
go away (hang up, reset, plain text, mid stream) leave the server serving; SIGTERM stops it
with status 0 (no leak under ASan)."""
import hashlib
import os
import re
import selectors
import socket
import ssl
import struct
import threading
import time

import exrun
from exrun import check, fixture

CLIENTS = 16
MAX_CONNS = 8
SIZE = 1 << 20


def context(version=None):
    ctx = ssl.create_default_context(cafile=fixture("ca.pem"))
    if version:
        ctx.minimum_version = ctx.maximum_version = version
    return ctx


def echo(port, version, size=SIZE):
    """One client: writes size random bytes while reading what comes back, non-blocking
    in both directions; then close_notify and the server's. Returns what went wrong."""
    data = os.urandom(size)
    raw = socket.socket()
    for opt in (socket.SO_RCVBUF, socket.SO_SNDBUF):  # small pipes: both ways must flow
        raw.setsockopt(socket.SOL_SOCKET, opt, 32768)
    raw.settimeout(20)
    raw.connect(("127.0.0.1", port))
    with context(version).wrap_socket(raw, server_hostname="localhost") as s:
        s.setblocking(False)
        sent, got = 0, hashlib.sha256()
        n_got, end = 0, time.monotonic() + 20
        sel = selectors.DefaultSelector()
        while n_got < size and time.monotonic() < end:
            moved = False
            if sent < size:
                try:
                    sent += s.send(data[sent:sent + 65536])
                    moved = True
                except (ssl.SSLWantWriteError, ssl.SSLWantReadError):
                    pass
            try:
                while True:
                    b = s.recv(65536)
                    if not b:
                        return f"the server closed after {n_got} bytes"
                    got.update(b)
                    n_got += len(b)
                    moved = True
            except ssl.SSLWantReadError:
                pass
            if not moved:
                sel.register(s, selectors.EVENT_READ | (selectors.EVENT_WRITE if sent < size else 0))
                sel.select(0.5)
                sel.unregister(s)
        if n_got != size or got.digest() != hashlib.sha256(data).digest():
            return f"echo differs: {n_got} of {size} bytes came back"
        s.setblocking(True)
        s.settimeout(10)
        s.unwrap()  # our close_notify, then the server's
    return None


def run_clients(port, n):
    results = [None] * n
    versions = [ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2]

    def one(i):
        try:
            results[i] = echo(port, versions[i % 2])
        except Exception as e:
            results[i] = repr(e)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(25)
    return results


def misbehave(port):
    """Peers that go away at every stage."""
    s = socket.create_connection(("127.0.0.1", port))
    s.close()  # connect, hang up
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET / HTTP/1.0\r\n\r\n")  # plain text to a TLS port
    s.close()
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")  # half a ClientHello, then RST
    s.close()
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    t = context().wrap_socket(raw, server_hostname="localhost")
    t.sendall(b"x" * 100000)  # mid stream: reset with the echo unread
    t.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    t.close()


def body():
    exrun.check_usage()
    server = exrun.example_server("server_epoll", "--cert", fixture("server.pem"), "--key",
                                  fixture("server.key"), "--max-conns", str(MAX_CONNS),
                                  "--idle", "2")
    t = time.monotonic()
    results = run_clients(server.port, CLIENTS)
    bad = [r for r in results if r]
    check(not bad, f"{CLIENTS} clients at once (TLS 1.3 and 1.2), 1 MiB echoed each, full "
          f"duplex, close_notify both ways ({time.monotonic() - t:.1f} s)", bad)
    check(server.wait_output(rf"closed cleanly by the peer \(close_notify\), {SIZE} bytes echoed",
                             CLIENTS), f"the server logged {CLIENTS} clean closes", server.output())
    opens = [int(n) for n in re.findall(r"open \((\d+) open\)", server.output())]
    check(opens and max(opens) <= MAX_CONNS,
          f"never more than --max-conns {MAX_CONNS} at once (peak {max(opens or [0])})")

    misbehave(server.port)
    silent = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    t = time.monotonic()
    gone = silent.recv(1) == b""  # the server hangs up on a client that says nothing
    check(gone and time.monotonic() - t < 8, f"--idle 2: a silent client dropped after "
          f"{time.monotonic() - t:.1f} s")
    silent.close()
    check(not run_clients(server.port, 2)[0], "still serving after peers that went away")
    check(server.wait_output(r"Connection reset by peer|TLSFLOW_E_", 3),
          "the server reported the peers that went away", server.output())
    rc = server.stop()
    out = server.output()
    print("server_epoll's log, after the clients:", *out.splitlines()[-12:], sep="\n  ")
    check(rc == 0 and "stopping" in out and "Sanitizer" not in out, "SIGTERM: clean stop, status 0",
          f"status {rc}\n{out[-2000:]}")


exrun.main(body)
