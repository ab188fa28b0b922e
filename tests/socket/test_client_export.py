"""tlsflow-client --export LABEL[:CONTEXT_HEX]:LEN (RFC 5705) against openssl s_server
-keymatexport LABEL -keymatexportlen LEN, which prints "Keying material: HEX" for the
same connection: the bytes must be equal, with the SHA-256 PRF (AES-128-GCM suites) and
the SHA-384 PRF (AES-256-GCM suites), RSA key transport and ECDHE."""
import re

from tfclient import SServer, fixture, help_documents, usage_errors
from tfsock import CLIENT, check, finish, run, text

CA, CERT, KEY = fixture("ca.pem"), fixture("server.pem"), fixture("server.key")


def ours(err, label):
    m = re.search(rf"keying material {re.escape(label)} \(([^)]*)\): ([0-9a-f]+)\n", err)
    return (m.group(1), m.group(2)) if m else (None, None)


for suite, iana, label, n in [
        ("AES128-GCM-SHA256:@SECLEVEL=0", "TLS_RSA_WITH_AES_128_GCM_SHA256",
         "EXPERIMENTAL-tlsflow", 32),
        ("ECDHE-RSA-AES256-GCM-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
         "EXPORTER-channel-binding-test", 48),
        ("ECDHE-RSA-AES128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
         "EXPERIMENTAL long", 200)]:
    with SServer("-tls1_2", "-cert", CERT, "-key", KEY, "-cipher", suite, "-keymatexport", label, "-keymatexportlen", str(n)) as s:
        # stdin mode: the line goes to s_server, which prints it; then the client closes.
        r = run([CLIENT, f"localhost:{s.port}", "--ca", CA, "--export", f"{label}:{n}",
                 "--export", f"{label}::{n}", "--export", f"{label}:00ff:{n}"],
                input=b"exporter test\n")
        m = s.wait_for(r"Keying material: ([0-9A-F]+)\n")
        err, peer = text(r.stderr), s.output()
        theirs = m.group(1).lower() if m else None
        what, mine = ours(err, label)
        check(r.returncode == 0 and "exporter test" in peer and f"handshake done: TLS 1.2, {iana}"
              in err, f"{suite}: connection with {iana}", err[-500:])
        check(what == f"no context, {n} bytes" and mine and len(mine) == 2 * n,
              f"{suite}: {n} bytes exported for '{label}'", err[-500:])
        check(theirs is not None and mine == theirs, f"{suite}: equal to s_server's value",
              f"ours   {mine}\ntheirs {theirs}")
        others = re.findall(rf"keying material {re.escape(label)} \((empty context|context 00ff)"
                            rf", {n} bytes\): ([0-9a-f]+)", err)
        values = {mine} | {v for _, v in others}
        check(len(others) == 2 and len(values) == 3,
              f"{suite}: no context, an empty one and 00ff give three values", err[-800:])

# Usage errors are caught before connecting (exit 2); a label TLS itself uses is refused by
# the engine once the handshake is done (exit 1).
usage_errors([(["--export", "nolength"], "--export wants LABEL[:CONTEXT_HEX]:LEN"),
              (["--export", ":16"], "--export wants LABEL[:CONTEXT_HEX]:LEN"),
              (["--export", "lbl:0"], "LEN must be a number from 1 to 16384"),
              (["--export", "lbl:16385"], "LEN must be a number from 1 to 16384"),
              (["--export", "lbl:-4"], "LEN must be a number from 1 to 16384"),
              (["--export", "lbl:abc:16"], "the context must be hex digits in pairs"),
              (["--export", "lbl:0:16"], "the context must be hex digits in pairs")], CA)
with SServer("-tls1_2", "-cert", CERT, "-key", KEY, "-www") as s:
    r = run([CLIENT, f"localhost:{s.port}", "--ca", CA, "--get", "/", "--export",
             "master secret:16"])
    check(r.returncode == 1 and "--export master secret: the engine refused" in text(r.stderr),
          "a label TLS uses ('master secret') is refused", text(r.stderr)[-300:])
help_documents("--export LABEL[:CONTEXT_HEX]:LEN")
finish()
