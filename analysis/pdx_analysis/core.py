"""Reading pdx result files and the basic reductions on them.

Everything here works on the in-memory :class:`xarray.Dataset` returned by
:func:`load`. The file layout is docs/FORMAT.md (schema version 1).
"""

from __future__ import annotations

import logging
import os
import warnings
from typing import Dict, List, Union

# The package __init__ sets this too; repeated here so that importing the
# module on its own is just as safe for live files.
os.environ["HDF5_USE_FILE_LOCKING"] = "FALSE"

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

log = logging.getLogger(__name__)

#: Schema version this package understands (root attribute
#: ``pdx_schema_version``).
SCHEMA_VERSION = 1

#: Task status codes (``status`` variable) -> names.
STATUS_NAMES = {0: "pending", 1: "done", 2: "diverged", 3: "failed"}
PENDING, DONE, DIVERGED, FAILED = 0, 1, 2, 3
#: Cell status codes of theory files (root attribute ``source = "theory"``).
THEORY_STATUS_NAMES = {0: "pending", 1: "solved", 4: "not_applicable",
                       5: "not_converged"}
SOLVED, NOT_APPLICABLE, NOT_CONVERGED = 1, 4, 5

# HDF5 / netCDF bookkeeping attributes that are not user metadata.
_INTERNAL_ATTRS = frozenset({
    "CLASS", "NAME", "DIMENSION_LIST", "REFERENCE_LIST", "_Netcdf4Dimid",
    "_Netcdf4Coordinates", "_nc3_strict", "_NCProperties",
})
_NETCDF_DIM_ONLY = "This is a netCDF dimension but not a netCDF variable"


class PdxError(ValueError):
    """Base class of every error this package raises on purpose."""


class PdxFileError(PdxError):
    """The path is missing, unreadable, not HDF5, or not a pdx result file."""


class PdxFileNotFoundError(PdxFileError, FileNotFoundError):
    """The path does not exist (also a :class:`FileNotFoundError`)."""

    def __init__(self, path):
        super().__init__(f"{path}: no such file")
        self.filename = path

    def __str__(self):
        return self.args[0]


class PdxNameError(PdxError, LookupError):
    """An axis or variable name that the file does not have (or that is
    ambiguous); the message lists the candidates."""


class PdxValueError(PdxError):
    """A bad value: a time or coordinate selection, a reduction, etc."""


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
    except OSError as exc:
        raise PdxFileError(f"{path}: cannot read it: {exc}") from exc
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
            obj = f[name]
            if not isinstance(obj, h5py.Dataset):
                continue
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
                    continue  # a bare netCDF dimension, no coordinate values
                coords[name] = xr.Variable((name,), data, attrs, encoding)
                continue
            dims = []
            for i, dim in enumerate(obj.dims):
                if len(dim):
                    dims.append(dim[0].name.rsplit("/", 1)[-1])
                else:
                    dims.append(f"{name}_dim{i}")
            data_vars[name] = xr.Variable(tuple(dims), data, attrs, encoding)
    return xr.Dataset(data_vars, coords, root)


def _decode_choice_axes(ds: xr.Dataset) -> xr.Dataset:
    """Return ``ds`` with every choice axis (integer coordinate with
    ``flag_values`` and ``flag_meanings``) relabelled by its names.

    The numeric codes stay available as the non-index coordinate
    ``<axis>_code`` (with the flag attributes) and as the ``pdx_codes``
    attribute of the label coordinate. Codes missing from ``flag_values``
    are labelled by their number."""
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


