#!/usr/bin/env python3
"""Seeds for the differential harnesses (fuzz_x509_diff.c, fuzz_handshake_diff.c).

    fuzz/diff_seeds.py [--pki DIR] [--out CORPUS_DIR]

x509_diff: chains in the harness's input format (see the top of fuzz_x509_diff.c):
  - the fixtures (tests/fixtures/*.pem, tests/fixtures/constraints/*.der);
  - the local PKI scenarios of tlsflow-server (--pki DIR, made by
    `tlsflow-server --pki-dir DIR`), judged at a time inside their validity;
  - chains made here with openssl whose issuers hold the fixture keys (ca.key,
    server.key), so the harness's re-sign mode keeps them signed after mutation: an
    intermediate, nameConstraints, wildcards, extended and plain key usage, SHA-1, a
    1024-bit RSA leaf, a v1 CA, a critical unknown extension, no subjectAltName.
handshake_diff: the ClientHellos of corpus/client_hello (bodies) and the first flight of
  corpus/server (records), in both framings of the harness.
Files are named by the SHA-1 of their content; the lines to add to corpus/SOURCES are
printed. Needs the openssl command."""
import argparse
import datetime
import hashlib
import os
import struct
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(REPO, "tests", "fixtures")
TEST_TIME = 1800000000  # TF_TEST_TIME of tests/support/tf_test.h


def openssl(*args, stdin=None):
    return subprocess.run(["openssl", *args], input=stdin, capture_output=True,
                          check=True).stdout


def der_of(path):
    data = open(path, "rb").read()
    if path.endswith(".der"):
        return data
    return openssl("x509", "-outform", "DER", stdin=data)


def pem_certs(path):
    """Every certificate of a PEM file, as DER."""
    text = open(path).read()
    out, cur = [], None
    for line in text.splitlines(keepends=True):
        if "BEGIN CERTIFICATE" in line:
            cur = line
        elif cur is not None:
            cur += line
            if "END CERTIFICATE" in line:
                out.append(openssl("x509", "-outform", "DER", stdin=cur.encode()))
                cur = None
    return out


def not_before(der):
    text = openssl("x509", "-inform", "DER", "-noout", "-startdate", stdin=der).decode()
    when = text.strip().split("=", 1)[1]
    t = datetime.datetime.strptime(when, "%b %d %H:%M:%S %Y %Z")
    return int(t.replace(tzinfo=datetime.timezone.utc).timestamp())


# ---- x509_diff inputs ---------------------------------------------------------------

def x509_input(chain, anchors, resign=False, time=None, rel=None, host="localhost"):
    """time: None (TF_TEST_TIME) or seconds; rel: (mode 2|3, cert index, delta)."""
    mode = 0
    tbytes = b""
    ref = 0
    if time is not None:
        mode, tbytes = 1, struct.pack(">I", time)
    elif rel is not None:
        mode, ref, tbytes = rel[0], rel[1], struct.pack(">h", rel[2])
    hmode = {None: 0, "localhost": 1, "127.0.0.1": 2}.get(host, 3)
    a = len(chain) | (len(anchors) << 3) | (0x20 if resign else 0) | (mode << 6)
    out = bytes([a, hmode | (ref << 2)]) + tbytes
    if hmode == 3:
        h = host.encode()
        out += bytes([len(h)]) + h
    for c in chain + anchors:
        out += struct.pack(">H", len(c)) + c
    return out


