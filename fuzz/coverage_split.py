#!/usr/bin/env python3
"""The engine's own line and branch coverage from `llvm-cov export -format=text` (stdin):
the branches of the fault-injection hook (core/src/fault.h's TF_WC/TF_ALLOC, expanded at
each wolfCrypt call and allocation) and fault.c's lines are counted apart, so that the
figure is the engine's as shipped. Used by ci/fuzz-coverage."""
import json
import sys


def main():
    data = json.load(sys.stdin)["data"][0]["files"]
    lines = covered_lines = 0
    branches = covered = hook = hook_covered = 0
    for f in data:
        name = f["filename"]
        if "/core/src/" not in name or name.endswith("/fault.c"):
            continue
        lines += f["summary"]["lines"]["count"]
        covered_lines += f["summary"]["lines"]["covered"]
        seen = set()
        # Branches in the file itself, then those inside macro expansions (each once).
        regions = [(b, name, None) for b in f["branches"]]
        for e in f.get("expansions", []):
            site = tuple(e["source_region"][:4])
            regions += [(b, e["filenames"][b[6]], site) for b in e["branches"]]
        for b, where, site in regions:
            key = (where, site, b[0], b[1], b[2], b[3])
            if key in seen:
                continue
            seen.add(key)
            taken = (b[4] > 0) + (b[5] > 0)  # true and false outcomes
            if where.endswith("/fault.h"):
                hook += 2
                hook_covered += taken
            else:
                branches += 2
                covered += taken
    print(f"engine without the fault hook: lines {covered_lines}/{lines} "
          f"{100.0 * covered_lines / lines:.2f}%, branches {covered}/{branches} "
          f"{100.0 * covered / branches:.2f}% (the hook's own branches: {hook_covered}/{hook})")


if __name__ == "__main__":
    main()
