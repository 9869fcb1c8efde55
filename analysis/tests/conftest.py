"""Shared fixtures: synthetic pdx files (see pdx_synth.py) and CLI runner.

Run: cd /work/main && MPLBACKEND=Agg PYTHONPATH=analysis \
     /usr/bin/python3 -m pytest -q analysis/tests
"""

import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ANALYSIS_DIR = os.path.dirname(HERE)
if ANALYSIS_DIR not in sys.path:  # so that the tests also run without PYTHONPATH
    sys.path.insert(0, ANALYSIS_DIR)

import pdx_synth  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "e2e: end-to-end test that runs the pdx executable named by "
        "$PDX_EXE (fails when PDX_EXE is not set)")


@pytest.fixture
def synth(tmp_path):
    """The standard synthetic file (pdx_synth.STANDARD_AXES); returns the
    pdx_synth.Synth record of what was written."""
    return pdx_synth.write_pdx_file(tmp_path / "synth.h5")


@pytest.fixture
def make_file(tmp_path):
    """Factory: make_file(name="x.h5", **write_pdx_file kwargs) -> Synth."""
    def make(name="custom.h5", **kwargs):
        return pdx_synth.write_pdx_file(tmp_path / name, **kwargs)
    return make


def run_cli(*args, cwd=None):
    """Run ``python -m pdx_analysis ARGS`` in a subprocess; return the
    CompletedProcess (text stdout/stderr)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = ANALYSIS_DIR + (os.pathsep + env["PYTHONPATH"]
                                        if env.get("PYTHONPATH") else "")
    env.setdefault("MPLBACKEND", "Agg")
    return subprocess.run([sys.executable, "-m", "pdx_analysis", *map(str, args)],
                          capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=300)


@pytest.fixture
def cli():
    """The run_cli helper."""
    return run_cli


class _Result:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def cli_inproc(capsys, monkeypatch):
    """Run the CLI in this process (much faster than a subprocess):
    cli_inproc(*args, cwd=None) -> object with returncode, stdout, stderr.
    argparse usage errors (SystemExit) are caught too."""
    from pdx_analysis.__main__ import main

    def run(*args, cwd=None):
        if cwd is not None:
            monkeypatch.chdir(cwd)
        capsys.readouterr()
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out = capsys.readouterr()
        return _Result(code, out.out, out.err)
    return run


@pytest.fixture
def physics(tmp_path):
    """Hand-made files with known boundaries (tests/physics_synth.py)."""
    import physics_synth

    class Files:
        def finite(self, name="finite.h5", **kw):
            return physics_synth.finite_data(tmp_path / name, **kw)

        def theory(self, name="theory.h5", **kw):
            return physics_synth.finite_theory(tmp_path / name, **kw)

        def divergence(self, name="div.h5", **kw):
            return physics_synth.divergence_sweep(tmp_path / name, **kw)

        def divergence_theory(self, name="div_theory.h5"):
            return physics_synth.divergence_theory(tmp_path / name)
    return Files()
