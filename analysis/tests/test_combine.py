"""Several files: shards of one sweep, merged files, theory files beside
simulations; statistics over replicas and time."""

import h5py
import numpy as np
import pytest
import xarray as xr

import pdx_analysis as pa
import pdx_synth
from pdx_synth import PENDING


def _shards(tmp_path, n=2):
    """The standard synthetic sweep as n shards (task i in shard i % n) and
    as one file; returns (full path, shard paths)."""
    full = pdx_synth.write_pdx_file(tmp_path / "full.h5")
    status = full.status
    flat = np.arange(status.size).reshape(status.shape)
    paths = []
    for k in range(n):
        st = np.where(flat % n == k, status, PENDING).astype(np.int8)
        paths.append(pdx_synth.write_pdx_file(tmp_path / f"shard{k}.h5", status=st,
                                              complete=False).path)
    return full.path, paths


def test_shards_combine_to_the_whole(tmp_path):
    full, shards = _shards(tmp_path, 3)
    whole = pa.load(full)
    parts = [pa.load(p) for p in shards]
    assert all(pa.status_counts(p)["pending"] > 0 for p in parts)
    combined = pa.load(shards)  # a list of paths
    for v in whole.data_vars:
        np.testing.assert_array_equal(combined[v].values, whole[v].values, err_msg=v)
    assert combined.attrs["pdx_shards"] == 3
    assert combined.encoding["source"] == shards
    # status 0 of the standard file stays pending: pdx_complete 0
    assert int(combined.attrs["pdx_complete"]) == 0
    assert pa.status_counts(combined) == pa.status_counts(whole)
    # a glob pattern, and the order of the files does not matter
    g = pa.load(str(tmp_path / "shard*.h5"))
    xr.testing.assert_equal(g, combined)
    r = pa.load(shards[::-1])
    np.testing.assert_array_equal(r["eg"].values, whole["eg"].values)
    # a merged file and a shard together: overlaps agree
    both = pa.load([full, shards[0]])
    np.testing.assert_array_equal(both["eg"].values, whole["eg"].values)
    assert "3 files" in pa.summary(combined)


def test_disagreeing_overlap_is_an_error(tmp_path):
    full, shards = _shards(tmp_path, 2)
    with h5py.File(shards[0], "r+") as f:
        st = f["status"][()]
        idx = tuple(np.argwhere(st == 1)[0])
        f["eg"][idx + (0,)] = 123.0
    with pytest.raises(pa.PdxFileError, match="disagree on 1 task"):
        pa.load([full, shards[0]])


def test_different_spec_is_an_error(tmp_path):
    axes = [pdx_synth.Axis("data.alpha", [1.0, 2.0], "real", "lin")]
    a = pdx_synth.write_custom(tmp_path / "a.h5", axes, {"eg": np.ones((2, 2))}, replicas=2,
                               spec_sha256="a" * 64)
    b = pdx_synth.write_custom(tmp_path / "b.h5", axes, {"eg": np.ones((2, 2))}, replicas=2,
                               spec_sha256="b" * 64)
    with pytest.raises(pa.PdxFileError, match="not a shard of the same sweep"):
        pa.load([a, b])
    c = pdx_synth.write_custom(tmp_path / "c.h5", [pdx_synth.Axis("data.alpha", [1.0, 3.0])],
                               {"eg": np.ones((2, 2))}, replicas=2, spec_sha256="a" * 64)
    with pytest.raises(pa.PdxFileError, match="different values of data.alpha"):
        pa.load([a, c])
    with pytest.raises(pa.PdxFileError, match="no file matches"):
        pa.load(str(tmp_path / "nothing*.h5"))


def test_theory_beside_simulation(physics):
    sim_path, _ = physics.finite()
    th_path, _ = physics.theory()
    loaded = pa.load_files([sim_path, th_path])
    assert loaded.sim is not None and loaded.theory is not None
    assert not pa.is_theory(loaded.sim) and pa.is_theory(loaded.theory)
    with pytest.raises(pa.PdxValueError, match="mix simulations and theory"):
        pa.load([sim_path, th_path])
    th = pa.load(th_path)
    assert pa.status_counts(th) == {"pending": 1, "solved": 63, "not_applicable": 1,
                                    "not_converged": 1}
    assert pa.status_names(th)[4] == "not_applicable"
    text = pa.summary(th)
    assert "theory" in text and "cells: 66" in text
    # the replica "statistics" of a theory file are its solved values
    st = pa.replica_mean(th, "eg")
    assert st["count"].max() == 1 and np.isnan(st["sem"]).all()
    assert int(st["n_not_applicable"].sum()) == 1 and int(st["n_failed"].sum()) == 1
    assert int(st["n_pending"].sum()) == 1


