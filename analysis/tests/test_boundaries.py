"""Boundaries placed at known positions in hand-made files must come back
within tolerance (tests/physics_synth.py says where they are)."""

import json

import numpy as np
import pandas as pd
import pytest

import pdx_analysis as pa
import physics_synth as P
from pdx_analysis import boundaries as bd
from pdx_synth import DONE, PENDING, Axis, write_custom

STEP = P.ALPHA[1] - P.ALPHA[0]  # 0.25


def _line(b, **group):
    t = b.table
    for k, v in group.items():
        t = t[t[k].astype(str) == str(v)]
    return t.sort_values(b.across)


# --------------------------------------------------------------------------
# interpolation threshold


def test_interpolation_threshold_linear_onset(physics):
    path, truth = physics.finite()
    b = pa.interpolation_threshold(pa.load(path))
    assert (b.kind, b.along, b.across, b.groups) == (
        "interpolation", "data.alpha", "train.temperature", ["train.start"])
    assert b.var == "train_error" and b.direction == "increasing"
    for start in ("hot", "cold"):
        line = _line(b, **{"train.start": start})
        est = line["data.alpha"].to_numpy()
        err = line["err"].to_numpy()
        # onset extrapolation: far below the grid step (0.25)
        np.testing.assert_allclose(est, truth["interpolation"], atol=0.05)
        assert np.all(np.abs(est - truth["interpolation"]) < 3 * err)
        assert np.all(err < 0.1) and np.all(line["n"] == 4)
        assert np.all((line["lo"] < est) & (est < line["hi"]))
    # the other methods: within a grid step
    for method in ("level", "step"):
        b2 = pa.interpolation_threshold(pa.load(path), method=method)
        est = _line(b2, **{"train.start": "hot"})["data.alpha"].to_numpy()
        np.testing.assert_allclose(est, truth["interpolation"], atol=STEP)


def test_interpolation_threshold_step_onset_and_direction(tmp_path):
    """A training error that jumps from 0 to a constant (no slope to
    extrapolate) -> bracket midpoint; zero at LARGE x -> found too."""
    x = np.linspace(0.0, 5.0, 21)  # step 0.25
    ys = np.array([1.0, 2.0])
    xc = np.array([1.6, 3.3])
    te = np.where(x[:, None, None] > xc[None, :, None], 0.2, 0.0) * np.ones((1, 1, 2))
    axes = [Axis("data.alpha", x, "real", "lin"), Axis("train.temperature", ys, "real")]
    ds = pa.load(write_custom(tmp_path / "step.h5", axes, {"train_error": te}, replicas=2))
    b = pa.interpolation_threshold(ds)
    np.testing.assert_allclose(b.table["data.alpha"], xc, atol=0.125 + 1e-9)
    np.testing.assert_allclose(b.table["resolution"], 0.25 / np.sqrt(12))
    rev = write_custom(tmp_path / "rev.h5", axes, {"train_error": te[::-1].copy()}, replicas=2)
    b = pa.interpolation_threshold(pa.load(rev))
    assert b.direction == "decreasing"
    np.testing.assert_allclose(b.table["data.alpha"], 5.0 - xc, atol=0.125 + 1e-9)


def test_interpolation_threshold_censored_and_threshold(tmp_path):
    x = np.linspace(1.0, 3.0, 9)
    te = np.stack([np.maximum(0, x - 2.0),       # crosses at 2
                   np.zeros_like(x),              # never leaves zero
                   0.1 + x], axis=1)[..., None]   # never zero
    te = np.repeat(te, 3, axis=-1)
    axes = [Axis("data.alpha", x, "real", "lin"), Axis("train.temperature", [0.0, 1, 2])]
    ds = pa.load(write_custom(tmp_path / "c.h5", axes, {"train_error": te}, replicas=3))
    b = pa.interpolation_threshold(ds, threshold=1e-3)
    assert b.threshold == 1e-3
    t = b.table.set_index("train.temperature")
    assert t.loc[0.0, "data.alpha"] == pytest.approx(2.0, abs=1e-9)
    assert np.isnan(t.loc[1.0, "data.alpha"]) and t.loc[1.0, "note"] == "beyond the range"
    assert np.isnan(t.loc[2.0, "data.alpha"]) and t.loc[2.0, "note"] == "below the range"
    assert t.loc[2.0, "n_censored"] == 3
    # percent thresholds: of the largest value (3.1)
    b = pa.interpolation_threshold(ds, threshold="10%")
    assert b.threshold == pytest.approx(0.31)
    with pytest.raises(pa.PdxValueError, match="bad threshold"):
        pa.interpolation_threshold(ds, threshold="lots")


