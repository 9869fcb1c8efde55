"""Boundary detection in simulation (and theory) datasets (layer 6): the
common driver (select, estimate per replica and row, aggregate into a
:class:`~pdx_analysis.boundary.Boundary` with err^2 = sem^2 +
resolution^2) and the kinds: :func:`interpolation_threshold`,
:func:`jump`, :func:`hysteresis`, :func:`divergence`,
:func:`early_stopping`, :func:`trainable_depth`,
:func:`algorithmic_threshold` and :func:`find_boundaries` (every kind that
fits a file). See :mod:`pdx_analysis.boundaries` for the method."""

from __future__ import annotations

import math
import warnings
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import pandas as pd
import xarray as xr

from .boundary import KINDS, Boundary, Hysteresis
from .errors import PdxNameError, PdxValueError
from .estimators import (
    Estimate,
    Scale,
    jump_estimate,
    minimum_estimate,
    onset,
    orientation,
    oriented,
    significant_minimum,
    step_estimate,
)
from .names import (
    DIVERGED,
    DONE,
    find_axis,
    find_variable,
    index_of,
    is_theory,
    resolve_axis,
    resolve_variable,
    spec_axes,
)
from .stats import select_time

__all__ = [
    "interpolation_threshold", "jump", "divergence", "early_stopping", "hysteresis",
    "find_boundaries", "equilibrium_var", "default_across", "prepare", "RUNAWAY_FACTOR",
    "trainable_depth", "algorithmic_threshold",
]


def prepare(ds: xr.Dataset, da: xr.DataArray, along: str, across: Optional[str],
             sel: Optional[Dict[str, object]], keep_time: bool = False):
    """Apply ``sel`` and return (da with dims groups..., across, replica,
    along [, time]), group dims, selection notes). Size-1 dims are dropped;
    a dataset without replicas gets a replica dimension of size 1."""
    if across is not None and across == along:
        raise PdxValueError(f"along and across are the same axis ({along})")
    indexers, notes = {}, {}
    for key, value in (sel or {}).items():
        d = resolve_axis(ds, str(key))
        if d in (along, across):
            raise PdxValueError(f"{d} is a boundary axis and cannot also be selected")
        if d not in da.dims:
            continue
        i, label = index_of(ds, d, value)
        indexers[d] = i
        notes[d] = label
    da = da.isel(indexers)
    if "replica" not in da.dims:
        da = da.expand_dims("replica", axis=-1)
    fixed = [along, "replica"] + ([across] if across else []) + (["time"] if keep_time else [])
    for d in fixed:
        if d != "replica" and d not in da.dims:
            raise PdxValueError(f"{da.name} has no dimension {d}")
    extra = [d for d in da.dims if d not in fixed]
    drop = [d for d in extra if da.sizes[d] == 1]
    if drop:
        da = da.squeeze(drop, drop=False)
    groups = [d for d in extra if d not in drop]
    bad = [d for d in groups if d not in spec_axes(ds)]
    if bad:
        raise PdxValueError(f"{da.name} has dimensions {', '.join(bad)} besides the "
                            "axes: select one value of each with sel")
    order = groups + ([across] if across else []) + ["replica", along] + (
        ["time"] if keep_time else [])
    return da.transpose(*order), groups, notes


NOTES = {"below": "below the range", "above": "beyond the range", "none": "no crossing"}
ES_NOTES = {"above": "no minimum inside the run (still decreasing, or no significant gain)",
            "below": "minimum at the first checkpoint", "none": "too few checkpoints"}


def _aggregate(ests: Sequence[Estimate], scale: Scale, notes=None) -> Dict[str, object]:
    """Combine replica estimates into one boundary point (see module doc)."""
    good = [e for e in ests if np.isfinite(e.s)]
    cens = [e.censored for e in ests if e.censored]
    n, nc = len(good), len(cens)
    row: Dict[str, object] = {"n": n, "n_censored": nc}
    if n == 0 or n <= nc:  # a point needs a majority of the replicas with data
        why = max(sorted(set(cens)), key=cens.count) if cens else None
        row.update({"loc": math.nan, "err": math.nan, "lo": math.nan, "hi": math.nan,
                    "sem": math.nan, "std": math.nan, "resolution": math.nan,
                    "note": (notes or NOTES).get(why, why) if why else "no data"})
    else:
        s = np.array([e.s for e in good])
        sm = float(s.mean())
        std = float(s.std(ddof=1)) if n > 1 else math.nan
        sem = std / math.sqrt(n) if n > 1 else math.nan
        res = float(np.sqrt(np.mean([e.res ** 2 for e in good])))
        err = math.sqrt((0.0 if math.isnan(sem) else sem) ** 2 + res ** 2)
        dx = float(scale.deriv(sm))
        loc, lo, hi = (float(scale.inv(sm)), float(scale.inv(sm - err)),
                       float(scale.inv(sm + err)))
        row.update({"loc": loc, "err": (hi - lo) / 2, "lo": lo, "hi": hi,
                    "sem": sem * dx, "std": std * dx, "resolution": res * dx,
                    "note": (f"{nc} of {n + nc} replicas without an estimate in range"
                             if nc else "")})
    keys = sorted({k for e in good for k in e.extra})
    for k in keys:
        vals = np.array([e.extra[k] for e in good if k in e.extra], dtype=float)
        row[k] = float(vals.mean()) if vals.size else math.nan
        if k in ("value", "height"):
            row[k + "_err"] = (float(vals.std(ddof=1) / math.sqrt(vals.size))
                               if vals.size > 1 else math.nan)
    if not good:  # e.g. early stopping censored everywhere: keep the value
        vals = [e.extra.get("value") for e in ests if "value" in e.extra]
        if vals:
            row["value"] = float(np.mean(vals))
    return row


