"""The local energy of issue 16 as a table (no drawing): replica means and
standard errors of ``local_energy`` (or ``local_loss``) against the
perturbation size at one time, one row per (line value, size), with the
training error of the unperturbed students beside it. The curves of flat
(dense-region) and sharp solutions differ in how fast they rise from the
training error at size 0 (Baldassi et al. 2016; Chaudhari et al. 2017)."""

from __future__ import annotations

from typing import Dict, Optional

import numpy as np
import pandas as pd
import xarray as xr

from .errors import PdxValueError
from .names import resolve_axis, spec_axes
from .stats import select_time

__all__ = ["local_energy_table"]


def _line_axis(ds: xr.Dataset, by: Optional[str], sel: Dict[str, object]) -> Optional[str]:
    if by is not None:
        return resolve_axis(ds, by)
    axes = [a for a in spec_axes(ds) if a not in sel and ds.sizes.get(a, 1) > 1]
    if "train.algorithm" in axes:
        return "train.algorithm"
    return axes[0] if axes else None


def local_energy_table(ds: xr.Dataset, by: Optional[str] = None, time="final",
                       var: str = "local_energy",
                       sel: Optional[Dict[str, object]] = None) -> pd.DataFrame:
    """Rows (``by`` value, perturbation): ``mean`` and ``sem`` over the
    finished replicas of ``var`` at ``time`` ("final", "best" or a
    number), ``count`` of replicas, and ``train_error`` (mean at the same
    time, NaN if absent). ``by`` defaults to ``train.algorithm`` when it
    is an axis, else the first axis with several values; every other axis
    must be fixed by ``sel`` (a value per axis, nearest for numbers) or
    have one value. Raises PdxValueError without the variable."""
    if var not in ds.data_vars or "perturbation" not in ds[var].dims:
        raise PdxValueError(f"no {var} with a perturbation dimension: run with "
                            "record.perturbations (docs/SPEC.md)")
    sel = {resolve_axis(ds, k): v for k, v in (sel or {}).items()}
    by = _line_axis(ds, by, sel)
    da = select_time(ds[var], time)
    te = select_time(ds["train_error"], time) if "train_error" in ds.data_vars else None
    if "status" in ds.data_vars:  # finished tasks only
        done = ds["status"] == 1
        da = da.where(done)
        te = te.where(done) if te is not None else None
    for k, v in sel.items():
        method = None if isinstance(v, str) else "nearest"
        da = da.sel({k: v}, method=method)
        te = te.sel({k: v}, method=method) if te is not None else None
    rest = [d for d in da.dims if d not in ("replica", "perturbation", by) and da.sizes[d] > 1]
    if rest:
        raise PdxValueError(f"fix {', '.join(rest)} with sel= (one value each)")
    da = da.squeeze([d for d in da.dims if d not in ("replica", "perturbation", by)], drop=True)
    if te is not None:
        te = te.squeeze([d for d in te.dims if d not in ("replica", by)], drop=True)
    rows = []
    values = da[by].values if by is not None else [None]
    for value in values:
        x = da.sel({by: value}) if by is not None else da
        t = te.sel({by: value}) if (te is not None and by is not None) else te
        arr = np.asarray(x.transpose("perturbation", "replica").values, float)
        n = np.isfinite(arr).sum(axis=1)
        mean = np.where(n > 0, np.nansum(arr, axis=1) / np.maximum(n, 1), np.nan)
        var_ = np.array([np.nanvar(a, ddof=1) if k > 1 else np.nan for a, k in zip(arr, n)])
        sem = np.sqrt(var_ / np.maximum(n, 1))
        train = float(np.nanmean(t.values)) if t is not None and np.isfinite(t.values).any() \
            else np.nan
        for j, p in enumerate(da["perturbation"].values):
            rows.append({by or "line": value, "perturbation": float(p), "mean": mean[j],
                         "sem": sem[j], "count": int(n[j]), "train_error": train})
    return pd.DataFrame(rows)
