"""Raw-record TLS 1.2 peers for the conformance and soak tests: exact bytes on the wire.

The plaintext part (records, ClientHello, alerts) is built here with `struct` only. The
encrypted part (Tls12Client) needs Debian's python3-cryptography for RSA, AES-GCM and
HMAC; it is imported only when a Tls12Client is made, so callers can skip cleanly.

Every read has a deadline: nothing here waits unbounded."""
import hashlib
import os
import socket
import struct
import subprocess
import tempfile
import time

CT_CCS, CT_ALERT, CT_HANDSHAKE, CT_APPDATA = 20, 21, 22, 23
HS_CLIENT_HELLO, HS_SERVER_HELLO, HS_CERTIFICATE = 1, 2, 11
HS_SERVER_HELLO_DONE, HS_CLIENT_KEY_EXCHANGE, HS_FINISHED = 14, 16, 20

ALERTS = {0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac",
          22: "record_overflow", 40: "handshake_failure", 42: "bad_certificate",
          47: "illegal_parameter", 50: "decode_error", 51: "decrypt_error",
          70: "protocol_version", 80: "internal_error", 86: "inappropriate_fallback",
          90: "user_canceled", 100: "no_renegotiation", 109: "missing_extension",
          110: "unsupported_extension", 112: "unrecognized_name",
          120: "no_application_protocol"}

# Extension types (IANA).
EXT_SNI, EXT_GROUPS, EXT_POINT_FORMATS, EXT_SIG_ALGS = 0x0000, 0x000A, 0x000B, 0x000D
EXT_ALPN, EXT_PADDING, EXT_EMS, EXT_RENEGOTIATION_INFO = 0x0010, 0x0015, 0x0017, 0xFF01

GREASE = [0x0A0A + 0x1010 * i for i in range(16)]
TLS_RSA_WITH_AES_128_GCM_SHA256 = 0x009C
# What the engine implements (README): a ClientHello that must get 0x009C offers none else.
ENGINE_SUITES = {0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8, 0x009C, 0x009D}
# Signature schemes real clients send (RFC 8446 §4.2.3 code points).
REAL_SIG_ALGS = [0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0403, 0x0503, 0x0603]


def alert_name(desc):
    return ALERTS.get(desc, f"alert {desc}")


def u8(n):
    return struct.pack("!B", n)


def u16(n):
    return struct.pack("!H", n)


def u24(n):
    return struct.pack("!I", n)[1:]


def vec8(b):
    assert len(b) < 1 << 8
    return u8(len(b)) + b


def vec16(b):
    assert len(b) < 1 << 16, len(b)
    return u16(len(b)) + b


def record(ct, payload, version=0x0303):
    return struct.pack("!BHH", ct, version, len(payload)) + payload


def records(ct, payload, size=16384, version=0x0303):
    """payload split into records of at most `size` bytes."""
    return b"".join(record(ct, payload[i:i + size], version)
                    for i in range(0, len(payload), size))


def alert(level, desc):
    return u8(level) + u8(desc)


def handshake(hs_type, body):
    return u8(hs_type) + u24(len(body)) + body


def ext(ext_type, data=b""):
    return u16(ext_type) + vec16(data)


def sni_ext(name="localhost"):
    n = name.encode()
    return ext(EXT_SNI, vec16(u8(0) + vec16(n)))


def alpn_ext(names):
    return ext(EXT_ALPN, vec16(b"".join(vec8(n) for n in names)))


def sig_algs_ext(schemes):
    return ext(EXT_SIG_ALGS, vec16(b"".join(u16(s) for s in schemes)))


def padding_ext(total):
    """A padding extension (RFC 7685) of `total` bytes on the wire, header included."""
    assert total >= 4
    return ext(EXT_PADDING, bytes(total - 4))


