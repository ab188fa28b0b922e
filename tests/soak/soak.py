"""Soak test driver (issue 14), run by ci/soak: two tlsflow-server processes (HTTP and
--echo) on their default local PKI in a temp dir, a bounded mix of clients in parallel for
MINUTES, and the servers' RSS and open descriptors sampled every second into a CSV.

Kinds of clients (each a short function below):
  good     full handshakes that must succeed: Python ssl (RSA, ECDHE-RSA, ECDHE-ECDSA)
           fetching / and /json, echo of random data with close_notify both ways,
           openssl s_client, curl, tlsflow-client. Any failure fails the soak.
  slow     a ClientHello one byte every 300 ms until the handshake timeout; a finished
           handshake left idle until the idle timeout; a request one byte every 300 ms.
  garbage  random bytes, truncated and bit-flipped ClientHellos, random alert records,
           garbage records after a real handshake.
  abort    gone after the ClientHello, after the server flight, after the
           ClientKeyExchange (python3-cryptography), mid-request (RST).
slow/garbage/abort outcomes that are not what the server should do (it never closed, no
server flight) are counted as anomalies and printed; they do not fail the soak.

Growth criterion (printed at the end), for each server:
  baseline = samples of the second minute (60 s <= t < 120 s); tail = the last third of
  the run. For runs under 3 minutes: baseline = the middle third.
  RSS:  max(tail) <= max(baseline) * (1 + RSS_TOLERANCE) + RSS_SLACK_KB
  fds:  min(tail) <= min(baseline) + FD_FLOOR_SLACK    (leaked descriptors raise the
        floor; with more samples a fair minimum can only go down)
        max(tail) <= max(baseline) + clients that can hold one at once (a peak is how
        many clients happen to be connected at that second)
and at the end, with no clients left, the descriptors fall back to the idle count."""
import argparse
import csv
import json
import os
import random
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "socket"))
import rawtls  # noqa: E402  (tests/socket/rawtls.py: raw records and a hand-made client)

RSS_TOLERANCE = 0.05   # 5 % ...
RSS_SLACK_KB = 1024    # ... plus 1 MiB, for allocator noise
FD_FLOOR_SLACK = 2
SLOW_BYTE_S = 0.3
CLOSE_SLACK_S = 15     # how much later than its timeout the server may close, under load
STEP_TIMEOUT = 30      # any single client step or external command


class Failure(Exception):
    """A client saw something it must not."""


class Anomaly(Exception):
    """A misbehaving client saw the server do something unexpected (reported only)."""


# ---- the servers --------------------------------------------------------------------------

class Server:
    def __init__(self, binary, workdir, logdir, name, args):
        self.name = name
        self.out = os.path.join(logdir, f"{name}.stdout")
        self.err = os.path.join(logdir, f"{name}.stderr")
        # No --pki-dir: the default ./tlsflow-pki of the temp dir, created on first start.
        self.proc = subprocess.Popen([binary, "--listen", "127.0.0.1:0", *args], cwd=workdir,
                                     stdout=open(self.out, "w"), stderr=open(self.err, "w"),
                                     stdin=subprocess.DEVNULL)
        self.port = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.port is None:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{name} server exited: {open(self.err).read()}")
            for line in open(self.out).read().splitlines():
                if line.startswith("listening on "):
                    self.port = int(line.rsplit(":", 1)[1])
            time.sleep(0.05)
        if self.port is None or not self._wait_banner(deadline):
            self.stop()
            raise RuntimeError(f"{name} server did not start")

    def _wait_banner(self, deadline):
        while time.monotonic() < deadline:
            if "Ctrl-C" in open(self.out).read():
                return True
            time.sleep(0.05)
        return False

    def sample(self):
        """(VmRSS kB, open descriptors, CPU seconds) from /proc, or None if it is gone."""
        pid = self.proc.pid
        try:
            rss = next(int(l.split()[1]) for l in open(f"/proc/{pid}/status")
                       if l.startswith("VmRSS:"))
            fds = len(os.listdir(f"/proc/{pid}/fd"))
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, StopIteration):
            return None
        return rss, fds, cpu

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # our own child, by its PID
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        return self.proc.returncode


