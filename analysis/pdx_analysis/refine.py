"""Boundary refinement (layer 8): the planner and the record of
``pdx refine`` (docs/FORMAT.md, "Refine files").

``pdx refine`` runs the cells of a *lattice* grid (the spec with the along
axis replaced by a fine uniform grid of spacing <= the tolerance) that
bisection needs, and only those. This module decides which: it is called
by the C command between rounds (``python3 -m pdx_analysis.refine_cli
plan``) and at the end (``... report``), and it reads the result back for plots
(:func:`load_refine`).

The rounds are a pure function of the data: round 0 is a fixed coarse
subset of the lattice (``start`` points per setting of the other axes);
round r >= 1 holds, for every setting whose crossing is not yet bracketed
by neighbouring lattice points, the lattice midpoint of its bracket, found
from the cells of rounds 0 .. r-1 only. So a rerun after a kill (some
cells of round r done, some not) replays the same rounds and runs the
same cells: the file is the one an uninterrupted run writes.

Every cell is classified as on the *positive* side or not, from its done
tasks (kinds as in :mod:`pdx_analysis.detection`, whose estimators work
replica by replica: here a cell is positive when more than half of its
replicas are, so the bisection follows the median replica; ``contour``
and ``jump`` use the replica mean, the value a phase diagram draws):

* ``interpolation``: ``train_error`` (``_mean`` for Monte Carlo) at its
  final time above ``level`` (default 1% of the largest replica mean of
  the setting's round-0 cells);
* ``contour``: ``var`` above ``level`` (both required);
* ``jump``: ``var`` (default ``eg``) nearer the value at the far end of
  the along range than the near end (level = their midpoint, per setting);
  when the final bracket holds less than :data:`JUMP_SHARE` of the
  change between the ends, the location (the midpoint crossing) is noted
  "no jump at the lattice's resolution" (at finite N a first-order jump
  is rounded over a width a fine lattice resolves);
* ``divergence``: more than half the replicas diverged (status 2), or with
  ``var``: more than half above ``level``;
* ``trainable_depth``: ``train_error`` above ``level`` (default halfway
  between the smallest and largest replica mean of the setting's round-0
  cells), a diverged replica counting as untrained (above), as in
  :func:`pdx_analysis.detection.trainable_depth`;
* ``early_stopping``: the replica mean of ``var`` (default ``eg``) has a
  significant minimum inside the run (tau* exists; the boundary is where
  early stopping starts to pay; tau* of every cell run is in the report).

The split of a setting's classified cells is the best step fit
(:func:`pdx_analysis.estimators.step_fit`, so isolated noisy cells do not
derail it), in the orientation that fits better (``direction`` forces
one). The boundary of a setting is its final bracket of neighbouring
lattice points: location the midpoint in the axis' plot scale (log axes:
geometric), ``resolution`` = width / sqrt(12) -- the resolution of a
uniform grid of the lattice's spacing -- or, for ``contour`` and
``interpolation`` with ``method="level"``, the linear interpolation of the
replica mean at the level (resolution halved, as in :func:`onset`).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import pandas as pd

from .boundary import Boundary
from .errors import PdxValueError
from .estimators import SQRT12, significant_minimum, step_fit
from .loading import load
from .names import DIVERGED, DONE, resolve_variable, spec_axes
from .stats import select_time

__all__ = ["REFINE_KINDS", "REFINE_VERSION", "Refinement", "load_refine", "plan_rounds",
           "start_indices", "write_report"]

#: Kinds ``pdx refine --kind`` takes (aliases as the command line's).
REFINE_KINDS = {"interpolation": "interpolation", "capacity": "interpolation",
                "jump": "jump", "first-order": "jump", "divergence": "divergence",
                "early_stopping": "early_stopping", "early-stopping": "early_stopping",
                "tau": "early_stopping", "trainable_depth": "trainable_depth",
                "trainable-depth": "trainable_depth", "depth": "trainable_depth",
                "contour": "contour"}

#: ``jump``: a final bracket holding less than this share of the change
#: of the replica mean between the ends of the range is noted "no jump at
#: the lattice's resolution" (its location is still the midpoint crossing).
JUMP_SHARE = 0.5

#: Version of the JSON record (docs/FORMAT.md).
REFINE_VERSION = 1


def start_indices(n: int, start: int) -> List[int]:
    """Lattice indices of round 0: ``start`` points spread evenly over 0 ..
    n-1 (both ends included; rounded down; duplicates removed)."""
    start = max(2, min(int(start), n))
    return sorted({(i * (n - 1)) // (start - 1) for i in range(start)})


class _Cells:
    """The classification inputs of every cell of a lattice file: per cell
    the replica mean of the variable, the fraction diverged and whether
    any replica is done (numpy arrays over the cells, row-major)."""

    def __init__(self, ds, kind: str, var: Optional[str], time):
        self.kind = kind
        status = np.asarray(ds["status"].values)
        axes = spec_axes(ds)
        self.shape = tuple(int(ds.sizes[a]) for a in axes)
        ncell = int(np.prod(self.shape)) if self.shape else 1
        status = status.reshape(ncell, -1)
        self.finished = (status != 0).all(axis=1)
        self.diverged = (status == DIVERGED).mean(axis=1)
        self.diverged_tasks = status == DIVERGED
        self.var = None
        self.curves = None
        if kind == "divergence" and var is None:
            self.mean = self.diverged
            return
        if var is None:
            var = {"interpolation": "train_error", "trainable_depth": "train_error",
                   "jump": "eg", "early_stopping": "eg"}.get(kind)
            if var is None:
                raise PdxValueError("--var is required for a contour")
            mc = var + "_mean"
            if kind != "early_stopping" and mc in ds.data_vars and np.isfinite(
                    np.asarray(ds[mc].where(ds["status"] == DONE).values)).any():
                var = mc
        self.var = resolve_variable(ds, var)
        da = ds[self.var].astype(float).where(ds["status"] == DONE)
        if kind == "early_stopping":
            if "time" not in da.dims:
                raise PdxValueError(f"{self.var} has no time dimension: early stopping "
                                    "needs a curve over time")
            order = axes + ["replica", "time"]
            self.curves = np.asarray(da.transpose(*order).values).reshape(
                ncell, status.shape[1], -1)
            self.mean = np.full(ncell, np.nan)
            return
        if "time" in da.dims:
            da = select_time(da, time).drop_vars("time", errors="ignore")
        extra = [d for d in da.dims if d not in axes and d != "replica"]
        if extra:
            raise PdxValueError(f"{self.var} has dimensions {', '.join(extra)} besides "
                                "the axes: refine a variable with one value per task")
        vals = np.asarray(da.transpose(*(axes + ["replica"])).values).reshape(ncell, -1)
        self.values = vals
        with np.errstate(invalid="ignore"):
            cnt = np.isfinite(vals).sum(axis=1)
            self.mean = np.where(cnt > 0, np.nansum(vals, axis=1) / np.maximum(cnt, 1),
                                 np.nan)

    def positive(self, cells: np.ndarray, level: float, min_gain: float) -> np.ndarray:
        """1.0 / 0.0 per cell (NaN: no data) on the positive side of ``level``."""
        if self.kind == "early_stopping":
            out = np.full(len(cells), np.nan)
            for i, c in enumerate(cells):
                if np.isfinite(self.curves[c]).any():
                    out[i] = 1.0 if significant_minimum(self.curves[c], min_gain) else 0.0
            return out
        m = self.mean[cells]
        if self.kind == "divergence" and self.var is None:
            return np.where(self.finished[cells], (m > 0.5).astype(float), np.nan)
        if self.kind in ("contour", "jump"):
            with np.errstate(invalid="ignore"):
                return np.where(np.isfinite(m), (m > level).astype(float), np.nan)
        # replica by replica, as detection's estimators: the majority
        v = self.values[cells]
        ok = np.isfinite(v)
        cnt = ok.sum(axis=1)
        with np.errstate(invalid="ignore"):
            above = np.where(ok, v > level, False).sum(axis=1)
        if self.kind == "trainable_depth":
            # a diverged replica has not trained (detection.trainable_depth)
            div = self.diverged_tasks[cells].sum(axis=1)
            above, cnt = above + div, cnt + div
        return np.where(cnt > 0, (2 * above > cnt).astype(float), np.nan)


def _settings(shape: Sequence[int], along: int) -> Tuple[List[Tuple[int, ...]], np.ndarray]:
    """The settings (index tuples of the other axes, row-major) and, per
    setting, the flat cell index of every lattice point (settings x n)."""
    others = [d for d in range(len(shape)) if d != along]
    settings = list(np.ndindex(*[shape[d] for d in others])) if others else [()]
    n = shape[along]
    cells = np.zeros((len(settings), n), dtype=np.int64)
    for s, sub in enumerate(settings):
        idx = list(sub)
        for j in range(n):
            full = idx[:along] + [j] + idx[along:]
            cells[s, j] = np.ravel_multi_index(full, shape) if shape else 0
    return settings, cells


def _split(known: np.ndarray, pos: np.ndarray, direction: Optional[str]):
    """(j0, j1, orientation) of the best step split of the classified
    lattice points ``known`` (ascending) with flags ``pos``; j0 = j1 = -1
    when the crossing is outside the range (censored: "below"/"above")."""
    ok = np.isfinite(pos)
    idx, b = known[ok], pos[ok] > 0.5
    if len(idx) == 0:
        return -1, -1, "none"
    up = step_fit(b)
    down = step_fit(b[::-1])
    if direction == "increasing" or (direction is None and up[1] <= down[1]):
        k, orient = up[0], "increasing"
    else:
        k, orient = len(idx) - down[0], "decreasing"
    if k == 0:
        return -1, -1, "below" if orient == "increasing" else "above"
    if k == len(idx):
        return -1, -1, "above" if orient == "increasing" else "below"
    return int(idx[k - 1]), int(idx[k]), orient


def _levels(cells: _Cells, kind, level, j_start, lattice: np.ndarray):
    """The level per setting: given, or the kind's default from the
    setting's own round-0 cells (so shards agree with a whole run)."""
    nset = lattice.shape[0]
    if level is not None:
        return np.full(nset, float(level))
    if kind == "contour":
        raise PdxValueError("--level is required for a contour")
    out = np.full(nset, 0.5)
    for s in range(nset):
        vals = cells.mean[lattice[s, j_start]]
        if kind == "jump":
            out[s] = 0.5 * (vals[0] + vals[-1])
            continue
        vals = vals[np.isfinite(vals)]
        if not vals.size:
            continue
        if kind == "interpolation":
            out[s] = 0.01 * float(np.abs(vals).max())
        elif kind == "trainable_depth":
            out[s] = 0.5 * float(vals.min() + vals.max())
    return out


