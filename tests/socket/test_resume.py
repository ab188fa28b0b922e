"""Session resumption on tlsflow-server (issue 12): TLS 1.2 session tickets (RFC 5077) and
TLS 1.3 PSK tickets (RFC 8446 §2.2, psk_dhe_ke), against independent clients.

Each client connects, keeps the session the server gave, and connects again offering it;
the second connection must be resumed, which the client itself says where it can and the
server always says: its --log line ("resumed": true) and the page of that connection
(/json: connection.resumed, no certificate, the resumed flow's messages from the table in
pages/flow_steps.c; the text and HTML views). Clients: openssl s_client (-sess_out /
-sess_in, -reconnect), gnutls-cli --resume, curl with two URLs in one run, Python's ssl
(session=), NSS tstclnt (-u -L 2) and JSSE (one SSLContext, two connections).

The server's ticket keys: a random key made at start (a restarted server does a full
handshake), --ticket-key-file (the same file resumes across a restart, another key does
not, the second key of a file still opens what it sealed: rotation), the file's errors,
--no-tickets, --tickets and --ticket-lifetime, and the sites: classic.localhost resumes
on its own configuration, mtls.localhost issues none, a ticket never moves to another
name. Every peer is our child on loopback, stopped by PID; every wait is bounded."""
import atexit
import json
import os
import shutil
import socket
import ssl
import tempfile

from peers13 import jsse_client, run_groups
from tfsock import CA, SERVER, Server, check, http_body, recv_all, run, text, wait_until

TMP = tempfile.mkdtemp(prefix="tfresume-")
atexit.register(shutil.rmtree, TMP, True)
REQ_JSON = b"GET /json HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
REQ_TEXT = b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
VERSIONS = (("1.3", "-tls1_3", ssl.TLSVersion.TLSv1_3), ("1.2", "-tls1_2", ssl.TLSVersion.TLSv1_2))
TICKETS_PER_FULL = {"1.3": 2, "1.2": 1}  # the defaults: 2 NewSessionTickets; 1 in TLS 1.2
KEY_A = "00112233445566778899aabbccddeeff " + "11" * 32
KEY_B = "ffeeddccbbaa99887766554433221100 " + "22" * 32


def tmp(name):
    return os.path.join(TMP, name)


def log_server(name, *args):
    """A server with a --log file of its own; returns (server, log path)."""
    path = tmp(name + ".log")
    return Server("--log", path, *args), path


def log_lines(path, n, timeout=10):
    """The first n --log lines (written when each connection ends), parsed."""
    def lines():
        try:
            with open(path) as f:
                return [json.loads(x) for x in f if x.strip()]
        except (OSError, ValueError):
            return []
    wait_until(lambda: len(lines()) >= n, timeout=timeout)
    return lines()


def resumed_flags(path, n):
    return [d.get("resumed") for d in log_lines(path, n)[:n]]


def as_json(body, who):
    try:
        return json.loads(body)
    except ValueError:
        check(False, f"{who}: /json parses", body[:300])
        return {}


def check_resumed_json(d, ver, who):
    """The /json of a resumed connection: resumed, no certificate, the resumed flow drawn
    from the table (no Certificate row; the ticket opened at the server, step 4; in TLS 1.2
    the server's Finished before the client's) and compared with the full flow."""
    c = d.get("connection", {})
    r = c.get("resumption", {})
    seq = [e["id"] for e in d.get("sequence", [])]
    steps = {e["id"]: e.get("flow_step") for e in d.get("sequence", [])}
    kind = "tls13_psk_ticket" if ver == "1.3" else "tls12_session_ticket"
    flow = ("TLS 1.3, resumed with a PSK ticket" if ver == "1.3"
            else "TLS 1.2, resumed from a session ticket")
    check(c.get("resumed") is True and c.get("certificate_sent") is False and
          c.get("certificate") is None and r.get("ticket") == kind and c.get("flow") == flow and
          c.get("version_name") == f"TLS {ver}",
          f"{who}: /json says resumed from a {kind}, no certificate sent", c)
    ok = ("certificate" not in seq and "certificate_verify" not in seq and
          steps.get("open_ticket") == 4 and steps.get("client_hello") == 3 and
          steps.get("application_data") == 5)
    if ver == "1.2":
        ok = ok and seq.index("server_finished") < seq.index("client_finished") and \
            "client_key_exchange" not in seq and "server_hello_done" not in seq
    else:
        ok = ok and steps.get("server_hello") == 4 and \
            "pre_shared_key" in d["sequence"][seq.index("client_hello")]["message"]
    check(ok, f"{who}: the sequence is the {flow} one (no Certificate, ticket opened: step 4)",
          seq)
    cmp_ = d.get("compared_with", {})
    check("Certificate" in cmp_.get("not_here", []) and
          cmp_.get("flow", "").startswith(f"TLS {ver}") and "resumed" not in cmp_.get("flow"),
          f"{who}: compared with the full flow: no Certificate here", cmp_)


