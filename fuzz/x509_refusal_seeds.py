#!/usr/bin/env python3
"""Seeds for x509 and x509_diff that reach x509.c's refusals (and a few acceptances) the
chains of diff_seeds.py do not: weak or uncommon signature algorithms and keys, a CA whose
key wolfSSL will not load, constraint violations one level down, a signature algorithm
that does not fit its issuer's key.

    fuzz/x509_refusal_seeds.py [--out CORPUS_DIR] [--findings DIR]

Chains are issued with openssl under the fixture root (tests/fixtures/ca.pem) or under
throw-away roots given to x509_diff as its anchors; inputs use diff_seeds.x509_input.
Files are named by the SHA-1 of their content; the corpus/SOURCES lines are printed.
--findings also writes the x509_diff inputs on which we refuse what OpenSSL accepts
(they abort replay_x509_diff, so they are no seeds until the allowlist or x509.c says)."""
import argparse
import os
import struct
import sys
import tempfile

from diff_seeds import FIX, REPO, der_of, openssl, write, x509_input

CA = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
LEAF = ("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost\n")


class Pki:
    """openssl in a temporary directory: keys and certificates, returned as paths."""

    def __init__(self, tmp):
        self.tmp, self.n = tmp, 0
        self.root = (os.path.join(FIX, "ca.pem"), os.path.join(FIX, "ca.key"))

    def path(self, suffix):
        self.n += 1
        return os.path.join(self.tmp, f"{self.n}{suffix}")

    def key(self, *genpkey):
        out = self.path(".key")
        openssl("genpkey", *genpkey, "-out", out)
        return out

    def cert(self, subject, ext, key, issuer=None, md="sha256", sigopt=(), days=3650,
             pubkey=None):
        """issuer: (cert, key), None for the fixture root, "self" for self-signed.
        pubkey: a public key file to certify instead of key's (key signs the request)."""
        csr, extf, pem = self.path(".csr"), self.path(".ext"), self.path(".pem")
        openssl("req", "-new", "-key", key, "-subj", subject, "-out", csr)
        open(extf, "w").write(ext)
        args = ["x509", "-req", "-in", csr, "-days", str(days), "-set_serial",
                str(1000 + self.n), "-extfile", extf, "-out", pem]
        if issuer == "self":
            args += ["-signkey", key]
        else:
            icert, ikey = issuer or self.root
            args += ["-CA", icert, "-CAkey", ikey]
        if md:
            args.append("-" + md)
        for s in sigopt:
            args += ["-sigopt", s]
        if pubkey:
            args += ["-force_pubkey", pubkey]
        openssl(*args)
        return pem


def x509_plain(certs, host=None, tail=b"localhost\0localhost"):
    """An input of fuzz_x509.c: TF_TEST_TIME, the fixture trust store, host 0/localhost."""
    opt = len(certs) | ((1 if host == "localhost" else 0) << 5)
    return bytes([opt]) + b"".join(struct.pack(">H", len(c)) + c for c in certs) + tail


def tlv(tag, body):
    """One DER element."""
    n = len(body)
    head = bytes([n]) if n < 0x80 else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + \
        n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag]) + head + body