def plan_rounds(ds, along: str, kind: str, var=None, level=None, start: int = 5,
                direction=None, time="final", min_gain: float = 0.01,
                shard: Tuple[int, int] = (0, 1), shape=None):
    """Replay the rounds on the data of ``ds`` (None: nothing run yet, then
    ``shape`` gives the grid). Returns a dict: ``rounds`` (list of arrays
    of flat cell indices, the last one possibly not finished), ``pending``
    (cells of the current round still to run, empty when the refinement is
    complete), ``state`` (per-setting bracket after the last finished
    round) and what the report needs."""
    kind = REFINE_KINDS.get(kind, kind)
    if kind not in set(REFINE_KINDS.values()):
        raise PdxValueError(f"unknown kind {kind!r}")
    if ds is not None:
        axes = spec_axes(ds)
        shape = tuple(int(ds.sizes[a]) for a in axes)
        if along not in axes:
            raise PdxValueError(f"{along} is not an axis of the file")
        a = axes.index(along)
        cells = _Cells(ds, kind, var, time)
    else:
        a = int(along)
        cells = None
    settings, lattice = _settings(shape, a)
    n = shape[a]
    mine = np.array([s % shard[1] == shard[0] for s in range(len(settings))])
    j_start = start_indices(n, start)
    round0 = lattice[mine][:, j_start].ravel()
    rounds = [np.sort(round0)]
    known = [list(j_start) if mine[s] else [] for s in range(len(settings))]
    bracket = [(-1, -1, "none")] * len(settings)
    levels = None
    while True:
        cur = rounds[-1]
        if cells is None or not cells.finished[cur].all():
            pending = cur if cells is None else cur[~cells.finished[cur]]
            return dict(rounds=rounds, pending=pending, settings=settings, lattice=lattice,
                        brackets=bracket, levels=levels, mine=mine, cells=cells, along=a)
        if levels is None:
            levels = _levels(cells, kind, level, j_start, lattice)
        nxt = []
        for s in np.flatnonzero(mine):
            ks = np.array(sorted(known[s]), dtype=np.int64)
            pos = cells.positive(lattice[s, ks], levels[s], min_gain)
            j0, j1, orient = _split(ks, pos, direction)
            bracket[s] = (j0, j1, orient)
            if j0 >= 0 and j1 - j0 > 1:
                # the midpoint, unless it ran without data (failed or
                # diverged tasks): then the bracket stays as it is
                mid = (j0 + j1) // 2
                if mid not in known[s]:
                    known[s].append(mid)
                    nxt.append(lattice[s, mid])
        if not nxt:
            return dict(rounds=rounds, pending=np.array([], dtype=np.int64),
                        settings=settings, lattice=lattice, brackets=bracket,
                        levels=levels, mine=mine, cells=cells, along=a)
        rounds.append(np.sort(np.array(nxt, dtype=np.int64)))


