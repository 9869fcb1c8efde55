"""What sets generalization under SGD (issue 17, items 3-5), from result
files; numpy/pandas only, no drawing.

* :func:`optimal_batch` — per (learning rate, training-set size) the
  batch size B_opt minimising the test error at the final checkpoint
  (Smith & Le 2017): a parabola in log B through the replica-mean minimum
  and its two neighbours, its uncertainty by a bootstrap over replicas.
* :func:`batch_scaling` — the weighted fit log B_opt = a + s log(eta P)
  with the slope's standard error (Smith & Le: s = 1, B_opt ∝ eta P).
* :func:`regularizer_gains` — per cell, the reduction in eg that each
  regularizer (dropout, weight decay, input noise, and early stopping:
  the time axis) buys at its best setting, the others at their baseline,
  with a paired bootstrap over replicas that re-selects the best setting
  in every resample (so the selection's optimism is in the error bar).
  Martin & Mahoney (2017): only early stopping should matter much.
* :func:`evidence_table` — per cell, the log-evidence ratio to the null
  model per example, (ln P(y|X) + P ln 2)/P, its cost and Occam terms
  and the MAP's and the trained student's eg (``record.evidence``).
"""

from __future__ import annotations

import math
from typing import Optional, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from .errors import PdxValueError
from .stats import select_time

__all__ = ["REGULARIZERS", "optimal_batch", "batch_scaling",
           "regularizer_gains", "evidence_table"]

#: Regularizer axes and their baseline (no regularization) value.
REGULARIZERS = {"train.dropout": 0.0, "train.weight_decay": 0.0,
                "data.input_noise": 0.0}


def _per_replica(ds: xr.DataArray | xr.Dataset, var: str, time="final"):
    """``var`` at ``time`` per task, tasks not done set to NaN."""
    da = ds[var]
    if "time" in da.dims and time is not None:
        da = select_time(da, time)
    if "status" in ds:
        da = da.where(ds["status"] == 1)
    return da.drop_vars([c for c in da.coords if c not in da.dims],
                        errors="ignore")


def _vertex(x: np.ndarray, m: np.ndarray):
    """log B of the minimum of m(x): the vertex of the parabola through the
    smallest value and its neighbours (clipped to them); at an end of the
    grid the end itself, flagged censored. Returns (x*, censored)."""
    ok = np.isfinite(m)
    if ok.sum() < 3:
        return math.nan, True
    x, m = x[ok], m[ok]
    i = int(np.argmin(m))
    if i == 0 or i == len(m) - 1:
        return float(x[i]), True
    x3, y3 = x[i - 1:i + 2], m[i - 1:i + 2]
    c2, c1, _ = np.polyfit(x3, y3, 2)
    if not c2 > 0:
        return float(x[i]), False
    return float(np.clip(-c1 / (2 * c2), x3[0], x3[2])), False