# ---- client helpers -----------------------------------------------------------------------

class Env:
    def __init__(self, http, echo, ca, client_bin, hs_timeout, idle_timeout):
        self.http, self.echo, self.ca, self.client_bin = http, echo, ca, client_bin
        self.hs_timeout, self.idle_timeout = hs_timeout, idle_timeout
        self.ctx = {}
        for name, ciphers in [("rsa", "AES128-GCM-SHA256:AES256-GCM-SHA384"),
                              ("ecdhe-rsa", "ECDHE-RSA-AES128-GCM-SHA256:"
                               "ECDHE-RSA-CHACHA20-POLY1305"),
                              ("ecdhe-ecdsa", "ECDHE-ECDSA-AES128-GCM-SHA256:"
                               "ECDHE-ECDSA-AES256-GCM-SHA384")]:
            c = ssl.create_default_context(cafile=ca)
            c.set_ciphers(ciphers)
            c.maximum_version = ssl.TLSVersion.TLSv1_2
            self.ctx[name] = c


def tcp(port, timeout=STEP_TIMEOUT):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def rst_close(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def wait_closed(s, limit):
    """Seconds until the server closed (EOF or reset), draining what it sends; None if it
    did not close within `limit`."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        s.settimeout(max(0.05, min(1.0, limit - (time.monotonic() - t0))))
        try:
            if not s.recv(65536):
                return time.monotonic() - t0
        except socket.timeout:
            continue
        except OSError:  # reset, or our own send failed before
            return time.monotonic() - t0
    return None


def python_hello():
    """A real first flight of Python's ssl (RSA suites), from a memory BIO."""
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_ciphers("AES128-GCM-SHA256")
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    obj = ctx.wrap_bio(inc, out, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def bio_session(env, port, ctx):
    """A handshake through a memory BIO over a plain socket: (socket, SSLObject, flush)."""
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname="localhost")
    s = tcp(port)
    deadline = time.monotonic() + STEP_TIMEOUT
    while True:
        try:
            obj.do_handshake()
            break
        except ssl.SSLWantReadError:
            s.sendall(out.read())
            s.settimeout(max(0.1, deadline - time.monotonic()))
            data = s.recv(65536)
            if not data:
                raise Failure("server closed during the handshake")
            inc.write(data)
    s.sendall(out.read())
    return s, obj, out, inc


def https_get(env, path, ctx_name):
    ctx = env.ctx[ctx_name]
    with tcp(env.http.port) as raw:
        # suppress_ragged_eofs=False: the reply must end with close_notify, not a bare FIN.
        with ctx.wrap_socket(raw, server_hostname="localhost",
                             suppress_ragged_eofs=False) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                      .encode())
            data = b""
            while True:
                try:
                    chunk = s.recv(65536)
                except ssl.SSLEOFError:
                    raise Failure(f"GET {path}: connection ended without close_notify")
                if not chunk:
                    break
                data += chunk
            cipher = s.cipher()[0]
    head, _, body = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise Failure(f"GET {path}: {head[:60]!r}")
    return body, cipher


# ---- good clients -------------------------------------------------------------------------

def good_python_root(env):
    body, _ = https_get(env, "/", random.choice(list(env.ctx)))
    if b"TLS 1.2" not in body:
        raise Failure("GET /: page does not name TLS 1.2")


def good_python_json(env):
    name = random.choice(list(env.ctx))
    body, cipher = https_get(env, "/json", name)
    conn = json.loads(body)["connection"]
    if not conn["finished_verified"] or not conn["extended_master_secret"]:
        raise Failure(f"/json: {conn}")
    want = {"rsa": "RSA", "ecdhe-rsa": "ECDHE", "ecdhe-ecdsa": "ECDHE"}[name]
    if conn["key_exchange"] != want:
        raise Failure(f"/json: key exchange {conn['key_exchange']}, wanted {want} ({cipher})")


