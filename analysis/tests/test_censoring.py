"""Issue 19, item 3: censoring-honest statistics. time_to_fit (NaN: never
fitted within the run) is summarised by the fraction of replicas that
fitted and a Kaplan-Meier median, and cells with censored replicas are
hatched, in time-to-fit maps and in tau* (early-stopping time) maps;
boundary kinds only for the algorithms they fit; single-point spikes are
not jumps. The tests that run pdx FAIL (never skip) without $PDX_EXE."""

import os

import numpy as np
import pytest

import pdx_analysis as pa
from pdx_analysis.detection import algorithms
from pdx_analysis.estimators import jump_estimate
from pdx_analysis.plot import heatmap
from pdx_analysis.stats import km_median

FIT = {
    "name": "fit", "seed": 3, "replicas": 4, "N": 40,
    "teacher": {"kind": "perceptron"}, "student": {"kind": "perceptron"},
    "data": {"alpha": {"log": [0.25, 4, 5]}, "label_noise": [0.0, 0.1, 0.2]},
    "train": {"algorithm": "sgd", "learning_rate": 0.1, "epochs": 50},
    "record": {"times": {"log": [1, 50, 5]}},
}


@pytest.fixture(scope="module")
def fit(tmp_path_factory):
    exe = os.environ.get("PDX_EXE")
    if not exe:
        pytest.fail("PDX_EXE is required (meson's `analysis` test sets it)", pytrace=False)
    return pa.run(FIT, tmp_path_factory.mktemp("cens") / "fit.h5", pdx=exe, stream=None)


def test_km_median_by_hand():
    nan = np.nan
    v = np.array([[5, nan, 32, 19],      # 3 of 4 fitted: 2nd smallest
                  [1, 1, 1, 1],
                  [27, nan, nan, nan],   # 1 of 4: median not reached
                  [nan, 8, 2, nan]])     # 2 of 4: S = 0.5 at t = 8
    np.testing.assert_array_equal(km_median(v, np.array([4, 4, 4, 4])),
                                  [19, 1, nan, 8])
    # fewer done replicas (the others pending or diverged): n counts done only
    np.testing.assert_array_equal(km_median(np.array([[3.0, nan, nan]]), np.array([1])), [3.0])
    assert np.isnan(km_median(np.array([[nan, nan]]), np.array([0])))[0]


def test_time_to_fit_map_is_censoring_aware(fit):
    ttf = fit["time_to_fit"].where(fit["status"] == 1)
    h = heatmap(fit, "alpha", "label_noise", var="time_to_fit")
    assert "Kaplan–Meier median" in h.colorbar.ax.get_ylabel().replace("\n", " ")
    fitted = ttf.notnull().sum("replica")
    n = (fit["status"] == 1).sum("replica")
    censored = ((fitted < n) & (n > 0)).transpose("data.label_noise", "data.alpha")
    assert h.censored_cells == int(censored.sum()) > 0
    assert "censored" in h.markers
    # the drawn value: the Kaplan-Meier median of each cell, NaN below half fitted
    want = km_median(ttf.transpose("data.alpha", "data.label_noise", "replica").values,
                     n.transpose("data.alpha", "data.label_noise").values).T
    np.testing.assert_array_equal(h.data.values, want)
    assert np.isnan(h.data.values).any()  # cells where fewer than half fitted
    frac = heatmap(fit, "alpha", "label_noise", var="time_to_fit", stat="fraction")
    np.testing.assert_allclose(frac.data.values,
                               (fitted / n).transpose("data.label_noise", "data.alpha").values)
    # the plain mean of the fitted replicas is still there when asked for
    m = heatmap(fit, "alpha", "label_noise", var="time_to_fit", stat="mean")
    assert not np.array_equal(m.data.values, h.data.values, equal_nan=True)
    with pytest.raises(pa.PdxValueError, match="censored"):
        heatmap(fit, "alpha", "label_noise", var="eg", stat="km_median")


def test_tau_star_map_hatches_censored_cells(fit):
    h = heatmap(fit, "alpha", "label_noise", var="eg", time="best", stat="time")
    eg = fit["eg"].where(fit["status"] == 1)
    at_end = (eg.fillna(np.inf).argmin("time") == eg.sizes["time"] - 1) & eg.notnull().any("time")
    assert h.censored_cells == int((at_end.sum("replica") > 0).sum())
    assert h.censored_cells > 0


def test_boundary_kinds_follow_the_algorithm(fit):
    assert algorithms(fit) == {"sgd"}
    ds = fit.copy()
    ds.attrs["param:train.algorithm"] = "metropolis"
    kinds = [b.kind for b in pa.find_boundaries(ds)]
    assert "early_stopping" not in kinds and "divergence" not in kinds
    # still computed when asked for
    assert [b.kind for b in pa.find_boundaries(ds, kinds=["early_stopping"])] == ["early_stopping"]


def test_single_point_spike_is_not_a_jump():
    s = np.arange(6.0)
    step = jump_estimate(s, np.array([.4, .4, .4, 0, 0, 0]), -1, .1, 1.0)
    assert step.s == 2.5
    # one outlying point: its steps down and back up are equal, which a
    # min_ratio of 1 lets through; the persistence criterion does not
    spike = jump_estimate(s, np.array([.4, .4, .4, 0, .4, .4]), -1, .1, 1.0)
    assert np.isnan(spike.s) and spike.censored == "none"
    spike = jump_estimate(s, np.array([.4, .4, .8, .4, .4, .4]), 1, .1, 1.0)
    assert np.isnan(spike.s)