def check_full_json(d, ver, who, tickets=None):
    c = d.get("connection", {})
    want = TICKETS_PER_FULL[ver] if tickets is None else tickets
    check(c.get("resumed") is False and c.get("certificate_sent") is True and
          c.get("tickets_sent") == want,
          f"{who}: /json says a full handshake, {want} ticket(s) sent", c)


# ---- openssl s_client -----------------------------------------------------------------------

def s_client(port, flag, *extra, request=REQ_JSON, host="localhost"):
    r = run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", host,
             "-CAfile", CA, "-verify_return_error", flag, "-ign_eof", *extra], input=request)
    return r.returncode, text(r.stdout) + text(r.stderr)


def openssl_group():
    srv, log = log_server("openssl")
    with srv:
        n = 0
        for ver, flag, _ in VERSIONS:
            sess = tmp(f"s_client{ver}.pem")
            rc, out = s_client(srv.port, flag, "-sess_out", sess)
            n += 1
            check(rc == 0 and f"New, TLSv{ver}" in out and os.path.exists(sess),
                  f"s_client TLS {ver}: full handshake, -sess_out saved the session", out[-1500:])
            check_full_json(as_json(http_body(out), "s_client"), ver, f"s_client TLS {ver} first")
            rc, out = s_client(srv.port, flag, "-sess_in", sess)
            n += 1
            check(rc == 0 and f"Reused, TLSv{ver}" in out,
                  f"s_client TLS {ver} -sess_in: Reused", out[-1500:])
            check_resumed_json(as_json(http_body(out), "s_client"), ver,
                               f"s_client TLS {ver} -sess_in")
            rc, out = s_client(srv.port, flag, "-sess_in", sess, request=REQ_TEXT)
            n += 1
            page = http_body(out)
            check("resumed  yes" in page and "No certificate" in page and
                  "open the ticket" in page and "Compared with TLS " + ver in page,
                  f"s_client TLS {ver}: the text page says resumed, no certificate, and how the "
                  "flow differs", page[:3000])
            check(resumed_flags(log, n)[-3:] == [False, True, True],
                  f"s_client TLS {ver}: --log says full, resumed, resumed",
                  log_lines(log, n)[-3:])
        # -reconnect: five more connections on the first one's session. In TLS 1.3 s_client
        # reconnects before reading the server's NewSessionTicket, so it never offers one
        # (openssl/openssl#10714): every connection is new there, through no fault of ours.
        for ver, flag, _ in VERSIONS:
            r = run(["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}", "-servername",
                     "localhost", "-CAfile", CA, "-verify_return_error", flag, "-reconnect"],
                    input=b"GET / HTTP/1.0\r\n\r\n")
            rc, out = r.returncode, text(r.stdout) + text(r.stderr)
            reused = out.count(f"Reused, TLSv{ver}")
            if ver == "1.2":
                check(rc == 0 and reused == 5, f"s_client -reconnect TLS 1.2: 5 of 5 Reused",
                      out[-1500:])
            else:
                check(rc == 0 and out.count("New, TLSv1.3") == 6,
                      "s_client -reconnect TLS 1.3: six handshakes, all New (s_client offers no "
                      "ticket there: openssl/openssl#10714)", out[-1500:])


# ---- gnutls-cli --resume --------------------------------------------------------------------

def gnutls_group():
    srv, log = log_server("gnutls")
    with srv:
        n = 0
        for ver, _, _ in VERSIONS:
            prio = f"NORMAL:-VERS-ALL:+VERS-TLS{ver}"
            r = run(["gnutls-cli", "--x509cafile", CA, "-p", str(srv.port), "--priority", prio,
                     "--resume", "--waitresumption", "--sni-hostname", "localhost",
                     "--verify-hostname", "localhost", "127.0.0.1"], input=REQ_JSON)
            out = text(r.stdout) + text(r.stderr)
            n += 2
            check(r.returncode == 0 and "*** This is a resumed session" in out,
                  f"gnutls-cli --resume TLS {ver}: 'This is a resumed session'", out[-1500:])
            check(resumed_flags(log, n)[-2:] == [False, True],
                  f"gnutls-cli TLS {ver}: --log says full, then resumed", log_lines(log, n)[-2:])