def good_echo(env):
    blob = os.urandom(random.choice([1, 100, 5000, 16384, 70000]))
    with tcp(env.echo.port) as raw:
        s = env.ctx[random.choice(list(env.ctx))].wrap_socket(raw, server_hostname="localhost")
        got = bytearray()
        sent = 0
        while len(got) < len(blob):
            if sent < len(blob):
                n = min(16384, len(blob) - sent)
                s.sendall(blob[sent:sent + n])
                sent += n
            while len(got) < sent:
                chunk = s.recv(65536)
                if not chunk:
                    raise Failure(f"echo: closed after {len(got)} of {len(blob)} bytes")
                got += chunk
        if bytes(got) != blob:
            raise Failure("echo: data differs")
        s.unwrap()  # close_notify both ways
        s.close()


def run_cmd(cmd, input=None):
    try:
        return subprocess.run(cmd, input=input, capture_output=True, timeout=STEP_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise Failure(f"{cmd[0]} timed out")


def good_s_client(env):
    cipher = random.choice(["AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384",
                            "ECDHE-ECDSA-CHACHA20-POLY1305"])
    r = run_cmd(["openssl", "s_client", "-connect", f"127.0.0.1:{env.http.port}",
                 "-servername", "localhost", "-CAfile", env.ca, "-verify_return_error",
                 "-tls1_2", "-cipher", cipher, "-quiet", "-ign_eof"],
                input=b"GET /json HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    out = r.stdout.decode(errors="replace")
    if r.returncode != 0 or "HTTP/1.1 200" not in out or '"finished_verified":\ttrue' not in out:
        raise Failure(f"s_client {cipher}: rc {r.returncode} "
                      f"{r.stderr.decode(errors='replace')[-300:]}")


def good_curl(env):
    path = random.choice(["/", "/json"])
    r = run_cmd(["curl", "-sS", "--fail", "--max-time", "20", "--cacert", env.ca,
                 "--resolve", f"localhost:{env.http.port}:127.0.0.1",
                 f"https://localhost:{env.http.port}{path}"])
    if r.returncode != 0 or b"TLS 1.2" not in r.stdout:
        raise Failure(f"curl {path}: rc {r.returncode} {r.stderr.decode(errors='replace')}")


def good_tlsflow_client(env):
    r = run_cmd([env.client_bin, f"localhost:{env.http.port}", "--ca", env.ca,
                 "--get", "/json"])
    if r.returncode != 0 or b'"finished_verified":\ttrue' not in r.stdout:
        raise Failure(f"tlsflow-client: rc {r.returncode} "
                      f"{r.stderr.decode(errors='replace')[-300:]}")


def good_resumed(env):
    """A full handshake, then one offering its session (a ticket), which must be resumed
    (in the mix unless TLSFLOW_SOAK_RESUME=0)."""
    ctx = env.ctx["rsa"]
    with ctx.wrap_socket(tcp(env.http.port), server_hostname="localhost") as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        while s.recv(65536):
            pass
        session = s.session
    with ctx.wrap_socket(tcp(env.http.port), server_hostname="localhost",
                         session=session) as s:
        if not s.session_reused:
            raise Failure("second handshake was not resumed")


# ---- slow clients -------------------------------------------------------------------------

def slow_hello(env):
    """The ClientHello one byte every SLOW_BYTE_S: closed by the handshake timeout."""
    hello = python_hello()
    s = tcp(env.http.port)
    t0 = time.monotonic()
    limit = env.hs_timeout + CLOSE_SLACK_S
    try:
        for b in hello:
            s.sendall(bytes([b]))
            s.settimeout(SLOW_BYTE_S)
            try:
                if not s.recv(4096):
                    break
            except socket.timeout:
                pass
            if time.monotonic() - t0 > limit:
                raise Anomaly("slow hello: not closed by the handshake timeout")
    except OSError:
        pass  # closed under us: what we wait for
    left = wait_closed(s, max(0.1, limit - (time.monotonic() - t0)))
    s.close()
    took = time.monotonic() - t0
    if left is None:
        raise Anomaly(f"slow hello: still open after {took:.0f}s")
    if took < env.hs_timeout - 1:
        raise Anomaly(f"slow hello: closed after {took:.1f}s, before the handshake timeout")
    return f"closed after {took:.1f}s"


def slow_idle(env):
    """A finished handshake, then silence: closed (close_notify) by the idle timeout."""
    s = env.ctx["rsa"].wrap_socket(tcp(env.http.port), server_hostname="localhost")
    t0 = time.monotonic()
    s.settimeout(env.idle_timeout + CLOSE_SLACK_S)
    try:
        closed = s.recv(100) == b""
    except (ssl.SSLZeroReturnError, ssl.SSLEOFError, ConnectionResetError):
        closed = True
    except socket.timeout:
        closed = False
    s.close()
    took = time.monotonic() - t0
    if not closed:
        raise Anomaly(f"idle: not closed after {took:.0f}s")
    if took < env.idle_timeout - 1:
        raise Anomaly(f"idle: closed after {took:.1f}s, before the idle timeout")
    return f"closed after {took:.1f}s"


def slow_request(env):
    """After the handshake, the request one byte every SLOW_BYTE_S: served or closed by a
    timeout, either way within bounds."""
    s, obj, out, inc = bio_session(env, env.http.port, env.ctx["ecdhe-rsa"])
    obj.write(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    wire = out.read()
    t0 = time.monotonic()
    limit = env.hs_timeout + env.idle_timeout + CLOSE_SLACK_S
    try:
        for b in wire:
            s.sendall(bytes([b]))
            time.sleep(SLOW_BYTE_S)
            if time.monotonic() - t0 > limit:
                break
    except OSError:
        pass
    left = wait_closed(s, max(0.1, limit - (time.monotonic() - t0)))
    s.close()
    if left is None:
        raise Anomaly("slow request: neither served nor closed")
    return f"ended after {time.monotonic() - t0:.1f}s"


# ---- garbage ------------------------------------------------------------------------------

def send_and_wait(env, port, data, half_close, s=None):
    """Send `data` (on `s`, else a new connection to `port`), half-close if asked, and
    wait for the server to close: an anomaly if it does not within its timeout."""
    s = s or tcp(port)
    try:
        s.sendall(data)
        if half_close:
            s.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    took = wait_closed(s, env.hs_timeout + CLOSE_SLACK_S)
    s.close()
    if took is None:
        raise Anomaly("server did not close")


def garbage_random(env):
    send_and_wait(env, random.choice([env.http, env.echo]).port,
                  os.urandom(random.randint(1, 4096)), random.random() < 0.5)


def garbage_truncated(env):
    rec = rawtls.record(rawtls.CT_HANDSHAKE, rawtls.client_hello(), version=0x0301)
    send_and_wait(env, env.http.port, rec[:random.randint(1, len(rec) - 1)], True)


def garbage_bitflip(env):
    rec = bytearray(rawtls.record(rawtls.CT_HANDSHAKE, rawtls.client_hello()))
    for _ in range(random.randint(1, 8)):
        rec[random.randrange(len(rec))] ^= 1 << random.randrange(8)
    send_and_wait(env, env.http.port, bytes(rec), random.random() < 0.5)


def garbage_alerts(env):
    data = b"".join(rawtls.record(rawtls.CT_ALERT, os.urandom(random.choice([0, 1, 2, 2, 2, 3])))
                    for _ in range(random.randint(1, 40)))
    if random.random() < 0.5:
        data += rawtls.record(rawtls.CT_HANDSHAKE, rawtls.client_hello())
    send_and_wait(env, env.http.port, data, random.random() < 0.5)


def garbage_after_handshake(env):
    """A real handshake, then a record of random bytes: bad_record_mac, closed."""
    s, obj, out, inc = bio_session(env, env.echo.port, env.ctx[random.choice(list(env.ctx))])
    n = random.randint(1, 2000)
    send_and_wait(env, None, struct.pack("!BHH", random.choice([21, 22, 23]), 0x0303, n)
                  + os.urandom(n), False, s)


# ---- aborted handshakes ---------------------------------------------------------------

def goodbye(s):
    rst_close(s) if random.random() < 0.5 else s.close()


def abort_after_hello(env):
    s = tcp(env.http.port)
    s.sendall(python_hello())
    goodbye(s)


def abort_after_flight(env):
    w = rawtls.Wire(random.choice([env.http, env.echo]).port)
    w.send(rawtls.record(rawtls.CT_HANDSHAKE, rawtls.client_hello()))
    hs, types = b"", []
    while rawtls.HS_SERVER_HELLO_DONE not in types:
        rec = w.record(STEP_TIMEOUT)
        if rec is None or rec[0] != rawtls.CT_HANDSHAKE:
            w.close()
            raise Anomaly(f"no complete server flight (got {types}, {rec})")
        hs += rec[2]
        while len(hs) >= 4 and len(hs) >= 4 + int.from_bytes(hs[1:4], "big"):
            types.append(hs[0])
            hs = hs[4 + int.from_bytes(hs[1:4], "big"):]
    goodbye(w.sock)


def abort_after_cke(env):
    t = rawtls.Tls12Client(random.choice([env.http, env.echo]).port)
    t.hello()
    t.server_flight()
    t.key_exchange()
    if random.random() < 0.5:
        t.change_cipher_spec()
    goodbye(t.wire.sock)


def abort_mid_request(env):
    t = env.ctx[random.choice(list(env.ctx))].wrap_socket(tcp(env.http.port),
                                                          server_hostname="localhost")
    t.sendall(b"GET / HT")
    rst_close(t)


# ---- the run --------------------------------------------------------------------------

GOOD = [good_python_root, good_python_json, good_echo, good_s_client, good_curl,
        good_tlsflow_client]
SLOW = [slow_hello, slow_idle, slow_request]
GARBAGE = [garbage_random, garbage_truncated, garbage_bitflip, garbage_alerts,
           garbage_after_handshake]
ABORT = [abort_after_hello, abort_after_flight, abort_mid_request]
CATEGORY = {f.__name__: c for c, fs in [("good", GOOD + [good_resumed]), ("slow", SLOW),
                                        ("garbage", GARBAGE),
                                        ("abort", ABORT + [abort_after_cke])] for f in fs}


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.ok = defaultdict(int)
        self.bad = defaultdict(list)  # kind -> messages (failures or anomalies)
        self.active = 0
        self.done = 0

    def record(self, kind, err):
        with self.lock:
            self.done += 1
            if err is None:
                self.ok[kind] += 1
            else:
                self.bad[kind].append(err)


def worker(env, kinds, weights, stop, tally, pace):
    rng = random.Random()
    while not stop.is_set():
        fn = rng.choices(kinds, weights)[0]
        err = None
        with tally.lock:
            tally.active += 1
        try:
            fn(env)
        except (Failure, Anomaly) as e:
            err = str(e)
        except Exception as e:  # noqa: BLE001 - any surprise is a result to report
            err = f"{type(e).__name__}: {e}"
        finally:
            with tally.lock:
                tally.active -= 1
        if err is not None:
            err = " | ".join(l.strip() for l in err.splitlines() if l.strip())[-300:]
        tally.record(fn.__name__, err)
        stop.wait(rng.uniform(*pace))


def growth(samples, duration, column):
    """(baseline list, tail list, window description) of one CSV column."""
    if duration >= 180:
        base = [s[column] for s in samples if 60 <= s["t"] < 120]
        bdesc = "second minute (60-120 s)"
    else:
        base = [s[column] for s in samples if duration / 3 <= s["t"] < 2 * duration / 3]
        bdesc = "middle third (run under 3 minutes)"
    tail = [s[column] for s in samples if s["t"] >= 2 * duration / 3]
    return base, tail, bdesc


def verdict(samples, duration, n, clients):
    """The growth criterion for server `n`: (lines to print, failures)."""
    rb, rt, bdesc = growth(samples, duration, f"{n}_rss")
    fb, ft, _ = growth(samples, duration, f"{n}_fds")
    if not rb or not rt:
        return [], [f"{n}: too few samples for the criterion"]
    rss_limit = max(rb) * (1 + RSS_TOLERANCE) + RSS_SLACK_KB
    lines = [f"RSS max {bdesc} {max(rb)} kB, max last third {max(rt)} kB "
             f"(limit {rss_limit:.0f}); fds {bdesc} min/max {min(fb)}/{max(fb)}, "
             f"last third {min(ft)}/{max(ft)}"]
    bad = []
    if max(rt) > rss_limit:
        bad.append(f"{n}: RSS grew: {max(rt)} kB > {rss_limit:.0f} kB")
    if min(ft) > min(fb) + FD_FLOOR_SLACK:
        bad.append(f"{n}: descriptor floor grew: {min(ft)} > {min(fb)} + {FD_FLOOR_SLACK}")
    if max(ft) > max(fb) + clients:
        bad.append(f"{n}: descriptor peak grew: {max(ft)} > {max(fb)} + {clients}")
    return lines, bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--server", required=True)
    ap.add_argument("--client", required=True)
    ap.add_argument("--out", required=True, help="directory for the CSV and the server logs")
    ap.add_argument("--fast-workers", type=int, default=8)
    ap.add_argument("--slow-workers", type=int, default=3)
    ap.add_argument("--handshake-timeout", type=int, default=5)
    ap.add_argument("--idle-timeout", type=int, default=10)
    a = ap.parse_args()
    a.server, a.client = os.path.abspath(a.server), os.path.abspath(a.client)
    resume = os.environ.get("TLSFLOW_SOAK_RESUME", "1") != "0"
    crypto = rawtls.have_crypto()

    os.makedirs(a.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="tfsoak-")
    opts = ["--handshake-timeout", str(a.handshake_timeout),
            "--idle-timeout", str(a.idle_timeout)]
    http = Server(a.server, work, a.out, "http", opts)
    echo = Server(a.server, work, a.out, "echo", opts + ["--echo"])
    ca = os.path.join(work, "tlsflow-pki", "ca.pem")
    env = Env(http, echo, ca, a.client, a.handshake_timeout, a.idle_timeout)
    print(f"soak: {a.minutes:g} min; servers {a.server} (HTTP port {http.port}, "
          f"echo port {echo.port}, PIDs {http.proc.pid}/{echo.proc.pid}), PKI in {work}, "
          f"--handshake-timeout {a.handshake_timeout} --idle-timeout {a.idle_timeout}; "
          f"{a.fast_workers} fast + {a.slow_workers} slow clients at a time", flush=True)
    if not crypto:
        print("soak: python3-cryptography missing: no abort_after_cke clients", flush=True)
    print("soak: resumed handshakes " + ("in the mix" if resume else
                                         "left out (TLSFLOW_SOAK_RESUME=0)"), flush=True)

    # Warm up once each (lazily opened descriptors), then the idle descriptor counts.
    for fn in (good_python_json, good_echo):
        fn(env)
    time.sleep(0.5)
    idle_fds = {s.name: s.sample()[1] for s in (http, echo)}

    fast = GOOD + GARBAGE + ABORT + ([good_resumed] if resume else []) + \
        ([abort_after_cke] if crypto else [])
    weights = [{"good": 6, "garbage": 2, "abort": 2}[CATEGORY[f.__name__]] for f in fast]
    stop = threading.Event()
    tally = Tally()
    threads = [threading.Thread(target=worker, args=(env, fast, weights, stop, tally,
                                                     (0.05, 0.3)), daemon=True)
               for _ in range(a.fast_workers)]
    threads += [threading.Thread(target=worker, args=(env, SLOW, [1] * len(SLOW), stop, tally,
                                                      (0.1, 1.0)), daemon=True)
                for _ in range(a.slow_workers)]
    csv_path = os.path.join(a.out, "soak.csv")
    samples = []
    t0 = time.monotonic()
    for t in threads:
        t.start()
    duration = a.minutes * 60
    gone = None
    with open(csv_path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["t", "http_rss_kb", "http_fds", "http_cpu_s", "echo_rss_kb", "echo_fds",
                    "echo_cpu_s", "clients_active", "clients_done"])
        next_t = t0
        last_print = t0
        while time.monotonic() - t0 < duration:
            next_t += 1
            time.sleep(max(0, next_t - time.monotonic()))
            h, e = http.sample(), echo.sample()
            if h is None or e is None:
                gone = "http" if h is None else "echo"
                break
            row = {"t": round(time.monotonic() - t0, 1), "http_rss": h[0], "http_fds": h[1],
                   "echo_rss": e[0], "echo_fds": e[1]}
            samples.append(row)
            w.writerow([row["t"], h[0], h[1], round(h[2], 2), e[0], e[1], round(e[2], 2),
                        tally.active, tally.done])
            f.flush()
            if time.monotonic() - last_print >= 60:
                last_print = time.monotonic()
                print(f"  t={row['t']:.0f}s clients done {tally.done}; HTTP RSS {h[0]} kB, "
                      f"{h[1]} fds; echo RSS {e[0]} kB, {e[1]} fds", flush=True)
    stop.set()
    for t in threads:
        t.join(timeout=a.handshake_timeout + a.idle_timeout + 2 * CLOSE_SLACK_S)
    stuck = sum(t.is_alive() for t in threads)
    elapsed = time.monotonic() - t0

    # With every client gone, the descriptors fall back to the idle count.
    settle = time.monotonic() + 20
    while time.monotonic() < settle and not gone:
        now = {s.name: (s.sample() or (0, 10 ** 6))[1] for s in (http, echo)}
        if all(now[n] <= idle_fds[n] for n in now):
            break
        time.sleep(0.2)
    end_fds = {s.name: (s.sample() or (0, -1))[1] for s in (http, echo)}
    codes = {s.name: s.stop() for s in (http, echo)}
    shutil.rmtree(work, ignore_errors=True)  # the temp PKI; server logs stay in --out

    # ---- summary ----
    failed = []
    print("\nsoak summary")
    print(f"  sampled {len(samples)} s, {elapsed / 60:.1f} min with the last clients' end; "
          f"{tally.done} clients; samples in {csv_path}")
    for cat in ("good", "slow", "garbage", "abort"):
        kinds = sorted(k for k in set(tally.ok) | set(tally.bad) if CATEGORY[k] == cat)
        ok = sum(tally.ok[k] for k in kinds)
        bad = sum(len(tally.bad[k]) for k in kinds)
        word = "failed" if cat == "good" else "anomalies"
        print(f"  {cat:8s} {ok + bad:7d} clients, {bad} {word}: " +
              ", ".join(f"{k} {tally.ok[k] + len(tally.bad[k])}" for k in kinds))
        for k in kinds:
            for msg in sorted(set(tally.bad[k]))[:5]:
                print(f"           {k}: {msg} (x{tally.bad[k].count(msg)})")
        if cat == "good" and bad:
            failed.append(f"{bad} well-behaved clients failed")
    if stuck:
        failed.append(f"{stuck} client threads did not finish")
    if gone:
        failed.append(f"the {gone} server died (exit {codes[gone]})")
    print(f"  criterion: baseline = the second minute (for runs under 3 min the middle "
          f"third), tail = the last third; RSS max(tail) <= max(baseline) * "
          f"{1 + RSS_TOLERANCE:g} + {RSS_SLACK_KB} kB; fds min(tail) <= min(baseline) + "
          f"{FD_FLOOR_SLACK}, max(tail) <= max(baseline) + {a.fast_workers + a.slow_workers} "
          f"(clients at once); fds back to idle at the end")
    sampled = samples[-1]["t"] if samples else 0  # the windows cover the sampled run
    for s in (http, echo):
        n = s.name
        if not samples:
            failed.append("no samples")
            break
        rss = [x[f"{n}_rss"] for x in samples]
        fds = [x[f"{n}_fds"] for x in samples]
        print(f"  {n:5s} RSS kB start {rss[0]} peak {max(rss)} end {rss[-1]}; fds start "
              f"{fds[0]} peak {max(fds)} end {fds[-1]}, idle {idle_fds[n]}, after the run "
              f"{end_fds[n]}; exit {codes[n]}")
        lines, bad = verdict(samples, sampled, n, a.fast_workers + a.slow_workers)
        print("\n".join("        " + l for l in lines))
        failed += bad
        if end_fds[n] > idle_fds[n]:
            failed.append(f"{n}: {end_fds[n]} descriptors after the run, {idle_fds[n]} idle")
        if codes[n] != 0:
            failed.append(f"{n}: exit status {codes[n]} on SIGTERM")
        err = "\n".join(l for l in open(s.err).read().splitlines()
                        if l not in ("tlsflow-server: SIGTERM, closing connections and stopping",
                                     "tlsflow-server: stopped"))
        if err.strip():
            print(f"        {n} stderr (last 300 bytes): {err[-300:]!r}")
    if failed:
        print("soak FAILED:\n  " + "\n  ".join(failed))
        return 1
    print("soak passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
