#!/usr/bin/env python3
"""Split a callgrind profile of one side's engine calls into the engine's own
instructions and the instructions spent in wolfSSL/wolfCrypt.

    cg_split.py CALLGRIND_OUT COUNT [KEY_PREFIX]   (COUNT: handshakes or records collected)

The profile must come from `bench_engine --callgrind SIDE` run under
`valgrind --tool=callgrind --collect-atstart=no --compress-strings=no --compress-pos=no`,
so only the engine calls of one side are collected. Functions are classified by the
source file or object they come from:

  engine  core/src/*.c                      (libtlsflow)
  wolf    wolfSSL sources or libwolfssl.so  (wolfCrypt and wolfSSL's X.509 code)
  other   libc, the benchmark's own timing code

crypto = inclusive instructions of every call from an engine function into a wolf
function; engine_own = inclusive instructions of the benchmark's calls into the engine
minus crypto (libc work the engine asks for, memset/memcpy, counts as the engine's).
Prints "@ key value unit" lines and the wolf entry points by cost.
"""
import collections
import sys


def classify(obj, fil):
    f = fil or ""
    o = obj or ""
    if "/core/src/" in f or f.startswith("core/src/"):
        return "engine"
    if "wolfssl" in f.lower() or "libwolfssl" in o:
        return "wolf"
    if "/tests/bench/" in f or "/tests/support/" in f:
        return "bench"
    return "other"


def parse(path):
    arcs = collections.Counter()  # (caller_kind, callee_kind) -> inclusive Ir
    entry = collections.Counter()  # wolf entry points called by the engine -> Ir
    entry_calls = collections.Counter()
    total = 0
    obj = fil = fn = None
    kind = "other"
    cobj = cfil = cfn = None
    pending_call = None
    with open(path, "r", errors="replace") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not line:
                continue
            if pending_call is not None:
                # the line after calls=: "<pos> <inclusive cost>"
                parts = line.split()
                cost = int(parts[1]) if len(parts) > 1 else 0
                callee_kind = classify(cobj, cfil)
                arcs[(kind, callee_kind)] += cost
                if kind == "engine" and callee_kind == "wolf":
                    entry[pending_call[0]] += cost
                    entry_calls[pending_call[0]] += pending_call[1]
                pending_call = None
                continue
            if line.startswith("summary:"):
                total = int(line.split()[1])
            elif line.startswith("ob="):
                obj = line[3:]
            elif line.startswith("fl="):
                fil = line[3:]
            elif line.startswith("fn="):
                fn = line[3:]
                kind = classify(obj, fil)
                cobj, cfil = obj, fil
            elif line.startswith("cob="):
                cobj = line[4:]
            elif line.startswith(("cfi=", "cfl=")):
                cfil = line[4:]
            elif line.startswith("cfn="):
                cfn = line[4:]
            elif line.startswith("calls="):
                count = int(line[6:].split()[0])
                pending_call = (cfn, count)
            elif line[0].isdigit() or line[0] in "+-*":
                # a self-cost line: resets the callee file/object to the caller's
                cobj, cfil = obj, fil
            elif line.startswith(("fi=", "fe=")):
                pass
    return total, arcs, entry, entry_calls


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    total, arcs, entry, _ = parse(sys.argv[1])
    n = float(sys.argv[2])
    prefix = sys.argv[3] if len(sys.argv) > 3 else "callgrind"
    into_engine = sum(v for (a, b), v in arcs.items() if a != "engine" and b == "engine")
    crypto = arcs[("engine", "wolf")]
    own = into_engine - crypto
    print("   instructions per item: engine calls %.0f = wolfSSL/wolfCrypt %.0f + engine's own %.0f"
          " (own/crypto %.1f%%)" % (into_engine / n, crypto / n, own / n, 100.0 * own / max(crypto, 1)))
    print("   wolfSSL entry points called by the engine (instructions per item):")
    for name, cost in entry.most_common(12):
        print("     %10.0f  %5.1f%%  %s" % (cost / n, 100.0 * cost / max(crypto, 1), name))
    print("@ %s.engine_ir %.0f Ir" % (prefix, into_engine / n))
    print("@ %s.crypto_ir %.0f Ir" % (prefix, crypto / n))
    print("@ %s.own_ir %.0f Ir" % (prefix, own / n))
    print("@ %s.own_ratio %.4f ratio" % (prefix, own / max(crypto, 1)))
    for name, cost in entry.most_common(12):
        key = name.split("(")[0].replace(" ", "_")
        print("@ %s.entry.%s %.0f Ir" % (prefix, key, cost / n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
