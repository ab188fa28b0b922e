"""curl --cacert fetches / (text and HTML) and /json over TLS 1.3 (the default); keep-alive;
404 and 405. (The classic flow on classic.localhost: test_tls13.py.)"""
import json

from tfsock import CA, Server, check, finish, run, text

with Server() as s:
    base = f"https://localhost:{s.port}"
    r = run(["curl", "-sS", "--cacert", CA, base + "/"])
    body = text(r.stdout)
    check(r.returncode == 0, "curl / exit 0", text(r.stderr))
    check("The five steps" in body and "TLS_AES_" in body and "version  TLS 1.3" in body,
          "text page shows the TLS 1.3 flow", body[:400])
    check(all(f" {n}. " in body for n in range(1, 6)), "text page has steps 1..5")
    check(len(r.stdout) < 16384, f"text page fits one record ({len(r.stdout)} bytes)")

    r = run(["curl", "-sS", "--cacert", CA, "-H", "Accept: text/html", base + "/"])
    page = text(r.stdout)
    check(r.returncode == 0 and page.startswith("<!doctype html>") and "<svg" in page,
          "HTML page with an inline SVG diagram")
    for label in ["ClientHello + key_share", "CertificateVerify", "Certificate",
                  "expired.localhost", "classic.localhost"]:
        check(label in page, f"HTML page mentions {label}")

    r = run(["curl", "-sS", "--cacert", CA, base + "/json"])
    check(r.returncode == 0, "curl /json exit 0", text(r.stderr))
    try:
        d = json.loads(text(r.stdout))
    except ValueError as e:
        d = {}
        check(False, "/json parses", e)
    c = d.get("connection", {})
    check(c.get("cipher_suite", {}).get("name", "").startswith("TLS_AES_"),
          "/json names the negotiated suite", c.get("cipher_suite"))
    check(c.get("sni") == "localhost" and c.get("alpn") == "http/1.1", "/json: SNI and ALPN")
    check(c.get("key_shares", {}).get("client_bytes", 0) > 0 and
          c.get("finished_verified") is True, "/json: key shares, Finished verified", c)
    ch = d.get("client_hello", {})
    check(len(ch.get("ja3_md5", "")) == 32 and ch.get("ja3", "").startswith("771,"),
          "/json: JA3 and its MD5")
    check(any(x.get("name") == "extended_master_secret" for x in ch.get("extensions", [])),
          "/json: extensions named")
    check(len(d.get("flow", [])) == 5, "/json: five flow steps")

    # Two URLs in one curl run share the connection (HTTP/1.1 keep-alive).
    r = run(["curl", "-sS", "-v", "--cacert", CA, base + "/json", base + "/json"])
    err = text(r.stderr)
    check(r.returncode == 0 and "Re-using existing connection" in err, "keep-alive reuse")
    check('"request_on_connection":\t2' in text(r.stdout), "second request on one connection")
    # Between the two the connection idled and the engine let its handshake state go, the
    # ClientHello summary with it: the server's own packed copy must show the same hello.
    docs, out = [], text(r.stdout).strip()
    try:
        while out:
            d, end = json.JSONDecoder().raw_decode(out)
            docs.append(d)
            out = out[end:].strip()
    except ValueError as e:
        check(False, "keep-alive /json bodies parse", e)
    hellos = [d.get("client_hello", {}) for d in docs]
    first = hellos[0] if hellos else {}
    check(len(hellos) == 2 and hellos[0] == hellos[1], "same ClientHello on both requests",
          hellos)
    check(all(first.get(k) for k in ("cipher_suites", "extensions", "supported_groups",
                                     "signature_algorithms", "alpn", "ja3")) and
          "http/1.1" in first.get("alpn", "") and
          any(x.get("name") == "TLS_AES_128_GCM_SHA256" for x in first.get("cipher_suites", [])),
          "ClientHello after idle: suites, extensions, groups, sigalgs, ALPN, JA3", first)
    r = run(["curl", "-sS", "--cacert", CA, "-H", "Accept: text/html", base + "/", base + "/"])
    pages = text(r.stdout).split("<!doctype html>")[1:]
    sections = [p[p.find("<h2>Your ClientHello</h2>"):].split("</table>")[0] for p in pages]
    check(len(sections) == 2 and sections[0] == sections[1] and "x25519" in sections[0] and
          "http/1.1" in sections[0] and "ALPN offered</th><td>(none)" not in sections[0],
          "HTML ClientHello section the same after idle", sections[-1:])

    r = run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", CA,
             base + "/nope"])
    check(text(r.stdout) == "404", "unknown path -> 404", text(r.stdout))
    r = run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", CA,
             "-X", "POST", "-d", "x=1", base + "/"])
    check(text(r.stdout) == "405", "POST -> 405", text(r.stdout))
    r = run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", CA,
             "-H", "X-Big: " + "a" * 20000, base + "/"])
    check(text(r.stdout) == "431", "oversized head -> 431", text(r.stdout))
    r = run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--http1.0", "--cacert",
             CA, base + "/"])
    check(text(r.stdout) == "200", "HTTP/1.0 -> 200", text(r.stdout))
finish()
