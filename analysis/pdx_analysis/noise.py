"""Gradient-noise geometry and probability currents (issue 17; Chaudhari &
Soatto 2017), from result files with an ``eigen`` dimension
(``record.noise_eigen``, ``record.current``; docs/FORMAT.md,
"Gradient-noise geometry"). No drawing.

* :func:`noise_cells` — one row per cell: replica means and standard errors
  of the stationary eg (eg averaged over the checkpoints after the burn-in),
  the participation ratio of D as a fraction of the dimension, the rank
  holding 99 % of tr D as a fraction, the gradient SNR, and the current's
  chi^2 per pair of directions (about 19/17 where there is no current) with
  the fraction of replicas whose current is significant at 1 %.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import pandas as pd
import xarray as xr

from .errors import PdxValueError
from .names import spec_axes

__all__ = ["has_noise", "noise_cells", "CHI2_NULL_PER_PAIR", "chi2_threshold"]

#: E[chi^2] per pair without a current: t-statistics of 20 batch means
#: (19 degrees of freedom) have variance 19/17.
CHI2_NULL_PER_PAIR = 19.0 / 17.0


def chi2_threshold(pairs: int, level: float = 0.01, draws: int = 200_000,
                   seed: int = 17) -> float:
    """The (1 - level) quantile of the sum of ``pairs`` squared
    t-statistics with 19 degrees of freedom (the current's chi^2 without a
    current), by simulation with a fixed seed."""
    rng = np.random.default_rng(seed)
    t = rng.standard_t(19, size=(draws, pairs))
    return float(np.quantile((t ** 2).sum(axis=1), 1.0 - level))


def has_noise(ds: xr.Dataset) -> bool:
    """Whether ``ds`` holds the gradient-noise geometry."""
    return "noise_trace" in ds.data_vars and "eigen" in ds.dims


def _burn_in(ds: xr.Dataset, after: Optional[float]) -> float:
    if after is not None:
        return float(after)
    v = ds.attrs.get("param:record.current_burn_in")
    try:
        return float(v)
    except (TypeError, ValueError):
        t = np.asarray(ds["time"].values, dtype=float)
        return float(0.5 * t.max())


def _mean_sem(x: np.ndarray):
    """Mean and standard error over the last axis (NaNs left out)."""
    n = np.sum(np.isfinite(x), axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nanmean(x, axis=-1)
        sd = np.nanstd(x, axis=-1, ddof=1) if x.shape[-1] > 1 else np.full(mean.shape, np.nan)
        return mean, sd / np.sqrt(np.maximum(n, 1))


def noise_cells(ds: xr.Dataset, after: Optional[float] = None,
                level: float = 0.01) -> pd.DataFrame:
    """One row per cell: the axis values, ``algorithm``, ``eg`` and
    ``eg_sem`` (stationary: eg averaged per replica over the checkpoints at
    or after ``after``, default record.current_burn_in), ``rank_fraction``
    (participation ratio / d), ``rank99_fraction``, ``snr`` (each averaged
    the same way, with ``*_sem``), ``chi2_per_pair`` and its sem (None
    without record.current) and ``significant`` (fraction of replicas whose
    chi^2 exceeds the ``level`` threshold of :func:`chi2_threshold`)."""
    if not has_noise(ds):
        raise PdxValueError("no gradient-noise geometry in this file "
                            "(give record.noise_eigen)")
    axes = spec_axes(ds)
    t0 = _burn_in(ds, after)
    times = np.asarray(ds["time"].values, dtype=float)
    late = times >= t0 - 1e-12
    if not late.any():
        late = times == times.max()

    def per_replica(da: xr.DataArray) -> np.ndarray:
        da = da.transpose(*axes, "replica", "time")
        x = np.asarray(da.values, dtype=float)[..., late]
        with np.errstate(invalid="ignore"):
            return np.nanmean(x, axis=-1)

    d = ds["noise_dimension"].transpose(*axes, "replica").values.astype(float)
    cols = {
        "eg": per_replica(ds["eg"]),
        "rank_fraction": per_replica(ds["noise_rank"]) / d,
        "rank99_fraction": per_replica(ds["noise_rank99_fraction"]),
        "snr": per_replica(ds["grad_snr"]),
    }
    chi = None
    pairs = ds.sizes["eigen"] * (ds.sizes["eigen"] - 1) // 2
    if "current_chi2" in ds.data_vars:
        chi = ds["current_chi2"].transpose(*axes, "replica").values.astype(float)
        cols["chi2_per_pair"] = chi / pairs
    grids = np.meshgrid(*[ds[a].values for a in axes], indexing="ij") if axes else []
    out = {a: g.ravel() for a, g in zip(axes, grids)}
    out["algorithm"] = ds.attrs.get("param:train.algorithm", "")
    for name, x in cols.items():
        mean, sem = _mean_sem(x)
        out[name] = np.ravel(mean)
        out[name + "_sem"] = np.ravel(sem)
    if chi is not None:
        thr = chi2_threshold(pairs, level)
        with np.errstate(invalid="ignore"):
            sig = np.nanmean(np.where(np.isfinite(chi), chi > thr, np.nan), axis=-1)
        out["significant"] = np.ravel(sig)
    return pd.DataFrame(out)