def basic_exts(ems=True):
    """What a plain TLS 1.2 client sends besides its suites."""
    out = [sni_ext(), ext(EXT_GROUPS, vec16(u16(0x001D) + u16(0x0017))),
           ext(EXT_POINT_FORMATS, vec8(b"\x00")), sig_algs_ext(REAL_SIG_ALGS),
           ext(EXT_RENEGOTIATION_INFO, b"\x00")]
    if ems:
        out.append(ext(EXT_EMS))
    return out


def client_hello_body(suites, exts, random=None, session_id=b"", compressions=b"\x00",
                      version=0x0303):
    random = random if random is not None else os.urandom(32)
    body = u16(version) + random + vec8(session_id)
    body += vec16(b"".join(u16(s) for s in suites)) + vec8(compressions)
    if exts is not None:
        body += vec16(b"".join(exts))
    return body


def client_hello(suites=(TLS_RSA_WITH_AES_128_GCM_SHA256,), exts=None, **kw):
    """A whole ClientHello handshake message (header included)."""
    return handshake(HS_CLIENT_HELLO,
                     client_hello_body(list(suites), basic_exts() if exts is None else exts,
                                       **kw))


def unknown_values(count, avoid):
    """`count` distinct 16-bit code points, none in `avoid`, none GREASE."""
    skip = set(avoid) | set(GREASE)
    out = [v for v in range(0x0100, 0x10000) if v not in skip][:count]
    assert len(out) == count
    return out


