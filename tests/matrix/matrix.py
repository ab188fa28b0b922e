"""The interop matrix (issue 16): tlsflow-server and tlsflow-client against every independent
TLS stack Debian offers here, across versions, key exchanges, groups and suites; one cell
per (role, peer, version, key exchange or group, suite). Run by ci/interop, which builds
the programs and the C peers first; this file only runs the cells and writes the report.

    matrix.py --server BIN --client BIN [--mbedtls-peer BIN] [--wolfssl-peer BIN]
              [--quick] [--only PEER,...] [--out FILE.md] [--json FILE] [--logs DIR]

A cell passes only on: the handshake with the expected version and suite (our side's
own record of it: the server's --log line, the client's summary line; TLS 1.3 groups
because the peer offers or accepts only that group, and where the peer or our page says
it, that is checked too); application data both ways (an echo compared byte for byte, or
a request and the page it gets); and a clean close (close_notify) where the peer sends
one. A cell the peer cannot do is "n/a" with the reason, never a failure.

Everything runs on 127.0.0.1: every process started here is stopped by its PID, every
step has a deadline. Exit status 1 if any cell that should pass failed."""
import argparse
import contextlib
import datetime
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "socket"))

ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
ap.add_argument("--server", required=True)
ap.add_argument("--client", required=True)
ap.add_argument("--mbedtls-peer")
ap.add_argument("--wolfssl-peer")
ap.add_argument("--quick", action="store_true", help="a handful of cells (< 60 s)")
ap.add_argument("--only", help="comma-separated peer names (rows) to run")
ap.add_argument("--out", help="write the Markdown report here")
ap.add_argument("--json", help="write every cell's result here")
ap.add_argument("--logs", help="keep the output of failed cells in this directory")
ap.add_argument("--build-note", default="", help="how the programs were built (for the report)")
ARGS = ap.parse_args()

# The socket tests' helpers read these at import.
os.environ.setdefault("TLSFLOW_SERVER", os.path.abspath(ARGS.server))
os.environ.setdefault("TLSFLOW_CLIENT", os.path.abspath(ARGS.client))
os.environ.setdefault("TLSFLOW_PKI", tempfile.gettempdir())
import peers13  # noqa: E402  (after the environment above)
from peers13 import Peer, fixture, java_keystore, java_truststore, jsse_client, nss_db  # noqa: E402
from tfsock import free_port, run, text, wait_until  # noqa: E402

SERVER = os.path.abspath(ARGS.server)
CLIENT = os.path.abspath(ARGS.client)
CA = fixture("ca.pem")
CERTS = {"rsa": (fixture("server.pem"), fixture("server.key")),
         "ec": (fixture("server-ec.pem"), fixture("server-ec.key"))}
TMP = peers13.TMP
STEP = 25  # seconds: the deadline of any one external command
ECHO_BYTES = 65536  # what our client sends to an echo server (16 records of 4 KiB each way)
PAYLOAD = ("matrix " + "0123456789abcdef" * 150 + " end\n").encode()  # 2,412 bytes, one line

# ---- the columns -------------------------------------------------------------------------

CIPHERS = {  # name: (label, GnuTLS, Botan, NSS's description)
    "aes128": ("AES-128-GCM", "AES-128-GCM", "AES-128/GCM", "128-bit AES-GCM"),
    "aes256": ("AES-256-GCM", "AES-256-GCM", "AES-256/GCM", "256-bit AES-GCM"),
    "chacha": ("ChaCha20-Poly1305", "CHACHA20-POLY1305", "ChaCha20Poly1305",
               "256-bit CHACHA20POLY1305"),
}
GROUPS = {  # IANA name: (label, OpenSSL, GnuTLS, NSS)
    "x25519": ("x25519", "X25519", "X25519", "x25519"),
    "secp256r1": ("P-256", "P-256", "SECP256R1", "P256"),
    "secp384r1": ("P-384", "P-384", "SECP384R1", "P384"),
}
KX12 = {  # key exchange: (label, certificate, GnuTLS KX, Botan kx, Botan signature)
    "rsa": ("RSA", "rsa", "RSA", "RSA", "IMPLICIT"),
    "ecdhe_rsa": ("ECDHE-RSA", "rsa", "ECDHE-RSA", "ECDH", "RSA"),
    "ecdhe_ecdsa": ("ECDHE-ECDSA", "ec", "ECDHE-ECDSA", "ECDH", "ECDSA"),
}


class Col:
    def __init__(self, version, kx, cipher, iana, hexid, ossl, group=None, cert="rsa"):
        self.version, self.kx, self.cipher, self.group = version, kx, cipher, group
        self.iana, self.hexid, self.ossl = iana, hexid, ossl
        self.cert = KX12[kx][1] if version == "1.2" else cert
        if version == "1.2":
            self.label = f"{KX12[kx][0]} {CIPHERS[cipher][0]}"
        else:
            self.label = f"{GROUPS[group][0]} {CIPHERS[cipher][0]}"
            if cert == "ec":
                self.label += " ECDSA cert"
        self.key = f"{version} {self.label}"
        # Our server's certificates: in TLS 1.2 the suite picks one of the two; in TLS 1.3
        # the server would pick, so it gets only the column's (RSA: rsa_pss_rsae_sha256
        # signatures; ECDSA P-256: ecdsa_secp256r1_sha256).
        self.server_certs = ("rsa", "ec") if version == "1.2" else (self.cert,)
        self.tag = f"{self.hexid}-{self.group}-{self.cert}"
        self.sig13 = "ecdsa_secp256r1_sha256" if self.cert == "ec" else "rsa_pss_rsae_sha256"


COLS = [
    Col("1.2", "rsa", "aes128", "TLS_RSA_WITH_AES_128_GCM_SHA256", "009c", "AES128-GCM-SHA256"),
    Col("1.2", "rsa", "aes256", "TLS_RSA_WITH_AES_256_GCM_SHA384", "009d", "AES256-GCM-SHA384"),
    Col("1.2", "ecdhe_rsa", "aes128", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "c02f",
        "ECDHE-RSA-AES128-GCM-SHA256"),
    Col("1.2", "ecdhe_rsa", "aes256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "c030",
        "ECDHE-RSA-AES256-GCM-SHA384"),
    Col("1.2", "ecdhe_rsa", "chacha", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "cca8",
        "ECDHE-RSA-CHACHA20-POLY1305"),
    Col("1.2", "ecdhe_ecdsa", "aes128", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "c02b",
        "ECDHE-ECDSA-AES128-GCM-SHA256"),
    Col("1.2", "ecdhe_ecdsa", "aes256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "c02c",
        "ECDHE-ECDSA-AES256-GCM-SHA384"),
    Col("1.2", "ecdhe_ecdsa", "chacha", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "cca9",
        "ECDHE-ECDSA-CHACHA20-POLY1305"),
]
SUITES13 = [("aes128", "TLS_AES_128_GCM_SHA256", "1301"),
            ("aes256", "TLS_AES_256_GCM_SHA384", "1302"),
            ("chacha", "TLS_CHACHA20_POLY1305_SHA256", "1303")]
