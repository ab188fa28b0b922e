"""openssl s_client -tls1_2 with each suite, verifying against the generated CA; the
server's --keylog line matches the one s_client writes for the same handshake."""
import os
import re
import tempfile

from tfsock import CA, Server, check, finish, run, text

SUITES = {"AES128-GCM-SHA256": "TLS_RSA_WITH_AES_128_GCM_SHA256",
          "AES256-GCM-SHA384": "TLS_RSA_WITH_AES_256_GCM_SHA384"}
tmp = tempfile.mkdtemp(prefix="tfossl-")
server_keys = os.path.join(tmp, "server.keys")
with Server("--keylog", server_keys) as s:
    for ossl, iana in SUITES.items():
        client_keys = os.path.join(tmp, f"{ossl}.keys")
        r = run(["openssl", "s_client", "-connect", f"127.0.0.1:{s.port}", "-servername",
                 "localhost", "-verify_hostname", "localhost", "-CAfile", CA, "-tls1_2",
                 "-cipher", ossl, "-verify_return_error", "-keylogfile", client_keys,
                 "-ign_eof"],
                input=b"GET / HTTP/1.0\r\n\r\n")
        out = text(r.stdout)
        check(r.returncode == 0, f"s_client {ossl}: exit 0", text(r.stderr)[-800:])
        check("Verify return code: 0 (ok)" in out, f"s_client {ossl}: chain verified")
        check(f"Cipher is {ossl}" in out, f"s_client {ossl}: suite negotiated")
        check("Extended master secret: yes" in out, f"s_client {ossl}: extended master secret")
        check("HTTP/1.1 200 OK" in out and iana in out, f"s_client {ossl}: page names the suite")
        client_line = [l for l in open(client_keys).read().splitlines()
                       if l.startswith("CLIENT_RANDOM")]
        server_lines = open(server_keys).read().splitlines()
        check(len(client_line) == 1 and client_line[0] in server_lines,
              f"s_client {ossl}: server key log has the same CLIENT_RANDOM line",
              f"{client_line} vs {server_lines}")
    # An ECDHE-only client still gets a suite (rsa-first keeps ECDHE as the fallback).
    r = run(["openssl", "s_client", "-connect", f"127.0.0.1:{s.port}", "-tls1_2", "-cipher",
             "ECDHE-RSA-AES128-GCM-SHA256", "-CAfile", CA, "-verify_return_error",
             "-servername", "localhost", "-ign_eof"],
            input=b"GET /json HTTP/1.0\r\n\r\n")
    out = text(r.stdout)
    check(r.returncode == 0 and "Cipher is ECDHE-RSA-AES128-GCM-SHA256" in out and
          '"key_exchange":\t"ECDHE"' in out, "ECDHE-only s_client gets ECDHE, and /json says so",
          text(r.stderr)[-500:])
    check(all(re.fullmatch(r"CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}", l)
              for l in open(server_keys).read().splitlines()), "key log lines are NSS format")
# Restricted to RSA key transport, an ECDHE-only client is refused cleanly.
with Server("--suites", "rsa") as s:
    r = run(["openssl", "s_client", "-connect", f"127.0.0.1:{s.port}", "-tls1_2", "-cipher",
             "ECDHE-RSA-AES128-GCM-SHA256", "-CAfile", CA], input=b"")
    check(r.returncode != 0 and "handshake failure" in text(r.stdout + r.stderr),
          "--suites rsa: ECDHE-only client gets handshake_failure", text(r.stderr)[-500:])
finish()