def _location(plan, ds, s, kind, method):
    """(loc, lo, hi, resolution, note) of setting s in along units."""
    j0, j1, orient = plan["brackets"][s]
    along = spec_axes(ds)[plan["along"]]
    x = np.asarray(ds[along].values, dtype=float)
    log = ds[along].attrs.get("pdx_scale") == "log" and bool(np.all(x > 0))
    fwd = np.log if log else (lambda v: v)
    inv = np.exp if log else (lambda v: v)
    if j0 < 0:
        return (math.nan,) * 4 + ({"below": "below the range", "above": "beyond the range",
                                   "none": "no data"}[orient],)
    s0, s1 = fwd(x[j0]), fwd(x[j1])
    w = abs(s1 - s0)
    note = "" if j1 == j0 + 1 else "bracket not resolved: cells in it without data"
    loc, res = 0.5 * (s0 + s1), w / SQRT12
    if method == "level" and kind in ("contour", "interpolation"):
        m = plan["cells"].mean
        v0, v1 = m[plan["lattice"][s, j0]], m[plan["lattice"][s, j1]]
        lev = plan["levels"][s]
        if np.isfinite(v0) and np.isfinite(v1) and v1 != v0:
            f = min(max((lev - v0) / (v1 - v0), 0.0), 1.0)
            loc, res = s0 + f * (s1 - s0), w / (2 * SQRT12)
    if kind == "jump":
        # a jump, as detection.jump asks: the final bracket holds most of
        # the change between the ends of the range (else a smooth crossing)
        m, lat = plan["cells"].mean, plan["lattice"][s]
        step, total = abs(m[lat[j1]] - m[lat[j0]]), abs(m[lat[-1]] - m[lat[0]])
        if not step >= JUMP_SHARE * total:
            note = (f"no jump at the lattice's resolution: the last bracket holds "
                    f"{step / total:.0%} of the change (the midpoint crossing of a "
                    "smooth or finite-size-rounded transition)" if total > 0
                    else "no jump: no change")
    d = float(np.exp(loc)) if log else 1.0
    return float(inv(loc)), float(x[j0]), float(x[j1]), res * d, note


