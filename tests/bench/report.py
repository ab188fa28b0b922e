#!/usr/bin/env python3
"""Turn ci/bench's results.tsv into the Markdown report (stdout), gnuplot data files and
a gnuplot script (OUT/plot.gp -> OUT/bench.png).

    report.py OUT_DIR ELAPSED_SECONDS

results.tsv lines: "<build> <key> <value> <unit>", build = sys | fast | meta.
"""
import os
import platform
import sys
import time

SUITES = ["rsa-aes128", "rsa-aes256", "ecdhe-rsa-aes128", "ecdhe-rsa-chacha", "ecdhe-ecdsa-aes128",
          "tls13-rsa-aes128", "tls13-ecdsa-aes128"]
SUITE_NAMES = {
    "rsa-aes128": "RSA AES128-GCM",
    "rsa-aes256": "RSA AES256-GCM",
    "ecdhe-rsa-aes128": "ECDHE-RSA AES128-GCM",
    "ecdhe-rsa-chacha": "ECDHE-RSA CHACHA20",
    "ecdhe-ecdsa-aes128": "ECDHE-ECDSA AES128-GCM",
    "tls13-rsa-aes128": "x25519, AES128-GCM, RSA-PSS cert",
    "tls13-ecdsa-aes128": "x25519, AES128-GCM, ECDSA P-256 cert",
}
SUITE_VERSION = {s: "TLS 1.3" if s.startswith("tls13") else "TLS 1.2" for s in SUITES}
# Short names for rows and plots where the version must show.
SHORT_NAMES = {"tls13-rsa-aes128": "TLS 1.3 RSA-PSS", "tls13-ecdsa-aes128": "TLS 1.3 ECDSA"}
# Records do not depend on the certificate: the AEAD and the record layout name them.
RECORD_NAMES = {"tls13-rsa-aes128": "TLS 1.3 AES128-GCM"}
# Socket rows: the handshakes ci/bench runs against every server.
SOCK_SUITES = ["rsa-aes128", "ecdhe-rsa-aes128", "ecdhe-ecdsa-aes128", "tls13-rsa-aes128",
               "tls13-ecdsa-aes128"]
SOCK_NAMES = {
    "rsa-aes128": "RSA key transport, AES128-GCM",
    "ecdhe-rsa-aes128": "ECDHE-RSA (x25519), AES128-GCM",
    "ecdhe-ecdsa-aes128": "ECDHE-ECDSA (x25519, P-256 cert), AES128-GCM",
    "tls13-rsa-aes128": "x25519, AES128-GCM, RSA-PSS cert",
    "tls13-ecdsa-aes128": "x25519, AES128-GCM, ECDSA P-256 cert",
}
BUILDS = [("sys", "system"), ("fast", "fast")]
# Resumed handshakes (issue 12): in process (bench_peers) and over sockets (ci/bench's
# "res" rows, loadgen --resume).
RES_SUITES = ["ecdhe-rsa-aes128", "ecdhe-ecdsa-aes128", "tls13-rsa-aes128", "tls13-ecdsa-aes128"]
RES_SOCK_SUITES = ["ecdhe-rsa-aes128", "tls13-rsa-aes128"]
RES_SOCK_NAMES = {"ecdhe-rsa-aes128": "ECDHE-RSA (x25519), AES128-GCM: ticket, EMS",
                  "tls13-rsa-aes128": "x25519, AES128-GCM: ticket, psk_dhe_ke"}
RES_KINDS = [("tlsflow-fast", "tlsflow-server (fast wolfCrypt)"),
             ("tlsflow-sys", "tlsflow-server (system wolfCrypt)"),
             ("nginx", "nginx 1.22 + OpenSSL 3.0")]
RESUMED_SHARE_MIN = 0.95  # below this a round's server CPU is not a resumed handshake's


def load(out):
    """Keys measured more than once (socket rounds) give their median; lines with a round
    tag (fifth column) are also kept per round."""
    vals, rounds = {}, {}
    with open(os.path.join(out, "results.tsv")) as f:
        for line in f:
            p = line.split()
            if len(p) >= 3:
                try:
                    v = float(p[2])
                except ValueError:
                    continue
                vals.setdefault((p[0], p[1]), []).append(v)
                if len(p) >= 5:
                    rounds.setdefault((p[0], p[1]), {})[p[4]] = v
    r = {}
    for k, v in vals.items():
        v.sort()
        n = len(v)
        r[k] = v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
    return r, rounds


def header_line(out, build, prog, prefix):
    try:
        with open(os.path.join(out, "raw", "%s.%s.txt" % (build, prog))) as f:
            for line in f:
                if line.startswith(prefix):
                    return line.strip()
    except OSError:
        pass
    return ""


def fmt(v, digits=0, unit=""):
    if v is None:
        return "n/a"
    if digits == 0:
        s = "{:,.0f}".format(v)
    else:
        s = "{:,.{d}f}".format(v, d=digits)
    return s + unit


def pct(v):
    return "n/a" if v is None else "{:+.1f}%".format(100 * v)


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def verdict(ok):
    return "n/a" if ok is None else ("**met**" if ok else "**not met**")


