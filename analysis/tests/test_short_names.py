"""load(short_names=True) / short_names: dotted keys as keyword names
(issue 19)."""

import numpy as np
import pytest
import xarray as xr

import pdx_analysis as pa


def test_short_names_of_a_file(synth):
    ds = pa.load(synth.path, short_names=True)
    # student.hidden and teacher.hidden end alike: both keep their whole key
    assert list(ds["eg"].dims) == ["activation", "learning_rate", "student_hidden",
                                   "teacher_hidden", "replica", "time"]
    assert ds["learning_rate"].attrs["pdx_key"] == "train.learning_rate"
    assert ds["student_hidden"].attrs["pdx_key"] == "student.hidden"
    # the old file's codes follow their axis
    assert ds["activation_code"].dims == ("activation",)
    sel = ds["eg"].sel(activation="relu", learning_rate=0.3, student_hidden=2)
    full = pa.load(synth.path)["eg"].sel({"student.activation": "relu",
                                          "train.learning_rate": 0.3,
                                          "student.hidden": 2})
    np.testing.assert_array_equal(sel.values, full.values)
    # pdx_analysis functions take the short names
    assert pa.resolve_axis(ds, "learning_rate") == "learning_rate"
    assert pa.spec_axes(ds) == ["activation", "learning_rate", "student_hidden",
                                "teacher_hidden"]


def test_short_names_clashes():
    ds = xr.Dataset(
        {"eg": (("data.alpha", "train.alpha", "noise"), np.zeros((2, 3, 1)))},
        coords={"data.alpha": [1.0, 2.0], "train.alpha": [5.0, 10.0, 20.0],
                "noise": [0.0], "data.label_noise": ("data.alpha", [0.1, 0.2]),
                "train.lambda": ("data.alpha", [1, 2]),
                "data.epochs": ("data.alpha", [3, 4])})
    out = pa.short_names(ds)
    assert out["eg"].dims == ("data_alpha", "train_alpha", "noise")
    assert "label_noise" in out.coords  # no clash
    assert "train_lambda" in out.coords  # a Python keyword
    assert "epochs" in out.coords
    assert out["data_alpha"].attrs["pdx_key"] == "data.alpha"
    assert out.sel(data_alpha=2, train_alpha=10)["eg"].shape == (1,)
    assert pa.short_names(out).identical(out)  # nothing dotted is left


def test_short_names_keeps_names_without_a_dot():
    ds = xr.Dataset({"eg": (("replica",), [1.0])}, coords={"replica": [0]})
    assert pa.short_names(ds).identical(ds)