# ---- curl: two URLs in one run --------------------------------------------------------------

def curl_group():
    srv, log = log_server("curl")
    with srv:
        url = f"https://localhost:{srv.port}/json"
        out1, out2 = tmp("curl1.json"), tmp("curl2.json")
        # Connection: close makes curl open a second connection, which offers the session it
        # cached from the first.
        r = run(["curl", "-sS", "--cacert", CA, "--tlsv1.3", "-H", "Connection: close", url, url,
                 "-o", out1, "-o", out2])
        check(r.returncode == 0, "curl TLS 1.3: two URLs fetched", text(r.stderr))
        check(resumed_flags(log, 2) == [False, True],
              "curl TLS 1.3: --log says the second connection was resumed", log_lines(log, 2))
        with open(out2) as f:
            check_resumed_json(as_json(f.read(), "curl"), "1.3", "curl TLS 1.3 second URL")
        # TLS 1.2: curl's OpenSSL backend sets SSL_OP_NO_TICKET, so it sends no SessionTicket
        # extension and would need a server-side session cache (session ids), which tlsflow
        # has not (tickets only). Both connections are full; the page shows why.
        r = run(["curl", "-sS", "--cacert", CA, "--tls-max", "1.2", "-H", "Connection: close",
                 url, url, "-o", out1, "-o", out2])
        with open(out2) as f:
            d = as_json(f.read(), "curl")
        exts = [e["id"] for e in d.get("client_hello", {}).get("extensions", [])]
        check(r.returncode == 0 and resumed_flags(log, 4)[2:] == [False, False] and
              35 not in exts,
              "curl TLS 1.2: no SessionTicket extension offered (curl sets SSL_OP_NO_TICKET), so "
              "both handshakes are full", exts)


# ---- Python ssl: session= -------------------------------------------------------------------

