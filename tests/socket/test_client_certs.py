"""tlsflow-client --cert/--key (issue 13): client certificates against OpenSSL's s_server
and GnuTLS's gnutls-serv, TLS 1.3 and 1.2, RSA and EC (P-256, and P-384 under an
intermediate CA the chain file carries). Each server verifies what we send: it completes
with our certificate (the server says whose and that it verified), refuses us without one
(we report its alert, it says why), refuses a chain it cannot complete, and the engine
picks among several pairs the one the server's signature algorithms allow."""
import re

from peers13 import (check, fixture, gnutls_serv, run, run_groups, s_server, text,
                     tmp_path)
from tfsock import CLIENT

CA = fixture("ca.pem")
RSA = ("client.pem", "client.key", "CN=tlsflow test client", "RSA 2048")
EC = ("client-ec.pem", "client-ec.key", "CN=tlsflow test client EC", "EC 256")
# The trace line of an empty client Certificate (TLS 1.2 ends before our summary line).
EMPTY_SENT = "Client certificate sent    Certificate: empty"


def client(port, *args):
    r = run([CLIENT, f"localhost:{port}", "--ca", CA, "--timeout", "10", "--get", "/", *args])
    return r.returncode, text(r.stdout), text(r.stderr)


def creds(*pairs):
    out = []
    for cert, key, *_ in pairs:
        out += ["--cert", fixture(cert), "--key", fixture(key)]
    return out


def sent(err, subject, key):
    """Our summary says the server asked and we sent this certificate."""
    cn = subject.split("=", 1)[1]
    kt, bits = key.split()
    return f"client certificate: requested, sent /CN={cn} ({kt} {bits} bits)" in err


def make_intermediate_chain():
    """A P-384 client leaf under an intermediate CA under the fixture root, made by the
    openssl command (test-only); returns (chain file: leaf + intermediate, leaf only, key)."""
    ext = tmp_path("ext.cnf")
    with open(ext, "w") as f:
        f.write("[int]\nbasicConstraints=critical,CA:TRUE,pathlen:0\n"
                "keyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n"
                "authorityKeyIdentifier=keyid\n"
                "[leaf]\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                "extendedKeyUsage=clientAuth\nsubjectKeyIdentifier=hash\n"
                "authorityKeyIdentifier=keyid\n")
    p = {n: tmp_path(n) for n in ("int.key", "int.csr", "int.pem", "leaf.key", "leaf.csr",
                                  "leaf.pem", "chain.pem")}
    steps = [
        ["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", p["int.key"], "-subj", "/CN=tlsflow test intermediate",
         "-out", p["int.csr"]],
        ["openssl", "x509", "-req", "-in", p["int.csr"], "-CA", CA, "-CAkey",
         fixture("ca.key"), "-set_serial", "4097", "-days", "30", "-extfile", ext,
         "-extensions", "int", "-out", p["int.pem"]],
        ["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384",
         "-nodes", "-keyout", p["leaf.key"], "-subj", "/CN=tlsflow test client via int",
         "-out", p["leaf.csr"]],
        ["openssl", "x509", "-req", "-in", p["leaf.csr"], "-CA", p["int.pem"], "-CAkey",
         p["int.key"], "-set_serial", "4098", "-days", "30", "-extfile", ext, "-extensions",
         "leaf", "-out", p["leaf.pem"]],
    ]
    for cmd in steps:
        r = run(cmd)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)}: {text(r.stderr)}")
    with open(p["chain.pem"], "w") as out:
        for n in ("leaf.pem", "int.pem"):
            out.write(open(p[n]).read())
    return p["chain.pem"], p["leaf.pem"], p["leaf.key"]


# ---- OpenSSL s_server -Verify ------------------------------------------------------------
# -verifyCAfile: the roots s_server checks our chain against, without sending their names
# (a -CAfile would also send them as certificate_authorities: see below).

def verifying(name, flag, *args, depth="1", roots="-verifyCAfile"):
    """s_server that requires a client certificate chaining to the fixture root within
    depth, refuses one that does not (-verify_return_error), and prints it on its page."""
    return s_server(name, flag, "-www", "-Verify", depth, roots, CA, "-verify_return_error",
                    *args)


