"""Mutual TLS (issue 13, server side): the local PKI's client certificate
(client.pem/client.key, from client-ca.pem) against --client-auth required and against
mtls.localhost, in TLS 1.3 and TLS 1.2, from curl --cert/--key, openssl s_client
-cert/-key, gnutls-cli --x509certfile/--x509keyfile and Python's load_cert_chain: the
handshake succeeds and the page (text, /json) shows the certificate presented (subject,
issuer, key, verification result, fingerprint). Without a certificate each client is
refused (certificate_required in TLS 1.3, handshake_failure in TLS 1.2; what each one
reports is printed); a certificate from another CA is refused with unknown_ca;
--client-auth optional serves a client without one and says so; --client-ca FILE
replaces the roots. The CertificateRequest names the client CA in certificate_authorities
as a whole DER Name (OpenSSL-based clients refuse anything else with decode_error)."""
import json
import os
import re
import socket
import ssl
import sys
import tempfile

from tfsock import CA, PKI, Server, check, finish, http_body, https_get, run, text

CLIENT_PEM, CLIENT_KEY = os.path.join(PKI, "client.pem"), os.path.join(PKI, "client.key")
CLIENT_CA = os.path.join(PKI, "client-ca.pem")

tmp = tempfile.mkdtemp(prefix="tfmtls-")


def openssl(*args):
    r = run(["openssl", *args])
    if r.returncode != 0:
        print(text(r.stderr))
        sys.exit(1)


# Another CA and a client certificate from it (clientAuth, like ours).
O = lambda n: os.path.join(tmp, n)  # noqa: E731
open(O("ext"), "w").write("extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n")
openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", O("other-ca.key"), "-out",
        O("other-ca.pem"), "-subj", "/CN=some other CA", "-days", "30", "-addext",
        "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", O("other.key"), "-out", O("other.csr"),
        "-subj", "/CN=client of another CA")
openssl("x509", "-req", "-in", O("other.csr"), "-CA", O("other-ca.pem"), "-CAkey",
        O("other-ca.key"), "-CAcreateserial", "-out", O("other.pem"), "-days", "30", "-extfile",
        O("ext"))
OTHER_PEM, OTHER_KEY = O("other.pem"), O("other.key")

r = run(["openssl", "x509", "-in", CLIENT_PEM, "-noout", "-fingerprint", "-sha256"])
FINGERPRINT = text(r.stdout).strip().split("=", 1)[1]


def request_bytes(port, host, tls12):
    """The server's CertificateRequest (handshake message) as openssl -msg shows it."""
    r = run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", host,
             "-CAfile", CA, "-msg", *(["-tls1_2"] if tls12 else [])], input=b"")
    grab, hexes = False, []
    for line in text(r.stdout).splitlines():
        if "CertificateRequest" in line and line.startswith("<<<"):
            grab = True
            continue
        if grab and line.startswith("    "):
            hexes += line.split()
        elif grab:
            break
    return bytes(int(h, 16) for h in hexes)


def dn_list(msg, tls12):
    """The DistinguishedNames of a CertificateRequest (TLS framing only: RFC 5246 §7.4.4,
    RFC 8446 §4.2.4)."""
    b, names = msg[4:], []
    try:
        if tls12:
            i = 1 + b[0]
            i += 2 + int.from_bytes(b[i:i + 2], "big")
            end = i + 2 + int.from_bytes(b[i:i + 2], "big")
            i += 2
        else:
            i = 1 + b[0] + 2
            end = i + int.from_bytes(b[i - 2:i], "big")
            while i < end and int.from_bytes(b[i:i + 2], "big") != 0x2f:
                i += 4 + int.from_bytes(b[i + 2:i + 4], "big")
            if i >= end:
                return []
            i += 4
            end = i + 2 + int.from_bytes(b[i:i + 2], "big")
            i += 2
        while i < end:
            n = int.from_bytes(b[i:i + 2], "big")
            names.append(b[i + 2:i + 2 + n])
            i += 2 + n
    except IndexError:
        pass
    return names


def names_the_client_ca(port, host, tls12):
    """One DistinguishedName, a whole DER Name (openssl asn1parse: one SEQUENCE spanning
    all of it) naming the local client CA."""
    names = dn_list(request_bytes(port, host, tls12), tls12)
    if len(names) != 1:
        return False, names
    path = os.path.join(tmp, "dn.der")
    open(path, "wb").write(names[0])
    r = run(["openssl", "asn1parse", "-inform", "DER", "-in", path])
    first = text(r.stdout).splitlines()[:1]
    m = re.match(r"\s*0:d=0\s+hl=(\d+)\s+l=\s*(\d+)\s+cons: SEQUENCE", first[0]) if first else None
    whole = m and int(m.group(1)) + int(m.group(2)) == len(names[0])
    return bool(r.returncode == 0 and whole and "tlsflow local client CA" in text(r.stdout)), \
        text(r.stdout)[:400]


