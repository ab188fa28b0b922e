#!/usr/bin/env python3
"""Two ci/bench runs side by side: the targets table of each run's results.md, row by row,
so that a second run shows whether it reproduces the first one's verdicts.

    compare_runs.py OUT_DIR_1 OUT_DIR_2 [LABEL_1 LABEL_2]

Prints a Markdown table: target | run 1 measured | verdict | run 2 measured | verdict |
same verdict. Rows are matched by their target text.
"""
import os
import sys


def targets(out):
    rows, inside = {}, False
    order = []
    with open(os.path.join(out, "results.md")) as f:
        for line in f:
            if line.startswith("### Targets"):
                inside = True
                continue
            if inside and line.startswith("### "):
                break
            if not inside or not line.startswith("| ") or line.startswith("| target") \
                    or line.startswith("|---"):
                continue
            cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
            if len(cells) >= 3:
                rows[cells[0]] = (" | ".join(cells[1:-1]), cells[-1])
                order.append(cells[0])
    return order, rows


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    l1, l2 = (sys.argv[3], sys.argv[4]) if len(sys.argv) > 4 else ("run 1", "run 2")
    o1, r1 = targets(sys.argv[1])
    o2, r2 = targets(sys.argv[2])
    print("| target | %s | verdict | %s | verdict | same verdict |" % (l1, l2))
    print("|---|---|---|---|---|---|")
    for t in o1 + [t for t in o2 if t not in r1]:
        a, b = r1.get(t, ("–", "–")), r2.get(t, ("–", "–"))
        print("| %s | %s | %s | %s | %s | %s |" % (t, a[0], a[1], b[0], b[1],
                                                   "yes" if a[1] == b[1] else "**no**"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
