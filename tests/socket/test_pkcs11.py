"""Private keys in a PKCS#11 token (SoftHSM2 in a temporary directory) and key
operations off the event loop.

A fresh token gets an RSA-2048 and an EC P-256 key (made with openssl, imported with
pkcs11-tool); tlsflow-server serves their certificates with --pkcs11-key and openssl
s_client and curl fetch the page over RSA key transport (the token decrypts), ECDHE_RSA
with RSA-PSS and with PKCS#1 v1.5 (the token signs), and ECDHE_ECDSA. A wrong PIN, an
unknown label or a key that is not the certificate's stop the server at start with a
clear message. --key-threads N runs keys in files on N threads: two handshakes whose
key operations each take 1.5 s (--key-delay) finish together with 2 threads and one
after the other with 1, a handshake timeout or a shutdown during an operation waits for
it, and an established connection is answered while another's operation runs.

Exit 77 (skipped) only when SoftHSM2 or pkcs11-tool is not installed (ci/deps installs
them)."""
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
if not (os.path.exists(MODULE) and shutil.which("softhsm2-util") and shutil.which("pkcs11-tool")):
    print("skipped: SoftHSM2 or pkcs11-tool not installed (ci/deps installs softhsm2, opensc)")
    sys.exit(77)

from tfsock import SERVER, Server, check, finish, run, text  # noqa: E402

TMP = tempfile.mkdtemp(prefix="tfpkcs11-")
os.makedirs(os.path.join(TMP, "tokens"))
with open(os.path.join(TMP, "softhsm2.conf"), "w") as f:
    f.write(f"directories.tokendir = {TMP}/tokens\nobjectstore.backend = file\nlog.level = ERROR\n")
os.environ["SOFTHSM2_CONF"] = os.path.join(TMP, "softhsm2.conf")
os.environ.pop("TLSFLOW_PKCS11_PIN", None)


def p(name):
    return os.path.join(TMP, name)


def sh(*cmd):
    r = run(list(cmd), cwd=TMP)
    if r.returncode != 0:
        raise RuntimeError(f"{cmd}: {text(r.stdout)} {text(r.stderr)}")
    return text(r.stdout)


# ---- a CA, an RSA and an EC leaf for localhost; the two keys go into a fresh token ----------
sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", p("ca.key"),
   "-out", p("ca.pem"), "-days", "30", "-subj", "/CN=pkcs11 test CA")
sh("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out",
   p("rsa.key"))
sh("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
   p("ec.key"))
sh("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out",
   p("other.key"))
with open(p("san.ext"), "w") as f:
    f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
for leaf in ["rsa", "ec", "other"]:
    sh("openssl", "req", "-new", "-key", p(f"{leaf}.key"), "-subj", f"/CN={leaf} leaf", "-out",
       p(f"{leaf}.csr"))
    sh("openssl", "x509", "-req", "-in", p(f"{leaf}.csr"), "-CA", p("ca.pem"), "-CAkey",
       p("ca.key"), "-CAcreateserial", "-days", "30", "-extfile", p("san.ext"),
       "-out", p(f"{leaf}.pem"))
    sh("openssl", "pkey", "-in", p(f"{leaf}.key"), "-outform", "DER", "-out", p(f"{leaf}.der"))

out = sh("softhsm2-util", "--init-token", "--free", "--label", "tlsflow", "--pin", "1234",
         "--so-pin", "5678")
check("initialized" in out, "softhsm2-util made a token 'tlsflow'", out)
for label, key_id in [("rsa", "01"), ("ec", "02")]:
    out = sh("pkcs11-tool", "--module", MODULE, "--login", "--pin", "1234", "--write-object",
             p(f"{label}.der"), "--type", "privkey", "--id", key_id, "--label", label)
    check(f"label:      {label}" in out, f"pkcs11-tool imported the {label} key", out)
out = sh("pkcs11-tool", "--module", MODULE, "--login", "--pin", "1234", "--list-objects",
         "--type", "privkey")
check("label:      rsa" in out and "label:      ec" in out, "the token lists both private keys",
      out)

TOKEN_ARGS = ["--cert", p("rsa.pem"), "--pkcs11-key", "rsa", "--cert", p("ec.pem"),
              "--pkcs11-key", "ec", "--pkcs11-module", MODULE]