def openssl_cases():
    for v, flag, no_cert_alert in [("1.3", "-tls1_3", "certificate_required alert (116)"),
                                   ("1.2", "-tls1_2", "handshake_failure alert (40)")]:
        for cert, key, subject, kt in (RSA, EC):
            with verifying(f"ossl-{v}-{cert}", flag) as p:
                rc, out, err = client(p.port, *creds((cert, key)))
                check(rc == 0 and f"handshake done: TLS {v}" in err and sent(err, subject, kt),
                      f"s_server TLS {v} -Verify: our {kt} certificate sent", err[-1500:])
                check("Verify return code: 0 (ok)" in out and
                      re.search(rf"Client certificate\n(.|\n)*Subject: {subject}\n", out),
                      f"s_server TLS {v}: verified our {kt} certificate ({subject})",
                      out[-1500:])
        with verifying(f"ossl-{v}-none", flag) as p:
            rc, out, err = client(p.port)
            check(rc == 1 and EMPTY_SENT in err and f"the peer sent a fatal {no_cert_alert}" in err,
                  f"s_server TLS {v} -Verify, no --cert: refused with {no_cert_alert}",
                  err[-800:])
            check(p.wait_for(r"peer did not return a certificate", 5) is not None,
                  f"s_server TLS {v} says: peer did not return a certificate", p.output()[-600:])
        # The engine chooses: two pairs, the server's signature algorithms allow one.
        for sigalg, want in [("ECDSA+SHA256", EC), ("RSA-PSS+SHA256:RSA+SHA256", RSA)]:
            with verifying(f"ossl-{v}-{want[3][:2]}", flag, "-client_sigalgs", sigalg) as p:
                rc, out, err = client(p.port, *creds(RSA, EC) if want is EC else creds(EC, RSA))
                check(rc == 0 and sent(err, want[2], want[3]) and
                      f"Subject: {want[2]}\n" in out,
                      f"s_server TLS {v} -client_sigalgs {sigalg}: the engine picks the "
                      f"{want[3]} pair of two", err[-1200:])

    # The chain file carries the intermediate: s_server knows only the root.
    chain, leaf, leaf_key = make_intermediate_chain()
    for v, flag in [("1.3", "-tls1_3"), ("1.2", "-tls1_2")]:
        with verifying(f"ossl-{v}-int", flag, depth="2") as p:
            rc, out, err = client(p.port, "--cert", chain, "--key", leaf_key)
            check(rc == 0 and "Certificate: ours, 2 certificate(s)" in err and
                  sent(err, "CN=tlsflow test client via int", "EC 384"),
                  f"s_server TLS {v}: our P-384 leaf and its intermediate sent", err[-1500:])
            check("Verify return code: 0 (ok)" in out and
                  p.wait_for(r"depth=1 CN = tlsflow test intermediate", 5) is not None,
                  f"s_server TLS {v}: verified the chain through the intermediate",
                  out[-800:] + p.output()[-800:])
            rc, out, err = client(p.port, "--cert", leaf, "--key", leaf_key)
            check(rc == 1 and re.search(r"the peer sent a fatal (unknown_ca|bad_certificate)",
                                        err) is not None,
                  f"s_server TLS {v}: the leaf without its intermediate is refused", err[-800:])
            check(p.wait_for(r"unable to get local issuer certificate", 5) is not None,
                  f"s_server TLS {v} says: unable to get local issuer certificate",
                  p.output()[-800:])

    # Servers that name their CAs (the usual -CAfile): the engine should match our issuer.
    for v, flag in [("1.3", "-tls1_3"), ("1.2", "-tls1_2")]:
        with verifying(f"ossl-{v}-names", flag, roots="-CAfile") as p:
            rc, out, err = client(p.port, *creds(RSA))
            check(rc == 0 and sent(err, RSA[2], RSA[3]),
                  f"s_server TLS {v} -Verify -CAfile (certificate_authorities names our "
                  "root): our certificate sent",
                  re.findall(r".*(?:Certificate requested|client certificate:|"
                             r"tlsflow-client:).*", err))
    with verifying("ossl-empty-cas", "-tls1_3", "-no_ca_names", roots="-CAfile") as p:
        rc, out, err = client(p.port, *creds(RSA))
        check(rc == 0 and sent(err, RSA[2], RSA[3]),
              "s_server TLS 1.3 -CAfile -no_ca_names (empty certificate_authorities): "
              "our certificate sent", re.findall(r".*tlsflow-client:.*", err))


