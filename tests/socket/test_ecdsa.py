"""An ECDSA credential beside the RSA one. The default server holds both (the local
PKI issues an EC P-256 leaf too, and adds it to a PKI directory made before it
existed); the negotiated suite picks the leaf. Repeated --cert/--key serve an RSA and
an EC pair at once, also per SNI name; a key that is not its certificate's, or a
--cert without its --key, is refused with a clear message and a nonzero exit."""
import json
import os
import re
import shutil
import stat
import tempfile

from tfsock import CA, PKI, Server, check, finish, run, text

TMP = tempfile.mkdtemp(prefix="tfecdsa-")
PEM_RE = re.compile(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n?", re.S)


def first_cert(pem_text):
    m = PEM_RE.search(pem_text)
    return m.group(0) if m else ""


def describe(pem):
    """(key algorithm line, fingerprint) of one PEM certificate, from openssl x509."""
    path = os.path.join(TMP, "peer.pem")
    with open(path, "w") as f:
        f.write(pem)
    r = run(["openssl", "x509", "-in", path, "-noout", "-text", "-fingerprint", "-sha256"])
    out = text(r.stdout)
    alg = re.search(r"Public Key Algorithm: (\S+)", out)
    curve = re.search(r"NIST CURVE: (\S+)", out)
    fp = re.search(r"Fingerprint=(\S+)", out)
    return ((alg.group(1) if alg else "?") + ("/" + curve.group(1) if curve else ""),
            fp.group(1) if fp else "?")


def fingerprint_of(path):
    with open(path) as f:
        return describe(first_cert(f.read()))[1]


def s_client(port, *args, sni="localhost", ca=CA, path="/json"):
    """One GET through openssl s_client -tls1_2; returns (rc, stdout, leaf description)."""
    cmd = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-tls1_2", "-showcerts",
           "-ign_eof"]
    if sni:
        cmd += ["-servername", sni]
    if ca:
        cmd += ["-CAfile", ca, "-verify_return_error"]
    r = run(cmd + list(args), input=f"GET {path} HTTP/1.0\r\nHost: {sni}\r\n\r\n".encode())
    out = text(r.stdout) + text(r.stderr)
    return r.returncode, out, describe(first_cert(out)) if "BEGIN CERTIFICATE" in out else None


def json_body(out):
    body = out[out.find("\r\n\r\n") + 4:] if "\r\n\r\n" in out else ""
    try:
        return json.loads(body[:body.rfind("}") + 1])
    except ValueError:
        return {}


EC_LEAF = fingerprint_of(os.path.join(PKI, "server-ec.pem")) \
    if os.path.exists(os.path.join(PKI, "server-ec.pem")) else None
RSA_LEAF = fingerprint_of(os.path.join(PKI, "server.pem"))

# ---- the local PKI issues an EC P-256 leaf for the same names, from the same CA ------------
check(EC_LEAF is not None, "the local PKI has server-ec.pem")
if EC_LEAF:
    r = run(["openssl", "verify", "-CAfile", CA, os.path.join(PKI, "server-ec.pem")])
    check(r.returncode == 0, "openssl verifies server-ec.pem against ca.pem", text(r.stderr))
    r = run(["openssl", "x509", "-in", os.path.join(PKI, "server-ec.pem"), "-noout", "-text"])
    out = text(r.stdout)
    check("id-ecPublicKey" in out and "NIST CURVE: P-256" in out, "server-ec.pem is EC P-256")
    for want in ["DNS:localhost", "IP Address:127.0.0.1", "IP Address:0:0:0:0:0:0:0:1"]:
        check(want in out, f"server-ec.pem names {want}")
    mode = stat.S_IMODE(os.stat(os.path.join(PKI, "server-ec.key")).st_mode)
    check(mode == 0o600, f"server-ec.key is private (mode {oct(mode)})")

