"""Robustness: garbage bytes, a burst of concurrent handshakes, slow one-byte clients,
vanishing clients. Afterwards a fresh client is served and the server holds as many
descriptors as before."""
import os
import random
import socket
import ssl
import struct
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from tfsock import Server, check, finish, https_get, rsa_context, wait_until

BURST = 300


def raw(port, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_until_closed(s, limit=10.0):
    """Everything the server sends until it closes; None if it did not close in time."""
    data, deadline = b"", time.monotonic() + limit
    s.settimeout(0.5)
    while time.monotonic() < deadline:
        try:
            chunk = s.recv(4096)
        except socket.timeout:
            continue
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk
    return None


def client_hello():
    """The first flight of a real Python client, from a memory BIO."""
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = rsa_context().wrap_bio(inc, out, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def slow_client(port, delay=0.001):
    """A full handshake and request, writing one byte per send()."""
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = rsa_context().wrap_bio(inc, out, server_hostname="localhost")
    s = raw(port)
    s.settimeout(10)

    def flush():
        for b in out.read():
            s.sendall(bytes([b]))
            time.sleep(delay)

    while True:
        try:
            obj.do_handshake()
            break
        except ssl.SSLWantReadError:
            flush()
            data = s.recv(65536)
            if not data:
                return None
            inc.write(data)
    obj.write(b"GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    flush()
    reply = b""
    while True:
        try:
            chunk = obj.read(65536)
            if not chunk:
                break  # close_notify
            reply += chunk
        except ssl.SSLWantReadError:
            data = s.recv(65536)
            if not data:
                break
            inc.write(data)
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
            break
    s.close()
    return reply


def served(port):
    try:
        return https_get(port, "/nope")[0].endswith("404 Not Found")
    except OSError:  # includes ssl.SSLError
        return False


def rst_close(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


with Server("--max-conns", "1000") as srv:
    port = srv.port
    status, _, _, _ = https_get(port, "/nope")  # warm up lazily opened descriptors
    check(status.endswith("404 Not Found"), "warm-up request")
    base = srv.fd_count()

    # Garbage instead of a ClientHello: the engine's alert goes out, then the close.
    rng = random.Random(1)
    for name, payload in [("random bytes", bytes(rng.randrange(256) for _ in range(300))),
                          ("plain HTTP", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
                          ("bad record header", b"\x16\x03\x03\xff\xff" + b"\x00" * 64),
                          ("handshake garbage", b"\x16\x03\x01\x00\x10" + b"\xff" * 16)]:
        s = raw(port)
        s.sendall(payload)
        got = read_until_closed(s)
        s.close()
        check(got is not None, f"{name}: server closed the connection")
        check(bool(got) and got[0] == 0x15, f"{name}: a TLS alert came first",
              got[:16].hex() if got else got)

    # A burst of concurrent handshakes.
    barrier = threading.Barrier(BURST, timeout=30)

    def one(_):
        try:
            barrier.wait()
            return https_get(port, "/nope", timeout=30)[0].endswith("404 Not Found")
        except Exception as e:  # noqa: BLE001 - reported as a count
            return repr(e)

    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=BURST) as pool:
        results = list(pool.map(one, range(BURST)))
    ok = sum(1 for r in results if r is True)
    errs = {r for r in results if r is not True}
    check(ok == BURST, f"{BURST} concurrent handshakes: {ok} served in "
          f"{time.monotonic() - t0:.1f}s", errs)

    # Slow clients, one byte per send, a few at once.
    with ThreadPoolExecutor(max_workers=4) as pool:
        replies = list(pool.map(lambda _: slow_client(port), range(4)))
    check(all(r and r.startswith(b"HTTP/1.1 404") for r in replies),
          "slow one-byte clients are served", [r[:20] if r else r for r in replies])

    # Vanishing clients in every phase.
    hello = client_hello()
    for _ in range(20):
        raw(port).close()                      # connect, leave
        s = raw(port)
        s.sendall(hello[: len(hello) // 2])    # half a ClientHello, FIN
        s.close()
        s = raw(port)
        s.sendall(hello[:7])                   # a few bytes, then RST
        rst_close(s)
        s = raw(port)                          # a handshake, then RST without close_notify
        t = rsa_context().wrap_socket(s, server_hostname="localhost")
        t.sendall(b"GET / HT")
        rst_close(t)
    # The engine sees EOF/RST; give the loop a moment to close everything.
    check(wait_until(lambda: srv.fd_count() <= base, timeout=10),
          f"descriptors back to {base} after vanishing clients (now {srv.fd_count()})")
    status, _, body, _ = https_get(port, "/json")
    check(status.endswith("200 OK") and b"TLS_RSA_WITH" in body, "a fresh client is served")
    check(wait_until(lambda: srv.fd_count() <= base, timeout=5),
          f"descriptors back to {base} after the fresh client")
    check(srv.proc.poll() is None, "server still running")
    check(srv.stop() == 0, "SIGTERM: clean exit 0")

# Timeouts and the connection cap, on a server with short limits.
with Server("--handshake-timeout", "1", "--idle-timeout", "1", "--max-conns", "3") as srv:
    port = srv.port
    idle_fds = srv.fd_count()
    s = raw(port)
    t0 = time.monotonic()
    got = read_until_closed(s, limit=5)
    s.close()
    check(got is not None and 0.8 < time.monotonic() - t0 < 4,
          f"silent client closed by the handshake timeout after "
          f"{time.monotonic() - t0:.1f}s")

    t = rsa_context().wrap_socket(raw(port), server_hostname="localhost")
    t0 = time.monotonic()
    t.settimeout(5)
    try:
        closed = t.recv(100) == b""
    except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
        closed = True
    except socket.timeout:
        closed = False
    check(closed and 0.8 < time.monotonic() - t0 < 4,
          f"idle client gets close_notify after {time.monotonic() - t0:.1f}s")
    t.close()

    # The server notices those closes on its next loop turn; then fill it up.
    check(wait_until(lambda: srv.fd_count() == idle_fds, 5), "timed-out connections are gone")
    held = [raw(port) for _ in range(3)]
    time.sleep(0.2)
    extra = raw(port)
    got = read_until_closed(extra, limit=3)
    check(got == b"", "over --max-conns: accepted and closed at once", got)
    extra.close()
    for h in held:
        h.close()
    check(wait_until(lambda: served(port), 5), "served again once below the cap")
finish()
