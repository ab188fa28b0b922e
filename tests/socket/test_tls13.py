"""TLS 1.3 by default, the classic flow one name away (issue 11, server side).

curl, Python's default ssl context, gnutls-cli and openssl s_client negotiate TLS 1.3
with the default server and get the page, which says TLS 1.3 and shows both key shares
and CertificateVerify (text, /json, HTML), with the encrypted part marked and a
HelloRetryRequest shown when one happened. classic.localhost gives the same clients TLS
1.2 with RSA key transport (its own engine configuration, chosen by SNI after the
ClientHello was read; a ClientHello arriving in small pieces too) and refuses clients
without RSA suites or without TLS 1.2. --max-version 1.2, --min-version 1.3 and --suites
keep their meaning. The key log never holds secrets of a handshake that moved to a
site's configuration."""
import json
import os
import socket
import ssl
import tempfile
import time

from tfsock import (CA, SERVER, Server, check, finish, http_body, https_get, rsa_context, run,
                    text)

GET_JSON = b"GET /json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
GET_TEXT = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
SHARE = {"x25519": 32, "secp256r1": 65, "secp384r1": 97}


def as_json(s, what):
    try:
        return json.loads(s)
    except ValueError:
        check(False, f"{what}: /json parses", s[:300])
        return {}


def curl(port, path="/", host="localhost", *extra):
    cmd = ["curl", "-sS", "-v", "--cacert", CA, *extra]
    if host != "localhost":
        cmd += ["--resolve", f"{host}:{port}:127.0.0.1"]
    r = run(cmd + [f"https://{host}:{port}{path}"])
    return r.returncode, text(r.stdout), text(r.stderr)


def s_client(port, host, *extra, request=GET_JSON):
    r = run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", host,
             "-CAfile", CA, "-verify_return_error", "-verify_hostname", host, "-ign_eof",
             *extra], input=request)
    return r.returncode, text(r.stdout), text(r.stderr)


def gnutls(port, host, *extra, request=GET_JSON):
    r = run(["gnutls-cli", "--x509cafile", CA, "--sni-hostname", host, "--verify-hostname",
             host, "-p", str(port), *extra, "127.0.0.1"], input=request)
    return r.returncode, text(r.stdout), text(r.stderr)


def py_get(port, ctx, host="localhost"):
    """(version, cipher, /json body) over Python's ssl, or (None, error text, '')."""
    try:
        status, _, body, cipher = https_get(port, "/json", host=host, ctx=ctx)
        return cipher[1], cipher[0], text(body)
    except (ssl.SSLError, OSError) as e:
        return None, str(e), ""


def check_tls13_json(d, who):
    """The /json of a TLS 1.3 connection: version, key shares, CertificateVerify, the
    sequence with everything after ServerHello encrypted, the comparison."""
    c = d.get("connection", {})
    ks = c.get("key_shares", {})
    check(c.get("version_name") == "TLS 1.3" and c.get("flow") == "TLS 1.3" and
          c.get("cipher_suite", {}).get("name", "").startswith("TLS_"), f"{who}: /json says TLS 1.3",
          c)
    check(ks.get("group") in SHARE and ks.get("client_bytes") == SHARE.get(ks.get("group")) and
          ks.get("server_bytes") == SHARE.get(ks.get("group")),
          f"{who}: /json shows both key shares ({ks.get('group')}, "
          f"{ks.get('client_bytes')}/{ks.get('server_bytes')} bytes)", ks)
    cv = c.get("certificate_verify", {})
    check(cv.get("scheme") and cv.get("bytes", 0) >= 64,
          f"{who}: /json shows the CertificateVerify signature ({cv.get('scheme')}, "
          f"{cv.get('bytes')} bytes)", cv)
    seq = d.get("sequence", [])
    ids = [e["id"] for e in seq]
    at = ids.index("server_hello") if "server_hello" in ids else len(ids)
    after = [e for e in seq[at + 1:] if e["direction"] in ("client_to_server", "server_to_client",
                                                          "both")]
    check(ids[:1] == ["client_hello"] and seq[0].get("flow_step") in (None, 3) and
          not seq[at]["encrypted"] if at < len(seq) else False,
          f"{who}: sequence starts in the clear (ClientHello, ServerHello)", ids)
    check(after and all(e["encrypted"] for e in after) and
          {"encrypted_extensions", "certificate", "certificate_verify", "server_finished",
           "client_finished"} <= {e["id"] for e in after},
          f"{who}: everything after ServerHello is marked encrypted", seq)
    steps = {e["id"]: e.get("flow_step") for e in seq}
    check(steps.get("server_hello") == 4 and steps.get("certificate_verify") == 4 and
          steps.get("certificate") == 1 and (steps.get("client_hello") == 3 or
                                             steps.get("client_hello_retry") == 3),
          f"{who}: step 3 is the client's share, step 4 the server's share and signature",
          steps)
    cmp_ = d.get("compared_with", {})
    check(cmp_.get("flow") == "TLS 1.2, RSA key transport" and
          "ClientKeyExchange" in cmp_.get("not_here", []) and
          "EncryptedExtensions" in cmp_.get("only_here", []) and
          cmp_.get("url", "").startswith("https://classic.localhost:"),
          f"{who}: /json compares with the classic flow and links it", cmp_)
    return c


