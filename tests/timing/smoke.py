#!/usr/bin/env python3
"""Smoke run of marvin_timing (ctest marvin_smoke): a few hundred samples, no statistics.

Fails unless the harness exits 0 (its own checks: the ciphertexts against OpenSSL, the
engine's master secret for one ciphertext per class, and every sample of every class
ending in the same error and alert) and the CSV is what analysis.py expects: a header of
the class names, then one row per round with a positive time in seconds per class.

    smoke.py MARVIN_TIMING_BINARY WORKDIR
"""
import csv
import math
import os
import subprocess
import sys

ROUNDS = 30  # x 11 classes = 330 timed samples


def fail(msg):
    print("marvin_smoke: FAIL: " + msg)
    sys.exit(1)


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    binary, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    out, cpu = os.path.join(work, "timing.csv"), os.path.join(work, "cpu.csv")
    for path in (out, cpu):
        if os.path.exists(path):
            os.unlink(path)

    names = subprocess.run([binary, "--list"], check=True, capture_output=True, text=True,
                           timeout=30).stdout.split()
    if len(names) < 2 or len(set(names)) != len(names):
        fail("class list %r" % names)

    run = subprocess.run([binary, "--samples", str(ROUNDS), "--pool", "4", "--warmup", "2",
                          "--out", out, "--cpu-out", cpu], capture_output=True, text=True,
                         timeout=280)
    sys.stdout.write(run.stdout)
    if run.returncode != 0:
        sys.stdout.write(run.stderr)
        fail("marvin_timing exited %d" % run.returncode)
    for name in names:
        if not any(line.startswith("check " + name + " ") for line in run.stdout.splitlines()):
            fail("no engine check line for class %s" % name)
    if "every sample of every class" not in run.stdout:
        fail("no same-error verdict in the output")

    wall = check_csv(out, names)
    cpu_time = check_csv(cpu, names)
    # The thread's CPU time is read inside the wall-clock window of the same sample.
    for r, (w_row, c_row) in enumerate(zip(wall, cpu_time), 2):
        for w, c in zip(w_row, c_row):
            if c > w:
                fail("line %d: CPU time %g s over the wall time %g s" % (r, c, w))
    print("marvin_smoke: OK (%d classes x %d rows, two CSVs)" % (len(names), len(wall)))


def check_csv(path, names):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows or rows[0] != names:
        fail("%s: header %r, want %r" % (path, rows[0] if rows else None, names))
    body = rows[1:]
    if len(body) != ROUNDS:
        fail("%s has %d rows, want %d" % (path, len(body), ROUNDS))
    values = []
    for i, row in enumerate(body, 2):
        if len(row) != len(names):
            fail("%s line %d has %d fields, want %d" % (path, i, len(row), len(names)))
        vals = []
        for v in row:
            try:
                t = float(v)
            except ValueError:
                fail("%s line %d: %r is not a number" % (path, i, v))
            if not (math.isfinite(t) and 0 < t < 10):
                fail("%s line %d: %r is not a time in seconds" % (path, i, v))
            vals.append(t)
        values.append(vals)
    return values


if __name__ == "__main__":
    main()
