"""tlsflow-client resumes sessions (issue 12): --sess-out FILE saves the latest session the
server gave, --sess-in FILE offers it on a later run, --reconnect N offers the latest one
on N more connections in the same process. Against openssl s_server (stateless tickets
only: -no_cache), gnutls-serv and tlsflow-server, TLS 1.3 and 1.2: the first run is a full
handshake and saves a session (mode 0600), the second says "session: resumed" and the
server agrees (s_server's page says Reused, gnutls-serv prints that the session was
resumed, tlsflow-server's --log says resumed); a server that no longer knows the ticket
key is "full handshake (server declined)"; a server that sends no ticket leaves nothing to
save; an expired session is not offered; files that hold no session, or one for another
server name, are refused before connecting."""
import atexit
import os
import re
import shutil
import stat
import tempfile
import time

from peers13 import check, fixture, gnutls_serv, run, run_groups, s_server, text
from tfsock import CA as LOCAL_CA
from tfsock import CLIENT, Server, wait_until

FIX_CA = fixture("ca.pem")
TMP = tempfile.mkdtemp(prefix="tfclientresume-")
atexit.register(shutil.rmtree, TMP, True)
VERSIONS = (("1.3", "-tls1_3"), ("1.2", "-tls1_2"))


def tmp(name):
    return os.path.join(TMP, name)


def client(port, *args, ca=FIX_CA, host="localhost"):
    r = run([CLIENT, f"{host}:{port}", "--ca", ca, "--timeout", "10", *args])
    return r.returncode, text(r.stdout), text(r.stderr)


def private(path):
    return os.path.exists(path) and stat.S_IMODE(os.stat(path).st_mode) == 0o600


def saved_then_resumed(who, port, ver, peer_says_new, peer_says_reused, ca=FIX_CA,
                       peer_output=None):
    """A full handshake saving the session, then a run offering it: resumed on both sides.
    peer_says_*: a regular expression over our stdout (the page) or, with peer_output, over
    what the peer printed."""
    sess = tmp(f"{who}-{ver}.session")
    rc, out, err = client(port, "--max-version", ver, "--min-version", ver, "--get", "/",
                          "--sess-out", sess, ca=ca)
    seen = peer_output() if peer_output else out
    check(rc == 0 and "session saved to" in err and private(sess) and
          "session: " not in err and re.search(peer_says_new, seen),
          f"{who} TLS {ver}: a full handshake, the session saved (mode 0600)",
          f"exit {rc}\n{err[-1500:]}\n{seen[-600:]}")
    rc, out, err = client(port, "--max-version", ver, "--min-version", ver, "--get", "/",
                          "--sess-in", sess, "--sess-out", sess, ca=ca)
    kind = "TLS 1.3 PSK ticket" if ver == "1.3" else "TLS 1.2 session ticket"
    seen = peer_output() if peer_output else out
    check(rc == 0 and "offering the session from" in err and
          f"session: resumed from a {kind}" in err and "Session resumed" in err and
          re.search(peer_says_reused, seen),
          f"{who} TLS {ver} --sess-in: 'session: resumed', and {who} says so too",
          f"exit {rc}\n{err[-1500:]}\n{seen[-600:]}")
    rc, out, err = client(port, "--max-version", ver, "--get", "/", "--sess-in", sess,
                          "--reconnect", "2", ca=ca)
    check(rc == 0 and "reconnections: 2 resumed of 2" in err and
          err.count(f"session: resumed from a {kind}") == 3,
          f"{who} TLS {ver} --sess-in --reconnect 2: all three connections resumed",
          f"exit {rc}\n{err[-1500:]}")
    return sess


# ---- openssl s_server -----------------------------------------------------------------------

def openssl_cases():
    for ver, flag in VERSIONS:
        # -no_cache: no session cache, so only a ticket can resume (stateless).
        with s_server(f"openssl-resume-{ver}", flag, "-www", "-no_cache") as p:
            sess = saved_then_resumed("s_server", p.port, ver, rf"New, TLSv{ver}",
                                      rf"Reused, TLSv{ver}")
        # A new s_server has a new ticket key: the saved session cannot be opened.
        with s_server(f"openssl-declines-{ver}", flag, "-www", "-no_cache") as p:
            rc, out, err = client(p.port, "--get", "/", "--sess-in", sess)
            check(rc == 0 and "session: full handshake (server declined)" in err and
                  f"New, TLSv{ver}" in out,
                  f"s_server TLS {ver}, restarted (another ticket key): 'session: full "
                  "handshake (server declined)'", err[-1200:])
    # No tickets at all: nothing to save, the file is left alone.
    for ver, flag, off in (("1.3", "-tls1_3", "-num_tickets"), ("1.2", "-tls1_2", "-no_ticket")):
        args = [off, "0"] if off == "-num_tickets" else [off]
        with s_server(f"openssl-noticket-{ver}", flag, "-www", "-no_cache", *args) as p:
            none = tmp(f"none-{ver}.session")
            rc, out, err = client(p.port, "--get", "/", "--sess-out", none)
            check(rc == 0 and "no session to save" in err and not os.path.exists(none),
                  f"s_server TLS {ver} without tickets: no session to save, no file",
                  err[-800:])


