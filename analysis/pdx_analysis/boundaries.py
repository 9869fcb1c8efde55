"""Boundaries in a phase diagram, each with an uncertainty from the replicas.

A boundary is a curve in a plane of two axes: for every value of the
*across* axis (and every combination of the remaining *group* axes) it has a
location along the *along* axis. Every location is estimated replica by
replica; the boundary point is the mean of the replicas' estimates in the
along axis' plot scale (logarithmic for ``pdx_scale = "log"`` axes), and its
uncertainty combines the replicas' standard error with the grid
resolution::

    err^2 = sem^2 + resolution^2,  resolution = mean bracket width / sqrt(12)

(the resolution is that of a location known only to lie somewhere in the
bracket of two neighbouring grid values; it does not shrink with more
replicas, since all replicas share the grid). ``lo``/``hi`` are the
location -/+ err (in the plot scale, so asymmetric on log axes) and
``err`` is (hi - lo)/2.

Kinds (functions):

* :func:`interpolation_threshold` -- where the training error reaches zero
  (below a threshold) along an axis (``data.alpha``), for every value of
  another (``train.temperature``): the capacity / jamming line.
* :func:`jump` -- where a variable (``eg``) jumps (first-order
  transition); :func:`hysteresis` compares the hot and cold starts
  (``train.start``) and gives the window between them.
* :func:`divergence` -- the learning-rate threshold above which runs
  diverge (status 2, or a variable above a threshold).
* :func:`early_stopping` -- the optimal early-stopping time tau*(x): the
  time of the minimum of ``eg(t)`` for every value of x.

Each returns a :class:`Boundary` whose ``table`` (a pandas DataFrame) has
one row per point and which writes itself to CSV and JSON. Theory files
(no replicas) work too: one estimate per point, err = resolution.
"""

from __future__ import annotations

import dataclasses
import json
import math
import warnings
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import pandas as pd
import xarray as xr

from .core import (
    DIVERGED,
    DONE,
    PdxNameError,
    PdxValueError,
    find_axis,
    find_variable,
    is_theory,
    resolve_axis,
    resolve_variable,
    select_time,
    spec_axes,
)

__all__ = [
    "Boundary", "Hysteresis", "KINDS", "interpolation_threshold", "jump",
    "divergence", "early_stopping", "hysteresis", "find_boundaries",
    "compare", "theory_lines", "THEORY_LINES",
]

#: Boundary kinds and their one-line descriptions.
KINDS = {
    "interpolation": "interpolation threshold: where the training error reaches zero",
    "jump": "first-order jump: where the variable jumps",
    "divergence": "divergence line: where runs start to diverge",
    "early_stopping": "optimal early-stopping time tau*: minimum of the variable over time",
}

#: Lines a theory file gives explicitly: variable -> (along axis, kind,
#: label). Their value per cell is the line's location for that cell's
#: other parameters (constant along the along axis).
THEORY_LINES = {
    "alpha_c": ("data.alpha", "transition", "first-order transition alpha_c"),
    "alpha_spinodal": ("data.alpha", "spinodal", "spinodal alpha_spinodal"),
    "alpha_sp": ("data.alpha", "spinodal", "spinodal alpha_sp"),
    "eta_max": ("train.learning_rate", "divergence", "maximal learning rate eta_max"),
    "plateau_start": ("time", "plateau", "plateau start"),
    "plateau_end": ("time", "plateau", "plateau end"),
}

LABELS = {
    "interpolation": "interpolation threshold",
    "jump": "jump",
    "divergence": "divergence",
    "early_stopping": "early stopping tau*",
    "transition": "transition",
    "spinodal": "spinodal",
    "plateau": "plateau",
}

SQRT12 = math.sqrt(12.0)


# --------------------------------------------------------------------------
# the record