for g in GROUPS:
    for c, iana, hexid in SUITES13:
        COLS.append(Col("1.3", "tls13", c, iana, hexid, iana, group=g))
COLS.append(Col("1.3", "tls13", "aes128", "TLS_AES_128_GCM_SHA256", "1301",
                "TLS_AES_128_GCM_SHA256", group="x25519", cert="ec"))
COL = {c.key: c for c in COLS}

# ---- results -----------------------------------------------------------------------------


class Result:
    def __init__(self, status, note=None, detail=""):
        self.status, self.note, self.detail = status, note, detail  # pass | fail | na


def ok(note=None):
    return Result("pass", note)


def na(reason):
    return Result("na", reason)


class Fail(Exception):
    """A cell's failure: what went wrong (the footnote) and the output behind it."""

    def __init__(self, why, detail=""):
        super().__init__(why)
        self.why, self.detail = why, detail


def need(cond, why, detail=""):
    if not cond:
        raise Fail(why, detail)


# ---- small helpers -----------------------------------------------------------------------

def tmp(name):
    return os.path.join(TMP, name)


def write(path, data):
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    return path


@contextlib.contextmanager
def environ(**kv):
    """Extra environment for the processes started inside the block (Popen inherits it)."""
    old = {k: os.environ.get(k) for k in kv}
    os.environ.update({k: v for k, v in kv.items() if v is not None})
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def openssl_conf(col, name):
    """An OpenSSL configuration for Python's ssl (and anything on libssl that has no option
    for it): TLS 1.3 suites and groups. It replaces Debian's whole file for that process."""
    lines = ["openssl_conf = matrix_conf", "[matrix_conf]", "ssl_conf = matrix_ssl",
             "[matrix_ssl]", "system_default = matrix_default", "[matrix_default]"]
    if col.version == "1.3":
        lines += [f"Ciphersuites = {col.iana}", f"Groups = {GROUPS[col.group][1]}"]
    return write(tmp(f"openssl-{name}.cnf"), "\n".join(lines) + "\n")


def botan_policy(col, name):
    label, _, _, kx, sig = KX12[col.kx]
    return write(tmp(f"botan-{name}.txt"), "\n".join([
        "allow_tls10 = false", "allow_tls11 = false", "allow_tls12 = true",
        "allow_dtls10 = false", "allow_dtls12 = false",
        f"ciphers = {CIPHERS[col.cipher][2]}", "macs = AEAD",
        f"key_exchange_methods = {kx}", f"signature_methods = {sig}"]) + "\n")


def gnutls_priority(col):
    cipher = CIPHERS[col.cipher][1]
    if col.version == "1.2":
        return f"NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+{cipher}:-KX-ALL:+{KX12[col.kx][2]}"
    return (f"NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+{cipher}:-GROUP-ALL:"
            f"+GROUP-{GROUPS[col.group][2]}")


_pkcs8 = {}


def pkcs8_key(kind):
    """Botan reads PKCS#8 keys only; the EC fixture is SEC1."""
    if kind not in _pkcs8:
        out = tmp(f"{kind}-pkcs8.key")
        r = run(["openssl", "pkcs8", "-topk8", "-nocrypt", "-in", CERTS[kind][1], "-out", out])
        need(r.returncode == 0, "openssl pkcs8 failed", text(r.stderr))
        _pkcs8[kind] = out
    return _pkcs8[kind]


@contextlib.contextmanager
def started(make, what):
    """A peer server from make(), stopped by its PID at the end of the block; a slow start
    (the helpers wait up to 15 s for the port, then retry on another) is said on the
    console, with the load, so a slow cell can be told from a stuck one."""
    t0 = time.monotonic()
    p = make()
    took = time.monotonic() - t0
    if took > 3:
        print(f"       note: {what} took {took:.1f} s to start (load average "
              f"{os.getloadavg()[0]:.1f})", flush=True)
    with p:
        yield p


def interactive(cmd, payload, done, timeout=STEP):
    """A peer client reading stdin: write the payload, wait until its output shows the echo
    (done(output) true) or it exits, then end its stdin (the client then closes) and wait.
    Returns (exit status, stdout + stderr)."""
    out_path, err_path = tmp("i.out"), tmp("i.err")
    with open(out_path, "wb") as o, open(err_path, "wb") as e:
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=o, stderr=e)
    try:
        p.stdin.write(payload)
        p.stdin.flush()

        def output():
            with open(out_path, "rb") as o, open(err_path, "rb") as e:
                return text(o.read()) + text(e.read())
        wait_until(lambda: done(output()) or p.poll() is not None, timeout=timeout)
        with contextlib.suppress(BrokenPipeError):
            p.stdin.close()
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()  # our own child, by its PID
            p.wait(timeout=5)
            return -999, output() + "\n[killed after the deadline]"
        return p.returncode, output()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=5)


# ---- our server (the server role) --------------------------------------------------------

class OurServer(Peer):
    """tlsflow-server on 127.0.0.1, kernel-chosen port, RSA and ECDSA fixture certificates
    (the suite picks), one JSON line per connection in its --log file."""
    count = 0

    def __init__(self, certs, *args):
        OurServer.count += 1
        n = OurServer.count
        self.log = tmp(f"tlsflow-server-{n}.jsonl")
        cmd = [SERVER, "--listen", "127.0.0.1:0", "--log", self.log]
        for kind in certs:
            cmd += ["--cert", CERTS[kind][0], "--key", CERTS[kind][1]]
        cmd += args
        self.args = args
        super().__init__(f"tlsflow-server-{n}", cmd,
                         started=lambda out: re.search(r"listening on .*:\d+\n", out), timeout=30)
        self.port = int(re.search(r"listening on .*:(\d+)\n", self.output()).group(1))

    def log_size(self):
        return os.path.getsize(self.log) if os.path.exists(self.log) else 0

    def lines(self, since):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            f.seek(since)
            return [json.loads(x) for x in f.read().splitlines() if x.strip()]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # a clean exit: LeakSanitizer speaks
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)

    def sanitizer_report(self):
        err = self.output()
        for m in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
            if m in err:
                return err[err.find(m) - 200:][:3000]
        return None