def test_partly_pending_rows(tmp_path):
    """Pending replicas are ignored; a fully pending row has no point."""
    import physics_synth

    status = np.full((11, 3, 2, 4), DONE, dtype=np.int8)
    status[:, 1, 0, :2] = PENDING   # T=0.1 hot: two replicas still running
    status[:, 2, 1, :] = PENDING    # T=0.2 cold: nothing yet
    path, truth = physics_synth.finite_data(tmp_path / "p.h5", status=status,
                                            complete=False)
    b = pa.interpolation_threshold(pa.load(path))
    hot = _line(b, **{"train.start": "hot"})
    assert hot["n"].tolist() == [4, 2, 4]
    np.testing.assert_allclose(hot["data.alpha"], truth["interpolation"], atol=0.06)
    cold = _line(b, **{"train.start": "cold"})
    assert np.isnan(cold["data.alpha"].iloc[2]) and cold["note"].iloc[2] == "no data"


# --------------------------------------------------------------------------
# jump, hysteresis


def test_jump_and_hysteresis(physics):
    path, truth = physics.finite()
    ds = pa.load(path)
    h = pa.hysteresis(ds)
    b = h.boundary
    assert b.kind == "jump" and b.direction == "down" and "train.start" in b.groups
    for start in ("hot", "cold"):
        line = _line(b, **{"train.start": start})
        est, err = line["data.alpha"].to_numpy(), line["err"].to_numpy()
        np.testing.assert_allclose(est, truth[start], atol=STEP / 2 + 0.03)
        assert np.all(np.abs(est - truth[start]) < 3 * err)
        assert np.all(line["height"] < -0.05)
    w = h.window.sort_values("train.temperature")
    np.testing.assert_allclose(w["width"], truth["hot"] - truth["cold"], atol=STEP + 0.05)
    assert np.all(w["width_err"] > 0)
    assert list(w.columns[:3]) == ["train.temperature", "data.alpha_cold",
                                   "data.alpha_cold_err"]


def test_no_jump_in_smooth_data(tmp_path):
    x = np.linspace(0, 1, 11)
    eg = np.repeat((0.5 - 0.3 * x)[:, None, None], 2, axis=1) * np.ones((1, 1, 3))
    axes = [Axis("data.alpha", x, "real", "lin"), Axis("train.temperature", [0.0, 1.0])]
    b = pa.jump(pa.load(write_custom(tmp_path / "s.h5", axes, {"eg": eg}, replicas=3)))
    assert len(b.valid()) == 0 and set(b.table["note"]) == {"no crossing"}


# --------------------------------------------------------------------------
# divergence


def test_divergence_line(physics):
    path, truth = physics.divergence()
    ds = pa.load(path)
    b = pa.divergence(ds)
    assert (b.along, b.across, b.direction) == ("train.learning_rate", "student.hidden",
                                                "increasing")
    assert b.along_scale == "log"
    est = b.table.sort_values("student.hidden")["train.learning_rate"].to_numpy()
    half_log_step = np.log(P.LRS[1] / P.LRS[0]) / 2
    assert np.all(np.abs(np.log(est / truth["eta_c"])) < half_log_step + 0.1)
    # err in log space: lo/hi are geometric around the estimate
    t = b.table
    np.testing.assert_allclose(np.log(t["hi"] / t["train.learning_rate"]),
                               np.log(t["train.learning_rate"] / t["lo"]), rtol=1e-9)
    # the failed and the pending replica are not counted
    assert t.set_index("student.hidden").loc[1, "n"] == 3


