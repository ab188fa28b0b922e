#!/usr/bin/env python3
"""Checks the dynamic symbol table of libtlsflow.so against the public headers.

    check_exports.py [--nm NM] LIBRARY HEADER_OR_DIR...

Every function (and extern object) declared in the headers (a directory stands for its
*.h files) must be exported, and the library must export nothing else: every defined
dynamic symbol starts with tlsflow_ and is declared. Declarations are found by parsing
the headers, so a function added to the header later is checked with no edit here.
Exit 0: as expected; 1: a mismatch (each one printed); 2: usage or parse trouble.
"""
import os
import re
import subprocess
import sys

PREFIX = "tlsflow_"


def strip_comments(text):
    # Comments out, string literals kept (extern "C").
    pattern = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\])*"', re.S)
    return pattern.sub(lambda m: m.group(0) if m.group(0).startswith('"') else " ", text)


def drop_preprocessor(text):
    """Removes directives (with continuation lines) and C++-only blocks."""
    out, skip_depth, depth = [], None, 0
    lines = text.replace("\\\n", " ").split("\n")
    for line in lines:
        s = line.strip()
        if s.startswith("#"):
            d = s[1:].strip()
            if d.startswith(("if", "ifdef", "ifndef")):
                depth += 1
                if skip_depth is None and re.match(r"ifdef\s+__cplusplus\b", d):
                    skip_depth = depth
            elif d.startswith("endif"):
                if skip_depth == depth:
                    skip_depth = None
                depth -= 1
            elif d.startswith(("else", "elif")) and skip_depth == depth:
                skip_depth = None
            continue
        if skip_depth is None:
            out.append(line)
    return "\n".join(out)


def declarations(text):
    """Top-level statements (split at ';' outside braces and parentheses)."""
    stmts, cur, braces, parens = [], [], 0, 0
    for ch in text:
        if ch == "{":
            braces += 1
        elif ch == "}":
            braces -= 1
        elif ch == "(":
            parens += 1
        elif ch == ")":
            parens -= 1
        if ch == ";" and braces == 0 and parens == 0:
            stmts.append(" ".join("".join(cur).split()))
            cur = []
        else:
            cur.append(ch)
    if braces != 0 or parens != 0:
        raise ValueError("unbalanced braces or parentheses")
    return stmts


FUNC = re.compile(r"^(?:[A-Za-z_][\w\s\*]*?[\s\*])([A-Za-z_]\w*)\s*\((.*)\)"
                  r"(?:\s*__attribute__\s*\(\(.*\)\))?$")
OBJECT = re.compile(r"^extern\s+[^()]*?([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?$")


def declared_symbols(header):
    with open(header, encoding="utf-8") as f:
        text = drop_preprocessor(strip_comments(f.read()))
    names = {}
    for stmt in declarations(text):
        if not stmt or stmt.startswith("typedef") or "{" in stmt:
            continue  # types, enums, struct definitions
        m = FUNC.match(stmt)
        if m and not m.group(1).startswith("__"):
            names[m.group(1)] = "function"
            continue
        m = OBJECT.match(stmt)
        if m:
            names[m.group(1)] = "object"
            continue
        raise ValueError(f"{header}: cannot classify declaration: {stmt}")
    return names


def exported_symbols(nm, lib):
    out = subprocess.run([nm, "-D", "--defined-only", lib], check=True,
                         capture_output=True, text=True).stdout
    syms = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        kind, name = parts[-2], parts[-1].split("@")[0]
        if kind == "A" and not parts[-1].count("@"):
            continue  # a version node (e.g. TLSFLOW_0), not a symbol of ours
        syms.add(name)
    return syms


def main(argv):
    nm = "nm"
    if len(argv) > 1 and argv[0] == "--nm":
        nm, argv = argv[1], argv[2:]
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    lib, paths = argv[0], argv[1:]
    headers = []
    for p in paths:
        if os.path.isdir(p):
            headers += sorted(os.path.join(p, n) for n in os.listdir(p) if n.endswith(".h"))
        else:
            headers.append(p)
    declared = {}
    try:
        for h in headers:
            declared.update(declared_symbols(h))
    except (OSError, ValueError) as e:
        print(f"check_exports: {e}", file=sys.stderr)
        return 2
    if not declared:
        print(f"check_exports: no declarations found in {' '.join(headers)}", file=sys.stderr)
        return 2
    try:
        exported = exported_symbols(nm, lib)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"check_exports: {nm} -D {lib}: {e}", file=sys.stderr)
        return 2

    problems = []
    for name in sorted(exported):
        if not name.startswith(PREFIX):
            problems.append(f"exported but not {PREFIX}*: {name}")
        elif name not in declared:
            problems.append(f"exported but declared in no public header: {name}")
    for name, kind in sorted(declared.items()):
        if not name.startswith(PREFIX):
            problems.append(f"declared {kind} not named {PREFIX}* (cmake/tlsflow.map "
                            f"hides it): {name}")
        if name not in exported:
            problems.append(f"declared {kind} not exported: {name}")
    shown = {}
    for p in problems:  # at most 20 of each kind (a foreign library has thousands)
        kind = p.split(":")[0]
        shown[kind] = shown.get(kind, 0) + 1
        if shown[kind] <= 20:
            print(f"check_exports: {p}")
        elif shown[kind] == 21:
            print(f"check_exports: ... more of '{kind}'")
    print(f"check_exports: {os.path.basename(lib)}: {len(exported)} exported, "
          f"{len(declared)} declared in {len(headers)} header(s), {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
