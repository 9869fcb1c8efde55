"""The gradient-noise analysis (issue 17): noise_cells on a hand-made
dataset with known answers, the chi^2 threshold, and end to end on real
pdx sweeps (PDX_EXE): SGD against Langevin with sgd_vs_langevin."""

import os
import subprocess

import numpy as np
import pytest
import xarray as xr

import pdx_analysis as pa
from pdx_analysis.errors import PdxValueError
from pdx_analysis.noise import CHI2_NULL_PER_PAIR, chi2_threshold, noise_cells
from pdx_analysis.noise_plot import sgd_vs_langevin


def _dataset(replicas=5):
    alphas = np.array([0.5, 2.0])
    times = np.array([10.0, 20.0, 30.0])
    shape = (alphas.size, replicas, times.size)
    eg = np.empty(shape)
    eg[0] = [0.9, 0.3, 0.3]   # the first checkpoint is before the burn-in
    eg[1] = [0.9, 0.1, 0.2]
    rank = np.full(shape, 4.0)
    chi = np.array([[1.0, 2.0, 3.0, 4.0, 5.0], [30.0, 60.0, 90.0, 120.0, 150.0]]) * 3
    ds = xr.Dataset(
        {"eg": (("data.alpha", "replica", "time"), eg),
         "noise_trace": (("data.alpha", "replica", "time"), np.ones(shape)),
         "noise_rank": (("data.alpha", "replica", "time"), rank),
         "noise_rank99_fraction": (("data.alpha", "replica", "time"), np.full(shape, 0.5)),
         "grad_snr": (("data.alpha", "replica", "time"), np.full(shape, 0.1)),
         "noise_dimension": (("data.alpha", "replica"), np.full(shape[:2], 8.0)),
         "current_chi2": (("data.alpha", "replica"), chi),
         "noise_eigenvalues": (("data.alpha", "replica", "time", "eigen"),
                               np.ones(shape + (3,))),
         "status": (("data.alpha", "replica"), np.ones(shape[:2], np.int8))},
        coords={"data.alpha": alphas, "replica": np.arange(replicas),
                "time": times, "eigen": [1.0, 2.0, 3.0]},
        attrs={"param:train.algorithm": "sgd", "param:record.current_burn_in": 15.0})
    ds["status"].attrs["flag_meanings"] = "pending done diverged failed"
    ds["status"].attrs["flag_values"] = np.array([0, 1, 2, 3], np.int8)
    ds["data.alpha"].attrs["pdx_scale"] = "list"
    return ds


def test_noise_cells_known_answers():
    t = noise_cells(_dataset())
    assert list(t["data.alpha"]) == [0.5, 2.0]
    assert np.allclose(t.eg, [0.3, 0.15])           # mean over t >= 15 only
    assert np.allclose(t.rank_fraction, 0.5)        # 4 / 8
    assert np.allclose(t.chi2_per_pair, [3.0, 90.0])
    assert np.allclose(t.chi2_per_pair_sem, [np.std([1, 2, 3, 4, 5], ddof=1) / np.sqrt(5),
                                             30 * np.std([1, 2, 3, 4, 5], ddof=1) / np.sqrt(5)])
    thr = chi2_threshold(3)
    assert 3 * 19 / 17 < thr < 30
    assert t.significant.iloc[1] == 1.0
    assert t.significant.iloc[0] == np.mean(np.array([1, 2, 3, 4, 5]) * 3 > thr)
    assert (t.algorithm == "sgd").all()


def test_chi2_threshold_calibrated():
    # 1 pair: the 99 % quantile of t^2 with 19 dof is F(1, 19) ~ 8.18
    assert abs(chi2_threshold(1) - 8.18) < 0.3
    assert abs(CHI2_NULL_PER_PAIR - 19 / 17) < 1e-15


def test_noise_cells_needs_noise():
    ds = _dataset().drop_vars("noise_trace")
    with pytest.raises(PdxValueError, match="record.noise_eigen"):
        noise_cells(ds)


SPEC = """name: noise-e2e
seed: 3
replicas: 3
N: 8
teacher: {kind: perceptron}
student: {kind: perceptron}
data: {alpha: [1, 4]}
train: {ALG, temperature: [0.2, 0.4], loss: squared, weight_decay: 0.05, epochs: EPOCHS}
record: {times: [BURN, EPOCHS], noise_eigen: 3, current: true, current_burn_in: BURN}
"""


@pytest.mark.e2e
def test_e2e_sgd_vs_langevin(tmp_path):
    exe = os.environ.get("PDX_EXE")
    if not exe:
        pytest.fail("PDX_EXE is required (meson test analysis sets it)", pytrace=False)
    datasets = []
    for name, alg, epochs in (("sgd", "algorithm: sgd, batch: 1", 400),
                              ("langevin", "algorithm: langevin, learning_rate: 0.2", 4000)):
        spec = tmp_path / f"{name}.yaml"
        spec.write_text(SPEC.replace("ALG", alg).replace("EPOCHS", str(epochs))
                        .replace("BURN", str(epochs // 5)))
        out = tmp_path / f"{name}.h5"
        subprocess.run([exe, "run", str(spec), "-o", str(out), "--quiet"], check=True)
        datasets.append(pa.load(out))
    res = sgd_vs_langevin(datasets)
    t = res.table
    assert set(t.algorithm) == {"sgd", "langevin"} and len(t) == 8
    assert np.all((t.rank_fraction > 0) & (t.rank_fraction <= 1))
    assert np.all(np.isfinite(t.chi2_per_pair))
    res.figure.savefig(tmp_path / "noise.png", dpi=40)
    assert os.path.getsize(tmp_path / "noise.png") > 1000
