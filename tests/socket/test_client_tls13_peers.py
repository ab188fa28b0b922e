"""tlsflow-client against four independent TLS stacks as servers (issue 11): OpenSSL's
s_server, GnuTLS's gnutls-serv, NSS's selfserv and a JSSE server (java/TlsPeer.java). In
TLS 1.3: every suite, every group (a server that wants a group we sent no share for makes
us answer a HelloRetryRequest: our first share is x25519), RSA and ECDSA certificates; and
TLS 1.2 against each (--max-version 1.2, and a 1.2-only server with our default offer).
Each case: our exit status, our summary line (version, suite, group, HelloRetryRequest),
the reply, and where the peer prints it, the peer's own view of the version and suite."""
import re

from peers13 import (Peer, check, fixture, gnutls_serv, java_keystore, jsse_server, nss_db, run,
                     run_groups, s_server, text)
from tfsock import CLIENT

CA = fixture("ca.pem")
SUITES = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"]


def client(port, *args, stdin=None):
    r = run([CLIENT, f"localhost:{port}", "--ca", CA, "--timeout", "10", *args],
            input=stdin.encode() if stdin else None)
    return r.returncode, text(r.stdout), text(r.stderr)


def summary(err):
    m = re.search(r"^handshake done: .*$", err, re.M)
    return m.group(0) if m else ""


def expect(what, res, version, suite=None, group=None, hrr=False, reply=None, sig=None):
    """Our side of one connection: exit 0, the summary's version/suite/group/HRR/signature,
    the HelloRetryRequest step in the trace exactly when expected, the reply."""
    rc, out, err = res
    s = summary(err)
    head = f"handshake done: TLS {version}, {suite or ''}"
    ok = rc == 0 and s.startswith(head)
    if group:
        ok &= f", group {group}{' after HelloRetryRequest' if hrr else ','}" in s
    if sig:
        ok &= f"signature {sig}," in s
    ok &= ("HelloRetryRequest: the server asks" in err) == hrr
    if reply:
        ok &= re.search(reply, out) is not None
    check(ok, what, f"exit {rc}; summary: {s}\nstdout: {out[-400:]}\nstderr: {err[-1200:]}")
    return ok


# ---- OpenSSL s_server ----------------------------------------------------------------------

def openssl_cases():
    for suite in SUITES:
        with s_server(f"openssl-{suite}", "-tls1_3", "-www", "-ciphersuites", suite) as p:
            res = client(p.port, "--get", "/")
            expect(f"s_server TLS 1.3 {suite}", res, "1.3", suite, "x25519",
                   reply=rf"New, TLSv1\.3, Cipher is {suite}", sig="rsa_pss_rsae_sha256")
    # Groups: s_server takes only this group; x25519 is our first share, so the other two
    # come after a HelloRetryRequest.
    for ossl, iana, hrr in [("X25519", "x25519", False), ("P-256", "secp256r1", True),
                            ("P-384", "secp384r1", True)]:
        with s_server(f"openssl-{ossl}", "-tls1_3", "-www", "-groups", ossl) as p:
            res = client(p.port, "--get", "/")
            expect(f"s_server TLS 1.3 -groups {ossl}: {iana}{', HRR' if hrr else ''}", res,
                   "1.3", group=iana, hrr=hrr, reply=r"Shared groups: " + iana)
    # ECDSA certificates: the CertificateVerify scheme follows the key's curve.
    for cert, sig in [("server-ec", "ecdsa_secp256r1_sha256"),
                      ("server-ec384", "ecdsa_secp384r1_sha384")]:
        with s_server(f"openssl-{cert}", "-tls1_3", "-www", cert=f"{cert}.pem",
                      key=f"{cert}.key") as p:
            expect(f"s_server TLS 1.3 {cert}: {sig}", client(p.port, "--get", "/"), "1.3",
                   sig=sig, reply=r"New, TLSv1\.3")
    # TLS 1.2: a 1.3-capable server with our --max-version 1.2, and a 1.2-only server with
    # our default offer (1.3 and 1.2: no downgrade sentinel may fire).
    with s_server("openssl-any", "-www") as p:
        expect("s_server, our --max-version 1.2: TLS 1.2 ECDHE",
               client(p.port, "--get", "/", "--max-version", "1.2"), "1.2",
               "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "x25519",
               reply=r"New, TLSv1\.2, Cipher is ECDHE-RSA-AES128-GCM-SHA256")
        expect("s_server default: TLS 1.3", client(p.port, "--get", "/"), "1.3",
               "TLS_AES_128_GCM_SHA256", reply=r"New, TLSv1\.3")
    with s_server("openssl-12", "-tls1_2", "-www") as p:
        expect("s_server -tls1_2, our default offer: TLS 1.2", client(p.port, "--get", "/"),
               "1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
               reply=r"New, TLSv1\.2, Cipher is ECDHE-RSA-AES128-GCM-SHA256")
    with s_server("openssl-min13", "-tls1_2", "-www") as p:
        rc, _, err = client(p.port, "--get", "/", "--min-version", "1.3")
        check(rc == 1 and "protocol_version" in err,
              "s_server -tls1_2 vs our --min-version 1.3: refused (protocol_version)",
              err[-600:])


