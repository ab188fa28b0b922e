"""Shared helpers for the socket tests: start our own tlsflow-server on a free
loopback port, wait until it listens, and stop exactly that process afterwards.

Every blocking step has a deadline; a test never waits on anything unbounded."""
import contextlib
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

SERVER = os.environ["TLSFLOW_SERVER"]
CLIENT = os.environ["TLSFLOW_CLIENT"]
PKI = os.environ["TLSFLOW_PKI"]
CA = os.path.join(PKI, "ca.pem")
STEP_TIMEOUT = 20  # seconds for any single external command

SCENARIOS = {
    # name: (what curl says, the tlsflow error our client names)
    "expired.localhost": ("certificate has expired", "TLSFLOW_E_CERT_EXPIRED"),
    "not-yet-valid.localhost": ("certificate is not yet valid", "TLSFLOW_E_CERT_NOT_YET_VALID"),
    "wrong-host.localhost": ("no alternative certificate subject name matches",
                             "TLSFLOW_E_CERT_HOSTNAME"),
    "self-signed.localhost": ("self-signed certificate", "TLSFLOW_E_CERT_SELF_SIGNED"),
    "untrusted-root.localhost": ("self-signed certificate in certificate chain",
                                 "TLSFLOW_E_CERT_UNKNOWN_CA"),
    "incomplete-chain.localhost": ("unable to get local issuer certificate",
                                   "TLSFLOW_E_CERT_UNKNOWN_CA"),
}

failures = []


passed = 0


def check(cond, what, detail=""):
    """Record one check; the test fails at the end if any check failed."""
    global passed
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if cond:
        passed += 1
    else:
        failures.append(what)
        if detail:
            print("     " + str(detail)[-2000:].replace("\n", "\n     "), flush=True)
    return cond


def finish():
    if failures:
        print("failed:", *failures, sep="\n  ")
    print(f"{passed} passed, {len(failures)} failed", flush=True)
    sys.exit(1 if failures else 0)


class Server:
    """A tlsflow-server child on 127.0.0.1 with a kernel-chosen port."""

    def __init__(self, *args, pki=PKI, listen="127.0.0.1:0"):
        self.workdir = tempfile.mkdtemp(prefix="tfsock-")
        self.out_path = os.path.join(self.workdir, "stdout")
        self.err_path = os.path.join(self.workdir, "stderr")
        cmd = [SERVER, "--listen", listen]
        if pki:
            cmd += ["--pki-dir", pki]
        cmd += list(args)
        self.proc = subprocess.Popen(cmd, stdout=open(self.out_path, "w"),
                                     stderr=open(self.err_path, "w"), stdin=subprocess.DEVNULL)
        self.port = None
        deadline = time.monotonic() + 60  # the first start may generate keys
        while time.monotonic() < deadline:
            out = self.stdout()
            for line in out.splitlines():
                if line.startswith("listening on ") and self.port is None:
                    self.port = int(line.rsplit(":", 1)[1])
            if self.port and "\n" in out and ("Ctrl-C" in out or "certificate:" in out):
                break
            if self.proc.poll() is not None:
                raise RuntimeError("server exited early:\n" + self.stderr())
            time.sleep(0.05)
        else:
            self.stop()
            raise RuntimeError("server did not start listening in time")

    def stdout(self):
        with open(self.out_path) as f:
            return f.read()

    def stderr(self):
        with open(self.err_path) as f:
            return f.read()

    @property
    def pid(self):
        return self.proc.pid

    def fd_count(self):
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Stop our server by its PID; returns its exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        err = self.stderr()
        bad = [m for m in ("AddressSanitizer", "LeakSanitizer", "runtime error:") if m in err]
        check(not bad, f"server on port {self.port}: no sanitizer report", err[-3000:])


def run(cmd, input=None, timeout=STEP_TIMEOUT, **kw):
    """Run an external command with a deadline; returns CompletedProcess (text)."""
    try:
        return subprocess.run(cmd, input=input, capture_output=True, timeout=timeout, **kw)
    except subprocess.TimeoutExpired as e:
        return subprocess.CompletedProcess(cmd, -999, e.stdout or b"", e.stderr or b"")


def text(b):
    return b.decode("utf-8", "replace") if isinstance(b, bytes) else (b or "")


def rsa_context(ca=CA):
    """A Python ssl client context limited to the engine's suites and TLS 1.2."""
    ctx = ssl.create_default_context(cafile=ca)
    ctx.set_ciphers("AES128-GCM-SHA256:AES256-GCM-SHA384")
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def recv_all(s):
    """Everything a socket gives until the peer closes (its timeout bounds each wait). Over
    TLS 1.3 this also takes in the NewSessionTickets that follow the handshake."""
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return data
        data += chunk


def https_get(port, path="/", host="localhost", ctx=None, headers=None, timeout=10):
    """One GET over Python's ssl; returns (status line, headers text, body bytes, cipher)."""
    ctx = ctx or rsa_context()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw:
        with ctx.wrap_socket(raw, server_hostname=host) as s:
            req = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"
            for k, v in (headers or {}).items():
                req += f"{k}: {v}\r\n"
            s.sendall((req + "\r\n").encode())
            data = recv_all(s)
            head, _, body = data.partition(b"\r\n\r\n")
            lines = text(head).split("\r\n")
            return lines[0], "\r\n".join(lines[1:]), body, s.cipher()


def http_body(out):
    """The body of the first 200 response in a tool's output (openssl s_client,
    gnutls-cli): Content-Length bytes after the head, since tools print more after it."""
    i = out.find("HTTP/1.1 200 OK")
    if i < 0 or "\r\n\r\n" not in out[i:]:
        return ""
    head, body = out[i:].split("\r\n\r\n", 1)
    for line in head.split("\r\n"):
        if line.lower().startswith("content-length:"):
            return body.encode()[:int(line.split(":")[1])].decode("utf-8", "replace")
    return body


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        time.sleep(0.05)
    return False


def wait_until(pred, timeout=10, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()
