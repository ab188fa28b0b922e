"""tlsflow-client --pin (curl's sha256//BASE64 of the leaf's SubjectPublicKeyInfo) against
openssl s_server with two leaf keys under one CA (tests/fixtures: RSA server.pem, ECDSA
server-ec.pem). The pins are computed by openssl. The right pin is accepted, the other
refused with the alert bad_certificate (s_server reports alert 42); the chain is still
verified unless --pin-only, which accepts an untrusted or self-signed leaf whose key
matches."""
import os
import tempfile

from tfclient import SServer, fixture, help_documents, spki_pin, usage_errors
from tfsock import CLIENT, check, finish, run, text

tmp = tempfile.mkdtemp(prefix="tfpin-")
CA = fixture("ca.pem")
RSA, EC = fixture("server.pem"), fixture("server-ec.pem")
RSA_PIN, EC_PIN = spki_pin(RSA), spki_pin(EC)
check(RSA_PIN != EC_PIN and len(RSA_PIN) == 52, f"openssl pins: RSA {RSA_PIN}, EC {EC_PIN}")


def www(cert, key):
    return SServer("-tls1_2", "-cert", cert, "-key", key, "-www")


def client(port, *args, ca=CA):
    r = run([CLIENT, f"localhost:{port}", "--ca", ca, "--get", "/", *args])
    return r.returncode, text(r.stdout), text(r.stderr)


def accepted(what, port, pin, *args, ca=CA):
    rc, out, err = client(port, *args, ca=ca)
    check(rc == 0 and f"public key pin: {pin} matches" in err and "200 ok" in out,
          f"{what}: accepted", err[-600:])
    return err


def refused(what, s, got, want, *args, ca=CA):
    """A pin mismatch: exit 1, both pins named, bad_certificate sent and seen by s_server."""
    rc, out, err = client(s.port, *args, ca=ca)
    check(rc == 1 and "public key pin mismatch" in err and f"the server's key is {got}" in err
          and all(w in err for w in want) and "alert bad_certificate" in err
          and "TLSFLOW_E_CERT_REJECTED" in err and "200 ok" not in out,
          f"{what}: refused, naming the pins", err[-600:])
    check(s.wait_for("alert number 42"), f"{what}: s_server got alert 42 (bad_certificate)",
          s.output()[-400:])


with www(RSA, fixture("server.key")) as s:
    accepted("RSA leaf, its pin", s.port, RSA_PIN, "--pin", RSA_PIN)
    accepted("RSA leaf, two pins (repeated), one matches", s.port, RSA_PIN, "--pin", EC_PIN,
             "--pin", RSA_PIN)
    accepted("RSA leaf, two pins joined by ';'", s.port, RSA_PIN, "--pin", f"{EC_PIN};{RSA_PIN}")
    # Pinning does not replace chain verification: an untrusted CA still fails...
    other_ca = os.path.join(tmp, "other-ca.pem")
    r = run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-keyout", os.path.join(tmp, "other-ca.key"), "-subj", "/CN=other CA",
             "-days", "30", "-out", other_ca])
    check(r.returncode == 0, "openssl made another CA", text(r.stderr)[-300:])
    rc, _, err = client(s.port, "--pin", RSA_PIN, ca=other_ca)
    check(rc == 1 and "TLSFLOW_E_CERT_UNKNOWN_CA" in err and "pin mismatch" not in err,
          "right pin, untrusted chain: refused for the chain", err[-400:])
    # ... unless --pin-only.
    err = accepted("right pin, untrusted chain, --pin-only", s.port, RSA_PIN, "--pin", RSA_PIN,
                   "--pin-only", ca=other_ca)
    check("TLSFLOW_E_CERT_UNKNOWN_CA" in err, "--pin-only says what the chain check found",
          err[-400:])
    # A wrong --servername fails the host name check; --pin-only accepts the key anyway.
    rc, _, err = client(s.port, "--pin", RSA_PIN, "--servername", "www.example.com")
    check(rc == 1 and "TLSFLOW_E_CERT_HOSTNAME" in err, "right pin, wrong name: refused",
          err[-300:])
    rc, out, err = client(s.port, "--pin", RSA_PIN, "--servername", "www.example.com",
                          "--pin-only")
    check(rc == 0 and "200 ok" in out and "TLSFLOW_E_CERT_HOSTNAME" in err,
          "right pin, wrong name, --pin-only: accepted", err[-300:])
with www(RSA, fixture("server.key")) as s:
    refused("RSA leaf, the EC pin", s, RSA_PIN, [EC_PIN], "--pin", EC_PIN)
with www(RSA, fixture("server.key")) as s:
    refused("RSA leaf, the EC pin, --pin-only", s, RSA_PIN, [EC_PIN], "--pin", EC_PIN,
            "--pin-only")

with www(EC, fixture("server-ec.key")) as s:
    accepted("EC leaf, its pin", s.port, EC_PIN, "--pin", EC_PIN)
with www(EC, fixture("server-ec.key")) as s:
    refused("EC leaf, the RSA pin", s, EC_PIN, [RSA_PIN], "--pin", RSA_PIN)

# A self-signed leaf (its own key) that no CA vouches for: only --pin-only with its pin.
self_pem, self_key = os.path.join(tmp, "self.pem"), os.path.join(tmp, "self.key")
r = run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", self_key, "-subj", "/CN=localhost", "-addext",
         "subjectAltName=DNS:localhost", "-days", "30", "-out", self_pem])
check(r.returncode == 0, "openssl made a self-signed leaf", text(r.stderr)[-300:])
SELF_PIN = spki_pin(self_pem)
with www(self_pem, self_key) as s:
    rc, _, err = client(s.port, "--pin", SELF_PIN)
    check(rc == 1 and "TLSFLOW_E_CERT_SELF_SIGNED" in err, "self-signed, its pin: refused",
          err[-300:])
    accepted("self-signed, its pin, --pin-only", s.port, SELF_PIN, "--pin", SELF_PIN,
             "--pin-only")
with www(self_pem, self_key) as s:
    refused("self-signed, another pin, --pin-only", s, SELF_PIN, [RSA_PIN, EC_PIN], "--pin",
            RSA_PIN, "--pin", EC_PIN, "--pin-only")

# Bad pins are usage errors (exit 2) before any connection.
usage_errors([(["--pin", "sha1//" + RSA_PIN[8:]], "--pin wants sha256//BASE64"),
              (["--pin", RSA_PIN[:-2]], "--pin wants sha256//BASE64"),
              (["--pin", RSA_PIN[:-2] + "!="], "--pin wants sha256//BASE64"),
              (["--pin", RSA_PIN + ";"], "--pin wants sha256//BASE64"),
              (["--pin-only"], "--pin-only needs at least one --pin")], CA)
help_documents("--pin sha256//BASE64", "--pin-only")
finish()