def der_int(v):
    return tlv(0x02, v.to_bytes(v.bit_length() // 8 + 1, "big"))


def odd_number(bits):
    return int.from_bytes(os.urandom(bits // 8), "big") | (1 << (bits - 1)) | 1


def dsa_spki(bits):
    """A DSA SubjectPublicKeyInfo with made-up p, q, g and y."""
    params = tlv(0x30, der_int(odd_number(bits)) + der_int(odd_number(256)) +
                 der_int(odd_number(bits - 8)))
    alg = tlv(0x30, tlv(0x06, bytes.fromhex("2a8648ce380401")) + params)
    return tlv(0x30, alg + tlv(0x03, b"\x00" + der_int(odd_number(bits - 8))))


def seeds(tmp):
    p = Pki(tmp)
    root = der_of(p.root[0])
    rsa = os.path.join(FIX, "server.key")  # fixture keys: re-sign mode can sign with them
    ec = os.path.join(FIX, "server-ec.key")
    out = []  # (harness, label, bytes)
    found = []  # x509_diff inputs on which OpenSSL accepts and we refuse: not seeds

    def diff(label, chain, anchors, **kw):
        out.append(("x509_diff", label, x509_input(chain, anchors, **kw)))

    def finding(label, chain, anchors, **kw):
        found.append(("x509_diff", label, x509_input(chain, anchors, **kw)))

    def leaf_under(issuer, md="sha256", ext=LEAF, key=ec, **kw):
        return der_of(p.cert("/CN=localhost", ext, key, issuer=issuer, md=md, **kw))

    # Weak signatures. An intermediate signed with SHA-1 (refused as an issuer, so the
    # leaf has no path); a leaf signed with MD5; a leaf signed with ECDSA-SHA1.
    mid_sha1 = p.cert("/CN=fuzz sha1 intermediate", CA, rsa, md="sha1")
    diff("made-weak-intermediate-sha1",
         [leaf_under((mid_sha1, rsa)), der_of(mid_sha1)], [root], resign=True)
    diff("made-weak-leaf-md5", [leaf_under(None, md="md5")], [root])
    mid_ec = p.cert("/CN=fuzz ec intermediate", CA, ec)
    diff("made-weak-leaf-ecdsa-sha1",
         [leaf_under((mid_ec, ec), md="sha1", key=rsa), der_of(mid_ec)], [root], resign=True)
    # A pinned self-signed SHA-1 server certificate: an anchor, so its hash is no matter.
    pinned = der_of(p.cert("/CN=localhost", LEAF, rsa, issuer="self", md="sha1"))
    diff("made-weak-pinned-sha1", [pinned], [pinned])

    # DSA, Ed25519, Ed448: throw-away roots given as the anchors, over leaves with the
    # same kind of key; an Ed25519 signature that does not verify. wolfCrypt verifies no
    # DSA certificate signature (BAD_FUNC_ARG): DSA-1024 with SHA-1 both sides refuse,
    # DSA-2048 with SHA-256 OpenSSL accepts (finding).
    dsa_params = {}
    for bits in [1024, 2048]:
        dsa_params[bits] = p.path(".param")
        openssl("genpkey", "-genparam", "-algorithm", "DSA", "-pkeyopt",
                f"dsa_paramgen_bits:{bits}", "-out", dsa_params[bits])
    for alg, opts, md in [("dsa1024-sha1", ["-paramfile", dsa_params[1024]], "sha1"),
                          ("dsa2048", ["-paramfile", dsa_params[2048]], "sha256"),
                          ("ed25519", ["-algorithm", "ed25519"], None),
                          ("ed448", ["-algorithm", "ed448"], None)]:
        k = p.key(*opts)
        r_pem = p.cert(f"/CN=fuzz {alg} root", CA, k, issuer="self", md=md)
        r = der_of(r_pem)
        leaf = der_of(p.cert("/CN=localhost", LEAF.replace(",keyEncipherment", ""), k,
                             issuer=(r_pem, k), md=md))
        out.append(("x509", f"made-{alg}-leaf", x509_plain([leaf, r], "localhost")))
        if alg == "dsa2048":
            finding(f"finding-{alg}-root-leaf", [leaf], [r], host="localhost")
            continue
        diff(f"made-{alg}-root-leaf", [leaf], [r], host="localhost")
        if alg == "ed25519":
            bad = leaf[:-64] + bytes([leaf[-64] ^ 1]) + leaf[-63:]
            diff("made-ed25519-bad-signature", [bad], [r], host="localhost")

    # RSA-PSS: a leaf signed with PSS parameters. Keys: P-192 (too small for wolfSSL and
    # OpenSSL) and brainpoolP256r1 in a leaf and in an intermediate. Findings (OpenSSL
    # accepts, we cannot read the key): an RSASSA-PSS key, X25519 (certified with a
    # request another key signed), the binary curve sect283k1.
    pss = ["rsa_padding_mode:pss", "rsa_pss_saltlen:32", "rsa_mgf1_md:sha256"]
    diff("made-rsa-pss-signed", [leaf_under(None, sigopt=pss)], [root])
    pss_key = p.key("-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048")
    finding("finding-rsa-pss-key", [leaf_under(None, key=pss_key)], [root])
    x25519 = p.path(".pub")
    openssl("pkey", "-in", p.key("-algorithm", "x25519"), "-pubout", "-out", x25519)
    keyagree = LEAF.replace("digitalSignature,keyEncipherment", "keyAgreement")
    finding("finding-x25519-key", [leaf_under(None, ext=keyagree, pubkey=x25519)], [root])
    for curve in ["prime192v1", "brainpoolP256r1", "sect283k1"]:
        k = p.key("-algorithm", "EC", "-pkeyopt", f"ec_paramgen_curve:{curve}")
        leaf = leaf_under(None, key=k)
        mid = p.cert(f"/CN=fuzz {curve} intermediate", CA, k)
        out.append(("x509", f"made-ec-{curve}-key", x509_plain([leaf], "localhost")))
        to, kind = (finding, "finding") if curve == "sect283k1" else (diff, "made")
        to(f"{kind}-ec-{curve}-key", [leaf], [root])
        to(f"{kind}-ec-{curve}-intermediate", [leaf_under((mid, k)), der_of(mid)], [root])

    # An RSA-512 intermediate: it chains, but wolfSSL will not load a CA that small.
    weak = p.key("-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:512")
    mid512 = p.cert("/CN=fuzz rsa512 intermediate", CA, weak)
    diff("made-rsa512-intermediate", [leaf_under((mid512, weak)), der_of(mid512)], [root])

    # Constraints one level down: a CA under a name-constrained CA, named outside it.
    nc = p.cert("/O=tlsflow fuzz/CN=fuzz constrained", CA +
                "nameConstraints=critical,permitted;DNS:.example.com,"
                "permitted;dirName:dir_sect\n[dir_sect]\nO=tlsflow fuzz\n", rsa)
    sub = p.cert("/CN=fuzz outside", CA, ec, issuer=(nc, rsa))
    diff("made-nc-sub-ca-outside", [leaf_under((sub, ec), key=rsa, ext=LEAF.replace(
        "localhost", "www.example.com")), der_of(sub), der_of(nc)], [root], resign=True,
         host="www.example.com")

    # A URI in a leaf under a CA whose nameConstraints only exclude: wolfSSL lets it
    # through, x509.c refuses the form it cannot check (allowlisted).
    excl = p.cert("/CN=fuzz excluding", CA + "nameConstraints=critical,"
                  "excluded;DNS:bad.example.com\n", rsa)
    diff("made-nc-excluded-uri", [leaf_under((excl, rsa), ext=LEAF.replace(
        "DNS:localhost", "DNS:localhost,URI:https://localhost/")), der_of(excl)], [root],
         resign=True)

    # Finding: a leaf that is itself a CA below a CA with pathLenConstraint 0. wolfSSL
    # counts the leaf; RFC 5280 4.2.1.9 (and OpenSSL) does not.
    mid0 = p.cert("/CN=fuzz pathlen 0", CA.replace("CA:TRUE", "CA:TRUE,pathlen:0"), rsa)
    ca_leaf = LEAF.replace("CA:FALSE", "critical,CA:TRUE").replace(
        "keyEncipherment", "keyCertSign")
    finding("finding-pathlen0-ca-leaf", [leaf_under((mid0, rsa), ext=ca_leaf), der_of(mid0)],
         [root], resign=True)

    # Public keys too big for the engine's buffers, made up (openssl certifies any key):
    # DSA keys whose SPKI is over fuzz_x509's 1200 bytes (p of 4096 bits) and over
    # x509.c's 2048 (6144 bits). fuzz_x509 only: x509_diff would not agree (DSA finding).
    for alg, spki in [("dsa4096", dsa_spki(4096)), ("dsa6144", dsa_spki(6144))]:
        pub = p.path(".pub")
        open(pub, "wb").write(openssl("pkey", "-pubin", "-inform", "DER", stdin=spki))
        leaf = leaf_under(None, pubkey=pub)
        out.append(("x509", f"made-{alg}-key", x509_plain([leaf], "localhost")))

    # A notAfter past 2049 (GeneralizedTime) whose "Z" is gone: no RFC 5280 time.
    late = der_of(p.cert("/CN=localhost", LEAF, ec, days=25000))
    i = late.index(b"\x18\x0f") + 2
    out.append(("x509", "made-generalized-time-no-z",
                x509_plain([late[:i + 14] + b"0" + late[i + 15:]], "localhost")))

    # A leaf whose issuer name (and key id) is the fixture root's but that an EC key
    # signed: the issuer found holds an RSA key (signature algorithm and key disagree).
    skid = openssl("x509", "-in", p.root[0], "-noout", "-ext", "subjectKeyIdentifier")
    skid = skid.decode().split("\n")[1].strip()
    twin = p.cert("/CN=tlsflow test root", CA + f"subjectKeyIdentifier={skid}\n", ec,
                  issuer="self")
    diff("made-sig-alg-not-issuer-key", [leaf_under((twin, ec), key=rsa)], [root])
    return out, found


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(REPO, "corpus"))
    ap.add_argument("--findings", help="also write the disagreements to DIR/x509_diff")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        made, found = seeds(tmp)
    for harness in ["x509", "x509_diff"]:
        write(args.out, harness, [(l, d) for h, l, d in made if h == harness])
    if args.findings:
        write(args.findings, "x509_diff", [(l, d) for h, l, d in found])
    return 0


if __name__ == "__main__":
    sys.exit(main())
