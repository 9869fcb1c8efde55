"""load, resolve_axis, replica_mean, select_time on synthetic pdx files."""

import os
import subprocess
import sys
import textwrap

import h5py
import numpy as np
import pytest
import xarray as xr

import pdx_analysis as pa
import pdx_synth
from pdx_synth import DIVERGED, DONE

AXES = ["student.activation", "train.learning_rate", "student.hidden", "teacher.hidden"]


@pytest.mark.parametrize("engine", ["auto", "h5netcdf", "h5py"])
def test_load_dims_and_values(synth, engine):
    ds = pa.load(synth.path, engine=engine)
    assert os.environ["HDF5_USE_FILE_LOCKING"] == "FALSE"
    assert list(ds["eg"].dims) == AXES + ["replica", "time"]
    assert list(ds["Q"].dims) == AXES + ["replica", "time", "student_unit", "student_unit2"]
    assert pa.spec_axes(ds) == AXES
    np.testing.assert_array_equal(ds["eg"].values, synth.eg)  # NaN == NaN here
    np.testing.assert_array_equal(ds["status"].values, synth.status)
    np.testing.assert_array_equal(ds["steps"].values, synth.steps)
    np.testing.assert_array_equal(ds["time"].values, synth.times)
    np.testing.assert_array_equal(ds["train.learning_rate"].values, [0.1, 0.3, 1, 3])
    np.testing.assert_array_equal(ds["student.hidden"].values, [1, 2])
    assert ds["eg"].dtype == np.float64 and ds["status"].dtype == np.int8
    # string attributes decoded, numbers kept
    assert ds.attrs["title"] == "synthetic sweep"
    assert ds.attrs["pdx_schema_version"] == 1
    assert ds["eg"].attrs["long_name"] == "generalization error"
    assert ds.encoding["source"] == synth.path


@pytest.mark.parametrize("engine", ["h5netcdf", "h5py"])
def test_choice_axis_decoded_and_scales_kept(synth, engine):
    ds = pa.load(synth.path, engine=engine)
    act = ds["student.activation"]
    # codes [1, 0, 3] of "erf relu tanh linear": mapped by value
    assert act.values.tolist() == ["relu", "erf", "linear"]
    assert ds["student.activation_code"].values.tolist() == [1, 0, 3]
    assert ds["student.activation_code"].dims == ("student.activation",)
    assert act.attrs["pdx_codes"].tolist() == [1, 0, 3]
    assert ds["student.activation_code"].attrs["flag_meanings"] == "erf relu tanh linear"
    # label-based selection works
    assert ds["eg"].sel({"student.activation": "linear"}).shape == (4, 2, 1, 3, 5)
    assert act.attrs["pdx_scale"] == "list"
    assert ds["train.learning_rate"].attrs["pdx_scale"] == "log"
    assert ds["student.hidden"].attrs["pdx_scale"] == "list"
    assert ds["time"].attrs["pdx_scale"] == "log"


def test_engines_agree(synth):
    a, b = pa.load(synth.path, engine="h5netcdf"), pa.load(synth.path, engine="h5py")
    xr.testing.assert_equal(a, b)
    assert a.attrs.keys() == b.attrs.keys()


def test_load_reads_into_memory_and_closes(synth):
    ds = pa.load(synth.path)
    assert h5py.h5f.get_obj_count(h5py.h5f.OBJ_ALL, h5py.h5f.OBJ_FILE) == 0
    with h5py.File(synth.path, "r+") as f:  # overwrite: ds must not change
        f["eg"][...] = -1.0
    assert np.nanmin(ds["eg"].values) > 0
    assert all(v._in_memory for v in ds.variables.values())


def test_load_while_a_writer_holds_the_file(synth):
    """A writer with HDF5 file locking on (as pdx run) keeps the file open;
    load must still read it (HDF5_USE_FILE_LOCKING=FALSE)."""
    code = textwrap.dedent(f"""
        import sys, time, h5py
        f = h5py.File({synth.path!r}, "r+")
        print("ready", flush=True)
        sys.stdin.readline()
        f.close()
    """)
    env = dict(os.environ, HDF5_USE_FILE_LOCKING="TRUE")
    writer = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert writer.stdout.readline().strip() == "ready"
        ds = pa.load(synth.path)
        assert ds.sizes["replica"] == 3
    finally:
        writer.communicate("\n", timeout=60)


def test_missing_file(tmp_path):
    path = tmp_path / "nope.h5"
    with pytest.raises(FileNotFoundError, match="nope.h5"):
        pa.load(path)
    with pytest.raises(pa.PdxFileError, match="no such file"):
        pa.load(path)