# ---- the default server: the suite picks the leaf -----------------------------------------
with Server() as s:
    check(re.search(r"certificates for localhost: .*server\.pem \(RSA 2048\), .*server-ec\.pem "
                    r"\(EC P-256\)", s.stdout()) is not None, "banner names both certificates",
          s.stdout())
    for what, args in [("-cipher ECDHE-ECDSA-AES128-GCM-SHA256",
                        ["-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"]),
                       ("-sigalgs ecdsa_secp256r1_sha256", ["-sigalgs", "ecdsa_secp256r1_sha256"])]:
        rc, out, leaf = s_client(s.port, *args)
        check(rc == 0 and "Verify return code: 0 (ok)" in out and
              "Cipher is ECDHE-ECDSA-AES128-GCM-SHA256" in out,
              f"s_client {what}: handshake verified, ECDHE_ECDSA", out[-600:])
        check(leaf is not None and leaf[0] == "id-ecPublicKey/P-256" and leaf[1] == EC_LEAF,
              f"s_client {what}: the leaf is the EC P-256 server-ec.pem", leaf)
        d = json_body(out)
        cert = d.get("connection", {}).get("certificate", {})
        check(cert.get("key_type") == "EC" and cert.get("key_bits") == 256 and
              d["connection"]["cipher_suite"]["name"] == "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
              f"s_client {what}: /json shows the EC leaf and the suite", cert)
    # RSA-only clients still get the RSA leaf.
    for suite in ["AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256"]:
        rc, out, leaf = s_client(s.port, "-cipher", suite)
        check(rc == 0 and f"Cipher is {suite}" in out and leaf is not None and
              leaf[0] == "rsaEncryption" and leaf[1] == RSA_LEAF,
              f"s_client -cipher {suite}: the RSA leaf", (leaf, out[-400:]))
    rc, out, leaf = s_client(s.port, "-sigalgs", "rsa_pss_rsae_sha256:rsa_pkcs1_sha256",
                             "-cipher", "ECDHE:AES128-GCM-SHA256")
    check(rc == 0 and leaf is not None and leaf[0] == "rsaEncryption",
          "s_client offering only RSA signatures: the RSA leaf", (leaf, out[-400:]))
    # The pages show the leaf that was sent (curl, an ECDHE_ECDSA suite only).
    curl = ["curl", "-sS", "--cacert", CA, "--tls-max", "1.2", "--ciphers"]
    r = run(curl + ["ECDHE-ECDSA-AES128-GCM-SHA256", f"https://localhost:{s.port}/"])
    page = text(r.stdout)
    check(r.returncode == 0 and "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" in page and
          re.search(r"key +EC 256 bits", page) and "ecdsa_secp256r1" in page,
          "curl ECDHE-ECDSA: the text page shows the EC leaf and an ECDSA signature",
          page[:1500] + text(r.stderr))
    r = run(curl + ["ECDHE-ECDSA-AES128-GCM-SHA256", "-H", "Accept: text/html",
                    f"https://localhost:{s.port}/"])
    check(r.returncode == 0 and "EC 256" in text(r.stdout) and "RSA 2048" not in text(r.stdout),
          "curl ECDHE-ECDSA: the HTML page shows the EC leaf", text(r.stdout)[:800])
    r = run(curl + ["AES128-GCM-SHA256", f"https://localhost:{s.port}/"])
    check(r.returncode == 0 and re.search(r"key +RSA 2048 bits", text(r.stdout)),
          "curl RSA key transport: the text page shows the RSA leaf", text(r.stdout)[:1200])

# ---- a PKI directory from before the EC leaf gets it on the next start ---------------------
old = os.path.join(TMP, "old-pki")
shutil.copytree(PKI, old)
for f in ["server-ec.pem", "server-ec.key"]:
    if os.path.exists(os.path.join(old, f)):
        os.remove(os.path.join(old, f))
