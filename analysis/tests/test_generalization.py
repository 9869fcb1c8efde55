"""pdx_analysis.generalization (issue 17) on synthetic files with known
answers: B_opt from a parabola in log B, its scaling with eta P, the gain
of regularizers with the best setting re-selected, the evidence table."""

import math

import numpy as np
import pytest
import xarray as xr

import pdx_analysis as pa
from pdx_analysis.errors import PdxValueError


def _batch_ds(slope=1.0, noise=0.002, R=12, seed=1, scale=0.02):
    """eg = 0.1 + 0.05 (log B - log B*)^2 + noise, B* = 0.02 (eta P)^slope."""
    rng = np.random.default_rng(seed)
    B = np.array([1, 2, 3, 4, 6, 8, 11, 16, 23, 32, 45, 64, 91, 128, 181, 256.0])
    eta = np.array([0.5, 1, 2, 4.0])
    alpha = np.array([2, 4, 8.0])
    N = 40
    P = np.floor(alpha * N + 0.5)
    bstar = scale * (eta[None, :] * P[:, None]) ** slope
    eg = (0.1 + 0.05 * (np.log(B)[None, None, :, None]
                        - np.log(bstar)[:, :, None, None]) ** 2
          + noise * rng.standard_normal((3, 4, len(B), R)))
    ds = xr.Dataset(
        {"eg": (("data.alpha", "train.learning_rate", "train.batch", "replica", "time"),
                eg[..., None]),
         "status": (("data.alpha", "train.learning_rate", "train.batch", "replica"),
                    np.ones(eg.shape, dtype="int8"))},
        coords={"data.alpha": alpha, "train.learning_rate": eta,
                "train.batch": B, "replica": np.arange(R), "time": [8.0]})
    ds.attrs["param:N"] = N
    return ds, bstar


def test_optimal_batch_finds_the_vertex_and_the_slope():
    ds, bstar = _batch_ds(slope=1.0)
    t = pa.optimal_batch(ds, n_boot=100)
    inside = ~t["censored"]
    assert inside.sum() >= 8
    want = np.log(bstar).ravel()[inside.to_numpy()]
    got = t["log_B_opt"][inside].to_numpy()
    # a parabola through three grid points of an exact parabola: exact
    assert np.allclose(got, want, atol=0.05), (got, want)
    assert (t["log_B_opt_se"][inside] < 0.2).all()
    assert set(t["P"]) == {80.0, 160.0, 320.0}
    fit = pa.batch_scaling(t)
    assert abs(fit["slope"] - 1.0) < 3 * fit["slope_se"] + 0.02, fit
    sep = pa.batch_scaling(t, x=["train.learning_rate", "P"])
    assert abs(sep["slopes"]["P"] - 1.0) < 0.1, sep
    # a slope of 1/2 is told apart from 1
    t2 = pa.optimal_batch(_batch_ds(slope=0.5, scale=0.3)[0], n_boot=50)
    assert abs(pa.batch_scaling(t2)["slope"] - 0.5) < 0.1


def test_optimal_batch_flags_minima_at_the_grid_ends():
    ds, _ = _batch_ds()
    t = pa.optimal_batch(ds, n_boot=10)
    row = t[(t["data.alpha"] == 2) & (t["train.learning_rate"] == 0.5)].iloc[0]
    assert row["censored"] and row["B_opt"] == 1.0  # B* = 1.6: first points
    with pytest.raises(PdxValueError):
        pa.optimal_batch(ds.isel({"train.batch": 0}, drop=True), n_boot=1)


def _reg_ds(R=20, seed=3):
    """eg over (dropout, weight_decay, replica, time): weight decay 0.01
    lowers eg by 0.03, dropout by nothing, time has its minimum at t = 4
    (0.02 below the final value)."""
    rng = np.random.default_rng(seed)
    d = np.array([0, 0.25, 0.5])
    wd = np.array([0, 0.01, 0.1])
    times = np.array([1, 2, 4, 8, 16.0])
    base = np.array([0.30, 0.25, 0.20, 0.21, 0.22])
    eg = np.empty((3, 3, R, 5))
    for i in range(3):
        for j in range(3):
            shift = {0: 0.0, 1: -0.03, 2: 0.02}[j] + (0.01 if i else 0.0)
            eg[i, j] = base + shift + 0.004 * rng.standard_normal((R, 1))
    return xr.Dataset(
        {"eg": (("train.dropout", "train.weight_decay", "replica", "time"), eg),
         "status": (("train.dropout", "train.weight_decay", "replica"),
                    np.ones((3, 3, R), dtype="int8"))},
        coords={"train.dropout": d, "train.weight_decay": wd,
                "replica": np.arange(R), "time": times})


def test_regularizer_gains_best_setting_and_error():
    t = pa.regularizer_gains(_reg_ds(), n_boot=200).set_index("regularizer")
    assert t.loc["train.weight_decay", "best_setting"] == 0.01
    assert abs(t.loc["train.weight_decay", "gain"] - 0.03) < 0.005
    assert t.loc["train.dropout", "best_setting"] == 0.0
    assert t.loc["train.dropout", "gain"] == 0.0
    es = t.loc["early stopping (time)"]
    assert es["best_setting"] == 4.0 and abs(es["gain"] - 0.02) < 0.005
    assert 0 < t.loc["train.weight_decay", "gain_se"] < 0.005
    with pytest.raises(PdxValueError):
        pa.regularizer_gains(_reg_ds(), regularizers={"train.dropout": 0.1})


def test_evidence_table_ratio_per_example():
    R, P = 4, 60
    le = np.array([[-30.0, -31, -29, -30], [-50, -52, -48, -50]])
    ds = xr.Dataset(
        {"log_evidence": (("data.label_noise", "replica"), le),
         "evidence_cost": (("data.label_noise", "replica"), le + 10),
         "evidence_occam": (("data.label_noise", "replica"), np.full((2, R), -10.0)),
         "evidence_null": (("data.label_noise", "replica"), np.full((2, R), -P * math.log(2))),
         "evidence_eg": (("data.label_noise", "replica"), np.full((2, R), 0.2)),
         "eg": (("data.label_noise", "replica", "time"), np.full((2, R, 1), 0.25)),
         "status": (("data.label_noise", "replica"), np.ones((2, R), dtype="int8"))},
        coords={"data.label_noise": [0.0, 1.0], "replica": np.arange(R), "time": [5.0]})
    t = pa.evidence_table(ds)
    assert np.allclose(t["ratio"], (le.mean(axis=1) + P * math.log(2)) / P)
    assert t["ratio"][0] > 0 > t["ratio"][1]
    assert np.allclose(t["occam"], -10.0 / P)
    with pytest.raises(PdxValueError):
        pa.evidence_table(ds.drop_vars("log_evidence"))


def test_batch_size_command(monkeypatch, capsys):
    from pdx_analysis import __main__ as cli
    ds, _ = _batch_ds(slope=1.0)
    monkeypatch.setattr(cli, "_load", lambda args: (ds, None))
    assert cli.main(["batch-size", "x.h5", "--bootstrap", "20"]) == 0
    out = capsys.readouterr().out
    assert "log(eta P)" in out and "separately train.learning_rate" in out
    slope = float(out.split("+ (")[1].split(" +-")[0])
    assert abs(slope - 1.0) < 0.05