def optimal_batch(ds: xr.Dataset, var: str = "eg", time="final",
                  batch: str = "train.batch",
                  rate: str = "train.learning_rate",
                  n_boot: int = 400, seed: int = 0) -> pd.DataFrame:
    """B_opt per (rate, every other axis) from a sweep over ``batch``.

    ``var`` at ``time`` (see :func:`select_time`) is averaged over
    replicas; B_opt = exp(x*), x* the vertex in log B (:func:`_vertex`).
    ``log_B_opt_se``: the standard deviation of x* over ``n_boot``
    resamples of the replicas (seeded). P = round(data.alpha N) and
    ``eta_P`` = rate x P are columns when the file has them. ``censored``:
    the minimum is at an end of the batch grid (B_opt is then a bound).
    """
    if batch not in ds.dims:
        raise PdxValueError(f"{batch} is not an axis of this file")
    if rate not in ds.dims and f"param:{rate}" not in ds.attrs:
        raise PdxValueError(f"{rate} is neither an axis nor a parameter")
    da = _per_replica(ds, var, time)
    other = [d for d in da.dims if d not in (batch, "replica")]
    da = da.transpose(*other, batch, "replica")
    logB = np.log(np.asarray(ds[batch].values, dtype=float))
    N = float(ds.attrs.get("param:N", np.nan)) if "N" not in ds.dims else None
    rng = np.random.default_rng(seed)
    rows = []
    shape = [ds.sizes[d] for d in other]
    for idx in np.ndindex(*shape):
        e = np.asarray(da.values[idx], dtype=float)  # (batch, replica)
        R = e.shape[1]
        x, cens = _vertex(logB, np.nanmean(e, axis=1))
        boot = []
        for _ in range(n_boot):
            pick = rng.integers(0, R, R)
            xb, _ = _vertex(logB, np.nanmean(e[:, pick], axis=1))
            boot.append(xb)
        row = {d: ds[d].values[i].item() for d, i in zip(other, idx)}
        eta = row.get(rate, float(ds.attrs.get(f"param:{rate}", np.nan)))
        n = row.get("N", N)
        alpha = row.get("data.alpha",
                        float(ds.attrs.get("param:data.alpha", np.nan)))
        P = float(np.floor(alpha * n + 0.5)) if n is not None else np.nan
        row.update(P=P, eta_P=eta * P, B_opt=math.exp(x) if np.isfinite(x) else np.nan,
                   log_B_opt=x, log_B_opt_se=float(np.nanstd(boot)),
                   eg_min=float(np.nanmin(np.nanmean(e, axis=1))),
                   censored=bool(cens))
        rows.append(row)
    return pd.DataFrame(rows)


def batch_scaling(table: pd.DataFrame, x="eta_P",
                  se_floor: float = 0.05) -> dict:
    """Weighted least squares log B_opt = a + sum_j s_j log x_j over the
    uncensored rows of :func:`optimal_batch`, weights 1/max(se,
    se_floor)^2; standard errors scaled by sqrt(chi^2/dof) when that
    exceeds 1. ``x``: a column ("eta_P": Smith & Le's s = 1) or several
    (``["train.learning_rate", "P"]``: a slope for each). Returns dict
    with ``slope``/``slope_se`` (one column) or ``slopes``/``slopes_se``
    (dicts by column), ``intercept``, ``intercept_se``, ``chi2_dof``,
    ``n``."""
    cols = [x] if isinstance(x, str) else list(x)
    t = table[~table["censored"] & np.isfinite(table["log_B_opt"])]
    if len(t) < len(cols) + 2:
        raise PdxValueError(f"{len(t)} uncensored optima: too few to fit")
    X = np.column_stack([np.ones(len(t))] +
                        [np.log(t[c].to_numpy(float)) for c in cols])
    y = t["log_B_opt"].to_numpy(float)
    w = 1.0 / np.maximum(t["log_B_opt_se"].to_numpy(float), se_floor) ** 2
    cov = np.linalg.inv(X.T @ (X * w[:, None]))
    beta = cov @ (X.T @ (w * y))
    dof = len(t) - X.shape[1]
    chi2 = float(np.sum(w * (y - X @ beta) ** 2)) / dof
    cov = cov * max(1.0, chi2)
    se = np.sqrt(np.diag(cov))
    out = {"intercept": float(beta[0]), "intercept_se": float(se[0]),
           "chi2_dof": chi2, "n": int(len(t))}
    if isinstance(x, str):
        out.update(slope=float(beta[1]), slope_se=float(se[1]))
    else:
        out.update(slopes={c: float(b) for c, b in zip(cols, beta[1:])},
                   slopes_se={c: float(e) for c, e in zip(cols, se[1:])})
    return out


def _gain(e: np.ndarray, base: int):
    """(best index, mean at base, mean at best) of e (settings x replica)."""
    m = np.nanmean(e, axis=1)
    best = int(np.nanargmin(m))
    return best, float(m[base]), float(m[best])


