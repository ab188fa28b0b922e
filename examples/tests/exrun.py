"""What the example tests share: the program under test ($EXAMPLE), the fixture PKI
($FIXTURES), background processes on kernel-chosen 127.0.0.1 ports stopped by PID, checks.

Sanitizer builds report through distinct exit codes (ASan 86, UBSan 87), so a crash or a
leak is never taken for the example's own "failed" status (1)."""
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

EXAMPLE = os.environ.get("EXAMPLE", "")
FIXTURES = os.environ.get("FIXTURES", os.path.join(os.path.dirname(__file__), "..", "..",
                                                   "tests", "fixtures"))
TMP = tempfile.mkdtemp(prefix="tfexample-")
ENV = dict(os.environ,
           ASAN_OPTIONS="exitcode=86:detect_leaks=1:" + os.environ.get("ASAN_OPTIONS", ""),
           UBSAN_OPTIONS="exitcode=87:print_stacktrace=1:" + os.environ.get("UBSAN_OPTIONS", ""))
SKIP = 77
_failures = []
_started = []
T0 = time.monotonic()


def fixture(name):
    return os.path.join(FIXTURES, name)


def need(*programs):
    """Exit 77 (ctest: skipped) when a peer program is not installed."""
    missing = [p for p in programs if not shutil.which(p)]
    if missing:
        print(f"SKIP: {', '.join(missing)} not installed (ci/deps installs them)")
        cleanup()
        sys.exit(SKIP)


def check(cond, what, detail=""):
    print(f"{'ok  ' if cond else 'FAIL'} {what}", flush=True)
    if not cond:
        _failures.append(what)
        if detail:
            print("     " + str(detail)[-2000:].replace("\n", "\n     "), flush=True)
    return cond


def clean_exit(rc, err):
    """Not a crash, not a sanitizer report."""
    return rc in (0, 1, 2) and "Sanitizer" not in err and "runtime error" not in err


def run(args, timeout=20, stdin=None):
    """Runs a program to its end: (exit status, stdout, stderr)."""
    p = subprocess.run(args, input=stdin, capture_output=True, timeout=timeout, env=ENV)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


class Background:
    """A program in the background, output in files, stopped by its PID. `ready` is a
    regular expression for the line saying it listens; its group 1 is the port."""

    def __init__(self, name, args, ready, timeout=10):
        self.name = name
        self.out_path = os.path.join(TMP, name + ".out")
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, env=ENV,
                                     stdout=open(self.out_path, "w"),
                                     stderr=subprocess.STDOUT)
        _started.append(self)
        end = time.monotonic() + timeout
        while time.monotonic() < end and self.proc.poll() is None:
            m = re.search(ready, self.output())
            if m:
                self.port = int(m.group(1))
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{name} did not start: {' '.join(args)}\n{self.output()[-1500:]}")

    def output(self):
        with open(self.out_path, errors="replace") as f:
            return f.read()

    def wait_output(self, pattern, count=1, timeout=10):
        """Waits until pattern occurs count times in the output; returns whether it did."""
        end = time.monotonic() + timeout
        while len(re.findall(pattern, self.output())) < count:
            if time.monotonic() > end:
                return False
            time.sleep(0.05)
        return True

    def stop(self, sig=signal.SIGTERM):
        """Stops it (sig, then SIGKILL after 5 s); returns its exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self in _started:
            _started.remove(self)
        return self.proc.returncode


def s_server(name, *args, cert="server.pem", key="server.key"):
    """openssl s_server on a port the kernel picks (-accept 127.0.0.1:0)."""
    return Background(name, ["openssl", "s_server", "-accept", "127.0.0.1:0", "-cert",
                             fixture(cert), "-key", fixture(key), *args],
                      r"ACCEPT 127\.0\.0\.1:(\d+)")


def example_server(name, *args):
    """The example under test as a server: it prints 'listening on 127.0.0.1:PORT'."""
    return Background(name, [EXAMPLE, "--port", "0", *args],
                      r"listening on 127\.0\.0\.1:(\d+)")


def check_usage():
    """--help: usage on stdout, status 0; an unknown option: usage on stderr, status 2."""
    rc, out, _ = run([EXAMPLE, "--help"])
    check(rc == 0 and out.startswith("usage:"), "--help: usage on stdout, status 0")
    rc, _, err = run([EXAMPLE, "--bogus"])
    check(rc == 2 and err.startswith("usage:"), "an unknown option: usage on stderr, status 2")


def expect_failure(args, label, expect):
    """A run that must fail cleanly: status 1, expect in its stderr, no sanitizer report."""
    rc, _, err = run(args)
    return check(rc == 1 and expect in err and clean_exit(rc, err),
                 f"{label}: status 1, says {expect!r}", f"status {rc}\n{err}")


def bad_peers(args, expects):
    """A client (args + [HOST, PORT]) against peers that go away: one hangs up after the
    ClientHello, one answers in plain text, one resets; then a closed port. expects: what
    stderr must say in each case."""
    for action, expect in zip((hang_up_after_hello, send_garbage, reset_after_hello), expects):
        peer = BadPeer(action)
        expect_failure([*args, "127.0.0.1", str(peer.port)], f"peer: {action.__name__}", expect)
    expect_failure([*args, "127.0.0.1", str(closed_port())], "closed port", expects[3])


class BadPeer:
    """A TCP server on 127.0.0.1 that answers one connection with action(sock) in a thread:
    a peer that goes away or talks nonsense."""

    def __init__(self, action):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.sock.settimeout(15)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, args=(action,), daemon=True)
        self.thread.start()

    def _serve(self, action):
        try:
            conn, _ = self.sock.accept()
            with conn:
                conn.settimeout(10)
                action(conn)
        except OSError:
            pass
        finally:
            self.sock.close()


def closed_port():
    """A 127.0.0.1 port nobody listens on (bound a moment ago, never listened)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def hang_up_after_hello(conn):
    """Reads the ClientHello, then closes the TCP connection (FIN, no TLS alert)."""
    conn.recv(4096)
    conn.shutdown(socket.SHUT_WR)
    time.sleep(0.5)


def send_garbage(conn):
    """Answers the ClientHello with a plain-text HTTP response."""
    conn.recv(4096)
    conn.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\nthis is no TLS\n")
    time.sleep(0.5)


def reset_after_hello(conn):
    """Reads the ClientHello, then resets the connection (RST)."""
    conn.recv(4096)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def cleanup():
    for b in list(_started):
        b.stop(signal.SIGKILL)
    shutil.rmtree(TMP, ignore_errors=True)


def finish():
    cleanup()
    print(f"{len(_failures)} failure(s) in {time.monotonic() - T0:.1f} s", flush=True)
    for f in _failures:
        print("  FAIL", f)
    sys.exit(1 if _failures else 0)


def main(body):
    """Runs body() with everything it started stopped afterwards, whatever happens (also
    when `timeout` stops the driver with SIGTERM)."""
    if not EXAMPLE or not os.access(EXAMPLE, os.X_OK):
        print("EXAMPLE is not set to the program under test")
        sys.exit(1)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(f"stopped by SIGTERM after "
                                                      f"{time.monotonic() - T0:.1f} s"))
    try:
        body()
    except Exception as e:  # a peer that did not start, a timeout: a failure, not a hang
        check(False, "test ran to its end", repr(e))
    finally:
        cleanup()
    finish()