def py_fetch(port, ctx, host="localhost", session=None, request=REQ_JSON, headers=b""):
    """One request; returns (ssl socket facts, body). TLS 1.3 tickets come after the
    handshake: reading the reply to the end takes them in before the session is kept."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname=host, session=session) as s:
            s.sendall(request.replace(b"\r\n\r\n", b"\r\n" + headers + b"\r\n")
                      if headers else request)
            data = recv_all(s)
            facts = {"reused": s.session_reused, "session": s.session,
                     "version": s.version()}
    return facts, text(data.partition(b"\r\n\r\n")[2])


def py_ctx(version, verify=True):
    ctx = ssl.create_default_context(cafile=CA)
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ctx.maximum_version = version
    return ctx


def python_group():
    srv, log = log_server("python")
    with srv:
        n = 0
        for ver, _, pv in VERSIONS:
            ctx = py_ctx(pv)
            first, body = py_fetch(srv.port, ctx)
            check_full_json(as_json(body, "python"), ver, f"Python TLS {ver} first")
            check(first["session"].has_ticket, f"Python TLS {ver}: the session holds a ticket")
            again, body = py_fetch(srv.port, ctx, session=first["session"])
            check(again["reused"], f"Python TLS {ver} session=: session_reused")
            check_resumed_json(as_json(body, "python"), ver, f"Python TLS {ver} session=")
            html_facts, page = py_fetch(srv.port, ctx, session=again["session"],
                                        request=REQ_TEXT, headers=b"Accept: text/html\r\n")
            check(html_facts["reused"] and 'class="note resumed"' in page and
                  "open the ticket" in page and "not sent (resumed)" in page,
                  f"Python TLS {ver}: the HTML page shows the resumed flow", page[-2000:])
            n += 3
            check(resumed_flags(log, n)[-3:] == [False, True, True],
                  f"Python TLS {ver}: --log says full, resumed, resumed", log_lines(log, n)[-3:])


# ---- NSS tstclnt and JSSE -------------------------------------------------------------------

def nss_group():
    from peers13 import nss_db
    db = nss_db("nss-resume", trust=(CA,))
    request = tmp("nss-request")
    with open(request, "wb") as f:
        f.write(b"GET / HTTP/1.0\r\n\r\n")
    # tstclnt -L 2 reconnects once stdin is done; the second connection sends nothing (stdin
    # is at its end: a file, since a pipe makes tstclnt spin) and waits for the server,
    # which closes it after --idle-timeout 1.
    srv, log = log_server("nss", "--idle-timeout", "1")
    with srv:
        n = 0
        for ver, _, _ in VERSIONS:
            with open(request, "rb") as stdin:
                r = run(["tstclnt", "-h", "127.0.0.1", "-p", str(srv.port), "-a", "localhost",
                         "-d", db, "-V", f"tls{ver}:tls{ver}", "-u", "-L", "2"], stdin=stdin,
                        timeout=30)
            n += 2
            flags = resumed_flags(log, n)[-2:]
            check(flags == [False, True],
                  f"NSS tstclnt -u -L 2 TLS {ver}: the second connection resumed (--log)",
                  text(r.stdout)[-800:] + text(r.stderr)[-800:] + str(log_lines(log, n)[-2:]))


def jsse_group():
    from peers13 import java_truststore
    trust = java_truststore("resume-trust", CA)
    srv, log = log_server("jsse")
    with srv:
        n = 0
        for ver, _, _ in VERSIONS:
            r = jsse_client(srv.port, trust, "--protocols", f"TLSv{ver}", "--request",
                            "GET /json HTTP/1.0\\r\\n\\r\\n", "--connections", "2")
            n += 2
            check(r.returncode == 0 and resumed_flags(log, n)[-2:] == [False, True],
                  f"JSSE TLS {ver}: two connections on one SSLContext, the second resumed "
                  "(--log)", text(r.stdout)[-600:] + str(log_lines(log, n)[-2:]))


# ---- ticket keys ----------------------------------------------------------------------------

def write_keys(name, *lines, mode=0o600):
    path = tmp(name)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.chmod(path, mode)
    return path


def full_session(port, pv):
    """A session from a full handshake (Python ssl), with the context it belongs to."""
    ctx = py_ctx(pv)
    facts, _ = py_fetch(port, ctx)
    return ctx, facts["session"]


def keys_group():
    file_a = write_keys("a.keys", "# key A", KEY_A)
    file_b = write_keys("b.keys", KEY_B)
    rotated = write_keys("rotated.keys", "# the new key seals, the old one still opens", KEY_B,
                         "", KEY_A)
    for ver, _, pv in VERSIONS:
        with Server("--ticket-key-file", file_a) as a:
            ctx, sess = full_session(a.port, pv)
            check("from the --ticket-key-file" in a.stdout() and KEY_A.split()[1] not in
                  a.stdout() + a.stderr(),
                  f"TLS {ver}: the banner names the key file, never a key")
        with Server("--ticket-key-file", file_a) as again:
            facts, _ = py_fetch(again.port, ctx, session=sess)
            check(facts["reused"], f"TLS {ver}: a server restarted with the same "
                                   "--ticket-key-file resumes the session")
        with Server("--ticket-key-file", file_b) as other:
            facts, _ = py_fetch(other.port, ctx, session=sess)
            check(not facts["reused"], f"TLS {ver}: a server with another key does a full "
                                       "handshake")
        with Server("--ticket-key-file", rotated) as rot:
            facts, _ = py_fetch(rot.port, ctx, session=sess)
            check(facts["reused"], f"TLS {ver}: the second key of a file still opens its "
                                   "tickets (rotation)")
            new_sess = facts["session"]
        with Server("--ticket-key-file", file_b) as b_only:
            facts, _ = py_fetch(b_only.port, ctx, session=new_sess)
            check(facts["reused"], f"TLS {ver}: tickets issued after the rotation are sealed "
                                   "with the first key")
        # The default: a random key per start, so a restart forgets every ticket.
        with Server() as first:
            ctx, sess = full_session(first.port, pv)
        with Server() as second:
            facts, _ = py_fetch(second.port, ctx, session=sess)
            check(not facts["reused"], f"TLS {ver}: the default random key is made at each "
                                       "start: a restarted server does a full handshake")

    readable = write_keys("readable.keys", KEY_A, mode=0o644)
    with Server("--ticket-key-file", readable) as s:
        check("can be read by other users" in s.stderr(),
              "a key file other users can read: a note at start", s.stderr())
    with Server("--ticket-key-file", file_a) as s:
        check("can be read" not in s.stderr(), "a mode 0600 key file: no note")

    nine = "\n".join("%032x %s" % (i + 1, "%02x" % (i + 1) * 32) for i in range(9))
    bad = [
    ("missing", None, "cannot read --ticket-key-file"),
    ("empty", "", "is empty"),
    ("comments only", "# nothing\n\n", "holds no key"),
    ("one field", "00112233445566778899aabbccddeeff\n", "line 1: expected two fields"),
    ("three fields", KEY_A + " extra\n", "line 1: expected two fields"),
    ("short name", "0011 " + "11" * 32, "line 1: the name must be 32 hex digits"),
    ("long key", "00112233445566778899aabbccddeeff " + "11" * 33,
         "line 1: the key must be 64 hex digits"),
    ("not hex", "00112233445566778899aabbccddeefg " + "11" * 32,
         "line 1: the name holds a character that is not a hex digit"),
    ("zero key", "00112233445566778899aabbccddeeff " + "00" * 32, "the key is all zeros"),
    ("same name twice", KEY_A + "\n# again\n" + KEY_A.split()[0] + " " + "33" * 32,
         "line 3: the same name as line 1"),
    ("nine keys", nine, "line 9: more than 8 keys"),
    ]
    for i, (what, content, want) in enumerate(bad):
        path = tmp(f"bad{i}.keys")
        if content is not None:
            with open(path, "w") as f:
                f.write(content)
        r = run([SERVER, "--listen", "127.0.0.1:0", "--ticket-key-file", path])
        err = text(r.stderr)
        check(r.returncode != 0 and want in err and "11" * 32 not in err,
              f"--ticket-key-file, {what}: refused ({want!r})", err)
    with open(tmp("binary.keys"), "wb") as f:
        f.write(b"\x00\x01garbage")
    r = run([SERVER, "--listen", "127.0.0.1:0", "--ticket-key-file", tmp("binary.keys")])
    check(r.returncode != 0 and "not a text file" in text(r.stderr),
          "--ticket-key-file, a binary file: refused", text(r.stderr))
    for args, want in ((["--no-tickets", "--ticket-key-file", file_a], "--no-tickets turns"),
                       (["--no-tickets", "--tickets", "1"], "--no-tickets turns"),
                       (["--tickets", "9"], "--tickets wants a whole number from 0 to 8"),
                       (["--ticket-lifetime", "0"], "--ticket-lifetime wants a whole number"),
                       (["--ticket-lifetime", "604801"],
                        "--ticket-lifetime wants a whole number from 1 to 604800")):
        r = run([SERVER, "--listen", "127.0.0.1:0", *args])
        check(r.returncode == 2 and want in text(r.stderr), f"{' '.join(args)}: refused",
              text(r.stderr))
    r = run([SERVER, "--help"])
    check(all(o in text(r.stdout) for o in ("--ticket-key-file", "--ticket-lifetime",
                                            "--tickets N", "--no-tickets", "openssl rand")),
          "--help documents the ticket options and the key file format")


# ---- --no-tickets, --tickets, --ticket-lifetime ---------------------------------------------

def policy_group():
    srv, log = log_server("notickets", "--no-tickets")
    with srv:
        check("session tickets: off" in srv.stdout(), "--no-tickets: the banner says so")
        for ver, flag, pv in VERSIONS:
            ctx = py_ctx(pv)
            first, body = py_fetch(srv.port, ctx)
            check_full_json(as_json(body, "python"), ver, f"--no-tickets TLS {ver}", tickets=0)
            check(not first["session"].has_ticket,
                  f"--no-tickets TLS {ver}: the client got no ticket")
            again, _ = py_fetch(srv.port, ctx, session=first["session"])
            check(not again["reused"], f"--no-tickets TLS {ver}: no resumption")
            rc, out = s_client(srv.port, flag, request=REQ_TEXT)
            check(rc == 0 and "lifetime hint" not in out and "tickets  none sent" in out,
                  f"--no-tickets TLS {ver}: s_client sees no NewSessionTicket; the page says "
                  "none was sent", out[-1500:])
    srv, log = log_server("policy", "--tickets", "3", "--ticket-lifetime", "300")
    with srv:
        rc, out = s_client(srv.port, "-tls1_3")
        check(rc == 0 and out.count("lifetime hint: 300 (seconds)") == 3,
              "--tickets 3 --ticket-lifetime 300: s_client gets 3 TLS 1.3 tickets of 300 s",
              out[-1500:])
        check_full_json(as_json(http_body(out), "s_client"), "1.3", "--tickets 3", tickets=3)
        rc, out = s_client(srv.port, "-tls1_2")
        check(rc == 0 and out.count("lifetime hint: 300 (seconds)") == 1,
              "--ticket-lifetime 300: the TLS 1.2 ticket says 300 s", out[-1500:])
        check(log_lines(log, 2)[0].get("tickets_sent") == 3, "--log counts the tickets sent",
              log_lines(log, 2))
    with Server("--tickets", "0") as srv:
        rc, out = s_client(srv.port, "-tls1_3")
        check(rc == 0 and "lifetime hint" not in out, "--tickets 0: no TLS 1.3 ticket")
        rc, out = s_client(srv.port, "-tls1_2")
        check(rc == 0 and "lifetime hint" in out, "--tickets 0: TLS 1.2 still gets one")


# ---- sites: a ticket stays with its name ----------------------------------------------------

def sites_group():
    srv, log = log_server("sites")
    with srv:
        ctx = py_ctx(ssl.TLSVersion.TLSv1_2)
        ctx.set_ciphers("AES128-GCM-SHA256:AES256-GCM-SHA384")
        first, _ = py_fetch(srv.port, ctx, host="classic.localhost")
        again, body = py_fetch(srv.port, ctx, host="classic.localhost", session=first["session"])
        d = as_json(body, "classic")
        check(again["reused"] and d.get("connection", {}).get("site") == "classic.localhost",
              "classic.localhost: resumed on its own configuration (the connection moved to it "
              "after the ClientHello, ticket and all)", d.get("connection"))
        check(d.get("compared_with", {}).get("flow") == "TLS 1.2, RSA key transport",
              "classic.localhost resumed: compared with the classic flow",
              d.get("compared_with"))
        # A ticket made for one name is never taken for another (RFC 8446 §4.6.1, RFC 5077
        # §4 by analogy): offer localhost's to wrong-host.localhost (same configuration).
        for ver, _, pv in VERSIONS:
            loose = py_ctx(pv, verify=False)
            first, _ = py_fetch(srv.port, loose, host="localhost")
            again, body = py_fetch(srv.port, loose, host="wrong-host.localhost",
                                   session=first["session"])
            d = as_json(body, "wrong-host")
            exts = [e["id"] for e in d.get("client_hello", {}).get("extensions", [])]
            trace = " ".join(t.get("text", "") for t in d.get("trace", []))
            offered = 41 in exts if ver == "1.3" else "cannot be resumed" in trace
            check(offered and not again["reused"] and
                  d.get("connection", {}).get("resumed") is False,
                  f"TLS {ver}: a ticket for localhost offered to wrong-host.localhost: a full "
                  "handshake", (exts, trace[:600]))
        # mtls.localhost asks for a client certificate: the engine issues no ticket there.
        mctx = py_ctx(ssl.TLSVersion.TLSv1_3)
        pki = os.path.dirname(CA)
        mctx.load_cert_chain(os.path.join(pki, "client.pem"), os.path.join(pki, "client.key"))
        first, body = py_fetch(srv.port, mctx, host="mtls.localhost")
        c = as_json(body, "mtls").get("connection", {})
        check(c.get("tickets_sent") == 0 and c.get("site") == "mtls.localhost",
              "mtls.localhost: no ticket where a client certificate is asked for", c)


GROUPS = [
    ("openssl s_client", ("openssl",), openssl_group),
    ("gnutls-cli --resume", ("gnutls-cli",), gnutls_group),
    ("curl", ("curl",), curl_group),
    ("Python ssl", (), python_group),
    ("NSS tstclnt", ("tstclnt", "certutil", "pk12util", "openssl"), nss_group),
    ("JSSE", ("java", "javac", "keytool", "openssl"), jsse_group),
    ("ticket keys", ("openssl",), keys_group),
    ("--no-tickets, --tickets, --ticket-lifetime", ("openssl",), policy_group),
    ("sites", (), sites_group),
]

if __name__ == "__main__":
    # Arguments pick groups by a word of their names ("openssl", "keys"); none: all.
    import sys
    want = sys.argv[1:]
    run_groups([g for g in GROUPS if not want or any(w in g[0] for w in want)])
