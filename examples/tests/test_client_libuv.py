"""examples/client_libuv against OpenSSL's s_server -rev (each line comes back reversed):
about 800 KB of lines each way at once, TLS 1.3 and 1.2, RSA and ECDSA; the output must be
exactly the reversed lines and the close clean (our close_notify once everything came
back). Then what must fail with a clear message and status 1: a wrong name, peers that
hang up, reset or talk plain text, a closed port."""
import exrun
from exrun import EXAMPLE, check, fixture, run

CA = fixture("ca.pem")
LINES = 20000


def expected(lines):
    return "".join(f"line {i} of client_libuv, full duplex"[::-1] + "\n" for i in range(lines))


def good(server, label, *args, expect):
    rc, out, err = run([EXAMPLE, "--ca", CA, "--name", "localhost", "--lines", str(LINES), *args,
                        "127.0.0.1", str(server.port)], timeout=25)
    want = expected(LINES)
    check(rc == 0 and out == want and expect in err and
          f"closed cleanly (close_notify sent): sent {len(want)} bytes, {len(want)} came back"
          in err, f"{label}: {len(want)} bytes each way, all reversed, clean close",
          f"status {rc}, {len(out)} bytes out\n{err}")


def bad(port, label, *args, expect):
    exrun.expect_failure([EXAMPLE, "--ca", CA, *args, "127.0.0.1", str(port)], label, expect)


def body():
    exrun.need("openssl")
    exrun.check_usage()
    rsa = exrun.s_server("s_server_rev_rsa", "-rev")  # one connection after the other
    good(rsa, "TLS 1.3, RSA", "--tls13", expect="connected: TLS 1.3, TLS_AES_128_GCM_SHA256")
    good(rsa, "TLS 1.2, RSA", "--tls12", expect="TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
    bad(rsa.port, "wrong host name", "--name", "www.example.com",
        expect="(TLSFLOW_E_CERT_HOSTNAME, alert sent: bad_certificate)")
    rsa.stop()
    ec = exrun.s_server("s_server_rev_ec", "-rev", cert="server-ec.pem", key="server-ec.key")
    good(ec, "TLS 1.3, ECDSA", expect="connected: TLS 1.3")
    ec.stop()

    exrun.bad_peers([EXAMPLE, "--ca", CA, "--name", "localhost"],
                    ("TLSFLOW_E_UNEXPECTED_EOF", "alert sent:",
                     "read: connection reset by peer", "connect: connection refused"))


exrun.main(body)