_servers = {}


def our_server(kind, col, *args):
    """The shared echo or HTTP server with the column's certificates (restarted if it died;
    the cell it died in has failed)."""
    key = (kind, col.server_certs, args)
    s = _servers.get(key)
    if s is None or s.proc.poll() is not None:
        s = _servers[key] = OurServer(col.server_certs,
                                      *((["--echo"] if kind == "echo" else []) + list(args)))
    return s


def stop_servers():
    for s in _servers.values():
        s.stop()
    _servers.clear()


def server_side(srv, since, col, close="peer", data=None, min_requests=None):
    """Our server's own record of the cell's connection(s): version, suite, the application
    bytes both ways, and the close. close="peer": the peer closed first (echo) and its
    close_notify was received; "server": our server closed first (HTTP, Connection: close)
    with close_notify and saw no unclean end; None: not checked (the peer never sends one)."""
    def match(lines):
        return [x for x in lines if x.get("version") == f"TLS {col.version}" and
                x.get("suite") == col.iana and x.get("requests", 0) >= (min_requests or 0)]
    wait_until(lambda: match(srv.lines(since)) or srv.proc.poll() is not None, timeout=5)
    lines = srv.lines(since)
    need(srv.proc.poll() is None, f"tlsflow-server exited ({srv.proc.returncode})",
         srv.output()[-3000:])
    bad = srv.sanitizer_report()
    need(not bad, "sanitizer report in tlsflow-server", bad)
    need(lines, "tlsflow-server logged no connection")
    want = match(lines)
    last = lines[-1]
    need(want, f"tlsflow-server: not TLS {col.version} {col.iana}"
               f"{' with a request served' if min_requests else ''}: {last.get('version')} "
               f"{last.get('suite')} {last.get('error_text', '')}", json.dumps(lines)[-2000:])
    x = want[-1]
    if data is not None:
        need(x.get("app_bytes_in") == data and x.get("app_bytes_out") == data,
             f"tlsflow-server echoed {x.get('app_bytes_out')} of {data} bytes "
             f"(received {x.get('app_bytes_in')})", json.dumps(x))
    if close == "peer":
        need(x.get("outcome") == "ok" and x.get("alert_received") == "close_notify",
             f"no clean close: tlsflow-server says {x.get('outcome')} "
             f"({x.get('error_text', x.get('alert_received'))})", json.dumps(x))
    elif close == "server":
        need(x.get("outcome") == "ok" and x.get("alert_sent") == "close_notify",
             f"no clean close: tlsflow-server says {x.get('outcome')} "
             f"({x.get('error_text', x.get('alert_sent'))})", json.dumps(x))
    elif x.get("outcome") not in ("ok", "eof_without_close_notify"):
        raise Fail(f"tlsflow-server: {x.get('outcome')} {x.get('error_text', '')}", json.dumps(x))
    return x


def need_peer(cond, srv, since, why, detail=""):
    """A peer client's own failure, with what tlsflow-server logged for that connection."""
    if cond:
        return
    wait_until(lambda: srv.lines(since), timeout=3)
    lines = srv.lines(since)
    if lines:
        x = lines[-1]
        said = (f"tlsflow-server: {x.get('outcome')}"
                + (f", {x['error_text']}" if x.get("error_text") else "")
                + (f" (alert sent: {x['alert_sent']})" if x.get("alert_sent") else "")
                + (f" (alert received: {x['alert_received']})" if x.get("alert_received") else ""))
    else:
        said = "tlsflow-server logged no connection"
    raise Fail(f"{why}; {said}", detail + "\n" + json.dumps(lines)[-1500:])


def page_says(body, col):
    """tlsflow-server's text page names the suite, and in TLS 1.3 the group."""
    need(f"suite    {col.iana}" in body, "the page does not name the suite", body[:800])
    if col.version == "1.3":
        need(f"ECDHE over {col.group}" in body, f"the page does not say ECDHE over {col.group}",
             body[:800])
        need(f"CertificateVerify, {col.sig13}" in body, f"the page does not say {col.sig13}",
             body[:800])


HTTP_REQUEST = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"

# ---- the peers as clients (our server) -----------------------------------------------------


def s_client(col):
    srv = our_server("echo", col)
    since = srv.log_size()
    cmd = ["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}", "-servername",
           "localhost", "-verify_hostname", "localhost", "-verify_return_error", "-CAfile", CA]
    if col.version == "1.2":
        cmd += ["-tls1_2", "-cipher", col.ossl]
    else:
        cmd += ["-tls1_3", "-ciphersuites", col.iana, "-groups", GROUPS[col.group][1]]
    payload = PAYLOAD.decode()
    rc, out = interactive(cmd, PAYLOAD, lambda o: payload in o)
    need_peer(rc == 0 and payload in out, srv, since,
              f"s_client: exit {rc}, echo {'seen' if payload in out else 'missing'}", out[-2500:])
    if col.version == "1.3":
        tmp_key = {"x25519": "X25519", "secp256r1": "ECDH, prime256v1",
                   "secp384r1": "ECDH, secp384r1"}
        need(f"Server Temp Key: {tmp_key[col.group]}," in out,
             f"s_client's Server Temp Key is not {col.group}", out[-2500:])
    server_side(srv, since, col, data=len(PAYLOAD))
    return ok()


def gnutls_cli(col):
    srv = our_server("echo", col)
    since = srv.log_size()
    r = run(["gnutls-cli", "--port", str(srv.port), "--x509cafile", CA, "--sni-hostname",
             "localhost", "--verify-hostname", "localhost", "--priority", gnutls_priority(col),
             "127.0.0.1"], input=PAYLOAD)
    out = text(r.stdout) + text(r.stderr)
    need_peer(r.returncode == 0 and PAYLOAD.decode() in out, srv, since,
              f"gnutls-cli: exit {r.returncode}", out[-2500:])
    if col.version == "1.3":
        need(f"(ECDHE-{GROUPS[col.group][2]})" in out, f"gnutls-cli did not use {col.group}",
             out[-2500:])
    server_side(srv, since, col, data=len(PAYLOAD))
    return ok()


_nss_client_db = None