def parse(s):
    try:
        return json.loads(s)
    except ValueError:
        return {}


# Each client: (exit status, the HTTP body it got or "", everything it printed).

def curl(port, host, cert=None, tls12=False, path="/json"):
    cmd = ["curl", "-sS", "--cacert", CA, "--resolve", f"{host}:{port}:127.0.0.1"]
    if cert:
        cmd += ["--cert", cert[0], "--key", cert[1]]
    if tls12:
        cmd += ["--tls-max", "1.2"]
    r = run(cmd + [f"https://{host}:{port}{path}"])
    return r.returncode, text(r.stdout) if r.returncode == 0 else "", text(r.stderr)


def request(path):
    return f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()


def s_client(port, host, cert=None, tls12=False, path="/json"):
    cmd = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", host,
           "-CAfile", CA, "-verify_return_error", "-ign_eof"]
    if cert:
        cmd += ["-cert", cert[0], "-key", cert[1]]
    if tls12:
        cmd += ["-tls1_2"]
    r = run(cmd, input=request(path))
    return r.returncode, http_body(text(r.stdout)), text(r.stderr) + text(r.stdout)


def gnutls(port, host, cert=None, tls12=False, path="/json", priority=None):
    cmd = ["gnutls-cli", "--x509cafile", CA, "--sni-hostname", host, "--verify-hostname", host,
           "-p", str(port)]
    if cert:
        cmd += ["--x509certfile", cert[0], "--x509keyfile", cert[1]]
    if tls12 or priority:
        cmd += ["--priority", priority or "NORMAL:-VERS-TLS1.3"]
    r = run(cmd + ["127.0.0.1"], input=request(path))
    return r.returncode, http_body(text(r.stdout)), text(r.stderr) + text(r.stdout)


def python(port, host, cert=None, tls12=False, path="/json"):
    ctx = ssl.create_default_context(cafile=CA)
    if cert:
        ctx.load_cert_chain(cert[0], cert[1])
    if tls12:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    try:
        status, _, body, _ = https_get(port, path, host=host, ctx=ctx)
        return (0 if status.endswith("200 OK") else 1), text(body), status
    except (ssl.SSLError, OSError) as e:
        return 1, "", f"{type(e).__name__}: {e}"


CLIENTS = [("curl", curl), ("openssl s_client", s_client), ("gnutls-cli", gnutls),
           ("python", python)]
MINE, OTHER = (CLIENT_PEM, CLIENT_KEY), (OTHER_PEM, OTHER_KEY)


def shows_client_cert(d, tls12):
    c, cc = d.get("connection", {}), d.get("client_certificate", {})
    cert = cc.get("certificate", {})
    seq = [e["id"] for e in d.get("sequence", [])]
    return (cc.get("requested") is True and cc.get("presented") is True and
            cert.get("subject") == "/O=tlsflow test PKI/CN=tlsflow test client" and
            cert.get("issuer") == "/O=tlsflow test PKI/CN=tlsflow local client CA" and
            cert.get("key_type") == "RSA" and cert.get("key_bits") == 2048 and
            cc.get("verification") == "verified" and cc.get("sha256") == FINGERPRINT and
            cc.get("pin", "").startswith("sha256//") and
            {"certificate_request", "client_certificate", "client_certificate_verify"} <= set(seq)
            and c.get("version_name") == ("TLS 1.2" if tls12 else "TLS 1.3"))


def run_with_cert(port, host, label):
    for tls12 in (False, True):
        v = "TLS 1.2" if tls12 else "TLS 1.3"
        for name, fn in CLIENTS:
            rc, body, log = fn(port, host, MINE, tls12)
            d = parse(body)
            check(rc == 0 and shows_client_cert(d, tls12),
                   f"{label}, {v}: {name} with client.pem succeeds and /json shows the "
                   "certificate (subject, issuer, key, verified, SHA-256)",
                   log[-700:] if not d else d.get("client_certificate"))


def refused(port, host, cert, label, want_alert, tls12=False):
    """Each client is refused; the message it gives is printed in the check."""
    v = "TLS 1.2" if tls12 else "TLS 1.3"
    for name, fn in CLIENTS:
        rc, body, log = fn(port, host, cert, tls12)
        said = " ".join(log.split())
        got = any(w in said.lower() for w in want_alert)
        msg = [ln for ln in log.splitlines()
               if any(w in ln.lower() for w in want_alert + ["alert", "error"])]
        check(rc != 0 and got and not body,
               f"{label}, {v}: {name} refused ({msg[-1].strip()[:150] if msg else said[-150:]})",
               said[-600:])


