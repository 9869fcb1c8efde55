"""The package's structure: the module map in ``pdx_analysis/__init__.py``
lists every module with its layer; a module imports only from lower
layers (so there is no cycle), never a ``_private`` name of another
module; imports inside functions carry a comment saying why; no module
over ~1,000 lines and no function over ~120; and pyproject.toml declares
exactly the third-party packages the modules import.

Everything is read with ``ast`` from the source, so a violation fails
here even when the import happens to work at run time."""

import ast
import os
import re
import sys
import tomllib

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PKG = os.path.join(ROOT, "pdx_analysis")
NAME = "pdx_analysis"

MAX_MODULE_LINES = 1000
MAX_FUNCTION_LINES = 120
STDLIB = set(sys.stdlib_module_names)
#: Import names whose distribution name differs, and optional imports.
DISTRIBUTIONS = {}
OPTIONAL = {"h5netcdf"}  # used through xarray's engine when installed


def modules():
    """{module name: path} of every module of the package."""
    return {f[:-3]: os.path.join(PKG, f) for f in sorted(os.listdir(PKG))
            if f.endswith(".py")}


def parse(path):
    with open(path) as f:
        text = f.read()
    return text, ast.parse(text, path)


def module_map():
    """{module: layer} from the table in the package docstring."""
    doc = ast.get_docstring(parse(os.path.join(PKG, "__init__.py"))[1])
    table = {}
    for line in doc.splitlines():
        m = re.match(r"^\s+(\d+)\s+(\w+)\s+\S", line)
        if m:
            table[m.group(2)] = int(m.group(1))
    return table


def package_imports(name, tree):
    """Yield (line, imported module, imported names, in a function) for
    every import of a module of this package by module ``name``."""
    parents = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node

    def in_function(node):
        while node in parents:
            node = parents[node]
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                return True
        return False

    here = modules()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module and node.module.split(".")[0] == NAME:
                target = node.module.split(".")[1] if "." in node.module else "__init__"
            elif node.level == 1:
                target = node.module or "__init__"
            elif node.level == 0:
                continue
            else:
                raise AssertionError(f"{name}:{node.lineno}: import beyond the package")
            if target == "__init__":  # `from . import x`: submodules or names of __init__
                for alias in node.names:
                    if alias.name in here:
                        yield node.lineno, alias.name, [], in_function(node)
                    else:
                        yield node.lineno, "__init__", [alias.name], in_function(node)
            else:
                yield (node.lineno, target, [a.name for a in node.names],
                       in_function(node))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == NAME:
                    yield (node.lineno, parts[1] if len(parts) > 1 else "__init__", [],
                           in_function(node))


