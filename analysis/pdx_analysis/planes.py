"""A variable reduced to the plane of two axes (layer 5): the replica
statistic of every cell, the other axes fixed or reduced, with the replica
counts by status that the plots mark. This is the data behind every
heatmap, slice and learning curve; no Matplotlib here."""

from __future__ import annotations

import dataclasses
import warnings
from typing import Dict, Optional

import xarray as xr

from .errors import PdxError, PdxValueError
from .labels import is_categorical, label_text
from .names import index_of, is_theory, resolve_axis, resolve_variable
from .stats import CENSORED, STATISTICS, replica_mean, replica_reduce

#: How the axes left over may be reduced (of the cell statistics).
REDUCTIONS = ("mean", "median", "min", "max")


@dataclasses.dataclass
class Plane:
    """A variable reduced to two axes (:func:`plane`): ``data`` (dims
    ``(y, x)``, numeric axes sorted), ``counts`` (``n_done``,
    ``n_diverged``, ``n_pending``, ``n_failed``, ``n_not_applicable``),
    ``err`` (the standard error of ``data`` where the statistic is the
    mean, else None), ``notes`` (selections and reductions, for titles),
    ``time_used`` (the time argument, or None) and ``stats`` (the full
    replica statistics before the selection of x and y)."""

    data: xr.DataArray
    counts: xr.Dataset
    err: Optional[xr.DataArray]
    x: str
    y: str
    var: str
    notes: list
    time_used: object
    stats: xr.Dataset
    selected: Dict[str, str] = dataclasses.field(default_factory=dict)
    stat: str = "mean"


COUNT_NAMES = ("n_done", "n_diverged", "n_pending", "n_failed", "n_not_applicable",
               "n_censored")


def _selection(ds: xr.Dataset, da: xr.DataArray, plot_axes, sel, time):
    """Return (indexers, notes, {axis: label}, time) for ``sel`` on ``da``:
    each key resolved to an axis (not a plot axis), its value to an index
    (:func:`pdx_analysis.names.index_of`); ``time=T`` replaces ``time``."""
    var = da.name
    indexers, notes, selected = {}, [], {}
    for key, value in (sel or {}).items():
        d = resolve_axis(ds, str(key))
        if d in plot_axes:
            raise PdxValueError(f"{d} is a plot axis and cannot also be selected")
        if d == "time":
            time = value
            continue
        if d not in da.dims:
            if d in ds.dims and d != "replica":
                continue  # e.g. a unit dimension this variable does not have
            raise PdxValueError(f"{var} has no dimension {d} to select; its dimensions "
                                "are: " + ", ".join(map(str, da.dims)))
        i, label = index_of(ds, d, value)
        indexers[d] = [i] if d == "replica" else i
        notes.append(f"{d}={label}")
        selected[d] = label
    return indexers, notes, selected, time