def tstclnt(col):
    global _nss_client_db
    if _nss_client_db is None:
        _nss_client_db = nss_db("nss-client", trust=(CA,))
    srv = our_server("http", col)
    since = srv.log_size()
    req = write(tmp("request.txt"), HTTP_REQUEST)
    nss_v = {"1.2": "tls1.2:tls1.2", "1.3": "tls1.3:tls1.3"}[col.version]
    cmd = ["tstclnt", "-h", "127.0.0.1", "-a", "localhost", "-p", str(srv.port), "-d",
           _nss_client_db, "-A", req, "-v", "-V", nss_v, "-c", f":{col.hexid}"]
    if col.version == "1.3":
        cmd += ["-I", GROUPS[col.group][3]]
    r = run(cmd)
    out = text(r.stdout) + text(r.stderr)
    need_peer(r.returncode == 0 and "HTTP/1.1 200 OK" in out, srv, since,
              f"tstclnt: exit {r.returncode}", re.sub(r".*PR_Poll.*\n", "", out)[-2500:])
    page_says(text(r.stdout), col)
    server_side(srv, since, col, close="server", min_requests=1)
    return ok()


_jsse = {}


def jsse_trust():
    if "trust" not in _jsse:
        _jsse["trust"] = java_truststore("jsse-trust", CA)
    return _jsse["trust"]


def jsse_client_cell(col):
    srv = our_server("http", col)
    since = srv.log_size()
    protocol = "TLSv" + col.version
    opts = [f"-Djdk.tls.namedGroups={col.group}"] if col.group else []
    r = jsse_client(srv.port, jsse_trust(), "--servername", "localhost", "--request",
                    HTTP_REQUEST.replace("\r", "\\r").replace("\n", "\\n"), "--protocols",
                    protocol, "--suites", col.iana, java_opts=opts)
    out = text(r.stdout) + text(r.stderr)
    need_peer(r.returncode == 0 and "HTTP/1.1 200 OK" in out and
              f"session: protocol={protocol} suite={col.iana}" in out, srv, since,
              f"JSSE client: exit {r.returncode}: " +
              (re.search(r"^error: (.*)$", out, re.M) or re.search("(.*)", out)).group(1)[:200],
              out[-2500:])
    page_says(out, col)
    server_side(srv, since, col, close="server", min_requests=1)
    return ok()


def botan_client(col):
    srv = our_server("echo", col)
    since = srv.log_size()
    cmd = ["stdbuf", "-o0", "botan", "tls_client", "localhost", f"--port={srv.port}",
           f"--trusted-cas={CA}",
           "--skip-system-cert-store", f"--policy={botan_policy(col, 'client')}"]
    payload = PAYLOAD.decode()
    rc, out = interactive(cmd, PAYLOAD, lambda o: payload in o)
    need_peer(rc == 0 and payload in out, srv, since, f"botan tls_client: exit {rc}", out[-2500:])
    need(f"TLS v1.2 using {col.iana[4:]}" in out, "botan tls_client names another suite",
              out[-2500:])
    server_side(srv, since, col, data=len(PAYLOAD))
    return ok()


def peer_client(cmd, col, *extra):
    """One of our own peer programs (mbedtls_peer, wolfssl_peer, pyssl_peer.py) as the client
    of our echo server: 32 KiB echoed in 4 KiB chunks, then close_notify both ways."""
    srv = our_server("echo", col)
    since = srv.log_size()
    r = run([*cmd, "client", "--port", str(srv.port), "--ca", CA, "--version", col.version,
             "--suite", col.iana, "--bytes", "32768", *extra])
    out = text(r.stdout) + text(r.stderr)
    need_peer(r.returncode == 0 and "echo: 32768 bytes identical" in out and
              "close: close_notify received" in out, srv, since,
              f"exit {r.returncode}: " + ((re.search(r"^error: (.*)$", out, re.M) or
                                       re.search("(.*)", out)).group(1))[:200], out[-2500:])
    server_side(srv, since, col, data=32768)
    return ok()


PYPEER = [sys.executable, os.path.join(HERE, "pyssl_peer.py")]


def mbedtls_client(col):
    return peer_client([ARGS.mbedtls_peer], col)


def wolfssl_client(col):
    return peer_client([ARGS.wolfssl_peer], col, *(["--group", col.group] if col.group else []))


def python_client(col):
    with environ(OPENSSL_CONF=openssl_conf(col, "pyclient")):
        return peer_client(PYPEER, col, *(["--cipher", col.ossl] if col.version == "1.2" else []))


def curl_cell(col):
    srv = our_server("http", col)
    since = srv.log_size()
    body = tmp("curl.body")
    cmd = ["curl", "-sS", "--max-time", "20", "--cacert", CA, "--resolve",
           f"localhost:{srv.port}:127.0.0.1", "-o", body, "-w", "%{http_code}"]
    if col.version == "1.2":
        cmd += ["--tlsv1.2", "--tls-max", "1.2", "--ciphers", col.ossl]
    else:
        cmd += ["--tlsv1.3", "--tls13-ciphers", col.iana, "--curves", GROUPS[col.group][1]]
    r = run(cmd + [f"https://localhost:{srv.port}/"])
    need_peer(r.returncode == 0 and text(r.stdout) == "200", srv, since,
              f"curl: exit {r.returncode} {text(r.stderr).strip()[:200]}", text(r.stderr))
    with open(body, errors="replace") as f:
        page_says(f.read(), col)
    server_side(srv, since, col, close="server", min_requests=1)
    return ok()


_chromium_home = None


def chromium_cell(col):
    global _chromium_home
    if col.version == "1.3" and col.group != "x25519":
        return na("a P-256 or P-384 handshake with Chromium cannot be forced: its groups "
                  "cannot be chosen from its command line (it sends X25519MLKEM768 and x25519 "
                  "key shares and lists P-256 and P-384 after them), and tlsflow-server has no "
                  "option to restrict its own groups")
    if _chromium_home is None:
        _chromium_home = tmp("chromium-home")
        db = os.path.join(_chromium_home, ".pki", "nssdb")
        os.makedirs(db)
        env = dict(os.environ, HOME=_chromium_home)
        for cmd in (["certutil", "-N", "-d", f"sql:{db}", "--empty-password"],
                    ["certutil", "-A", "-d", f"sql:{db}", "-n", "matrix-ca", "-t", "C,,",
                     "-i", CA]):
            r = run(cmd, env=env)
            need(r.returncode == 0, "certutil failed", text(r.stderr))
    versions = ["--max-version", "1.2"] if col.version == "1.2" else ["--min-version", "1.3"]
    srv = our_server("http", col, *versions, "--suites", col.iana)
    since = srv.log_size()
    profile = tempfile.mkdtemp(prefix="profile-", dir=_chromium_home)
    r = run([shutil.which("chromium") or "chromium", "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-quic", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}",
             "--dump-dom", f"https://localhost:{srv.port}/"],
            env=dict(os.environ, HOME=_chromium_home), timeout=60)
    dom = text(r.stdout)
    need(f"Your TLS {col.version} handshake, step by step" in dom and col.iana in dom,
         f"chromium: exit {r.returncode}, the page did not load over TLS {col.version} {col.iana}",
         dom[:1000] + text(r.stderr)[-1500:])
    server_side(srv, since, col, close=None, min_requests=1)
    return ok("Chromium ends its connections without close_notify when it exits: the close "
              "is not checked")


