#!/usr/bin/env python3
"""Seeds of fuzz_tls13 from real peers.

  tls13_peer_seeds.py HELLOS OUTDIR

HELLOS is DIR/peer of `fuzz_tls13 --write-seeds DIR`: our client's ClientHello record
for each depth 0 client configuration, named by its byte 0. Each goes to `openssl
s_server -tls1_3` (the fixture credential; asked for a client certificate where byte 0
says so; x25519 only where it expects a HelloRetryRequest) with its key log on; the
server's answer is opened with SERVER_HANDSHAKE_TRAFFIC_SECRET and written as a seed:
byte 0, then the server's messages as items (kind 0 handshake, kind 1
ChangeCipherSpec), so the harness's client takes OpenSSL's real flight up to Finished.
Also the ClientHellos of real clients in corpus/client_hello that offer TLS 1.3, as depth
0 seeds of the server (a body after a kind 0 header). Prints "tls13/<sha1> <origin>"
lines for corpus/SOURCES. Loopback only; every wait is bounded.
"""
import hashlib
import hmac
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time

from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "tests", "fixtures")
CORPUS = os.path.join(HERE, "..", "corpus")
sys.path.insert(0, CORPUS)
import peers  # noqa: E402 (corpus/peers.py: records, recv_until, hello parsing)
HANDSHAKE, CCS, APPDATA = 22, 20, 23
SUITES = {0x1301: (hashlib.sha256, AESGCM, 16), 0x1302: (hashlib.sha384, AESGCM, 32),
          0x1303: (hashlib.sha256, ChaCha20Poly1305, 32)}


def split(stream):
    out, off = [], 0
    while off + 4 <= len(stream):
        n = 4 + int.from_bytes(stream[off + 1:off + 4], "big")
        if off + n > len(stream):
            break
        out.append(stream[off:off + n])
        off += n
    return out


def expand_label(hash_fn, secret, label, length):
    """HKDF-Expand-Label with an empty context (RFC 8446 section 7.1)."""
    full = b"tls13 " + label
    info = struct.pack(">HB", length, len(full)) + full + b"\x00"
    out, block, i = b"", b"", 1
    while len(out) < length:
        block = hmac.new(secret, block + info + bytes([i]), hash_fn).digest()
        out += block
        i += 1
    return out[:length]


def talk(port, hello, seconds=5.0):
    """Send our ClientHello, keep what comes back until the peer goes quiet."""
    deadline = time.time() + seconds
    while True:
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=1)
            break
        except OSError:
            if time.time() > deadline:
                return b""
            time.sleep(0.05)
    sock.sendall(hello)
    data = peers.recv_until(sock, lambda d: False, 2.0)  # it waits for our answer: quiet
    sock.close()
    return data


def secret_of(keylog, label):
    for line in open(keylog).read().splitlines():
        words = line.split()
        if len(words) == 3 and words[0] == label:
            return bytes.fromhex(words[2])
    return None


def openssl_seed(b0, hello, tmp):
    """The seed of OpenSSL's answer to our ClientHello of byte 0, or None."""
    alt, hrr, mode = b0 & 0x10, b0 & 2, (b0 >> 2) & 3
    name = "server-ec" if alt else "server"
    keylog = os.path.join(tmp, "keylog-%02x" % b0)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = ["openssl", "s_server", "-tls1_3", "-accept", str(port), "-naccept", "1",
           "-cert", os.path.join(FIXTURES, name + ".pem"),
           "-key", os.path.join(FIXTURES, name + ".key"), "-keylogfile", keylog]
    if mode in (1, 2):
        cmd += ["-verify", "1"]
    if hrr:
        cmd += ["-groups", "X25519"]
    server = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        answer = talk(port, hello)
    finally:
        server.kill()
        server.wait()
    seed, protected, hs_secret, seq = bytes([b0]), b"", None, 0
    for kind, payload in peers.records(answer):
        header = struct.pack(">BHH", kind, 0x0303, len(payload))
        if kind == HANDSHAKE:
            for m in split(payload):
                seed += bytes([0]) + struct.pack(">H", len(m)) + m
                suite = struct.unpack(">H", m[4 + 34 + 1 + m[38]:][:2])[0]
        elif kind == CCS:
            seed += bytes([1]) + struct.pack(">H", len(payload)) + payload
        elif kind == APPDATA:
            if hs_secret is None:
                hs_secret = os.path.exists(keylog) and secret_of(
                    keylog, "SERVER_HANDSHAKE_TRAFFIC_SECRET")
                if not hs_secret or suite not in SUITES:
                    return None
                hash_fn, aead, key_len = SUITES[suite]
                key = expand_label(hash_fn, hs_secret, b"key", key_len)
                iv = expand_label(hash_fn, hs_secret, b"iv", 12)
            nonce = bytes(a ^ b for a, b in zip(iv, bytes(4) + seq.to_bytes(8, "big")))
            seq += 1
            inner = aead(key).decrypt(nonce, payload, header).rstrip(b"\x00")
            if inner[-1] == HANDSHAKE:
                protected += inner[:-1]
    for m in split(protected):
        seed += bytes([0]) + struct.pack(">H", len(m)) + m
    return seed if protected or hrr else None


def offers_tls13(body):
    """Does this ClientHello body carry supported_versions with 0x0304?"""
    try:
        exts = peers.hello_extensions(body, peers.client_hello_fixed(body)) or b""
    except (IndexError, struct.error):
        return False
    off = 0
    while off + 4 <= len(exts):
        kind, n = struct.unpack(">HH", exts[off:off + 4])
        if kind == 43:
            versions = exts[off + 5:off + 4 + n]
            return any(versions[i:i + 2] == b"\x03\x04" for i in range(0, len(versions), 2))
        off += 4 + n
    return False


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    hellos, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    found = []
    with tempfile.TemporaryDirectory() as tmp:
        for f in sorted(os.listdir(hellos)):
            b0 = int(f.split(".")[0], 16)
            if b0 & 0x0c == 0x0c:
                continue  # our client offers a ticket of our server: OpenSSL cannot open it
            seed = openssl_seed(b0, open(os.path.join(hellos, f), "rb").read(), tmp)
            if seed:
                found.append((seed, "peer-openssl-s_server-tls13-%02x" % b0))
    sources = [l.split() for l in open(os.path.join(CORPUS, "SOURCES")) if l.startswith("client_hello/")]
    for path, origin in sorted(sources):
        body = open(os.path.join(CORPUS, path), "rb").read()
        if origin.startswith("peer-") and offers_tls13(body):
            found.append((bytes([1, 0x10]) + struct.pack(">H", len(body)) + body, origin))
    for seed, origin in found:
        sha = hashlib.sha1(seed).hexdigest()
        open(os.path.join(outdir, sha), "wb").write(seed)
        print("tls13/%s %s" % (sha, origin))


if __name__ == "__main__":
    main()