def _run(ds, da, kind, along, across, sel, estimator, keep_time=False,
         notes=None, **meta) -> Boundary:
    """Apply ``estimator(s, x, block, scale) -> [(row index, [Estimate per
    replica])]`` to every row and build the Boundary (``notes``: texts of
    the censoring reasons, default :data:`NOTES`)."""
    along = resolve_axis(ds, along)
    across = resolve_axis(ds, across) if across else None
    if across == along:
        raise PdxValueError(f"along and across are the same axis ({along})")
    prof, groups, selection = prepare(ds, da, along, across, sel, keep_time=keep_time)
    coord_dim = "time" if keep_time else along
    xvals = np.asarray(ds[coord_dim].values)
    if xvals.dtype.kind not in "iuf":
        raise PdxValueError(f"{coord_dim} is not numeric: a boundary needs a numeric axis")
    xvals = xvals.astype(float)
    log = ds[coord_dim].attrs.get("pdx_scale") == "log"
    scale = Scale(xvals, log)
    s = scale.fwd(xvals)
    values = np.asarray(prof.values, dtype=float)
    row_dims = groups + ([across] if across else [])
    rows = []
    if keep_time:  # early stopping: rows are (groups, across, along) cells
        row_dims = row_dims + [along]
    lead_shape = values.shape[:len(groups) + (1 if across else 0)]
    for index in np.ndindex(*lead_shape) if lead_shape else [()]:
        block = values[index]  # replica, along [, time]
        ests_per = estimator(s, xvals, block, scale)
        for sub, ests in ests_per:
            full = index + sub
            row = {}
            for d, i in zip(row_dims, full):
                v = prof[d].values[i] if d in prof.coords else i
                row[d] = v.item() if hasattr(v, "item") else v
            row.update(_aggregate(ests, scale, notes))
            rows.append(row)
    table = pd.DataFrame(rows)
    loc_name = coord_dim
    table = table.rename(columns={"loc": loc_name})
    front = row_dims + [loc_name, "err", "lo", "hi", "sem", "std", "resolution",
                        "n", "n_censored", "note"]
    cols = [c for c in front if c in table.columns] + [c for c in table.columns
                                                       if c not in front]
    table = table[cols] if len(table) else pd.DataFrame(columns=front)
    src = ds.encoding.get("source", "")
    if keep_time:
        across_b, along_b, groups_b = along, "time", groups + ([across] if across else [])
    else:
        across_b, along_b, groups_b = across, along, groups
    across_values = ([v.item() if hasattr(v, "item") else v
                      for v in ds[across_b].values] if across_b in ds.coords else [])
    return Boundary(kind=kind, along=along_b, across=across_b, groups=groups_b,
                    table=table, source="theory" if is_theory(ds) else "simulation",
                    file=", ".join(src) if isinstance(src, (list, tuple)) else str(src),
                    along_scale="log" if scale.log else "lin",
                    across_values=across_values, selection=selection, **meta)


def _values(ds, var, time, mask_done=True) -> xr.DataArray:
    """The variable at ``time`` (when it has a time dimension), NaN where
    the task (cell) is not done (solved)."""
    da = ds[var].astype(float)
    if "status" in ds.variables and mask_done:
        st = ds["status"]
        da = da.where(st == DONE)
    if "time" in da.dims and time is not None:
        da = select_time(da, time)
        da = da.drop_vars("time", errors="ignore")
    return da


def default_across(ds, along, *prefer):
    """The across axis: the first of ``prefer`` that exists, else the first
    other spec axis with more than one value (None if there is none)."""
    for name in prefer:
        d = find_axis(ds, name)
        if d and d != along and ds.sizes.get(d, 0) > 1:
            return d
    for d in spec_axes(ds):
        if d != along and ds.sizes[d] > 1:
            return d
    return None


# --------------------------------------------------------------------------
# kinds


def _parse_threshold(threshold, values: np.ndarray, default_rel: float) -> float:
    """A number, "P%" (percent of the largest finite |value|), or None
    (``default_rel`` times that largest value)."""
    finite = np.abs(values[np.isfinite(values)])
    top = float(finite.max()) if finite.size else 0.0
    if threshold is None:
        return default_rel * top
    if isinstance(threshold, str) and threshold.strip().endswith("%"):
        try:
            return float(threshold.strip()[:-1]) / 100.0 * top
        except ValueError:
            raise PdxValueError(f"bad threshold {threshold!r}") from None
    try:
        return float(threshold)
    except (TypeError, ValueError):
        raise PdxValueError(f"bad threshold {threshold!r}: a number or P%") from None