def s_client(port, *args, path="/json"):
    """One GET through openssl s_client -tls1_2 verifying against our CA."""
    cmd = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-tls1_2", "-servername",
           "localhost", "-CAfile", p("ca.pem"), "-verify_return_error", "-ign_eof"]
    r = run(cmd + list(args), input=f"GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n".encode())
    return r.returncode, text(r.stdout) + text(r.stderr)


def page_json(out):
    """The /json body after the HTTP head in s_client's output ({} when there is none)."""
    head, sep, body = out.partition("\r\n\r\n")
    try:
        return json.loads(body[:body.rfind("}") + 1]) if sep else {}
    except ValueError:
        return {}


def curl(port, cipher, path="/"):
    r = run(["curl", "-sS", "--cacert", p("ca.pem"), "--tls-max", "1.2", "--ciphers", cipher,
             f"https://localhost:{port}{path}", "--resolve", f"localhost:{port}:127.0.0.1"])
    return r.returncode, text(r.stdout), text(r.stderr)


# s_client's flags, the suite it must get, the signature scheme it must see (None: RSA key
# transport, nothing signed) and how s_client names that signature.
CASES = [
    ("RSA key transport", ["-cipher", "AES128-GCM-SHA256"], "AES128-GCM-SHA256", None, None),
    ("ECDHE_RSA, RSA-PSS", ["-cipher", "ECDHE-RSA-AES128-GCM-SHA256"],
     "ECDHE-RSA-AES128-GCM-SHA256", "rsa_pss_rsae_sha256", "RSA-PSS"),
    ("ECDHE_RSA, PKCS#1 (-sigalgs rsa_pkcs1_sha256)",
     ["-cipher", "ECDHE-RSA-AES128-GCM-SHA256", "-sigalgs", "rsa_pkcs1_sha256"],
     "ECDHE-RSA-AES128-GCM-SHA256", "rsa_pkcs1_sha256", "RSA"),
    ("ECDHE_RSA, RSA-PSS with SHA-384", ["-cipher", "ECDHE-RSA-AES256-GCM-SHA384", "-sigalgs",
                                        "rsa_pss_rsae_sha384"],
     "ECDHE-RSA-AES256-GCM-SHA384", "rsa_pss_rsae_sha384", "RSA-PSS"),
    ("ECDHE_ECDSA", ["-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"], "ECDHE-ECDSA-AES128-GCM-SHA256",
     "ecdsa_secp256r1_sha256", "ECDSA"),
]