def plane(ds: xr.Dataset, x: str, y: Optional[str], var: str = "eg", time="final",
          sel: Optional[Dict[str, object]] = None, reduce: Optional[str] = None,
          stat: Optional[str] = None) -> Plane:
    """Reduce ``var`` to the plane of axes ``x`` and ``y``: replica
    statistic ``stat`` (mean, median, std, sem, count, qP, or time: the
    time used -- with ``time="best"`` the early-stopping time; for the
    censored times of :data:`pdx_analysis.stats.CENSORED` also km_median,
    their default, and fraction; None: the default, else mean) of the done
    tasks at ``time``; every other axis fixed by ``sel`` or reduced by
    ``reduce`` (mean, median, min or max of the cell statistics) or of size
    1. Works on theory datasets too (no replicas: the solved cells'
    values). With ``y=None`` the result has the single dimension x.
    Raises :class:`pdx_analysis.PdxError` subclasses for bad names or
    selections."""
    var = resolve_variable(ds, var)
    da = ds[var]
    theory = is_theory(ds) or "replica" not in ds["status"].dims
    if stat is None:
        stat = "km_median" if var in CENSORED and not theory else "mean"
    if "replica" not in da.dims and not theory:
        raise PdxValueError(f"{var} has no replica dimension: it is not a per-task result")
    xd = resolve_axis(ds, x)
    yd = resolve_axis(ds, y) if y is not None else None
    plot_dims = [d for d in (xd, yd) if d is not None]
    for d in plot_dims:
        if d == "replica":
            raise PdxValueError("replica cannot be a plot axis: replicas are averaged "
                                "(pick one with --sel replica=R)")
        if d not in da.dims:
            raise PdxValueError(f"{var} has no dimension {d}; its dimensions are: "
                                + ", ".join(map(str, da.dims)))
    if xd == yd:
        raise PdxValueError(f"x and y are the same axis ({xd})")
    if reduce is not None and reduce not in REDUCTIONS:
        raise PdxValueError(f"bad reduction {reduce!r} (use {', '.join(REDUCTIONS)})")

    indexers, notes, selected, time = _selection(ds, da, (xd, yd), sel, time)
    sub = ds[[var, "status"]].isel(indexers)
    time_used = None if "time" in plot_dims or "time" not in da.dims else time
    stat_name = str(stat).strip().lower()
    quantiles = ()
    if stat_name.startswith("q") and stat_name not in STATISTICS:
        q = replica_reduce(sub, var, stat_name, time=time_used).name  # validates
        quantiles = (float(q[1:]),)
        stat_name = q
    elif stat_name not in STATISTICS:
        raise PdxValueError(f"bad statistic {stat!r} (use mean, median, std, sem, "
                            "count, time or a quantile such as q0.9)")
    stats = replica_mean(sub, var, time=time_used, quantiles=quantiles)
    if stat_name == "time":
        if time_used is None:
            raise PdxValueError("stat 'time' needs a time selection (final or best)")
        if "time_mean" in stats:
            mean = stats["time_mean"]
        else:
            mean = stats.coords["time"].reset_coords(drop=True).where(stats["count"] > 0)
        mean = mean.rename("time")
        mean.attrs = {"long_name": ("early-stopping time" if str(stats.attrs.get("time"))
                                    == "best" else "time used"), "units": "1"}
    elif stat_name in ("km_median", "fraction") and stat_name not in stats:
        raise PdxValueError(f"statistic {stat_name!r} is only for censored times "
                            f"({', '.join(CENSORED)})")
    else:
        mean = stats[stat_name]
        mean.attrs = (dict(stats["mean"].attrs) if stat_name != "fraction" else
                      {"long_name": "fraction of replicas that fitted", "units": "1"})
    err = stats["sem"] if stat_name == "mean" else None
    if stat_name == "time" and "time_sem" in stats:
        err = stats["time_sem"]
    others = [d for d in mean.dims if d not in plot_dims]
    size1 = [d for d in others if mean.sizes[d] == 1]
    rest = [d for d in others if mean.sizes[d] > 1]
    if rest and reduce is None:
        listing = "; ".join(
            f"{d} ({mean.sizes[d]} values: "
            + (", ".join(label_text(v) for v in mean.coords[d].values.tolist())
               if d in mean.coords else f"0 .. {mean.sizes[d] - 1}") + ")"
            for d in rest)
        raise PdxValueError(
            "every axis except x and y must be fixed with --sel AXIS=VALUE or "
            f"reduced with --reduce {'|'.join(REDUCTIONS)}; left over: {listing}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if rest:
            mean = getattr(mean, reduce)(dim=rest, skipna=True, keep_attrs=True)
            err = None
            notes.append(f"{reduce} over {', '.join(rest)}")
    mean = mean.squeeze(size1, drop=True) if size1 else mean
    if err is not None:
        err = err.squeeze(size1, drop=True) if size1 else err
    counts = stats[[c for c in COUNT_NAMES if c in stats]]
    if "n_not_applicable" not in counts:
        counts["n_not_applicable"] = xr.zeros_like(counts["n_done"])
    drop = [d for d in rest + size1 if d in counts.dims]
    counts = counts.sum(drop) if drop else counts
    counts, _ = xr.broadcast(counts, mean)
    order = plot_dims[::-1]
    mean = mean.transpose(*order)
    counts = counts.transpose(*order)
    if err is not None:
        err = err.transpose(*order)
    for d in plot_dims:
        if d in mean.coords and not is_categorical(mean, d):
            mean = mean.sortby(d)
            counts = counts.sortby(d)
            if err is not None:
                err = err.sortby(d)
    return Plane(data=mean, counts=counts, err=err, x=xd, y=yd, var=var, notes=notes,
                 time_used=time_used, stats=stats, selected=selected, stat=stat_name)


def theory_plane(theory: xr.Dataset, pl: Plane, sel, reduce, time) -> Optional[Plane]:
    """The theory's ``pl.var`` reduced to the same plane and selection as
    the simulation (None, with a warning, when it cannot be)."""
    if pl.var not in theory.data_vars:
        warnings.warn(f"the theory file has no variable {pl.var}", stacklevel=3)
        return None
    keep = {}
    for key, value in (sel or {}).items():
        try:
            d = resolve_axis(theory, str(key))
        except PdxError:
            continue
        if d != "replica" and d in theory[pl.var].dims or d == "time":
            keep[key] = value
    try:
        t = time if "time" in theory[pl.var].dims else None
        return plane(theory, pl.x, pl.y, var=pl.var, time=t if t is not None else "final",
                     sel=keep, reduce=reduce)
    except PdxError as exc:
        warnings.warn(f"theory overlay skipped: {exc}", stacklevel=3)
        return None


