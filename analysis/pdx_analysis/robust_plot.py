"""Figures of the robust error (issue 18): robust against clean error
across cells, and robust error against the budget on log axes with the
perceptron theory line (Matplotlib; the numbers come from
:mod:`pdx_analysis.robust`)."""

from __future__ import annotations

import dataclasses
from typing import Optional, Sequence

import numpy as np
import xarray as xr
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure

from .errors import PdxValueError
from .names import spec_axes
from .robust import SIZE_AXES, power_law, robust_cells, robust_correlations

__all__ = ["RobustFigure", "robust_vs_clean", "robust_vs_budget"]


def _fmt(v) -> str:
    return format(v, "g") if isinstance(v, (int, float, np.number)) else str(v)


@dataclasses.dataclass
class RobustFigure:
    """A drawn figure, its axes and the table it shows."""

    figure: Figure
    ax: object
    table: object


def robust_vs_clean(ds: xr.Dataset, budget: Optional[float] = None,
                    color: Optional[str] = None, marker: Optional[str] = None,
                    time="final", size=(6.4, 4.8),
                    var: str = "robust_error") -> RobustFigure:
    """Replica-mean robust error against clean error, one point per cell
    (error bars: standard errors) at ``budget`` (default: that of
    :func:`robust_correlations`), coloured by ``color`` (default: the
    first model-size axis) and shaped by ``marker`` (default: another
    axis, e.g. ``data.alpha``); the correlations in the title."""
    corr = robust_correlations(ds, budget=budget, time=time, n_boot=200, var=var)
    budget = float(corr["budget"].iloc[0])
    cells = robust_cells(ds, time, var)
    t = cells[cells.budget == budget]
    axes = spec_axes(ds)
    if color is None:
        color = next((a for a in SIZE_AXES if a in axes), None)
    if marker is None:
        marker = next((a for a in axes if a != color and t[a].nunique() > 1), None)
    fig = Figure(figsize=size)
    ax = fig.add_subplot()
    shapes = "osD^v<>p*h"
    groups = [(None, t)] if marker is None else list(t.groupby(marker))
    cvals = t[color].to_numpy(float) if color is not None else None
    norm = None
    if cvals is not None and np.ptp(cvals) > 0:
        norm = (LogNorm if cvals.min() > 0 and cvals.max() / cvals.min() > 8 else Normalize)(
            cvals.min(), cvals.max())
    sc = None
    for i, (value, g) in enumerate(groups):
        ax.errorbar(g["clean"], g["robust"], xerr=g["clean_sem"], yerr=g["robust_sem"],
                    fmt="none", ecolor="0.6", lw=0.8, zorder=1)
        colors = {"c": g[color], "norm": norm, "cmap": "viridis"} if norm else {}
        sc = ax.scatter(g["clean"], g["robust"], **colors, marker=shapes[i % len(shapes)],
                        edgecolors="k", linewidths=0.4, zorder=2,
                        label=None if marker is None else f"{marker} = {_fmt(value)}")
    if color is not None and norm is not None:
        fig.colorbar(sc, ax=ax, label=color)
    if marker is not None:
        ax.legend(fontsize="small")
    ax.set_xlabel("clean error (budget 0)")
    what = "consistent robust error" if var.endswith("consistent") else "robust error"
    ax.set_ylabel(f"{what} at eps = {budget:g}")
    r = corr.set_index("predictor")
    title = f"r(robust, clean) = {r.loc['clean', 'pearson']:.2f}"
    if color in r.index:
        title += f", r(robust, {color}) = {r.loc[color, 'pearson']:.2f}"
    ax.set_title(title, fontsize="medium")
    fig.tight_layout()
    return RobustFigure(fig, ax, corr)


def robust_vs_budget(ds: xr.Dataset, theory: Optional[xr.Dataset] = None,
                     cells: Optional[Sequence[dict]] = None, excess: bool = False,
                     time="final", size=(6.4, 4.8), max_cells: int = 6) -> RobustFigure:
    """Robust error (``excess``: robust - clean) against the budget on log
    axes, one line per cell (``cells``: dicts of axis values; default up
    to ``max_cells`` cells spread over the grid), replica means with
    standard errors, the theory file's ``robust_error`` of the same cell
    as a line where given, and the fitted power-law exponent in the
    legend."""
    t = robust_cells(ds, time)
    t = t[t.budget > 0]
    axes = spec_axes(ds)
    keys = t[axes].drop_duplicates().to_dict("records")
    if cells is None:
        pick = np.unique(np.linspace(0, len(keys) - 1, min(max_cells, len(keys))).astype(int))
        cells = [keys[i] for i in pick]
    fits = power_law(ds, time=time, excess=excess, n_boot=50)
    fig = Figure(figsize=size)
    ax = fig.add_subplot()
    col = "excess" if excess else "robust"
    for i, cell in enumerate(cells):
        sel = np.ones(len(t), bool)
        fsel = np.ones(len(fits), bool)
        for a, v in cell.items():
            if a not in t:
                raise PdxValueError(f"robust_vs_budget: {a} is not an axis")
            sel &= t[a].to_numpy() == v
            fsel &= fits[a].to_numpy() == v
        g = t[sel]
        if g.empty:
            raise PdxValueError(f"robust_vs_budget: no cell {cell}")
        label = ", ".join(f"{a.split('.')[-1]}={_fmt(v)}" for a, v in cell.items()
                          if t[a].nunique() > 1)
        k = fits[fsel]["exponent"].iloc[0] if fsel.any() else np.nan
        line = ax.errorbar(g["budget"], g[col], yerr=g[col + "_sem"], fmt="o", ms=4,
                           label=f"{label} (k = {k:.2f})")
        if theory is not None and "robust_error" in theory and not excess:
            th = theory["robust_error"].sel({a: v for a, v in cell.items()})
            if "time" in th.dims:
                th = th.isel(time=-1)
            b = np.asarray(theory["budget"].values, dtype=float)
            ok = b > 0
            ax.plot(b[ok], np.asarray(th.values, float)[ok], "-",
                    color=line.lines[0].get_color(), lw=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("budget eps")
    ax.set_ylabel("robust error - clean error" if excess else "robust error")
    if theory is not None and not excess:
        ax.plot([], [], "k-", lw=1, label="theory (pdx theory)")
    ax.legend(fontsize="small")
    fig.tight_layout()
    return RobustFigure(fig, ax, fits)
