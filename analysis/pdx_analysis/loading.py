"""Reading pdx files into memory: one file, shards of one sweep, and a
theory file beside them (layer 3).

:func:`load` reads a file completely (xarray + h5netcdf, or h5py alone)
and closes it; a shard file (``pdx run --shard I/N``: its tasks along a
``task`` dimension) is expanded to the whole grid (:func:`expand_shard`,
the other shards' tasks pending); :func:`combine` puts several shards of
one sweep (same ``spec_sha256``) back together task by task; whole-grid
files with some tasks pending, merged files and live files combine the
same way. :func:`load_files` separates theory files (root attribute
``source = "theory"``: no ``replica``, per-cell ``status``) from the
simulation files. The file layout is docs/FORMAT.md (schema version 1).
"""

from __future__ import annotations

import dataclasses
import faulthandler
import glob
import logging
import os
import pickle
import select
import signal
import time
import warnings
from typing import List, Optional, Sequence

# The package __init__ sets this too; repeated here so that importing the
# module on its own is just as safe for live files (must precede h5py).
os.environ["HDF5_USE_FILE_LOCKING"] = "FALSE"

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

from .errors import PdxError, PdxFileError, PdxFileNotFoundError, PdxValueError  # noqa: E402
from .names import is_theory  # noqa: E402
from .names import short_names as _short_names  # noqa: E402

__all__ = ["Loaded", "combine", "expand_paths", "expand_shard", "load", "load_files",
           "SCHEMA_VERSION"]

log = logging.getLogger(__name__)

#: Schema version this package understands (root attribute
#: ``pdx_schema_version``).
SCHEMA_VERSION = 1

# HDF5 / netCDF bookkeeping attributes that are not user metadata.
_INTERNAL_ATTRS = frozenset({
    "CLASS", "NAME", "DIMENSION_LIST", "REFERENCE_LIST", "_Netcdf4Dimid",
    "_Netcdf4Coordinates", "_nc3_strict", "_NCProperties",
})
_NETCDF_DIM_ONLY = "This is a netCDF dimension but not a netCDF variable"


# --------------------------------------------------------------------------
# loading


def _attr_value(value):
    """Return an attribute value with byte strings decoded to ``str``
    (fixed-length HDF5 strings: trailing NULs stripped)."""
    if isinstance(value, (bytes, np.bytes_)):
        return bytes(value).rstrip(b"\0").decode("ascii", errors="replace")
    if isinstance(value, np.ndarray) and value.dtype.kind == "S":
        decoded = [bytes(v).rstrip(b"\0").decode("ascii", errors="replace")
                   for v in value.ravel()]
        return decoded[0] if len(decoded) == 1 else decoded
    return value