def check_classic_json(d, who):
    c = d.get("connection", {})
    check(c.get("version_name") == "TLS 1.2" and c.get("site") == "classic.localhost" and
          c.get("key_exchange") == "RSA" and
          c.get("cipher_suite", {}).get("name", "").startswith("TLS_RSA_WITH_AES_") and
          c.get("encrypted_premaster_bytes") == 256 and c.get("certificate", {}).get(
              "subject", "").endswith("CN=classic.localhost"),
          f"{who}: classic.localhost: TLS 1.2, RSA key transport, 256-byte premaster", c)
    seq = d.get("sequence", [])
    check([e["id"] for e in seq if e.get("flow_step")] ==
          ["certificate", "verify", "client_key_exchange", "decrypt_premaster",
           "application_data"] and d.get("compared_with", {}).get("flow") == "TLS 1.3",
          f"{who}: the five steps in the classic order, compared with TLS 1.3", seq)
    # The site's engine read the ClientHello again (the first one was dropped): its summary,
    # kept by the server past the handshake, is the one shown.
    ch = d.get("client_hello", {})
    check(ch.get("cipher_suites") and ch.get("extensions") and
          any(e.get("name") == "server_name" for e in ch["extensions"]) and
          ch.get("ja3", "").count(",") == 4,
          f"{who}: classic.localhost: the ClientHello shown", ch)


