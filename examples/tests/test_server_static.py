"""examples/server_static against curl and openssl s_client: one response per connection,
TLS 1.3 and 1.2, verified against the fixture CA as "localhost"; 10 curls at once against
its 4 static slots (the rest wait in the backlog, all are served); close_notify after
each response. Peers that go away (hang up, half a ClientHello, reset, silence) leave it
serving."""
import re
import socket
import struct
import subprocess
import time

import exrun
from exrun import check, fixture

SLOTS = 4


def curl(port, *args):
    return exrun.run(["curl", "-sS", "--max-time", "15", "--cacert", fixture("ca.pem"),
                      "--resolve", f"localhost:{port}:127.0.0.1", *args,
                      f"https://localhost:{port}/"])


def body():
    exrun.need("curl", "openssl")
    exrun.check_usage()
    server = exrun.example_server("server_static", "--cert", fixture("server.pem"), "--key",
                                  fixture("server.key"))

    rc, out, err = curl(server.port)
    check(rc == 0 and out.startswith("hello from server_static: TLS 1.3, TLS_AES_"),
          "curl: the response over TLS 1.3", f"status {rc}: {err}{out}")
    rc, out, err = curl(server.port, "--tlsv1.2", "--tls-max", "1.2")
    check(rc == 0 and out == "hello from server_static: TLS 1.2, "
          "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n", "curl --tls-max 1.2: TLS 1.2",
          f"status {rc}: {err}{out}")

    # More clients at once than slots: the others wait in the listen backlog.
    t = time.monotonic()
    procs = [subprocess.Popen(["curl", "-sS", "--max-time", "15", "--cacert", fixture("ca.pem"),
                               "--resolve", f"localhost:{server.port}:127.0.0.1",
                               f"https://localhost:{server.port}/"], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT) for _ in range(10)]
    outs = [p.communicate(timeout=20)[0].decode() for p in procs]
    check(all(p.returncode == 0 for p in procs) and
          all(o.startswith("hello from server_static") for o in outs),
          f"10 curls at once on {SLOTS} slots: all served ({time.monotonic() - t:.1f} s)", outs)

    # openssl s_client, TLS 1.2: it sends the request, reads to the end, checks the chain.
    rc, out, err = exrun.run(["openssl", "s_client", "-connect", f"127.0.0.1:{server.port}",
                              "-servername", "localhost", "-verify_hostname", "localhost",
                              "-CAfile", fixture("ca.pem"), "-tls1_2", "-ign_eof"],
                             stdin=b"GET / HTTP/1.0\r\n\r\n")
    check(rc == 0 and "Verify return code: 0 (ok)" in out and "HTTP/1.0 200 OK" in out and
          "hello from server_static: TLS 1.2" in out, "openssl s_client -tls1_2: verified, served",
          f"status {rc}\n{err}\n{out[-1500:]}")

    # Peers that go away at every stage; one stays silent (its slot waits for the deadline).
    silent = socket.create_connection(("127.0.0.1", server.port))
    s = socket.create_connection(("127.0.0.1", server.port))
    s.close()
    s = socket.create_connection(("127.0.0.1", server.port))
    s.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")  # half a ClientHello
    s.close()
    s = socket.create_connection(("127.0.0.1", server.port))
    s.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()  # reset
    rc, out, err = curl(server.port)
    check(rc == 0 and out.startswith("hello from server_static"),
          "still serving after peers that went away", f"status {rc}: {err}{out}")
    silent.close()

    log = server.output()
    clean = len(re.findall(r"slot \d: closed cleanly", log))
    check(clean >= 13, f"close_notify after each response ({clean} clean closes logged)", log)
    check(server.proc.poll() is None and "Sanitizer" not in log, "the server still runs", log)
    print("server_static's log, last lines:", *log.splitlines()[-8:], sep="\n  ")


exrun.main(body)