def largest_client_hello(sig_alg_count=1 << 14, unknown_ext_count=3000):
    """The largest ClientHello the length fields allow: 32-byte session id, 2^16-2 bytes
    of cipher suites (32,767: GREASE, unknown, and the one real suite deep inside), 255
    compression methods (null last), and an extension block of exactly 65,535 bytes:
    `unknown_ext_count` empty unknown extensions, a signature_algorithms list of
    `sig_alg_count` distinct schemes (the real ones among them) and a padding extension
    filling the rest. Returns (message, description)."""
    avoid = ENGINE_SUITES | {0x00FF, 0x5600} | set(range(0x1301, 0x1306))
    suites = GREASE + unknown_values(32767 - len(GREASE) - 1, avoid)
    suites.insert(31000, TLS_RSA_WITH_AES_128_GCM_SHA256)
    assert len(suites) == 32767 and len(set(suites)) == 32767

    sigs = unknown_values(sig_alg_count - len(REAL_SIG_ALGS), REAL_SIG_ALGS)
    for i, s in enumerate(REAL_SIG_ALGS):
        sigs.insert((i + 1) * len(sigs) // (len(REAL_SIG_ALGS) + 1), s)
    known_exts = {EXT_SNI, EXT_GROUPS, EXT_POINT_FORMATS, EXT_SIG_ALGS, EXT_ALPN, EXT_PADDING,
                  EXT_EMS, EXT_RENEGOTIATION_INFO}
    # Unknown extension types well away from the assigned low range.
    unknown = [ext(t) for t in unknown_values(unknown_ext_count, known_exts | set(range(0x4000)))]
    exts = _base_exts(sigs) + unknown
    used = sum(len(e) for e in exts)
    room = 65535 - used
    assert room == 0 or room >= 4, room
    if room:
        exts.insert(len(exts) // 2, padding_ext(room))
    compressions = bytes(range(1, 255)) + b"\x00"
    msg = client_hello(suites, exts, session_id=os.urandom(32), compressions=compressions)
    assert len(msg) == 4 + 2 + 32 + 33 + 2 + 65534 + 256 + 2 + 65535
    what = (f"{len(msg)}-byte ClientHello: 32,767 suites, {len(exts)} extensions "
            f"({unknown_ext_count} unknown empty), {sig_alg_count} signature schemes, "
            f"padding {room} bytes, extensions block 65,535 bytes")
    return msg, what


def _base_exts(sigs):
    return [sni_ext(), ext(GREASE[0]), ext(EXT_GROUPS, vec16(u16(0x001D) + u16(0x0017))),
            ext(EXT_POINT_FORMATS, vec8(b"\x00")), sig_algs_ext(sigs), ext(EXT_EMS),
            ext(EXT_RENEGOTIATION_INFO, b"\x00"), ext(GREASE[15], b"\x00")]


def max_sig_algs_count():
    """The most signature schemes an extension block of 65,535 bytes holds beside the
    other extensions of largest_client_hello (and a padding extension, if any room is
    left, needs 4 bytes at least)."""
    fixed = sum(len(e) for e in _base_exts([]))
    n = min((65535 - fixed) // 2, 32767)
    while (65535 - fixed - 2 * n) in (1, 2, 3):
        n -= 1
    return n


# ---- reading what a peer sends --------------------------------------------------------

class Wire:
    """A TCP connection to a peer with a byte buffer and deadlines on every read."""

    def __init__(self, port, host="127.0.0.1", timeout=10):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.eof = False

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, deadline):
        """Read more bytes; False on EOF/reset or when the deadline passed."""
        left = deadline - time.monotonic()
        if left <= 0 or self.eof:
            return False
        self.sock.settimeout(min(left, 1.0))
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return time.monotonic() < deadline
        except (ConnectionResetError, BrokenPipeError):
            self.eof = True
            return False
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def record(self, timeout=10):
        """(content type, version, payload) of the next record; None at EOF or timeout."""
        deadline = time.monotonic() + timeout
        while True:
            if len(self.buf) >= 5:
                ct, ver, n = struct.unpack("!BHH", self.buf[:5])
                if len(self.buf) >= 5 + n:
                    rec = (ct, ver, self.buf[5:5 + n])
                    self.buf = self.buf[5 + n:]
                    return rec
            if not self._fill(deadline):
                return None

    def quiet(self, seconds):
        """True if the peer sent nothing (and did not close) for `seconds`."""
        deadline = time.monotonic() + seconds
        while not self.buf and not self.eof and time.monotonic() < deadline:
            self._fill(deadline)
        return not self.buf and not self.eof

    def until_closed(self, timeout=10):
        """Every remaining record until the peer closes; (records, closed)."""
        deadline = time.monotonic() + timeout
        out = []
        while True:
            rec = self.record(max(0.0, deadline - time.monotonic()))
            if rec is None:
                return out, self.eof and not self.buf
            out.append(rec)

    def close(self):
        self.sock.close()


def first_answer(wire, timeout=20):
    """What a server answered a ClientHello: ("hello", fields) for a ServerHello,
    ("alert", (level, desc)), ("closed", None) or ("timeout", None)."""
    hs = b""
    deadline = time.monotonic() + timeout
    while True:
        rec = wire.record(max(0.0, deadline - time.monotonic()))
        if rec is None:
            return ("closed", None) if wire.eof else ("timeout", None)
        ct, _, payload = rec
        if ct == CT_ALERT and len(payload) == 2:
            return "alert", (payload[0], payload[1])
        if ct != CT_HANDSHAKE:
            return "other", ct
        hs += payload
        if len(hs) >= 4 and len(hs) >= 4 + int.from_bytes(hs[1:4], "big"):
            if hs[0] != HS_SERVER_HELLO:
                return "other", hs[0]
            return "hello", parse_server_hello(hs[4:4 + int.from_bytes(hs[1:4], "big")])


def parse_server_hello(body):
    version = int.from_bytes(body[0:2], "big")
    random = body[2:34]
    sid_len = body[34]
    p = 35 + sid_len
    suite = int.from_bytes(body[p:p + 2], "big")
    compression = body[p + 2]
    exts = {}
    p += 3
    if p < len(body):
        end = p + 2 + int.from_bytes(body[p:p + 2], "big")
        p += 2
        while p < end:
            t, n = struct.unpack("!HH", body[p:p + 4])
            exts[t] = body[p + 4:p + 4 + n]
            p += 4 + n
    alpn = None
    if EXT_ALPN in exts:
        d = exts[EXT_ALPN]
        alpn = d[3:3 + d[2]].decode()
    return {"version": version, "random": random, "suite": suite, "compression": compression,
            "extensions": exts, "alpn": alpn}


def describe(answer):
    kind, val = answer
    if kind == "hello":
        return f"ServerHello, suite 0x{val['suite']:04X}"
    if kind == "alert":
        return f"{'fatal' if val[0] == 2 else 'warning'} {alert_name(val[1])} alert"
    return {"closed": "closed without an answer", "timeout": "no answer in time"}.get(
        kind, f"unexpected {kind} {val}")


# ---- a TLS 1.2 client computing its own keys (TLS_RSA_WITH_AES_128_GCM_SHA256) ----------

def _crypto():
    """The python3-cryptography pieces, or None if the module is missing."""
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, hmac, serialization
        from cryptography.hazmat.primitives.asymmetric import padding
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    except ImportError:
        return None
    return {"x509": x509, "hashes": hashes, "hmac": hmac, "serialization": serialization,
            "padding": padding, "AESGCM": AESGCM}


def have_crypto():
    return _crypto() is not None


class Tls12Client:
    """TLS 1.2, TLS_RSA_WITH_AES_128_GCM_SHA256, extended master secret, by hand: every
    step is a method so a test can send exactly what it wants between them."""

    def __init__(self, port, timeout=10):
        self.c = _crypto()
        if self.c is None:
            raise RuntimeError("python3-cryptography is missing")
        self.wire = Wire(port, timeout=timeout)
        self.transcript = b""
        self.client_random = os.urandom(32)
        self.write = None  # (AESGCM, salt, seq)
        self.read = None
        self.server_key = None

    # The PRF of RFC 5246 §5 with HMAC-SHA256.
    def _hmac(self, key, data):
        h = self.c["hmac"].HMAC(key, self.c["hashes"].SHA256())
        h.update(data)
        return h.finalize()

    def prf(self, secret, label, seed, n):
        seed = label + seed
        out, a = b"", seed
        while len(out) < n:
            a = self._hmac(secret, a)
            out += self._hmac(secret, a + seed)
        return out[:n]

    def hello(self, exts=None):
        msg = client_hello(exts=exts, random=self.client_random)
        self.transcript += msg
        self.wire.send(record(CT_HANDSHAKE, msg, version=0x0301))

    def server_flight(self, timeout=20):
        """Reads ServerHello .. ServerHelloDone; returns the list of handshake types."""
        hs, types = b"", []
        deadline = time.monotonic() + timeout
        while HS_SERVER_HELLO_DONE not in types:
            rec = self.wire.record(max(0.0, deadline - time.monotonic()))
            if rec is None:
                raise RuntimeError(f"server flight incomplete: got {types}")
            ct, _, payload = rec
            if ct != CT_HANDSHAKE:
                raise RuntimeError(f"record type {ct} in the server flight: {payload.hex()}")
            hs += payload
            while len(hs) >= 4 and len(hs) >= 4 + int.from_bytes(hs[1:4], "big"):
                n = 4 + int.from_bytes(hs[1:4], "big")
                msg, hs = hs[:n], hs[n:]
                self.transcript += msg
                types.append(msg[0])
                if msg[0] == HS_SERVER_HELLO:
                    self.server_hello = parse_server_hello(msg[4:])
                elif msg[0] == HS_CERTIFICATE:
                    first = int.from_bytes(msg[7:10], "big")
                    leaf = self.c["x509"].load_der_x509_certificate(msg[10:10 + first])
                    self.server_key = leaf.public_key()
        return types

    def key_public_pem(self):
        s = self.c["serialization"]
        return self.server_key.public_bytes(s.Encoding.PEM,
                                            s.PublicFormat.SubjectPublicKeyInfo)

    def rsa_raw(self, block):
        """The RSA public operation on `block` with no padding at all (for malformed
        PKCS#1 blocks): OpenSSL's pkeyutl does it, nothing hand-made."""
        with tempfile.TemporaryDirectory(prefix="rawtls-") as d:
            key, inp, out = (os.path.join(d, n) for n in ("pub.pem", "in", "out"))
            open(key, "wb").write(self.key_public_pem())
            open(inp, "wb").write(block)
            r = subprocess.run(["openssl", "pkeyutl", "-encrypt", "-pubin", "-inkey", key,
                                "-pkeyopt", "rsa_padding_mode:none", "-in", inp, "-out", out],
                               capture_output=True, timeout=20)
            if r.returncode != 0:
                raise RuntimeError("openssl pkeyutl: " + r.stderr.decode(errors="replace"))
            return open(out, "rb").read()

    def modulus_len(self):
        return (self.server_key.key_size + 7) // 8

    def key_exchange(self, premaster=None, encrypted=None):
        """ClientKeyExchange: `encrypted` as given, else `premaster` (default: a fresh
        valid one) under the leaf's key with PKCS#1 v1.5. Keys follow from `premaster`:
        what this client believes, whatever the server recovers."""
        premaster = premaster if premaster is not None else b"\x03\x03" + os.urandom(46)
        if encrypted is None:
            encrypted = self.server_key.encrypt(premaster, self.c["padding"].PKCS1v15())
        msg = handshake(HS_CLIENT_KEY_EXCHANGE, vec16(encrypted))
        self.transcript += msg
        self.wire.send(record(CT_HANDSHAKE, msg))
        session_hash = hashlib.sha256(self.transcript).digest()
        self.master = self.prf(premaster, b"extended master secret", session_hash, 48)
        kb = self.prf(self.master, b"key expansion",
                      self.server_hello["random"] + self.client_random, 40)
        aes = self.c["AESGCM"]
        self._keys = ((aes(kb[0:16]), kb[32:36]), (aes(kb[16:32]), kb[36:40]))

    def change_cipher_spec(self):
        self.wire.send(record(CT_CCS, b"\x01"))
        self.write = [self._keys[0][0], self._keys[0][1], 0]

    def finished_data(self, label):
        return self.prf(self.master, label, hashlib.sha256(self.transcript).digest(), 12)

    def finished(self, tamper=False):
        vd = bytearray(self.finished_data(b"client finished"))
        if tamper:
            vd[0] ^= 0x01
        msg = handshake(HS_FINISHED, bytes(vd))
        self.transcript += msg
        self.send(CT_HANDSHAKE, msg)

    def protect(self, ct, plain):
        aead, salt, seq = self.write
        explicit = struct.pack("!Q", seq)
        aad = struct.pack("!QBHH", seq, ct, 0x0303, len(plain))
        self.write[2] += 1
        return record(ct, explicit + aead.encrypt(salt + explicit, plain, aad))

    def send(self, ct, plain):
        self.wire.send(self.protect(ct, plain))

    def unprotect(self, ct, payload):
        aead, salt, seq = self.read
        aad = struct.pack("!QBHH", seq, ct, 0x0303, len(payload) - 8 - 16)
        self.read[2] += 1
        return aead.decrypt(salt + payload[:8], payload[8:], aad)

    def server_finish(self, timeout=20):
        """The server's CCS and Finished; True if its verify_data is right."""
        rec = self.wire.record(timeout)
        if rec is None or rec[0] != CT_CCS or rec[2] != b"\x01":
            raise RuntimeError(f"expected the server's ChangeCipherSpec, got {rec}")
        self.read = [self._keys[1][0], self._keys[1][1], 0]
        expect = self.finished_data(b"server finished")
        ct, plain = self.recv(timeout)
        return ct == CT_HANDSHAKE and plain == handshake(HS_FINISHED, expect)

    def recv(self, timeout=10):
        """(content type, plaintext) of the next protected record; None at EOF/timeout."""
        rec = self.wire.record(timeout)
        if rec is None:
            return None
        return rec[0], self.unprotect(rec[0], rec[2])

    def handshake(self):
        """A complete, correct handshake; True if the server's Finished verified."""
        self.hello()
        self.server_flight()
        self.key_exchange()
        self.change_cipher_spec()
        self.finished()
        return self.server_finish()

    def close(self):
        self.wire.close()
