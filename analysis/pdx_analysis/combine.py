"""Several files at once: shards of one sweep, and a theory file beside them.

A sweep run as shards (``pdx run --shard I/N``) gives files of the same
spec (same ``spec_sha256``), each holding some of the tasks along a
``task`` dimension; :func:`pdx_analysis.load` expands each to the whole grid
(:func:`expand_shard`: the other shards' tasks pending), and :func:`combine`
puts several back together task by task. Whole-grid files with some tasks
pending (status 0: run elsewhere, or not yet), merged files and live files
combine the same way.

A theory file (root attribute ``source = "theory"``) has the same axis
coordinates as the simulation, no ``replica`` dimension and a per-cell
``status``; :func:`load_files` separates it from the simulation files.
"""

from __future__ import annotations

import dataclasses
import glob
import os
from typing import List, Optional, Sequence

import numpy as np
import xarray as xr

from .core import PdxFileError, PdxValueError, is_theory

__all__ = ["Loaded", "combine", "expand_paths", "expand_shard", "load_files"]


#: Per-task variables that may differ between two runs of the same task.
TIMING_VARIABLES = frozenset({"wall_seconds"})


@dataclasses.dataclass
class Loaded:
    """What :func:`load_files` found: the combined simulation Dataset (or
    None), the combined theory Dataset (or None) and the paths read."""

    sim: Optional[xr.Dataset]
    theory: Optional[xr.Dataset]
    paths: List[str]


def expand_paths(paths) -> List[str]:
    """Return the list of paths that ``paths`` names: a path, a glob
    pattern, or a list of either (patterns matching nothing are an error,
    a missing plain path is left for :func:`pdx_analysis.load` to report)."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    out: List[str] = []
    for p in paths:
        p = os.fspath(p)
        if any(c in p for c in "*?[") and not os.path.exists(p):
            hits = sorted(glob.glob(p))
            if not hits:
                raise PdxFileError(f"{p}: no file matches this pattern")
            out.extend(hits)
        else:
            out.append(p)
    if not out:
        raise PdxValueError("no files given")
    return out


def load_files(paths, engine: str = "auto") -> Loaded:
    """Load several pdx files: simulation shards (combined with
    :func:`combine`) and theory files (combined likewise among themselves).

    ``paths``: a path, a glob pattern, or a list of them. Each file is read
    by :func:`pdx_analysis.load` (so a non-pdx file is a
    :class:`PdxFileError` naming it)."""
    from .core import load

    paths = expand_paths(paths)
    sims, theories = [], []
    for p in paths:
        ds = load(p, engine=engine)
        (theories if is_theory(ds) else sims).append(ds)
    sim = combine(sims) if sims else None
    theory = combine(theories) if theories else None
    return Loaded(sim, theory, paths)


def expand_shard(ds: xr.Dataset, path: str = "") -> xr.Dataset:
    """Return a shard file's Dataset on the whole grid.

    A shard file (``pdx run --shard I/N``) keeps every axis coordinate but
    stores only its tasks, along a ``task`` dimension whose coordinate is
    the task's index in the whole grid (cell * replicas + replica, cells in
    row-major order of the axes). Every variable on ``task`` becomes
    (axes..., replica, rest...) as in a whole-grid file; the tasks of the
    other shards are pending (status 0, steps -1, NaN). The axes are the
    coordinates with ``pdx_scale`` other than ``time``, in the file's order.
    ``pdx_complete`` becomes 0 unless every task is there (the shard's own
    value is kept as ``pdx_shard_complete``)."""
    axes = [str(d) for d in ds.dims
            if d in ds.coords and "pdx_scale" in ds.coords[d].attrs and d != "time"]
    if "replica" not in ds.dims:
        raise PdxFileError(f"{path}: a shard file without a replica dimension")
    shape = tuple(ds.sizes[d] for d in axes)
    reps = ds.sizes["replica"]
    n_tasks = int(np.prod(shape, dtype=np.int64)) * reps
    task = np.asarray(ds["task"].values, dtype=np.int64)
    if task.size and (task.min() < 0 or task.max() >= n_tasks):
        raise PdxFileError(f"{path}: task indices outside the grid of its axes "
                           f"({n_tasks} tasks)")
    cell, rep = np.divmod(task, reps)
    index = np.unravel_index(cell, shape) + (rep,) if shape else (rep,)
    out_vars = {}
    for name, var in ds.data_vars.items():
        if not var.dims or var.dims[0] != "task":
            out_vars[name] = var
            continue
        rest = var.dims[1:]
        full_shape = shape + (reps,) + tuple(ds.sizes[d] for d in rest)
        values = np.asarray(var.values)
        if name == "status" or values.dtype.kind in "iub":
            fill = -1 if name == "steps" else 0
            data = np.full(full_shape, fill, dtype=values.dtype)
        else:
            data = np.full(full_shape, np.nan, dtype=np.float64)
        data[index] = values
        out_vars[name] = xr.Variable(tuple(axes) + ("replica",) + rest, data,
                                     dict(var.attrs), dict(var.encoding))
    coords = {k: v for k, v in ds.coords.items() if k != "task" and "task" not in v.dims}
    out = xr.Dataset(out_vars, coords, dict(ds.attrs))
    out.encoding = dict(ds.encoding)
    out.attrs["pdx_shard_complete"] = out.attrs.get("pdx_complete", 0)
    complete = int(np.all(out["status"].values != 0))
    out.attrs["pdx_complete"] = np.uint8(complete)
    return out


def _name(ds: xr.Dataset) -> str:
    """Return the path a Dataset came from, for messages."""
    src = ds.encoding.get("source", "?")
    return ", ".join(src) if isinstance(src, (list, tuple)) else str(src)


def _same_grid(a: xr.Dataset, b: xr.Dataset) -> Optional[str]:
    """Return why ``a`` and ``b`` are not on the same grid (None if they are)."""
    if dict(a.sizes) != dict(b.sizes):
        return f"different dimensions ({dict(a.sizes)} vs {dict(b.sizes)})"
    for name in a.coords:
        if name not in b.coords:
            return f"coordinate {name} missing in one"
        va, vb = a.coords[name].values, b.coords[name].values
        if va.shape != vb.shape or not np.array_equal(va, vb):
            return f"different values of {name}"
    if set(a.data_vars) != set(b.data_vars):
        return ("different variables ("
                + ", ".join(sorted(set(a.data_vars) ^ set(b.data_vars))) + ")")
    return None


def _equal(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Element-wise equality with NaN == NaN."""
    eq = x == y
    if x.dtype.kind == "f":
        eq |= np.isnan(x) & np.isnan(y)
    return eq