@dataclasses.dataclass
class Boundary:
    """A boundary curve: ``table`` has one row per point with the group
    axes' values, the ``across`` value, the location (column named after
    the ``along`` axis), ``err``, ``lo``, ``hi``, ``sem``, ``std``,
    ``resolution`` (all in along units), ``n`` (replicas with an estimate),
    ``n_censored`` (replicas with data but no crossing inside the range),
    ``note`` (why a point is missing, or a warning) and kind-specific
    columns (``height`` for jumps, ``value``/``value_err``/``value_final``
    for early stopping)."""

    kind: str
    along: str
    across: Optional[str]
    groups: List[str]
    table: pd.DataFrame
    var: Optional[str] = None
    threshold: Optional[float] = None
    time: Optional[str] = None
    direction: Optional[str] = None
    method: str = ""
    source: str = "simulation"
    file: str = ""
    along_scale: str = "lin"
    across_values: list = dataclasses.field(default_factory=list)
    selection: Dict[str, str] = dataclasses.field(default_factory=dict)
    title: Optional[str] = None

    @property
    def label(self) -> str:
        """A short legend label (kind, variable, source)."""
        text = self.title or LABELS.get(self.kind, self.kind)
        if self.source == "theory":
            text += " (theory)"
        return text

    def lines(self) -> List[Tuple[Dict[str, object], pd.DataFrame]]:
        """Return one (group values, rows sorted by ``across``) per line."""
        if not self.groups:
            return [({}, self._sorted(self.table))]
        out = []
        by = self.groups[0] if len(self.groups) == 1 else self.groups
        for key, rows in self.table.groupby(by, sort=False):
            key = key if isinstance(key, tuple) else (key,)
            out.append((dict(zip(self.groups, key)), self._sorted(rows)))
        return out

    def _sorted(self, rows: pd.DataFrame) -> pd.DataFrame:
        if self.across is None:
            return rows
        if self.across_values and rows[self.across].dtype == object:
            order = {v: i for i, v in enumerate(self.across_values)}
            return rows.iloc[np.argsort([order.get(v, 0) for v in rows[self.across]],
                                        kind="stable")]
        return rows.sort_values(self.across, kind="stable")

    def valid(self) -> pd.DataFrame:
        """Rows with a finite location."""
        return self.table[np.isfinite(self.table[self.along].astype(float))]

    def metadata(self) -> Dict[str, object]:
        """Return what the table columns mean and how they were computed."""
        return {
            "kind": self.kind, "description": KINDS.get(self.kind, ""),
            "along": self.along, "across": self.across, "groups": self.groups,
            "variable": self.var, "threshold": self.threshold,
            "time": self.time, "direction": self.direction,
            "method": self.method, "source": self.source, "file": self.file,
            "along_scale": self.along_scale, "selection": self.selection,
            "uncertainty": "err^2 = sem^2 + resolution^2 in the along axis' "
                           "plot scale; lo/hi = location -/+ err",
        }

    def to_dict(self) -> Dict[str, object]:
        """Return metadata plus ``points`` (the table as a list of dicts,
        NaN as None) -- what :meth:`to_json` writes."""
        rows = []
        for rec in self.table.to_dict(orient="records"):
            rows.append({k: _json_value(v) for k, v in rec.items()})
        return dict(self.metadata(), points=rows)

    def to_csv(self, path) -> str:
        """Write the table as CSV (NaN as empty); return the path."""
        self.table.to_csv(path, index=False, na_rep="")
        return str(path)

    def to_json(self, path) -> str:
        """Write :meth:`to_dict` as JSON; return the path."""
        with open(path, "w") as f:
            json.dump(self.to_dict(), f, indent=1)
            f.write("\n")
        return str(path)

    @property
    def name(self) -> str:
        """A file-name friendly identifier: kind, variable, source."""
        parts = [self.kind]
        if self.var and (self.kind != "divergence" or self.source == "theory"):
            parts.append(self.var)
        if self.source == "theory":
            parts.append("theory")
        return "_".join(p.replace(".", "-") for p in parts)


