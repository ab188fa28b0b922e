"""Command lines: --help and --version answer; every bad argument or unreadable file
gives a clear one-line message and a nonzero exit, without starting to serve."""
import os
import socket
import tempfile

from tfsock import CA, CLIENT, PKI, SERVER, Server, check, finish, run, text

r = run([SERVER, "--help"])
check(r.returncode == 0 and "--listen HOST:PORT" in text(r.stdout), "server --help")
r = run([SERVER, "--version"])
check(r.returncode == 0 and text(r.stdout).startswith("tlsflow-server "), "server --version")
r = run([CLIENT, "--help"])
check(r.returncode == 0 and "HOST:PORT" in text(r.stdout), "client --help")
r = run([CLIENT, "--version"])
check(r.returncode == 0 and text(r.stdout).startswith("tlsflow-client "), "client --version")

tmp = tempfile.mkdtemp(prefix="tfcli-")
garbage = os.path.join(tmp, "garbage.pem")
open(garbage, "w").write("not a certificate\n")
bad_server = [
    (["--bogus"], "unknown option"),
    (["--listen"], "needs a value"),
    (["--listen", "127.0.0.1"], "missing ':PORT'"),
    (["--listen", "::1:8443"], "brackets"),
    (["--listen", "127.0.0.1:99999"], "port must be"),
    (["--listen", "[::1:8443"], "missing ']'"),
    (["--max-conns", "zero"], "whole number"),
    (["--idle-timeout", "-5"], "whole number"),
    (["--cert", "/nonexistent/cert.pem"], "--cert and --key go together"),
    (["--cert", "/nonexistent/c.pem", "--key", "/nonexistent/k.pem"],
     "cannot read --cert file '/nonexistent/c.pem'"),
    (["--cert", garbage, "--key", garbage], "holds no RSA or EC certificate that can be read"),
    (["--chain", garbage], "--chain needs --cert"),
    (["--log", "/nonexistent/dir/log.json"], "cannot open --log file"),
    (["--keylog", "/nonexistent/dir/keys"], "cannot open key log file"),
    (["--listen", "no-such-host.invalid:8443"], "cannot resolve"),
    (["--suites", "RC4-MD5"], "unknown cipher suite 'RC4-MD5'"),
    (["--threads", "0"], "whole number"),
    (["--min-version", "1.1"], "--min-version wants 1.2 or 1.3"),
    (["--max-version", "tls1.3"], "--max-version wants 1.2 or 1.3"),
    (["--min-version", "1.3", "--max-version", "1.2"], "--min-version 1.3 is above"),
    (["--client-auth", "maybe"], "--client-auth wants none, optional or required"),
    (["--client-auth", "required", "--cert", garbage, "--key", garbage], "needs --client-ca"),
    (["--client-ca", "/nonexistent/ca.pem"], "cannot read --client-ca file"),
    (["--client-auth", "optional", "--client-ca", garbage], "the engine refused the client CA"),
]
for args, want in bad_server:
    r = run([SERVER, "--pki-dir", PKI] + args, timeout=15)
    err = text(r.stderr)
    check(r.returncode != 0 and want in err and err.startswith("tlsflow-server: "),
          f"server {' '.join(args)} -> {want!r}", err or text(r.stdout))

# A port somebody else holds.
with socket.socket() as held:
    held.bind(("127.0.0.1", 0))
    held.listen(1)
    port = held.getsockname()[1]
    r = run([SERVER, "--pki-dir", PKI, "--listen", f"127.0.0.1:{port}"], timeout=15)
    check(r.returncode != 0 and "Address already in use" in text(r.stderr),
          "server on a busy port says so", text(r.stderr))

bad_client = [
    ([], "which server?"),
    (["localhost:1", "--bogus"], "unknown option"),
    (["localhost:1", "--ca", "/nonexistent/ca.pem"], "cannot read --ca file"),
    (["localhost:1", "--ca", garbage], "no usable CA certificate"),
    (["localhost:abc", "--ca", garbage], "port must be"),
    (["localhost:1", "--get", "nopath"], "--get wants a path"),
]
for args, want in bad_client:
    r = run([CLIENT] + args, cwd=tmp, timeout=15)
    err = text(r.stderr)
    check(r.returncode != 0 and want in err, f"client {' '.join(args)} -> {want!r}", err)

# Nothing listens on this port: a network error, exit 3.
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    closed = s.getsockname()[1]
r = run([CLIENT, f"127.0.0.1:{closed}", "--ca", f"{PKI}/ca.pem", "--get", "/"], timeout=15)
check(r.returncode == 3 and "cannot connect" in text(r.stderr), "client: refused -> exit 3",
      text(r.stderr))
# Own certificate files instead of the local PKI; SSLKEYLOGFILE from the environment.
keys = os.path.join(tmp, "env.keys")
os.environ["SSLKEYLOGFILE"] = keys
leaf = os.path.join(tmp, "leaf.pem")
pem = open(os.path.join(PKI, "server.pem")).read()
cut = pem.index("-----END CERTIFICATE-----") + len("-----END CERTIFICATE-----\n")
open(leaf, "w").write(pem[:cut])
chain = os.path.join(tmp, "chain.pem")
open(chain, "w").write(pem[cut:])
with Server("--cert", leaf, "--key", os.path.join(PKI, "server.key"), "--chain", chain,
            pki=None) as s:
    del os.environ["SSLKEYLOGFILE"]  # only the server should write there, not curl
    check(f"certificate: {leaf}" in s.stdout(), "banner names the --cert file")
    r = run(["curl", "-sS", "--cacert", CA, f"https://localhost:{s.port}/json"])
    check(r.returncode == 0 and '"scenarios"' not in text(r.stdout),
          "--cert/--key/--chain serve, without the scenario list", text(r.stderr))
    r = run(["openssl", "s_client", "-connect", f"127.0.0.1:{s.port}", "-showcerts"],
            input=b"")
    check(text(r.stdout).count("BEGIN CERTIFICATE") == 2, "--chain certificates are sent")
    r = run(["curl", "-sS", "--cacert", CA, f"https://localhost:{s.port}/"])
# Three TLS 1.3 connections: five secrets each, the client random the same within one.
keylines = open(keys).read().splitlines() if os.path.exists(keys) else []
check(len(keylines) == 15 and len({l.split()[1] for l in keylines}) == 3 and
      sum(l.startswith("CLIENT_HANDSHAKE_TRAFFIC_SECRET ") for l in keylines) == 3,
      "SSLKEYLOGFILE in the environment gets key log lines", keylines)
check(not os.path.exists(os.path.join(tmp, "tlsflow-pki")), "--cert creates no PKI directory")
finish()