tmp = tempfile.mkdtemp(prefix="tftls13-")
keylog, connlog = os.path.join(tmp, "keys.txt"), os.path.join(tmp, "conns.json")
with Server("--keylog", keylog, "--log", connlog) as s:
    port = s.port

    # curl: the text page tells the TLS 1.3 story of that very connection.
    rc, out, err = curl(port)
    check(rc == 0 and "SSL connection using TLSv1.3" in err, "curl negotiates TLS 1.3", err[-600:])
    check("version  TLS 1.3" in out and "kx       ECDHE over " in out and
          "key shares of " in out and " 3. Key share sent by the client" in out and
          "your ClientHello carried a " in out and
          " 4. Key share and signature from the server" in out and
          "ServerHello carried our " in out and "CertificateVerify: " in out,
          "curl: the text page says TLS 1.3, step 3 the client's share, step 4 the server's "
          "share and signature", out[:1500])
    check("C <- S * [1] Certificate" in out and "C -> S   [3] ClientHello + key_share" in out,
          "curl: the text page marks the encrypted messages", out)
    rc, out, err = curl(port, "/json")
    check_tls13_json(as_json(out, "curl"), "curl")
    rc, out, err = curl(port, "/", "localhost", "-H", "Accept: text/html")
    check(rc == 0 and "Your TLS 1.3 handshake, step by step" in out and
          'class="encrypted"' in out and f'href="https://classic.localhost:{port}/"' in out,
          "curl: the HTML page draws TLS 1.3 with the encrypted part and links the classic flow")

    # Python's default context.
    ver, cipher, body = py_get(port, ssl.create_default_context(cafile=CA))
    check(ver == "TLSv1.3", "python default context negotiates TLS 1.3", (ver, cipher))
    check_tls13_json(as_json(body, "python"), "python")

    # gnutls-cli, default priorities.
    rc, out, err = gnutls(port, "localhost")
    check(rc == 0 and "(TLS1.3-X.509)" in out, "gnutls-cli negotiates TLS 1.3",
          (out + err)[-600:])
    check_tls13_json(as_json(http_body(out), "gnutls"), "gnutls-cli")

    # openssl s_client, default; then with a P-256 share; then with a share we do not take.
    rc, out, err = s_client(port, "localhost")
    check(rc == 0 and "New, TLSv1.3, Cipher is TLS_" in out, "openssl s_client negotiates TLS 1.3",
          (out + err)[-600:])
    check_tls13_json(as_json(http_body(out), "s_client"), "openssl s_client")
    rc, out, err = s_client(port, "localhost", "-groups", "P-256")
    c = as_json(http_body(out), "s_client P-256").get("connection", {})
    check(c.get("key_shares") == {"group": "secp256r1", "client_bytes": 65, "server_bytes": 65},
          "s_client -groups P-256: 65-byte secp256r1 shares both ways", c.get("key_shares"))
    rc, out, err = s_client(port, "localhost", "-groups", "X448:X25519")
    d = as_json(http_body(out), "s_client HRR")
    ids = [e["id"] for e in d.get("sequence", [])]
    check(d.get("connection", {}).get("hello_retry_request") is True and
          ids[:4] == ["client_hello", "hello_retry_request", "client_hello_retry", "server_hello"],
          "s_client offering an X448 share: HelloRetryRequest shown, then the x25519 share", ids)
    rc, out, err = s_client(port, "localhost", "-groups", "X448:X25519", request=GET_TEXT)
    check("after a HelloRetryRequest" in out and "C <- S       HelloRetryRequest" in out,
          "the text page tells the HelloRetryRequest", http_body(out)[:1200])

    # classic.localhost: the same clients get TLS 1.2 with RSA key transport.
    rc, out, err = curl(port, "/json", "classic.localhost")
    check(rc == 0 and "SSL connection using TLSv1.2 / AES" in err,
          "curl classic.localhost: TLS 1.2, an RSA key transport suite", err[-600:])
    check_classic_json(as_json(out, "curl classic"), "curl")
    rc, out, err = curl(port, "/", "classic.localhost")
    check("version  TLS 1.2" in out and "kx       RSA key transport" in out and
          " 3. Session key encrypted by the client" in out and
          "site     classic.localhost" in out and "Compared with TLS 1.3" in out,
          "curl classic.localhost: the text page tells the classic five steps", out[:1500])
    rc, out, err = s_client(port, "classic.localhost")
    check(rc == 0 and "New, TLSv1.2, Cipher is AES" in out,
          "openssl s_client classic.localhost: TLS 1.2, RSA key transport", (out + err)[-600:])
    check_classic_json(as_json(http_body(out), "s_client classic"), "openssl s_client")
    rc, out, err = gnutls(port, "classic.localhost")
    check(rc == 0 and "(TLS1.2-X.509)-(RSA)-(AES-" in out,
          "gnutls-cli classic.localhost: TLS 1.2, RSA key exchange", (out + err)[-600:])
    check_classic_json(as_json(http_body(out), "gnutls classic"), "gnutls-cli")
    ver, cipher, body = py_get(port, rsa_context(), "classic.localhost")
    check(ver == "TLSv1.2" and cipher.startswith("AES"), "python (RSA suites) classic.localhost",
          (ver, cipher))
    # What the site forces: no TLS 1.3, no ECDHE there.
    ctx = ssl.create_default_context(cafile=CA)
    ctx.set_ciphers("ECDHE+AESGCM")
    ver, err_text, _ = py_get(port, ctx, "classic.localhost")
    check(ver is None and "HANDSHAKE_FAILURE" in err_text.upper(),
          "python without RSA key transport (ECDHE+AESGCM, TLS 1.3) refused on classic.localhost",
          err_text)
    rc, out, err = s_client(port, "classic.localhost", "-tls1_3")
    check(rc != 0 and "protocol version" in err, "s_client -tls1_3 refused on classic.localhost",
          err[-400:])

    # A ClientHello in 20-byte pieces, each its own read: still moved whole.
    ctx = rsa_context()
    bio_in, bio_out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(bio_in, bio_out, server_hostname="classic.localhost")
    pieces_ok, body = False, b""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            obj.do_handshake()
        except ssl.SSLWantReadError:
            pass
        hello = bio_out.read()
        for i in range(0, len(hello), 20):
            raw.sendall(hello[i:i + 20])
            time.sleep(0.01)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                obj.do_handshake()
                pieces_ok = True
                break
            except ssl.SSLWantReadError:
                raw.sendall(bio_out.read())
                data = raw.recv(65536)
                if not data:
                    break
                bio_in.write(data)
        if pieces_ok:
            obj.write(GET_JSON)
            raw.sendall(bio_out.read())
            while time.monotonic() < deadline:
                data = raw.recv(65536)
                if not data:
                    break
                bio_in.write(data)
                try:
                    body += obj.read(65536)
                except (ssl.SSLWantReadError, ssl.SSLZeroReturnError):
                    pass
    check(pieces_ok and obj.version() == "TLSv1.2" and len(hello) > 100,
          f"a {len(hello)}-byte ClientHello in 20-byte pieces reaches classic.localhost's "
          "configuration")
    check_classic_json(as_json(http_body(text(body)), "pieces"), "ClientHello in pieces")

