"""Our client against openssl s_server -tls1_2 and gnutls-serv, both suites, with the
generated server certificate; and its key log against the server's."""
import os
import subprocess
import tempfile
import time

from tfsock import CA, CLIENT, PKI, check, finish, free_port, run, text, wait_port

CERT, KEY = os.path.join(PKI, "server.pem"), os.path.join(PKI, "server.key")
tmp = tempfile.mkdtemp(prefix="tfinterop-")


def peer(cmd):
    """Start a peer server on a free port; retry if the port was taken meanwhile."""
    for _ in range(5):
        port = free_port()
        p = subprocess.Popen([a.replace("PORT", str(port)) for a in cmd],
                             stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        if wait_port(port, timeout=10):
            return p, port
        p.kill()
        p.wait(timeout=5)
    raise RuntimeError("peer server did not start: " + " ".join(cmd))


def stop(p):
    p.kill()  # our own child, by its PID
    p.wait(timeout=5)


# OpenSSL 3 as a server wants @SECLEVEL=0 for RSA key transport without a
# signature_algorithms extension (see shared/notes/peers.md).
for suite, iana in [("AES128-GCM-SHA256", "TLS_RSA_WITH_AES_128_GCM_SHA256"),
                    ("AES256-GCM-SHA384", "TLS_RSA_WITH_AES_256_GCM_SHA384")]:
    p, port = peer(["openssl", "s_server", "-accept", "127.0.0.1:PORT", "-tls1_2", "-cert",
                    CERT, "-key", KEY, "-cipher", f"{suite}:@SECLEVEL=0", "-www"])
    try:
        keylog = os.path.join(tmp, f"{suite}.keys")
        r = run([CLIENT, f"localhost:{port}", "--ca", CA, "--get", "/", "--keylog", keylog])
        err = text(r.stderr)
        check(r.returncode == 0, f"client vs s_server {suite}: exit 0", err[-800:])
        check(f"handshake done: TLS 1.2, {iana}" in err, f"client vs s_server {suite}: suite")
        for n in (1, 2, 3, 4, 5):
            check(f"[{n}]" in err, f"client vs s_server {suite}: trace step {n}")
        check("HTTP/1.0 200 ok" in text(r.stdout), f"client vs s_server {suite}: reply")
        check(open(keylog).read().startswith("CLIENT_RANDOM "), f"client key log {suite}")
    finally:
        stop(p)

p, port = peer(["gnutls-serv", "--port", "PORT", "--x509certfile", CERT, "--x509keyfile", KEY,
                "--http", "--priority", "NORMAL:+RSA"])  # it asks for a client certificate
try:
    r = run([CLIENT, f"localhost:{port}", "--ca", CA, "--get", "/"])
    err = text(r.stderr)
    check(r.returncode == 0 and "handshake done: TLS 1.3" in err, "client vs gnutls-serv: TLS 1.3",
          err[-800:])
    check("200 OK" in text(r.stdout), "client vs gnutls-serv, TLS 1.3: reply",
          text(r.stdout)[:300])
    r = run([CLIENT, f"localhost:{port}", "--ca", CA, "--get", "/", "--max-version", "1.2"])
    err = text(r.stderr)
    check(r.returncode == 0 and "handshake done: TLS 1.2" in err, "client vs gnutls-serv",
          err[-800:])
    check("CertificateRequest" in err, "gnutls-serv asked for a client certificate", err[-800:])
    check("HTTP/1.0 200 OK" in text(r.stdout) or "200 OK" in text(r.stdout),
          "client vs gnutls-serv: reply", text(r.stdout)[:300])
    # Without the right CA the same server must be refused.
    r = run([CLIENT, f"localhost:{port}", "--ca", os.path.join(PKI, "scenarios",
                                                                "untrusted-ca.pem"),
             "--get", "/"])
    check(r.returncode == 1 and "TLSFLOW_E_CERT_UNKNOWN_CA" in text(r.stderr),
          "client vs gnutls-serv with the wrong CA: unknown CA", text(r.stderr)[-300:])
finally:
    stop(p)
finish()