REQUIRED_13 = ["certificate required", "certificate_required", "certificate is required",
               "[116]"]
HANDSHAKE_FAILURE = ["handshake failure", "handshake_failure", "handshake failed", "[40]"]
UNKNOWN_CA = ["unknown ca", "unknown_ca", "ca is unknown", "[48]"]

# 1. --client-auth required on every name, the local client CA.
with Server("--client-auth", "required") as s:
    check("client certificates: required, from the local client CA" in s.stdout(),
          "banner: client certificates required")
    for tls12 in (False, True):
        ok, detail = names_the_client_ca(s.port, "localhost", tls12)
        check(ok, f"{'TLS 1.2' if tls12 else 'TLS 1.3'} CertificateRequest: certificate_authorities "
              "holds the client CA's subject as a whole DER Name", detail)
    run_with_cert(s.port, "localhost", "--client-auth required")
    rc, out, err = curl(s.port, "localhost", MINE, path="/")
    check(rc == 0 and "subject  /O=tlsflow test PKI/CN=tlsflow test client" in out and
           "result   verified" in out and f"sha256   {FINGERPRINT}" in out and
           "C -> S *     Certificate" in out,
           "text page: the client certificate, verified, and its encrypted Certificate message",
           out[:2000])
    refused(s.port, "localhost", None, "no certificate", REQUIRED_13)
    refused(s.port, "localhost", None, "no certificate", HANDSHAKE_FAILURE, tls12=True)
    refused(s.port, "localhost", OTHER, "another CA's certificate", UNKNOWN_CA)
    refused(s.port, "localhost", OTHER, "another CA's certificate", UNKNOWN_CA, tls12=True)

# 2. mtls.localhost on the default server: required there, not on localhost.
with Server() as s:
    run_with_cert(s.port, "mtls.localhost", "mtls.localhost")
    refused(s.port, "mtls.localhost", None, "mtls.localhost without a certificate", REQUIRED_13)
    refused(s.port, "mtls.localhost", OTHER, "mtls.localhost, another CA's certificate",
            UNKNOWN_CA)
    rc, out, err = curl(s.port, "localhost")
    d = parse(out)
    check(rc == 0 and d.get("client_certificate") == {"requested": False, "presented": False},
          "localhost on the same server asks for no certificate", d.get("client_certificate"))
    rc, out, err = curl(s.port, "mtls.localhost", MINE, path="/")
    check(rc == 0 and "site     mtls.localhost" in out and "version  TLS 1.3" in out,
           "mtls.localhost: the text page names the site", out[:600])
    # The move to mtls.localhost's configuration survives a HelloRetryRequest.
    rc, body, log = gnutls(s.port, "mtls.localhost", MINE,
                           priority="NORMAL:-GROUP-ALL:+GROUP-X448:+GROUP-X25519")
    d = parse(body)
    check(rc == 0 and d.get("connection", {}).get("hello_retry_request") is True and
          d.get("connection", {}).get("site") == "mtls.localhost" and
          shows_client_cert(d, False),
          "mtls.localhost after a HelloRetryRequest (gnutls, X448 share first): certificate shown",
          log[-500:])

# 3. --client-auth optional: no certificate is fine, and the page says so.
with Server("--client-auth", "optional") as s:
    for name, fn in CLIENTS:
        rc, body, log = fn(s.port, "localhost", None)
        d = parse(body)
        check(rc == 0 and d.get("client_certificate") == {"requested": True, "presented": False},
               f"--client-auth optional: {name} without a certificate is served; /json says "
               "asked for, none presented", log[-500:])
    rc, body, log = gnutls(s.port, "localhost", None, path="/")
    check(rc == 0 and "asked for; none presented" in body,
          "--client-auth optional: the text page says none was presented", body[:900])
    rc, body, log = gnutls(s.port, "localhost", MINE)
    check(rc == 0 and shows_client_cert(parse(body), False),
          "--client-auth optional: a presented certificate is verified and shown")
    refused(s.port, "localhost", OTHER, "--client-auth optional, another CA's certificate",
            UNKNOWN_CA)

# 4. --client-ca FILE replaces the roots: the other CA's client is in, ours is out.
with Server("--client-auth", "required", "--client-ca", O("other-ca.pem")) as s:
    rc, body, log = gnutls(s.port, "localhost", OTHER)
    cc = parse(body).get("client_certificate", {})
    check(rc == 0 and cc.get("certificate", {}).get("subject") == "/CN=client of another CA",
          "--client-ca other-ca.pem: that CA's client certificate is accepted", cc)
    rc, body, log = gnutls(s.port, "localhost", MINE)
    check(rc != 0 and "[48]" in log, "--client-ca other-ca.pem: client.pem gets unknown_ca",
          log[-300:])

finish()