# ---- GnuTLS gnutls-serv ------------------------------------------------------------------

GNUTLS13 = "NORMAL:-VERS-ALL:+VERS-TLS1.3"
GNUTLS_CIPHER = {"TLS_AES_128_GCM_SHA256": "AES-128-GCM", "TLS_AES_256_GCM_SHA384": "AES-256-GCM",
                 "TLS_CHACHA20_POLY1305_SHA256": "CHACHA20-POLY1305"}


def gnutls_cases():
    for suite, cipher in GNUTLS_CIPHER.items():
        with gnutls_serv(f"gnutls-{cipher}", f"{GNUTLS13}:-CIPHER-ALL:+{cipher}", "--http",
                         "--disable-client-cert") as p:
            expect(f"gnutls-serv TLS 1.3 {suite}", client(p.port, "--get", "/"), "1.3", suite,
                   "x25519", reply=rf"Protocol version:.*TLS1\.3(.|\n)*Cipher.*{cipher}")
    for gname, iana, hrr in [("SECP256R1", "secp256r1", True), ("SECP384R1", "secp384r1", True),
                             ("X25519", "x25519", False)]:
        with gnutls_serv(f"gnutls-{gname}", f"{GNUTLS13}:-GROUP-ALL:+GROUP-{gname}", "--http",
                         "--disable-client-cert") as p:
            expect(f"gnutls-serv TLS 1.3 group {iana}{', HRR' if hrr else ''}",
                   client(p.port, "--get", "/"), "1.3", group=iana, hrr=hrr,
                   reply=r"Protocol version:.*TLS1\.3")
    with gnutls_serv("gnutls-ec", GNUTLS13, "--http", "--disable-client-cert",
                     cert="server-ec.pem", key="server-ec.key") as p:
        expect("gnutls-serv TLS 1.3 ECDSA P-256 certificate", client(p.port, "--get", "/"),
               "1.3", sig="ecdsa_secp256r1_sha256", reply=r"Protocol version:.*TLS1\.3")
    with gnutls_serv("gnutls-any", "NORMAL", "--http", "--disable-client-cert") as p:
        expect("gnutls-serv, our --max-version 1.2: TLS 1.2",
               client(p.port, "--get", "/", "--max-version", "1.2"), "1.2",
               "TLS_ECDHE_RSA_WITH_AES_", reply=r"Protocol version:.*TLS1\.2")
        expect("gnutls-serv default: TLS 1.3", client(p.port, "--get", "/"), "1.3",
               reply=r"Protocol version:.*TLS1\.3")
    with gnutls_serv("gnutls-12", "NORMAL:-VERS-ALL:+VERS-TLS1.2", "--http",
                     "--disable-client-cert") as p:
        expect("gnutls-serv TLS 1.2 only, our default offer: TLS 1.2",
               client(p.port, "--get", "/"), "1.2", "TLS_ECDHE_RSA_WITH_AES_",
               reply=r"Protocol version:.*TLS1\.2")


# ---- NSS selfserv ------------------------------------------------------------------------

def selfserv(name, db, nick, *args):
    """selfserv answers an HTTP request with a fixed header and the request itself; -v
    makes it print each connection's version and cipher."""
    return Peer(name, ["selfserv", "-d", db, "-n", nick, "-p", "PORT", "-v", *args])


def nss_view(p, pattern):
    """selfserv's own line about the last connection (printed after the reply)."""
    return p.wait_for(pattern, timeout=5) is not None


