"""analysis/ is an installable package: the wheel builds offline (no
build isolation, no downloads) and holds every module, the dependencies and
the command."""

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def test_pyproject_declares_the_dependencies():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        meta = tomllib.load(f)
    deps = meta["project"]["dependencies"]
    assert sorted(deps) == ["h5py", "matplotlib", "numpy", "pandas", "xarray"]
    assert meta["project"]["scripts"]["pdx-analysis"] == "pdx_analysis.__main__:main"
    import pdx_analysis

    assert meta["project"]["version"] == pdx_analysis.__version__


def test_wheel_builds_offline(tmp_path):
    src = tmp_path / "analysis"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        "build", "*.egg-info", "__pycache__", ".pytest_cache"))
    env = dict(os.environ, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    run = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-build-isolation",
                          "--no-deps", "-w", str(tmp_path / "dist"), str(src)],
                         capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    (wheel,) = (tmp_path / "dist").glob("pdx_analysis-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    modules = sorted(f"pdx_analysis/{m}" for m in os.listdir(os.path.join(ROOT, "pdx_analysis"))
                     if m.endswith(".py"))
    assert modules and all(m in names for m in modules), (modules, names)
    meta = zipfile.ZipFile(wheel).read(
        next(n for n in names if n.endswith("METADATA"))).decode()
    for dep in ("h5py", "numpy", "matplotlib", "pandas", "xarray"):
        assert f"Requires-Dist: {dep}" in meta
    entry = zipfile.ZipFile(wheel).read(
        next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "pdx-analysis = pdx_analysis.__main__:main" in entry