def _json_value(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if not np.isfinite(v) else float(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


# --------------------------------------------------------------------------
# scales and per-replica estimators


class _Scale:
    """Plot scale of an axis: identity, or log when the axis is
    log-spaced (``pdx_scale`` "log" and all values positive)."""

    def __init__(self, values: np.ndarray, log: bool):
        self.log = bool(log and np.all(values > 0))

    def fwd(self, x):
        x = np.asarray(x, dtype=float)
        return np.log(x) if self.log else x

    def inv(self, s):
        s = np.asarray(s, dtype=float)
        return np.exp(s) if self.log else s

    def deriv(self, s):
        """dx/ds at s (to turn plot-scale errors into along units)."""
        return np.exp(s) if self.log else np.ones_like(np.asarray(s, dtype=float))


@dataclasses.dataclass
class _Est:
    """One replica's estimate: location ``s`` in the plot scale, its
    resolution (std) in the plot scale, extras; or censored ("below",
    "above", "none") with s NaN."""

    s: float = math.nan
    res: float = 0.0
    censored: str = ""
    extra: Dict[str, float] = dataclasses.field(default_factory=dict)


def _step_fit(b: np.ndarray) -> Tuple[int, int]:
    """Best split of a boolean sequence into False... then True...

    Returns (k, mismatches): positions < k are predicted False, >= k True;
    among equally good k, the middle one."""
    ones_before = np.concatenate([[0], np.cumsum(b)])          # True in [0, k)
    zeros_after = np.concatenate([np.cumsum((~b)[::-1])[::-1], [0]])  # False in [k, n)
    cost = ones_before + zeros_after
    best = int(cost.min())
    ks = np.flatnonzero(cost == best)
    return int(ks[len(ks) // 2]), best


def _onset(s, x, v, level, method, scale) -> _Est:
    """Where ``v`` (rising orientation) leaves the zero side (``v <=
    level``). ``method``: "onset" (extrapolate the rise through the first
    two points above the level back to the zero side's value, kept within
    the bracket; the bracket midpoint when the rise is not increasing),
    "level" (linear interpolation of v at ``level``) or "step" (bracket
    midpoint)."""
    ok = np.isfinite(v)
    if ok.sum() < 2:
        return _Est()  # no data
    idx = np.flatnonzero(ok)
    b = v[idx] > level
    k, _ = _step_fit(b)
    if k == 0:
        return _Est(censored="below")
    if k == len(idx):
        return _Est(censored="above")
    j0, j1 = idx[k - 1], idx[k]
    w = abs(s[j1] - s[j0])
    mid = _Est(s=0.5 * (s[j0] + s[j1]), res=w / SQRT12)
    if method == "step":
        return mid
    if method == "level":
        if v[j1] == v[j0]:
            return mid
        f = (level - v[j0]) / (v[j1] - v[j0])
        f = min(max(f, 0.0), 1.0)
        return _Est(s=s[j0] + f * (s[j1] - s[j0]), res=w / (2 * SQRT12))
    # onset: secant through the first two points above the level
    if k + 1 < len(idx) and b[k + 1]:
        j2 = idx[k + 1]
        slope = (v[j2] - v[j1]) / (x[j2] - x[j1])
        if np.isfinite(slope) and slope * (x[j2] - x[j1]) > 0 and x[j2] != x[j1]:
            xc = x[j1] - (v[j1] - v[j0]) / slope
            lo_, hi_ = sorted((x[j0], x[j1]))
            if lo_ <= xc <= hi_:
                return _Est(s=float(scale.fwd(xc)), res=w / (2 * SQRT12))
    return mid


def _jump_est(s, v, sign, min_height, min_ratio) -> _Est:
    """The largest step of ``v`` in direction ``sign`` (+1 up, -1 down)
    between consecutive finite points, if it is at least ``min_height``
    and ``min_ratio`` times every other step; location = bracket midpoint."""
    ok = np.flatnonzero(np.isfinite(v))
    if len(ok) < 2:
        return _Est()  # no data
    d = np.diff(v[ok]) * sign
    k = int(np.argmax(d))
    others = np.abs(np.delete(np.diff(v[ok]), k))
    second = others.max() if others.size else 0.0
    if d[k] < min_height or d[k] < min_ratio * second:
        return _Est(censored="none")
    j0, j1 = ok[k], ok[k + 1]
    return _Est(s=0.5 * (s[j0] + s[j1]), res=abs(s[j1] - s[j0]) / SQRT12,
                extra={"height": float(v[j1] - v[j0]), "before": float(v[j0]),
                       "after": float(v[j1])})


def _step_est(s, b: np.ndarray) -> _Est:
    """Where a boolean sequence (NaN = unknown) switches from False to
    True (rising orientation): the bracket midpoint."""
    ok = np.flatnonzero(np.isfinite(b))
    if len(ok) < 1:
        return _Est()  # no data
    bb = b[ok] > 0.5
    k, _ = _step_fit(bb)
    if k == 0:
        return _Est(censored="below")
    if k == len(ok):
        return _Est(censored="above")
    j0, j1 = ok[k - 1], ok[k]
    return _Est(s=0.5 * (s[j0] + s[j1]), res=abs(s[j1] - s[j0]) / SQRT12)


def _significant_minimum(curves: np.ndarray, min_gain: float) -> bool:
    """Whether the replica mean of ``curves`` (replica, time) has a minimum
    inside the run that the final value exceeds by more than ``min_gain``
    (relative) and by more than twice the combined standard error of the
    two (when there are several replicas): a noisy plateau (Monte Carlo
    equilibrium, online learning) is not an early-stopping point."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ok_t = np.isfinite(curves).any(axis=0)
        if ok_t.sum() < 3:
            return False
        c = curves[:, ok_t]
        n = np.isfinite(c).sum(axis=0)
        mean = np.nanmean(c, axis=0)
        sem = np.where(n > 1, np.nanstd(c, axis=0, ddof=1) / np.sqrt(np.maximum(n, 1)), 0.0)
    i = int(np.nanargmin(mean))
    if i == len(mean) - 1:
        return False
    gain = mean[-1] - mean[i]
    noise = 2.0 * math.sqrt(float(sem[-1]) ** 2 + float(sem[i]) ** 2)
    return bool(gain > min_gain * abs(mean[i]) and gain > noise)


def _minimum_est(s, v, min_gain=0.0) -> _Est:
    """Minimum of a curve over time (plot scale s): the vertex of the
    parabola through the smallest point and its neighbours (kept between
    them); censored "above" when the minimum is the last finite point
    (still decreasing) or when the final value exceeds the minimum by less
    than ``min_gain`` (relative: no early-stopping gain worth the name),
    "below" when it is the first."""
    ok = np.flatnonzero(np.isfinite(v))
    if len(ok) < 3:
        return _Est()  # no data
    i = int(np.argmin(v[ok]))
    final = float(v[ok[-1]])
    vmin = float(v[ok[i]])
    if i == len(ok) - 1 or (final - vmin) <= min_gain * abs(vmin):
        return _Est(censored="above", extra={"value": vmin, "value_final": final})
    if i == 0:
        return _Est(censored="below", extra={"value": float(v[ok[i]]), "value_final": final})
    a, b, c = ok[i - 1], ok[i], ok[i + 1]
    s0, s1, s2 = s[a], s[b], s[c]
    y0, y1, y2 = v[a], v[b], v[c]
    den = (s0 - s1) * (s0 - s2) * (s1 - s2)
    sv = s1
    if den != 0:
        A = (s2 * (y1 - y0) + s1 * (y0 - y2) + s0 * (y2 - y1)) / den
        B = (s2 ** 2 * (y0 - y1) + s1 ** 2 * (y2 - y0) + s0 ** 2 * (y1 - y2)) / den
        if A > 0:
            sv = min(max(-B / (2 * A), s0), s2)
    return _Est(s=float(sv), res=abs(s2 - s0) / 2 / SQRT12,
                extra={"value": float(y1), "value_final": final})


# --------------------------------------------------------------------------
# the common driver


def _index_of(ds, dim, value):
    from .plot import _index_of as index_of

    return index_of(ds, dim, value)


def _prepare(ds: xr.Dataset, da: xr.DataArray, along: str, across: Optional[str],
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
        i, label = _index_of(ds, d, value)
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


def _aggregate(ests: Sequence[_Est], scale: _Scale, notes=None) -> Dict[str, object]:
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
    """(``notes``: texts of the censoring reasons, default :data:`NOTES`.)"""
    """Apply ``estimator(s, x, values_per_replica) -> list of _Est`` to every
    row and build the Boundary."""
    along = resolve_axis(ds, along)
    across = resolve_axis(ds, across) if across else None
    if across == along:
        raise PdxValueError(f"along and across are the same axis ({along})")
    prof, groups, selection = _prepare(ds, da, along, across, sel, keep_time=keep_time)
    coord_dim = "time" if keep_time else along
    xvals = np.asarray(ds[coord_dim].values)
    if xvals.dtype.kind not in "iuf":
        raise PdxValueError(f"{coord_dim} is not numeric: a boundary needs a numeric axis")
    xvals = xvals.astype(float)
    log = ds[coord_dim].attrs.get("pdx_scale") == "log"
    scale = _Scale(xvals, log)
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


def _default_across(ds, along, *prefer):
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


def _orientation(values: np.ndarray, positive: np.ndarray) -> str:
    """"increasing" if the positive side is more often at the high end of
    the along axis than the low end (summed over rows), else
    "decreasing"."""
    b = np.where(np.isfinite(values), positive, np.nan)
    flat = b.reshape(-1, b.shape[-1])
    up = down = 0
    for row in flat:
        ok = np.isfinite(row)
        if ok.sum() < 2:
            continue
        bb = row[ok] > 0.5
        up += _step_fit(bb)[1]
        down += _step_fit(bb[::-1])[1]
    return "increasing" if up <= down else "decreasing"


def _oriented(direction, estimator):
    """Wrap a rising-orientation estimator so that "decreasing" flips the
    along axis first."""
    if direction == "increasing":
        return estimator

    def flipped(s, x, block, scale):
        return estimator(s[::-1], x[::-1], block[..., ::-1], scale)
    return flipped


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
        _equilibrium_var(ds, "train_error") or find_variable(ds, "train_error_mean", "loss"))
    if var is None:
        raise PdxNameError("no training-error variable (train_error) in this file: "
                           "give var=")
    x = resolve_axis(ds, x) if x else (find_axis(ds, "data.alpha", "alpha")
                                       or _default_across(ds, None))
    if x is None:
        raise PdxValueError("no axis to scan: give x=")
    y = resolve_axis(ds, y) if y else _default_across(ds, x, "temperature")
    if method not in ("onset", "level", "step"):
        raise PdxValueError(f"bad method {method!r} (onset, level or step)")
    da = _values(ds, var, time)
    level = _parse_threshold(threshold, da.values, 0.01)
    if direction is None:
        prof, _, _ = _prepare(ds, da, x, y, sel)
        direction = _orientation(prof.values, prof.values > level)

    def est(s, xv, block, scale):
        return [((), [_onset(s, xv, v, level, method, scale) for v in block])]

    return _run(ds, da, "interpolation", x, y, sel, _oriented(direction, est),
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
    var = resolve_variable(ds, var) if var else (_equilibrium_var(ds, "eg") or "eg")
    var = resolve_variable(ds, var)
    x = resolve_axis(ds, x) if x else (find_axis(ds, "data.alpha", "alpha")
                                       or _default_across(ds, None))
    y = resolve_axis(ds, y) if y else _default_across(ds, x, "temperature")
    da = _values(ds, var, time)
    vals = da.values[np.isfinite(da.values)]
    rng = float(np.percentile(vals, 99) - np.percentile(vals, 1)) if vals.size else 0.0
    if threshold is None:
        height = 0.1 * rng
    else:
        height = _parse_threshold(threshold, da.values, 0.1)
    prof, _, _ = _prepare(ds, da, x, y, sel)
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
        return [((), [_jump_est(s, v, sign, height, min_ratio) for v in block])]

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
    y = resolve_axis(ds, y) if y else _default_across(ds, x, "hidden", "temperature")
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
        prof, _, _ = _prepare(ds, div, x, y, sel)
        direction = _orientation(prof.values, prof.values > 0.5)

    def est(s, xv, block, scale):
        return [((), [_step_est(s, b) for b in block])]

    return _run(ds, div, "divergence", x, y, sel, _oriented(direction, est),
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
                                       or _default_across(ds, None))
    if x is None:
        raise PdxValueError("no axis: give x=")
    da = ds[var].astype(float)
    if "status" in ds.variables:
        da = da.where(ds["status"] == DONE)

    def est(s, tv, block, scale):  # block: replica, along(x), time
        out = []
        for j in range(block.shape[1]):
            ests = [_minimum_est(s, block[r, j], min_gain) for r in range(block.shape[0])]
            if not _significant_minimum(block[:, j], min_gain):
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


# --------------------------------------------------------------------------
# hysteresis


@dataclasses.dataclass
class Hysteresis:
    """The jump line for each start (``boundary``, grouped by the start
    axis) and the window between two starts (``window``: per point the
    two locations, ``width`` = second - first and ``width_err``)."""

    boundary: Boundary
    start: str
    starts: Tuple[str, str]
    window: pd.DataFrame

    def to_csv(self, path) -> str:
        self.window.to_csv(path, index=False, na_rep="")
        return str(path)


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
      checkpoints and the minimum is inside the run somewhere.

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
    for kind in kinds:
        try:
            if kind == "interpolation":
                var = variables.get(kind) or _equilibrium_var(ds, "train_error") or (
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
                var = variables.get(kind) or _equilibrium_var(ds, "eg")
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


def _equilibrium_var(ds: xr.Dataset, name: str) -> Optional[str]:
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


def theory_lines(theory: xr.Dataset, across: Optional[str] = None,
                 sel: Optional[Dict[str, object]] = None) -> List[Boundary]:
    """The lines a theory file gives explicitly (:data:`THEORY_LINES`:
    ``alpha_c``, ``alpha_sp``, ``eta_max``, ``plateau_start``/``_end``) as
    Boundaries located along their axis (``data.alpha``,
    ``train.learning_rate``, ``time``) with one point per value of
    ``across`` (default: the first other axis with several values) and one
    line per value of the remaining axes. A point is the median over the
    along axis of the solved cells' finite values (the value does not
    depend on it; a note says when it does); err is 0. Lines whose along
    axis is not an axis of the file, or without any finite value, are
    left out."""
    out = []
    for var, (along_name, kind, title) in THEORY_LINES.items():
        if var not in theory.data_vars:
            continue
        along = find_axis(theory, along_name)
        if along is None or along not in theory.dims:
            continue
        da = theory[var].astype(float)
        if "status" in theory.variables:
            da = da.where(theory["status"] == DONE)
        if "time" in da.dims:
            continue
        if along == "time":
            acr = resolve_axis(theory, across) if across else _default_across(theory, None)
            if acr is None:
                continue
            # a per-cell time: one point per cell of the across axis
            prof, groups, notes = _prepare(theory, da, acr, None, sel)
            values = np.asarray(prof.values, dtype=float)[..., 0, :]  # drop replica
            rows = []
            for index in np.ndindex(*values.shape[:-1]) if values.ndim > 1 else [()]:
                for j in range(values.shape[-1]):
                    v = values[index + (j,)]
                    row = {d: _item(prof[d].values[i]) for d, i in zip(groups, index)}
                    row[acr] = _item(prof[acr].values[j])
                    row.update(_exact_row(v))
                    rows.append(row)
            tab = _table(rows, groups + [acr], "time")
            b = Boundary(kind=kind, along="time", across=acr, groups=groups, table=tab,
                         var=var, source="theory", method=f"theory variable {var}",
                         file=_src(theory), along_scale="log", title=title,
                         across_values=[_item(v) for v in theory[acr].values],
                         selection=notes)
        else:
            acr = (resolve_axis(theory, across) if across and resolve_axis(theory, across)
                   != along else _default_across(theory, along, "temperature", "hidden"))
            prof, groups, notes = _prepare(theory, da, along, acr, sel)
            values = np.asarray(prof.values, dtype=float)[..., 0, :]  # drop replica
            rows = []
            lead = values.shape[:-1]
            for index in np.ndindex(*lead) if lead else [()]:
                v = values[index]
                row_dims = groups + ([acr] if acr else [])
                row = {d: _item(prof[d].values[i]) for d, i in zip(row_dims, index)}
                finite = v[np.isfinite(v)]
                med = float(np.median(finite)) if finite.size else math.nan
                row.update(_exact_row(med))
                row["n"] = int(finite.size)
                if finite.size and (finite.max() - finite.min()) > 1e-6 * max(abs(med), 1e-300):
                    row["note"] = f"varies along {along}: median of {finite.size} cells"
                rows.append(row)
            tab = _table(rows, groups + ([acr] if acr else []), along)
            b = Boundary(kind=kind, along=along, across=acr, groups=groups, table=tab,
                         var=var, source="theory", method=f"theory variable {var}",
                         file=_src(theory),
                         along_scale="log" if theory[along].attrs.get("pdx_scale") == "log"
                         else "lin", title=title,
                         across_values=([_item(v) for v in theory[acr].values]
                                        if acr else []), selection=notes)
        if len(b.valid()):
            out.append(b)
    return out


def _item(v):
    return v.item() if hasattr(v, "item") else v


def _src(ds) -> str:
    src = ds.encoding.get("source", "")
    return ", ".join(src) if isinstance(src, (list, tuple)) else str(src)


def _exact_row(v: float) -> Dict[str, object]:
    v = float(v)
    ok = math.isfinite(v)
    return {"loc": v, "err": 0.0 if ok else math.nan, "lo": v, "hi": v,
            "sem": math.nan, "std": math.nan, "resolution": 0.0 if ok else math.nan,
            "n": 1 if ok else 0, "n_censored": 0, "note": "" if ok else "not solved"}


def _table(rows, keys, loc_name) -> pd.DataFrame:
    table = pd.DataFrame(rows).rename(columns={"loc": loc_name})
    front = keys + [loc_name, "err", "lo", "hi", "sem", "std", "resolution", "n",
                    "n_censored", "note"]
    if not len(table):
        return pd.DataFrame(columns=front)
    return table[[c for c in front if c in table.columns]
                 + [c for c in table.columns if c not in front]]


# --------------------------------------------------------------------------
# simulation vs theory


def compare(sim: Boundary, theory: Boundary) -> pd.DataFrame:
    """Join a simulated and a theoretical boundary of the same kind point
    by point: columns of the keys, ``sim``, ``sim_err``, ``theory``,
    ``theory_err``, ``diff`` = sim - theory and ``z`` = diff / combined
    err (NaN where either is missing)."""
    if sim.along != theory.along or sim.across != theory.across:
        raise PdxValueError("the boundaries are not in the same plane: "
                            f"{sim.along}/{sim.across} vs {theory.along}/{theory.across}")
    keys = [g for g in sim.groups if g in theory.groups] + (
        [sim.across] if sim.across else [])
    a = sim.table[keys + [sim.along, "err"]].rename(columns={sim.along: "sim",
                                                              "err": "sim_err"})
    b = theory.table[keys + [theory.along, "err"]].rename(
        columns={theory.along: "theory", "err": "theory_err"})
    for k in keys:  # compare labels as text, numbers as floats
        if a[k].dtype == object or b[k].dtype == object:
            a[k], b[k] = a[k].astype(str), b[k].astype(str)
    m = a.merge(b, on=keys, how="left") if keys else pd.concat([a, b], axis=1)
    m["diff"] = m["sim"] - m["theory"]
    tot = np.sqrt(m["sim_err"].fillna(0) ** 2 + m["theory_err"].fillna(0) ** 2)
    m["z"] = np.where(tot > 0, m["diff"] / tot.where(tot > 0), np.nan)
    return m
