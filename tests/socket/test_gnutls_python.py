"""gnutls-cli and Python's ssl limited to TLS 1.2 (the RSA suites, then ECDHE); their
defaults get TLS 1.3 (more of that in test_tls13.py)."""
import json
import ssl

from tfsock import CA, Server, check, finish, https_get, rsa_context, run, text

with Server() as s:
    r = run(["gnutls-cli", "--x509cafile", CA, "-p", str(s.port), "--priority",
             "NORMAL:-VERS-TLS1.3", "localhost"],
            input=b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    out = text(r.stdout)
    check(r.returncode == 0 and "HTTP/1.1 200 OK" in out, "gnutls-cli fetches /",
          text(r.stderr)[-800:])
    check("(TLS1.2-X.509)-(RSA)-(AES-" in out, "gnutls-cli: TLS 1.2, RSA key exchange, AES-GCM")
    for prio, name in [("NORMAL:-VERS-TLS1.3:-CIPHER-ALL:+AES-256-GCM", "AES-256-GCM"),
                       ("NORMAL:-VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM", "AES-128-GCM")]:
        r = run(["gnutls-cli", "--x509cafile", CA, "-p", str(s.port), "--priority", prio,
                 "localhost"], input=b"GET /json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        check(r.returncode == 0 and name in text(r.stdout), f"gnutls-cli with {name}",
              text(r.stderr)[-500:])

    for suite in ["AES128-GCM-SHA256", "AES256-GCM-SHA384"]:
        ctx = rsa_context()
        ctx.set_ciphers(suite)
        status, _, body, cipher = https_get(s.port, "/json", ctx=ctx)
        check(status == "HTTP/1.1 200 OK" and cipher[0] == suite and cipher[1] == "TLSv1.2",
              f"python ssl {suite}", (status, cipher))
        d = json.loads(body)
        check(d["connection"]["cipher_suite"]["name"].startswith("TLS_RSA_WITH_AES_"),
              f"python ssl {suite}: /json names the suite")
    # Python's default context offers TLS 1.3 and gets it.
    status, _, body, cipher = https_get(s.port, "/json",
                                        ctx=ssl.create_default_context(cafile=CA))
    d = json.loads(body)
    check(status.endswith("200 OK") and cipher[1] == "TLSv1.3" and
          d["connection"]["version_name"] == "TLS 1.3", "default python context: TLS 1.3",
          cipher)
    # ECDHE only: forward secrecy, and the page describes the ECDHE steps 3 and 4.
    ctx = rsa_context()
    ctx.set_ciphers("ECDHE+AESGCM")
    status, _, body, cipher = https_get(s.port, "/json", ctx=ctx)
    d = json.loads(body)
    # ECDHE_ECDSA comes first among the ECDHE suites, served by the EC P-256 leaf.
    check(cipher[0].startswith("ECDHE-ECDSA-") and d["connection"]["key_exchange"] == "ECDHE"
          and d["connection"]["certificate"]["key_type"] == "EC",
          "ECDHE-only python context gets ECDHE_ECDSA with the EC leaf", cipher)
    ctx_rsa = rsa_context()
    ctx_rsa.set_ciphers("ECDHE+aRSA+AESGCM")
    status, _, body, cipher = https_get(s.port, "/json", ctx=ctx_rsa)
    check(cipher[0].startswith("ECDHE-RSA-") and
          json.loads(body)["connection"]["certificate"]["key_type"] == "RSA",
          "ECDHE_RSA-only python context gets ECDHE_RSA with the RSA leaf", cipher)
    check(d["flow"][2]["title"] == "Key share sent by the client" and
          d["connection"]["ecdhe"]["client_public_bytes"] > 0, "/json: ECDHE flow steps",
          d["flow"][2])
    status, _, body, _ = https_get(s.port, "/", ctx=ctx)
    check(b"3. Key share sent by the client" in body and b"4. Shared secret computed" in body,
          "text page: ECDHE steps 3 and 4")
    # And verification really happens: a context without our CA fails.
    try:
        ctx = rsa_context(ca=None)
        https_get(s.port, "/", ctx=ctx)
        check(False, "python without the CA fails to verify")
    except ssl.SSLCertVerificationError:
        check(True, "python without the CA fails to verify")
finish()