# ---- the peers as servers (our client) ---------------------------------------------------

def our_client(port, col, *args, stdin=None):
    versions = ["--max-version", "1.2"] if col.version == "1.2" else ["--min-version", "1.3"]
    r = run([CLIENT, f"localhost:{port}", "--ca", CA, "--timeout", "10", *versions, *args],
            input=stdin)
    out, err = text(r.stdout), text(r.stderr)
    m = re.search(r"^handshake done: .*$", err, re.M)
    summary = m.group(0) if m else ""
    detail = f"exit {r.returncode}; {summary}\nstdout: {out[-800:]}\nstderr: {err[-2000:]}"
    if not summary:
        e = re.findall(r"^(?:error|tlsflow-client)?:? ?(.*(?:TLSFLOW_E_\w+|refused|timed out).*)$",
                       err, re.M)
        raise Fail(f"tlsflow-client: exit {r.returncode}: {(e[-1] if e else err.strip()[-200:])}",
                   detail)
    need(summary.startswith(f"handshake done: TLS {col.version}, {col.iana}"),
         f"tlsflow-client negotiated {summary[16:60]}", detail)
    if col.version == "1.3":
        need(re.search(rf", group {col.group}[, ]", summary),
             f"tlsflow-client: group is not {col.group}", detail)
        need(f"signature {col.sig13}," in summary, f"tlsflow-client: signature is not {col.sig13}",
             detail)
    last = err.strip().splitlines()[-1][:200] if err.strip() else ""
    need(r.returncode == 0, f"tlsflow-client: exit {r.returncode}: {last}",
         detail)
    return out, err, detail


def echo_ok(res, nbytes):
    out, err, detail = res
    need(f"echo identical: {nbytes} bytes; closed cleanly" in err,
         "tlsflow-client: the echo or the close failed", detail)


def reply_ok(res, pattern, what):
    out, err, detail = res
    need(re.search(pattern, out), f"the reply has no {what}", detail)
    if "closed the connection without close_notify" in err:
        raise Fail("the server closed without close_notify", detail)


def s_server(col):
    cert, key = CERTS[col.cert]
    args = ["-www"]
    if col.version == "1.2":
        args += ["-tls1_2", "-cipher", col.ossl]
    else:
        args += ["-tls1_3", "-ciphersuites", col.iana, "-groups", GROUPS[col.group][1]]
    with started(lambda: peers13.s_server(f"s_server-{col.tag}", *args, cert=cert, key=key),
                 "s_server") as p:
        res = our_client(p.port, col, "--get", "/")
    reply_ok(res, rf"New, TLSv{col.version}, Cipher is {col.ossl}", "s_server status page")
    return ok()


def gnutls_serv(col):
    """gnutls-serv --echo treats what it echoes as text (a NUL ends it): lines are sent."""
    cert, key = CERTS[col.cert]
    with started(lambda: peers13.gnutls_serv(f"gnutls-serv-{col.tag}", gnutls_priority(col),
                                             "--echo", "--disable-client-cert", cert=cert,
                                             key=key), "gnutls-serv") as p:
        res = our_client(p.port, col, "--send", echo_lines())
    echo_ok(res, os.path.getsize(echo_lines()))
    return ok()


_nss_server_db = {}


def selfserv(col):
    if col.cert not in _nss_server_db:
        _nss_server_db[col.cert] = nss_db(f"nss-server-{col.cert}",
                                          keys=[("server", *CERTS[col.cert])])
    nss_v = {"1.2": "tls1.2:tls1.2", "1.3": "tls1.3:tls1.3"}[col.version]
    args = ["-V", nss_v, "-c", f":{col.hexid}"]
    if col.version == "1.3":
        args += ["-I", GROUPS[col.group][3]]
    cmd = ["selfserv", "-d", _nss_server_db[col.cert], "-n", "server", "-p", "PORT", "-v", *args]
    with started(lambda: Peer(f"selfserv-{col.tag}", cmd), "selfserv") as p:
        res = our_client(p.port, col, "--get", "/")
        said = p.wait_for(r"SSL version (3\.\d) using (.*) with", timeout=5)
    reply_ok(res, r"GET / HTTP/1\.1", "echoed request")
    nss_ver = {"1.2": "3.3", "1.3": "3.4"}[col.version]
    need(said and said.group(1) == nss_ver and said.group(2) == CIPHERS[col.cipher][3],
         f"selfserv says {said.group(0) if said else 'nothing'}", p.output()[-1500:])
    return ok()


def jsse_server_cell(col):
    kind = col.cert
    key = (kind, col.group)
    if key not in _jsse:
        if f"ks-{kind}" not in _jsse:
            _jsse[f"ks-{kind}"] = java_keystore(f"jsse-{kind}", *CERTS[kind])
        cols = [c for c in COLS if c.cert == kind and c.group == col.group]
        listens = [(re.sub(r"\W", "_", c.key), "TLSv" + c.version, c.iana) for c in cols]
        opts = [f"-Djdk.tls.namedGroups={col.group}"] if col.group else []
        p, ports = peers13.jsse_server(f"jsse-{kind}-{col.group}", _jsse[f"ks-{kind}"], listens,
                                       java_opts=opts)
        _jsse[key] = (p, ports)
        _jsse.setdefault("procs", []).append(p)
    p, ports = _jsse[key]
    need(p.proc.poll() is None, "the JSSE server exited", p.output()[-1500:])
    res = our_client(ports[re.sub(r"\W", "_", col.key)], col, stdin=b"hello matrix\n")
    reply_ok(res, rf"echo: hello matrix\nsession: protocol=TLSv{col.version} suite={col.iana} ",
             "JSSE echo and session line")
    return ok()


_echo_file = None


def echo_lines():
    """64 KiB of text lines, for the echo servers that echo text (Botan: whole lines)."""
    global _echo_file
    if _echo_file is None:
        _echo_file = write(tmp("lines.txt"), "".join(f"line {i:05d} " + "x" * 52 + "\n"
                                                     for i in range(1024)))
    return _echo_file


