"""Raw-record conformance over sockets (issue 14): exact bytes to tlsflow-server, its
exact answer read back.

1. ClientHellos as large as their length fields allow (131,400 bytes in 16 KiB records),
   one huge only by padding, one with 1,000 ALPN names: each answered with a ServerHello.
   openssl s_server and gnutls-serv get the largest too; their answer is printed, for
   comparison only.
2. Before the handshake: 32 warning alerts then a ClientHello are answered, 33 are
   unexpected_message; an empty record of each content type gets its alert.
3. Over an encrypted TLS_RSA_WITH_AES_128_GCM_SHA256 session this script computes itself
   (python3-cryptography; exit 77 without it): a bad Finished and every kind of bad RSA
   premaster end in exactly one fatal decrypt_error, after our Finished and not before;
   after a good handshake 32 records that carry nothing (warning alerts, empty records,
   refused renegotiations) leave the echo working and 33 are unexpected_message."""
import os
import subprocess
import sys

from rawtls import (CT_ALERT, CT_APPDATA, CT_CCS, CT_HANDSHAKE, HS_SERVER_HELLO_DONE,
                    TLS_RSA_WITH_AES_128_GCM_SHA256, Tls12Client, Wire, alert, alert_name,
                    alpn_ext, basic_exts, client_hello, describe, first_answer, have_crypto,
                    largest_client_hello, max_sig_algs_count, padding_ext, record, records)
from tfsock import PKI, Server, check, failures, finish, free_port, wait_port

WARNING, FATAL = 1, 2
UNEXPECTED_MESSAGE, DECODE_ERROR, DECRYPT_ERROR = 10, 50, 51
USER_CANCELED, NO_RENEGOTIATION = 90, 100
IDLE = 32  # TLSFLOW_MAX_IDLE_RECORDS



def ask(port, wire_bytes, timeout=20):
    """Send exactly these bytes on a fresh connection; the server's first answer."""
    w = Wire(port)
    try:
        w.send(wire_bytes)
        return first_answer(w, timeout)
    finally:
        w.close()


def expect_hello(answer, what, alpn=None):
    kind, val = answer
    ok = kind == "hello" and val["suite"] == TLS_RSA_WITH_AES_128_GCM_SHA256 and \
        val["compression"] == 0
    if alpn is not None:
        ok = ok and val["alpn"] == alpn
    check(ok, f"{what}: ServerHello with TLS_RSA_WITH_AES_128_GCM_SHA256"
          + (f" and ALPN {alpn}" if alpn else ""), describe(answer)
          + (f", ALPN {val['alpn']}" if kind == "hello" else ""))


def expect_alert(answer, desc, what):
    check(answer == ("alert", (FATAL, desc)), f"{what}: fatal {alert_name(desc)}",
          describe(answer))


def warnings(n):
    return b"".join(record(CT_ALERT, alert(WARNING, (USER_CANCELED, NO_RENEGOTIATION)[i % 2]))
                    for i in range(n))


largest, largest_what = largest_client_hello()
max_sigs, max_sigs_what = largest_client_hello(sig_alg_count=max_sig_algs_count(),
                                               unknown_ext_count=0)
print("largest:", largest_what)
print("largest signature_algorithms:", max_sigs_what)

