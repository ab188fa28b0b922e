"""Python's ssl module (OpenSSL underneath) as a peer for the interop matrix (ci/interop),
one connection over loopback, both roles; the same interface as mbedtls_peer.c and
wolfssl_peer.c:

    pyssl_peer.py server --cert PEM --key PEM --version 1.2|1.3 [--cipher OPENSSL_NAME]
        listens on 127.0.0.1 (kernel-chosen port), prints "listening PORT", takes one
        connection, echoes every byte until the client's close_notify, answers it.
    pyssl_peer.py client --port N --ca PEM --version 1.2|1.3 [--cipher NAME] [--bytes N]
        SNI and host name "localhost"; sends N bytes 4 KiB at a time, each chunk read back
        and compared, then close_notify both ways (SSLSocket.unwrap).

Python's ssl cannot choose TLS 1.3 suites or groups: ci/interop sets them through an
OpenSSL configuration file in OPENSSL_CONF (Ciphersuites, Groups). A ragged EOF is an
error here (suppress_ragged_eofs=False). Exit 0 only if everything happened."""
import socket
import ssl
import sys

CHUNK = 4096


def opt(name, default=None):
    args = sys.argv[2:]
    return args[args.index(name) + 1] if name in args else default


def pattern(n, off):
    return bytes(((off + i) * 131 + ((off + i) >> 8)) & 0xFF for i in range(n))


def context(server):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server else ssl.PROTOCOL_TLS_CLIENT)
    v = ssl.TLSVersion.TLSv1_3 if opt("--version", "1.3") == "1.3" else ssl.TLSVersion.TLSv1_2
    ctx.minimum_version = ctx.maximum_version = v
    if opt("--cipher"):
        ctx.set_ciphers(opt("--cipher"))
    return ctx


def session(s):
    print(f"session: version={s.version()} suite={s.cipher()[0]}", flush=True)


def server():
    ctx = context(True)
    ctx.load_cert_chain(opt("--cert"), opt("--key"))
    with socket.create_server(("127.0.0.1", 0)) as ls:
        ls.settimeout(30)
        print(f"listening {ls.getsockname()[1]}", flush=True)
        raw, _ = ls.accept()
    raw.settimeout(20)
    s = ctx.wrap_socket(raw, server_side=True, suppress_ragged_eofs=False)
    session(s)
    echoed = 0
    while True:
        data = s.recv(65536)
        if not data:  # close_notify (a ragged EOF raises SSLEOFError)
            break
        s.sendall(data)
        echoed += len(data)
    print(f"echo: {echoed} bytes\nclose: close_notify received", flush=True)
    s.unwrap().close()


def client():
    ctx = context(False)
    ctx.load_verify_locations(opt("--ca"))
    raw = socket.create_connection(("127.0.0.1", int(opt("--port"))), timeout=20)
    s = ctx.wrap_socket(raw, server_hostname="localhost", suppress_ragged_eofs=False)
    session(s)
    total, done = int(opt("--bytes", "32768")), 0
    while done < total:
        want = pattern(min(CHUNK, total - done), done)
        s.sendall(want)
        got = b""
        while len(got) < len(want):
            chunk = s.recv(len(want) - len(got))
            if not chunk:
                raise RuntimeError(f"the connection closed after {done + len(got)} bytes")
            got += chunk
        if got != want:
            raise RuntimeError(f"the echo differs in the chunk at offset {done}")
        done += len(want)
    print(f"echo: {done} bytes identical", flush=True)
    s.unwrap().close()  # ours sent, the server's received
    print("close: close_notify received", flush=True)


try:
    {"server": server, "client": client}[sys.argv[1]]()
except Exception as e:  # one line the matrix can quote
    print(f"error: {type(e).__name__}: {e}", flush=True)
    sys.exit(1)