def botan_server(col):
    cert = CERTS[col.cert][0]
    # No probe connection: Botan's tls_server says when it listens (on every interface,
    # for the second the cell lasts; it has no option to bind one address).
    port = free_port()
    cmd = ["botan", "tls_server", cert, pkcs8_key(col.cert), f"--port={port}",
           f"--policy={botan_policy(col, 'server')}"]
    with started(lambda: Peer(f"botan-server-{col.tag}", cmd,
                              started=lambda out: "Listening for new connections" in out),
                 "botan tls_server") as p:
        res = our_client(port, col, "--send", echo_lines())
    echo_ok(res, os.path.getsize(echo_lines()))
    return ok()


def peer_server(cmd, col, *extra, name):
    """One of our own peer programs as an echo server for our client: 64 KiB echoed, our
    close_notify answered with the peer's (the peer says it received ours)."""
    cert, key = CERTS[col.cert]
    cmd = [*cmd, "server", "--cert", cert, "--key", key, "--version", col.version,
           "--suite", col.iana, *extra]
    with started(lambda: Peer(f"{name}-{col.tag}", cmd,
                              started=lambda out: re.search(r"^listening \d+$", out, re.M)),
                 f"{name} server") as p:
        port = int(re.search(r"^listening (\d+)$", p.output(), re.M).group(1))
        res = our_client(port, col, "--send-bytes", str(ECHO_BYTES))
        wait_until(lambda: p.proc.poll() is not None, timeout=5)
        peer_out = p.output()
    echo_ok(res, ECHO_BYTES)
    need(f"echo: {ECHO_BYTES} bytes\nclose: close_notify received" in peer_out,
         f"{name} server: {peer_out.strip()[-200:]}", peer_out[-1500:])
    return ok()


def mbedtls_server(col):
    return peer_server([ARGS.mbedtls_peer], col, name="mbedtls")


def wolfssl_server(col):
    return peer_server([ARGS.wolfssl_peer], col, *(["--group", col.group] if col.group else []),
                       name="wolfssl")


def python_server(col):
    with environ(OPENSSL_CONF=openssl_conf(col, "pyserver")):
        return peer_server(PYPEER, col, *(["--cipher", col.ossl] if col.version == "1.2" else []),
                           name="python")


# ---- the rows ----------------------------------------------------------------------------

def only_12(why):
    return lambda col: why if col.version == "1.3" else None


BOTAN_NA = only_12("Debian 12's Botan 2.19 has no TLS 1.3 (Botan 3.0 added it)")
MBEDTLS_NA = only_12("Debian 12's mbedTLS 2.28 does TLS 1.2 only (its TLS 1.3 is an "
                     "experimental prototype, not built)")


def wolfssl_na(col):
    if col.kx == "rsa":
        return ("Debian's libwolfssl is built without WOLFSSL_STATIC_RSA: its TLS stack has no "
                "TLS_RSA_* suite")
    return None


def no_na(col):
    return None


# (row name, the peer, programs needed, n/a rule, function) per role.
SERVER_ROWS = [  # the peer is the client; tlsflow-server is the server
    ("OpenSSL", "`openssl s_client` (pinned with -cipher / -ciphersuites -groups): a 2.4 KiB "
     "line through `tlsflow-server --echo`, back on its stdout, then close_notify at the end "
     "of its stdin; the group from its `Server Temp Key`", ["openssl"], no_na, s_client),
    ("GnuTLS", "`gnutls-cli --priority`: the same line echoed, close_notify at the end of its "
     "stdin; the group from its `Description`", ["gnutls-cli"], no_na, gnutls_cli),
    ("NSS", "`tstclnt -V -c :HEX -I GROUP`: GET / from tlsflow-server's HTTP side, the page "
     "names suite, group and signature", ["tstclnt", "certutil", "pk12util"], no_na, tstclnt),
    ("wolfSSL", "tests/matrix/wolfssl_peer.c on Debian's libwolfssl (Debian ships no wolfSSL "
     "example programs): 32 KiB echoed in 4 KiB chunks, close_notify both ways",
     ["@wolfssl"], wolfssl_na, wolfssl_client),
    ("Java JSSE", "tests/socket/java/TlsPeer.java (`SSLSocket`, protocols, suites and "
     "`jdk.tls.namedGroups` set): GET /, the page checked", ["java", "javac", "keytool"], no_na,
     jsse_client_cell),
    ("Botan", "`botan tls_client --policy=FILE` (a policy allowing only the column's suite): "
     "the 2.4 KiB line echoed, close_notify at the end of its stdin", ["botan", "stdbuf"],
     BOTAN_NA, botan_client),
    ("mbedTLS", "tests/matrix/mbedtls_peer.c on Debian's libmbedtls: 32 KiB echoed in 4 KiB "
     "chunks, close_notify both ways", ["@mbedtls"], MBEDTLS_NA, mbedtls_client),
    ("curl", "`curl --ciphers` / `--tls13-ciphers --curves` (OpenSSL): GET /, the page checked",
     ["curl"], no_na, curl_cell),
    ("Python ssl", "tests/matrix/pyssl_peer.py (OpenSSL; TLS 1.3 suites and groups through "
     "an OPENSSL_CONF file): 32 KiB echoed, close_notify both ways (`unwrap`)", [], no_na,
     python_client),
    ("Chromium", "`chromium --headless --dump-dom` trusting our root through its NSS "
     "database; tlsflow-server limited to the column (`--suites`, `--min/max-version`): "
     "the page must show that handshake", ["chromium", "certutil"], no_na, chromium_cell),
]
CLIENT_ROWS = [  # the peer is the server; tlsflow-client is the client
    ("OpenSSL", "`openssl s_server -www` (pinned as its client): `tlsflow-client --get /`, "
     "the status page names version and suite", ["openssl"], no_na, s_server),
    ("GnuTLS", "`gnutls-serv --echo --priority`: `tlsflow-client --send` 64 KiB of text "
     "lines (its echo is text only), compared", ["gnutls-serv"], no_na, gnutls_serv),
    ("NSS", "`selfserv -V -c :HEX -I GROUP`: `tlsflow-client --get /`, selfserv echoes the "
     "request and names version and cipher", ["selfserv", "certutil", "pk12util"], no_na,
     selfserv),
    ("wolfSSL", "tests/matrix/wolfssl_peer.c: `tlsflow-client --send-bytes 65536` echoed, "
     "close_notify both ways", ["@wolfssl"], wolfssl_na, wolfssl_server),
    ("Java JSSE", "TlsPeer.java (`SSLServerSocket`, one listener per suite, one JVM per "
     "group): a line echoed with JSSE's session line", ["java", "javac", "keytool"], no_na,
     jsse_server_cell),
    ("Botan", "`botan tls_server --policy=FILE` (line echo): 64 KiB of text lines echoed",
     ["botan"], BOTAN_NA, botan_server),
    ("mbedTLS", "tests/matrix/mbedtls_peer.c: 64 KiB echoed, close_notify both ways",
     ["@mbedtls"], MBEDTLS_NA, mbedtls_server),
    ("Python ssl", "tests/matrix/pyssl_peer.py: 64 KiB echoed, close_notify both ways", [],
     no_na, python_server),
]
ROLES = [("server", "tlsflow-server (our server) against each peer's client", SERVER_ROWS),
         ("client", "tlsflow-client (our client) against each peer's server", CLIENT_ROWS)]
