"""End to end: run the real pdx executable ($PDX_EXE) on small sweeps, then
load, plot, extract boundaries and write reports from its files.

This test FAILS (never skips) when PDX_EXE is not set, so that a missing
executable cannot pass unnoticed; meson's `analysis` test sets it.
"""

import os
import subprocess

import matplotlib.image
import numpy as np
import pandas as pd
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


def _exe():
    exe = os.environ.get("PDX_EXE")
    if not exe:
        pytest.fail("PDX_EXE is required: set it to the built pdx executable "
                    "(e.g. PDX_EXE=build/pdx; `meson test analysis` does this)",
                    pytrace=False)
    assert os.access(exe, os.X_OK), f"PDX_EXE={exe} is not an executable file"
    return exe


def _run(tmp_path, text, name="out.h5"):
    """pdx run a spec text; return the output path."""
    spec = tmp_path / (name + ".yaml")
    spec.write_text(text)
    out = tmp_path / name
    run = subprocess.run([_exe(), "run", str(spec), "-o", str(out), "--quiet"],
                         capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert run.returncode == 0, f"pdx run failed ({run.returncode}):\n{run.stderr}"
    assert out.exists()
    return out


@pytest.mark.e2e
def test_pdx_run_load_plot(tmp_path, cli):
    out = _run(tmp_path, SPEC)

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


# Online SGD of linear students of a linear teacher diverges above
# eta_c = 2/K (N -> infinity: d eg/d alpha = -2 eta K (1 - eta K/2) eg for
# the sum of the K student vectors); the grid puts 2/K inside a bracket.
LINEAR_SPEC = """\
name: e2e-linear
seed: 5
replicas: 3
N: 100
teacher: {kind: committee, hidden: 1, activation: linear}
student: {kind: committee, hidden: [1, 2, 4], activation: linear, init_scale: 0.1}
train: {algorithm: online, learning_rate: {log: [0.3, 9.6, 11]}, alpha: 20}
record: {times: {log: [0.1, 20, 8]}}
"""


@pytest.mark.e2e
def test_divergence_line_of_a_real_sweep(tmp_path, cli_inproc):
    out = _run(tmp_path, LINEAR_SPEC, "linear.h5")
    ds = pa.load(out)
    assert (ds["status"] == 2).any() and (ds["status"] == 1).any()
    b = pa.divergence(ds)
    t = b.table.sort_values("student.hidden")
    eta_c = 2.0 / t["student.hidden"].to_numpy()
    est = t["train.learning_rate"].to_numpy()
    # the bracket (one log step of sqrt 2) contains 2/K: the estimate, its
    # geometric midpoint, is within half a step, and within 2 err
    assert np.all(np.abs(np.log(est / eta_c)) < np.log(2) / 4 + 0.01), est
    assert np.all(np.abs(est - eta_c) < 2 * t["err"].to_numpy())
    p = cli_inproc("plot", out, "-x", "learning_rate", "-y", "hidden", "--boundary",
                   "divergence", "-o", tmp_path / "div.png")
    assert p.returncode == 0, p.stderr
    img = matplotlib.image.imread(tmp_path / "div.png")[..., :3]
    orange = np.all(np.abs(img - np.array([1.0, 0.647, 0.0])) < 0.08, axis=-1)
    assert orange.sum() > 100  # the divergence line is drawn


# Metropolis Monte Carlo of binary perceptrons: a finite-data sweep with the
# variables of that work (train_error, eg_mean, ..., time_to_fit) and a
# hot/cold start axis; the report must cover it.
GIBBS_SPEC = """\
name: e2e-gibbs
seed: 5
replicas: 2
N: 40
teacher: {kind: perceptron, weights: binary}
student: {kind: perceptron, weights: binary}
data: {alpha: {lin: [0.5, 3.0, 6]}}
train: {algorithm: metropolis, temperature: [0.2, 0.5], start: [hot, cold], epochs: 200,
        burn_in: 100}
record: {times: {log: [1, 200, 6]}}
"""


def _theory(tmp_path, text, name):
    """pdx theory a spec text; return the theory file's path."""
    spec = tmp_path / (name + ".yaml")
    spec.write_text(text)
    out = tmp_path / name
    run = subprocess.run([_exe(), "theory", str(spec), "-o", str(out), "--quiet"],
                         capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert run.returncode == 0, f"pdx theory failed ({run.returncode}):\n{run.stderr}"
    return out


@pytest.mark.e2e
def test_report_on_a_real_finite_data_sweep(tmp_path, cli_inproc):
    out = _run(tmp_path, GIBBS_SPEC, "gibbs.h5")
    theory = _theory(tmp_path, GIBBS_SPEC, "gibbs-theory.h5")
    rep = tmp_path / "rep"
    p = cli_inproc("report", out, "--theory", theory, "-o", rep, "--sections", "phase",
                   "--dpi", "50")
    assert p.returncode == 0, p.stderr
    md = (rep / "report.md").read_text()
    assert "24 cells x 2 replicas = 48 tasks, complete; 48 done." in md
    for text in ("| data.alpha | 6 | lin |", "| train.start | 2 | list | hot, cold |",
                 "### Provenance", "### Timings", "e2e-gibbs", "theory file",
                 "## Phase diagrams (data.alpha x train.temperature)", "## Boundaries",
                 "### first-order transition alpha_c (theory)",
                 "### spinodal alpha_spinodal (theory)"):
        assert text in md, text
    for name in ("phase_eg.png", "phase_train_error.png", "phase_eg_mean.png"):
        img = matplotlib.image.imread(rep / name)[..., :3]
        assert img.std() > 0.05, name
    # the boundaries of the Monte Carlo averages were looked for and written
    assert (rep / "boundary_jump_eg_mean.csv").exists()
    assert (rep / "boundary_interpolation_train_error_mean.csv").exists()
    # the theory's lines: the published T -> 0 values are approached from above
    tc = pd.read_csv(rep / "boundary_transition_alpha_c_theory.csv")
    ts = pd.read_csv(rep / "boundary_spinodal_alpha_spinodal_theory.csv")
    assert np.all(tc["data.alpha"] > 1.2447 - 1e-3) and np.all(ts["data.alpha"] > tc["data.alpha"])


# Online SGD of erf committees (K = M = 2): above the maximal learning rate
# eta_max of the Saad-Solla ODEs (pdx theory) the students do not converge;
# their weights run away (the runs saturate instead of diverging).
SCM_SPEC = """\
name: e2e-scm
seed: 3
replicas: 3
N: 200
teacher: {kind: committee, hidden: 2, activation: erf}
student: {kind: committee, hidden: 2, activation: erf, init_scale: 1.0e-3}
train: {algorithm: online, learning_rate: {log: [0.5, 8, 9]}, alpha: 100}
record: {times: {log: [0.1, 100, 12]}}
"""


@pytest.mark.e2e
def test_learning_rate_threshold_against_theory_eta_max(tmp_path, cli_inproc):
    out = _run(tmp_path, SCM_SPEC, "scm.h5")
    theory = _theory(tmp_path, SCM_SPEC, "scm-theory.h5")
    both = pa.load_files([out, theory])
    (sim,) = [b for b in pa.find_boundaries(both.sim) if b.kind == "divergence"]
    (th,) = [b for b in pa.theory_lines(both.theory) if b.kind == "divergence"]
    eta_max = float(th.table["train.learning_rate"].iloc[0])
    assert 2.0 < eta_max < 2.83  # inside one bracket of the grid
    est = float(sim.table["train.learning_rate"].iloc[0])
    err = float(sim.table["err"].iloc[0])
    assert abs(est - eta_max) < 2 * err, (est, err, eta_max)
    c = pa.boundaries.compare(sim, th)
    assert abs(float(c["z"].iloc[0])) < 2
    p = cli_inproc("report", out, "--theory", theory, "-o", tmp_path / "rep", "--sections",
                   "slices", "--dpi", "50")
    assert p.returncode == 0, p.stderr
    md = (tmp_path / "rep" / "report.md").read_text()
    assert "divergence (simulation) vs maximal learning rate eta_max (theory)" in md


@pytest.mark.e2e
def test_real_shards_and_merged_file(tmp_path, cli_inproc):
    """`pdx run --shard I/N` files load on the whole grid (the other shard's
    tasks pending), combine to what one run writes, and `pdx merge`'s file
    is the same again."""
    whole_path = _run(tmp_path, LINEAR_SPEC, "whole.h5")
    spec = tmp_path / "linear.yaml"
    spec.write_text(LINEAR_SPEC)
    shards = []
    for k in range(2):
        out = tmp_path / "lin.h5"
        run = subprocess.run([_exe(), "run", str(spec), "-o", str(out), "--quiet",
                              "--shard", f"{k}/2"], capture_output=True, text=True,
                             cwd=tmp_path, timeout=300)
        assert run.returncode == 0, run.stderr
        shards.append(tmp_path / f"lin.shard-{k}-of-2.h5")
        assert shards[-1].exists(), os.listdir(tmp_path)
    whole = pa.load(whole_path)
    one = pa.load(shards[0])
    counts = pa.status_counts(one)
    assert 0 < counts["pending"] < whole["status"].size
    assert int(one.attrs["pdx_complete"]) == 0
    combined = pa.load(shards)
    for v in whole.data_vars:
        if v != "wall_seconds":
            np.testing.assert_array_equal(combined[v].values, whole[v].values, err_msg=v)
    merged = tmp_path / "merged.h5"
    run = subprocess.run([_exe(), "merge", str(merged)] + [str(s) for s in shards],
                         capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert run.returncode == 0, run.stderr
    m = pa.load(merged)
    np.testing.assert_array_equal(m["eg"].values, whole["eg"].values)
    # the boundary from one shard, from both and from the merged file
    full_b = pa.divergence(m).table["train.learning_rate"].to_numpy()
    np.testing.assert_allclose(pa.divergence(combined).table["train.learning_rate"], full_b)
    p = cli_inproc("boundaries", *shards, "--kind", "divergence")
    assert p.returncode == 0, p.stderr
    p = cli_inproc("report", shards[0], "-o", tmp_path / "rep", "--sections", "phase",
                   "--dpi", "50")
    assert p.returncode == 0, p.stderr
    md = (tmp_path / "rep" / "report.md").read_text()
    assert "incomplete" in md and ("partly pending (dot)" in md or "pending (grey)" in md)


DEEP_SPEC = """\
name: e2e-deep
seed: 15
replicas: 2
N: 30
student: {kind: deep, activation: tanh, depth: [4, 9], width: 40, sigma_w2: [1.0, 2.0, 3.5], sigma_b2: 0.05}
train: {algorithm: propagate}
propagate: {c0: 0.3, probes: 2, curve_points: 8}
record: {times: [1]}
"""


@pytest.mark.e2e
def test_layer_dimension(tmp_path, cli):
    """Propagate files (issue 15): the layer dimension loads, selects and
    plots (a heatmap at one layer, a slice along the layers); layers
    beyond a cell's depth are NaN, not zero."""
    out = _run(tmp_path, DEEP_SPEC)
    ds = pa.load(out)
    assert list(ds["layer"].values) == list(range(1, 10))
    c = ds["c_layer"].mean("replica")
    assert np.isnan(c.sel({"student.depth": 4}).sel(layer=slice(5, 9))).all()
    # ordered phase: c -> 1; chaotic: c stays well below
    deep = c.sel({"student.depth": 9, "layer": 9})
    assert float(deep.sel({"student.sigma_w2": 1.0})) > float(deep.sel({"student.sigma_w2": 3.5}))
    heat = tmp_path / "heat.png"
    r = cli("plot", out, "-x", "student.sigma_w2", "-y", "student.depth",
            "--var", "c_layer", "--sel", "layer=4", "-o", heat)
    assert r.returncode == 0, r.stderr
    assert matplotlib.image.imread(heat).shape[0] > 100
    line = tmp_path / "slice.png"
    r = cli("slice", out, "-x", "layer", "--hue", "student.sigma_w2",
            "--var", "q_layer", "--sel", "student.depth=9", "-o", line)
    assert r.returncode == 0, r.stderr
    assert matplotlib.image.imread(line).shape[0] > 100