def write_report(path: str, plan, ds, kind: str, along: str, var, level, tolerance,
                 method: str = "step", command: str = "") -> dict:
    """Write the refine record (JSON, docs/FORMAT.md) atomically; return it."""
    axes = spec_axes(ds)
    others = [d for d in axes if d != along]
    rows = []
    counts = np.zeros(len(plan["settings"]), dtype=np.int64)
    run = set(np.concatenate(plan["rounds"]).tolist())
    for s, sub in enumerate(plan["settings"]):
        if not plan["mine"][s]:
            continue
        counts[s] = sum(int(c in run) for c in plan["lattice"][s])
        loc, lo, hi, res, note = _location(plan, ds, s, kind, method)
        coords = {}
        for d, i in zip(others, sub):
            v = ds[d].values[i]
            coords[d] = v.item() if hasattr(v, "item") else v
        lev = plan["levels"][s] if plan["levels"] is not None else math.nan
        rows.append(dict(setting=s, coords=coords, location=_num(loc), lo=_num(lo),
                         hi=_num(hi), resolution=_num(res), err=_num(res),
                         direction=plan["brackets"][s][2], level=_num(lev),
                         cells=int(counts[s]), note=note))
    n = plan["lattice"].shape[1]
    nmine = int(plan["mine"].sum())
    rec = dict(pdx_refine_version=REFINE_VERSION, file=os.path.basename(str(
        ds.encoding.get("source", ""))), kind=kind, along=along, settings_axes=others,
        var=plan["cells"].var if plan["cells"] is not None else None,
        level=_num(level) if level is not None else None, tolerance=tolerance,
        method=method, lattice=[float(v) for v in np.asarray(ds[along].values, float)],
        lattice_scale=str(ds[along].attrs.get("pdx_scale", "list")),
        replicas=int(ds.sizes.get("replica", 1)),
        cells_run=int(sum(len(r) for r in plan["rounds"])), cells_uniform=nmine * n,
        rounds=[[int(c) for c in r] for r in plan["rounds"]], settings=rows,
        command_line=command)
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + ".tmp-", dir=d)
    with os.fdopen(fd, "w") as f:
        json.dump(rec, f, indent=1, allow_nan=False)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return rec


