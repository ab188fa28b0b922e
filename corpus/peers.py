#!/usr/bin/env python3
"""Helpers for corpus/capture.sh: record what real TLS peers send, and cut the recordings
into seeds for each harness.

  peers.py listen PORTFILE OUT [SECONDS]   accept one connection on 127.0.0.1 (port written
                                           to PORTFILE), save the client's first flight
  peers.py talk PORT HELLO OUT [SECONDS]   connect, send the records in HELLO, save the
                                           server's reply up to ServerHelloDone
  peers.py seeds KIND NAME CAPTURE OUTDIR  write seeds from a capture: KIND is "client"
                                           (a ClientHello flight) or "server" (a reply)
  peers.py chain OUTDIR NAME HOST DER...   a fuzz_x509 seed from up to four DER files

Only loopback is used; every wait is bounded.
"""
import os
import socket
import struct
import sys
import time

HANDSHAKE = 22
CLIENT_HELLO, SERVER_HELLO, CERTIFICATE, SERVER_KEY_EXCHANGE, SERVER_HELLO_DONE = 1, 2, 11, 12, 14


def records(data):
    """(type, payload) for each complete record in data."""
    out, off = [], 0
    while off + 5 <= len(data):
        length = struct.unpack(">H", data[off + 3:off + 5])[0]
        if off + 5 + length > len(data):
            break
        out.append((data[off], data[off + 5:off + 5 + length]))
        off += 5 + length
    return out


def messages(data):
    """(type, body) for each complete handshake message in the plaintext records."""
    stream = b"".join(p for t, p in records(data) if t == HANDSHAKE)
    out, off = [], 0
    while off + 4 <= len(stream):
        length = int.from_bytes(stream[off + 1:off + 4], "big")
        if off + 4 + length > len(stream):
            break
        out.append((stream[off], stream[off + 4:off + 4 + length]))
        off += 4 + length
    return out


def recv_until(sock, done, seconds):
    """Read until done(data) or EOF or the deadline."""
    data, deadline = b"", time.time() + seconds
    while not done(data):
        left = deadline - time.time()
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except (socket.timeout, ConnectionError):
            break
        if not chunk:
            break
        data += chunk
    return data


def listen(portfile, out, seconds=10.0):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.getsockname()[1]))
    os.rename(portfile + ".tmp", portfile)
    srv.settimeout(seconds)
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        sys.exit("listen: no client came")
    data = recv_until(conn, lambda d: any(t == CLIENT_HELLO for t, _ in messages(d)), seconds)
    conn.close()
    srv.close()
    with open(out, "wb") as f:
        f.write(data)


def talk(port, hello, out, seconds=10.0):
    with open(hello, "rb") as f:
        request = f.read()
    deadline = time.time() + seconds
    while True:  # the server may still be starting
        try:
            sock = socket.create_connection(("127.0.0.1", int(port)), timeout=1)
            break
        except OSError:
            if time.time() > deadline:
                sys.exit("talk: server did not come up")
            time.sleep(0.1)
    sock.sendall(request)
    data = recv_until(sock, lambda d: any(t == SERVER_HELLO_DONE for t, _ in messages(d)),
                      seconds)
    sock.close()
    with open(out, "wb") as f:
        f.write(data)


def write(outdir, harness, name, data):
    os.makedirs(os.path.join(outdir, harness), exist_ok=True)
    with open(os.path.join(outdir, harness, name), "wb") as f:
        f.write(data)


def hello_extensions(body, fixed):
    if len(body) < fixed + 2:
        return None
    n = struct.unpack(">H", body[fixed:fixed + 2])[0]
    return body[fixed + 2:fixed + 2 + n] if fixed + 2 + n <= len(body) else None


def client_hello_fixed(b):
    o = 2 + 32
    o += 1 + b[o]
    o += 2 + struct.unpack(">H", b[o:o + 2])[0]
    o += 1 + b[o]
    return o


def seeds(kind, name, capture, outdir):
    with open(capture, "rb") as f:
        data = f.read()
    if not data:
        sys.exit(f"seeds: {capture} is empty")
    msgs = dict((t, b) for t, b in reversed(messages(data)))
    name = "peer-" + name
    if kind == "client":
        write(outdir, "server", name, b"\x00" + data)  # default server, whole stream
        write(outdir, "record", name, b"\x00" + data)
        ch = msgs.get(CLIENT_HELLO)
        if ch:
            write(outdir, "client_hello", name, ch)
            ext = hello_extensions(ch, client_hello_fixed(ch))
            if ext is not None:
                write(outdir, "extensions", name, ext)
        return
    # A server's reply to our engine's ClientHello (default client configuration, the
    # harness's fixed random source): fuzz_client replays it as far as it goes.
    write(outdir, "client", name, b"\x00" + data)
    write(outdir, "record", name, b"\x10" + data)  # client role
    sh = msgs.get(SERVER_HELLO)
    if sh:
        write(outdir, "server_hello", name, sh)
        ext = hello_extensions(sh, 2 + 32 + 1 + sh[34] + 3)
        if ext is not None:
            write(outdir, "extensions", name + "-sh", ext)
    ske = msgs.get(SERVER_KEY_EXCHANGE)
    if ske:
        write(outdir, "server_key_exchange", name, ske)
    cert = msgs.get(CERTIFICATE)
    if cert:
        write(outdir, "certificate", name, cert)
        ders, off = [], 3
        while off + 3 <= len(cert) and len(ders) < 4:
            n = int.from_bytes(cert[off:off + 3], "big")
            ders.append(cert[off + 3:off + 3 + n])
            off += 3 + n
        # fuzz_x509: count, test time, host "localhost"; then u16-prefixed DER blobs.
        blob = bytes([len(ders) | 0x20])
        for der in ders:
            blob += struct.pack(">H", len(der)) + der
        write(outdir, "x509", name, blob + b"localhost\x00localhost")


def chain(outdir, name, host, ders):
    blob = bytes([len(ders[:4]) | 0x60])  # count, test time, the fuzzed host below
    for path in ders[:4]:
        with open(path, "rb") as f:
            der = f.read()
        blob += struct.pack(">H", len(der)) + der
    write(outdir, "x509", "cert-" + name, blob + host.encode() + b"\x00" + host.encode())


def main(argv):
    if len(argv) >= 3 and argv[0] == "listen":
        listen(argv[1], argv[2], float(argv[3]) if len(argv) > 3 else 10.0)
    elif len(argv) >= 4 and argv[0] == "talk":
        talk(argv[1], argv[2], argv[3], float(argv[4]) if len(argv) > 4 else 10.0)
    elif len(argv) == 5 and argv[0] == "seeds":
        seeds(argv[1], argv[2], argv[3], argv[4])
    elif len(argv) >= 5 and argv[0] == "chain":
        chain(argv[1], argv[2], argv[3], argv[4:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