# ---- GnuTLS gnutls-serv --require-client-cert ---------------------------------------------
# Without --x509cafile gnutls-serv names no CAs; it then checks our CertificateVerify
# signature (the handshake fails otherwise) but not the chain ("NOT verified").

GNUTLS = {"1.3": "NORMAL:-VERS-ALL:+VERS-TLS1.3", "1.2": "NORMAL:-VERS-ALL:+VERS-TLS1.2"}
# What gnutls-serv 3.7.9 answers a client without a certificate: its message and alert
# (in TLS 1.2 it maps GNUTLS_E_NO_CERTIFICATE_FOUND to decode_error, its choice).
GNUTLS_NO_CERT = {"1.3": ("Certificate is required.", "certificate_required alert (116)"),
                  "1.2": ("No certificate was found.", "decode_error alert (50)")}


def gnutls_cases():
    for v, prio in GNUTLS.items():
        for (cert, key, subject, kt), sig in [(RSA, "RSA-(PSS-RSAE-)?SHA256"),
                                              (EC, "ECDSA-(SECP256R1-)?SHA256")]:
            with gnutls_serv(f"gnutls-{v}-{cert}", prio, "--http", "--require-client-cert") as p:
                rc, out, err = client(p.port, *creds((cert, key)))
                check(rc == 0 and f"handshake done: TLS {v}" in err and sent(err, subject, kt),
                      f"gnutls-serv TLS {v} --require-client-cert: our {kt} certificate sent",
                      err[-1500:])
                check(p.wait_for(rf"Client Signature: {sig}", 5) is not None and
                      f"Subject: {subject}" in out,
                      f"gnutls-serv TLS {v}: took our {kt} certificate and its signature",
                      p.output()[-1500:])
        with gnutls_serv(f"gnutls-{v}-none", prio, "--http", "--require-client-cert") as p:
            says, alert = GNUTLS_NO_CERT[v]
            rc, out, err = client(p.port)
            check(rc == 1 and EMPTY_SENT in err and f"the peer sent a fatal {alert}" in err,
                  f"gnutls-serv TLS {v} --require-client-cert, no --cert: refused with {alert}",
                  err[-800:])
            check(p.wait_for(rf"Error in handshake: {re.escape(says)}", 5) is not None,
                  f"gnutls-serv TLS {v} says: {says}", p.output()[-600:])
        # With --x509cafile it names our root and verifies the chain.
        with gnutls_serv(f"gnutls-{v}-names", prio, "--http", "--require-client-cert",
                         "--verify-client-cert", "--x509cafile", CA) as p:
            rc, out, err = client(p.port, *creds(EC))
            check(rc == 0 and sent(err, EC[2], EC[3]),
                  f"gnutls-serv TLS {v} --x509cafile (names our root): our certificate sent",
                  re.findall(r".*(?:Certificate requested|client certificate:|"
                             r"tlsflow-client:).*", err))


# ---- our side of the command line ----------------------------------------------------------

def usage_cases():
    for args, want in [(["--cert", fixture("client.pem")], "needs its --key"),
                       (["--key", fixture("client.key")], "needs a --cert before it"),
                       (["--cert", "a", "--cert", "b"], "has no --key before the next --cert")]:
        r = run([CLIENT, "localhost:1", "--ca", CA, *args])
        check(r.returncode == 2 and want in text(r.stderr), f"{' '.join(args)} -> {want!r}",
              text(r.stderr))
    r = run([CLIENT, "localhost:1", "--ca", CA, "--cert", fixture("client.pem"), "--key",
             fixture("client-ec.key")])
    check(r.returncode == 2 and "is not the certificate's" in text(r.stderr),
          "a key that is not the certificate's: refused before connecting", text(r.stderr))
    r = run([CLIENT, "localhost:1", "--ca", CA, "--cert", fixture("nonexistent.pem"), "--key",
             fixture("client.key")])
    check(r.returncode == 2 and "nonexistent.pem" in text(r.stderr),
          "a missing --cert file: named", text(r.stderr))
    r = run([CLIENT, "--help"])
    check(r.returncode == 0 and "--cert FILE --key FILE" in text(r.stdout),
          "--help documents --cert/--key")


usage_cases()
run_groups([("OpenSSL", ["openssl"], openssl_cases),
            ("GnuTLS", ["gnutls-serv"], gnutls_cases)])