def test_non_pdx_hdf5_file(tmp_path):
    path = tmp_path / "plain.h5"
    with h5py.File(path, "w") as f:
        f["x"] = np.arange(3)
    with pytest.raises(pa.PdxFileError) as info:
        pa.load(path)
    assert str(path) in str(info.value)
    assert "not a pdx result file" in str(info.value)
    assert "pdx_schema_version" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_synth_without_schema_attribute_is_rejected(make_file):
    s = make_file("noschema.h5", pdx_schema=False)
    with pytest.raises(pa.PdxFileError, match="not a pdx result file"):
        pa.load(s.path)


def test_not_hdf5(tmp_path):
    path = tmp_path / "text.h5"
    path.write_text("hello\n")
    with pytest.raises(pa.PdxFileError, match="not an HDF5 file"):
        pa.load(path)


# --------------------------------------------------------------------------
# resolve_axis


def test_resolve_axis(synth):
    ds = pa.load(synth.path)
    assert pa.resolve_axis(ds, "train.learning_rate") == "train.learning_rate"
    assert pa.resolve_axis(ds, "learning_rate") == "train.learning_rate"
    assert pa.resolve_axis(ds, "activation") == "student.activation"
    assert pa.resolve_axis(ds, "time") == "time"
    assert pa.resolve_axis(ds, "replica") == "replica"
    with pytest.raises(pa.PdxNameError) as info:
        pa.resolve_axis(ds, "hidden")
    assert "ambiguous" in str(info.value)
    assert "student.hidden" in str(info.value) and "teacher.hidden" in str(info.value)
    with pytest.raises(pa.PdxNameError) as info:
        pa.resolve_axis(ds, "rate")  # suffixes are whole dotted components
    assert "no axis 'rate'" in str(info.value)
    assert "train.learning_rate" in str(info.value)


def test_resolve_axis_unique_hidden(make_file):
    axes = [pdx_synth.Axis("student.hidden", [1, 2], "int", "list", units=""),
            pdx_synth.Axis("train.learning_rate", [0.5, 1.0], "real", "lin")]
    ds = pa.load(make_file(axes=axes).path)
    assert pa.resolve_axis(ds, "hidden") == "student.hidden"


def test_resolve_variable(synth):
    ds = pa.load(synth.path)
    assert pa.resolve_variable(ds, "eg") == "eg"
    with pytest.raises(pa.PdxNameError, match="no variable 'et'.*eg"):
        pa.resolve_variable(ds, "et")


# --------------------------------------------------------------------------
# select_time, replica_mean


def test_select_time_final_picks_last_finite(synth):
    ds = pa.load(synth.path)
    final = pa.select_time(ds["eg"], "final")
    assert "time" not in final.dims
    assert final.dims == tuple(AXES) + ("replica",)
    # K = 1 cells train to alpha 10 (last checkpoint), K = 2 cells stop at 3
    cell_k1 = dict(zip(AXES, (0, 0, 0, 0)), replica=0)
    cell_k2 = dict(zip(AXES, (0, 0, 1, 0)), replica=0)
    assert final.isel(cell_k1).item() == synth.eg[0, 0, 0, 0, 0, 4]
    assert final.isel(cell_k1)["time"].item() == 10.0
    assert np.isnan(synth.eg[0, 0, 1, 0, 0, 4])
    assert final.isel(cell_k2).item() == synth.eg[0, 0, 1, 0, 0, 3]
    assert final.isel(cell_k2)["time"].item() == 3.0
    # the diverged replica: last finite value is before divergence
    assert final.isel(dict(zip(AXES, (0, 3, 0, 0)), replica=1)).item() == 50.0
    # the pending cell: nothing finite
    pending = final.isel(dict(zip(AXES, (1, 0, 1, 0))))
    assert np.all(np.isnan(pending.values)) and np.all(np.isnan(pending["time"].values))
    # no NaN where any finite value exists
    any_finite = np.isfinite(synth.eg).any(axis=-1)
    assert np.array_equal(np.isfinite(final.values), any_finite)


def test_select_time_number_is_nearest(synth):
    ds = pa.load(synth.path)
    at = pa.select_time(ds["eg"], 2.5)
    assert at["time"].item() == 3.0
    np.testing.assert_array_equal(at.values, synth.eg[..., 3])
    assert pa.select_time(ds["eg"], "0.12")["time"].item() == 0.1
    with pytest.raises(pa.PdxValueError, match="bad time"):
        pa.select_time(ds["eg"], "soon")
    with pytest.raises(pa.PdxValueError, match="no time dimension"):
        pa.select_time(ds["steps"], "final")