def _num(v):
    """A JSON number, or None for NaN."""
    v = float(v)
    return v if math.isfinite(v) else None


class Refinement:
    """A ``pdx refine`` result: ``record`` (the JSON), ``boundary`` (a
    :class:`~pdx_analysis.boundary.Boundary` for :func:`plot.heatmap`'s
    ``boundaries``), ``cells_run``, ``cells_uniform``, and :meth:`load`
    (the lattice result file with the cells it ran)."""

    def __init__(self, record: dict, path: str, across: Optional[str] = None):
        self.record, self.path = record, path
        self.cells_run = int(record["cells_run"])
        self.cells_uniform = int(record["cells_uniform"])
        along, others = record["along"], list(record["settings_axes"])
        rows = []
        for r in record["settings"]:
            row = dict(r["coords"])
            nan = (lambda v: math.nan if v is None else v)
            row.update({along: nan(r["location"]), "err": nan(r["err"]),
                        "lo": nan(r["lo"]), "hi": nan(r["hi"]), "sem": math.nan,
                        "std": math.nan, "resolution": nan(r["resolution"]), "n": 1,
                        "n_censored": 0, "note": r["note"], "cells": r["cells"]})
            rows.append(row)
        if across is None:  # the last numeric one: a plot's y axis
            numeric = [d for d in others if all(
                isinstance(r["coords"][d], (int, float)) for r in record["settings"])]
            across = (numeric or others or [None])[-1]
        elif across not in others:
            raise PdxValueError(f"{across} is not one of the settings' axes "
                                f"({', '.join(others) or 'none'})")
        self.boundary = Boundary(
            kind=record["kind"] if record["kind"] != "contour" else "interpolation",
            along=along, across=across, groups=[d for d in others if d != across],
            table=pd.DataFrame(rows),
            var=record.get("var"), threshold=record.get("level"), source="simulation",
            file=record.get("file", ""), along_scale="log" if record["lattice_scale"] == "log"
            else "lin", method=f"pdx refine ({record['cells_run']} of "
            f"{record['cells_uniform']} lattice cells)",
            title=f"refined {record['kind']} ({record['cells_run']} cells)")

    def load(self):
        """The lattice result file (cells not run are pending, NaN)."""
        return load(os.path.join(os.path.dirname(os.path.abspath(self.path)),
                                 self.record["file"]))


def load_refine(path: str, across: Optional[str] = None) -> Refinement:
    """Read a refine record (``OUT.refine.json``, or the result file
    ``OUT.h5`` next to it). ``across``: the settings' axis the boundary
    is drawn against (default: the last numeric one); the others are its
    groups (one line per combination, as a Boundary's)."""
    if path.endswith(".h5"):
        path = path[:-3] + ".refine.json"
    try:
        with open(path) as f:
            rec = json.load(f)
    except OSError as e:
        raise PdxValueError(f"{path}: cannot read the refine record ({e.strerror})") from None
    if rec.get("pdx_refine_version") != REFINE_VERSION:
        raise PdxValueError(f"{path}: not a refine record of version {REFINE_VERSION}")
    return Refinement(rec, path, across)