CLIENT_ONLY = "curl and Chromium are clients only: they have no row in the client-role tables."

QUICK = {  # role: [(row, column key)]: a few seconds, only peers that ci/deps installs
    "server": [("OpenSSL", "1.2 RSA AES-128-GCM"), ("OpenSSL", "1.3 x25519 AES-128-GCM"),
               ("GnuTLS", "1.3 P-384 ChaCha20-Poly1305"), ("NSS", "1.3 P-256 AES-128-GCM"),
               ("Python ssl", "1.2 ECDHE-ECDSA AES-256-GCM"), ("curl", "1.3 P-256 AES-256-GCM")],
    "client": [("OpenSSL", "1.3 P-384 AES-256-GCM"), ("OpenSSL", "1.2 RSA AES-256-GCM"),
               ("OpenSSL", "1.3 x25519 AES-128-GCM ECDSA cert"),
               ("GnuTLS", "1.2 ECDHE-RSA ChaCha20-Poly1305"),
               ("NSS", "1.2 ECDHE-ECDSA ChaCha20-Poly1305"),
               ("Python ssl", "1.3 x25519 ChaCha20-Poly1305")],
}
for _role, _cells in QUICK.items():  # a renamed column must not drop a quick cell silently
    assert all(k in COL for _, k in _cells), _cells


def missing_tools(tools):
    out = []
    for t in tools:
        if t == "@wolfssl":
            if not (ARGS.wolfssl_peer and os.access(ARGS.wolfssl_peer, os.X_OK)):
                out.append("wolfssl_peer (not built: libwolfssl-dev)")
        elif t == "@mbedtls":
            if not (ARGS.mbedtls_peer and os.access(ARGS.mbedtls_peer, os.X_OK)):
                out.append("mbedtls_peer (not built: libmbedtls-dev)")
        elif not shutil.which(t):
            out.append(t)
    return out


def run_cell(fn, col):
    t0 = time.monotonic()
    try:
        res = fn(col)
    except Fail as f:
        res = Result("fail", f.why, f.detail)
    except Exception as e:  # a peer that did not start, a parse error: the cell fails
        first = str(e).splitlines()[0] if str(e) else ""
        res = Result("fail", f"{type(e).__name__}: {first}"[:300],
                     repr(e)[-3000:])
    res.seconds = time.monotonic() - t0
    return res


def main():
    only = set(x.strip() for x in ARGS.only.split(",")) if ARGS.only else None
    results = {}  # (role, row) -> {col key: Result}
    t_start = time.monotonic()
    try:
        for role, _, rows in ROLES:
            for name, _, tools, na_rule, fn in rows:
                if only and name not in only:
                    continue
                if ARGS.quick and not any(r == name for r, _ in QUICK[role]):
                    continue
                cells = results.setdefault((role, name), {})
                missing = missing_tools(tools)
                for col in COLS:
                    if ARGS.quick and (name, col.key) not in QUICK[role]:
                        continue
                    why = na_rule(col)
                    if why:
                        res = na(why)
                    elif missing:
                        res = Result("fail", f"not installed: {', '.join(missing)}")
                    else:
                        res = run_cell(fn, col)
                    cells[col.key] = res
                    mark = {"pass": "ok  ", "fail": "FAIL", "na": "n/a "}[res.status]
                    secs = f"{getattr(res, 'seconds', 0):5.1f}s" if res.status != "na" else "      "
                    print(f"{mark} {secs} {role:6} {name:10} TLS {col.key}"
                          + (f": {res.note}" if res.note and res.status == "fail" else ""),
                          flush=True)
                    if res.status == "fail" and res.detail:
                        print("       " + res.detail[-1200:].replace("\n", "\n       "), flush=True)
                        if ARGS.logs:
                            os.makedirs(ARGS.logs, exist_ok=True)
                            fn_ = re.sub(r"\W+", "_", f"{role}_{name}_{col.key}") + ".txt"
                            write(os.path.join(ARGS.logs, fn_), f"{res.note}\n\n{res.detail}\n")
                # A peer's long-running servers end with its row.
                for p in _jsse.pop("procs", []):
                    p.stop()
                for k in [k for k in _jsse if isinstance(k, tuple)]:
                    del _jsse[k]
    finally:
        stop_servers()
        for p in _jsse.pop("procs", []):
            p.stop()
        elapsed = time.monotonic() - t_start
    counts = {s: sum(1 for cells in results.values() for r in cells.values() if r.status == s)
              for s in ("pass", "fail", "na")}
    failed = [(role, name, key, r) for (role, name), cells in results.items()
              for key, r in cells.items() if r.status == "fail"]
    print(f"\ninterop matrix: {counts['pass']} cells pass, {counts['fail']} fail, "
          f"{counts['na']} n/a, in {elapsed:.0f} s")
    for role, name, key, r in failed:
        print(f"  FAIL {role} {name} TLS {key}: {r.note}")
    if ARGS.json:
        write(ARGS.json, json.dumps({f"{role}|{name}|{key}": vars(r) for (role, name), cells in
                                     results.items() for key, r in cells.items()}, indent=1))
    if ARGS.out:
        write(ARGS.out, report(results, counts, elapsed))
        print(f"report: {ARGS.out}")
    # The plain closing line CI reads (n/a cells count as skipped).
    print(f"interop: {counts['pass']} passed, {counts['fail']} failed, {counts['na']} skipped")
    peers13.cleanup()
    return 1 if counts["fail"] else 0


# ---- the report --------------------------------------------------------------------------