# ---- 1. huge ClientHellos (HTTP mode: the server offers ALPN http/1.1, http/1.0) --------
# tlsflow-server has no ALPN option: its HTTP mode always configures http/1.1 and
# http/1.0 (server/app/worker.c), its --echo mode none.
with Server() as srv:
    expect_hello(ask(srv.port, records(CT_HANDSHAKE, largest)), "largest ClientHello")
    expect_hello(ask(srv.port, records(CT_HANDSHAKE, max_sigs)),
                 f"ClientHello with {max_sig_algs_count()} signature schemes")
    # Huge only by padding: a plain hello whose extension block is 65,535 bytes.
    exts = basic_exts()
    exts.append(padding_ext(65535 - sum(len(e) for e in exts)))
    padded = client_hello(exts=exts)
    check(len(padded) > 65535, f"padded hello is {len(padded)} bytes")
    expect_hello(ask(srv.port, records(CT_HANDSHAKE, padded)), "ClientHello huge by padding")
    # 1,000 ALPN names, ours last.
    names = [f"x-proto-{i:04d}-{'z' * 40}".encode() for i in range(999)] + [b"http/1.1"]
    exts = basic_exts() + [alpn_ext(names)]
    hello = client_hello(exts=exts)
    expect_hello(ask(srv.port, records(CT_HANDSHAKE, hello)),
                 f"ClientHello with 1,000 ALPN names ({len(hello)} bytes)", alpn="http/1.1")
    # The same hello in one-byte-of-handshake records at the start: fragmentation is free.
    tiny = b"".join(record(CT_HANDSHAKE, hello[i:i + 1]) for i in range(200))
    expect_hello(ask(srv.port, tiny + records(CT_HANDSHAKE, hello[200:])),
                 "the same hello, the first 200 bytes one per record", alpn="http/1.1")

    # ---- 2. before the handshake -------------------------------------------------------
    hello = client_hello()
    expect_hello(ask(srv.port, warnings(IDLE) + record(CT_HANDSHAKE, hello)),
                 f"{IDLE} warning alerts, then a ClientHello")
    expect_alert(ask(srv.port, warnings(IDLE + 1) + record(CT_HANDSHAKE, hello)),
                 UNEXPECTED_MESSAGE, f"{IDLE + 1} warning alerts before the ClientHello")
    # Warnings between the fragments of a ClientHello: 32 in all are still below the limit.
    expect_hello(ask(srv.port, warnings(IDLE // 2) + record(CT_HANDSHAKE, hello[:40])
                     + warnings(IDLE // 2) + record(CT_HANDSHAKE, hello[40:])),
                 f"{IDLE // 2} warnings, half a hello, {IDLE // 2} warnings, the rest")
    # An empty record of each type (RFC 5246 §6.2.1: no zero-length handshake, alert or
    # ChangeCipherSpec fragments; application data only after the handshake; an unknown
    # type is unexpected_message).
    for ct, name, desc in [(CT_HANDSHAKE, "handshake", UNEXPECTED_MESSAGE),
                           (CT_ALERT, "alert", DECODE_ERROR),
                           (CT_CCS, "change_cipher_spec", UNEXPECTED_MESSAGE),
                           (CT_APPDATA, "application_data", UNEXPECTED_MESSAGE),
                           (24, "heartbeat (type 24)", UNEXPECTED_MESSAGE),
                           (0, "type 0", UNEXPECTED_MESSAGE),
                           (255, "type 255", UNEXPECTED_MESSAGE)]:
        expect_alert(ask(srv.port, record(ct, b"")), desc, f"empty {name} record first")
    check(srv.proc.poll() is None, "server alive after the raw ClientHellos")

# ---- the same largest hello to OpenSSL and GnuTLS, for the note --------------------------
CERT, KEY = os.path.join(PKI, "server.pem"), os.path.join(PKI, "server.key")


def peer_answer(cmd, port):
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        if not wait_port(port, timeout=10):
            return "did not start"
        return "; ".join(f"{name}: {describe(ask(port, records(CT_HANDSHAKE, msg)))}"
                         for name, msg in [("largest", largest),
                                           ("max signature_algorithms", max_sigs)])
    finally:
        p.kill()  # our own child, by its PID
        p.wait(timeout=5)


port = free_port()
print("note: openssl s_server answers the largest ClientHellos with:",
      peer_answer(["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-tls1_2", "-cert",
                   CERT, "-key", KEY, "-cipher", "AES128-GCM-SHA256:@SECLEVEL=0", "-www"],
                  port), flush=True)
port = free_port()
print("note: gnutls-serv answers the largest ClientHellos with:",
      peer_answer(["gnutls-serv", "--port", str(port), "--x509certfile", CERT,
                   "--x509keyfile", KEY, "--priority", "NORMAL:+RSA", "--echo"], port),
      flush=True)

# ---- 3. the encrypted part ------------------------------------------------------------------
if not have_crypto():
    print("SKIP: python3-cryptography is missing (Debian package python3-cryptography): "
          "the encrypted part of this test computes TLS keys with it; parts 1-2 ran",
          flush=True)
    if not failures:
        sys.exit(77)
    finish()


def bad_premaster_case(port, name, make, tamper=False):
    """make(client) -> (premaster the client believes, ciphertext or None); tamper: a
    wrong verify_data in our Finished."""
    t = Tls12Client(port)
    try:
        t.hello()
        types = t.server_flight()
        check(types[-1] == HS_SERVER_HELLO_DONE and t.server_key is not None,
              f"{name}: server flight {types}")
        premaster, encrypted = make(t)
        t.key_exchange(premaster, encrypted)
        quiet_cke = t.wire.quiet(0.4)
        t.change_cipher_spec()
        quiet_ccs = t.wire.quiet(0.4)
        t.finished(tamper=tamper)
        recs, closed = t.wire.until_closed(timeout=20)
        check(quiet_cke and quiet_ccs, f"{name}: nothing from the server before our Finished",
              t.wire.buf[:40].hex())
        check(closed and [(r[0], r[2]) for r in recs] == [(CT_ALERT, alert(FATAL, DECRYPT_ERROR))],
              f"{name}: exactly one fatal decrypt_error alert after our Finished, then close",
              [(r[0], r[2].hex()) for r in recs] + [f"closed={closed}"])
    finally:
        t.close()


with Server("--echo") as srv:
    port = srv.port
    t = Tls12Client(port)
    check(t.handshake(), "hand-made TLS_RSA_WITH_AES_128_GCM_SHA256 handshake: server "
          "Finished verifies")
    check(t.server_hello["extensions"].get(0x0017) == b"", "server agreed to extended "
          "master secret")
    t.send(CT_APPDATA, b"ping")
    check(t.recv() == (CT_APPDATA, b"ping"), "echo over our own keys")
    t.close()

    def good_block(t, pm):
        """A valid PKCS#1 v1.5 type 2 block around `pm`: the control for raw encryption."""
        k = t.modulus_len()
        ps = bytes(b % 255 + 1 for b in os.urandom(k - 3 - len(pm)))
        return b"\x00\x02" + ps + b"\x00" + pm

    def pm():
        return b"\x03\x03" + os.urandom(46)

    # The control: a block this script pads itself, through the same raw RSA path.
    t = Tls12Client(port)
    t.hello()
    t.server_flight()
    p = pm()
    t.key_exchange(p, t.rsa_raw(good_block(t, p)))
    t.change_cipher_spec()
    t.finished()
    check(t.server_finish(), "control: a premaster padded here and RSA-encrypted raw works")
    t.close()

    bad_premaster_case(port, "wrong Finished verify_data", lambda t: (None, None), tamper=True)
    cases = [
        ("premaster version 3.1", lambda t: (b"\x03\x01" + os.urandom(46), None)),
        ("premaster version 0.0", lambda t: (b"\x00\x00" + os.urandom(46), None)),
        ("premaster of 47 bytes", lambda t: (b"\x03\x03" + os.urandom(45), None)),
        ("premaster of 49 bytes", lambda t: (b"\x03\x03" + os.urandom(47), None)),
    ]

    def raw_case(block_of):
        def make(t):
            p = pm()
            return p, t.rsa_raw(block_of(t, p))
        return make

    def no_separator(t, p):
        b = bytearray(good_block(t, p))
        b[-49] = 0x01  # the zero byte before the premaster
        return bytes(b)

    def zero_in_padding(t, p):
        b = bytearray(good_block(t, p))
        b[5] = 0x00  # padding string shorter than 8 bytes: the first 0 ends it early
        return bytes(b)

    cases += [
        ("PKCS#1 block type 1", raw_case(lambda t, p: b"\x00\x01" + good_block(t, p)[2:])),
        ("PKCS#1 first byte 1", raw_case(lambda t, p: b"\x01" + good_block(t, p)[1:])),
        ("PKCS#1 no zero separator", raw_case(no_separator)),
        ("PKCS#1 padding string under 8 bytes", raw_case(zero_in_padding)),
        ("random RSA block", raw_case(lambda t, p: b"\x00" + os.urandom(t.modulus_len() - 1))),
    ]
    for name, make in cases:
        bad_premaster_case(port, name, make)

    # ---- records that carry nothing, after the handshake ------------------------------
    def session():
        t = Tls12Client(port)
        if not t.handshake():
            raise RuntimeError("handshake failed")
        return t

    def echo_after(t, idle_records, what):
        t.wire.send(b"".join(t.protect(ct, p) for ct, p in idle_records))
        t.send(CT_APPDATA, b"still here")
        got, seen = b"", []
        while len(got) < len(b"still here"):
            r = t.recv()
            if r is None:
                break
            if r[0] == CT_APPDATA:
                got += r[1]
            else:
                seen.append((r[0], r[1].hex()))
        extra = [s for s in seen if s != (CT_ALERT, alert(WARNING, NO_RENEGOTIATION).hex())]
        check(got == b"still here" and not extra, f"{what}, then data: echoed", (got, seen))
        return seen

    def fails_after(t, idle_records, what):
        t.wire.send(b"".join(t.protect(ct, p) for ct, p in idle_records))
        recs, closed = t.wire.until_closed(timeout=20)
        plain = [(r[0], t.unprotect(r[0], r[2])) for r in recs]
        last = plain[-1] if plain else None
        others = [p for p in plain[:-1] if p != (CT_ALERT, alert(WARNING, NO_RENEGOTIATION))]
        check(closed and last == (CT_ALERT, alert(FATAL, UNEXPECTED_MESSAGE)) and not others,
              f"{what}: fatal unexpected_message, then close",
              [(ct, p.hex()) for ct, p in plain] + [f"closed={closed}"])

    warn = [(CT_ALERT, alert(WARNING, USER_CANCELED))]
    empty = [(CT_APPDATA, b"")]
    reneg = [(CT_HANDSHAKE, client_hello())]

    t = session()
    echo_after(t, warn * IDLE, f"{IDLE} warning alerts")
    echo_after(t, empty * IDLE, f"{IDLE} empty application data records")
    echo_after(t, warn * 16 + empty * 16, "16 warnings + 16 empty records")
    seen = echo_after(t, reneg * IDLE, f"{IDLE} renegotiating ClientHellos")
    check(len(seen) >= 1 and all(s == (CT_ALERT, alert(WARNING, NO_RENEGOTIATION).hex())
                                 for s in seen),
          f"renegotiation refused with warning no_renegotiation ({len(seen)} received)", seen)
    fails_after(t, empty * (IDLE + 1), f"{IDLE + 1} empty application data records")
    t.close()

    t = session()
    fails_after(t, warn * (IDLE + 1), f"{IDLE + 1} warning alerts after the handshake")
    t.close()
    t = session()
    fails_after(t, warn * 20 + empty * 13, "20 warnings + 13 empty records")
    t.close()
    t = session()
    fails_after(t, reneg * (IDLE + 1), f"{IDLE + 1} renegotiating ClientHellos")
    t.close()
    check(srv.proc.poll() is None, "echo server alive after every case")
finish()
