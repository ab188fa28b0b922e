"""--echo (raw TLS echo, large writes with backpressure), --log JSON lines, SIGINT
with a connection open, and IPv6 listening."""
import json
import os
import signal
import socket
import ssl
import tempfile
import time

from tfsock import CA, CLIENT, Server, check, finish, https_get, rsa_context, run, text

tmp = tempfile.mkdtemp(prefix="tfecho-")
log = os.path.join(tmp, "conns.jsonl")
with Server("--echo", "--log", log) as s:
    with rsa_context().wrap_socket(socket.create_connection(("127.0.0.1", s.port), timeout=10),
                                   server_hostname="localhost") as t:
        t.sendall(b"hello tlsflow")
        check(t.recv(100) == b"hello tlsflow", "echo of a short message")
        blob = os.urandom(300_000)
        got = bytearray()
        sent = 0
        t.setblocking(False)
        deadline = time.monotonic() + 20
        while len(got) < len(blob) and time.monotonic() < deadline:
            try:
                if sent < len(blob):
                    sent += t.send(blob[sent:sent + 65536])
            except (ssl.SSLWantWriteError, ssl.SSLWantReadError, BlockingIOError):
                pass
            try:
                got += t.recv(65536)
            except (ssl.SSLWantReadError, BlockingIOError):
                time.sleep(0.001)
        check(bytes(got) == blob, f"echo of {len(blob)} bytes across many records")
        t.setblocking(True)
        t.unwrap()  # close_notify both ways: a clean close
    # Our client in stdin mode: what it reads goes out, the echo comes back.
    r = run([CLIENT, f"localhost:{s.port}", "--ca", CA], input=b"ping over tlsflow\n")
    check(r.returncode == 0 and r.stdout == b"ping over tlsflow\n", "client stdin -> echo",
          text(r.stderr)[-300:])
    # A connection left open when SIGINT arrives gets close_notify before the exit.
    t = rsa_context().wrap_socket(socket.create_connection(("127.0.0.1", s.port), timeout=10),
                                  server_hostname="localhost")
    t.sendall(b"x")
    t.recv(10)
    rc = s.stop(sig=signal.SIGINT)
    check(rc == 0, f"SIGINT: exit 0 (got {rc})")
    try:
        closed = t.recv(10) == b""
    except ssl.SSLZeroReturnError:
        closed = True
    except (ssl.SSLError, OSError):
        closed = False
    check(closed, "open connection got close_notify at shutdown")
    t.close()

lines = [json.loads(l) for l in open(log).read().splitlines()]
check(len(lines) == 3, f"one log line per connection ({len(lines)})")
for l in lines:
    check(all(k in l for k in ["peer", "sni", "suite", "outcome", "bytes_in", "bytes_out",
                               "duration_ms"]), "log line has the fields", l)
check(lines and lines[0]["outcome"] == "ok" and lines[0]["suite"].startswith("TLS_RSA"),
      "first connection: clean close", lines[:1])
check(len(lines) > 2 and lines[2]["outcome"] == "shutdown", "last: closed by shutdown",
      lines[2:])
check(lines and lines[0]["app_bytes_in"] == 300_000 + 13, "log counts application bytes")

# IPv6 loopback, when the machine has it.
try:
    socket.socket(socket.AF_INET6).bind(("::1", 0))
    have_v6 = True
except OSError:
    have_v6 = False
if have_v6:
    with Server(listen="[::1]:0") as s:
        r = run(["curl", "-sS", "-g", "--cacert", CA, f"https://[::1]:{s.port}/json"])
        check(r.returncode == 0 and '"server":\t"[::1]:' in text(r.stdout),
              "IPv6 [::1] listener, certificate valid for ::1", text(r.stderr))
else:
    print("skip IPv6: no ::1 on this machine")

# Several event loops sharing the port.
with Server("--threads", "2") as s:
    oks = sum(https_get(s.port, "/nope")[0].endswith("404 Not Found") for _ in range(20))
    check(oks == 20 and "2 event loops" in s.stdout(), "--threads 2 serves")
    check(s.stop() == 0, "--threads 2: clean exit")
finish()