keys = open(keylog).read().splitlines() if os.path.exists(keylog) else []
by_random = {}
for line in keys:
    by_random.setdefault(line.split()[1], []).append(line.split()[0])
classic = [v for v in by_random.values() if v == ["CLIENT_RANDOM"]]
tls13 = [v for v in by_random.values() if "CLIENT_HANDSHAKE_TRAFFIC_SECRET" in v]
check(len(classic) == 6 and all(len(v) == 5 and "CLIENT_RANDOM" not in v for v in tls13) and
      len(classic) + len(tls13) == len(by_random),
      f"key log: {len(classic)} TLS 1.2 handshakes moved to classic.localhost, one "
      "CLIENT_RANDOM line each and no TLS 1.3 secret of the engine they left; "
      f"{len(tls13)} TLS 1.3 handshakes with their five secrets", by_random)
conns = [json.loads(line) for line in open(connlog).read().splitlines()]
moved = [c for c in conns if c.get("site") == "classic.localhost"]
check(moved and all(c.get("version") == "TLS 1.2" for c in moved if c["outcome"] == "ok") and
      all(c.get("version") == "TLS 1.3" for c in conns
          if c.get("sni") == "localhost" and c["outcome"] == "ok"),
      "--log: the site and version of each connection", conns[:3])

# --max-version 1.2: everyone gets TLS 1.2; the RSA-first preference is back.
with Server("--max-version", "1.2") as s:
    rc, out, err = curl(s.port, "/json")
    c = as_json(out, "max 1.2").get("connection", {})
    check(rc == 0 and "SSL connection using TLSv1.2 / AES" in err and
          c.get("version_name") == "TLS 1.2" and c.get("key_exchange") == "RSA",
          "--max-version 1.2: curl gets TLS 1.2 with RSA key transport (rsa-first)", err[-400:])
    ver, cipher, body = py_get(s.port, ssl.create_default_context(cafile=CA))
    c = as_json(body, "max 1.2 python").get("connection", {})
    check(ver == "TLSv1.2" and c.get("version_name") == "TLS 1.2",
          "--max-version 1.2: python's default context gets TLS 1.2", (ver, cipher))
    rc, out, err = s_client(s.port, "localhost", "-tls1_3")
    check(rc != 0 and "protocol version" in err, "--max-version 1.2: s_client -tls1_3 refused",
          err[-400:])

# --min-version 1.3: TLS 1.2 clients are refused; classic.localhost keeps TLS 1.2.
with Server("--min-version", "1.3") as s:
    rc, out, err = s_client(s.port, "localhost", "-tls1_2")
    check(rc != 0 and "protocol version" in err, "--min-version 1.3: s_client -tls1_2 refused",
          err[-400:])
    rc, out, err = curl(s.port, "/json", "classic.localhost")
    check(rc == 0 and "SSL connection using TLSv1.2" in err,
          "--min-version 1.3: classic.localhost still speaks TLS 1.2", err[-400:])

# --suites: the TLS 1.2 preference, after the TLS 1.3 suites unless the list names some.
with Server("--suites", "ecdhe-first") as s:
    rc, out, err = curl(s.port, "/json", "localhost", "--tls-max", "1.2")
    c = as_json(out, "ecdhe-first").get("connection", {})
    check(c.get("key_exchange") == "ECDHE" and c.get("version_name") == "TLS 1.2",
          "--suites ecdhe-first: a TLS 1.2 client gets ECDHE", c.get("cipher_suite"))
    rc, out, err = curl(s.port, "/json")
    check("SSL connection using TLSv1.3" in err, "--suites ecdhe-first: TLS 1.3 still first")
with Server("--suites", "TLS_AES_256_GCM_SHA384,TLS_RSA_WITH_AES_128_GCM_SHA256") as s:
    rc, out, err = s_client(s.port, "localhost")
    check(rc == 0 and "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384" in out,
          "--suites naming a TLS 1.3 suite: exactly that one", out[-400:])

r = run([SERVER, "--help"])
h = text(r.stdout)
check(all(w in h for w in ["--min-version 1.2|1.3", "--max-version 1.2|1.3", "--client-auth",
                           "--client-ca FILE", "TLS_AES_128_GCM_SHA256", "classic.localhost",
                           "mtls.localhost"]),
      "--help documents the versions, the TLS 1.3 suites, the sites and mutual TLS")
finish()