def test_theory_file_without_schema_version(tmp_path, physics):
    path, _ = physics.theory()
    with h5py.File(path, "r+") as f:
        del f.attrs["pdx_schema_version"]
    assert pa.is_theory(pa.load(path))


def test_replica_statistics(synth):
    ds = pa.load(synth.path)
    st = pa.replica_mean(ds, "eg", time="final", quantiles=(0.25, 0.75))
    assert {"mean", "median", "std", "sem", "count", "q0.25", "q0.75"} <= set(st.data_vars)
    cell = {"student.activation": "erf", "train.learning_rate": 1.0, "student.hidden": 1,
            "teacher.hidden": 2}
    vals = pa.select_time(ds["eg"], "final").sel(cell).values
    assert st["median"].sel(cell).item() == pytest.approx(np.median(vals))
    assert st["q0.75"].sel(cell).item() == pytest.approx(np.quantile(vals, 0.75))
    assert pa.replica_reduce(ds, "eg", "q75", time="final").sel(cell).item() == \
        pytest.approx(np.quantile(vals, 0.75))
    assert pa.replica_reduce(ds, "eg", "sem", time="final").sel(cell).item() == \
        pytest.approx(np.std(vals, ddof=1) / np.sqrt(3))
    with pytest.raises(pa.PdxValueError, match="bad statistic"):
        pa.replica_reduce(ds, "eg", "mode")
    # time="best": the minimum over time; here curves decrease, so it is
    # the last finite checkpoint
    done = ds["eg"].where(ds["status"] == 1)
    best = pa.select_time(done, "best")
    final = pa.select_time(done, "final")
    np.testing.assert_array_equal(best.values, final.values)
    np.testing.assert_array_equal(best["time"].values, final["time"].values)
    assert best.attrs["pdx_time"] == "best"
    t = pa.replica_reduce(ds, "eg", "time", time="best")
    assert t.sel(cell).item() == 10.0


def test_timings_and_resolve_variable(synth, physics):
    ds = pa.load(synth.path)
    t = pa.timings(ds)
    assert t["tasks_run"] == 68 and t["tasks_pending"] == 4
    assert t["elapsed_seconds"] == 60.0
    assert t["cpu_seconds"] == pytest.approx(np.nansum(np.where(ds["status"] != 0,
                                                                ds["wall_seconds"], 0)))
    assert "timing:" in pa.summary(ds)
    path, _ = physics.finite()
    fd = pa.load(path)
    assert pa.resolve_variable(fd, "error") == "train_error"
    with pytest.raises(pa.PdxNameError, match="no variable 'loss'"):
        pa.resolve_variable(fd, "loss")


@pytest.mark.parametrize("engine", ["auto", "h5py"])
def test_shard_files_along_a_task_dimension(tmp_path, engine):
    """Shard files as `pdx run --shard I/N` writes them: expanded to the
    whole grid (others' tasks pending), combined back to the whole file."""
    full = pdx_synth.write_pdx_file(tmp_path / "full.h5")
    shards = [pdx_synth.write_shard(full.path, tmp_path / f"s{k}.h5", k, 3)
              for k in range(3)]
    whole = pa.load(full.path, engine=engine)
    one = pa.load(shards[1], engine=engine)
    assert one["eg"].dims == whole["eg"].dims and "task" not in one.dims
    assert one["student.activation"].values.tolist() == ["relu", "erf", "linear"]
    flat = np.arange(full.status.size).reshape(full.status.shape)
    expected = np.where(flat % 3 == 1, full.status, PENDING)
    np.testing.assert_array_equal(one["status"].values, expected)
    assert np.all(one["steps"].values[expected == PENDING] == -1)
    assert int(one.attrs["pdx_complete"]) == 0 and one.attrs["pdx_shard_count"] == 3
    combined = pa.load(shards, engine=engine)
    for v in whole.data_vars:
        np.testing.assert_array_equal(combined[v].values, whole[v].values, err_msg=v)
    # a shard with the whole file: the overlap agrees (wall_seconds aside)
    with h5py.File(shards[0], "r+") as f:
        f["wall_seconds"][...] = 99.0
    both = pa.load([full.path, shards[0]], engine=engine)
    np.testing.assert_array_equal(both["eg"].values, whole["eg"].values)