def interpolation_threshold(ds: xr.Dataset, x: Optional[str] = None,
                            y: Optional[str] = None, var: Optional[str] = None,
                            threshold=None, time="final", method: str = "onset",
                            direction: Optional[str] = None,
                            sel: Optional[Dict[str, object]] = None) -> Boundary:
    """The interpolation threshold: for every value of ``y`` (default
    ``train.temperature``, else another axis) the value of ``x`` (default
    ``data.alpha``) at which ``var`` (default ``train_error``) leaves zero.

    A replica's profile along x is split into a zero side (values <=
    ``threshold``) and a positive side by the best step fit (fewest
    misclassified points; so isolated exceptions do not matter). The
    location is found by ``method``: "onset" (default; extrapolates the
    rise through the first two points above the threshold back to the
    zero side's value, in x's own units, kept within the bracket -- exact
    for a linear onset; the bracket midpoint for a jump), "level" (linear
    interpolation at the threshold) or "step" (bracket midpoint).

    ``threshold``: a number, "P%" of the largest value, or None (1% of
    the largest value). ``direction``: "increasing" (zero at small x, the
    default for alpha), "decreasing", or None (decided from the data).
    ``time``: which checkpoint ("final", "best", a number); ignored for
    variables without time. Other axes with several values give one line
    each (``sel`` fixes some). Done tasks only."""
    var = resolve_variable(ds, var) if var else (
        equilibrium_var(ds, "train_error") or find_variable(ds, "train_error_mean", "loss"))
    if var is None:
        raise PdxNameError("no training-error variable (train_error) in this file: "
                           "give var=")
    x = resolve_axis(ds, x) if x else (find_axis(ds, "data.alpha", "alpha")
                                       or default_across(ds, None))
    if x is None:
        raise PdxValueError("no axis to scan: give x=")
    y = resolve_axis(ds, y) if y else default_across(ds, x, "temperature")
    if method not in ("onset", "level", "step"):
        raise PdxValueError(f"bad method {method!r} (onset, level or step)")
    da = _values(ds, var, time)
    level = _parse_threshold(threshold, da.values, 0.01)
    if direction is None:
        prof, _, _ = prepare(ds, da, x, y, sel)
        direction = orientation(prof.values, prof.values > level)

    def est(s, xv, block, scale):
        return [((), [onset(s, xv, v, level, method, scale) for v in block])]

    return _run(ds, da, "interpolation", x, y, sel, oriented(direction, est),
                var=var, threshold=level, time=str(time) if time else None,
                direction=direction, method=method)