def third_party_imports(tree):
    """Top-level distribution names of the non-package, non-stdlib imports."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for n in names:
            top = n.split(".")[0]
            if top != NAME and top not in STDLIB and top != "__future__":
                out.add(DISTRIBUTIONS.get(top, top))
    return out


def graph():
    """{module: {imported modules}} of the package."""
    g = {}
    for name, path in modules().items():
        g[name] = {t for _, t, _, _ in package_imports(name, parse(path)[1]) if t != name}
    return g


def test_module_map_lists_every_module():
    table, mods = module_map(), set(modules())
    assert set(table) == mods, (f"in the map but not a module: {set(table) - mods}; "
                                f"a module missing from the map: {mods - set(table)}")


@pytest.mark.parametrize("name", sorted(modules()))
def test_imports_go_down_the_layers(name):
    table = module_map()
    for line, target, _, _ in package_imports(name, parse(modules()[name])[1]):
        if target == name:
            continue
        assert table[target] < table[name], (
            f"{name}.py:{line} imports {target} (layer {table[target]}) but {name} is "
            f"layer {table[name]}: a module may only import lower layers")


def test_import_graph_is_acyclic():
    g = graph()
    state = {}  # 1 visiting, 2 done

    def visit(node, path):
        if state.get(node) == 1:
            raise AssertionError("import cycle: " + " -> ".join(path + [node]))
        if state.get(node) == 2:
            return
        state[node] = 1
        for nxt in sorted(g[node]):
            visit(nxt, path + [node])
        state[node] = 2

    for node in sorted(g):
        visit(node, [])


@pytest.mark.parametrize("name", sorted(modules()))
def test_no_private_names_across_modules(name):
    _, tree = parse(modules()[name])
    bad = [f"{name}.py:{line}: from {target} import {n}"
           for line, target, names, _ in package_imports(name, tree) if target != name
           for n in names if n.startswith("_")]
    # module objects imported under an alias: `bd._helper` is private too
    aliases = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and not node.module:
            aliases |= {a.asname or a.name for a in node.names if a.name in modules()}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in aliases and node.attr.startswith("_")
                and not node.attr.startswith("__")):
            bad.append(f"{name}.py:{node.lineno}: {node.value.id}.{node.attr}")
    assert not bad, "private names used across modules:\n" + "\n".join(bad)


@pytest.mark.parametrize("name", sorted(modules()))
def test_function_level_imports_say_why(name):
    text, tree = parse(modules()[name])
    lines = text.splitlines()
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    bad = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        p, inside = node, False
        while p in parents:
            p = parents[p]
            if isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef)):
                inside = True
                break
        if inside and "lazy" not in lines[node.lineno - 1]:
            bad.append(f"{name}.py:{node.lineno}: {lines[node.lineno - 1].strip()}")
    assert not bad, ("imports inside functions without a '# lazy: why' comment:\n"
                     + "\n".join(bad))


@pytest.mark.parametrize("name", sorted(modules()))
def test_sizes(name):
    text, tree = parse(modules()[name])
    n = len(text.splitlines())
    assert n <= MAX_MODULE_LINES, f"{name}.py has {n} lines (> {MAX_MODULE_LINES})"
    long = [f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
            for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]
    assert not long, f"{name}.py: functions over {MAX_FUNCTION_LINES} lines: {long}"


def test_dependencies_are_declared():
    used = set()
    for path in modules().values():
        used |= third_party_imports(parse(path)[1])
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        declared = set(tomllib.load(f)["project"]["dependencies"])
    assert used - OPTIONAL == declared, (f"imported but not declared: {used - declared}; "
                                         f"declared but not imported: {declared - used}")


def test_import_stays_light(tmp_path):
    """`import pdx_analysis` (loading, statistics, boundaries, ds.pdx) and
    the command line (until a command draws) do not load Matplotlib; the
    plotting layers do."""
    import subprocess

    code = ("import sys, pdx_analysis, pdx_analysis.__main__, xarray as xr; "
            "assert 'matplotlib' not in sys.modules, 'matplotlib loaded'; "
            "assert hasattr(xr.Dataset, 'pdx'); "
            "import pdx_analysis.plot; assert 'matplotlib' in sys.modules")
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, cwd=tmp_path, timeout=120)
    assert run.returncode == 0, run.stderr


def test_the_checks_catch_violations(tmp_path, monkeypatch):
    """The graph and privacy checks fail on a cycle and on a private import
    (a test that cannot fail is a defect)."""
    pkg = tmp_path / NAME
    pkg.mkdir()
    (pkg / "__init__.py").write_text('"""Map::\n\n    0  a  x\n    1  b  y\n    2  __init__  z\n\nEnd.\n"""\n')
    (pkg / "a.py").write_text("from .b import _helper\n")
    (pkg / "b.py").write_text("from . import a\n\ndef _helper():\n    pass\n")
    monkeypatch.setattr(sys.modules[__name__], "PKG", str(pkg))
    with pytest.raises(AssertionError, match="import cycle"):
        test_import_graph_is_acyclic()
    with pytest.raises(AssertionError, match="private names"):
        test_no_private_names_across_modules("a")
    with pytest.raises(AssertionError, match="may only import lower layers"):
        test_imports_go_down_the_layers("a")
