"""tlsflow-server with several event loops (issue 17 item 2, issue 12): --threads 2, each
loop with engine configurations of its own marked one-thread (a loop's connections share
one DRBG), under many concurrent clients of every kind at once: TLS 1.3 and TLS 1.2 full
handshakes, both resumed (a ticket sealed on one loop opens on the other: one ticket key
for all), classic.localhost (a connection that moves to the site's configuration), and
with --key-threads 2 the private-key operations on libuv's pool meanwhile. Every request
must get its own correct page (version, site, resumed or not), every connection its --log
line, the server no sanitizer report and a clean exit."""
import json
import os
import random
import socket
import ssl
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

from tfsock import CA, Server, check, finish, recv_all, wait_until

TASKS = 600
PARALLEL = 32
REQ = b"GET /json HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"


def ctx_for(kind):
    ctx = ssl.create_default_context(cafile=CA)
    if kind.startswith("13"):
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    else:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers("AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256")
    return ctx


def fetch(port, ctx, host, session=None):
    with socket.create_connection(("127.0.0.1", port), timeout=20) as raw:
        with ctx.wrap_socket(raw, server_hostname=host, session=session) as s:
            s.sendall(REQ)
            data = recv_all(s)
            return s.session, s.session_reused, json.loads(data.partition(b"\r\n\r\n")[2])


def one(port, contexts, sessions, kind):
    """One connection of a kind; returns None when all is as expected, else why not."""
    base = kind.replace("-resume", "")
    host = "classic.localhost" if base == "12classic" else "localhost"
    ctx = contexts[base]
    want_resumed = kind.endswith("-resume")
    session = sessions[base] if want_resumed else None
    try:
        _, reused, d = fetch(port, ctx, host, session)
    except (OSError, ssl.SSLError, ValueError) as e:
        return f"{kind}: {e!r}"
    c = d.get("connection", {})
    version = "TLS 1.3" if kind.startswith("13") else "TLS 1.2"
    if c.get("version_name") != version or bool(c.get("resumed")) != want_resumed or \
            reused != want_resumed:
        return f"{kind}: got {c.get('version_name')}, resumed {c.get('resumed')}/{reused}"
    if base == "12classic" and c.get("site") != "classic.localhost":
        return f"{kind}: site {c.get('site')}"
    return None


def busy_threads(pid):
    """Threads of the process that used at least 50 ms of CPU (utime + stime in ticks)."""
    n = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        n += int(fields[11]) + int(fields[12]) >= os.sysconf("SC_CLK_TCK") // 20
    return n


def load(args, what):
    log = os.path.join(tempfile.mkdtemp(prefix="tfthreads-"), "log")
    with Server("--threads", "2", "--log", log, *args) as s:
        check("2 event loops" in s.stdout(), f"{what}: two event loops", s.stdout())
        kinds = ["13", "12", "12classic"]
        contexts = {k: ctx_for(k) for k in kinds}
        sessions = {}
        for k in kinds:
            host = "classic.localhost" if k == "12classic" else "localhost"
            sessions[k], _, _ = fetch(s.port, contexts[k], host)
        plan = [random.choice(kinds + [k + "-resume" for k in kinds]) for _ in range(TASKS)]
        start = time.monotonic()
        with ThreadPoolExecutor(PARALLEL) as pool:
            results = list(pool.map(lambda k: one(s.port, contexts, sessions, k), plan))
        took = time.monotonic() - start
        bad = [r for r in results if r]
        resumes = sum(k.endswith("-resume") for k in plan)
        check(not bad, f"{what}: {TASKS} connections, {PARALLEL} at a time ({resumes} resumed, "
                       f"each on either loop), each page right ({took:.1f} s)", bad[:10])
        check(busy_threads(s.pid) >= 2, f"{what}: both event loops worked (CPU time)")
        total = TASKS + len(kinds)
        wait_until(lambda: len(open(log).read().splitlines()) >= total, timeout=20)
        lines = [json.loads(x) for x in open(log).read().splitlines()]
        check(len(lines) == total and all(x.get("outcome") == "ok" for x in lines) and
              sum(bool(x.get("resumed")) for x in lines) == resumes,
              f"{what}: one --log line per connection, all ok, {resumes} resumed",
              [x for x in lines if x.get("outcome") != "ok"][:5])
        check(s.stop() == 0, f"{what}: clean exit after the load", s.stderr()[-2000:])


if __name__ == "__main__":
    load((), "--threads 2")
    load(("--key-threads", "2"), "--threads 2 --key-threads 2 (keys on libuv's pool)")
    finish()
