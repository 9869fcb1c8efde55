"""The local-energy analysis (issue 16): local_energy_table on a
hand-made dataset with known means and standard errors (unfinished tasks
left out, other axes fixed by sel), its errors, the plot's lines and
labels, and end to end on a real pdx sweep (PDX_EXE)."""

import os
import subprocess

import numpy as np
import pytest
import xarray as xr

import pdx_analysis as pa
from pdx_analysis.errors import PdxValueError
from pdx_analysis.flatness_plot import local_energy_plot

SIZES = np.array([0.0, 0.1, 0.3])


def _dataset(replicas=5):
    """local_energy = base(alg) + slope(alg) * size + replica offset, over
    train.algorithm x data.alpha; replica 4 of sgd is not done."""
    algs = np.array(["sgd", "entropy_sgd"])
    alphas = np.array([1.0, 2.0])
    slope = {"sgd": 0.8, "entropy_sgd": 0.4}
    offs = np.linspace(-0.02, 0.02, replicas)
    le = np.empty((2, 2, replicas, 2, SIZES.size))
    for i, a in enumerate(algs):
        for j, al in enumerate(alphas):
            for r in range(replicas):
                le[i, j, r, :] = 0.01 * al + slope[a] * SIZES + offs[r]
    status = np.ones((2, 2, replicas), np.int8)
    status[0, :, 4] = 0
    le[0, :, 4] = 9.0  # would spoil the mean if counted
    te = le[..., 0]
    ds = xr.Dataset(
        {"local_energy": (("train.algorithm", "data.alpha", "replica", "time",
                           "perturbation"), le),
         "train_error": (("train.algorithm", "data.alpha", "replica", "time"), te),
         "status": (("train.algorithm", "data.alpha", "replica"), status)},
        coords={"train.algorithm": algs, "data.alpha": alphas,
                "replica": np.arange(replicas), "time": [1.0, 5.0],
                "perturbation": SIZES})
    ds["perturbation"].attrs["long_name"] = "perturbation size p or σ"
    ds["local_energy"].attrs["long_name"] = "local energy"
    for a in ("train.algorithm", "data.alpha"):
        ds[a].attrs["pdx_scale"] = "list"
    return ds


def test_local_energy_table_means_and_errors():
    ds = _dataset()
    t = pa.local_energy_table(ds, sel={"alpha": 2})
    assert list(t.columns[:2]) == ["train.algorithm", "perturbation"]
    assert len(t) == 2 * SIZES.size
    sgd = t[t["train.algorithm"] == "sgd"]
    assert list(sgd["count"]) == [4, 4, 4]  # the pending replica left out
    offs = np.linspace(-0.02, 0.02, 5)
    want = 0.02 + 0.8 * SIZES + offs[:4].mean()
    assert np.allclose(sgd["mean"], want)
    assert np.allclose(sgd["sem"], np.std(offs[:4], ddof=1) / 2)
    esgd = t[t["train.algorithm"] == "entropy_sgd"]
    assert np.allclose(esgd["mean"], 0.02 + 0.4 * SIZES)
    assert np.allclose(esgd["train_error"], 0.02)


def test_local_energy_table_needs_fixed_axes_and_the_variable():
    ds = _dataset()
    with pytest.raises(PdxValueError, match="data.alpha"):
        pa.local_energy_table(ds)
    with pytest.raises(PdxValueError, match="record.perturbations"):
        pa.local_energy_table(ds.drop_vars("local_energy"))
    t = pa.local_energy_table(ds, by="data.alpha", sel={"train.algorithm": "sgd"})
    assert sorted(set(t["data.alpha"])) == [1.0, 2.0]


def test_local_energy_plot_lines():
    ds = _dataset()
    res = local_energy_plot(ds, sel={"data.alpha": 1})
    lines = res.ax.get_lines()
    assert len(res.ax.containers) == 2  # one errorbar per algorithm
    ys = [np.asarray(c.lines[0].get_ydata(), float) for c in res.ax.containers]
    assert np.allclose(np.diff(ys[0]) / np.diff(SIZES), 0.8)
    assert np.allclose(np.diff(ys[1]) / np.diff(SIZES), 0.4)
    labels = [t.get_text() for t in res.ax.get_legend().get_texts()]
    assert labels[0].startswith("sgd (train error") and "entropy_sgd" in labels[1]
    assert res.ax.get_xlabel() == "perturbation size p or σ"
    assert lines


SPEC = """name: flat-e2e
seed: 3
replicas: 3
N: 30
teacher: {kind: perceptron}
student: {kind: committee, hidden: 3, activation: tanh, init_scale: 1}
data: {alpha: 1.5, label_noise: 1}
train: {batch: 5, loss: hinge, epochs: 30, esgd_gamma: 0.05, esgd_noise: 0.01,
        esgd_langevin_steps: 5, esgd_inner_learning_rate: 1}
zip: {train.algorithm: [sgd, entropy_sgd], train.learning_rate: [1, 20]}
record: {times: [30], test_size: 50, perturbations: [0, 0.2, 0.5], perturbation_draws: 8}
"""


@pytest.mark.e2e
def test_e2e_local_energy(tmp_path):
    exe = os.environ.get("PDX_EXE")
    if not exe:
        pytest.fail("PDX_EXE is required (meson test analysis sets it)", pytrace=False)
    spec = tmp_path / "f.yaml"
    spec.write_text(SPEC)
    out = tmp_path / "f.h5"
    subprocess.run([exe, "run", str(spec), "-o", str(out), "--quiet"], check=True)
    ds = pa.load(out)
    t = pa.local_energy_table(ds)
    assert set(t["train.algorithm"]) == {"sgd", "entropy_sgd"}
    assert (t["count"] == 3).all()
    for _, g in t.groupby("train.algorithm"):
        # size 0 is the training error; the energy grows with the size
        assert abs(g["mean"].iloc[0] - g["train_error"].iloc[0]) < 1e-12
        assert g["mean"].iloc[-1] > g["mean"].iloc[0]
    res = local_energy_plot(ds)
    res.figure.savefig(tmp_path / "le.png", dpi=40)
    assert os.path.getsize(tmp_path / "le.png") > 1000