def combine(datasets: Sequence[xr.Dataset]) -> xr.Dataset:
    """Combine shards of one sweep task by task.

    All datasets must come from the same spec (equal ``spec_sha256`` when
    they have one) and have the same grid. Each task (each element of
    ``status``) is taken from the dataset where its status is not 0; a
    task that several datasets ran must agree in status and in every
    value but ``wall_seconds`` (the first file's is kept), otherwise
    :class:`PdxFileError` names the files and the first differing task. The result keeps the first dataset's attributes, with
    ``pdx_complete`` = 1 when no task is left pending (0 otherwise),
    ``end_time`` the latest one, ``pdx_shards`` the number of
    files, and ``encoding["source"]`` the list of paths.

    A single dataset is returned unchanged."""
    datasets = list(datasets)
    if not datasets:
        raise PdxValueError("no datasets to combine")
    if len(datasets) == 1:
        return datasets[0]
    first = datasets[0]
    kinds = {is_theory(d) for d in datasets}
    if len(kinds) > 1:
        raise PdxValueError("cannot combine theory and simulation files as shards")
    sha = first.attrs.get("spec_sha256")
    for other in datasets[1:]:
        o_sha = other.attrs.get("spec_sha256")
        if sha is not None and o_sha is not None and str(sha) != str(o_sha):
            raise PdxFileError(
                f"{_name(other)} is not a shard of the same sweep as {_name(first)}: "
                f"different spec_sha256 ({str(o_sha)[:12]}... vs {str(sha)[:12]}...)")
        why = _same_grid(first, other)
        if why:
            raise PdxFileError(f"{_name(other)} and {_name(first)} cannot be combined: {why}")
    if "status" not in first.variables:
        raise PdxFileError(f"{_name(first)} has no status variable")

    status_dims = first["status"].dims
    task_vars = [v for v in first.data_vars
                 if first[v].dims[:len(status_dims)] == status_dims]
    out = first.copy(deep=True)
    status = out["status"].values
    for other in datasets[1:]:
        o_status = other["status"].values
        take = (o_status != 0) & (status == 0)
        both = (o_status != 0) & (status != 0)
        if both.any():
            agree = both.copy()
            for v in task_vars:
                if v in TIMING_VARIABLES:
                    continue
                a, b = out[v].values, other[v].values
                eq = _equal(a, b).reshape(a.shape[:len(status_dims)] + (-1,)).all(axis=-1)
                agree &= eq | ~both
            bad = both & ~agree
            if bad.any():
                idx = tuple(int(i[0]) for i in np.nonzero(bad))
                task = ", ".join(
                    f"{d}={_coord_text(out, d, i)}" for d, i in zip(status_dims, idx))
                raise PdxFileError(
                    f"{_name(other)} and {_name(first)} disagree on {int(bad.sum())} "
                    f"task(s) that both ran (first: {task}); they are not shards of "
                    "one run")
        if take.any():
            for v in task_vars:
                a = out[v].values
                mask = take.reshape(take.shape + (1,) * (a.ndim - take.ndim))
                out[v].values = np.where(mask, other[v].values, a)
            status = out["status"].values
    srcs = []
    for d in datasets:
        s = d.encoding.get("source", "?")
        srcs.extend(s if isinstance(s, (list, tuple)) else [s])
    out.encoding["source"] = srcs
    out.attrs["pdx_shards"] = len(datasets)
    out.attrs["pdx_complete"] = np.uint8(0 if (status == 0).any() else 1)
    ends = [str(d.attrs["end_time"]) for d in datasets if "end_time" in d.attrs]
    if ends:
        out.attrs["end_time"] = max(ends)
    starts = [str(d.attrs["start_time"]) for d in datasets if "start_time" in d.attrs]
    if starts:
        out.attrs["start_time"] = min(starts)
    return out


def _coord_text(ds: xr.Dataset, dim: str, i: int) -> str:
    """Return the coordinate value ``i`` of ``dim`` as text."""
    if dim in ds.coords:
        v = ds.coords[dim].values[i]
        return format(float(v), ".4g") if isinstance(v, (float, np.floating)) else str(v)
    return str(i)