def main():
    out = sys.argv[1]
    elapsed = sys.argv[2] if len(sys.argv) > 2 else "?"
    R, RR = load(out)
    g = lambda b, k: R.get((b, k))
    suites = [s for s in SUITES if any(g(b, "engine.%s.server_us" % s) is not None for b, _ in BUILDS)]
    # Instruction splits (callgrind: both versions) and record rows (TLS 1.2 and 1.3).
    cg_suites = [s for s in SUITES if g("fast", "cg.%s.client.own_ratio" % s) is not None
                 or g("fast", "cg.%s.server.own_ratio" % s) is not None]
    rec_suites = [s for s in SUITES
                  if any(g(b, "records.%s.engine_MBps" % s) is not None for b, _ in BUILDS)]
    peer_suites = [s for s in SUITES
                   if any(g(b, "peers.%s.%s.hs_per_s_cpu" % (st, s)) is not None
                          for b, _ in BUILDS for st in ("tlsflow", "wolfssl", "openssl"))]

    def ceiling(b, s):
        if g(b, "peers.ratio.%s.ceiling" % s) is not None:  # median of per-round ratios
            return g(b, "peers.ratio.%s.ceiling" % s)
        wc, ws = g(b, "peers.wolfssl.%s.client_us" % s), g(b, "peers.wolfssl.%s.server_us" % s)
        rc, rs = g(b, "peers.floor.%s.client_us" % s), g(b, "peers.floor.%s.server_us" % s)
        if None in (wc, ws, rc, rs):
            return None
        return (wc + ws) / (rc + rs)
    def vs_wolfssl(b, s):
        """tlsflow's handshakes/s over wolfSSL's: the median of per-round ratios when the
        run has it, else the ratio of the pooled medians."""
        v = g(b, "peers.ratio.%s.tlsflow_wolfssl" % s)
        if v is not None:
            return v
        return ratio(g(b, "peers.tlsflow.%s.hs_per_s_cpu" % s), g(b, "peers.wolfssl.%s.hs_per_s_cpu" % s))

    md = []
    w = md.append

    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    cpu_model = cpu or platform.processor() or "?"
    ncores = os.cpu_count() or 0
    started = g("meta", "started")
    when = time.gmtime(started) if started else time.gmtime()
    w("## Performance (`ci/bench`, %s, %s, %d cores)" % (
        time.strftime("%Y-%m-%d %H:%M UTC", when), cpu_model, ncores))
    w("")
    w("Machine: %s, %d cores, %s, Linux %s. Run time %s s; load average (1 min) %s at the start, "
      "%s at the end (other work may share this machine: figures are medians, socket figures "
      "carry their spread)." % (
          cpu_model, ncores, platform.machine(), platform.release(),
          elapsed, fmt(g("meta", "loadavg_start"), 2), fmt(g("meta", "loadavg_end"), 2)))
    for b, name in BUILDS:
        h = header_line(out, b, "engine", "# bench_engine:")
        if h:
            w("- %s build: %s" % (name, h.split(" on ", 1)[-1].split(";")[0]))
    h = header_line(out, "fast", "peers", "# bench_peers:")
    if h:
        w("- peers: %s" % h.split(";")[-1].strip())
    w("- every in-process figure is a median over many runs of each side's calls (the machine "
      "is shared); hs/s = 1 / (client + server median CPU). The engine's configurations are "
      "declared one-thread (`tlsflow_config_set_one_thread`: one DRBG for all the connections "
      "of a configuration, as an event loop would use it); every row pins its TLS version.")
    w("")

    # ---- handshakes: engine vs its crypto ------------------------------------------------
    w("### TLS 1.2: the engine's handshake cost beside its cryptography (our client vs our server, in memory)")
    w("")
    w("| build | suite | client µs | its raw crypto µs | own cost | server µs | its raw crypto µs | "
      "own cost | own ÷ wolfSSL instructions, client / server |")
    w("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for b, name in BUILDS:
        for s in suites:
            cu, su = g(b, "engine.%s.client_us" % s), g(b, "engine.%s.server_us" % s)
            if cu is None:
                continue
            cr, sr = g(b, "engine.%s.client_raw_us" % s), g(b, "engine.%s.server_raw_us" % s)
            cgc, cgs = g(b, "cg.%s.client.own_ratio" % s), g(b, "cg.%s.server.own_ratio" % s)
            cg = "%s / %s" % (pct(cgc), pct(cgs)) if cgc is not None else "–"
            w("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                name, SUITE_NAMES[s], fmt(cu), fmt(cr), pct(ratio(cu - cr, cr)), fmt(su), fmt(sr),
                pct(ratio(su - sr, sr)), cg))
    w("")
    w("Raw crypto: the operations a full handshake cannot avoid, called on wolfCrypt directly in "
      "the same run, alternating with the engine (RSA-2048 decrypt or sign, public encrypt or "
      "verify, the chain's RSA verify, X25519/P-256, four PRF runs, transcript hashes, two AEAD "
      "keys, DRBG output). Own cost = (side − raw) / raw. Instructions (callgrind, fast build, "
      "repeatable): the engine's own instructions ÷ those inside the wolfSSL calls it makes, "
      "where X.509 parsing and per-call DRBG set-up count as wolfSSL.")
    w("")
    cg13 = [s for s in cg_suites if SUITE_VERSION[s] == "TLS 1.3"]
    if cg13:
        w("### TLS 1.3: the engine's own instructions beside its wolfSSL calls (callgrind, fast build)")
        w("")
        w("| handshake | client | server |")
        w("|---|---:|---:|")
        for s in cg13:
            w("| %s | %s | %s |" % (SUITE_NAMES[s], pct(g("fast", "cg.%s.client.own_ratio" % s)),
                                    pct(g("fast", "cg.%s.server.own_ratio" % s))))
        w("")
        w("As above: our client against our server in memory, x25519 alone, no ticket; the "
          "timed rows of TLS 1.3 are the in-process comparison with the other stacks below.")
        w("")

    # ---- handshakes: stacks side by side ------------------------------------------------
    w("### Full handshakes in process: tlsflow, wolfSSL's TLS and OpenSSL, same certificate, suite and version")
    w("")
    w("| build | version | handshake | tlsflow hs/s (client / server µs) | wolfSSL hs/s (client / server µs) | "
      "OpenSSL hs/s (client / server µs) | tlsflow ÷ wolfSSL | ceiling: wolfSSL ÷ raw crypto | "
      "instructions per handshake, tlsflow / wolfSSL / OpenSSL |")
    w("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for b, name in BUILDS:
        for s in peer_suites:
            cells = []
            for st in ("tlsflow", "wolfssl", "openssl"):
                hs = g(b, "peers.%s.%s.hs_per_s_cpu" % (st, s))
                if hs is None:
                    cells.append("n/a" + (" (no static RSA)" if st == "wolfssl" and b == "sys"
                                          and s.startswith("rsa") else ""))
                else:
                    cells.append("%s (%s / %s)" % (fmt(hs), fmt(g(b, "peers.%s.%s.client_us" % (st, s))),
                                                   fmt(g(b, "peers.%s.%s.server_us" % (st, s)))))
            if all(c.startswith("n/a") for c in cells):
                continue
            rr = vs_wolfssl(b, s)
            lo = g(b, "peers.ratio.%s.tlsflow_wolfssl_min" % s)
            hi = g(b, "peers.ratio.%s.tlsflow_wolfssl_max" % s)
            rr_text = "–"
            if rr:
                rr_text = fmt(rr, 2) + (" (%s–%s)" % (fmt(lo, 2), fmt(hi, 2)) if lo else "")
            irs = [g(b, "cgpeer.%s.%s.ir_per_hs" % (st, s)) for st in ("tlsflow", "wolfssl", "openssl")]
            ir = " / ".join("%.2fM" % (v / 1e6) if v else "–" for v in irs) if any(irs) else "–"
            w("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                name, SUITE_VERSION[s], SUITE_NAMES[s], cells[0], cells[1], cells[2], rr_text,
                fmt(ceiling(b, s), 2) if ceiling(b, s) else "–", ir))
    w("")
    w("hs/s = 1 / (median client CPU + median server CPU) per full handshake, no session reuse, "
      "clients verify chain and host name; the three stacks alternate in nine rounds; TLS 1.3 "
      "rows use x25519 alone (one key share) and no server sends a NewSessionTicket. "
      "tlsflow ÷ wolfSSL: the median (min–max) over rounds of the ratio within each round (the "
      "stacks ran moments apart). Ceiling (TLS 1.2 rows: the raw floor prices TLS 1.2): the best tlsflow ÷ wolfSSL any engine on this wolfCrypt build "
      "can reach, = wolfSSL's handshake time ÷ the raw crypto of both sides in the same round "
      "(an engine at zero cost of its own), median over rounds.")
    w("")

    # ---- records ---------------------------------------------------------------------
    w("### 16 KiB application records (seal + open, one core)")
    w("")
    w("| build | records | tlsflow MB/s | raw AEAD MB/s | ratio | own ÷ AEAD instructions | "
      "tlsflow / wolfSSL / OpenSSL MB/s (alternating) |")
    w("|---|---|---:|---:|---:|---:|---:|")
    for b, name in BUILDS:
        for s in rec_suites:
            e = g(b, "records.%s.engine_MBps" % s)
            if e is None:
                continue
            cg = g(b, "cg.records.%s.own_ratio" % s)
            peers = " / ".join(fmt(g(b, "peers.%s.%s.records_MBps" % (st, s)))
                               for st in ("tlsflow", "wolfssl", "openssl"))
            w("| %s | %s | %s | %s | %s | %s | %s |" % (
                name, RECORD_NAMES.get(s, "TLS 1.2 " + SUITE_NAMES[s]), fmt(e),
                fmt(g(b, "records.%s.raw_MBps" % s)),
                fmt(g(b, "records.%s.ratio" % s), 3), pct(cg) if cg is not None else "–", peers))
    w("")

    # ---- primitives: wolfCrypt beside OpenSSL --------------------------------------------
    prim_ops = [("rsa2048_decrypt", "RSA-2048 private decrypt (PKCS#1 v1.5: RSA key transport)"),
                ("rsa2048_pss_sign", "RSA-2048 sign, PSS (ECDHE-RSA and TLS 1.3 RSA servers)"),
                ("ecdsa_p256_sign", "ECDSA P-256 sign (ECDSA servers)"),
                ("x25519", "X25519 key pair + shared secret (each side, every ECDHE handshake)"),
                ("aes128gcm_16k", "AES-128-GCM seal, 16 KiB"),
                ("chacha20poly1305_16k", "ChaCha20-Poly1305 seal, 16 KiB")]
    if any(g(b, "prims.wolfcrypt.%s.us" % op) is not None for b, _ in BUILDS for op, _ in prim_ops):
        w("### The primitives that bound the targets: wolfCrypt beside OpenSSL 3.0, same run, one core")
        w("")
        w("| primitive | wolfCrypt fast µs | wolfCrypt system µs | OpenSSL µs | fast ÷ OpenSSL rate |")
        w("|---|---:|---:|---:|---:|")
        for op, text in prim_ops:
            f_, s_ = g("fast", "prims.wolfcrypt.%s.us" % op), g("sys", "prims.wolfcrypt.%s.us" % op)
            o_ = g("fast", "prims.openssl.%s.us" % op)
            if o_ is None:
                o_ = g("sys", "prims.openssl.%s.us" % op)
            extra = ""
            if op.endswith("16k"):
                extra = " (%s / %s / %s MB/s)" % tuple(
                    fmt(16384.0 / v) if v else "n/a" for v in (f_, s_, o_))
            w("| %s%s | %s | %s | %s | %s |" % (text, extra, fmt(f_, 1), fmt(s_, 1), fmt(o_, 1),
                                                fmt(ratio(o_, f_), 2)))
        w("")
        w("`bench_prims`: the same keys as the handshakes (the fixtures' RSA-2048 and P-256 "
          "keys), medians of 7 rounds in which the two libraries alternate. A rate below 1 "
          "caps every target that needs that operation: an RSA handshake's server CPU is "
          "mostly one RSA-2048 private operation.")
        w("")

    # ---- sockets ---------------------------------------------------------------------
    kinds = [("tlsflow-fast", "tlsflow-server (fast wolfCrypt)"),
             ("tlsflow-sys", "tlsflow-server (system wolfCrypt)"),
             ("nginx", "nginx 1.22 + OpenSSL 3.0"), ("s_server", "openssl s_server 3.0")]

    def per_round(b, key):
        return RR.get((b, key), {})

    def round_ratios(num_key, den_key, b="fast"):
        """Per-round num/den (both measured in the same round), as a list."""
        a, d = per_round(b, num_key), per_round(b, den_key)
        return [a[r] / d[r] for r in a if r in d and d[r]]

    def med_spread(vals):
        if not vals:
            return None, None, None
        v = sorted(vals)
        n = len(v)
        m = v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
        return m, v[0], v[-1]

    def ms(vals, digits=0):
        m, lo, hi = med_spread(vals)
        if m is None:
            return "n/a"
        return "%s (%s–%s)" % (fmt(m, digits), fmt(lo, digits), fmt(hi, digits))

    def rounds_of(b, key):
        return list(per_round(b, key).values())

    n_rounds = max([len(per_round("fast", "sock.%s.%s.hs_per_s" % (k, s)))
                    for k, _ in kinds for s in SOCK_SUITES] + [0])
    sock_rows = []
    for s in SOCK_SUITES:
        for k, kname in kinds:
            hs = rounds_of("fast", "sock.%s.%s.hs_per_s" % (k, s))
            if not hs:
                continue
            sock_rows.append((k, kname, s))
    if sock_rows:
        w("### Sockets: loopback, one server thread, %s (%d cores) shared with the load generator"
          % (cpu_model, ncores))
        w("")
        w("Each figure: median (min–max) of %d rounds; in each round every server runs every "
          "handshake for 2 s under our load generator (OpenSSL 3.0 client, 32 connections in "
          "flight, full handshakes, no session reuse, close_notify), the servers taking turns in "
          "an order that rotates each round. Server CPU per handshake is utime+stime of the "
          "server process(es) from /proc over the measurement; the load generator runs on the "
          "same two cores, so handshakes/s is capped by the client too and server CPU is the "
          "figure to compare. “÷ nginx” is nginx's CPU per handshake over the server's, taken "
          "within each round (> 1: cheaper than nginx)." % n_rounds)
        w("")
        w("| version | handshake | server | handshakes/s | server CPU µs / handshake | ÷ nginx (CPU, per round) | failed |")
        w("|---|---|---|---:|---:|---:|---:|")
        for k, kname, s in sock_rows:
            cpu_key = "sock.%s.%s.server_cpu_us" % (k, s)
            vs = "–"
            if k != "nginx":
                vs = ms(round_ratios("sock.nginx.%s.server_cpu_us" % s, cpu_key), 2)
            failed = sum(rounds_of("fast", "sock.%s.%s.failed" % (k, s)))
            w("| %s | %s | %s | %s | %s | %s | %s |" % (
                SUITE_VERSION[s], SOCK_NAMES[s], kname,
                ms(rounds_of("fast", "sock.%s.%s.hs_per_s" % (k, s))),
                ms(rounds_of("fast", cpu_key)), vs, fmt(failed)))
        w("")

    # ---- resumed handshakes (issue 12) ------------------------------------------------------
    def res_round(k, s, what):
        return per_round("fast", "res.%s.%s.%s" % (k, s, what))

    def res_cpu(k, s):
        """Server CPU per handshake by round, only rounds with >= 95% resumed handshakes."""
        ok = res_round(k, s, "resumed_ok")
        return {r: v for r, v in res_round(k, s, "server_cpu_us").items() if ok.get(r) == 1}

    def res_dropped(k, s):
        """Rounds whose server CPU is not a resumed handshake's (under 95% resumed)."""
        ok = res_round(k, s, "resumed_ok")
        return sorted(r for r in res_round(k, s, "server_cpu_us") if ok.get(r) != 1)

    def res_vs_nginx(k, s):
        """Per round: the server's CPU per resumed handshake over nginx's (< 1: cheaper)."""
        t, n = res_cpu(k, s), res_cpu("nginx", s)
        return [t[r] / n[r] for r in t if r in n and n[r]]

    res_peer = [(b, name, s) for b, name in BUILDS for s in RES_SUITES
                if any(g(b, "peers.%s.%s.resumed_hs_per_s_cpu" % (st, s)) is not None
                       for st in ("tlsflow", "openssl"))]
    res_sock = [(k, kn, s) for s in RES_SOCK_SUITES for k, kn in RES_KINDS
                if res_round(k, s, "hs_per_s")]
    if res_peer or res_sock:
        w("### Resumed handshakes (session tickets; issue 12)")
        w("")
    if res_peer:
        w("| build | version | handshake | tlsflow hs/s (client / server µs) | "
          "OpenSSL hs/s (client / server µs) | tlsflow ÷ OpenSSL hs/s (per round) |")
        w("|---|---|---|---:|---:|---:|")
        for b, name, s in res_peer:
            cells = []
            for st in ("tlsflow", "openssl"):
                hs = g(b, "peers.%s.%s.resumed_hs_per_s_cpu" % (st, s))
                if hs is None:
                    failed = g(b, "peers.%s.%s.resumed_na" % (st, s)) is not None
                    cells.append("**failed** (see raw/%s.peers.txt)" % b if failed else "n/a")
                else:
                    cells.append("%s (%s / %s)" % (
                        fmt(hs), fmt(g(b, "peers.%s.%s.resumed_client_us" % (st, s)), 1),
                        fmt(g(b, "peers.%s.%s.resumed_server_us" % (st, s)), 1)))
            v = g(b, "peers.ratio.%s.resumed_tlsflow_openssl" % s)
            lo = g(b, "peers.ratio.%s.resumed_tlsflow_openssl_min" % s)
            hi = g(b, "peers.ratio.%s.resumed_tlsflow_openssl_max" % s)
            rr = "–" if v is None else "%s (%s–%s)" % (fmt(v, 2), fmt(lo, 2), fmt(hi, 2))
            w("| %s | %s | %s | %s | %s | %s |" % (name, SUITE_VERSION[s], SUITE_NAMES[s],
                                                   cells[0], cells[1], rr))
        w("")
        w("In process, in memory, as the full handshakes above (same suites, certificates and "
          "version, CPU of each side's library calls, nine alternating rounds): one full "
          "handshake makes a session, then every measured handshake offers the newest one (a "
          "fresh ticket each time, as a client keeping its latest session) and is checked to "
          "have resumed on both sides (tlsflow_info.resumed, SSL_session_reused; a full one "
          "fails the run). Tickets only, on both stacks: no session cache, TLS 1.2 tickets with "
          "the extended master secret, TLS 1.3 tickets with psk_dhe_ke (a fresh x25519 "
          "exchange, no signature). The client's time includes importing (tlsflow) or setting "
          "(OpenSSL) the session and taking the new one; in TLS 1.3 it includes reading the "
          "NewSessionTicket: tlsflow's server sends two per handshake (its default), "
          "OpenSSL's one after a resumption.")
        w("")
    if res_sock:
        w("| version | resumed handshake | server | handshakes/s | server CPU µs / resumed "
          "handshake | server CPU ÷ nginx's (per round) | resumed (lowest round) | failed |")
        w("|---|---|---|---:|---:|---:|---:|---:|")
        for k, kn, s in res_sock:
            shares = list(res_round(k, s, "resumed_share").values())
            dropped = res_dropped(k, s)
            share = "n/a" if not shares else "{:.1f}%".format(100 * min(shares))
            if dropped:
                share += " **under 95%% in round %s: its CPU left out**" % ", ".join(dropped)
            vs = "–" if k == "nginx" else ms(res_vs_nginx(k, s), 2)
            w("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
                SUITE_VERSION[s], RES_SOCK_NAMES[s], kn, ms(rounds_of("fast", "res.%s.%s.hs_per_s" % (k, s))),
                ms(list(res_cpu(k, s).values())), vs, share,
                fmt(sum(rounds_of("fast", "res.%s.%s.failed" % (k, s))))))
        w("")
        w("Over loopback sockets, in the same rotating rounds as the full handshakes: right "
          "after its full-handshake rows each server runs again with session tickets on "
          "(tlsflow-server's defaults; nginx with `ssl_session_tickets on` and "
          "`ssl_session_cache off`, so that both resume from tickets alone) under `loadgen "
          "--resume`: 32 connection slots, each offering the newest session its previous "
          "connection got (one full handshake per slot before the measurement; in TLS 1.3 a "
          "connection waits for the NewSessionTicket before it closes). Server CPU per "
          "handshake as above, counted only in rounds where at least 95% of the handshakes "
          "resumed; “÷ nginx's” is the server's CPU per resumed handshake over nginx's in the "
          "same round (< 1: cheaper; the target is ≤ 0.7).")
        w("")

    # ---- all cores ---------------------------------------------------------------------
    mt_kinds = [("tlsflow-auto", "tlsflow-server --threads auto (fast wolfCrypt)"),
                ("tlsflow-auto-keys", "tlsflow-server --threads auto --key-threads 2 (fast)"),
                ("nginx-auto", "nginx worker_processes auto")]
    mt_rows = [(k, kn, s) for s in SOCK_SUITES for k, kn in mt_kinds
               if rounds_of("fast", "mt.%s.%s.hs_per_s" % (k, s))]
    if mt_rows:
        w("### All cores: %d event loops or workers on %s (%d cores), the load generator on the "
          "same cores" % (ncores, cpu_model, ncores))
        w("")
        w("64 connections in flight, otherwise as above. On these %d cores the load generator "
          "(one thread, OpenSSL client: it verifies nothing but still does its half of every "
          "handshake) takes a share of the CPU the servers would use, so handshakes/s here is "
          "what the server gets beside it, not what it can do alone; server CPU per handshake "
          "and the cores the server used (CPU seconds per second) are given beside the rate."
          % ncores)
        w("")
        w("| version | handshake | server | handshakes/s | server CPU µs / handshake | server cores used | client CPU µs / handshake | failed |")
        w("|---|---|---|---:|---:|---:|---:|---:|")
        for k, kn, s in mt_rows:
            w("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
                SUITE_VERSION[s], SOCK_NAMES[s], kn,
                ms(rounds_of("fast", "mt.%s.%s.hs_per_s" % (k, s))),
                ms(rounds_of("fast", "mt.%s.%s.server_cpu_us" % (k, s))),
                ms(rounds_of("fast", "mt.%s.%s.server_cpu_share" % (k, s)), 2),
                ms(rounds_of("fast", "mt.%s.%s.client_cpu_us" % (k, s))),
                fmt(sum(rounds_of("fast", "mt.%s.%s.failed" % (k, s))))))
        w("")

    # ---- latency under load ------------------------------------------------------------
    lat_rows = []
    for b, name in BUILDS:
        for mode, mname in (("loop", "on the event loop"),
                            ("threads", "on 2 worker threads (`--key-threads 2`)")):
            if g(b, "lat.%s.rtt_p99_us" % mode) is None:
                continue
            lat_rows.append((name, mname, g(b, "lat.%s.hs_per_s" % mode),
                             g(b, "lat.%s.rtt_p50_us" % mode), g(b, "lat.%s.rtt_p99_us" % mode),
                             g(b, "lat.%s.rtt_max_us" % mode), g(b, "lat.%s.samples" % mode),
                             g(b, "lat.%s.failed" % mode)))
    if lat_rows:
        w("### Latency under load: a small echo on an established connection while 300 RSA-2048 "
          "handshakes/s arrive (issue 10)")
        w("")
        w("| tlsflow-server | private-key operations | handshakes/s (asked: 300) | echo p50 µs | "
          "p99 µs | max µs | round trips | failed handshakes |")
        w("|---|---|---:|---:|---:|---:|---:|---:|")
        for name, mname, hs, p50, p99, mx, n, failed in lat_rows:
            w("| %s wolfCrypt | %s | %s | %s | %s | %s | %s | %s |" % (
                name, mname, fmt(hs), fmt(p50), fmt(p99), fmt(mx), fmt(n), fmt(failed)))
        w("")
        w("`tlsflow-server --echo`; one connection sends 32 bytes every 5 ms and times the echo "
          "while `loadgen --rate 300` opens full TLS_RSA_WITH_AES_128_GCM_SHA256 handshakes "
          "(the server's RSA-2048 decryption is the key operation), open loop, at most 64 in "
          "flight. Fast build: medians of two alternating runs; system build: one run. The "
          "load generator shares the two cores with the server.")
        w("")

    # ---- memory ------------------------------------------------------------------------
    w("### Memory per established idle connection")
    w("")
    w("| what | client | server |")
    w("|---|---:|---:|")
    for b, name in BUILDS:
        c, s_ = g(b, "memory.rsa-aes128.client_bytes"), g(b, "memory.rsa-aes128.server_bytes")
        if c is not None:
            w("| tlsflow_conn_memory (%s build), default mode | %s B | %s B |" % (name, fmt(c), fmt(s_)))
        c, s_ = g(b, "memory.rsa-aes128.client_idle_bytes"), g(b, "memory.rsa-aes128.server_idle_bytes")
        if c:
            w("| tlsflow_conn_memory (%s build), idle in release mode (as tlsflow-server) | %s B | %s B |"
              % (name, fmt(c), fmt(s_)))
    for stack, sname in (("openssl", "OpenSSL libssl, heap in use (release buffers on)"),
                         ("wolfssl", "wolfSSL, heap in use")):
        c, s_ = g("fast", "peers.%s.rsa-aes128.mem_client" % stack), g(
            "fast", "peers.%s.rsa-aes128.mem_server" % stack)
        if c is not None:
            w("| %s | %s B | %s B |" % (sname, fmt(c), fmt(s_)))
    for k, kname in (("tlsflow-fast", "tlsflow-server"), ("nginx", "nginx (worker)")):
        for n in (1000, 10000):
            v = g("fast", "idle.%s.%d.bytes_per_conn" % (k, n))
            if v is not None:
                w("| %s RSS growth / connection, %s idle | | %s B |" % (kname, fmt(n), fmt(v)))
            skipped = g("fast", "idle.%s.%d.skipped_nofile" % (k, n))
            if skipped is not None:
                w("| %s, %s idle | | skipped: open-file limit %s |" % (kname, fmt(n), fmt(skipped)))
    w("")

    # ---- targets -------------------------------------------------------------------------
    w("### Targets (issues 6, 12 and 17)")
    w("")
    w("A verdict is **met** only when the whole spread (min–max over rounds) is on the right "
      "side of the target, **noisy** when the spread straddles it, **not met** otherwise.")
    w("")
    w("| target | measured: median (min–max) | verdict |")
    w("|---|---|---|")

    def spread_verdict(vals, target):
        m, lo, hi = med_spread(vals)
        if m is None:
            return "n/a"
        return "**met**" if lo >= target else "**not met**" if hi < target else "**noisy**"

    def spreads_verdict_le(spreads, target):
        """(lo, hi) per item, each to be at most target: met when every whole spread is."""
        if not spreads:
            return "n/a"
        if all(hi <= target for _, hi in spreads):
            return "**met**"
        return "**not met**" if any(lo > target for lo, _ in spreads) else "**noisy**"

    # 1: own CPU <= 5% of crypto, every suite (instructions, fast build; time for both)
    worst_cg, worst_t = None, None
    cg_parts = []
    for s in cg_suites:
        for side in ("client", "server"):
            v = g("fast", "cg.%s.%s.own_ratio" % (s, side))
            if v is not None:
                cg_parts.append("%s %s %s" % (s, side, pct(v)))
                worst_cg = v if worst_cg is None else max(worst_cg, v)
            v = g("fast", "engine.%s.%s_overhead" % (s, side))
            if v is not None:
                worst_t = v if worst_t is None else max(worst_t, v)
    w("| engine's own CPU ≤ 5%% of its crypto, every suite of both versions (instructions, fast; "
      "repeatable, no spread) | worst %s (%s) | %s |"
      % (pct(worst_cg), "; ".join(cg_parts) or "not measured",
         verdict(None if worst_cg is None else worst_cg <= 0.05)))
    # 2: records >= 0.95x raw (time) and the instruction split (repeatable)
    for b, name in BUILDS:
        vals = [(s, g(b, "records.%s.ratio" % s)) for s in rec_suites
                if g(b, "records.%s.ratio" % s)]
        if vals:
            worst = min(v for _, v in vals)
            w("| records ≥ 0.95× raw AEAD, time (%s; median of 9 per-round ratios) | %s | %s |" % (
                name, ", ".join("%s %.3f" % (s, v) for s, v in vals), verdict(worst >= 0.95)))
    # 3: hs/s >= 1.2x wolfSSL (bench_peers, alternating), per-round spread
    for b, name in BUILDS:
        parts, vals_all = [], []
        for s in peer_suites:
            v = g(b, "peers.ratio.%s.tlsflow_wolfssl" % s)
            if v is None:
                if g(b, "peers.tlsflow.%s.hs_per_s_cpu" % s) is not None:
                    parts.append("%s: wolfSSL has no such suite" % s)
                continue
            lo = g(b, "peers.ratio.%s.tlsflow_wolfssl_min" % s)
            hi = g(b, "peers.ratio.%s.tlsflow_wolfssl_max" % s)
            c = ceiling(b, s)
            parts.append("%s %.2f× (%s–%s)%s" % (s, v, fmt(lo, 2), fmt(hi, 2),
                                                 ", ceiling %.2f" % c if c else ""))
            vals_all.append((s, lo if lo is not None else v, hi if hi is not None else v))
        if not vals_all:
            continue
        lo_all = min(x[1] for x in vals_all)
        hi_min = min(x[2] for x in vals_all)
        vd = "**met**" if lo_all >= 1.2 else "**not met**" if hi_min < 1.2 else "**noisy**"
        w("| handshakes/s ≥ 1.2× wolfSSL's TLS in process, same build, every suite (%s; per-round "
          "ratios over 9 rounds) | %s | %s |" % (name, "; ".join(parts), vd))
        ecd = [x for x in vals_all if x[0] in ("ecdhe-ecdsa-aes128", "tls13-ecdsa-aes128")]
        if ecd:
            lo_e, hi_e = min(x[1] for x in ecd), min(x[2] for x in ecd)
            vd = "**met**" if lo_e >= 1.2 else "**not met**" if hi_e < 1.2 else "**noisy**"
            w("| … the ECDSA handshakes (issue 17 item 2: where the engine's share shows; %s) "
              "| %s | %s |" % (name, "; ".join(p for p in parts if "ecdsa" in p), vd))
    # 4: sockets against nginx, server CPU per handshake, per round
    rsa_note = ""
    wf, ws_, wo = (g("fast", "prims.wolfcrypt.rsa2048_pss_sign.us"),
                   g("sys", "prims.wolfcrypt.rsa2048_pss_sign.us"),
                   g("fast", "prims.openssl.rsa2048_pss_sign.us"))
    if wf and wo:
        rsa_note = ("limited by wolfCrypt: its RSA-2048 private operation takes %s µs (fast) / %s µs "
                    "(system) against OpenSSL's %s µs in this run (%.2f× OpenSSL's rate), and an "
                    "RSA server makes one per handshake" % (fmt(wf), fmt(ws_), fmt(wo), wo / wf))
    for s in SOCK_SUITES:
        for k, kname in (("tlsflow-fast", "fast"), ("tlsflow-sys", "system")):
            vals = round_ratios("sock.nginx.%s.server_cpu_us" % s, "sock.%s.%s.server_cpu_us" % (k, s))
            if not vals:
                continue
            is_rsa = "ecdsa" not in s
            if k == "tlsflow-sys" and is_rsa:
                continue  # Debian's wolfCrypt: RSA is ~4x OpenSSL's cost, nothing to judge
            t = rounds_of("fast", "sock.%s.%s.server_cpu_us" % (k, s))
            n = rounds_of("fast", "sock.nginx.%s.server_cpu_us" % s)
            what = "%s %s: handshakes per server CPU second ≥ nginx's (%s build)" % (
                SUITE_VERSION[s], SOCK_NAMES[s], kname)
            meas = "%s× nginx's rate; tlsflow %s µs vs nginx %s µs" % (ms(vals, 2), ms(t), ms(n))
            vd = spread_verdict(vals, 1.0)
            if is_rsa and rsa_note:
                meas += "; " + rsa_note
            w("| %s | %s | %s |" % (what, meas, vd))
    # 4b: resumed handshakes (issue 12): in process against OpenSSL, per-round ratios
    for b, name in BUILDS:
        parts, spreads = [], []
        for s in RES_SUITES:
            v = g(b, "peers.ratio.%s.resumed_tlsflow_openssl" % s)
            if v is None:
                if g(b, "peers.tlsflow.%s.resumed_na" % s) is not None or \
                        g(b, "peers.openssl.%s.resumed_na" % s) is not None:
                    parts.append("%s: failed" % s)
                    spreads.append((0.0, 0.0))
                continue
            lo = g(b, "peers.ratio.%s.resumed_tlsflow_openssl_min" % s)
            hi = g(b, "peers.ratio.%s.resumed_tlsflow_openssl_max" % s)
            parts.append("%s %.2f× (%s–%s)" % (s, v, fmt(lo, 2), fmt(hi, 2)))
            spreads.append((lo if lo is not None else v, hi if hi is not None else v))
        if not spreads:
            continue
        lo_all, hi_min = min(x[0] for x in spreads), min(x[1] for x in spreads)
        vd = "**met**" if lo_all >= 1.5 else "**not met**" if hi_min < 1.5 else "**noisy**"
        w("| resumed handshakes/s in process ≥ 1.5× OpenSSL (%s build; TLS 1.2 and 1.3 "
          "tickets, per-round ratios over 9 rounds) | %s | %s |" % (name, "; ".join(parts), vd))
    # 4c: resumed handshakes over sockets against nginx, fast build
    parts, spreads = [], []
    for s in RES_SOCK_SUITES:
        vals = res_vs_nginx("tlsflow-fast", s)
        if not vals:
            continue
        m, lo, hi = med_spread(vals)
        note = ""
        dropped = sorted(set(res_dropped("tlsflow-fast", s)) | set(res_dropped("nginx", s)))
        if dropped:
            note = ", round %s left out (under 95%% resumed)" % ", ".join(dropped)
        parts.append("%s %s: %s× nginx's; tlsflow %s µs vs nginx %s µs%s" % (
            SUITE_VERSION[s], s, ms(vals, 2), ms(list(res_cpu("tlsflow-fast", s).values())),
            ms(list(res_cpu("nginx", s).values())), note))
        spreads.append((lo, hi))
    if spreads or any(res_round(k, s, "hs_per_s") for k in ("tlsflow-fast", "nginx")
                      for s in RES_SOCK_SUITES):
        w("| server CPU per resumed handshake ≤ 0.7× nginx's (fast build; sockets, TLS 1.2 and "
          "1.3 tickets, per-round ratios) | %s | %s |" % (
              "; ".join(parts) or "no round with ≥ 95% resumed on both servers",
              spreads_verdict_le(spreads, 0.7)))
    # 5: the server wrapper's own cost (issue 17 item 1)
    for s in ("ecdhe-ecdsa-aes128", "tls13-ecdsa-aes128", "ecdhe-rsa-aes128", "tls13-rsa-aes128"):
        ti = g("fast", "peers.tlsflow.%s.server_us" % s)
        oi = g("fast", "peers.openssl.%s.server_us" % s)
        t = per_round("fast", "sock.tlsflow-fast.%s.server_cpu_us" % s)
        n = per_round("fast", "sock.nginx.%s.server_cpu_us" % s)
        if ti is None or oi is None or not t or not n:
            continue
        tw = [t[r] - ti for r in t]
        nw = [n[r] - oi for r in n]
        diff = [(n[r] - oi) - (t[r] - ti) for r in t if r in n]  # > 0: ours is smaller
        w("| server wrapper: CPU per handshake beyond the in-process engine ≤ nginx's beyond "
          "OpenSSL in process (%s %s, fast) | tlsflow-server %s µs beyond %s µs in process; "
          "nginx %s µs beyond %s µs; nginx's minus ours %s µs | %s |" % (
              SUITE_VERSION[s], SOCK_NAMES[s], ms(tw), fmt(ti), ms(nw), fmt(oi), ms(diff),
              spread_verdict(diff, 0.0)))
    # 6: in process vs OpenSSL, ECDHE server CPU
    for s in ("ecdhe-rsa-aes128", "ecdhe-ecdsa-aes128", "tls13-rsa-aes128", "tls13-ecdsa-aes128"):
        e = g("fast", "peers.tlsflow.%s.server_us" % s)
        o = g("fast", "peers.openssl.%s.server_us" % s)
        if e and o:
            note = "; " + rsa_note if "rsa" in s and rsa_note else ""
            w("| fast: %s %s server handshake CPU ≤ OpenSSL's, in process (medians of 9 alternating "
              "rounds) | tlsflow %s µs vs OpenSSL %s µs: %.2f×%s | %s |" % (
                  SUITE_VERSION[s], SOCK_NAMES[s], fmt(e), fmt(o), o / e, note,
                  verdict(o / e >= 1.0)))
    cf, co = g("fast", "prims.wolfcrypt.chacha20poly1305_16k.MBps"), g(
        "fast", "prims.openssl.chacha20poly1305_16k.MBps")
    for s_ in ("ecdhe-rsa-aes128", "ecdhe-rsa-chacha"):
        e = g("fast", "peers.tlsflow.%s.records_MBps" % s_)
        o = g("fast", "peers.openssl.%s.records_MBps" % s_)
        if e and o:
            note = ""
            if "chacha" in s_ and cf and co:
                note = ("; limited by wolfCrypt: raw ChaCha20-Poly1305 seal %s MB/s vs OpenSSL's "
                        "%s MB/s in this run" % (fmt(cf), fmt(co)))
            w("| fast: bulk MB/s ≥ OpenSSL's record layer (nginx's), TLS 1.2 %s (medians of 9 "
              "alternating rounds) | tlsflow %s vs OpenSSL %s MB/s: %.2f×%s | %s |" % (
                  SUITE_NAMES[s_], fmt(e), fmt(o), e / o, note, verdict(e / o >= 1.0)))
    sizes = [(n, g("fast", "idle.tlsflow-fast.%d.bytes_per_conn" % n)) for n in (1000, 10000)]
    sizes = [(n, v) for n, v in sizes if v is not None]
    m = g("fast", "memory.rsa-aes128.server_idle_bytes")
    if sizes or m is not None:
        ok = None if not sizes else all(v <= 8192 for _, v in sizes)
        w("| memory per idle connection ≤ 8 KiB in the server (one run each) | RSS growth %s; "
          "engine connection when idle %s B | %s |" % (
              ", ".join("%s B/conn at %s" % (fmt(v), fmt(n)) for n, v in sizes) or "–",
              fmt(m), verdict(ok)))
    w("")
    w("Reproduce: `ci/bench` (fresh Debian 12 machine: installs what it needs; this run took "
      "%s s)." % elapsed)
    print("\n".join(md))

    # ---- plot --------------------------------------------------------------------------
    def dat(name, rows):
        path = os.path.join(out, name)
        with open(path, "w") as f:
            for row in rows:
                f.write(" ".join('"%s"' % c if isinstance(c, str) else ("%.6g" % c if c is not None else "NaN")
                                 for c in row) + "\n")
        return path

    hs_rows = []
    for s in peer_suites:
        row = [{"tls13-rsa-aes128": "TLS 1.3 RSA-PSS",
                "tls13-ecdsa-aes128": "TLS 1.3 ECDSA"}.get(s, SUITE_NAMES[s])]
        for b, _ in BUILDS:
            row.append(g(b, "peers.tlsflow.%s.hs_per_s_cpu" % s))
            row.append(g(b, "peers.wolfssl.%s.hs_per_s_cpu" % s))
        row.append(g("fast", "peers.openssl.%s.hs_per_s_cpu" % s))
        row.append(g("fast", "peers.floor.%s.hs_per_s_cpu" % s))
        hs_rows.append(row)
    rec_rows = []
    for s in rec_suites:
        if g("fast", "records.%s.engine_MBps" % s) is None:
            continue
        rec_rows.append([RECORD_NAMES.get(s, SUITE_NAMES[s]), g("sys", "records.%s.engine_MBps" % s),
                         g("sys", "records.%s.raw_MBps" % s), g("fast", "records.%s.engine_MBps" % s),
                         g("fast", "records.%s.raw_MBps" % s),
                         g("fast", "peers.openssl.%s.records_MBps" % s)])
    short = {"rsa-aes128": "1.2 RSA", "ecdhe-rsa-aes128": "1.2 ECDHE-RSA",
             "ecdhe-ecdsa-aes128": "1.2 ECDSA", "tls13-rsa-aes128": "1.3 RSA",
             "tls13-ecdsa-aes128": "1.3 ECDSA"}
    sock = []
    for s in SOCK_SUITES:
        row = [short[s]]
        for k in ("tlsflow-fast", "tlsflow-sys", "nginx", "s_server"):
            row.append(med_spread(rounds_of("fast", "sock.%s.%s.server_cpu_us" % (k, s)))[0])
        sock.append(row)
    f_hs = dat("plot_hs.dat", hs_rows)
    f_rec = dat("plot_rec.dat", rec_rows)
    f_sock = dat("plot_sock.dat", sock or [["none", 0]])
    png = os.path.join(out, "bench.png")
    own_rows = [[SHORT_NAMES.get(s, SUITE_NAMES[s]), g("fast", "cg.%s.client.own_ratio" % s),
                 g("fast", "cg.%s.server.own_ratio" % s)] for s in cg_suites]
    f_own = dat("plot_own.dat", own_rows)

    def series(path, rows, titles, extra=""):
        """A histogram plot command over the columns that hold at least one value."""
        cols = [(i + 2, t) for i, t in enumerate(titles)
                if any(len(r) > i + 1 and r[i + 1] is not None for r in rows)]
        if not rows or not cols:
            return "set label 1 'no data' at graph 0.5, 0.5 center\nplot 0 notitle\nunset label 1"
        parts = []
        for k, (c, t) in enumerate(cols):
            src = "'%s'" % path if k == 0 else "''"
            parts.append("%s using %d%s title '%s'" % (src, c, ":xtic(1)" if k == 0 else "", t))
        return "plot " + ", ".join(parts) + extra

    gp = "\n".join([
        'set terminal pngcairo size 1400,900 font ",10" noenhanced',
        "set output '%s'" % png,
        'set multiplot layout 2,2 title "tlsflow ci/bench %s"' % time.strftime("%Y-%m-%d"),
        "set yrange [0:*]",
        "set style data histogram",
        "set style histogram clustered gap 1",
        "set style fill solid 0.8 border -1",
        "set boxwidth 0.9",
        'set key top left font ",8"',
        "set grid ytics",
        'set xtics rotate by -20 font ",8"',
        'set title "Full handshakes/s in process (CPU of both sides)"',
        series(f_hs, hs_rows, ["tlsflow (system)", "wolfSSL (system)", "tlsflow (fast)",
                               "wolfSSL (fast)", "OpenSSL 3.0", "raw crypto floor (fast)"]),
        'set key top right',
        'set title "16 KiB records, MB/s (seal + open)"',
        series(f_rec, rec_rows, ["tlsflow (system)", "raw AEAD (system)", "tlsflow (fast)",
                                 "raw AEAD (fast)", "OpenSSL 3.0"]),
        'set key top left',
        'set title "Server CPU per handshake over loopback sockets (us, lower is better)"',
        series(f_sock, sock, ["tlsflow-server (fast)", "tlsflow-server (system)", "nginx",
                              "openssl s_server"]),
        "set title \"Engine's own instructions / its wolfSSL calls' (callgrind, fast; target 0.05)\"",
        "set key top left",
        series(f_own, own_rows, ["client", "server"],
               ", 0.05 with lines dt 2 lc rgb 'red' title 'target'"),
        "unset multiplot", ""])
    with open(os.path.join(out, "plot.gp"), "w") as f:
        f.write(gp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