def test_replica_mean_ignores_non_done(synth):
    ds = pa.load(synth.path)
    r = pa.replica_mean(ds, "eg", time="final")
    assert set(r.data_vars) >= {"mean", "std", "sem", "count", "n_done",
                                "n_diverged", "n_pending", "n_failed"}
    assert r["mean"].dims == tuple(AXES)
    assert r["mean"].attrs["long_name"] == "generalization error"

    final = synth.eg[..., -1].copy()  # K=1 cells end at the last checkpoint
    final[:, :, 1] = synth.eg[:, :, 1, ..., 3]  # K=2 cells end at t=3
    done = synth.status == DONE
    masked = np.where(done, final, np.nan)
    with np.errstate(invalid="ignore"):
        count = np.isfinite(masked).sum(-1)
        expected = np.nansum(masked, -1) / np.where(count, count, 1)
    expected[count == 0] = np.nan
    np.testing.assert_allclose(r["mean"].values, expected, rtol=1e-12)
    np.testing.assert_array_equal(r["count"].values, count)

    # relu, lr=3, K=1: replica 1 diverged (eg 50 before divergence): not used
    cell = dict(zip(AXES, ("relu", 3.0, 1, 2)))
    assert r["n_diverged"].sel(cell).item() == 1
    assert r["count"].sel(cell).item() == 2
    assert r["mean"].sel(cell).item() < 1.0
    np.testing.assert_allclose(
        r["mean"].sel(cell).item(), np.mean(synth.eg[0, 3, 0, 0, [0, 2], -1]))
    std = np.std(synth.eg[0, 3, 0, 0, [0, 2], -1], ddof=1)
    np.testing.assert_allclose(r["std"].sel(cell).item(), std)
    np.testing.assert_allclose(r["sem"].sel(cell).item(), std / np.sqrt(2))
    # all diverged / all pending: NaN, no count
    for cell in [("linear", 3.0, 2, 2), ("erf", 0.1, 2, 2)]:
        c = dict(zip(AXES, cell))
        assert np.isnan(r["mean"].sel(c).item()) and r["count"].sel(c).item() == 0
    assert r["n_pending"].sel(dict(zip(AXES, ("erf", 0.1, 2, 2)))).item() == 3
    assert r["n_failed"].sel(dict(zip(AXES, ("linear", 0.1, 1, 2)))).item() == 1
    assert int(r["n_done"].sum() + r["n_diverged"].sum() + r["n_pending"].sum()
               + r["n_failed"].sum()) == synth.status.size
    # final time per cell
    assert r["time"].sel(dict(zip(AXES, ("relu", 0.1, 2, 2)))).item() == 3.0


def test_replica_mean_keeps_time(synth):
    ds = pa.load(synth.path)
    r = pa.replica_mean(ds, "eg")
    assert r["mean"].dims == tuple(AXES) + ("time",)
    # the diverged replica's pre-divergence values (50) never enter
    assert np.nanmax(r["mean"].values) < 1.0
    assert (synth.status == DIVERGED).any()


def test_status_counts_and_summary(synth):
    ds = pa.load(synth.path)
    counts = pa.status_counts(ds)
    assert counts == {"pending": 4, "done": 63, "diverged": 4, "failed": 1}
    text = pa.summary(ds)
    assert "synthetic sweep" in text
    assert "train.learning_rate" in text and "relu, erf, linear" in text
    assert "done 63" in text and "diverged 4" in text and "pending 4" in text


def test_auto_falls_back_to_h5py(synth, monkeypatch):
    from pdx_analysis import loading

    def broken(path):
        raise ValueError("h5netcdf cannot read this")

    monkeypatch.setattr(loading, "_load_h5netcdf", broken)
    ds = pa.load(synth.path)  # engine="auto"
    assert ds["student.activation"].values.tolist() == ["relu", "erf", "linear"]
    np.testing.assert_array_equal(ds["eg"].values, synth.eg)
    with pytest.raises(pa.PdxFileError, match="h5netcdf cannot read it"):
        pa.load(synth.path, engine="h5netcdf")


def test_incomplete_file_loads(make_file):
    """A working file (no end_time, pdx_complete 0, tasks pending) loads."""
    shape = (3, 4, 2, 1, 3)
    status = np.zeros(shape, dtype=np.int8)
    status[0] = DONE
    s = make_file("working.h5", status=status, complete=False)
    ds = pa.load(s.path)
    assert int(ds.attrs["pdx_complete"]) == 0 and "end_time" not in ds.attrs
    assert pa.status_counts(ds)["pending"] == int(np.sum(status == 0))
    assert "incomplete" in pa.summary(ds)