def test_divergence_from_a_threshold(tmp_path):
    lr = np.geomspace(0.1, 10, 9)
    norm = np.repeat((lr ** 3)[:, None, None], 2, axis=1) * np.ones((1, 1, 2))
    axes = [Axis("train.learning_rate", lr, "real", "log"),
            Axis("student.hidden", [1, 2], "int")]
    ds = pa.load(write_custom(tmp_path / "n.h5", axes, {"norm": norm}, replicas=2))
    b = pa.divergence(ds, var="norm", threshold=8.0)  # lr^3 > 8: lr > 2
    est = b.table["train.learning_rate"].to_numpy()
    assert np.all((est > lr[5]) & (est < lr[6]))  # between 1.78 and 3.16
    with pytest.raises(pa.PdxValueError, match="needs a threshold"):
        pa.divergence(ds, var="norm")


# --------------------------------------------------------------------------
# early stopping


def test_early_stopping_time(physics):
    path, truth = physics.finite()
    ds = pa.load(path)
    b = pa.early_stopping(ds)
    assert (b.along, b.across) == ("time", "data.alpha")
    assert set(b.groups) == {"train.temperature", "train.start"}
    t = b.table
    ratio = t["time"] / P.tau_star(t["data.alpha"])
    assert np.all(np.abs(np.log(ratio)) < 0.05), ratio.describe()
    assert np.all(t["value"] < t["value_final"])
    # best over time per replica: the same minimum, with its time
    stats = pa.replica_mean(ds, "eg", time="best")
    assert "time_mean" in stats
    sel = {"data.alpha": 1.0, "train.temperature": 0.0, "train.start": "hot"}
    assert stats["time_mean"].sel(sel).item() == pytest.approx(20.0, rel=0.3)


def test_early_stopping_needs_a_significant_minimum(tmp_path):
    t = np.geomspace(1, 100, 10)
    rng = np.random.default_rng(0)
    flat = 0.2 + 0.01 * rng.standard_normal((4, 3, 10))  # noise only
    axes = [Axis("data.alpha", [1.0, 2.0, 3.0, 4.0], "real", "lin")]
    ds = pa.load(write_custom(tmp_path / "f.h5", axes, {"eg": flat}, replicas=3, times=t))
    b = pa.early_stopping(ds)
    assert len(b.valid()) == 0
    assert b.table["note"].str.contains("no minimum inside the run").all()


# --------------------------------------------------------------------------
# theory


def test_theory_boundaries_and_lines(physics):
    path, truth = physics.theory()
    th = pa.load(path)
    assert pa.is_theory(th) and "replica" not in th.dims
    lines = {b.kind: b for b in pa.theory_lines(th)}
    assert set(lines) == {"transition", "spinodal"}
    for kind, key in (("transition", "alpha_c"), ("spinodal", "alpha_spinodal")):
        b = lines[kind]
        assert b.source == "theory" and b.across == "train.temperature"
        line = _line(b, **{"train.start": "hot"})
        np.testing.assert_allclose(line["data.alpha"], truth[key])
        assert np.all(line["err"] == 0)
    # the generic kinds work on theory files: one estimate per point,
    # err = resolution; not converged / n.a. / pending cells are skipped
    ib = pa.interpolation_threshold(th, var="train_error")
    np.testing.assert_allclose(ib.table["data.alpha"], np.tile(P.alpha_interp(P.TEMPS), 2),
                               atol=0.01)
    assert np.all(ib.table["n"] == 1) and ib.source == "theory"
    jb = pa.jump(th)
    np.testing.assert_allclose(_line(jb, **{"train.start": "hot"})["data.alpha"],
                               truth["alpha_c"], atol=STEP / 2 + 1e-9)


def test_compare_simulation_with_theory(physics):
    path, truth = physics.finite()
    tpath, ttruth = physics.theory()
    sim = pa.hysteresis(pa.load(path)).boundary
    spin = {b.kind: b for b in pa.theory_lines(pa.load(tpath))}["spinodal"]
    c = bd.compare(sim, spin)
    hot = c[c["train.start"] == "hot"]
    np.testing.assert_allclose(hot["theory"], ttruth["alpha_spinodal"])
    assert np.all(np.abs(hot["diff"]) <= STEP / 2 + 1e-9)
    assert np.all(np.abs(hot["z"]) < 3)
    cold = c[c["train.start"] == "cold"]
    assert np.all(cold["z"] < -5)  # the cold start jumps far below the spinodal


