#!/usr/bin/env python3
"""check-structure.py [--report] [ROOT]: does the C source keep the shape
docs/ARCHITECTURE.md describes? Exit 1 with every breach listed, else 0.

Checks (the limits of issue 13):
  - no file in src/ over MAX_FILE_LINES lines, no function over
    MAX_FUNCTION_LINES (a function is a body from a "{" to a "}" in column 0,
    as every pdx source is laid out);
  - every project file belongs to a module of the layer table below, and a
    file includes only headers of its own module or of lower layers (so the
    module graph has no cycle and data flows one way: cli -> run -> sweep
    -> trainer/observer -> store);
  - no include cycle among files, no two files in src/ of one name;
  - hdf5.h only in src/store/, `omp parallel` only in src/sweep.c and the
    store's repack, the command line (src/cli/) includes public headers
    (pdx/...), its own headers and version.h only;
  - the store never calls up into spec parsing or grid building.
--report also prints the module graph, the largest files and the longest
functions.
"""
import os
import re
import sys

MAX_FILE_LINES = 1200
MAX_FUNCTION_LINES = 120

# module -> layer; a file may include headers of its module or lower layers
LAYERS = {
    "error": 0, "rng": 0, "kernels": 0, "cpu_check": 0,
    "fileutil": 1, "separable": 1,
    "layout": 1, "spec": 1, "cluster": 1,
    "grid": 2, "model": 2, "evidence": 2,
    "data": 3,
    "store": 3,
    "train": 4, "theory": 4,
    "observe": 5,
    "sweep": 6,
    "run": 7,
    "refine": 8,
    "cli": 9,
}

# src/ files whose module is not their name (module folders are by folder)
SRC_FILES = {
    "spec_table.c": "spec", "vec8.h": "kernels", "erf_table.h": "kernels",
    "main.c": "cli", "version.h": "cli", "version.h.in": "cli",
    "train_finite.c": "train", "train_internal.h": "train",
    "theory_internal.h": "theory", "model_deep.c": "model",
    "robust.c": "observe", "bayes.c": "observe",
    "equilibrate.c": "observe",
    "observe_replicas.c": "observe",
    "flatness.c": "observe",
    "noise.c": "observe", "current.c": "observe",
    "observe_layout.c": "observe",
}
SRC_PREFIXES = [("cli_", "cli"), ("cmd_", "cli"), ("theory", "theory"),
                ("spec", "spec"),
                ("store", "store"), ("train", "train"), ("run", "run"), ("refine", "refine"),
                ("fileutil", "fileutil"), ("sweep", "sweep")]
SRC_FOLDERS = {"store": "store", "train": "train", "cli": "cli",
               "run": "run", "theory": "theory"}