class Maker:
    """Certificates issued with openssl under keys the harness holds."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.serial = 100
        self.ca_pem = os.path.join(FIX, "ca.pem")
        self.ca_key = os.path.join(FIX, "ca.key")
        self.mid_key = os.path.join(FIX, "server.key")  # issuer key of the intermediates
        self.leaf_key = os.path.join(FIX, "server-ec.key")
        self.weak_key = os.path.join(tmp, "rsa1024.key")
        openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024",
                "-out", self.weak_key)

    def cert(self, name, subject, ext, issuer=None, key=None, md="sha256", v1=False):
        """issuer: (cert path, key path) or None for the fixture root."""
        key = key or self.leaf_key
        icert, ikey = issuer or (self.ca_pem, self.ca_key)
        csr = os.path.join(self.tmp, name + ".csr")
        pem = os.path.join(self.tmp, name + ".pem")
        extf = os.path.join(self.tmp, name + ".ext")
        openssl("req", "-new", "-key", key, "-subj", subject, "-out", csr)
        open(extf, "w").write(ext)
        self.serial += 1
        args = ["x509", "-req", "-in", csr, "-CA", icert, "-CAkey", ikey, "-set_serial",
                str(self.serial), "-days", "3650", "-" + md, "-out", pem]
        if not v1:
            args += ["-extfile", extf]
        openssl(*args)
        return pem


CA = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
LEAF = ("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n")


def x509_seeds(pki):
    seeds = []
    root = der_of(os.path.join(FIX, "ca.pem"))
    for f in ["server.pem", "server-ec.pem", "server-ec384.pem"]:
        leaf = der_of(os.path.join(FIX, f))
        for host in ["localhost", "127.0.0.1", "::1", "LOCALHOST.", None]:
            seeds.append((f"fixture-{f[:-4]}-{host}", x509_input([leaf], [root], host=host)))
        seeds.append((f"fixture-{f[:-4]}-resign", x509_input([leaf], [root], resign=True)))
        seeds.append((f"fixture-{f[:-4]}-notafter", x509_input([leaf], [root], rel=(3, 0, 0))))
        seeds.append((f"fixture-{f[:-4]}-notbefore", x509_input([leaf], [root], rel=(2, 0, -1))))
    c = os.path.join(FIX, "constraints")
    d = {n[:-4]: der_of(os.path.join(c, n)) for n in os.listdir(c) if n.endswith(".der")}
    cr = [d["root"]]
    seeds += [
        ("constraints-deep", x509_input([d["deep"], d["i1"], d["i0"]], cr, host=None)),
        ("constraints-deep-reversed", x509_input([d["deep"], d["i0"], d["i1"]], cr, host=None)),
        ("constraints-nc-in", x509_input([d["nc-in"], d["nc"]], cr, host="www.example.com")),
        ("constraints-nc-out", x509_input([d["nc-out"], d["nc"]], cr, host="www.other.test")),
        ("constraints-ncip-in", x509_input([d["ncip-in"], d["ncip"]], cr, host="10.1.2.3")),
        ("constraints-ncip-out", x509_input([d["ncip-out"], d["ncip"]], cr, host=None)),
    ]
    if pki:
        ca = der_of(os.path.join(pki, "ca.pem"))
        inter = der_of(os.path.join(pki, "scenarios", "intermediate-ca.pem"))
        untrusted = der_of(os.path.join(pki, "scenarios", "untrusted-ca.pem"))
        when = not_before(ca) + 86400
        chain = pem_certs(os.path.join(pki, "server.pem"))
        seeds.append(("pki-server", x509_input(chain, [ca], time=when)))
        seeds.append(("pki-server-ip6", x509_input(chain[:1], [ca], time=when, host="::1")))
        for name in ["expired", "not-yet-valid", "wrong-host", "self-signed",
                     "untrusted-root", "incomplete-chain"]:
            certs = pem_certs(os.path.join(pki, "scenarios", name + ".localhost.pem"))
            host = name + ".localhost"
            seeds.append((f"pki-{name}", x509_input(certs, [ca], time=when, host=host)))
        leaf = pem_certs(os.path.join(pki, "scenarios", "incomplete-chain.localhost.pem"))[0]
        seeds.append(("pki-intermediate", x509_input([leaf, inter], [ca], time=when,
                                                     host="incomplete-chain.localhost")))
        leaf = pem_certs(os.path.join(pki, "scenarios", "untrusted-root.localhost.pem"))[0]
        seeds.append(("pki-untrusted-anchored", x509_input([leaf], [untrusted, ca], time=when,
                                                           host="untrusted-root.localhost")))
        # The CA sent along with the leaf, its notAfter month made 13: a date no RFC 5280
        # time has (allowlisted: we read every sent certificate, OpenSSL only its path).
        ca_copy = chain[1]
        i = ca_copy.index(b"\x17\x0d", ca_copy.index(b"\x17\x0d") + 2)
        bad = ca_copy[:i + 4] + b"13" + ca_copy[i + 6:]
        seeds.append(("allowlist-unreadable-date",
                      x509_input([chain[0], bad], [ca], time=when)))

    with tempfile.TemporaryDirectory() as tmp:
        m = Maker(tmp)
        mid = m.cert("mid", "/O=tlsflow fuzz/CN=fuzz intermediate",
                     CA.replace("CA:TRUE", "CA:TRUE,pathlen:0"), key=m.mid_key)
        mid_i = (mid, m.mid_key)
        nc = m.cert("nc", "/O=tlsflow fuzz/CN=fuzz constrained", CA +
                    "nameConstraints=critical,permitted;DNS:.example.com,"
                    "permitted;email:example.com,permitted;dirName:dir_sect,"
                    "excluded;DNS:bad.example.com\n[dir_sect]\nO=tlsflow fuzz\n",
                    key=m.mid_key)
        nc_i = (nc, m.mid_key)
        v1 = m.cert("v1", "/CN=fuzz v1 intermediate", "", key=m.mid_key, v1=True)
        noks = m.cert("noks", "/CN=fuzz no keyCertSign",
                      "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,digitalSignature\n",
                      key=m.mid_key)
        names = ("DNS:localhost,DNS:*.example.com,DNS:www.EXAMPLE.org,DNS:a*.wild.test,"
                 "DNS:*.*.double.test,DNS:*.com,DNS:xn--bcher-kva.example,DNS:trailing.test.,"
                 "IP:127.0.0.1,IP:::1,email:user@example.com,URI:https://example.com/")
        made = [
            ("mid", [("leaf", "/CN=fuzz leaf", LEAF + f"subjectAltName={names}\n", {})],
             mid_i),
            ("nc", [("nc-in", "/O=tlsflow fuzz/CN=in", LEAF + "subjectAltName=DNS:www.example.com,"
                     "email:a@example.com\n", {}),
                    ("nc-out", "/CN=out", LEAF + "subjectAltName=DNS:bad.example.com\n", {}),
                    ("nc-cn", "/CN=www.other.test", LEAF, {}),
                    ("nc-uri", "/O=tlsflow fuzz/CN=uri", LEAF +
                     "subjectAltName=DNS:www.example.com,URI:https://www.example.com/\n", {})],
             nc_i),
            ("v1", [("v1-leaf", "/CN=localhost", LEAF + "subjectAltName=DNS:localhost\n", {})],
             (v1, m.mid_key)),
            ("noks", [("noks-leaf", "/CN=localhost", LEAF + "subjectAltName=DNS:localhost\n",
                       {})], (noks, m.mid_key)),
            ("root", [
                ("eku-client", "/CN=localhost", LEAF.replace("serverAuth", "clientAuth") +
                 "subjectAltName=DNS:localhost\n", {}),
                ("ku-certsign", "/CN=localhost", "basicConstraints=CA:FALSE\n"
                 "keyUsage=critical,keyCertSign\nsubjectAltName=DNS:localhost\n", {}),
                ("no-san", "/CN=localhost", LEAF, {}),
                ("critical-unknown", "/CN=localhost", LEAF + "subjectAltName=DNS:localhost\n"
                 "1.2.3.4.5=critical,ASN1:NULL\n", {}),
                ("sha1", "/CN=localhost", LEAF + "subjectAltName=DNS:localhost\n",
                 {"md": "sha1"}),
                ("sha512", "/CN=localhost", LEAF + "subjectAltName=DNS:localhost\n",
                 {"md": "sha512"}),
                ("rsa1024", "/CN=localhost", LEAF + "subjectAltName=DNS:localhost\n",
                 {"key": m.weak_key}),
                ("ca-leaf", "/CN=localhost", CA + "subjectAltName=DNS:localhost\n", {}),
            ], None),
        ]
        hosts = {"leaf": ["localhost", "www.example.com", "a.b.example.com", "example.com",
                          "www.example.org", "abc.wild.test", "x.y.double.test", "foo.com",
                          "xn--bcher-kva.example", "trailing.test", "::1", "127.0.0.1",
                          "0:0:0:0:0:0:0:1"],
                 "nc-in": ["www.example.com"], "nc-cn": ["www.other.test"],
                 "nc-uri": ["www.example.com"]}
        for group, leaves, issuer in made:
            ca_chain = [der_of(issuer[0])] if issuer else []
            for name, subject, ext, kw in leaves:
                leaf = der_of(m.cert(name, subject, ext, issuer=issuer, **kw))
                for host in hosts.get(name, ["localhost"]):
                    label = f"made-{group}-{name}-{host}"
                    seeds.append((label, x509_input([leaf] + ca_chain, [root], resign=True,
                                                    host=host)))
                seeds.append((f"made-{group}-{name}-raw",
                              x509_input([leaf] + ca_chain, [root], host=None)))
        # Reproducers of what the harness found, made again from the chains above:
        # an EC leaf key off its curve (regression: x509.c refuses it), a constructed
        # keyIdentifier in the intermediate's authorityKeyIdentifier (FINDING: wolfCrypt
        # reads it), a leaf issued by an anchor that is no CA (allowlisted).
        mid_der = der_of(mid)
        leaf_der = der_of(os.path.join(tmp, "leaf.pem"))
        point = openssl("pkey", "-in", m.leaf_key, "-pubout", "-outform", "DER")[-65:]
        assert leaf_der.count(point) == 1
        bad_point = point[:-1] + bytes([point[-1] ^ 1])
        seeds.append(("regression-ec-point-off-curve",
                      x509_input([leaf_der.replace(point, bad_point), mid_der], [root],
                                 resign=True)))
        akid = b"\x30\x16\x80\x14"
        assert mid_der.count(akid) == 1
        seeds.append(("finding-wolfcrypt-lenient-extension-akid",
                      x509_input([leaf_der, mid_der.replace(akid, b"\x30\x16\xa0\x14")],
                                 [root], resign=True, host="www.example.com")))
        pinned = (os.path.join(FIX, "server.pem"), os.path.join(FIX, "server.key"))
        under_leaf = der_of(m.cert("under-leaf", "/CN=under a leaf", LEAF +
                                   "subjectAltName=DNS:under.leaf.test\n", issuer=pinned))
        seeds.append(("allowlist-anchor-not-a-ca",
                      x509_input([under_leaf], [der_of(pinned[0])], resign=True,
                                 host="under.leaf.test")))
        # An intermediate that is itself configured as an anchor, and a chain sent in the
        # wrong order with an unrelated extra certificate.
        leaf = der_of(m.cert("under-mid", "/CN=localhost", LEAF + "subjectAltName=DNS:localhost\n",
                             issuer=mid_i))
        seeds.append(("made-anchor-intermediate", x509_input([leaf], [der_of(mid)], resign=True)))
        seeds.append(("made-extra-cert", x509_input([leaf, der_of(v1), der_of(mid)], [root],
                                                    resign=True)))
    return seeds


# ---- handshake_diff inputs ----------------------------------------------------------

def records_of_first_hello(stream):
    """The records of stream up to the end of its first handshake message."""
    out, hs, i = b"", b"", 0
    while i + 5 <= len(stream):
        n = struct.unpack(">H", stream[i + 3:i + 5])[0]
        rec = stream[i:i + 5 + n]
        out += rec
        if rec[0] == 22:
            hs += rec[5:]
            if len(hs) >= 4 and len(hs) >= 4 + int.from_bytes(hs[1:4], "big"):
                return out
        i += 5 + n
    return out


def handshake_seeds():
    seeds = []
    # Byte 0: bits 0-1 mode (0: TLS 1.2), bit 2 framing (0: body, 1: records).
    d = os.path.join(REPO, "corpus", "client_hello")
    for f in sorted(os.listdir(d)):
        body = open(os.path.join(d, f), "rb").read()
        seeds.append((f"client_hello-{f[:12]}", bytes([0x00]) + body))
    d = os.path.join(REPO, "corpus", "server")
    for f in sorted(os.listdir(d)):
        stream = open(os.path.join(d, f), "rb").read()[1:]
        first = records_of_first_hello(stream)
        if first:
            seeds.append((f"server-{f[:12]}", bytes([0x04]) + first))
    return seeds


def write(corpus, name, seeds):
    path = os.path.join(corpus, name)
    os.makedirs(path, exist_ok=True)
    for label, data in seeds:
        sha = hashlib.sha1(data).hexdigest()
        open(os.path.join(path, sha), "wb").write(data)
        print(f"{name}/{sha} {label}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pki", help="a tlsflow-server --pki-dir directory")
    ap.add_argument("--out", default=os.path.join(REPO, "corpus"))
    args = ap.parse_args()
    write(args.out, "x509_diff", x509_seeds(args.pki))
    write(args.out, "handshake_diff", handshake_seeds())
    return 0


if __name__ == "__main__":
    sys.exit(main())