before = {f: open(os.path.join(old, f)).read() for f in ["ca.pem", "server.pem", "server.key"]}
with Server(pki=old) as s:
    check("reused" in s.stdout(), "old PKI directory: the CA is reused")
    check(os.path.exists(os.path.join(old, "server-ec.pem")) and
          os.path.exists(os.path.join(old, "server-ec.key")), "old PKI directory gains server-ec")
    rc, out, leaf = s_client(s.port, "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256")
    check(rc == 0 and leaf is not None and leaf[0] == "id-ecPublicKey/P-256",
          "old PKI directory: ECDHE_ECDSA served with the new EC leaf", out[-400:])
check(all(open(os.path.join(old, f)).read() == v for f, v in before.items()),
      "old PKI directory: CA and RSA server files unchanged")
with Server(pki=old) as s:
    check("reused" in s.stdout(), "old PKI directory: a third start reuses everything")
    rc, out, leaf = s_client(s.port, "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256")
    check(rc == 0 and leaf is not None and
          leaf[1] == fingerprint_of(os.path.join(old, "server-ec.pem")),
          "old PKI directory: the EC leaf made last time is reused")


# ---- repeated --cert/--key, made with openssl ----------------------------------------------
def sh(*cmd):
    r = run(list(cmd), cwd=TMP)
    if r.returncode != 0:
        raise RuntimeError(f"{cmd}: {text(r.stderr)}")


def p(name):
    return os.path.join(TMP, name)


sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", p("ca.key"),
   "-out", p("ca.pem"), "-days", "30", "-subj", "/CN=socket test CA")
sh("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
   "-out", p("rsa.key"))
sh("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
   "-out", p("rsa2.key"))
sh("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", p("ec.key"))  # SEC1
sh("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
   "-out", p("ec2.key"))  # PKCS#8
with open(p("san.ext"), "w") as f:
    f.write("subjectAltName=DNS:localhost,DNS:ec.example,IP:127.0.0.1\n"
            "extendedKeyUsage=serverAuth\n")
for leaf, key in [("rsa", "rsa.key"), ("ec", "ec.key"), ("ec2", "ec2.key")]:
    sh("openssl", "req", "-new", "-key", p(key), "-subj", f"/CN={leaf} leaf", "-out",
       p(f"{leaf}.csr"))
    sh("openssl", "x509", "-req", "-in", p(f"{leaf}.csr"), "-CA", p("ca.pem"), "-CAkey",
       p("ca.key"), "-CAcreateserial", "-days", "30", "-extfile", p("san.ext"),
       "-out", p(f"{leaf}.pem"))
FP = {n: fingerprint_of(p(f"{n}.pem")) for n in ["rsa", "ec", "ec2"]}

with Server("--cert", p("rsa.pem"), "--key", p("rsa.key"), "--cert", p("ec.pem"), "--key",
            p("ec.key"), pki=None) as s:
    out = s.stdout()
    check(f"certificate: {p('rsa.pem')} (RSA 2048, default)" in out and
          f"certificate: {p('ec.pem')} (EC P-256, default)" in out,
          "two --cert/--key pairs: the banner names both", out)
    rc, out, leaf = s_client(s.port, "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256",
                             ca=p("ca.pem"))
    check(rc == 0 and leaf is not None and leaf[1] == FP["ec"],
          "two pairs: an ECDHE_ECDSA client gets the EC --cert", (leaf, out[-400:]))
    rc, out, leaf = s_client(s.port, "-sigalgs", "ecdsa_secp256r1_sha256", ca=p("ca.pem"))
    check(rc == 0 and leaf is not None and leaf[1] == FP["ec"],
          "two pairs: an ECDSA-signatures-only client gets the EC --cert", (leaf, out[-400:]))
    for suite in ["AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384"]:
        rc, out, leaf = s_client(s.port, "-cipher", suite, ca=p("ca.pem"))
        check(rc == 0 and leaf is not None and leaf[1] == FP["rsa"],
              f"two pairs: a {suite} client gets the RSA --cert", (leaf, out[-400:]))