# --------------------------------------------------------------------------
# files


def test_csv_and_json(physics, tmp_path):
    path, truth = physics.finite()
    b = pa.interpolation_threshold(pa.load(path))
    csv = b.to_csv(tmp_path / "b.csv")
    back = pd.read_csv(csv)
    assert list(back.columns[:4]) == ["train.start", "train.temperature", "data.alpha", "err"]
    np.testing.assert_allclose(back["data.alpha"], b.table["data.alpha"])
    data = json.load(open(b.to_json(tmp_path / "b.json")))
    assert data["kind"] == "interpolation" and data["along"] == "data.alpha"
    assert data["across"] == "train.temperature" and data["variable"] == "train_error"
    assert "sem^2" in data["uncertainty"]
    assert len(data["points"]) == 6
    assert data["points"][0]["data.alpha"] == pytest.approx(b.table["data.alpha"].iloc[0])


def test_find_boundaries_picks_what_fits(physics):
    path, _ = physics.finite()
    kinds = [b.kind for b in pa.find_boundaries(pa.load(path))]
    assert kinds == ["interpolation", "jump", "early_stopping"]
    dpath, _ = physics.divergence()
    kinds = [b.kind for b in pa.find_boundaries(pa.load(dpath))]
    assert kinds == ["divergence"]
    with pytest.raises(pa.PdxValueError, match="interpolation threshold needs"):
        pa.find_boundaries(pa.load(dpath), kinds=["interpolation"])
    with pytest.raises(pa.PdxValueError, match="unknown boundary kind"):
        pa.find_boundaries(pa.load(dpath), kinds=["capacity"])


def test_selection_and_names(physics):
    path, truth = physics.finite()
    ds = pa.load(path)
    b = pa.interpolation_threshold(ds, x="alpha", y="temperature", sel={"start": "cold"})
    assert b.groups == [] and b.selection == {"train.start": "cold"}
    np.testing.assert_allclose(b.table["data.alpha"], truth["interpolation"], atol=0.05)
    with pytest.raises(pa.PdxNameError, match="no axis 'nope'"):
        pa.interpolation_threshold(ds, x="nope")
    with pytest.raises(pa.PdxValueError, match="same axis"):
        pa.jump(ds, x="alpha", y="data.alpha")


def test_trainable_depth(tmp_path):
    """Deep students (issue 15): train_error over student.sigma_w2 x
    student.depth rises above 0.1 past a depth that peaks at the edge of
    chaos; the boundary finds it per sigma_w2 (the step between trained and
    untrained depths), and
    find_boundaries picks it up from the axes alone."""
    depth = np.array([2, 4, 8, 16, 24, 32, 48, 64], dtype=np.int64)
    sw = np.array([1.0, 1.75, 3.0])
    cut = np.array([[20.0, 21.0], [50.0, 54.0], [26.0, 26.0]])  # per replica
    # error 0 up to the cut, then rising with slope 0.02 per layer
    te = np.clip(0.02 * (depth[None, :, None] - cut[:, None, :]), 0.0, 0.5)
    axes = [Axis("student.sigma_w2", sw, "real", "list"),
            Axis("student.depth", depth, "int", "list")]
    ds = pa.load(write_custom(tmp_path / "deep.h5", axes, {"train_error": te},
                              replicas=2))
    b = pa.boundaries.trainable_depth(ds, threshold=0.1)
    assert b.kind == "trainable_depth" and b.along == "student.depth"
    # per replica the step between the deepest trained grid depth (error
    # <= 0.1) and the next one; both replicas share the bracket here
    for i in range(3):
        trained = depth[te[i, :, 0] <= 0.1].max()
        untrained = depth[depth > trained].min()
        assert trained <= b.table["student.depth"].iloc[i] <= untrained
    assert b.table["student.depth"].iloc[1] > 48.0  # the edge of chaos trains deepest
    assert 20.0 < b.table["student.depth"].iloc[0] < 32.0
    found = pa.find_boundaries(ds)
    assert "trainable_depth" in [f.kind for f in found]