def _reason(exc: BaseException) -> str:
    """Return one line saying why a reader failed (HDF5 and h5py messages
    can be long, multi-line or empty)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def _check_pdx_file(path: str) -> int:
    """Check that ``path`` is a readable pdx result file.

    Returns its ``pdx_schema_version``; raises :class:`PdxFileNotFoundError`
    or :class:`PdxFileError` (message names the path) otherwise."""
    if not os.path.exists(path):
        raise PdxFileNotFoundError(path)
    if os.path.isdir(path):
        raise PdxFileError(f"{path}: is a directory, not a pdx result file")
    try:
        if not h5py.is_hdf5(path):
            raise PdxFileError(
                f"{path}: not an HDF5 file, so not a pdx result file")
        with h5py.File(path, "r") as f:
            if "pdx_schema_version" in f.attrs:
                version = int(np.asarray(f.attrs["pdx_schema_version"]).ravel()[0])
            elif _attr_value(f.attrs.get("source", b"")) == "theory":
                version = SCHEMA_VERSION  # a theory file without the version
            else:
                raise PdxFileError(
                    f"{path}: not a pdx result file (HDF5 without the "
                    "pdx_schema_version root attribute)")
    except PdxFileError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged file fails anyhow
        raise PdxFileError(f"{path}: cannot read it: {_reason(exc)}") from exc
    if version > SCHEMA_VERSION:
        warnings.warn(f"{path}: pdx schema version {version} is newer than "
                      f"this pdx_analysis ({SCHEMA_VERSION}); reading it anyway",
                      stacklevel=3)
    return version


def _load_h5netcdf(path: str) -> xr.Dataset:
    """Return the file as an in-memory Dataset read by xarray + h5netcdf
    (file closed on return). Times are alpha values, never dates."""
    return xr.load_dataset(path, engine="h5netcdf", decode_times=False,
                           decode_timedelta=False)


def _load_h5py(path: str) -> xr.Dataset:
    """Return the file as an in-memory Dataset built with h5py alone.

    Dimension names come from the attached dimension scales (a dimension
    without a scale is called ``<var>_dim<i>``); a float64 ``_FillValue`` is
    applied as NaN and moved to ``encoding`` as xarray would."""
    coords, data_vars = {}, {}
    with h5py.File(path, "r") as f:
        root = {k: _attr_value(v) for k, v in f.attrs.items()
                if k not in _INTERNAL_ATTRS}
        names = []
        try:  # creation order (pdx tracks it), as netCDF readers list them
            f.id.links.iterate(lambda n: names.append(n.decode()),
                               idx_type=h5py.h5.INDEX_CRT_ORDER)
        except (RuntimeError, ValueError, KeyError):
            names = list(f.keys())
        for name in names:
            try:
                _read_h5py_variable(f, name, coords, data_vars)
            except PdxFileError:
                raise
            except Exception as exc:  # noqa: BLE001 - a damaged variable
                raise PdxFileError(f"{path}: variable {name}: cannot read it: "
                                   f"{_reason(exc)}") from exc
    return xr.Dataset(data_vars, coords, root)


def _read_h5py_variable(f, name: str, coords: dict, data_vars: dict) -> None:
    """Add the dataset ``name`` of the open file ``f`` to ``coords`` or
    ``data_vars`` (groups and bare netCDF dimensions are skipped)."""
    obj = f[name]
    if not isinstance(obj, h5py.Dataset):
        return
    attrs, encoding = {}, {}
    for key, val in obj.attrs.items():
        if key == "_FillValue":
            encoding[key] = np.asarray(val).ravel()[0]
        elif key not in _INTERNAL_ATTRS:
            attrs[key] = _attr_value(val)
    data = obj[()]
    fill = encoding.get("_FillValue")
    if (fill is not None and data.dtype.kind == "f"
            and not np.isnan(fill)):
        data = np.where(data == fill, np.nan, data)
    if h5py.h5ds.is_scale(obj.id) and obj.ndim == 1:
        if str(_attr_value(obj.attrs.get("NAME", b""))).startswith(
                _NETCDF_DIM_ONLY):
            return  # a bare netCDF dimension, no coordinate values
        coords[name] = xr.Variable((name,), data, attrs, encoding)
        return
    dims = []
    for i, dim in enumerate(obj.dims):
        if len(dim):
            dims.append(dim[0].name.rsplit("/", 1)[-1])
        else:
            dims.append(f"{name}_dim{i}")
    data_vars[name] = xr.Variable(tuple(dims), data, attrs, encoding)


def _decode_choice_axes(ds: xr.Dataset) -> xr.Dataset:
    """Return ``ds`` with every choice axis labelled by its names as
    ``str`` values.

    Files of pdx since issue 19 store the names themselves (netCDF-4
    strings; h5py reads them as bytes, xarray as objects): they become a
    plain ``str`` array. Files of an older pdx store integer codes with
    ``flag_values`` and ``flag_meanings``: they are relabelled by the
    names, the numeric codes kept as the non-index coordinate
    ``<axis>_code`` (with the flag attributes) and as the ``pdx_codes``
    attribute of the label coordinate. Codes missing from ``flag_values``
    are labelled by their number."""
    for name in list(ds.coords):
        coord = ds.coords[name]
        if coord.ndim == 1 and coord.dtype.kind in "OS":
            labels = np.array([v.decode("utf-8", errors="replace")
                               if isinstance(v, (bytes, np.bytes_)) else str(v)
                               for v in coord.values.tolist()], dtype=str)
            ds = ds.assign_coords({name: (coord.dims, labels, dict(coord.attrs))})
    for name in list(ds.dims):
        if name not in ds.coords:
            continue
        coord = ds.coords[name]
        attrs = dict(coord.attrs)
        if (coord.dtype.kind not in "iu" or "flag_values" not in attrs
                or "flag_meanings" not in attrs):
            continue
        flag_values = np.atleast_1d(np.asarray(attrs["flag_values"])).tolist()
        meanings = str(attrs["flag_meanings"]).split()
        table = dict(zip((int(v) for v in flag_values), meanings))
        codes = coord.values
        labels = np.array([table.get(int(c), str(int(c))) for c in codes],
                          dtype=str)
        label_attrs = {k: v for k, v in attrs.items()
                       if k not in ("flag_values", "flag_meanings")}
        label_attrs["pdx_codes"] = codes.copy()
        ds = ds.assign_coords({
            name: (name, labels, label_attrs),
            name + "_code": (name, codes.copy(), attrs),
        })
    return ds


def load(path, engine: str = "auto", isolate: bool = False,
         short_names: bool = False) -> xr.Dataset:
    """Read a pdx result file (or several shards of one sweep) completely
    into memory.

    ``path``: a path; a list/tuple of paths, or a glob pattern (``"out-*.h5"``)
    matching several files, of shards of one sweep (same ``spec_sha256``):
    they are combined task by task with :func:`pdx_analysis.combine`
    (a task is taken from the file where its status is not 0; tasks run
    in several files must agree). A list mixing simulation and theory files
    is an error here; use :func:`pdx_analysis.load_files` for that.

    Returns an :class:`xarray.Dataset` with named dimensions (spec axes in
    document order on every variable, then ``replica``, ``time`` ...),
    string attributes decoded to ``str``, each axis coordinate keeping its
    ``pdx_scale`` attribute ("list", "lin" or "log"), and choice axes
    relabelled with their names (codes in ``<axis>_code``). The file is
    closed before returning, so this works on, and does not disturb, a file
    that ``pdx run`` is still writing (tasks still pending read as NaN with
    status 0). A shard file (``pdx run --shard I/N``: its tasks along a
    ``task`` dimension) is expanded to the whole grid, the other shards'
    tasks pending (:func:`expand_shard`).
    ``ds.encoding["source"]`` is the path.

    ``engine``: "auto" (xarray + h5netcdf, falling back to h5py if that
    fails), "h5netcdf" (no fallback) or "h5py".

    ``isolate``: read each file in a forked child process (POSIX), so that a
    damaged file on which libhdf5 itself crashes (a segmentation fault or
    an abort: a few bit flips in a thousand do that) or loops forever
    (the child is killed after 20 s and 1 s per 10 MiB of file) is a
    :class:`PdxFileError` naming it rather than the death or the hang of
    the caller.
    The command line uses it.

    ``short_names``: rename the dotted axis names to keyword-friendly ones
    (``data.alpha`` -> ``alpha``, so that ``ds.sel(alpha=1)`` works; a
    clash keeps the whole key with ``_``: ``student_hidden``), by
    :func:`pdx_analysis.short_names`.

    Raises :class:`PdxFileNotFoundError` for a missing path and
    :class:`PdxFileError` for anything that is not a readable pdx file,
    whatever broke in the readers (the message names the file, and the
    variable when one was being read).
    """
    if short_names:
        return _short_names(load(path, engine=engine, isolate=isolate))
    if isinstance(path, (list, tuple)) or (
            isinstance(path, str) and any(c in path for c in "*?[")
            and not os.path.exists(path)):
        loaded = load_files(path, engine=engine, isolate=isolate)
        if loaded.sim is not None and loaded.theory is not None:
            raise PdxValueError(
                "these files mix simulations and theory: use "
                "pdx_analysis.load_files(paths) to get both")
        return loaded.sim if loaded.sim is not None else loaded.theory
    path = os.fspath(path)
    if engine not in ("auto", "h5netcdf", "h5py"):
        raise PdxValueError(
            f"unknown engine {engine!r} (use 'auto', 'h5netcdf' or 'h5py')")
    if isolate:
        return _load_isolated(path, engine)
    try:
        return _load_one(path, engine)
    except PdxError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged file, whatever broke
        raise PdxFileError(f"{path}: cannot read it (a damaged file?): "
                           f"{_reason(exc)}") from exc


# load(isolate=True): seconds a child may take on any file, plus 1 s per
# 10 MiB of it, before it is killed as hung
ISOLATE_SECONDS = 20.0


def _load_isolated(path: str, engine: str) -> xr.Dataset:
    """:func:`load` of one path in a forked child; the Dataset (or the
    error's message) comes back pickled through a pipe."""
    if not os.path.exists(path):
        raise PdxFileNotFoundError(path)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 0
        try:
            os.close(read_end)
            faulthandler.disable()  # a crash here is reported by the parent
            try:
                payload = (True, load(path, engine))
            except PdxError as exc:
                payload = (False, str(exc))
            with os.fdopen(write_end, "wb") as out:
                pickle.dump(payload, out, protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:  # noqa: BLE001 - the parent reports it
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    # HDF5 can loop forever on some damaged metadata: the child gets a
    # deadline (20 s and 1 s per 10 MiB of file) and is killed after it
    limit = ISOLATE_SECONDS + os.path.getsize(path) / 10e6
    deadline = time.monotonic() + limit
    chunks, done = [], False
    try:
        with os.fdopen(read_end, "rb", buffering=0) as inp:
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([inp], [], [], left)[0]:
                    break
                chunk = inp.read(1 << 20)
                if not chunk:
                    done = True
                    break
                chunks.append(chunk)
    finally:
        if not done:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    _, status = os.waitpid(pid, 0)
    if not done:
        raise PdxFileError(f"{path}: cannot read it: the HDF5 library did not "
                           f"finish reading it in {limit:.0f} s "
                           f"(a damaged file?)")
    data = b"".join(chunks)
    if os.WIFSIGNALED(status):
        name = signal.Signals(os.WTERMSIG(status)).name
        raise PdxFileError(f"{path}: cannot read it: the HDF5 library crashed "
                           f"on it ({name}): a damaged file")
    try:
        ok, value = pickle.loads(data)
    except Exception as exc:  # noqa: BLE001 - nothing (or half) came back
        raise PdxFileError(f"{path}: cannot read it (the reading process "
                           f"failed: {_reason(exc)})") from exc
    if not ok:
        raise PdxFileError(value)
    return value


def _load_one(path: str, engine: str) -> xr.Dataset:
    """The body of :func:`load` for one path."""
    _check_pdx_file(path)
    if engine == "h5py":
        ds = _load_h5py(path)
    elif engine in ("auto", "h5netcdf"):
        try:
            ds = _load_h5netcdf(path)
        except Exception as exc:  # noqa: BLE001 - any reader failure
            if engine == "h5netcdf":
                raise PdxFileError(
                    f"{path}: xarray/h5netcdf cannot read it: {_reason(exc)}") from exc
            log.debug("h5netcdf failed on %s (%s); reading with h5py", path, exc)
            ds = _load_h5py(path)  # a failure names the file (PdxFileError)
    else:
        raise PdxValueError(
            f"unknown engine {engine!r} (use 'auto', 'h5netcdf' or 'h5py')")
    ds.attrs = {k: _attr_value(v) for k, v in ds.attrs.items()}
    for var in ds.variables.values():
        var.attrs = {k: _attr_value(v) for k, v in var.attrs.items()}
    ds = _decode_choice_axes(ds)
    if "task" in ds.dims and "status" in ds.variables and ds["status"].dims == ("task",):
        ds = expand_shard(ds, path)
    ds.encoding["source"] = path
    return ds


# --------------------------------------------------------------------------
# several files


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


def load_files(paths, engine: str = "auto", isolate: bool = False) -> Loaded:
    """Load several pdx files: simulation shards (combined with
    :func:`combine`) and theory files (combined likewise among themselves).

    ``paths``: a path, a glob pattern, or a list of them. Each file is read
    by :func:`pdx_analysis.load` (so a non-pdx file is a
    :class:`PdxFileError` naming it)."""
    paths = expand_paths(paths)
    sims, theories = [], []
    for p in paths:
        ds = load(p, engine=engine, isolate=isolate)
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