# Per SNI name: the EC pair (a PKCS#8 key) only for ec.example, RSA for every other name.
with Server("--cert", p("rsa.pem"), "--key", p("rsa.key"), "--cert", p("ec2.pem"),
            "--sni", "ec.example", "--key", p("ec2.key"), pki=None) as s:
    check(f"certificate: {p('ec2.pem')} (EC P-256, for SNI ec.example)" in s.stdout(),
          "--sni: the banner names the pair's name", s.stdout())
    rc, out, leaf = s_client(s.port, "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256",
                             sni="ec.example", ca=p("ca.pem"))
    check(rc == 0 and leaf is not None and leaf[1] == FP["ec2"],
          "--sni ec.example: its EC --cert is served for that name", (leaf, out[-400:]))
    rc, out, leaf = s_client(s.port, "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256",
                             sni="localhost", ca=p("ca.pem"))
    check(rc != 0 and "handshake failure" in out,
          "--sni ec.example: an ECDSA-only client asking for localhost is refused "
          "(RSA only there)", out[-400:])
    rc, out, leaf = s_client(s.port, "-cipher", "AES128-GCM-SHA256", sni="localhost",
                             ca=p("ca.pem"))
    check(rc == 0 and leaf is not None and leaf[1] == FP["rsa"],
          "--sni ec.example: localhost gets the RSA --cert", (leaf, out[-400:]))

# ---- what is refused, before serving ------------------------------------------------------
bad = [
    (["--cert", p("rsa.pem"), "--key", p("ec.key")],
     f"--key file '{p('ec.key')}' (EC P-256) does not match --cert file '{p('rsa.pem')}'"),
    (["--cert", p("rsa.pem"), "--key", p("rsa2.key")],
     f"--key file '{p('rsa2.key')}' (RSA 2048) does not match --cert file '{p('rsa.pem')}'"),
    (["--cert", p("rsa.pem"), "--key", p("rsa.key"), "--cert", p("ec.pem"), "--key",
      p("ec2.key")], f"--key file '{p('ec2.key')}' (EC P-256) does not match"),
    (["--cert", p("rsa.pem"), "--key", p("rsa.key"), "--cert", p("ec.pem")],
     "got 2 --cert and 1 --key"),
    (["--cert", p("rsa.pem"), "--key", p("rsa.key"), "--key", p("ec.key")],
     "got 1 --cert and 2 --key"),
    (["--cert", p("rsa.pem"), "--cert", p("ec.pem"), "--key", p("rsa.key"), "--key",
      p("ec.key")], "--key belongs after the --cert FILE it is for"),
    (["--key", p("rsa.key"), "--cert", p("rsa.pem")],
     "--key belongs after the --cert FILE it is for"),
    (["--cert", p("rsa.pem"), "--key", p("rsa.key"), "--cert", p("rsa.pem"), "--key",
      p("rsa.key")], "are both RSA certificates for the default name"),
    (["--cert", p("ec.pem"), "--key", p("ec.key"), "--sni", "x", "--cert", p("ec2.pem"),
      "--key", p("ec2.key"), "--sni", "X"], "are both EC certificates for the name x"),
    (["--cert", p("rsa.pem"), "--key", p("rsa.key"), "--sni", "bad name"],
     "--sni 'bad name' is not a host name"),
    (["--sni", "ec.example"], "--sni needs --cert and --key"),
    (["--cert", p("rsa.pem"), "--key", p("rsa.csr")], "is not an RSA or EC private key"),
]
for args, want in bad:
    r = run([os.environ["TLSFLOW_SERVER"], "--listen", "127.0.0.1:0"] + args, timeout=15)
    err = text(r.stderr)
    check(r.returncode != 0 and want in err and err.startswith("tlsflow-server: ") and
          "listening" not in text(r.stdout),
          f"server {' '.join(os.path.basename(a) for a in args)} -> {want!r}",
          f"exit {r.returncode}: {err}")
finish()