def check_token_server(s, tag):
    for what, args, suite, scheme, peer_sig in CASES:
        rc, out = s_client(s.port, *args)
        ok = rc == 0 and "Verify return code: 0 (ok)" in out and f"Cipher is {suite}" in out
        if peer_sig:
            ok = ok and f"Peer signature type: {peer_sig}\n" in out
        d = page_json(out)
        conn = d.get("connection", {})
        ok = ok and "HTTP/1.1 200" in out and conn.get("cipher_suite", {}).get("name", "") != ""
        if scheme:
            ok = ok and json.dumps(conn).count(scheme) > 0
        check(ok, f"{tag}: s_client {what}: verified, {suite}, page fetched", out[-1500:])
    for cipher, want in [("AES128-GCM-SHA256", "TLS_RSA_WITH_AES_128_GCM_SHA256"),
                         ("ECDHE-RSA-AES128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
                         ("ECDHE-ECDSA-AES128-GCM-SHA256",
                          "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256")]:
        rc, page, err = curl(s.port, cipher)
        check(rc == 0 and want in page, f"{tag}: curl {cipher}: the page names {want}",
              page[:800] + err)


# ---- the token's keys, PIN from the environment -----------------------------------------
os.environ["TLSFLOW_PKCS11_PIN"] = "1234"
with Server(*TOKEN_ARGS, pki=None) as s:
    banner = s.stdout()
    check(re.search(r"certificate: .*rsa\.pem \(RSA 2048, default\), key in PKCS#11 token "
                    r"'tlsflow', key 'rsa'", banner) is not None and
          re.search(r"certificate: .*ec\.pem \(EC P-256, default\), key in PKCS#11 token "
                    r"'tlsflow', key 'ec'", banner) is not None,
          "banner: both certificates, keys in the token", banner)
    check("off the event loop" in banner, "banner: key operations off the loop", banner)
    check_token_server(s, "token")
    # The private keys never were in the server: no file of theirs is open, and the
    # process maps the module.
    maps = open(f"/proc/{s.pid}/maps").read()
    check("libsofthsm2.so" in maps, "the server loaded the PKCS#11 module")
del os.environ["TLSFLOW_PKCS11_PIN"]

# ---- the same keys named by RFC 7512 URIs (PIN and module in the URI, or a PIN file) --------
with open(p("pin.txt"), "w") as f:
    f.write("1234\n")
uri_rsa = f"pkcs11:token=tlsflow;object=rsa;type=private?pin-value=1234&module-path={MODULE}"
uri_ec = f"pkcs11:token=tlsflow;id=%02;type=private?pin-source=file:{p('pin.txt')}"
with Server("--cert", p("rsa.pem"), "--pkcs11-key", uri_rsa, "--cert", p("ec.pem"),
            "--pkcs11-key", uri_ec, pki=None) as s:
    rc, out = s_client(s.port, "-cipher", "AES128-GCM-SHA256")
    check(rc == 0 and "HTTP/1.1 200" in out, "URI keys: RSA key transport", out[-600:])
    rc, out = s_client(s.port, "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256")
    check(rc == 0 and "HTTP/1.1 200" in out and "Peer signature type: ECDSA" in out,
          "URI keys: ECDHE_ECDSA with the key found by id", out[-600:])

# ---- what stops the server at start -------------------------------------------------------
BAD = [
    (TOKEN_ARGS + ["--pkcs11-pin", "9999"], "wrong PIN for PKCS#11 token 'tlsflow'"),
    (["--cert", p("rsa.pem"), "--pkcs11-key", "nosuchkey", "--pkcs11-module", MODULE,
      "--pkcs11-pin", "1234"],
     "no private key labelled 'nosuchkey' on PKCS#11 token 'tlsflow' (private keys there: "),
    (["--cert", p("other.pem"), "--pkcs11-key", "rsa", "--pkcs11-module", MODULE,
      "--pkcs11-pin", "1234"], f"is not the private key of --cert '{p('other.pem')}'"),
    (["--cert", p("ec.pem"), "--pkcs11-key", "rsa", "--pkcs11-module", MODULE, "--pkcs11-pin",
      "1234"], "is an RSA key but --cert"),
    (["--cert", p("rsa.pem"), "--pkcs11-key", "rsa", "--pkcs11-module", MODULE],
     "PKCS#11 token 'tlsflow' needs a PIN"),
    (["--cert", p("rsa.pem"), "--pkcs11-key", "pkcs11:token=other;object=rsa",
      "--pkcs11-module", MODULE, "--pkcs11-pin", "1234"],
     "has no token labelled 'other' (tokens: 'tlsflow')"),
    (["--cert", p("rsa.pem"), "--pkcs11-key", "rsa", "--pkcs11-pin", "1234"],
     "which PKCS#11 module?"),
    (["--cert", p("rsa.pem"), "--pkcs11-key", "rsa", "--pkcs11-module", p("rsa.pem"),
      "--pkcs11-pin", "1234"], "cannot load it"),
    (["--cert", p("rsa.pem"), "--pkcs11-key", "pkcs11:object=rsa;color=blue",
      "--pkcs11-module", MODULE], "unsupported attribute 'color'"),
    (["--cert", p("rsa.pem"), "--pkcs11-module", MODULE], "got 1 --cert and 0 --key"),
    (["--cert", p("rsa.pem"), "--key", p("rsa.key"), "--pkcs11-module", MODULE],
     "add --pkcs11-key LABEL"),
]
for i, (args, want) in enumerate(BAD):
    r = run([SERVER, "--listen", "127.0.0.1:0"] + args, timeout=20)
    err = text(r.stderr)
    code = 2 if i >= len(BAD) - 2 else 1  # the command line (2), or the token (1)
    check(r.returncode == code and want in err and err.startswith("tlsflow-server: ") and
          "listening" not in text(r.stdout) and "Sanitizer" not in err,
          f"refused at start: {want!r}", f"exit {r.returncode}: {err}")
check("1234" not in text(run([SERVER, "--listen", "127.0.0.1:0"] + BAD[0][0]).stderr),
      "the wrong-PIN message does not echo a PIN")

# ---- keys in files on worker threads: --key-threads ---------------------------------------
FILE_ARGS = ["--cert", p("rsa.pem"), "--key", p("rsa.key"), "--cert", p("ec.pem"), "--key",
             p("ec.key")]
with Server(*FILE_ARGS, "--key-threads", "2", pki=None) as s:
    check("2 threads, --key-threads" in s.stdout(), "banner: 2 key threads", s.stdout())
    for cipher, want in [("AES128-GCM-SHA256", "TLS_RSA_WITH_AES_128_GCM_SHA256"),
                         ("ECDHE-RSA-AES128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
                         ("ECDHE-ECDSA-AES128-GCM-SHA256",
                          "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256")]:
        rc, page, err = curl(s.port, cipher)
        check(rc == 0 and want in page, f"--key-threads 2: curl {cipher}", page[:600] + err)
    rc, out = s_client(s.port, "-cipher", "ECDHE-RSA-AES128-GCM-SHA256", "-sigalgs",
                       "rsa_pkcs1_sha384")
    check(rc == 0 and "Peer signature type: RSA\n" in out and "rsa_pkcs1_sha384" in out,
          "--key-threads 2: PKCS#1 SHA-384 signature", out[-600:])


def timed_pair(port, ciphers):
    """Two handshakes at once; returns (seconds until both are done, both ok)."""
    res = [None, None]

    def one(i):
        res[i] = curl(port, ciphers[i])

    t0 = time.monotonic()
    threads = [threading.Thread(target=one, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return time.monotonic() - t0, all(r and r[0] == 0 and "TLS_" in r[1] for r in res)


PAIR = ["AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"]
with Server(*FILE_ARGS, "--key-threads", "2", "--key-delay", "1500", pki=None) as s:
    took, ok = timed_pair(s.port, PAIR)
    check(ok and 1.5 <= took < 2.8, f"2 key threads: two 1.5 s operations overlap ({took:.2f} s)")
with Server(*FILE_ARGS, "--key-threads", "1", "--key-delay", "1500", pki=None) as s:
    took, ok = timed_pair(s.port, PAIR)
    check(ok and took >= 3.0, f"1 key thread: the two operations take turns ({took:.2f} s)")

# A token key behind a slow token: an established connection is answered meanwhile.
os.environ["TLSFLOW_PKCS11_PIN"] = "1234"
with Server(*TOKEN_ARGS, "--key-delay", "2000", "--echo", pki=None) as s:
    ctx = ssl.create_default_context(cafile=p("ca.pem"))
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    with ctx.wrap_socket(socket.create_connection(("127.0.0.1", s.port), timeout=10),
                         server_hostname="localhost") as t:
        slow = subprocess.Popen(["openssl", "s_client", "-connect", f"127.0.0.1:{s.port}",
                                 "-tls1_2", "-cipher", "AES128-GCM-SHA256", "-quiet"],
                                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(0.5)  # its decryption now waits in the "token"
        t0 = time.monotonic()
        t.sendall(b"still here?")
        got = t.recv(100)
        rtt = time.monotonic() - t0
        check(got == b"still here?" and rtt < 0.5,
              f"echo on an established connection while a token operation runs ({rtt * 1000:.1f} ms)")
        check(slow.poll() is None, "the slow handshake is still waiting for its key operation")
        slow.stdin.close()
        try:
            slow.wait(10)
        except subprocess.TimeoutExpired:
            slow.kill()
            slow.wait(5)
del os.environ["TLSFLOW_PKCS11_PIN"]

# A handshake timeout, and a shutdown, while an operation runs: both wait for it.
log = p("conns.jsonl")
with Server(*FILE_ARGS, "--key-threads", "1", "--key-delay", "2500", "--handshake-timeout", "1",
            "--log", log, pki=None) as s:
    rc, page, err = curl(s.port, "AES128-GCM-SHA256")
    check(rc != 0, "handshake timeout during a key operation: the client is refused", err)
    bg = subprocess.Popen(["curl", "-sS", "-k", "--tls-max", "1.2", "--ciphers",
                           "AES128-GCM-SHA256", f"https://127.0.0.1:{s.port}/"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    rc = s.stop()
    check(rc == 0, f"SIGTERM during a key operation: exit 0 (got {rc})", s.stderr())
    bg.wait(10)
lines = [json.loads(line) for line in open(log).read().splitlines()]
outcomes = [(x["outcome"], x["duration_ms"]) for x in lines]
check(len(lines) == 2 and lines[0]["outcome"] == "handshake_timeout" and
      lines[0]["duration_ms"] >= 2400 and lines[1]["outcome"] == "shutdown",
      "log: the timeout and the shutdown took effect when the operation was back", outcomes)
finish()
