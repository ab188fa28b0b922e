"""examples/client_blocking against OpenSSL's s_server -www: TLS 1.3 and 1.2, RSA and ECDSA
certificates, the name as DNS name and IP address; a clean close both ways. Then what must
fail with a clear message and status 1 (never a crash): a wrong name, an unknown CA, no
common version, peers that hang up, reset or talk plain text, a closed port."""
import exrun
from exrun import EXAMPLE, check, fixture, run

CA = fixture("ca.pem")


def good(server, label, *args, expect):
    rc, out, err = run([EXAMPLE, "--ca", CA, *args, "127.0.0.1", str(server.port)])
    check(rc == 0 and out.startswith("HTTP/1.0 200 ok") and expect in err and
          "closed cleanly by the peer (close_notify)" in err, f"{label}: reply, clean close",
          f"status {rc}\n{err}\n{out[:300]}")
    check("</HTML>" in out, f"{label}: the whole page", out[-300:])


def bad(port, label, *args, expect):
    exrun.expect_failure([EXAMPLE, "--ca", CA, *args, "127.0.0.1", str(port)], label, expect)


def body():
    exrun.need("openssl")
    exrun.check_usage()

    with_rsa = exrun.s_server("s_server_rsa", "-www")
    good(with_rsa, "TLS 1.3, RSA", "--name", "localhost", "--tls13",
         expect="connected: TLS 1.3, TLS_AES_128_GCM_SHA256, x25519, server /CN=localhost")
    good(with_rsa, "TLS 1.2, RSA", "--name", "localhost", "--tls12",
         expect="connected: TLS 1.2, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
    good(with_rsa, "name as an IP address (the default: HOST)", expect="connected: TLS 1.3")
    bad(with_rsa.port, "wrong host name", "--name", "www.example.com",
        expect="(TLSFLOW_E_CERT_HOSTNAME, alert sent: bad_certificate)")
    rc, _, err = run([EXAMPLE, "--ca", fixture("client.pem"), "--name", "localhost",
                      "127.0.0.1", str(with_rsa.port)])
    check(rc == 1 and "(TLSFLOW_E_CERT_UNKNOWN_CA, alert sent: unknown_ca)" in err,
          "a CA file without the server's root: unknown_ca", err)
    with_rsa.stop()

    with_ec = exrun.s_server("s_server_ec", "-www", cert="server-ec.pem", key="server-ec.key")
    good(with_ec, "TLS 1.2, ECDSA", "--name", "localhost", "--tls12",
         expect="TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256")
    good(with_ec, "TLS 1.3, ECDSA", "--name", "localhost", expect="connected: TLS 1.3")
    with_ec.stop()

    only12 = exrun.s_server("s_server_tls12", "-www", "-tls1_2")
    bad(only12.port, "no common version", "--name", "localhost", "--tls13",
        expect="alert received: protocol_version")
    only12.stop()

    exrun.bad_peers([EXAMPLE, "--ca", CA, "--name", "localhost"],
                    ("TLSFLOW_E_UNEXPECTED_EOF", "alert sent:",
                     "recv: Connection reset by peer", "connect: Connection refused"))


exrun.main(body)
