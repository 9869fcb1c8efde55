"""End to end: run the real pdx executable ($PDX_EXE), load and plot its file.

This test FAILS (never skips) when PDX_EXE is not set, so that a missing
executable cannot pass unnoticed; meson's `analysis` test sets it.
"""

import os
import subprocess

import matplotlib.image
import numpy as np
import pytest

import pdx_analysis as pa
from pdx_analysis.plot import plot_file

SPEC = """\
name: e2e
seed: 7
replicas: 2
N: 50
teacher: {hidden: 2}
student: {hidden: [1, 2]}
train: {learning_rate: {log: [0.1, 2.0, 3]}, alpha: 2}
record: {times: {log: [0.1, 2, 5]}}
"""


@pytest.mark.e2e
def test_pdx_run_load_plot(tmp_path, cli):
    exe = os.environ.get("PDX_EXE")
    if not exe:
        pytest.fail("PDX_EXE is required: set it to the built pdx executable "
                    "(e.g. PDX_EXE=build/pdx; `meson test analysis` does this)",
                    pytrace=False)
    assert os.access(exe, os.X_OK), f"PDX_EXE={exe} is not an executable file"
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    out = tmp_path / "out.h5"
    run = subprocess.run([exe, "run", str(spec), "-o", str(out), "--quiet"],
                         capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert run.returncode == 0, f"pdx run failed ({run.returncode}):\n{run.stderr}"
    assert out.exists()

    ds = pa.load(out)
    assert ds.attrs["title"] == "e2e"
    assert int(ds.attrs["pdx_complete"]) == 1
    assert pa.spec_axes(ds) == ["student.hidden", "train.learning_rate"]
    assert ds["student.hidden"].values.tolist() == [1, 2]
    np.testing.assert_allclose(ds["train.learning_rate"].values,
                               np.geomspace(0.1, 2.0, 3), rtol=1e-12)
    assert ds["train.learning_rate"].attrs["pdx_scale"] == "log"
    np.testing.assert_allclose(ds["time"].values, np.geomspace(0.1, 2, 5), rtol=1e-12)
    assert ds.sizes["replica"] == 2
    assert list(ds["eg"].dims) == ["student.hidden", "train.learning_rate", "replica", "time"]
    status = ds["status"].values
    assert np.all(np.isin(status, [1, 2])), f"unexpected status values {status}"
    assert pa.resolve_axis(ds, "hidden") == "student.hidden"  # teacher.hidden: no axis
    eg = pa.replica_mean(ds, "eg", time="final")
    done = ds["status"].values == 1
    assert np.all(np.isfinite(eg["mean"].values[done.any(axis=-1)]))
    assert np.all(eg["mean"].values[done.any(axis=-1)] > 0)

    png = tmp_path / "e2e.png"
    r = plot_file(out, "learning_rate", "hidden", output=str(png))
    assert r.ax.get_xscale() == "log"
    assert matplotlib.image.imread(png).shape[:2] == (480, 640)
    p = cli("plot", out, "-x", "learning_rate", "-y", "hidden", "-o", tmp_path / "cli.png")
    assert p.returncode == 0, p.stderr
    p = cli("info", out)
    assert p.returncode == 0 and "e2e" in p.stdout, p.stderr
