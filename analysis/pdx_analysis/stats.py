"""Replica statistics (layer 4): one time point of a learning curve
(:func:`select_time`), and reductions over the replicas of the done tasks
(:func:`replica_mean`, :func:`replica_reduce`). Works on the in-memory
Dataset that :func:`pdx_analysis.load` returns; theory files (no
replicas) give their solved cells' values."""

from __future__ import annotations

import warnings
from typing import Union

import numpy as np
import xarray as xr

from .errors import PdxNameError, PdxValueError
from .names import (
    DONE,
    NOT_APPLICABLE,
    NOT_CONVERGED,
    PENDING,
    SOLVED,
    STATUS_NAMES,
    is_theory,
    resolve_variable,
)

#: The statistics :func:`replica_reduce` knows (plus ``qP`` quantiles).
STATISTICS = ("mean", "median", "std", "sem", "count", "time", "km_median", "fraction")

#: Right-censored times: NaN for a done replica means "not within the
#: run" (never fitted), not "unknown". Their replica statistics add
#: ``n_censored``, ``fraction`` (of done replicas with a time) and
#: ``km_median`` (:func:`km_median`), and planes default to the latter.
CENSORED = ("time_to_fit",)


def km_median(values: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Kaplan-Meier median over the last axis of ``values``: each row
    holds the event times of its ``n`` replicas, NaN where the event did
    not happen within the run (right-censored at the end, after every
    event). The survival estimate is then S(t) = 1 - k/n after the k-th
    event, so the median is the ceil(n/2)-th smallest event time, and NaN
    ("not reached") when fewer than half the replicas had the event."""
    v = np.sort(np.asarray(values, dtype=float), axis=-1)  # NaN last
    n = np.asarray(n)
    k = np.clip(np.ceil(n / 2.0).astype(int) - 1, 0, max(v.shape[-1] - 1, 0))
    med = np.take_along_axis(v, k[..., None], axis=-1)[..., 0] if v.shape[-1] else \
        np.full(n.shape, np.nan)
    return np.where(n > 0, med, np.nan)


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
        if name in CENSORED:
            _censored_stats(out, x, (status == DONE).sum("replica"))
        if best_time is not None:
            bt = _moments(best_time.drop_vars("time"), "replica")
            out["time_mean"], out["time_sem"] = bt["mean"], bt["sem"]
            # tau* censored: the minimum is the last finite checkpoint (no
            # minimum inside the run)
            out["n_censored"] = _best_at_end(da.astype(float).where(status == DONE),
                                             best_time.drop_vars("time"))
            out = out.assign_coords(time=best_time.max("replica", skipna=True))
        elif "time" in x.coords and "replica" in x.coords["time"].dims:
            out = out.assign_coords(time=x.coords["time"].max("replica", skipna=True))
    out["mean"].attrs = {k: da.attrs[k] for k in ("long_name", "units")
                         if k in da.attrs}
    out.attrs = {"variable": name}
    if time is not None:
        out.attrs["time"] = str(_parse_time(time))
    return out


def _censored_stats(out: xr.Dataset, x: xr.DataArray, n_done: xr.DataArray) -> None:
    """Add n_censored, fraction and km_median of a censored time ``x``
    (done replicas only; NaN: censored) to ``out``."""
    count = x.notnull().sum("replica")
    out["n_censored"] = n_done - count
    out["fraction"] = (count / n_done).where(n_done > 0)
    med = xr.apply_ufunc(km_median, x, n_done, input_core_dims=[["replica"], []])
    out["km_median"] = med


def _best_at_end(x: xr.DataArray, best_time: xr.DataArray) -> xr.DataArray:
    """Replicas per cell whose best time is their last finite checkpoint:
    the minimum was not found inside the run (tau* censored)."""
    last = x.coords["time"].where(x.notnull()).max("time")
    return ((best_time == last) & best_time.notnull()).sum("replica")


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
    if stat not in stats:
        raise PdxValueError(f"statistic {stat!r} is only for censored times "
                            f"({', '.join(CENSORED)})")
    out = stats[stat]
    if stat == "fraction":
        out.attrs = {"long_name": "fraction of replicas that fitted", "units": "1"}
    elif stat != "mean":
        out.attrs = dict(stats["mean"].attrs)
    return out


replica_stats = replica_mean
