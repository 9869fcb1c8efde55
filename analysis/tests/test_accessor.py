"""``ds.pdx``: each method gives what the function it stands for gives."""

import numpy as np
import pytest
import xarray as xr
from matplotlib.figure import Figure

import pdx_analysis as pa
from pdx_analysis.lines import learning_curves, slices
from pdx_analysis.plot import heatmap


def test_names_and_selection(synth):
    ds = pa.load(synth.path)
    assert ds.pdx.axes == pa.spec_axes(ds)
    assert ds.pdx.axis("learning_rate") == "train.learning_rate"
    assert ds.pdx.var("eg") == "eg"
    # short names as keywords; nearest real value; choice by name and code
    sub = ds.pdx.sel(learning_rate=0.29, activation="erf")
    assert float(sub["train.learning_rate"]) == 0.3
    assert str(sub["student.activation"].values) == "erf"
    assert "train.learning_rate" not in sub.dims and "student.hidden" in sub.dims
    by_code = ds.pdx.sel({"student.activation": 3})
    assert str(by_code["student.activation"].values) == "linear"
    with pytest.raises(pa.PdxValueError, match="no value 'sigmoid'"):
        ds.pdx.sel(activation="sigmoid")
    with pytest.raises(pa.PdxNameError):
        ds.pdx.sel(nosuch=1)


def test_statistics_match_the_functions(synth):
    ds = pa.load(synth.path)
    xr.testing.assert_identical(ds.pdx.mean("eg", time="final", quantiles=(0.9,)),
                                pa.replica_mean(ds, "eg", time="final", quantiles=(0.9,)))
    xr.testing.assert_identical(ds.pdx.stat("eg", "median", time="best"),
                                pa.replica_reduce(ds, "eg", "median", time="best"))
    xr.testing.assert_identical(ds.pdx.at("eg", "best"), pa.select_time(ds["eg"], "best"))
    assert ds.pdx.status_counts() == pa.status_counts(ds)
    assert ds.pdx.summary() == pa.summary(ds)
    assert ds.pdx.timings() == pa.timings(ds)
    pl = ds.pdx.plane("learning_rate", "student.hidden", sel={"activation": "relu"})
    assert pl.data.dims == ("student.hidden", "train.learning_rate")


def test_boundaries_match_the_functions(physics):
    path, _ = physics.finite()
    ds = pa.load(path)
    a = ds.pdx.boundary("capacity")  # an alias, as --kind accepts
    b = pa.interpolation_threshold(ds)
    assert a.kind == b.kind == "interpolation"
    assert a.table.equals(b.table)
    h = ds.pdx.boundary("hysteresis")
    assert h.window.equals(pa.hysteresis(ds).window)
    assert [x.kind for x in ds.pdx.boundaries()] == [x.kind for x in pa.find_boundaries(ds)]
    assert ds.pdx.boundary("jump", threshold="20%").threshold == pa.jump(
        ds, threshold="20%").threshold
    with pytest.raises(pa.PdxValueError, match="unknown boundary kind"):
        ds.pdx.boundary("spinodal")
    th = pa.load(physics.theory()[0])
    assert [x.kind for x in th.pdx.theory_lines()] == [x.kind for x in pa.theory_lines(th)]


def test_figures(synth):
    ds = pa.load(synth.path)
    h = ds.pdx.plot("learning_rate", "student.hidden", sel={"activation": "relu"}, contours=3)
    ref = heatmap(ds, "learning_rate", "student.hidden", sel={"activation": "relu"}, contours=3)
    assert isinstance(h.figure, Figure)
    np.testing.assert_array_equal(h.data.values, ref.data.values)
    assert (h.diverged_cells, h.pending_cells) == (ref.diverged_cells, ref.pending_cells)
    c = ds.pdx.curves(hue="learning_rate", sel={"activation": "relu", "student.hidden": 1})
    c_ref = learning_curves(ds, hue="learning_rate", sel={"activation": "relu", "student.hidden": 1})
    assert c.hue_values == c_ref.hue_values and len(c.lines[0]) == len(c_ref.lines[0])
    s = ds.pdx.slices("learning_rate", hue="student.hidden", sel={"activation": "relu"})
    s_ref = slices(ds, "learning_rate", hue="student.hidden", sel={"activation": "relu"})
    assert s.hue_values == s_ref.hue_values and len(s.lines[0]) == len(s_ref.lines[0])
