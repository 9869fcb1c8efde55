"""pdx_analysis.equilibration: the hot/cold agreement of Monte Carlo cells
(issue 14 item 4) on synthetic datasets of known answer, and on a real
sweep with both starts."""

import os
import shutil

import numpy as np
import pytest
import xarray as xr

import pdx_analysis as pa
from pdx_analysis.errors import PdxValueError


def synth(hot_mean, cold_mean, sem=0.01, eq=(1.0, 1.0)):
    dims = ("data.alpha", "train.start", "replica")
    coords = {"data.alpha": [1.0], "train.start": ["hot", "cold"], "replica": [0]}
    def var(values):
        return xr.DataArray(np.array(values, float).reshape(1, 2, 1), dims=dims,
                            coords=coords)
    return xr.Dataset({
        "equilibrated": var(eq),
        "train_error_mean": var([hot_mean, cold_mean]),
        "train_error_sem": var([sem, sem]),
        "eg_mean": var([0.2, 0.2]),
        "eg_sem": var([sem, sem]),
    })


def test_agreement_within_errors():
    e = pa.equilibration(synth(0.10, 0.11))  # z = 0.01 / 0.0141 = 0.71
    assert float(e.hot_cold_z) == pytest.approx(0.01 / np.sqrt(2e-4))
    assert (e.equilibrated_all.values == 1).all()


def test_disagreement_is_not_equilibrated():
    e = pa.equilibration(synth(0.10, 0.20))  # z = 7.1
    assert float(e.hot_cold_z) > 4
    assert (e.equilibrated_all.values == 0).all()


def test_one_task_not_equilibrated_fails_both():
    e = pa.equilibration(synth(0.10, 0.10, eq=(1.0, 0.0)))
    assert float(e.hot_cold_z) == 0
    assert (e.equilibrated_all.values == 0).all()


def test_without_both_starts_the_verdict_stands():
    ds = synth(0.1, 0.1).isel({"train.start": [0]})
    e = pa.equilibration(ds)
    assert np.isnan(e.hot_cold_z.values).all()
    assert (e.equilibrated_all.values == ds.equilibrated.values).all()


def test_needs_the_diagnostics():
    with pytest.raises(PdxValueError, match="train_error_sem"):
        pa.equilibration(synth(0.1, 0.1).drop_vars("train_error_sem"))


@pytest.mark.skipif(not os.environ.get("PDX_EXE") or not shutil.which(os.environ.get("PDX_EXE", "")),
                    reason="needs PDX_EXE")
def test_real_sweep(tmp_path):
    spec = {"name": "eqhc", "seed": 3, "replicas": 2, "N": 30,
            "teacher": {"kind": "perceptron", "weights": "binary"},
            "student": {"kind": "perceptron", "weights": "spherical"},
            "data": {"alpha": 1.0},
            "train": {"algorithm": "metropolis", "temperature": [0, 1.0],
                      "start": ["hot", "cold"], "entry": "perceptron",
                      "epochs": 1500, "burn_in": 300},
            "record": {"times": [1, 1500]}}
    ds = pa.run(spec, str(tmp_path / "eqhc.h5"), threads=1)
    e = pa.equilibration(ds)
    assert "train.start" not in e.hot_cold_z.dims
    assert np.isfinite(e.hot_cold_z.values).all()
    assert set(np.unique(e.equilibrated_all.values)) <= {0.0, 1.0}
    # never equilibrated where a task's own test says no
    assert ((e.equilibrated_all.values <= ds.equilibrated.values)).all()
