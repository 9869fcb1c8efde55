"""Per-replica estimators of a boundary location (layer 5): along one
profile (the values of one replica along the *along* axis), where a step
fit splits it, where a rise starts, where the largest jump is, where a
curve has its minimum over time. Each returns an :class:`Estimate` in the
axis' plot scale (:class:`Scale`), or a censored one. Pure numpy on
arrays; :mod:`pdx_analysis.detection` applies them to datasets."""

from __future__ import annotations

import dataclasses
import math
import warnings
from typing import Dict, Tuple

import numpy as np

SQRT12 = math.sqrt(12.0)


class Scale:
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
class Estimate:
    """One replica's estimate: location ``s`` in the plot scale, its
    resolution (std) in the plot scale, extras; or censored ("below",
    "above", "none") with s NaN."""

    s: float = math.nan
    res: float = 0.0
    censored: str = ""
    extra: Dict[str, float] = dataclasses.field(default_factory=dict)


def step_fit(b: np.ndarray) -> Tuple[int, int]:
    """Best split of a boolean sequence into False... then True...

    Returns (k, mismatches): positions < k are predicted False, >= k True;
    among equally good k, the middle one."""
    ones_before = np.concatenate([[0], np.cumsum(b)])          # True in [0, k)
    zeros_after = np.concatenate([np.cumsum((~b)[::-1])[::-1], [0]])  # False in [k, n)
    cost = ones_before + zeros_after
    best = int(cost.min())
    ks = np.flatnonzero(cost == best)
    return int(ks[len(ks) // 2]), best


def onset(s, x, v, level, method, scale) -> Estimate:
    """Where ``v`` (rising orientation) leaves the zero side (``v <=
    level``). ``method``: "onset" (extrapolate the rise through the first
    two points above the level back to the zero side's value, kept within
    the bracket; the bracket midpoint when the rise is not increasing),
    "level" (linear interpolation of v at ``level``) or "step" (bracket
    midpoint)."""
    ok = np.isfinite(v)
    if ok.sum() < 2:
        return Estimate()  # no data
    idx = np.flatnonzero(ok)
    b = v[idx] > level
    k, _ = step_fit(b)
    if k == 0:
        return Estimate(censored="below")
    if k == len(idx):
        return Estimate(censored="above")
    j0, j1 = idx[k - 1], idx[k]
    w = abs(s[j1] - s[j0])
    mid = Estimate(s=0.5 * (s[j0] + s[j1]), res=w / SQRT12)
    if method == "step":
        return mid
    if method == "level":
        if v[j1] == v[j0]:
            return mid
        f = (level - v[j0]) / (v[j1] - v[j0])
        f = min(max(f, 0.0), 1.0)
        return Estimate(s=s[j0] + f * (s[j1] - s[j0]), res=w / (2 * SQRT12))
    # onset: secant through the first two points above the level
    if k + 1 < len(idx) and b[k + 1]:
        j2 = idx[k + 1]
        slope = (v[j2] - v[j1]) / (x[j2] - x[j1])
        if np.isfinite(slope) and slope * (x[j2] - x[j1]) > 0 and x[j2] != x[j1]:
            xc = x[j1] - (v[j1] - v[j0]) / slope
            lo_, hi_ = sorted((x[j0], x[j1]))
            if lo_ <= xc <= hi_:
                return Estimate(s=float(scale.fwd(xc)), res=w / (2 * SQRT12))
    return mid


def jump_estimate(s, v, sign, min_height, min_ratio) -> Estimate:
    """The largest step of ``v`` in direction ``sign`` (+1 up, -1 down)
    between consecutive finite points, if it is at least ``min_height``
    and ``min_ratio`` times every other step, and if it persists: the
    finite points next to the step on either side (where there are any)
    lie on the same side of the step's midpoint as its end next to them,
    so that one outlying point (a spike) is not a jump; location = bracket
    midpoint."""
    ok = np.flatnonzero(np.isfinite(v))
    if len(ok) < 2:
        return Estimate()  # no data
    d = np.diff(v[ok]) * sign
    k = int(np.argmax(d))
    others = np.abs(np.delete(np.diff(v[ok]), k))
    second = others.max() if others.size else 0.0
    if d[k] < min_height or d[k] < min_ratio * second:
        return Estimate(censored="none")
    j0, j1 = ok[k], ok[k + 1]
    mid = 0.5 * (v[j0] + v[j1])
    if (k + 2 < len(ok) and sign * (v[ok[k + 2]] - mid) <= 0) or \
            (k >= 1 and sign * (v[ok[k - 1]] - mid) >= 0):
        return Estimate(censored="none")  # a single-point spike
    return Estimate(s=0.5 * (s[j0] + s[j1]), res=abs(s[j1] - s[j0]) / SQRT12,
                extra={"height": float(v[j1] - v[j0]), "before": float(v[j0]),
                       "after": float(v[j1])})


def step_estimate(s, b: np.ndarray) -> Estimate:
    """Where a boolean sequence (NaN = unknown) switches from False to
    True (rising orientation): the bracket midpoint."""
    ok = np.flatnonzero(np.isfinite(b))
    if len(ok) < 1:
        return Estimate()  # no data
    bb = b[ok] > 0.5
    k, _ = step_fit(bb)
    if k == 0:
        return Estimate(censored="below")
    if k == len(ok):
        return Estimate(censored="above")
    j0, j1 = ok[k - 1], ok[k]
    return Estimate(s=0.5 * (s[j0] + s[j1]), res=abs(s[j1] - s[j0]) / SQRT12)


def significant_minimum(curves: np.ndarray, min_gain: float) -> bool:
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


def minimum_estimate(s, v, min_gain=0.0) -> Estimate:
    """Minimum of a curve over time (plot scale s): the vertex of the
    parabola through the smallest point and its neighbours (kept between
    them); censored "above" when the minimum is the last finite point
    (still decreasing) or when the final value exceeds the minimum by less
    than ``min_gain`` (relative: no early-stopping gain worth the name),
    "below" when it is the first."""
    ok = np.flatnonzero(np.isfinite(v))
    if len(ok) < 3:
        return Estimate()  # no data
    i = int(np.argmin(v[ok]))
    final = float(v[ok[-1]])
    vmin = float(v[ok[i]])
    if i == len(ok) - 1 or (final - vmin) <= min_gain * abs(vmin):
        return Estimate(censored="above", extra={"value": vmin, "value_final": final})
    if i == 0:
        return Estimate(censored="below", extra={"value": float(v[ok[i]]), "value_final": final})
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
    return Estimate(s=float(sv), res=abs(s2 - s0) / 2 / SQRT12,
                extra={"value": float(y1), "value_final": final})



def orientation(values: np.ndarray, positive: np.ndarray) -> str:
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
        up += step_fit(bb)[1]
        down += step_fit(bb[::-1])[1]
    return "increasing" if up <= down else "decreasing"


def oriented(direction, estimator):
    """Wrap a rising-orientation estimator so that "decreasing" flips the
    along axis first."""
    if direction == "increasing":
        return estimator

    def flipped(s, x, block, scale):
        return estimator(s[::-1], x[::-1], block[..., ::-1], scale)
    return flipped