def load(path, engine: str = "auto") -> xr.Dataset:
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
    tasks pending (:func:`pdx_analysis.combine.expand_shard`).
    ``ds.encoding["source"]`` is the path.

    ``engine``: "auto" (xarray + h5netcdf, falling back to h5py if that
    fails), "h5netcdf" (no fallback) or "h5py".

    Raises :class:`PdxFileNotFoundError` for a missing path and
    :class:`PdxFileError` for anything that is not a readable pdx file.
    """
    if isinstance(path, (list, tuple)) or (
            isinstance(path, str) and any(c in path for c in "*?[")
            and not os.path.exists(path)):
        from .combine import load_files

        loaded = load_files(path, engine=engine)
        if loaded.sim is not None and loaded.theory is not None:
            raise PdxValueError(
                "these files mix simulations and theory: use "
                "pdx_analysis.load_files(paths) to get both")
        return loaded.sim if loaded.sim is not None else loaded.theory
    path = os.fspath(path)
    _check_pdx_file(path)
    if engine == "h5py":
        ds = _load_h5py(path)
    elif engine in ("auto", "h5netcdf"):
        try:
            ds = _load_h5netcdf(path)
        except Exception as exc:  # noqa: BLE001 - any reader failure
            if engine == "h5netcdf":
                raise PdxFileError(
                    f"{path}: xarray/h5netcdf cannot read it: {exc}") from exc
            log.debug("h5netcdf failed on %s (%s); reading with h5py", path, exc)
            try:
                ds = _load_h5py(path)
            except OSError as exc2:
                raise PdxFileError(f"{path}: cannot read it: {exc2}") from exc2
    else:
        raise PdxValueError(
            f"unknown engine {engine!r} (use 'auto', 'h5netcdf' or 'h5py')")
    ds.attrs = {k: _attr_value(v) for k, v in ds.attrs.items()}
    for var in ds.variables.values():
        var.attrs = {k: _attr_value(v) for k, v in var.attrs.items()}
    ds = _decode_choice_axes(ds)
    if "task" in ds.dims and "status" in ds.variables and ds["status"].dims == ("task",):
        from .combine import expand_shard

        ds = expand_shard(ds, path)
    ds.encoding["source"] = path
    return ds


# --------------------------------------------------------------------------
# names


def spec_axes(ds: xr.Dataset) -> List[str]:
    """Return the spec axis dimension names in document order (the
    dimensions of ``status`` before ``replica``)."""
    if "status" in ds.variables:
        return [d for d in ds["status"].dims if d != "replica"]
    return [str(d) for d in ds.dims
            if d in ds.coords and "pdx_scale" in ds.coords[d].attrs
            and d != "time"]


def _all_dims(ds) -> List[str]:
    """Return every dimension: spec axes, replica, time, then the rest."""
    first = spec_axes(ds) + [d for d in ("replica", "time") if d in ds.dims]
    return first + sorted(str(d) for d in ds.dims if d not in first)


def resolve_axis(ds, name: str) -> str:
    """Return the dimension of ``ds`` (Dataset or DataArray) that ``name``
    means: an exact dimension name (``train.learning_rate``, ``time``) or a
    unique dotted suffix (``learning_rate``; ``hidden`` only if just one of
    ``student.hidden`` / ``teacher.hidden`` is a dimension).

    Raises :class:`PdxNameError` naming the candidates when ``name`` is
    ambiguous or matches nothing."""
    dims = _all_dims(ds) if isinstance(ds, xr.Dataset) else list(map(str, ds.dims))
    if name in dims:
        return name
    matches = [d for d in dims if d.endswith("." + name)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise PdxNameError(f"axis {name!r} is ambiguous: it could be "
                           + ", ".join(matches))
    raise PdxNameError(f"no axis {name!r}; the axes are: " + ", ".join(dims))


def resolve_variable(ds: xr.Dataset, name: str) -> str:
    """Return the data variable of ``ds`` that ``name`` means: the exact
    name, or else the unique variable whose name ends with ``_<name>``
    (``error`` -> ``train_error`` when that is the only one).

    Raises :class:`PdxNameError` listing the variables otherwise."""
    if name in ds.data_vars:
        return name
    matches = [str(v) for v in ds.data_vars if str(v).endswith("_" + name)]
    if len(matches) == 1:
        return matches[0]
    listing = ", ".join(sorted(map(str, ds.data_vars)))
    if matches:
        raise PdxNameError(f"variable {name!r} is ambiguous: it could be "
                           + ", ".join(sorted(matches)))
    raise PdxNameError(f"no variable {name!r}; the variables are: {listing}")


def find_variable(ds: xr.Dataset, *names: str):
    """Return the first of ``names`` that :func:`resolve_variable` finds
    in ``ds`` (None if none does)."""
    for name in names:
        try:
            return resolve_variable(ds, name)
        except PdxNameError:
            continue
    return None


def find_axis(ds, *names: str):
    """Return the first of ``names`` that :func:`resolve_axis` resolves
    (None if none does or all are ambiguous)."""
    for name in names:
        try:
            return resolve_axis(ds, name)
        except PdxNameError:
            continue
    return None


# --------------------------------------------------------------------------
# reductions


def is_theory(ds) -> bool:
    """Return True for a theory file (root attribute ``source = "theory"``;
    no replica dimension, per-cell ``status``)."""
    return str(ds.attrs.get("source", "")).strip().lower() == "theory"


def status_names(ds: xr.Dataset) -> Dict[int, str]:
    """Return {status code: name} for ``ds``: from the ``flag_values`` /
    ``flag_meanings`` attributes of ``status`` when present, otherwise
    :data:`STATUS_NAMES` (simulations) or :data:`THEORY_STATUS_NAMES`."""
    table = dict(THEORY_STATUS_NAMES if is_theory(ds) else STATUS_NAMES)
    if "status" in ds.variables:
        attrs = ds["status"].attrs
        if "flag_values" in attrs and "flag_meanings" in attrs:
            codes = np.atleast_1d(np.asarray(attrs["flag_values"])).tolist()
            names = str(attrs["flag_meanings"]).split()
            if len(codes) == len(names):
                table = {int(c): n for c, n in zip(codes, names)}
    return table


def status_counts(ds: xr.Dataset) -> Dict[str, int]:
    """Return the number of tasks (cells for a theory file) per status name
    (pending, done, diverged, failed -- or a theory file's pending, solved,
    not_applicable, not_converged -- plus ``"status <n>"`` for any unknown
    code)."""
    status = np.asarray(ds["status"].values).ravel()
    names = status_names(ds)
    counts = {name: int(np.sum(status == code)) for code, name in names.items()}
    for code in np.unique(status):
        if int(code) not in names:
            counts[f"status {int(code)}"] = int(np.sum(status == code))
    return counts


def _parse_time(time):
    """Return "final", "best" or a float for a :func:`select_time` argument."""
    if isinstance(time, str):
        word = time.strip().lower()
        if word in ("final", "last"):
            return "final"
        if word in ("best", "min", "optimal"):
            return "best"
        try:
            return float(time)
        except ValueError:
            raise PdxValueError(
                f"bad time {time!r}: use 'final', 'best' or a number") from None
    try:
        return float(time)
    except (TypeError, ValueError):
        raise PdxValueError(
            f"bad time {time!r}: use 'final', 'best' or a number") from None


def select_time(da: xr.DataArray, time: Union[str, float] = "final") -> xr.DataArray:
    """Select one time point of a DataArray with a ``time`` dimension.

    ``time="final"``: for every element (task, unit ...) the value at the
    last time at which it is finite (training may stop before the last
    checkpoint; all-NaN elements give NaN). ``time="best"``: the minimum
    over time of every element (for an error such as ``eg``: the optimal
    early-stopping point) and, as the ``time`` coordinate, the time at
    which it is reached. A number: the nearest time.

    Returns the DataArray without the ``time`` dimension; its ``time``
    coordinate holds the time actually used (per element for "final" and
    "best", NaN where nothing was finite) and ``attrs["pdx_time"]`` the
    request."""
    if "time" not in da.dims:
        raise PdxValueError(f"{da.name or 'the variable'} has no time dimension")
    t = _parse_time(time)
    if t not in ("final", "best"):
        out = da.sel(time=t, method="nearest")
        out.attrs = dict(da.attrs, pdx_time=t)
        return out
    axis = da.get_axis_num("time")
    values = np.moveaxis(np.asarray(da.values, dtype=float), axis, -1)
    finite = np.isfinite(values)
    n = values.shape[-1]
    has = finite.any(axis=-1)
    if t == "final":
        index = n - 1 - np.argmax(finite[..., ::-1], axis=-1)
    else:
        index = np.argmin(np.where(finite, values, np.inf), axis=-1)
    picked = np.take_along_axis(values, index[..., None], axis=-1)[..., 0]
    picked = np.where(has, picked, np.nan)
    times = np.where(has, np.asarray(da["time"].values, dtype=float)[index], np.nan)
    dims = tuple(d for d in da.dims if d != "time")
    coords = {k: c for k, c in da.coords.items() if "time" not in c.dims}
    out = xr.DataArray(picked, dims=dims, coords=coords, name=da.name,
                       attrs=dict(da.attrs, pdx_time=t))
    return out.assign_coords(time=(dims, times, dict(da["time"].attrs)))


def _quantile_name(q: float) -> str:
    """Return the variable name of quantile ``q`` (``q0.25``)."""
    return "q" + format(float(q), "g")


def replica_mean(ds: xr.Dataset, var, time=None, quantiles=()) -> xr.Dataset:
    """Reduce a variable over replicas, using only tasks with status 1
    (done): pending, diverged and failed replicas are set to NaN first, and
    NaN values (e.g. checkpoints after the end of training) are skipped.

    ``var``: a variable name or a DataArray with a ``replica`` dimension
    (aligned with ``ds["status"]``). ``time``: if given ("final", "best" or
    a number), :func:`select_time` is applied per replica before reducing
    (so "best" is each replica's own early-stopping point).
    ``quantiles``: extra quantiles (e.g. ``(0.1, 0.9)``) to compute, named
    ``q0.1``, ``q0.9``.

    Returns a Dataset (the variable's dimensions without ``replica``) with
    ``mean``, ``median``, ``std`` (ddof=1), ``sem`` (std/sqrt(count); NaN
    below two values), ``count`` (replicas that contributed), the
    quantiles, and per cell ``n_done``, ``n_diverged``, ``n_pending``,
    ``n_failed`` (replica counts by status). ``mean`` keeps the variable's
    ``long_name`` and ``units``; with ``time="final"`` the coordinate
    ``time`` is the latest time used per element, with ``time="best"`` the
    variable ``time_mean`` / ``time_sem`` hold the mean and standard error
    of the replicas' best times.

    On a theory dataset (:func:`is_theory`: no replica dimension) the
    "reduction" is the value itself where the cell is solved (status 1):
    ``mean`` = ``median`` = the value, ``std``/``sem`` NaN, ``count`` 1,
    and the counts are ``n_done`` (solved), ``n_pending``, ``n_failed``
    (not converged, status 5), ``n_not_applicable`` (4), ``n_diverged`` 0.
    """
    if isinstance(var, str):
        da = ds[resolve_variable(ds, var)]
    else:
        da = var
    name = str(da.name) if da.name is not None else "value"
    if "status" not in ds.variables:
        raise PdxNameError("no variable 'status' (needed to find the done tasks)")
    if "replica" not in da.dims:
        if is_theory(ds) or "replica" not in ds["status"].dims:
            return _theory_stats(ds, da, name, time, quantiles)
        raise PdxValueError(f"{name} has no replica dimension")
    status = ds["status"]
    x = da.astype(float).where(status == DONE)
    best_time = None
    if time is not None and "time" in x.dims:
        x = select_time(x, time)
        if _parse_time(time) == "best":
            best_time = x.coords["time"].where(np.isfinite(x))
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = _moments(x, "replica")
        out["median"] = x.median("replica", skipna=True)
        for q in quantiles:
            out[_quantile_name(q)] = x.quantile(float(q), dim="replica",
                                                skipna=True).drop_vars("quantile")
        for code, label in STATUS_NAMES.items():
            out["n_" + label] = (status == code).sum("replica")
        if best_time is not None:
            bt = _moments(best_time.drop_vars("time"), "replica")
            out["time_mean"], out["time_sem"] = bt["mean"], bt["sem"]
            out = out.assign_coords(time=best_time.max("replica", skipna=True))
        elif "time" in x.coords and "replica" in x.coords["time"].dims:
            out = out.assign_coords(time=x.coords["time"].max("replica", skipna=True))
    out["mean"].attrs = {k: da.attrs[k] for k in ("long_name", "units")
                         if k in da.attrs}
    out.attrs = {"variable": name}
    if time is not None:
        out.attrs["time"] = str(_parse_time(time))
    return out


def _moments(x: xr.DataArray, dim: str) -> xr.Dataset:
    """Return mean, std (ddof 1), sem and count of ``x`` over ``dim``
    (NaN skipped; std and sem NaN below two values)."""
    count = x.notnull().sum(dim)
    mean = (x.fillna(0.0).sum(dim) / count).where(count > 0)
    sq = ((x - mean) ** 2).fillna(0.0).sum(dim)
    std = np.sqrt(sq / (count - 1)).where(count > 1)
    sem = (std / np.sqrt(count)).where(count > 1)
    return xr.Dataset({"mean": mean, "std": std, "sem": sem, "count": count})


def _theory_stats(ds, da, name, time, quantiles) -> xr.Dataset:
    """:func:`replica_mean` for a dataset without replicas (theory)."""
    status = ds["status"]
    x = da.astype(float).where(status == SOLVED)
    if time is not None and "time" in x.dims:
        x = select_time(x, time)
    nan = xr.full_like(x, np.nan)
    count = x.notnull().astype(np.int64)
    out = xr.Dataset({"mean": x, "std": nan, "sem": nan, "count": count,
                      "median": x})
    for q in quantiles:
        out[_quantile_name(q)] = x
    zero = xr.zeros_like(status, dtype=np.int64)
    out["n_done"] = (status == SOLVED).astype(np.int64)
    out["n_diverged"] = zero
    out["n_pending"] = (status == PENDING).astype(np.int64)
    out["n_failed"] = (status == NOT_CONVERGED).astype(np.int64)
    out["n_not_applicable"] = (status == NOT_APPLICABLE).astype(np.int64)
    if time is not None and _parse_time(time) == "best" and "time" in x.coords:
        out["time_mean"] = x.coords["time"].drop_vars("time").where(x.notnull())
        out["time_sem"] = xr.full_like(out["time_mean"], np.nan)
    out["mean"].attrs = {k: da.attrs[k] for k in ("long_name", "units")
                         if k in da.attrs}
    out.attrs = {"variable": name, "source": "theory"}
    if time is not None:
        out.attrs["time"] = str(_parse_time(time))
    return out


#: The statistics :func:`replica_reduce` knows (plus ``qP`` quantiles).
STATISTICS = ("mean", "median", "std", "sem", "count", "time")


def replica_reduce(ds: xr.Dataset, var, stat: str = "mean", time=None) -> xr.DataArray:
    """Return one replica statistic of ``var`` as a DataArray: ``mean``,
    ``median``, ``std``, ``sem``, ``count``, a quantile ``q0.9`` (``q90``
    is read as 0.9 too), or ``time`` (the time used: with ``time="best"``
    the mean over replicas of the early-stopping time). Done tasks only;
    see :func:`replica_mean`."""
    stat = str(stat).strip().lower()
    quantiles = ()
    if stat.startswith("q") and stat not in STATISTICS:
        try:
            q = float(stat[1:])
        except ValueError:
            raise PdxValueError(f"bad statistic {stat!r} (use mean, median, std, "
                                "sem, count, time or a quantile such as q0.9)") from None
        q = q / 100.0 if q > 1 else q
        if not 0 <= q <= 1:
            raise PdxValueError(f"bad quantile {stat!r}: must be in [0, 1]")
        quantiles = (q,)
        stat = _quantile_name(q)
    elif stat not in STATISTICS:
        raise PdxValueError(f"bad statistic {stat!r} (use mean, median, std, "
                            "sem, count, time or a quantile such as q0.9)")
    stats = replica_mean(ds, var, time=time, quantiles=quantiles)
    if stat == "time":
        if "time_mean" in stats:
            out = stats["time_mean"]
        elif "time" in stats.coords and stats.coords["time"].ndim:
            out = stats.coords["time"].reset_coords(drop=True)
        else:
            raise PdxValueError("stat 'time' needs time='final' or 'best'")
        out = out.where(stats["count"] > 0)
        out.attrs = {"long_name": "time" + (" of the minimum (early stopping)"
                                            if str(stats.attrs.get("time")) == "best"
                                            else " used"), "units": "1"}
        return out.rename("time")
    out = stats[stat]
    if stat != "mean":
        out.attrs = dict(stats["mean"].attrs)
    return out


replica_stats = replica_mean


# --------------------------------------------------------------------------
# text summary


def _format_values(values, limit=8) -> str:
    """Return a short text listing of coordinate values."""
    vals = [v if isinstance(v, str) else format(v, ".4g") for v in np.asarray(values).tolist()]
    if len(vals) <= limit:
        return ", ".join(vals)
    return f"{vals[0]}, {vals[1]}, ..., {vals[-1]}"


def timings(ds: xr.Dataset) -> Dict[str, float]:
    """Return timing figures of a simulation file: ``tasks_run`` (tasks
    with a non-zero status), ``cpu_seconds`` (sum of ``wall_seconds`` over
    them), ``mean_task_seconds``, ``max_task_seconds``, ``tasks_pending``,
    ``pending_cpu_seconds`` (an estimate: pending tasks x mean task time)
    and, when the file has ``start_time`` and ``end_time``,
    ``elapsed_seconds``. Empty for files without ``wall_seconds``."""
    out: Dict[str, float] = {}
    if "wall_seconds" not in ds.variables or "status" not in ds.variables:
        return out
    status = np.asarray(ds["status"].values)
    wall = np.asarray(ds["wall_seconds"].values, dtype=float)
    ran = (status != PENDING) & np.isfinite(wall)
    out["tasks_run"] = int(ran.sum())
    out["tasks_pending"] = int((status == PENDING).sum())
    if ran.any():
        out["cpu_seconds"] = float(wall[ran].sum())
        out["mean_task_seconds"] = float(wall[ran].mean())
        out["max_task_seconds"] = float(wall[ran].max())
        out["pending_cpu_seconds"] = out["mean_task_seconds"] * out["tasks_pending"]
    start, end = ds.attrs.get("start_time"), ds.attrs.get("end_time")
    if start and end:
        try:
            import datetime as _dt

            t0 = _dt.datetime.fromisoformat(str(start).replace("Z", "+00:00"))
            t1 = _dt.datetime.fromisoformat(str(end).replace("Z", "+00:00"))
            out["elapsed_seconds"] = (t1 - t0).total_seconds()
        except ValueError:
            pass
    return out


def _seconds(value: float) -> str:
    """Return a duration as text (s, min or h)."""
    if value < 120:
        return f"{value:.3g} s"
    if value < 7200:
        return f"{value / 60:.3g} min"
    return f"{value / 3600:.3g} h"


def summary(ds: xr.Dataset) -> str:
    """Return a short multi-line text summary of a loaded pdx file: title,
    provenance, dimensions with values, variables and task status counts."""
    a = ds.attrs
    source = ds.encoding.get("source", "")
    if isinstance(source, (list, tuple)):
        source = f"{len(source)} files: " + ", ".join(map(str, source))
    lines = [f"{a.get('title', '(untitled)')}  {source}".rstrip()]
    complete = int(a.get("pdx_complete", 0)) == 1
    lines.append(
        ("theory, " if is_theory(ds) else "")
        + f"pdx {a.get('pdx_version', '?')} ({a.get('git_describe', '?')}), "
        f"schema {a.get('pdx_schema_version', '?')}, "
        + ("complete" if complete else "incomplete (running, stopped or unfinished)")
        + f", seed {a.get('seed', '?')}, started {a.get('start_time', '?')}"
        + (f", ended {a['end_time']}" if "end_time" in a else ""))
    axes = spec_axes(ds)
    n_cells = int(np.prod([ds.sizes[d] for d in axes])) if axes else 1
    lines.append(f"dimensions ({n_cells} cells):")
    width = max(len(d) for d in _all_dims(ds))
    for d in _all_dims(ds):
        kind = "axis" if d in axes else "    "
        if d in ds.coords:
            c = ds.coords[d]
            scale = c.attrs.get("pdx_scale", "")
            vals = _format_values(c.values)
        else:
            scale, vals = "", ""
        lines.append(f"  {kind} {d:<{width}} {ds.sizes[d]:>5} {scale:<4} {vals}")
    lines.append("variables:")
    vwidth = max((len(str(v)) for v in ds.data_vars), default=1)
    for v in sorted(map(str, ds.data_vars)):
        da = ds[v]
        extra = [d for d in da.dims if d not in axes]
        dims = (["A..."] if axes and all(d in da.dims for d in axes) else []) + extra
        units = da.attrs.get("units", "")
        unit_text = f" [{units}]" if units not in ("", "1") else ""
        lines.append(f"  {v:<{vwidth}} ({', '.join(dims)}) {da.dtype}"
                     f"  {da.attrs.get('long_name', '')}{unit_text}")
    if "status" in ds.variables:
        counts = status_counts(ds)
        total = sum(counts.values())
        parts = [f"{name} {n}" + (f" ({100.0 * n / total:.1f}%)" if total and n else "")
                 for name, n in counts.items()]
        lines.append(f"{'cells' if is_theory(ds) else 'tasks'}: {total} = "
                     + ", ".join(parts))
    t = timings(ds)
    if t.get("tasks_run"):
        text = (f"timing: {_seconds(t['cpu_seconds'])} in {t['tasks_run']} tasks "
                f"(mean {_seconds(t['mean_task_seconds'])}, "
                f"max {_seconds(t['max_task_seconds'])})")
        if "elapsed_seconds" in t:
            text += f", {_seconds(t['elapsed_seconds'])} elapsed"
        if t["tasks_pending"]:
            text += f"; about {_seconds(t['pending_cpu_seconds'])} of work left"
        lines.append(text)
    return "\n".join(lines)
