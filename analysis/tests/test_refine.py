"""pdx refine's planner (pdx_analysis.refine): the rounds of bisection on a
lattice for every kind, driven here on synthetic data whose boundary is
known (the C command and the files are tested by tests/refine_test.sh)."""

import json
import math

import numpy as np
import pytest
import xarray as xr

from pdx_analysis import PdxValueError
from pdx_analysis import refine as rf

N_LAT, XS = 65, np.linspace(0.5, 4.5, 65)          # lattice spacing 1/16
NOISE = np.array([0.2, 0.5, 0.8])
CROSS = {0.2: 3.1, 0.5: 2.2, 0.8: 1.37}              # the known boundary
R, TIMES = 3, np.array([1.0, 2.0, 4.0, 8.0, 16.0])


def cell_values(kind, x, f, r):
    """(status, value at every time) of one task: positive side above CROSS."""
    up = x > CROSS[f]
    if kind in ("interpolation", "trainable_depth"):
        v = (0.05 + 0.01 * r) if up else 0.0
        return 1, np.full(len(TIMES), v)
    if kind == "contour":
        return 1, np.full(len(TIMES), x * (1 + f) + 0.001 * r)
    if kind == "jump":
        return 1, np.full(len(TIMES), 0.1 if up else 0.4)
    if kind == "divergence":
        return (2 if up else 1), np.full(len(TIMES), 1.0)
    # early stopping: an interior minimum above the boundary
    curve = 0.3 / np.sqrt(TIMES)
    if up:
        curve = curve + 0.02 * TIMES
    return 1, curve + 1e-4 * r


def dataset(kind, done):
    """A pdx-like dataset with the tasks of cells ``done`` (flat indices)."""
    shape = (N_LAT, len(NOISE))
    status = np.zeros(shape + (R,), dtype=np.int8)
    val = np.full(shape + (R, len(TIMES)), np.nan)
    for c in done:
        i, j = np.unravel_index(c, shape)
        for r in range(R):
            st, v = cell_values(kind, XS[i], NOISE[j], r)
            status[i, j, r] = st
            if st == 1:
                val[i, j, r] = v
    dims = ("data.alpha", "data.label_noise", "replica")
    name = {"contour": "eg", "jump": "eg", "early_stopping": "eg"}.get(kind, "train_error")
    ds = xr.Dataset({"status": (dims, status), name: (dims + ("time",), val)},
                    coords={"data.alpha": XS, "data.label_noise": NOISE,
                            "replica": np.arange(R), "time": TIMES})
    ds["data.alpha"].attrs["pdx_scale"] = "lin"
    return ds


def refine_to_end(kind, **kw):
    """Drive the planner as pdx refine does; returns (plan, ds, rounds run)."""
    done = set()
    ds = None
    for _ in range(40):
        if ds is None:
            plan = rf.plan_rounds(None, 0, kind, shape=(N_LAT, len(NOISE)), **kw)
        else:
            plan = rf.plan_rounds(ds, "data.alpha", kind, **kw)
        if not len(plan["pending"]):
            return plan, ds
        done |= set(int(c) for c in plan["pending"])
        ds = dataset(kind, done)
    raise AssertionError("no end")


def test_start_indices_cover_the_ends():
    assert rf.start_indices(65, 5) == [0, 16, 32, 48, 64]
    assert rf.start_indices(10, 4) == [0, 3, 6, 9]
    assert rf.start_indices(3, 9) == [0, 1, 2]


@pytest.mark.parametrize("kind,extra", [
    ("interpolation", {}), ("trainable_depth", {}), ("contour", {"var": "eg"}),
    ("jump", {}), ("divergence", {}), ("early_stopping", {})])
def test_every_kind_brackets_the_known_boundary(kind, extra):
    if kind == "contour":
        extra = dict(extra, level=None)
    levels = {f: (CROSS[f] * (1 + f)) for f in NOISE}
    if kind == "contour":
        # one level per run: the middle setting's crossing
        extra["level"] = levels[0.5]
    plan, ds = refine_to_end(kind, **extra)
    n_cells = sum(len(r) for r in plan["rounds"])
    assert n_cells <= len(NOISE) * (5 + math.ceil(math.log2(N_LAT - 1)))
    assert n_cells * 5 <= len(NOISE) * N_LAT
    for s, f in enumerate(NOISE):
        j0, j1, orient = plan["brackets"][s]
        # eg drops at the jump: the side above the level is at small x
        assert orient == ("decreasing" if kind == "jump" else "increasing")
        if kind == "contour":
            want = extra["level"] / (1 + f)
            if not XS[0] < want < XS[-1]:
                assert j0 < 0
                continue
        else:
            want = CROSS[f]
        assert j1 == j0 + 1, (kind, f, j0, j1)
        assert XS[j0] <= want <= XS[j1] + 1e-12, (kind, f, XS[j0], XS[j1])