INCLUDE = re.compile(r'^\s*#\s*include\s+([<"])([^>"]+)[>"]')
FUNC_NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(")


def module_of(path):
    """The module of a project file (relative path), or None."""
    parts = path.split("/")
    if parts[0] == "include" and len(parts) == 3 and parts[1] == "pdx":
        return os.path.splitext(parts[2])[0]
    if parts[0] != "src":
        return None
    if len(parts) > 2:
        return SRC_FOLDERS.get(parts[1])
    name = parts[1]
    if name in SRC_FILES:
        return SRC_FILES[name]
    base = os.path.splitext(name)[0]
    if base in LAYERS:
        return base
    for prefix, module in SRC_PREFIXES:
        if name.startswith(prefix):
            return module
    return None


def sources(root):
    out = []
    for top in ("src", "include"):
        for d, _, files in os.walk(os.path.join(root, top)):
            for f in files:
                if f.endswith((".c", ".h")):
                    out.append(os.path.relpath(os.path.join(d, f), root))
    return sorted(out)


def resolve(root, src, name, files):
    """The project file `#include "name"` in src refers to, or None."""
    here = os.path.dirname(src)
    for cand in (os.path.join(here, name), os.path.join("include", name),
                 os.path.join("src", name)):
        cand = os.path.normpath(cand)
        if cand in files:
            return cand
    return None


def functions(lines):
    """(name, first line, length) of each function body in column 0."""
    out, start, name = [], None, None
    for i, line in enumerate(lines):
        if line.startswith("{") and start is None:
            start, j = i, i
            while j > 0 and lines[j - 1].strip() and not lines[j - 1].rstrip(
                    ).endswith(("*/", ";", "}")):
                j -= 1
            m = FUNC_NAME.search(" ".join(lines[j:i]))
            name = m.group(1) if m else None
        elif line.startswith("}") and start is not None:
            if name is not None:   # not a table or struct initialiser
                out.append((name, start + 1, i - start + 1))
            start = None
    return out


def find_cycle(graph):
    state, stack = {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state:
                c = visit(m)
                if c:
                    return c
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state:
            c = visit(n)
            if c:
                return c
    return None


def main(argv):
    report = "--report" in argv
    args = [a for a in argv if a != "--report"]
    root = os.path.abspath(args[0] if args else
                           os.path.join(os.path.dirname(__file__), ".."))
    files = set(sources(root))
    problems, graph, modgraph, sizes, funcs = [], {}, {}, [], []
    for f in sorted(files):
        with open(os.path.join(root, f), encoding="utf-8") as fh:
            text = fh.read()
        lines = text.split("\n")
        mod = module_of(f)
        if mod is None or mod not in LAYERS:
            problems.append(f"{f}: belongs to no module of the layer table "
                            "(scripts/check-structure.py, docs/ARCHITECTURE.md)")
            continue
        if f.startswith("src/"):
            sizes.append((len(lines) - 1, f))
            if len(lines) - 1 > MAX_FILE_LINES:
                problems.append(f"{f}: {len(lines) - 1} lines (limit {MAX_FILE_LINES})")
            for name, first, length in functions(lines):
                funcs.append((length, f"{f}:{first}", name))
                if length > MAX_FUNCTION_LINES:
                    problems.append(f"{f}:{first}: {name} is {length} lines "
                                    f"(limit {MAX_FUNCTION_LINES})")
        for no, line in enumerate(lines, 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            system, name = m.group(1) == "<", m.group(2)
            if name.startswith("hdf5") and not f.startswith("src/store/"):
                problems.append(f"{f}:{no}: includes {name} outside src/store/")
            if system:
                continue
            target = resolve(root, f, name, files)
            if target is None:
                if name != "version.h":
                    problems.append(f"{f}:{no}: \"{name}\" is no project file")
                continue
            graph.setdefault(f, set()).add(target)
            tmod = module_of(target)
            if mod == "cli" and tmod != "cli" and not target.startswith("include/"):
                problems.append(f"{f}:{no}: the command line includes private {target}")
            if f.startswith("include/") and not target.startswith("include/"):
                problems.append(f"{f}:{no}: public header includes private {target}")
            if tmod != mod:
                modgraph.setdefault(mod, set()).add(tmod)
                if LAYERS.get(tmod, 99) >= LAYERS[mod]:
                    problems.append(f"{f}:{no}: {mod} (layer {LAYERS[mod]}) includes "
                                    f"{target} of {tmod} (layer {LAYERS.get(tmod)})")
        for no, line in enumerate(lines, 1):
            if re.search(r"#\s*pragma\s+omp\s+parallel", line) and not (
                    f == "src/sweep.c" or f.startswith("src/store/")):
                problems.append(f"{f}:{no}: omp parallel outside the sweep")
            if f.startswith("src/store/") and re.search(
                    r"\bpdx_(spec_parse\w*|grid_create)\s*\(", line):
                problems.append(f"{f}:{no}: the store calls up into spec/grid building")
    seen = {}
    for f in sorted(files):
        if f.startswith("src/"):
            base = os.path.basename(f)
            if base in seen:
                problems.append(f"{f}: file name also used by {seen[base]}")
            seen.setdefault(base, f)
    cycle = find_cycle(graph)
    if cycle:
        problems.append("include cycle: " + " -> ".join(cycle))
    if report:
        print("module graph (module: modules it includes), by layer:")
        for mod in sorted(modgraph, key=lambda m: (LAYERS.get(m, 99), m)):
            print(f"  {LAYERS.get(mod)} {mod}: {', '.join(sorted(modgraph[mod], key=lambda m: (LAYERS.get(m, 99), m)))}")
        print("largest files in src/:")
        for n, f in sorted(sizes, reverse=True)[:8]:
            print(f"  {n:5d} {f}")
        print("longest functions:")
        for n, where, name in sorted(funcs, reverse=True)[:8]:
            print(f"  {n:5d} {name} ({where})")
        print(f"{len(sizes)} files in src/, {len(funcs)} functions")
    for p in problems:
        print(p)
    if problems:
        print(f"check-structure: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    if not report:
        print("check-structure: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