def versions():
    def first(cmd, pattern=r"(.*)"):
        r = run(cmd, timeout=30)
        m = re.search(pattern, text(r.stdout) + text(r.stderr))
        return m.group(1).strip() if m else "?"

    def deb(pkg):
        r = run(["dpkg-query", "-W", "-f=${Version}", pkg])
        return text(r.stdout).strip() or "not installed"
    return [
        ("OpenSSL", first(["openssl", "version"])),
        ("GnuTLS", first(["gnutls-cli", "--version"], r"gnutls-cli (\S+)")),
        ("NSS", "libnss3 " + deb("libnss3")),
        ("wolfSSL", "libwolfssl " + deb("libwolfssl35") if deb("libwolfssl35") != "not installed"
         else "libwolfssl-dev " + deb("libwolfssl-dev")),
        ("Java JSSE", first(["java", "-version"], r"(\S+ version \S+)")),
        ("Botan", "botan " + first(["botan", "version"])),
        ("mbedTLS", "libmbedtls-dev " + deb("libmbedtls-dev")),
        ("curl", first(["curl", "--version"], r"^(curl \S+ .*?OpenSSL/\S+)")),
        ("Python ssl", f"Python {sys.version.split()[0]}, " + __import__("ssl").OPENSSL_VERSION),
        ("Chromium", first(["chromium", "--version"])),
    ]


def report(results, counts, elapsed):
    notes = []  # footnote texts, numbered in order of first use

    def fn(textv):
        if textv not in notes:
            notes.append(textv)
        return notes.index(textv) + 1

    def cell(r):
        if r is None:
            return " "
        if r.status == "pass":
            return f"✓ [{fn(r.note)}]" if r.note else "✓"
        if r.status == "na":
            return f"n/a [{fn(r.note)}]"
        return f"✗ [{fn(r.note)}]"

    head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip() or "?"
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--", "core", "server"],
                           capture_output=True, text=True).stdout.strip()
    if dirty:
        head += " (with uncommitted changes in core/ or server/)"
    out = ["# Interop matrix", "",
           "Generated by `ci/interop` (tests/matrix/matrix.py): tlsflow-server and tlsflow-client "
           "against every independent TLS stack Debian 12 offers on this machine, one cell per "
           "(role, peer, version, key exchange or group, suite). Do not edit by hand: run "
           "`ci/interop` again (see the end).", "",
           f"Run: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, tlsflow "
           f"{head}{', ' + ARGS.build_note if ARGS.build_note else ''}; "
           f"{counts['pass']} cells pass, {counts['fail']} fail, {counts['na']} n/a; "
           f"{elapsed:.0f} s.", "",
           "**A cell passes** only if the handshake completes with the column's version and "
           "suite, as our own side records it (tlsflow-server's `--log` line, tlsflow-client's "
           "`handshake done:` line; in TLS 1.3 the peer offers or accepts only the column's "
           "group, and where the peer or our page names the group that is checked too); "
           "application data goes both ways (an echo compared byte for byte, 2 KiB to 64 KiB, "
           "or a request and the page it gets); and the connection ends with close_notify "
           "where the peer sends one (a footnote says where it does not). **✓** pass, "
           "**✗ [n]** fail (footnote: what happens), **n/a [n]** the peer cannot do it "
           "(footnote: why). Our client offers x25519 first: against a peer that takes only "
           "P-256 or P-384 the TLS 1.3 cell goes through a HelloRetryRequest.", "",
           "TLS 1.2 ECDHE cells do not restrict the group (each side's defaults apply). "
           "Certificates: tests/fixtures (RSA 2048 and ECDSA P-256 leaves for `localhost` "
           "under one root). In TLS 1.2 tlsflow-server holds both and the suite picks; "
           "ECDHE-ECDSA columns give peer servers the ECDSA one, the others the RSA one. In "
           "TLS 1.3 both sides use the RSA certificate (rsa_pss_rsae_sha256) except in the "
           "last column (ECDSA P-256, ecdsa_secp256r1_sha256), and that signature is checked. "
           + CLIENT_ONLY, ""]
    for role, title, rows in ROLES:
        for version in ("1.2", "1.3"):
            cols = [c for c in COLS if c.version == version]
            present = [r for r in rows if (role, r[0]) in results]
            if not present:
                continue
            out += [f"## {title}: TLS {version}", ""]
            head_cells = [c.label for c in cols]
            peer_word = "peer (its client)" if role == "server" else "peer (its server)"
            out.append(f"| {peer_word} | " + " | ".join(head_cells) + " |")
            out.append("|---|" + "---|" * len(cols))
            for name, prog, _, _, _ in present:
                cells = results[(role, name)]
                out.append(f"| {name} | " +
                           " | ".join(cell(cells.get(c.key)) for c in cols) + " |")
            out.append("")
    out += ["## Notes", ""]
    out += [f"{i}. {n}" for i, n in enumerate(notes, 1)]
    out += ["", "## What each row runs", "", "| role | peer | program and exchange |",
            "|---|---|---|"]
    for role, _, rows in ROLES:
        for name, prog, _, _, _ in rows:
            if (role, name) in results:
                out.append(f"| {'our server' if role == 'server' else 'our client'} | {name} | "
                           f"{prog} |")
    out += ["", "## Peer quirks met on the way (not failures)", "",
            "- `gnutls-serv --echo` echoes text: a NUL byte ends what it sends back, and "
            "without `--echo` it does not echo at all; the client cells send text lines.",
            "- Botan's `tls_client` buffers its stdout (`stdbuf -o0` shows the echo as it "
            "comes); `tls_server` serves whole lines and listens on every interface; Botan "
            "reads PKCS#8 keys only; its TLS_RSA_* suites need `signature_methods = IMPLICIT` "
            "in the policy.",
            "- Python's `ssl` cannot choose TLS 1.3 suites or groups: an `OPENSSL_CONF` file "
            "with `Ciphersuites` and `Groups` does.",
            "- In TLS 1.2, a client whose supported_groups leaves out the ECDSA certificate's "
            "curve gets no ECDHE-ECDSA suite from tlsflow-server (RFC 8422 §5.1): pinning "
            "mbedTLS to P-384 alone makes that handshake fail, correctly; the 1.2 cells do not "
            "pin the group.",
            "- In the HTTP cells (tstclnt, JSSE, curl, Chromium) tlsflow-server closes first, "
            "with close_notify after the page; Chromium closes its own connections without "
            "one."]
    out += ["", "## Peers", "", "| peer | version |", "|---|---|"]
    out += [f"| {n} | {v} |" for n, v in versions()]
    out += ["", "## How to run", "",
            "```",
            "ci/interop            # installs what is missing, builds build-interop/, runs every "
            "cell, rewrites this file",
            "ci/interop --quick    # a handful of cells in under a minute (no report)",
            "ci/interop --only NSS,Botan   # some rows only (no report)",
            "```", "",
            "Every process runs on 127.0.0.1 and is stopped by its PID; every step has a "
            "deadline. The output of a failed cell is kept in build-interop/interop-logs/.", ""]
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