# ---- gnutls-serv ----------------------------------------------------------------------------

def gnutls_cases():
    for ver, _ in VERSIONS:
        with gnutls_serv(f"gnutls-resume-{ver}", f"NORMAL:-VERS-ALL:+VERS-TLS{ver}", "--http",
                         "--disable-client-cert") as p:
            before = {"n": 0}

            def resumed_lines():
                return p.output().count("*** This is a resumed session")

            def peer_output():
                # gnutls-serv says so on its own output for each resumed connection.
                wait_until(lambda: resumed_lines() > before["n"], timeout=1)
                n = resumed_lines()
                said = "resumed" if n > before["n"] else "new"
                before["n"] = n
                return said

            saved_then_resumed("gnutls-serv", p.port, ver, r"^new$", r"^resumed$",
                               peer_output=peer_output)


# ---- tlsflow-server -------------------------------------------------------------------------

def tlsflow_cases():
    log = tmp("server.log")
    with Server("--log", log) as srv:
        for ver, _ in VERSIONS:
            # The --log line of each connection is written when it ends: wait for it.
            count = {"n": 0}

            def last_line():
                wait_until(lambda: len(open(log).read().splitlines()) > count["n"]
                           if os.path.exists(log) else False)
                lines = open(log).read().splitlines()
                count["n"] = len(lines)
                return lines[-1] if lines else ""

            if os.path.exists(log):
                count["n"] = len(open(log).read().splitlines())
            sess = saved_then_resumed("tlsflow-server", srv.port, ver, r'"resumed":false',
                                      r'"resumed":true', ca=LOCAL_CA, peer_output=last_line)
            # Offered to another name (same server, same configuration): refused before
            # connecting, since a session goes only to the name it was made with.
            rc, _, err = client(srv.port, "--get", "/", "--sess-in", sess, ca=LOCAL_CA,
                                host="127.0.0.1")
            check(rc == 2 and "made for another server name" in err,
                  f"tlsflow-server TLS {ver}: a session for localhost is not offered to "
                  "127.0.0.1 (exit 2 before connecting)", err[-600:])
    # A session past its lifetime (--ticket-lifetime 1, 2 s later) is not offered.
    with Server("--ticket-lifetime", "1") as srv:
        short = tmp("short.session")
        rc, _, err = client(srv.port, "--get", "/", "--sess-out", short, ca=LOCAL_CA)
        time.sleep(2.2)
        rc2, _, err2 = client(srv.port, "--get", "/", "--sess-in", short, ca=LOCAL_CA)
        check(rc == 0 and rc2 == 0 and "has expired: not offered" in err2 and
              "session: full handshake (the saved session had expired)" in err2,
              "an expired session (a 1 s ticket, 2 s later) is not offered", err2[-800:])
    with Server("--no-tickets") as srv:
        none = tmp("none-tlsflow.session")
        rc, _, err = client(srv.port, "--get", "/", "--sess-out", none, ca=LOCAL_CA)
        check(rc == 0 and "no session to save" in err and not os.path.exists(none),
              "tlsflow-server --no-tickets: no session to save", err[-600:])


# ---- the command line -----------------------------------------------------------------------

def usage_cases():
    garbage = tmp("garbage.session")
    with open(garbage, "wb") as f:
        f.write(b"TFS1 but not a session")
    for args, want in ((["--reconnect", "2"], "--reconnect needs --get"),
                       (["--get", "/", "--reconnect", "0"], "--reconnect wants a count"),
                       (["--get", "/", "--reconnect", "101"], "--reconnect wants a count"),
                       (["--get", "/", "--sess-in", tmp("nope")], "cannot read --sess-in file"),
                       (["--get", "/", "--sess-in", garbage], "holds no session we can offer")):
        r = run([CLIENT, "localhost:1", "--ca", FIX_CA, *args])
        check(r.returncode == 2 and want in text(r.stderr) and "cannot connect" not in
              text(r.stderr), f"{' '.join(args)}: exit 2, {want!r}", text(r.stderr))
    r = run([CLIENT, "--help"])
    check(r.returncode == 0 and all(o in text(r.stdout) for o in ("--sess-out FILE",
                                                                 "--sess-in FILE",
                                                                 "--reconnect N")),
          "--help documents --sess-out, --sess-in and --reconnect")


if __name__ == "__main__":
    run_groups([
        ("openssl s_server", ("openssl",), openssl_cases),
        ("gnutls-serv", ("gnutls-serv",), gnutls_cases),
        ("tlsflow-server", (), tlsflow_cases),
        ("command line", (), usage_cases),
    ])
