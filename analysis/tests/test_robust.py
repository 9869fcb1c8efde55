"""The robust-error analysis (issue 18): robust_cells, power_law and
robust_correlations on hand-made datasets with known answers, and end to
end on a real pdx sweep (PDX_EXE) with its report section."""

import os
import subprocess

import numpy as np
import pytest
import xarray as xr

import pdx_analysis as pa
from pdx_analysis.errors import PdxValueError
from pdx_analysis.report import report
from pdx_analysis.robust_plot import robust_vs_budget, robust_vs_clean

BUDGETS = np.array([0.0, 0.02, 0.05, 0.1, 0.2, 0.4])


def _dataset(k_of_width=lambda w: 0.8, replicas=6, noise=0.002, seed=1):
    """A result-file-like Dataset over data.alpha x student.hidden: clean
    error set by alpha only, robust = clean + A eps^k (k by width), plus
    Gaussian noise per replica."""
    rng = np.random.default_rng(seed)
    alphas = np.array([0.5, 1.0, 2.0, 4.0])
    widths = np.array([1, 2, 4, 8, 16])
    clean = 0.4 / (1 + alphas)
    rob = np.empty((alphas.size, widths.size, replicas, 1, BUDGETS.size))
    for i, c in enumerate(clean):
        for j, w in enumerate(widths):
            k = k_of_width(w)
            excess = 0.5 * BUDGETS ** k
            for r in range(replicas):
                e = c + rng.normal(0, noise)
                rob[i, j, r, 0] = e + excess * (1 + rng.normal(0, 0.01, BUDGETS.size))
                rob[i, j, r, 0, 0] = e
    ds = xr.Dataset(
        {"robust_error": (("data.alpha", "student.hidden", "replica", "time", "budget"), rob),
         "status": (("data.alpha", "student.hidden", "replica"),
                    np.ones(rob.shape[:3], np.int8))},
        coords={"data.alpha": alphas, "student.hidden": widths,
                "replica": np.arange(replicas), "time": [10.0], "budget": BUDGETS})
    ds["status"].attrs["flag_meanings"] = "pending done diverged failed"
    ds["status"].attrs["flag_values"] = np.array([0, 1, 2, 3], np.int8)
    for a in ("data.alpha", "student.hidden"):
        ds[a].attrs["pdx_scale"] = "list"
    return ds


def test_robust_cells_means_and_excess():
    ds = _dataset()
    t = pa.robust_cells(ds)
    assert len(t) == 4 * 5 * BUDGETS.size
    zero = t[t.budget == 0]
    assert np.allclose(zero.robust, zero.clean) and np.allclose(zero.excess, 0)
    row = t[(t["data.alpha"] == 1.0) & (t["student.hidden"] == 4) & (t.budget == 0.2)]
    assert abs(row.excess.iloc[0] - 0.5 * 0.2 ** 0.8) < 0.01
    assert row.replicas.iloc[0] == 6 and row.robust_sem.iloc[0] > 0


def test_power_law_recovers_the_exponent_per_group():
    ds = _dataset(k_of_width=lambda w: 0.5 + 0.1 * np.log2(w))
    fits = pa.power_law(ds, by=["student.hidden"], n_boot=100)
    assert list(fits["student.hidden"]) == [1, 2, 4, 8, 16]
    want = 0.5 + 0.1 * np.log2(fits["student.hidden"].to_numpy(float))
    assert np.all(np.abs(fits.exponent - want) < 4 * fits.exponent_se + 0.01), fits
    assert np.all(fits.exponent_se > 0) and np.all(np.abs(fits.prefactor - 0.5) < 0.05)
    per_cell = pa.power_law(ds, n_boot=10)
    assert len(per_cell) == 20
    with pytest.raises(PdxValueError):
        pa.power_law(ds, by=["train.nothing"])


def test_correlations_clean_not_size():
    ds = _dataset()
    c = pa.robust_correlations(ds, budget=0.1, n_boot=300).set_index("predictor")
    assert c.loc["clean", "pearson"] > 0.99
    assert c.loc["clean", "pearson_lo"] > 0.95
    w = c.loc["student.hidden"]
    assert abs(w.pearson) < 0.3 and w.pearson_lo < 0 < w.pearson_hi
    assert c.loc["clean", "budget"] == 0.1 and c.loc["clean", "cells"] == 20
    # a robust error that grows with width is seen as such
    grown = _dataset(k_of_width=lambda w: 1.2 - 0.15 * np.log2(w))
    g = pa.robust_correlations(grown, budget=0.2, n_boot=300).set_index("predictor")
    assert g.loc["student.hidden", "partial"] > 0.8
    assert g.loc["student.hidden", "partial_lo"] > 0.5
    with pytest.raises(PdxValueError):
        pa.robust_correlations(ds, budget=0.33)


def test_figures_draw(tmp_path):
    ds = _dataset()
    r = robust_vs_clean(ds, budget=0.1)
    assert "r(robust, clean)" in r.ax.get_title()
    r.figure.savefig(tmp_path / "a.png")
    b = robust_vs_budget(ds, cells=[{"data.alpha": 1.0, "student.hidden": 2}])
    assert b.ax.get_xscale() == "log" and b.ax.get_yscale() == "log"
    b.figure.savefig(tmp_path / "b.png")


def test_no_budgets_is_an_error():
    ds = _dataset().drop_vars("robust_error")
    with pytest.raises(PdxValueError):
        pa.robust_cells(ds)


SPEC = """\
name: e2e-robust
seed: 3
replicas: 3
N: 40
teacher: {kind: perceptron}
student: {kind: twolayer, hidden: [1, 4]}
data: {alpha: [1, 4]}
train: {algorithm: sgd, epochs: 10, batch: 4, loss: logistic}
record: {times: [10], test_size: 200, budgets: [0, 0.1, 0.3], attack_steps: 3}
"""


@pytest.mark.e2e
def test_e2e_robust_report(tmp_path):
    exe = os.environ.get("PDX_EXE")
    if not exe:
        pytest.fail("PDX_EXE is required (meson test analysis sets it)", pytrace=False)
    spec = tmp_path / "r.yaml"
    spec.write_text(SPEC)
    out = tmp_path / "r.h5"
    subprocess.run([exe, "run", str(spec), "-o", str(out), "--quiet"], check=True)
    ds = pa.load(out)
    t = pa.robust_cells(ds)
    assert (t.groupby(["data.alpha", "student.hidden"]).robust.apply(
        lambda s: np.all(np.diff(s.to_numpy()) >= 0))).all()
    c = pa.robust_correlations(ds, n_boot=50)
    assert set(c.predictor) == {"clean", "student.hidden"}
    r = report(out, tmp_path / "rep", dpi=50)
    md = open(r.path).read()
    assert "## Robust error" in md
    assert os.path.exists(tmp_path / "rep" / "robust_vs_clean_robust_error.png")
    assert os.path.exists(tmp_path / "rep" / "robust_vs_budget.png")
