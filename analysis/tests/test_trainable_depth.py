"""The trainable-depth boundary of deep networks (Schoenholz et al. 2017)
and its theory overlay, 6 xi_c: a hand-made sweep whose networks train up
to a known depth L*(sigma_w2) per replica must give L* back within the
boundary's uncertainty, and a theory file's ``trainable_depth`` comes back
as the theory line in the same plane."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import pdx_analysis as pa
from matplotlib.figure import Figure
from pdx_analysis.plot import heatmap
from pdx_synth import DIVERGED, DONE, PENDING, Axis, write_custom

DEPTH = np.array([2, 4, 8, 16, 32, 64, 128])
SW = np.array([1.0, 1.5, 1.76, 2.0, 3.0])
#: the depth networks train up to (geometric midpoints of DEPTH brackets)
L_STAR = np.array([6.0, 22.0, 90.0, 45.0, 11.0])


def _axes():
    return [Axis("student.depth", DEPTH, "int", "log", units="", long_name="depth"),
            Axis("student.sigma_w2", SW, "real", "list", long_name="sigma_w^2")]


def sweep(path, replicas=4, seed=3, jitter=0.15):
    rng = np.random.default_rng(seed)
    shape = (len(DEPTH), len(SW), replicas)
    err = np.empty(shape)
    status = np.full(shape, DONE, dtype=np.int8)
    for j, ls in enumerate(L_STAR):
        for r in range(replicas):
            lr = ls * np.exp(rng.normal(0.0, jitter))
            trained = DEPTH < lr
            err[:, j, r] = np.where(trained, 0.01 + 0.01 * rng.random(len(DEPTH)),
                                    0.45 + 0.05 * rng.random(len(DEPTH)))
    # a diverged run counts as untrained; replica 1 at sigma_w2 = 1.5 pending
    status[-1, 0, 0] = DIVERGED
    err[-1, 0, 0] = np.nan
    status[:, 1, 1] = PENDING
    err[:, 1, 1] = np.nan
    times = np.array([1.0, 10.0])
    err_t = np.stack([np.full_like(err, 0.5), err], axis=-1)
    write_custom(path, _axes(), {"train_error": err_t}, replicas=replicas, times=times,
                 status=status, title="deep trainability")
    return str(path)


def theory(path):
    six_xi = np.broadcast_to((L_STAR * 1.1)[None, :], (len(DEPTH), len(SW))).copy()
    status = np.full(six_xi.shape, 1, dtype=np.int8)
    status[:, 2] = 5  # not converged cells give no point
    write_custom(path, _axes(), {"trainable_depth": six_xi,
                                 "xi_c": six_xi / 6.0}, theory=True, status=status,
                 title="deep theory")
    return str(path)


def test_trainable_depth_recovers_the_depth(tmp_path):
    ds = pa.load(sweep(tmp_path / "d.h5"))
    b = pa.trainable_depth(ds)
    assert (b.kind, b.along, b.across) == ("trainable_depth", "student.depth",
                                           "student.sigma_w2")
    assert b.along_scale == "log" and b.var == "train_error"
    t = b.table.sort_values("student.sigma_w2")
    est = t["student.depth"].to_numpy()
    # within a factor 2 (one grid step of a log2 axis) and within 3 err in
    # log space of the true depth
    assert np.all(np.abs(np.log2(est / L_STAR)) < 1.0), est
    log_err = np.log(t["hi"] / t["lo"]) / 2
    assert np.all(np.abs(np.log(est / L_STAR)) < 3 * log_err + 0.35), (est, log_err)
    assert np.all(t["err"] > 0) and np.all(t["resolution"] > 0)
    # the deepest grid depth that trained lies below the estimate
    assert np.all(t["last_trained"] < est)
    # the pending replica is not counted
    assert t.set_index("student.sigma_w2").loc[1.5, "n"] == 3
    # the aliases and find_boundaries know the kind
    assert ds.pdx.boundary("trainable-depth").kind == "trainable_depth"
    kinds = {x.kind for x in pa.find_boundaries(ds)}
    assert "trainable_depth" in kinds


def test_trainable_depth_censoring_and_threshold(tmp_path):
    ds = pa.load(sweep(tmp_path / "d.h5"))
    # a threshold above every error: everything trains -> censored
    b = pa.trainable_depth(ds, threshold=1.0)
    assert b.table["student.depth"].isna().all()
    assert set(b.table["note"]) == {"beyond the range"}
    with pytest.raises(pa.PdxValueError):
        pa.trainable_depth(ds, x="student.sigma_w2", y="student.sigma_w2")


def test_trainable_depth_in_plot_order(tmp_path):
    """A heatmap of sigma_w2 (x) against depth (y) passes its axes in plot
    order: the boundary is still located along depth, one point per
    sigma_w2 (before the fix it scanned sigma_w2 at each depth and drew
    two stray points on the README's trainability picture)."""
    ds = pa.load(sweep(tmp_path / "d.h5"))
    ref = pa.trainable_depth(ds)
    b = pa.trainable_depth(ds, x="student.sigma_w2", y="student.depth")
    assert (b.along, b.across) == ("student.depth", "student.sigma_w2")
    pd.testing.assert_frame_equal(b.table, ref.table)
    found = pa.find_boundaries(ds, x="student.sigma_w2", y="student.depth",
                               kinds=["trainable_depth"])
    assert [(f.along, f.across) for f in found] == [("student.depth", "student.sigma_w2")]


def test_theory_line_and_comparison(tmp_path):
    sim = pa.load(sweep(tmp_path / "d.h5"))
    th = pa.load(theory(tmp_path / "t.h5"))
    lines = [b for b in pa.theory_lines(th) if b.kind == "trainable_depth"]
    assert len(lines) == 1
    line = lines[0]
    assert (line.along, line.across) == ("student.depth", "student.sigma_w2")
    t = line.table.set_index("student.sigma_w2")
    np.testing.assert_allclose(t.loc[[1.0, 1.5, 2.0, 3.0], "student.depth"],
                               L_STAR[[0, 1, 3, 4]] * 1.1)
    assert np.isnan(t.loc[1.76, "student.depth"])
    cmp = pa.boundaries.compare(pa.trainable_depth(sim), line)
    assert len(cmp) == len(SW) and np.isfinite(cmp["z"]).sum() == 4


def test_cli_boundary_and_plot(tmp_path):
    d = sweep(tmp_path / "d.h5")
    t = theory(tmp_path / "t.h5")
    out = tmp_path / "b"
    r = subprocess.run([sys.executable, "-m", "pdx_analysis", "boundaries", d, "--theory", t,
                        "--kind", "trainable-depth", "-o", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "student.depth" in (out / "boundary_trainable_depth_train_error.csv").read_text()
    assert (out / "boundary_trainable_depth_trainable_depth_theory.csv").exists()
    assert "6 xi_c" in r.stdout
    png = tmp_path / "p.png"
    r = subprocess.run([sys.executable, "-m", "pdx_analysis", "plot", d, "--theory", t,
                        "--var", "train_error", "--x", "student.sigma_w2",
                        "--y", "student.depth", "--boundary", "trainable-depth",
                        "-o", str(png)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert png.stat().st_size > 1000


def test_order_to_chaos_line(tmp_path):
    """The theory's sigma_w2_critical (chi_1 = 1) is a line along sigma_w2,
    one point per sigma_b2, drawn by ``plot --boundary all`` in red (not
    the black of the theory contours beside it)."""
    sb = np.array([0.0, 0.05, 0.3])
    crit = np.array([1.0, 1.76095464, 2.50512719])  # pdx theory --curve deep-order-chaos
    axes = [Axis("student.sigma_w2", np.array([0.5, 1.0, 2.0, 3.0, 4.0]), "real", "list"),
            Axis("student.sigma_b2", sb, "real", "list")]
    sw = axes[0].values[:, None]
    c = np.where(sw < crit[None, :], 1.0, 0.5).astype(float)
    th = write_custom(tmp_path / "t.h5", axes,
                      {"sigma_w2_critical": np.broadcast_to(crit, (5, 3)).copy(),
                       "c_star": c}, theory=True, title="chaos theory")
    lines = [b for b in pa.theory_lines(pa.load(th)) if b.kind == "order_chaos"]
    assert len(lines) == 1
    b = lines[0]
    assert (b.along, b.across) == ("student.sigma_w2", "student.sigma_b2")
    np.testing.assert_allclose(b.table.set_index("student.sigma_b2")["student.sigma_w2"]
                               .loc[sb], crit)
    sim = write_custom(tmp_path / "s.h5", axes, {"c_star": np.repeat(c[..., None], 2, -1)},
                       replicas=2, title="chaos")
    png = tmp_path / "c.png"
    r = subprocess.run([sys.executable, "-m", "pdx_analysis", "plot", sim, "--theory", th,
                        "-x", "student.sigma_w2", "-y", "student.sigma_b2", "--var",
                        "c_star", "--boundary", "all", "-o", str(png)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    ax = Figure().add_subplot()
    h = heatmap(pa.load(sim), "student.sigma_w2", "student.sigma_b2", var="c_star",
                   theory=pa.load(th), boundaries=lines, ax=ax)
    assert len(h.boundary_lines) == 1
    line = h.boundary_lines[0]
    assert line.get_color() == "#e41a1c" and line.get_linestyle() == "--"
    np.testing.assert_allclose(line.get_xdata(), crit)


def test_contours_zero_draws_none(tmp_path):
    """--contours 0 means no contour lines: on errors from 0 to 0.48 (the
    README's trainability picture) it drew one level, 0.4, over the
    simulated trainable-depth line."""
    axes = [Axis("student.sigma_w2", np.array([1.0, 2.0, 3.0]), "real", "list"),
            Axis("student.depth", np.array([2, 4, 8, 16]), "int", "list")]
    err = np.linspace(0.0, 0.48, 12).reshape(3, 4)
    path = write_custom(tmp_path / "d.h5", axes,
                        {"train_error": np.repeat(err[..., None], 2, -1)}, replicas=2)
    ds = pa.load(path)
    h = heatmap(ds, "student.sigma_w2", "student.depth", var="train_error", contours=0,
                ax=Figure().add_subplot())
    assert h.contour_set is None and len(h.levels) == 0
    h = heatmap(ds, "student.sigma_w2", "student.depth", var="train_error", contours=2,
                ax=Figure().add_subplot())
    assert h.contour_set is not None