def nss_cases():
    rsa = nss_db("nss-rsa", keys=[("server", "server.pem", "server.key")])
    ec = nss_db("nss-ec", keys=[("server", "server-ec.pem", "server-ec.key")])
    for suite, hexid, nss_cipher in [("TLS_AES_128_GCM_SHA256", "1301", "128-bit AES-GCM"),
                                     ("TLS_AES_256_GCM_SHA384", "1302", "256-bit AES-GCM"),
                                     ("TLS_CHACHA20_POLY1305_SHA256", "1303",
                                      "256-bit CHACHA20POLY1305")]:
        with selfserv(f"nss-{hexid}", rsa, "server", "-V", "tls1.3:tls1.3", "-c", f":{hexid}") as p:
            res = client(p.port, "--get", "/")
            expect(f"selfserv TLS 1.3 {suite}", res, "1.3", suite, "x25519",
                   sig="rsa_pss_rsae_sha256", reply=r"Generic Web Server(.|\n)*GET / HTTP/1\.1")
            check(nss_view(p, rf"SSL version 3\.4 using {nss_cipher}"),
                  f"selfserv says TLS 1.3 with {nss_cipher}", p.output()[-600:])
    for nss_group, iana, hrr in [("P256", "secp256r1", True), ("P384", "secp384r1", True),
                                 ("x25519", "x25519", False)]:
        with selfserv(f"nss-{nss_group}", rsa, "server", "-V", "tls1.3:tls1.3", "-I",
                      nss_group) as p:
            expect(f"selfserv TLS 1.3 -I {nss_group}: {iana}{', HRR' if hrr else ''}",
                   client(p.port, "--get", "/"), "1.3", group=iana, hrr=hrr,
                   reply=r"GET / HTTP/1\.1")
    with selfserv("nss-ec", ec, "server", "-V", "tls1.3:tls1.3") as p:
        expect("selfserv TLS 1.3 ECDSA P-256 certificate", client(p.port, "--get", "/"), "1.3",
               sig="ecdsa_secp256r1_sha256", reply=r"GET / HTTP/1\.1")
    with selfserv("nss-any", rsa, "server") as p:
        expect("selfserv, our --max-version 1.2: TLS 1.2",
               client(p.port, "--get", "/", "--max-version", "1.2"), "1.2",
               "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "x25519", reply=r"GET / HTTP/1\.1")
        check(nss_view(p, r"SSL version 3\.3 using"), "selfserv says TLS 1.2", p.output()[-600:])
        expect("selfserv default: TLS 1.3", client(p.port, "--get", "/"), "1.3",
               reply=r"GET / HTTP/1\.1")
    with selfserv("nss-12", rsa, "server", "-V", "tls1.2:tls1.2") as p:
        expect("selfserv TLS 1.2 only, our default offer: TLS 1.2",
               client(p.port, "--get", "/"), "1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
               reply=r"GET / HTTP/1\.1")


# ---- JSSE --------------------------------------------------------------------------------

def jsse_cases():
    ks = java_keystore("jsse-server", "server.pem", "server.key")
    listens = [(s, "TLSv1.3", s) for s in SUITES] + [("tls12", "TLSv1.2", "-"),
                                                      ("any", "-", "-")]
    p, ports = jsse_server("jsse-server", ks, listens)
    with p:
        for suite in SUITES:
            expect(f"JSSE TLS 1.3 {suite}", client(ports[suite], stdin="hello jsse\n"), "1.3",
                   suite, "x25519", sig="rsa_pss_rsae_sha256",
                   reply=rf"echo: hello jsse\nsession: protocol=TLSv1\.3 suite={suite}")
        expect("JSSE TLS 1.2 only, our default offer: TLS 1.2",
               client(ports["tls12"], stdin="hello 12\n"), "1.2", "TLS_ECDHE_RSA_WITH_AES_",
               "x25519", reply=r"echo: hello 12\nsession: protocol=TLSv1\.2 suite=TLS_ECDHE_RSA_")
        expect("JSSE, our --max-version 1.2: TLS 1.2",
               client(ports["any"], "--max-version", "1.2", stdin="hi\n"), "1.2",
               "TLS_ECDHE_RSA_WITH_AES_", reply=r"session: protocol=TLSv1\.2")
        expect("JSSE default: TLS 1.3", client(ports["any"], stdin="hi\n"), "1.3",
               reply=r"session: protocol=TLSv1\.3")
    # JSSE's groups are one setting per JVM: a P-384-only server makes us retry.
    p, ports = jsse_server("jsse-p384", ks, [("p384", "TLSv1.3", "-")],
                           java_opts=["-Djdk.tls.namedGroups=secp384r1"])
    with p:
        expect("JSSE TLS 1.3 secp384r1 only: HRR", client(ports["p384"], stdin="hrr\n"), "1.3",
               group="secp384r1", hrr=True, reply=r"echo: hrr\nsession: protocol=TLSv1\.3")


run_groups([("OpenSSL", ["openssl"], openssl_cases),
            ("GnuTLS", ["gnutls-serv"], gnutls_cases),
            ("NSS", ["selfserv", "certutil", "pk12util"], nss_cases),
            ("JSSE", ["java", "javac", "keytool"], jsse_cases)])
