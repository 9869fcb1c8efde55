"""Robust error against clean error (issue 18; Cubuk et al. 2017 in
teacher-student form), from result files with a ``budget`` dimension
(``record.budgets``; docs/FORMAT.md, "Robust error"). No drawing.

* :func:`robust_cells` — one row per cell and budget: replica means and
  standard errors of the clean error (``robust_error`` at budget 0, else
  ``eg``), the robust error and the excess robust - clean.
* :func:`power_law` — the fitted power law excess = A eps^k (or robust =
  A eps^k) per cell group, with bootstrap uncertainties over replicas.
* :func:`robust_correlations` — across cells, the correlation of the robust
  error with the clean error and with each model-size axis (width
  ``student.hidden`` / ``student.width``, depth ``student.depth``), with
  bootstrap confidence intervals over cells, and the partial correlation
  with size at fixed clean error.
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from .errors import PdxValueError
from .names import find_variable, spec_axes
from .stats import select_time

__all__ = ["SIZE_AXES", "robust_cells", "power_law", "robust_correlations",
           "has_robust"]

#: Axes read as model size, in this order, when present.
SIZE_AXES = ("student.hidden", "student.width", "student.depth")


def has_robust(ds: xr.Dataset) -> bool:
    """Whether ``ds`` holds a robust error (a ``budget`` dimension)."""
    return "robust_error" in ds.data_vars and "budget" in ds.dims


def _replicas(ds: xr.Dataset, var: str, time) -> xr.DataArray:
    """``var`` at ``time`` with a replica dimension (theory files: one)."""
    da = ds[var]
    if "time" in da.dims:
        da = select_time(da, time)
    if "replica" not in da.dims:
        da = da.expand_dims(replica=[0])
    return da.drop_vars([c for c in da.coords if c not in da.dims], errors="ignore")


def _clean(ds: xr.Dataset, time) -> xr.DataArray:
    """Per task: the clean error (robust_error at budget 0 when measured:
    the test-set error of the same inputs; else eg)."""
    b = np.asarray(ds["budget"].values, dtype=float)
    if (b == 0).any():
        return _replicas(ds, "robust_error", time).isel(budget=int(np.argmax(b == 0)))
    var = find_variable(ds, "eg")
    if var is None:
        raise PdxValueError("no budget 0 and no eg: no clean error")
    return _replicas(ds, var, time)


def _mean_sem(x: np.ndarray, axis: int):
    n = np.sum(np.isfinite(x), axis=axis)
    mean = np.nanmean(x, axis=axis)
    sd = np.nanstd(x, axis=axis, ddof=1) if x.shape[axis] > 1 else np.full_like(mean, np.nan)
    return mean, sd / np.sqrt(np.maximum(n, 1))


def robust_cells(ds: xr.Dataset, time="final", var: str = "robust_error") -> pd.DataFrame:
    """One row per (cell, budget) of ``var`` (``robust_error`` or
    ``robust_error_consistent``): the axis values, ``budget``, ``clean``,
    ``clean_sem``, ``robust``, ``robust_sem``, ``excess`` (robust - clean,
    replica by replica) and ``excess_sem``, ``replicas``."""
    if not has_robust(ds):
        raise PdxValueError("no robust error in this file (give record.budgets)")
    axes = spec_axes(ds)
    rob = _replicas(ds, var, time).transpose(*axes, "replica", "budget")
    clean = _clean(ds, time).transpose(*axes, "replica")
    r = np.asarray(rob.values, dtype=float)
    c = np.asarray(clean.values, dtype=float)[..., None]
    ra = len(axes)
    rm, rs = _mean_sem(r, ra)
    cm, cs = _mean_sem(np.broadcast_to(c, r.shape), ra)
    em, es = _mean_sem(r - c, ra)
    budgets = np.asarray(ds["budget"].values, dtype=float)
    rows = []
    for idx in np.ndindex(*rm.shape[:-1]):
        cell = {a: ds[a].values[i].item() for a, i in zip(axes, idx)}
        for j, eps in enumerate(budgets):
            rows.append(dict(cell, budget=float(eps), clean=cm[idx + (j,)],
                             clean_sem=cs[idx + (j,)], robust=rm[idx + (j,)],
                             robust_sem=rs[idx + (j,)], excess=em[idx + (j,)],
                             excess_sem=es[idx + (j,)],
                             replicas=int(r.shape[ra])))
    return pd.DataFrame(rows)


def _fit(eps: np.ndarray, y: np.ndarray):
    """Least squares of log y = log A + k log eps over eps > 0, y > 0:
    (k, A) or NaNs with fewer than 2 points."""
    ok = (eps > 0) & (y > 0) & np.isfinite(y)
    if ok.sum() < 2:
        return np.nan, np.nan
    k, log_a = np.polyfit(np.log(eps[ok]), np.log(y[ok]), 1)
    return float(k), float(np.exp(log_a))


def power_law(ds: xr.Dataset, by: Optional[Sequence[str]] = None, time="final",
              excess: bool = True, eps_max: Optional[float] = None,
              n_boot: int = 200, seed: int = 0,
              var: str = "robust_error") -> pd.DataFrame:
    """Fit y = A eps^k per cell group, y the excess robust error (robust -
    clean, ``excess=True``: the part the perturbation adds) or the robust
    error itself, over the budgets 0 < eps <= ``eps_max``. ``by``: the axes
    that name a group (default: every axis, one fit per cell); the cells
    of a group are averaged. Uncertainties: ``n_boot`` bootstrap
    resamples of the replicas (the same resample for every cell of a
    group), seeded by ``seed``; ``var``: ``robust_error`` or
    ``robust_error_consistent``; ``exponent_se`` and ``prefactor_se`` are
    their standard deviations (NaN with one replica). Columns: the group's
    axes, ``exponent``, ``exponent_se``, ``prefactor``, ``prefactor_se``,
    ``budgets`` (points fitted)."""
    if not has_robust(ds):
        raise PdxValueError("no robust error in this file (give record.budgets)")
    axes = spec_axes(ds)
    by = list(axes if by is None else by)
    bad = [a for a in by if a not in axes]
    if bad:
        raise PdxValueError(f"power_law: {', '.join(bad)} is not an axis ({', '.join(axes)})")
    other = [a for a in axes if a not in by]
    rob = _replicas(ds, var, time).transpose(*by, *other, "replica", "budget")
    y = np.asarray(rob.values, dtype=float)
    if excess:
        c = np.asarray(_clean(ds, time).transpose(*by, *other, "replica").values, dtype=float)
        y = y - c[..., None]
    eps = np.asarray(ds["budget"].values, dtype=float)
    keep = eps > 0 if eps_max is None else (eps > 0) & (eps <= eps_max)
    eps, y = eps[keep], y[..., keep]
    n_by = len(by)
    y = y.reshape(y.shape[:n_by] + (-1,) + y.shape[-2:])  # by..., cells, replica, budget
    n_rep = y.shape[-2]
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n_rep, size=(n_boot, n_rep)) if n_rep > 1 else None
    rows = []
    for idx in np.ndindex(*y.shape[:n_by]):
        g = y[idx]  # cells, replica, budget
        k, a = _fit(eps, np.nanmean(g, axis=(0, 1)))
        ks, as_ = [], []
        if draws is not None:
            for d in draws:
                kb, ab = _fit(eps, np.nanmean(g[:, d, :], axis=(0, 1)))
                ks.append(kb)
                as_.append(ab)
        row = {a_: ds[a_].values[i].item() for a_, i in zip(by, idx)}
        row.update(exponent=k, exponent_se=float(np.nanstd(ks, ddof=1)) if len(ks) > 1 else np.nan,
                   prefactor=a, prefactor_se=float(np.nanstd(as_, ddof=1)) if len(as_) > 1 else np.nan,
                   budgets=int(keep.sum()))
        rows.append(row)
    return pd.DataFrame(rows)


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3 or np.std(x[ok]) == 0 or np.std(y[ok]) == 0:
        return np.nan
    return float(np.corrcoef(x[ok], y[ok])[0, 1])


def _ranks(x: np.ndarray) -> np.ndarray:
    return pd.Series(x).rank().to_numpy()


def _partial(y: np.ndarray, x: np.ndarray, z: np.ndarray) -> float:
    """Correlation of y and x with the linear effect of z removed."""
    ok = np.isfinite(x) & np.isfinite(y) & np.isfinite(z)
    if ok.sum() < 4 or np.std(z[ok]) == 0:
        return np.nan
    A = np.column_stack([np.ones(ok.sum()), z[ok]])
    ry = y[ok] - A @ np.linalg.lstsq(A, y[ok], rcond=None)[0]
    rx = x[ok] - A @ np.linalg.lstsq(A, x[ok], rcond=None)[0]
    return _pearson(rx, ry)


def robust_correlations(ds: xr.Dataset, budget: Optional[float] = None,
                        size_axes: Optional[Sequence[str]] = None, time="final",
                        n_boot: int = 1000, seed: int = 0,
                        level: float = 0.95, var: str = "robust_error") -> pd.DataFrame:
    """Across the cells of ``ds`` at one ``budget`` (default: the largest
    budget whose mean robust error is below 0.9 in every cell, so that it
    is not saturated; else the smallest above 0): how the replica-mean
    robust error correlates with the clean error and with each model-size
    axis (``size_axes``, default the axes of :data:`SIZE_AXES` present).
    Rows: ``predictor`` (``clean`` or the axis), ``pearson``, ``spearman``,
    ``partial`` (for size axes: the Pearson correlation of robust error and
    size with the clean error regressed out of both; for ``clean``: with
    the first size axis regressed out), and for each its bootstrap
    interval ``*_lo``, ``*_hi`` (``level``, ``n_boot`` resamples of the
    cells, seeded), ``budget``, ``cells``."""
    if not has_robust(ds):
        raise PdxValueError("no robust error in this file (give record.budgets)")
    cells = robust_cells(ds, time, var)
    budgets = np.asarray(ds["budget"].values, dtype=float)
    if budget is None:
        ok = [b for b in budgets if b > 0
              and (cells.loc[cells.budget == b, "robust"] < 0.9).all()]
        budget = max(ok) if ok else float(min(b for b in budgets if b > 0))
    elif not np.isclose(budgets, budget).any():
        raise PdxValueError(f"budget {budget} is not one of {list(budgets)}")
    else:
        budget = float(budgets[np.argmin(np.abs(budgets - budget))])
    t = cells[cells.budget == budget].reset_index(drop=True)
    axes = spec_axes(ds)
    sizes = [a for a in (size_axes if size_axes is not None else SIZE_AXES) if a in axes]
    preds = {"clean": t["clean"].to_numpy(float)}
    for a in sizes:
        preds[a] = t[a].to_numpy(float)
    y = t["robust"].to_numpy(float)
    first_size = preds[sizes[0]] if sizes else None

    def stats(index):
        out = {}
        for name, x in preds.items():
            z = preds["clean"] if name != "clean" else first_size
            out[name] = (_pearson(x[index], y[index]),
                         _pearson(_ranks(x[index]), _ranks(y[index])),
                         _partial(y[index], x[index], z[index]) if z is not None else np.nan)
        return out

    n = len(t)
    point = stats(np.arange(n))
    rng = np.random.default_rng(seed)
    boots = [stats(rng.integers(0, n, n)) for _ in range(n_boot)] if n > 2 else []
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    rows = []
    for name, (p, s, q) in point.items():
        row = {"predictor": name, "budget": budget, "cells": n}
        for j, key in enumerate(("pearson", "spearman", "partial")):
            vals = np.array([b[name][j] for b in boots], dtype=float)
            vals = vals[np.isfinite(vals)]
            row[key] = (p, s, q)[j]
            row[key + "_lo"] = float(np.quantile(vals, lo_q)) if vals.size else np.nan
            row[key + "_hi"] = float(np.quantile(vals, hi_q)) if vals.size else np.nan
        rows.append(row)
    return pd.DataFrame(rows)