def test_a_smooth_crossing_is_no_jump(tmp_path):
    plan, ds = refine_to_end("jump", var="eg")
    ds.encoding["source"] = str(tmp_path / "j.h5")
    rec = rf.write_report(str(tmp_path / "j.refine.json"), plan, ds, "jump", "data.alpha",
                          "eg", None, 0.1)
    assert all(r["location"] is not None for r in rec["settings"])
    # the contour data (eg linear in alpha) crosses its midpoint smoothly
    plan, ds = refine_to_end("contour", var="eg", level=3.0)
    plan["levels"][:] = 3.0
    ds.encoding["source"] = str(tmp_path / "c.h5")
    rec = rf.write_report(str(tmp_path / "c.refine.json"), plan, ds, "jump", "data.alpha",
                          "eg", None, 0.1)
    for r in rec["settings"]:
        if r["lo"] is not None:
            assert r["location"] is not None and r["note"].startswith("no jump"), r


def test_a_kill_mid_round_replays_the_same_rounds():
    kind = "interpolation"
    plan, ds = refine_to_end(kind)
    rounds = plan["rounds"]
    # the data as a kill in round 2 leaves it: rounds 0, 1 and half of 2
    part = set(int(c) for r in rounds[:2] for c in r) | set(int(c) for c in rounds[2][::2])
    again = rf.plan_rounds(dataset(kind, part), "data.alpha", kind)
    assert len(again["rounds"]) == 3
    assert [list(r) for r in again["rounds"]] == [list(r) for r in rounds[:3]]
    assert sorted(again["pending"]) == sorted(set(rounds[2]) - part)
    # cells of another refinement in the file change nothing
    extra = part | {5, 6, 7}
    again = rf.plan_rounds(dataset(kind, extra), "data.alpha", kind)
    assert [list(r) for r in again["rounds"]] == [list(r) for r in rounds[:3]]


def test_a_cell_without_data_ends_its_setting(monkeypatch):
    # every task of the cells near the boundary of the middle setting fails
    real = cell_values

    def failing(kind, x, f, r):
        if f == 0.5 and abs(x - CROSS[f]) < 0.3:
            return 3, np.full(len(TIMES), np.nan)
        return real(kind, x, f, r)
    monkeypatch.setattr(__import__(__name__), "cell_values", failing)
    plan, ds = refine_to_end("interpolation")
    j0, j1, _ = plan["brackets"][1]
    assert j1 - j0 > 1 and XS[j0] <= CROSS[0.5] <= XS[j1]
    j0, j1, _ = plan["brackets"][0]
    assert j1 == j0 + 1


def test_shards_of_the_settings_make_the_whole():
    kind = "jump"
    whole, _ = refine_to_end(kind)
    cells = set()
    for k in range(2):
        plan, _ = refine_to_end(kind, shard=(k, 2))
        for s in range(len(NOISE)):
            if s % 2 == k:
                assert plan["brackets"][s] == whole["brackets"][s]
        cells |= set(int(c) for r in plan["rounds"] for c in r)
    assert cells == set(int(c) for r in whole["rounds"] for c in r)


def test_record_round_trip(tmp_path):
    kind = "interpolation"
    plan, ds = refine_to_end(kind)
    ds.encoding["source"] = str(tmp_path / "r.h5")
    path = str(tmp_path / "r.refine.json")
    rec = rf.write_report(path, plan, ds, kind, "data.alpha", None, None, 0.1)
    assert json.load(open(path)) == rec
    got = rf.load_refine(str(tmp_path / "r.h5"))
    t = got.boundary.table
    assert list(t["data.label_noise"]) == list(NOISE)
    for _, row in t.iterrows():
        assert row["lo"] <= CROSS[row["data.label_noise"]] <= row["hi"]
        assert row["err"] == pytest.approx((row["hi"] - row["lo"]) / math.sqrt(12))
    assert got.boundary.across == "data.label_noise" and got.boundary.groups == []
    assert rf.load_refine(path, across="data.label_noise").boundary.across == "data.label_noise"
    with pytest.raises(PdxValueError, match="not one of the settings' axes"):
        rf.load_refine(path, across="N")
    assert got.cells_run == sum(len(r) for r in plan["rounds"])
    assert got.cells_uniform == N_LAT * len(NOISE)


def test_bad_requests():
    with pytest.raises(PdxValueError, match="unknown kind"):
        rf.plan_rounds(None, 0, "ridge", shape=(9, 2))
    ds = dataset("interpolation", set(range(N_LAT * len(NOISE))))
    with pytest.raises(PdxValueError, match="not an axis"):
        rf.plan_rounds(ds, "train.learning_rate", "interpolation")
    with pytest.raises(PdxValueError, match="level"):
        rf.plan_rounds(ds, "data.alpha", "contour", var="train_error")


def test_trainable_depth_counts_diverged_replicas_as_untrained(monkeypatch):
    # deep networks that do not train by exploding: every replica of the
    # cells past the boundary diverges (status 2, no train_error), as
    # detection.trainable_depth counts them (untrained), not "no data"
    real = cell_values

    def exploding(kind, x, f, r):
        if x > CROSS[f]:
            return 2, np.full(len(TIMES), np.nan)
        return real(kind, x, f, r)
    monkeypatch.setattr(__import__(__name__), "cell_values", exploding)
    plan, ds = refine_to_end("trainable_depth", level=0.02)
    for s, f in enumerate(NOISE):
        j0, j1, orient = plan["brackets"][s]
        assert orient == "increasing" and j1 == j0 + 1, (f, j0, j1, orient)
        assert XS[j0] <= CROSS[f] <= XS[j1]