def regularizer_gains(ds: xr.Dataset, var: str = "eg",
                      regularizers: Optional[dict] = None,
                      early_stopping: bool = True, n_boot: int = 400,
                      seed: int = 0) -> pd.DataFrame:
    """Per cell (the other axes) and regularizer: the eg at the baseline
    (every regularizer at its baseline value, final time), the best
    setting of this regularizer alone (the others at baseline), its eg,
    the gain = eg_base - eg_best and its bootstrap standard error (paired
    resamples of the replicas, the best setting re-selected in each).
    ``regularizers``: axis -> baseline value (default
    :data:`REGULARIZERS`, those the file has as axes). Early stopping
    (``early_stopping``): the settings are the checkpoints, baseline the
    final one."""
    regs = {k: v for k, v in (regularizers or REGULARIZERS).items()
            if k in ds.dims}
    if not regs and not early_stopping:
        raise PdxValueError("no regularizer axis in this file")
    da_t = ds[var]
    if "status" in ds:
        da_t = da_t.where(ds["status"] == 1)
    base_sel = {k: v for k, v in regs.items()}
    for k, v in base_sel.items():
        if not np.any(np.isclose(ds[k].values, v)):
            raise PdxValueError(f"{k} has no baseline value {v}")
    other = [d for d in da_t.dims if d not in regs and d not in ("replica", "time")]
    rng = np.random.default_rng(seed)
    rows = []
    for idx in np.ndindex(*[ds.sizes[d] for d in other]):
        cell = {d: ds[d].values[i].item() for d, i in zip(other, idx)}
        here = da_t.isel({d: i for d, i in zip(other, idx)})
        cases = []
        for k in regs:
            rest = {o: v for o, v in base_sel.items() if o != k}
            e = select_time(here.sel(rest), "final").transpose(k, "replica")
            vals = ds[k].values
            cases.append((k, np.asarray(e.values, float), vals,
                          int(np.argmin(np.abs(vals - regs[k])))))
        if early_stopping and "time" in here.dims:
            e = here.sel(base_sel).transpose("time", "replica")
            e = np.asarray(e.values, float)
            last = max(i for i in range(e.shape[0]) if np.isfinite(e[i]).any())
            cases.append(("early stopping (time)", e[:last + 1],
                          ds["time"].values[:last + 1], last))
        for name, e, vals, base in cases:
            best, m0, m1 = _gain(e, base)
            R = e.shape[1]
            boot = []
            for _ in range(n_boot):
                pick = rng.integers(0, R, R)
                _, b0, b1 = _gain(e[:, pick], base)
                boot.append(b0 - b1)
            rows.append({**cell, "regularizer": name,
                         "best_setting": vals[best].item(), "eg_base": m0,
                         "eg_best": m1, "gain": m0 - m1,
                         "gain_se": float(np.std(boot))})
    return pd.DataFrame(rows)


def evidence_table(ds: xr.Dataset,
                   by: Optional[Sequence[str]] = None) -> pd.DataFrame:
    """Per cell: the log-evidence ratio to the null model per example,
    ``ratio`` = (log_evidence - evidence_null)/P (mean and standard error
    over replicas), the cost and Occam terms per example, the MAP's eg
    (``evidence_eg``) and the trained student's final eg."""
    if "log_evidence" not in ds:
        raise PdxValueError("no log_evidence: run with record.evidence")
    P = -_per_replica(ds, "evidence_null") / math.log(2.0)
    parts = {
        "ratio": (_per_replica(ds, "log_evidence")
                  - _per_replica(ds, "evidence_null")) / P,
        "cost": _per_replica(ds, "evidence_cost") / P,
        "occam": _per_replica(ds, "evidence_occam") / P,
        "eg_map": _per_replica(ds, "evidence_eg"),
        "eg": _per_replica(ds, "eg", "final"),
    }
    dims = [d for d in parts["ratio"].dims if d != "replica"]
    rows = []
    for idx in np.ndindex(*[ds.sizes[d] for d in dims]):
        sel = {d: i for d, i in zip(dims, idx)}
        row = {d: ds[d].values[i].item() for d, i in sel.items()}
        for k, da in parts.items():
            v = np.asarray(da.isel(sel).values, float)
            v = v[np.isfinite(v)]
            row[k] = float(v.mean()) if v.size else math.nan
            row[k + "_se"] = (float(v.std(ddof=1) / math.sqrt(v.size))
                              if v.size > 1 else math.nan)
        rows.append(row)
    return pd.DataFrame(rows)
