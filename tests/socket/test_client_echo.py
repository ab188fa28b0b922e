"""tlsflow-client as a full-duplex embedder: --send-bytes 64M to tlsflow-server --echo while
reading the echo (the server stops reading while its own writes wait, so a client that
blocked in send() would deadlock), data intact, close_notify both ways, well under a
minute; --send FILE and stdin the same way; a server that corrupts one byte is caught."""
import json
import os
import re
import socket
import ssl
import tempfile
import threading
import time

from tfclient import fixture, help_documents, usage_errors
from tfsock import CA, CLIENT, Server, check, finish, run, text

tmp = tempfile.mkdtemp(prefix="tfduplex-")
MIB = 1 << 20
log = os.path.join(tmp, "conns.jsonl")


def echo_lines(err):
    m = re.search(r"echo: sent (\d+) bytes, received (\d+) back in ([0-9.]+) s", err)
    return (int(m.group(1)), int(m.group(2)), float(m.group(3))) if m else (None, None, None)


with Server("--echo", "--log", log) as s:
    t0 = time.monotonic()
    r = run([CLIENT, f"localhost:{s.port}", "--ca", CA, "--send-bytes", "64M", "--timeout", "20"],
            timeout=90)
    wall = time.monotonic() - t0
    err = text(r.stderr)
    sent, got, secs = echo_lines(err)
    print(f"     64 MiB echo: client exit {r.returncode}, {wall:.2f} s wall, {secs} s after the "
          "handshake")
    check(r.returncode == 0 and sent == got == 64 * MIB, "64 MiB sent and the same 64 MiB back",
          err[-800:])
    check(f"echo identical: {64 * MIB} bytes; closed cleanly (close_notify sent, the server "
          "closed its side)" in err, "client: identical, clean close", err[-400:])
    check(wall < 60, f"64 MiB each way well under a minute ({wall:.1f} s)")
    check(r.stdout == b"", "--send-bytes prints nothing on stdout")

    blob = os.urandom(5 * MIB + 123)
    path = os.path.join(tmp, "blob")
    open(path, "wb").write(blob)
    r = run([CLIENT, f"localhost:{s.port}", "--ca", CA, "--send", path], timeout=60)
    err = text(r.stderr)
    check(r.returncode == 0 and echo_lines(err)[:2] == (len(blob), len(blob))
          and "echo identical" in err, "--send FILE: 5 MiB of a file, the same back", err[-400:])
    # stdin mode full duplex: a large stdin through the echo comes back whole on stdout.
    r = run([CLIENT, f"localhost:{s.port}", "--ca", CA], input=blob, timeout=60)
    check(r.returncode == 0 and r.stdout == blob, "stdin mode: 5 MiB in, the same 5 MiB out",
          text(r.stderr)[-400:])
    # Give the server a moment to write its log lines.
    time.sleep(0.3)

lines = [json.loads(l) for l in open(log).read().splitlines()]
first = lines[0] if lines else {}
check(first.get("outcome") == "ok" and first.get("app_bytes_in") == 64 * MIB
      and first.get("app_bytes_out") == 64 * MIB and first.get("alert_received") == "close_notify"
      and first.get("alert_sent") == "close_notify",
      "server log: 64 MiB in and out, close_notify both ways, outcome ok", first)
check(len(lines) == 3 and all(l.get("outcome") == "ok" for l in lines),
      "server log: all three connections closed cleanly", lines)


def corrupting_echo(listener, at):
    """A Python TLS echo server that flips one bit of byte `at` of what it sends back."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(fixture("server.pem"), fixture("server.key"))
    conn, _ = listener.accept()
    conn.settimeout(20)
    try:
        with ctx.wrap_socket(conn, server_side=True) as t:
            off = 0
            while True:
                data = bytearray(t.recv(65536))
                if not data:
                    break
                if off <= at < off + len(data):
                    data[at - off] ^= 0x01
                off += len(data)
                t.sendall(data)
    except (OSError, ssl.SSLError):
        pass  # the client closes as soon as it sees the bad byte


with socket.socket() as listener:
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    th = threading.Thread(target=corrupting_echo, args=(listener, 1_000_003), daemon=True)
    th.start()
    r = run([CLIENT, f"localhost:{port}", "--ca", fixture("ca.pem"), "--send-bytes", "2M"],
            timeout=60)
    th.join(timeout=20)
    err = text(r.stderr)
    check(r.returncode == 1 and "the echo differs from what was sent at byte 1000003" in err,
          "a server that flips one bit at byte 1000003 is caught there", err[-500:])

usage_errors([(["--send-bytes", "0"], "--send-bytes wants a byte count"),
              (["--send-bytes", "12X"], "--send-bytes wants a byte count"),
              (["--send-bytes", "2T"], "--send-bytes wants a byte count"),
              (["--send-bytes", "1M", "--send", "/etc/hostname"], "exclude each other"),
              (["--send-bytes", "1M", "--get", "/"], "exclude each other"),
              (["--send", "/nonexistent/file"], "cannot read --send file"),
              (["--send", "/dev/null"], "--send wants a regular file")], CA)
help_documents("--send-bytes N", "--send FILE")
finish()