def jump(ds: xr.Dataset, x: Optional[str] = None, y: Optional[str] = None,
         var: Optional[str] = None, threshold=None, min_ratio: float = 2.0,
         direction: Optional[str] = None, time="final",
         sel: Optional[Dict[str, object]] = None) -> Boundary:
    """The first-order jump: for every value of ``y`` (and of the group
    axes, e.g. ``train.start``), where ``var`` jumps along ``x`` (default
    ``data.alpha``).

    Per replica, the largest step between neighbouring grid points in the
    jump's direction counts when it is at least ``threshold`` (a number,
    "P%" of the largest |value|, default 10% of the data's range) and at
    least ``min_ratio`` times every other step of that profile; its
    location is the bracket midpoint (plot scale), ``height`` the mean step.
    ``direction``: "down" (eg drops), "up", or None (the sign of the
    largest steps). Replicas without such a step are censored. ``var``
    default: ``eg_mean`` when the runs have Monte Carlo averages, else
    ``eg``."""
    var = resolve_variable(ds, var) if var else (equilibrium_var(ds, "eg") or "eg")
    var = resolve_variable(ds, var)
    x = resolve_axis(ds, x) if x else (find_axis(ds, "data.alpha", "alpha")
                                       or default_across(ds, None))
    y = resolve_axis(ds, y) if y else default_across(ds, x, "temperature")
    da = _values(ds, var, time)
    vals = da.values[np.isfinite(da.values)]
    rng = float(np.percentile(vals, 99) - np.percentile(vals, 1)) if vals.size else 0.0
    if threshold is None:
        height = 0.1 * rng
    else:
        height = _parse_threshold(threshold, da.values, 0.1)
    prof, _, _ = prepare(ds, da, x, y, sel)
    if direction is None:
        d = np.diff(prof.values, axis=-1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            big = np.nanmax(np.abs(np.nan_to_num(d, nan=0.0)), axis=-1, keepdims=True)
        pick = np.where((np.abs(d) == big) & (big > 0), d, 0.0)
        direction = "down" if np.nansum(np.sign(pick)) < 0 else "up"
    if direction not in ("up", "down"):
        raise PdxValueError(f"bad direction {direction!r} (up or down)")
    sign = 1.0 if direction == "up" else -1.0

    def est(s, xv, block, scale):
        return [((), [jump_estimate(s, v, sign, height, min_ratio) for v in block])]

    return _run(ds, da, "jump", x, y, sel, est, var=var, threshold=height,
                time=str(time) if time else None, direction=direction,
                method=f"largest step >= threshold and >= {min_ratio:g} x the others")


def divergence(ds: xr.Dataset, x: Optional[str] = None, y: Optional[str] = None,
               var: Optional[str] = None, threshold=None, time="final",
               direction: Optional[str] = None,
               sel: Optional[Dict[str, object]] = None) -> Boundary:
    """The divergence line: for every value of ``y``, the value of ``x``
    (default ``train.learning_rate``) where runs start to diverge.

    A task counts as diverged when its status is 2, or, with ``var`` and
    ``threshold``, when that variable (at ``time``) exceeds the threshold
    (e.g. ``var="norm", threshold=100`` for runs that blow up without
    being stopped). Pending and failed tasks are ignored. Per replica the
    switch from converging to diverging is found by the best step fit;
    the location is the bracket midpoint (plot scale). ``direction``:
    "increasing" (diverged at large x), "decreasing", or None (from the
    data)."""
    if "status" not in ds.variables:
        raise PdxNameError("no status variable: divergence needs a simulation file")
    x = resolve_axis(ds, x) if x else find_axis(ds, "learning_rate")
    if x is None:
        raise PdxValueError("no learning_rate axis: give the axis to scan (x=, --x)")
    y = resolve_axis(ds, y) if y else default_across(ds, x, "hidden", "temperature")
    st = ds["status"]
    div = (st == DIVERGED).astype(float)
    if var is not None:
        var = resolve_variable(ds, var)
        if threshold is None:
            raise PdxValueError("divergence with var= needs a threshold")
        vals = _values(ds, var, time)
        level = _parse_threshold(threshold, vals.values, 1.0)
        div = xr.where((vals > level) | (st == DIVERGED), 1.0, 0.0)
    else:
        level = None
    div = div.where((st == DONE) | (st == DIVERGED))
    div.name = "diverged"
    if direction is None:
        prof, _, _ = prepare(ds, div, x, y, sel)
        direction = orientation(prof.values, prof.values > 0.5)

    def est(s, xv, block, scale):
        return [((), [step_estimate(s, b) for b in block])]

    return _run(ds, div, "divergence", x, y, sel, oriented(direction, est),
                var=var, threshold=level, direction=direction,
                time=str(time) if var else None, method="step (bracket midpoint)")


def early_stopping(ds: xr.Dataset, x: Optional[str] = None, var: str = "eg",
                   sel: Optional[Dict[str, object]] = None, min_gain: float = 0.05,
                   group: Optional[str] = None) -> Boundary:
    """The optimal early-stopping time tau*(x): for every value of ``x``
    (default ``data.alpha``; and of the other axes with several values,
    which become groups) the time at which ``var(t)`` is smallest.

    Per replica, the minimum over the finite checkpoints is refined by the
    vertex of a parabola through it and its neighbours (in log time for a
    log-spaced time axis). A minimum at the last checkpoint, or a final
    value within ``min_gain`` (relative, default 5%) of the minimum, means
    no early-stopping gain within the run (censored: a flat or noisy
    plateau is not an early-stopping point). Extra
    columns: ``value`` (the minimum), ``value_err``, ``value_final``.
    ``group`` is accepted for symmetry and ignored (all other axes are
    groups)."""
    var = resolve_variable(ds, var)
    if "time" not in ds[var].dims:
        raise PdxValueError(f"{var} has no time dimension: no early stopping")
    x = resolve_axis(ds, x) if x else (find_axis(ds, "data.alpha", "alpha")
                                       or default_across(ds, None))
    if x is None:
        raise PdxValueError("no axis: give x=")
    da = ds[var].astype(float)
    if "status" in ds.variables:
        da = da.where(ds["status"] == DONE)

    def est(s, tv, block, scale):  # block: replica, along(x), time
        out = []
        for j in range(block.shape[1]):
            ests = [minimum_estimate(s, block[r, j], min_gain) for r in range(block.shape[0])]
            if not significant_minimum(block[:, j], min_gain):
                for e in ests:
                    if np.isfinite(e.s) or e.censored:
                        e.s, e.censored = math.nan, "above"
            out.append(((j,), ests))
        return out

    # the driver treats x as the "along" dim of the profile array and time
    # as the estimator's coordinate
    return _run(ds, da, "early_stopping", x, None, sel, est, keep_time=True,
                notes=ES_NOTES, var=var, time="best", threshold=min_gain,
                method="parabolic minimum over time (gain >= threshold x minimum)")



def trainable_depth(ds: xr.Dataset, x: Optional[str] = None, y: Optional[str] = None,
                    var: Optional[str] = None, threshold=None, time="final",
                    sel: Optional[Dict[str, object]] = None) -> Boundary:
    """The trainable depth of deep networks (Schoenholz et al. 2017): for
    every value of ``y`` (default the ``sigma_w2`` axis), the largest depth
    (``x``, default the ``depth`` axis) up to which networks still train.
    When ``y`` is the depth axis and ``x`` is not (a heatmap's axes, depth
    vertical), the two are swapped: the location is always a depth.

    A task has trained when ``var`` (default ``train_error``) at ``time``
    is at most ``threshold`` (a number, "P%" of the largest value, or None:
    halfway between the smallest and the largest finite value, i.e.
    between fitted and chance); a diverged task (status 2) has not.
    Per replica the switch from trained (shallow) to untrained (deep) is
    found by the best step fit (isolated exceptions do not move it); the
    location is the bracket midpoint in the depth axis' plot scale (log
    for a log-spaced axis), with err^2 = sem^2 + resolution^2 as for every
    boundary. Replicas that train at every depth (or at none) are censored
    ("beyond the range", "below the range"); the extra column
    ``last_trained`` is the mean over replicas of the deepest grid depth
    that trained. Compare with the theory's 6 xi_c line
    (:func:`~pdx_analysis.overlays.theory_lines`, ``trainable_depth``)."""
    var = resolve_variable(ds, var) if var else (
        equilibrium_var(ds, "train_error") or find_variable(ds, "loss"))
    if var is None:
        raise PdxNameError("no training-error variable (train_error) in this file: "
                           "give var=")
    x = resolve_axis(ds, x) if x else find_axis(ds, "depth")
    if x is None:
        raise PdxValueError("no depth axis: give the axis to scan (x=, --x)")
    y = resolve_axis(ds, y) if y else (find_axis(ds, "sigma_w2")
                                       if find_axis(ds, "sigma_w2") != x else None)
    # a depth is located along the depth axis, whichever of x, y names it
    # (a heatmap of sigma_w2 (x) against depth (y) passes its axes in
    # plot order; scanning sigma_w2 at each depth would mean nothing)
    depth = find_axis(ds, "student.depth", "depth")
    if depth is not None and y == depth and x != depth:
        x, y = y, x
    y = y or default_across(ds, x)
    vals = _values(ds, var, time)
    if threshold is None:
        finite = vals.values[np.isfinite(vals.values)]
        level = (0.5 * float(finite.min() + finite.max())) if finite.size else 0.0
    else:
        level = _parse_threshold(threshold, vals.values, 0.5)
    untrained = xr.where(vals > level, 1.0, 0.0).where(np.isfinite(vals))
    if "status" in ds.variables:
        untrained = xr.where(ds["status"] == DIVERGED, 1.0, untrained)
    untrained.name = "untrained"
    xv = np.asarray(ds[x].values, dtype=float)

    def est(s, xvals, block, scale):
        out = []
        for b in block:
            e = step_estimate(s, b)
            ok = np.flatnonzero(np.isfinite(b))
            trained = ok[b[ok] < 0.5]
            if np.isfinite(e.s):
                below = trained[s[trained] < e.s]
                if below.size:
                    e.extra["last_trained"] = float(xv[below].max())
            out.append(e)
        return [((), out)]

    return _run(ds, untrained, "trainable_depth", x, y, sel, est, var=var,
                threshold=level, time=str(time) if time else None, direction="increasing",
                method="step (bracket midpoint) between trained and untrained depths")


#: Slopes b of the logistic fit (x scaled to [0, 1]): a profile grid.
_SLOPES = np.logspace(np.log10(0.5), np.log10(4000.0), 90)


def _logistic_fit(x: np.ndarray, k: np.ndarray, n: np.ndarray,
                  level: float) -> Tuple[float, float]:
    """Maximum-likelihood fit of P(success) = 1/(1 + exp(b (x - a))) to k
    successes of n trials at x, with x scaled to [0, 1] and a weak penalty
    (b/200)^2/2 so that a perfect step stays finite: for every slope b of
    :data:`_SLOPES` the log-likelihood is concave in a, whose maximum is
    found by bisection on its derivative; the best (a, b) of the profile
    wins. Returns the x where P = ``level`` and the width 1/b (x units)."""
    lo, span = float(x.min()), float(x.max() - x.min()) or 1.0
    u = (x - lo) / span
    b = _SLOPES[:, None]
    a_lo, a_hi = np.full((b.size, 1), -1.0), np.full((b.size, 1), 2.0)
    for _ in range(60):
        a = 0.5 * (a_lo + a_hi)
        p = 1.0 / (1.0 + np.exp(np.clip(b * (u - a), -500, 500)))
        rising = np.sum(n * p - k, axis=1, keepdims=True) < 0  # dL/da > 0
        a_lo = np.where(rising, a, a_lo)
        a_hi = np.where(rising, a_hi, a)
    a = 0.5 * (a_lo + a_hi)
    z = np.clip(b * (u - a), -500, 500)
    log_p = -np.logaddexp(0.0, z)          # log p
    log_q = -np.logaddexp(0.0, -z)         # log (1 - p)
    ll = np.sum(k * log_p + (n - k) * log_q, axis=1) - 0.5 * (_SLOPES / 200.0) ** 2
    best = int(np.argmax(ll))
    a_u = float(a[best, 0]) + math.log(1.0 / level - 1.0) / _SLOPES[best]
    return lo + span * a_u, span / float(_SLOPES[best])


def algorithmic_threshold(ds: xr.Dataset, x: Optional[str] = None,
                          y: Optional[str] = None, var: str = "success",
                          level: float = 0.5, n_boot: int = 400, seed: int = 0,
                          sel: Optional[Dict[str, object]] = None) -> Boundary:
    """The algorithmic threshold of replicated training (issue 16): for
    every value of ``y`` (default: the first other axis with more than one
    value, e.g. the zipped algorithm arms or ``train.replica_gamma``) the
    load ``x`` (default ``data.alpha``) where the probability that training
    finds a solution (``var``, default ``success``: 1 or 0 per task) falls
    through ``level`` (1/2).

    The location is that of a maximum-likelihood logistic fit of success
    against ``x`` over all replicas (a decreasing sigmoid; the column
    ``width`` is its 1/slope); the uncertainty ``err`` is the standard
    deviation of the location over ``n_boot`` bootstrap resamplings of the
    replicas (whole replicas: a replica's nested training sets stay
    together), seeded by ``seed`` so that it is repeatable; ``lo``/``hi``
    are the 16th and 84th bootstrap percentiles. A row where every
    replica succeeds (or none does) at every load is censored ("beyond the
    range" / "below the range"). ``p_below``/``p_above`` are the success
    fractions at the grid loads bracketing the location."""
    var = resolve_variable(ds, var)
    x = resolve_axis(ds, x) if x else find_axis(ds, "data.alpha", "alpha")
    if x is None:
        raise PdxValueError("no load axis: give the axis to scan (x=, --x)")
    y = resolve_axis(ds, y) if y else default_across(ds, x)
    vals = _values(ds, var, "final")
    prof, groups, selection = prepare(ds, vals, x, y, sel)
    xv = np.asarray(ds[x].values, dtype=float)
    values = np.asarray(prof.values, dtype=float)
    row_dims = groups + ([y] if y else [])
    lead = values.shape[:len(row_dims)]
    rng = np.random.default_rng(seed)
    rows = []
    for index in np.ndindex(*lead) if lead else [()]:
        block = values[index]  # replica, along
        keep = np.isfinite(block).any(axis=1)
        block = block[keep]
        row = {d: (prof[d].values[i].item() if hasattr(prof[d].values[i], "item")
                   else prof[d].values[i]) for d, i in zip(row_dims, index)}
        k, n = np.nansum(block, axis=0), np.isfinite(block).sum(axis=0)
        frac = np.where(n > 0, k / np.maximum(n, 1), np.nan)
        ok = n > 0
        row.update({"n": int(block.shape[0]), "n_censored": 0, "note": ""})
        if not ok.any() or np.all(frac[ok] >= level) or np.all(frac[ok] < level):
            why = ("no data" if not ok.any() else
                   "beyond the range" if np.all(frac[ok] >= level) else "below the range")
            row.update({x: math.nan, "err": math.nan, "lo": math.nan, "hi": math.nan,
                        "sem": math.nan, "std": math.nan, "resolution": math.nan,
                        "width": math.nan, "note": why})
            rows.append(row)
            continue
        loc, width = _logistic_fit(xv[ok], k[ok], n[ok], level)
        boots = []
        for _ in range(n_boot):
            pick = block[rng.integers(0, block.shape[0], block.shape[0])]
            kb, nb = np.nansum(pick, axis=0), np.isfinite(pick).sum(axis=0)
            fb = kb[ok] / np.maximum(nb[ok], 1)
            if np.all(fb >= level) or np.all(fb < level):
                continue  # no crossing in this resample
            boots.append(_logistic_fit(xv[ok], kb[ok], nb[ok], level)[0])
        boots = np.array(boots)
        err = float(boots.std(ddof=1)) if boots.size > 1 else math.nan
        i = int(np.searchsorted(xv, loc))
        row.update({x: loc, "err": err,
                    "lo": float(np.percentile(boots, 16)) if boots.size else math.nan,
                    "hi": float(np.percentile(boots, 84)) if boots.size else math.nan,
                    "sem": err, "std": math.nan, "resolution": 0.0, "width": width,
                    "p_below": float(frac[i - 1]) if 0 < i <= len(xv) else math.nan,
                    "p_above": float(frac[i]) if i < len(xv) else math.nan,
                    "note": "" if boots.size >= 0.9 * n_boot else
                    f"{n_boot - boots.size} of {n_boot} resamplings without a crossing"})
        rows.append(row)
    front = row_dims + [x, "err", "lo", "hi", "sem", "std", "resolution", "n",
                        "n_censored", "note"]
    table = pd.DataFrame(rows)
    table = table[[c for c in front if c in table.columns] +
                  [c for c in table.columns if c not in front]]
    src = ds.encoding.get("source", "")
    across_values = ([v.item() if hasattr(v, "item") else v for v in ds[y].values]
                     if y in ds.coords else [])
    return Boundary(kind="algorithmic", along=x, across=y, groups=groups, table=table,
                    var=var, threshold=level, time="final", direction="decreasing",
                    method=f"logistic fit of success against {x}; err: bootstrap over "
                           f"replicas ({n_boot} resamplings, seed {seed})",
                    source="simulation",
                    file=", ".join(src) if isinstance(src, (list, tuple)) else str(src),
                    along_scale="lin", across_values=across_values, selection=selection)


def hysteresis(ds: xr.Dataset, x: Optional[str] = None, y: Optional[str] = None,
               var: Optional[str] = None, start: str = "start",
               starts: Tuple[str, str] = ("cold", "hot"), **kwargs) -> Hysteresis:
    """The first-order jump of ``var`` for each value of the ``start`` axis
    (default ``train.start``) and the hysteresis window between
    ``starts[0]`` and ``starts[1]`` (default cold and hot: a cold start
    stays on the ordered branch down to a lower jump, a hot start up to a
    higher one). ``kwargs`` go to :func:`jump`."""
    start = resolve_axis(ds, start)
    b = jump(ds, x=x, y=y, var=var, **kwargs)
    if start not in b.groups:
        raise PdxValueError(f"{start} has fewer than two values: no hysteresis")
    t = b.table
    others = [g for g in b.groups if g != start]
    keys = others + ([b.across] if b.across else [])
    a_rows = t[t[start].astype(str) == starts[0]].set_index(keys) if keys else None
    b_rows = t[t[start].astype(str) == starts[1]].set_index(keys) if keys else None
    if a_rows is None or not len(a_rows) or not len(b_rows):
        raise PdxValueError(f"{start} has no values {starts[0]!r} and {starts[1]!r}")
    loc = b.along
    w = pd.DataFrame({
        f"{loc}_{starts[0]}": a_rows[loc], f"{loc}_{starts[0]}_err": a_rows["err"],
        f"{loc}_{starts[1]}": b_rows[loc], f"{loc}_{starts[1]}_err": b_rows["err"],
    })
    w["width"] = w[f"{loc}_{starts[1]}"] - w[f"{loc}_{starts[0]}"]
    w["width_err"] = np.sqrt(w[f"{loc}_{starts[0]}_err"] ** 2
                             + w[f"{loc}_{starts[1]}_err"] ** 2)
    return Hysteresis(b, start, tuple(starts), w.reset_index())


# --------------------------------------------------------------------------
# all that fit a file


def _algorithmic_kind(ds, x, y, sel, var, level, explicit) -> Optional[Boundary]:
    """find_boundaries' algorithmic threshold (None: it does not fit)."""
    xx = x or find_axis(ds, "data.alpha", "alpha")
    var = var or "success"
    if xx is None or var not in ds.data_vars:
        if explicit:
            raise PdxValueError("the algorithmic threshold needs a success variable "
                                "(replicated training) and an alpha axis")
        return None
    return algorithmic_threshold(ds, x=xx, y=y, var=var, sel=sel, level=level or 0.5)


def find_boundaries(ds: xr.Dataset, x: Optional[str] = None, y: Optional[str] = None,
                    kinds: Optional[Sequence[str]] = None,
                    sel: Optional[Dict[str, object]] = None,
                    thresholds: Optional[Dict[str, object]] = None,
                    variables: Optional[Dict[str, str]] = None,
                    strict: Optional[bool] = None) -> List[Boundary]:
    """Compute every boundary kind that fits ``ds`` (or just ``kinds``):

    * interpolation -- a training-error variable and a ``data.alpha`` axis
      (or ``x``) exist;
    * jump -- ``eg`` (or ``eg_mean``) has a significant jump in some row;
    * divergence -- some task diverged (status 2) and ``learning_rate``
      (or ``x``) is an axis;
    * early_stopping -- ``eg`` has a time dimension with at least 3
      checkpoints and the minimum is inside the run somewhere;
    * trainable_depth -- a ``depth`` axis (or ``x``) and a training-error
      variable exist (deep networks).

    Kinds that do not make sense for any algorithm of the file are left
    out unless asked for (:data:`NOT_FOR`): early stopping for Monte Carlo
    equilibrium sampling (metropolis), one-pass hebb and propagate;
    divergence for the rule trainers and metropolis; the interpolation
    threshold for online learning (no training set) and propagate.

    Boundaries with no point at all are left out unless ``strict`` (default:
    true when ``kinds`` is given), which also turns a kind that does not fit
    into an error. ``thresholds`` / ``variables`` map kinds to options."""
    thresholds, variables = dict(thresholds or {}), dict(variables or {})
    explicit = (kinds is not None) if strict is None else bool(strict)
    kinds = list(kinds) if kinds else list(KINDS)
    for k in kinds:
        if k not in KINDS:
            raise PdxValueError(f"unknown boundary kind {k!r} (use {', '.join(KINDS)})")
    out = []
    axes = [d for d in spec_axes(ds) if ds.sizes[d] > 1]
    algs = algorithms(ds)
    for kind in kinds:
        if not explicit and algs and algs <= NOT_FOR.get(kind, set()):
            continue
        try:
            if kind == "interpolation":
                var = variables.get(kind) or equilibrium_var(ds, "train_error") or (
                    "et" if is_theory(ds) and "et" in ds.data_vars else None)
                xx = x or find_axis(ds, "data.alpha", "alpha")
                if var is None or xx is None:
                    if explicit:
                        raise PdxValueError("interpolation threshold needs a train_error "
                                            "variable and an alpha axis (or var=, x=)")
                    continue
                b = interpolation_threshold(ds, x=xx, y=y, var=var, sel=sel,
                                            threshold=thresholds.get(kind))
            elif kind == "jump":
                var = variables.get(kind) or equilibrium_var(ds, "eg")
                xx = x or find_axis(ds, "data.alpha", "alpha") or (axes[0] if axes else None)
                if var is None or xx is None:
                    if explicit:
                        raise PdxValueError("jump needs a variable and an axis")
                    continue
                b = jump(ds, x=xx, y=y, var=var, sel=sel, threshold=thresholds.get(kind))
            elif kind == "divergence":
                if "status" not in ds.variables or is_theory(ds):
                    if explicit:
                        raise PdxValueError("divergence needs a simulation file")
                    continue
                xx = x or find_axis(ds, "learning_rate")
                if xx is None:
                    if explicit:
                        raise PdxValueError("divergence needs a learning_rate axis (or x=)")
                    continue
                var, level = variables.get(kind), thresholds.get(kind)
                if var is None and not (ds["status"] == DIVERGED).any():
                    # runs that do not blow up (saturating erf units): the
                    # weights' growth far beyond the teacher's marks them
                    level = _runaway_norm(ds)
                    if level is None:
                        if explicit:
                            b = divergence(ds, x=xx, y=y, sel=sel)
                            out.append(b)
                        continue
                    var = "norm"
                b = divergence(ds, x=xx, y=y, sel=sel, var=var, threshold=level)
                if var == "norm" and variables.get(kind) is None:
                    b.method = ("step (bracket midpoint); no run diverged: a run counts "
                                f"as unstable when its final norm exceeds {level:.3g} "
                                f"= {RUNAWAY_FACTOR:g} x the teacher's")
            elif kind == "algorithmic":
                b = _algorithmic_kind(ds, x, y, sel, variables.get(kind),
                                      thresholds.get(kind), explicit)
                if b is None:
                    continue
            elif kind == "trainable_depth":
                xx = x or find_axis(ds, "depth")
                var = variables.get(kind) or equilibrium_var(ds, "train_error")
                if xx is None or var is None or is_theory(ds):
                    if explicit:
                        raise PdxValueError("trainable depth needs a simulation file "
                                            "with a depth axis and train_error")
                    continue
                b = trainable_depth(ds, x=xx, y=y, var=var, sel=sel,
                                    threshold=thresholds.get(kind))
            else:
                var = variables.get(kind) or find_variable(ds, "eg")
                xx = x or find_axis(ds, "data.alpha", "alpha") or (axes[0] if axes else None)
                if (var is None or xx is None or "time" not in ds[var].dims
                        or ds.sizes["time"] < 3):
                    if explicit:
                        raise PdxValueError("early stopping needs eg over at least 3 times")
                    continue
                b = early_stopping(ds, x=xx, var=var, sel=sel)
        except (PdxValueError, PdxNameError):
            if explicit:
                raise
            continue
        if explicit or len(b.valid()):
            out.append(b)
    return out


#: Without diverged runs, :func:`find_boundaries` marks a run unstable when
#: its final ``norm`` (mean Q_kk) exceeds this many times the teacher's
#: (mean T_mm): a student converging to the teacher has the teacher's norm.
RUNAWAY_FACTOR = 3.0


def _runaway_norm(ds: xr.Dataset) -> Optional[float]:
    """The ``norm`` level of :data:`RUNAWAY_FACTOR` x the teacher's mean
    T_mm, if some done run's final norm exceeds it (else None)."""
    if "norm" not in ds.data_vars or "T" not in ds.data_vars:
        return None
    t = np.asarray(ds["T"].values, dtype=float)
    if t.ndim < 2 or t.shape[-1] != t.shape[-2]:
        return None
    diag = np.diagonal(t, axis1=-2, axis2=-1)
    teacher = float(np.nanmean(diag)) if np.isfinite(diag).any() else math.nan
    if not np.isfinite(teacher) or teacher <= 0:
        return None
    level = RUNAWAY_FACTOR * teacher
    final = _values(ds, "norm", "final").values
    return level if np.nanmax(np.where(np.isfinite(final), final, -np.inf)) > level else None


#: Boundary kinds and the algorithms they mean nothing for (issue 19).
NOT_FOR = {"early_stopping": {"metropolis", "hebb", "propagate"},
           "divergence": {"metropolis", "hebb", "perceptron", "propagate"},
           "interpolation": {"online", "propagate"}}


def algorithms(ds: xr.Dataset) -> set:
    """The ``train.algorithm`` names of a file's cells (its coordinate, or
    the ``param:train.algorithm`` attribute; empty when unknown)."""
    if "train.algorithm" in ds.coords:
        return {str(v) for v in np.atleast_1d(ds.coords["train.algorithm"].values)}
    a = ds.attrs.get("param:train.algorithm")
    a = a.decode() if isinstance(a, bytes) else a
    return {str(a)} if a and not str(a).startswith("=") else set()


def equilibrium_var(ds: xr.Dataset, name: str) -> Optional[str]:
    """``<name>_mean`` (the Monte Carlo average after burn-in) when the file
    has it with finite values for some done task, else ``name`` (else None):
    for Metropolis / Langevin runs the average is the equilibrium value,
    the final checkpoint a single sample."""
    mean = name + "_mean"
    if mean in ds.data_vars:
        v = ds[mean]
        if "status" in ds.variables:
            v = v.where(ds["status"] == DONE)
        if np.isfinite(v.values).any():
            return mean
    return name if name in ds.data_vars else find_variable(ds, name)


