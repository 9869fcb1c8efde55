"""Heatmaps ("phase diagrams") of replica means over two axes of a pdx file.

:func:`heatmap` draws into a Matplotlib axes; :func:`plot_file` loads a file,
draws and writes an image. Neither uses pyplot, so no GUI backend is needed.

What is drawn (documented in analysis/README.md):

* the replica mean (:func:`pdx_analysis.replica_mean`, done tasks only) of
  one variable at one time ("final" = last finite checkpoint per task), as
  ``pcolormesh`` cells whose edges lie half-way between coordinate values
  (geometric midpoints and a log axis when the axis' ``pdx_scale`` is
  "log"); choice axes are categorical with their names as tick labels;
* every other axis of the variable must be fixed (``sel``), reduced
  (``reduce`` = mean/min/max of the cell means) or have size 1;
* colour scale: logarithmic when ``log_color`` is true; by default (None)
  when all plotted values are positive and span more than two decades;
* a cell where any replica diverged (status 2) gets a red "x" (legend
  "diverged"), any failed replica (status 3) a black-edged triangle
  ("failed"); a cell with no task run yet (all status 0) is grey and
  labelled "pending" (legend; also in the cell when it is wide enough);
  a cell with some replicas still pending shows the mean of its done
  replicas and a small grey dot ("partly pending").
"""

from __future__ import annotations

import dataclasses
import io
import os
import textwrap
import warnings
from typing import Dict, Optional, Sequence

import matplotlib
import matplotlib.ticker as mticker
import numpy as np
import xarray as xr
from matplotlib import patheffects
from matplotlib.colors import ListedColormap, LogNorm, Normalize
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .errors import PdxValueError
from .labels import (axis_label, axis_scale, is_categorical, label_text,
                     readable_log_ticks, short_name, units_text)
from .loading import load
from .names import is_theory
from .planes import COUNT_NAMES, REDUCTIONS, Plane, plane, theory_plane

__all__ = ["Heatmap", "heatmap", "draw_boundary", "plot_file", "default_output",
           "BOUNDARY_COLORS", "THEORY_STYLES", "Plane", "plane", "REDUCTIONS",
           "COUNT_NAMES"]

PENDING_COLOR = "0.78"


@dataclasses.dataclass
class Heatmap:
    """What :func:`heatmap` drew.

    ``data`` is the plotted 2-D DataArray (dims ``(y, x)``, sorted by
    numeric coordinate); ``counts`` the matching Dataset of replica counts
    ``n_done``, ``n_diverged``, ``n_pending``, ``n_failed``; the
    ``*_cells`` integers count the marked cells; ``markers`` maps legend
    labels to their artists."""

    figure: object
    ax: object
    mesh: object
    colorbar: object
    data: xr.DataArray
    counts: xr.Dataset
    x: str
    y: str
    log_color: bool
    diverged_cells: int
    failed_cells: int
    pending_cells: int
    partial_cells: int
    markers: Dict[str, object]
    censored_cells: int = 0
    output: Optional[str] = None
    not_applicable_cells: int = 0
    levels: object = None
    contour_set: object = None
    theory_contours: object = None
    boundary_lines: list = dataclasses.field(default_factory=list)
    boundary_labels: list = dataclasses.field(default_factory=list)
    theory_data: Optional[xr.DataArray] = None
    err: Optional[xr.DataArray] = None
    annotations: list = dataclasses.field(default_factory=list)

    def _repr_png_(self):
        """The figure as PNG: a Heatmap displays itself in Jupyter."""
        return figure_png(self.figure)


def figure_png(fig) -> bytes:
    """Return ``fig`` rendered as PNG bytes (for ``_repr_png_``)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


# --------------------------------------------------------------------------
# helpers


def _positions(da: xr.DataArray, dim: str) -> np.ndarray:
    """Return the plot positions of ``dim``'s cells: coordinate values, or
    0..n-1 for categorical / coordinate-less dimensions."""
    if dim not in da.coords or is_categorical(da, dim):
        return np.arange(da.sizes[dim], dtype=float)
    return np.asarray(da.coords[dim].values, dtype=float)


def _edges(values: np.ndarray, log: bool) -> np.ndarray:
    """Return n+1 cell edges for n sorted cell centres: midpoints between
    neighbours (geometric midpoints if ``log``), outer edges mirrored."""
    v = np.log(values) if log else np.asarray(values, dtype=float)
    if len(v) == 1:
        half = np.log(10.0) / 2 if log else 0.5 * (abs(v[0]) or 1.0)
        e = np.array([v[0] - half, v[0] + half])
    else:
        mid = (v[1:] + v[:-1]) / 2
        e = np.concatenate([[2 * v[0] - mid[0]], mid, [2 * v[-1] - mid[-1]]])
    return np.exp(e) if log else e


def _marker_size(fig, nx: int, ny: int) -> float:
    """Return a scatter marker area (points^2) that fits in one cell."""
    w, h = fig.get_size_inches() * 72 * 0.6
    cell = min(w / max(nx, 1), h / max(ny, 1))
    return float(np.clip(0.45 * cell, 3.0, 9.0) ** 2)


def _set_ticks(ax, which: str, dim: str, data: xr.DataArray, scale: str,
               edges: np.ndarray) -> None:
    """Put ticks at the cells: names for categorical axes; for numeric
    axes the coordinate values when their labels fit without overlapping
    (else Matplotlib's default ticks are kept)."""
    set_ticks = ax.set_xticks if which == "x" else ax.set_yticks
    axis = ax.xaxis if which == "x" else ax.yaxis
    n = data.sizes[dim]
    if scale == "cat":
        labels = ([str(v) for v in data.coords[dim].values] if dim in data.coords
                  else [str(i) for i in range(n)])
        set_ticks(np.arange(n), labels)
        if which == "x" and max((len(s) for s in labels), default=0) * n > 60:
            for t in ax.get_xticklabels():
                t.set_rotation(45)
                t.set_ha("right")
        return
    pos = _positions(data, dim)
    labels = [label_text(v, 3) for v in data.coords[dim].values.tolist()]
    # room per label (points) along the axis vs. what a label needs
    w_in, h_in = ax.figure.get_size_inches()
    length = 72 * (0.65 * w_in if which == "x" else 0.6 * h_in)
    to_screen = np.log if scale == "log" else (lambda v: v)
    scr, scr_edges = to_screen(pos), to_screen(edges)
    span = scr_edges[-1] - scr_edges[0]
    gap = np.min(np.diff(scr)) / span * length if n > 1 and span > 0 else length
    need = (max(len(t) for t in labels) * 6.2 + 6) if which == "x" else 13.0
    if gap >= need:
        set_ticks(pos, labels)
        axis.set_minor_locator(mticker.NullLocator())
    elif scale == "log":
        readable_log_ticks(axis)


def _contour(ax, px, py, values, levels, **kwargs):
    """Draw contour lines of ``values`` (dims y, x) at ``levels``, labelled;
    return the ContourSet (None when there is too little data)."""
    v = np.ma.masked_invalid(np.asarray(values, dtype=float))
    if v.shape[0] < 2 or v.shape[1] < 2 or v.count() < 4:
        return None
    finite = v.compressed()
    use = [lv for lv in levels if finite.min() < lv < finite.max()]
    if not use:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cs = ax.contour(px, py, v, levels=use, zorder=3, **kwargs)
        try:
            ax.clabel(cs, fontsize=7, fmt=lambda lv: label_text(lv, 3), inline=True)
        except (ValueError, IndexError):
            pass
    return cs


#: Colours of boundary kinds (drawn with a dark outline on any colour map).
BOUNDARY_COLORS = {"interpolation": "#ffffff", "jump": "#ff4fd8",
                   "divergence": "#ffa500", "early_stopping": "#00e5ff",
                   "transition": "#ff4fd8", "spinodal": "#ff4fd8", "plateau": "#00e5ff"}
#: Colours of theory lines that are not the theory of a drawn simulated
#: boundary (default black): the order-to-chaos line must stand out from
#: the black dashed theory contours it runs beside.
THEORY_COLORS = {"order_chaos": "#e41a1c"}
#: Line styles of theory lines by kind (simulation lines are solid).
THEORY_STYLES = {"spinodal": ":", "plateau": "-."}
GROUP_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def _boundary_positions(b, dim, data, values) -> np.ndarray:
    """Plot positions of boundary coordinate ``values`` along ``dim``:
    numbers as they are, categories by their index in ``data``'s (or the
    boundary's) order."""
    if data is not None and is_categorical(data, dim):
        order = {str(v): i for i, v in enumerate(data.coords[dim].values)}
        return np.array([order.get(str(v), np.nan) for v in values], dtype=float)
    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        order = {str(v): i for i, v in enumerate(b.across_values)}
        return np.array([order.get(str(v), np.nan) for v in values], dtype=float)


def draw_boundary(ax, b, x: str, y: str, data: Optional[xr.DataArray] = None,
                  index: int = 0, selected: Optional[Dict[str, str]] = None,
                  color: Optional[str] = None):
    """Draw boundary ``b`` (a Boundary or Hysteresis) in the plane of axes
    ``x`` (horizontal) and ``y`` (vertical): one line per group with
    markers, error bars and a shaded band (location -/+ err); theory
    boundaries dashed without band. A Hysteresis also shades the window
    between its two starts. Lines of groups whose value differs from
    ``selected`` ({axis: label}) are skipped; a boundary in another plane
    draws nothing.

    Returns (line artists, legend handles): one line per drawn group."""
    hyst = None
    if hasattr(b, "boundary") and hasattr(b, "window"):
        hyst, b = b, b.boundary
        # both starts are drawn on either start's diagram
        selected = {k: v for k, v in (selected or {}).items() if k != hyst.start}
    if b.along == x and b.across in (y, None):
        horizontal = True
    elif b.along == y and b.across == x:
        horizontal = False
    else:
        return [], []
    theory = b.source == "theory"
    # simulation lines: the kind's colour outlined in black; theory lines:
    # black outlined in white (dashed; spinodals dotted)
    color = color or (THEORY_COLORS.get(b.kind, "black") if theory
                      else BOUNDARY_COLORS.get(b.kind, "white"))
    outline = [patheffects.Stroke(linewidth=3.2, foreground="white" if theory else "black"),
               patheffects.Normal()]
    arts, handles, drawn = [], [], {}
    for gi, (group, rows) in enumerate(b.lines()):
        if selected and any(g in selected and label_text(v) != str(selected[g])
                            for g, v in group.items()):
            continue
        loc = rows[b.along].to_numpy(dtype=float)
        if not np.isfinite(loc).any():
            continue  # nothing to draw (and no legend entry)
        lo, hi = rows["lo"].to_numpy(dtype=float), rows["hi"].to_numpy(dtype=float)
        if b.across is None:
            other = np.array([0.5])
        else:
            other = _boundary_positions(b, b.across, data, rows[b.across].tolist())
        marker = GROUP_MARKERS[gi % len(GROUP_MARKERS)]
        ls = THEORY_STYLES.get(b.kind, "--") if theory else "-"
        name = b.label + ("" if not group else " (" + ", ".join(
            f"{g.rsplit('.', 1)[-1]}={label_text(v)}" for g, v in group.items()) + ")")
        if b.across is None:  # a single point: a straight line across the plane
            if not np.isfinite(loc[0]):
                continue
            line = (ax.axvline if horizontal else ax.axhline)(
                loc[0], color=color, linestyle=ls, linewidth=1.6, zorder=6)
        elif horizontal:
            (line,) = ax.plot(loc, other, linestyle=ls, marker=None if theory else marker,
                              markersize=4, color=color, linewidth=1.6, zorder=6)
            if not theory:
                ax.fill_betweenx(other, lo, hi, color=color, alpha=0.3, zorder=5,
                                 linewidth=0)
                ax.errorbar(loc, other, xerr=[np.abs(loc - lo), np.abs(hi - loc)],
                            fmt="none", ecolor=color, elinewidth=1, capsize=2, zorder=6)
        else:
            (line,) = ax.plot(other, loc, linestyle=ls, marker=None if theory else marker,
                              markersize=4, color=color, linewidth=1.6, zorder=6)
            if not theory:
                ax.fill_between(other, lo, hi, color=color, alpha=0.3, zorder=5,
                                linewidth=0)
                ax.errorbar(other, loc, yerr=[np.abs(loc - lo), np.abs(hi - loc)],
                            fmt="none", ecolor=color, elinewidth=1, capsize=2, zorder=6)
        line.set_path_effects(outline)
        line.set_label(name)
        arts.append(line)
        drawn[tuple(str(v) for v in group.values())] = (other, loc)
        handles.append(Line2D([], [], color=color, linestyle=ls,
                              marker=None if theory else marker, markersize=4,
                              markeredgecolor="black", linewidth=1.6, label=name,
                              path_effects=outline))
    if hyst is not None and b.across is not None:
        a_key, b_key = hyst.starts
        for ka in [k for k in drawn if a_key in k]:
            kb = tuple(b_key if v == a_key else v for v in ka)
            if kb not in drawn:
                continue
            (oa, la), (ob, lb) = drawn[ka], drawn[kb]
            if len(oa) == len(ob) and np.allclose(oa, ob, equal_nan=True):
                if horizontal:
                    ax.fill_betweenx(oa, la, lb, color=color, alpha=0.15, hatch="..",
                                     zorder=4, linewidth=0)
                else:
                    ax.fill_between(oa, la, lb, color=color, alpha=0.15, hatch="..",
                                    zorder=4, linewidth=0)
    return arts, handles


def _contour_levels(values: np.ndarray, contours, log: bool) -> np.ndarray:
    """Return contour levels: the given sequence, or ``contours`` "nice"
    levels inside the range of the finite values (log-spaced if ``log``)."""
    if contours is None or contours is False or (
            isinstance(contours, (int, np.integer)) and contours == 0):
        return np.array([])  # --contours 0: none (MaxNLocator(1) would give one)
    if not isinstance(contours, (int, np.integer)) or isinstance(contours, bool):
        return np.sort(np.asarray(list(contours), dtype=float))
    finite = values[np.isfinite(values)]
    if log:
        finite = finite[finite > 0]
    if finite.size < 2 or finite.min() == finite.max():
        return np.array([])
    lo, hi = float(finite.min()), float(finite.max())
    if log:
        levels = np.geomspace(lo, hi, int(contours) + 2)[1:-1]
        return np.array([float(f"{v:.2g}") for v in levels])
    levels = mticker.MaxNLocator(int(contours) + 1).tick_values(lo, hi)
    return levels[(levels > lo) & (levels < hi)]


def heatmap(ds: xr.Dataset, x: str, y: str, var: str = "eg",
            time="final", sel: Optional[Dict[str, object]] = None,
            reduce: Optional[str] = None, log_color: Optional[bool] = None,
            title: Optional[str] = None, ax=None,
            xscale: Optional[str] = None, yscale: Optional[str] = None,
            cmap: str = "viridis", stat: Optional[str] = None, contours=None,
            boundaries: Sequence = (), theory: Optional[xr.Dataset] = None,
            colorbar: bool = True, legend: bool = True,
            annotate: Optional[str] = None) -> Heatmap:
    """Draw a replica statistic (default the mean) of ``var`` over axes
    ``x`` (horizontal) and ``y`` (vertical) as a heatmap.

    ``x``, ``y`` and the keys of ``sel`` are axis names as accepted by
    :func:`pdx_analysis.resolve_axis` (``time`` and unit dimensions are
    allowed; ``replica`` only in ``sel``). ``time``: "final", "best" (each
    replica's minimum over time) or a number, ignored when time is a plot
    axis (``sel={"time": t}`` works too). ``reduce``: "mean", "median",
    "min" or "max" over the axes left over (required when any has more
    than one value). ``stat``: see :func:`plane`. ``ax``: a Matplotlib
    axes to draw into (a new pyplot-free Figure if None).
    ``xscale``/``yscale``: "lin" or "log" to override the axes'
    ``pdx_scale``.

    Overlays: ``contours`` (a number of levels or a list of levels) draws
    contour lines of the plotted values; ``boundaries`` (a list of
    :class:`pdx_analysis.boundaries.Boundary` or ``Hysteresis``) draws each
    boundary line in this plane with its uncertainty band; ``theory`` (a
    theory Dataset) draws its contour lines of ``var`` at the same levels,
    dashed (5 levels when ``contours`` is None); ``annotate`` = "n"/"sem"
    writes each cell's number of done replicas / standard error in it.
    Labels come from the file's ``long_name`` and ``units``; geometric
    lists are drawn on log scales; the result displays in Jupyter.

    Returns a :class:`Heatmap`. Raises :class:`pdx_analysis.PdxError`
    subclasses for bad names or selections (the message names them)."""
    if cmap not in matplotlib.colormaps:
        raise PdxValueError(f"unknown colour map {cmap!r} (e.g. viridis, magma, RdBu_r)")
    pl = plane(ds, x, y, var=var, time=time, sel=sel, reduce=reduce, stat=stat)
    var, xd, yd, stat = pl.var, pl.x, pl.y, pl.stat
    mean, counts = pl.data, pl.counts

    if ax is None:
        fig = Figure(figsize=(6.4, 4.8), dpi=100, layout="constrained")
        ax = fig.add_subplot()
    fig = ax.figure
    sx, sy = axis_scale(ds, xd, xscale), axis_scale(ds, yd, yscale)
    px, py = _positions(mean, xd), _positions(mean, yd)
    xe = _edges(px, sx == "log") if sx != "cat" else np.arange(len(px) + 1) - 0.5
    ye = _edges(py, sy == "log") if sy != "cat" else np.arange(len(py) + 1) - 0.5

    values = np.asarray(mean.values, dtype=float)
    shown, norm, log_color = _color_norm(values, log_color)
    ax.set_facecolor("white")
    mesh = ax.pcolormesh(xe, ye, shown, cmap=cmap, norm=norm, shading="flat")
    theory_file = is_theory(ds)
    failed_label = "not converged" if theory_file else "failed"
    markers, cells = _mark_cells(ax, counts, values, (px, py), (xe, ye), failed_label)

    if sx == "log":
        ax.set_xscale("log")
    if sy == "log":
        ax.set_yscale("log")
    ax.set_xlim(xe[0], xe[-1])
    ax.set_ylim(ye[0], ye[-1])
    _set_ticks(ax, "x", xd, mean, sx, xe)
    _set_ticks(ax, "y", yd, mean, sy, ye)
    ax.set_xlabel(axis_label(ds, xd))
    ax.set_ylabel(axis_label(ds, yd))
    cbar = _colorbar(fig, ax, mesh, _colorbar_label(ds[var], mean, stat, theory_file, ax),
                     log_color) if colorbar else None
    notes = _annotate(ax, annotate, counts, pl.err, (px, py))

    # overlays: contours, theory contours, boundary lines
    levels = _contour_levels(values, 5 if (contours is None and theory is not None)
                             else contours, bool(log_color))
    contour_set = theory_set = None
    if len(levels) and sx != "cat" and sy != "cat":
        contour_set = _contour(ax, px, py, values, levels, colors="white",
                               linestyles="solid", linewidths=0.9)
    tpl = None
    if theory is not None:
        tpl = theory_plane(theory, pl, sel, reduce, time)
        if tpl is not None and len(levels) and sx != "cat" and sy != "cat":
            tv = np.asarray(tpl.data.values, dtype=float)
            theory_set = _contour(ax, _positions(tpl.data, xd), _positions(tpl.data, yd),
                                  tv, levels, colors="black", linestyles="dashed",
                                  linewidths=1.2)
    blines, bhandles = [], []
    for k, b in enumerate(boundaries or ()):
        arts, hs = draw_boundary(ax, b, xd, yd, data=mean, index=k, selected=pl.selected)
        blines.extend(arts)
        bhandles.extend(hs)
    if bhandles and legend:
        ax.add_artist(Legend(ax, bhandles, [h.get_label() for h in bhandles],
                             loc="best", fontsize="x-small", framealpha=0.75))

    if title is None:
        title = _default_title(ds, pl, stat)
    handles = _legend_handles(markers, failed_label, contour_set, theory_set)
    if handles and legend:  # one row between the axes and the title
        ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.0, 1.0, 0.1),
                  ncol=len(handles), fontsize="small", frameon=False,
                  borderaxespad=0.2, handletextpad=0.3, columnspacing=1.0)
    if title:
        ax.set_title(title, fontsize="medium", pad=22 if handles and legend else 6)

    return Heatmap(figure=fig, ax=ax, mesh=mesh, colorbar=cbar, data=mean,
                   counts=counts, x=xd, y=yd, log_color=bool(log_color),
                   diverged_cells=int(cells["diverged"].sum()),
                   failed_cells=int(cells["failed"].sum()),
                   pending_cells=int(cells["pending"].sum()),
                   partial_cells=int(cells["partial"].sum()),
                   censored_cells=int(cells["censored"].sum()),
                   markers=markers, not_applicable_cells=int(cells["not_applicable"].sum()),
                   levels=levels, contour_set=contour_set, theory_contours=theory_set,
                   boundary_lines=blines, boundary_labels=[h.get_label() for h in bhandles],
                   theory_data=None if tpl is None else tpl.data, err=pl.err,
                   annotations=notes)


def _colorbar(fig, ax, mesh, label: str, log_color: bool):
    """The colour bar, with readable ticks on a log scale."""
    cbar = fig.colorbar(mesh, ax=ax, label=label)
    if log_color:
        readable_log_ticks(cbar.ax.yaxis)
    return cbar


def _annotate(ax, what: Optional[str], counts: xr.Dataset, err, centres) -> list:
    """Write each cell's replica count ("n") or standard error ("sem") in
    it; return the Text artists."""
    if what is None:
        return []
    if what not in ("n", "sem"):
        raise PdxValueError(f"annotate must be 'n' or 'sem', not {what!r}")
    if what == "sem" and err is None:
        raise PdxValueError("annotate='sem' needs stat='mean' (the standard error of the mean)")
    values = (counts["n_done"].values if what == "n"
              else np.asarray(err.values, dtype=float))
    cx, cy = np.meshgrid(*centres)
    out = []
    effects = [patheffects.withStroke(linewidth=1.5, foreground="black")]
    for xx, yy, v in zip(cx.ravel(), cy.ravel(), values.ravel()):
        if what == "sem" and not np.isfinite(v):
            continue
        text = f"n={int(v)}" if what == "n" else f"±{label_text(float(v), 2)}"
        out.append(ax.text(xx, yy, text, ha="center", va="center", fontsize="xx-small",
                           color="white", path_effects=effects, zorder=6))
    return out


def _color_norm(values: np.ndarray, log_color: Optional[bool]):
    """Return (masked values, colour norm, log_color): log when asked, or by
    default when every finite value is positive and they span more than
    two decades."""
    finite = values[np.isfinite(values)]
    if log_color is None:
        log_color = bool(finite.size and np.all(finite > 0)
                         and finite.max() > 100 * finite.min())
    shown = np.ma.masked_invalid(values)
    if log_color:
        shown = np.ma.masked_where(~(values > 0), shown)
        pos = finite[finite > 0]
        lo, hi = (pos.min(), pos.max()) if pos.size else (1e-3, 1.0)
        if lo == hi:
            lo, hi = lo / 2, hi * 2
        return shown, LogNorm(vmin=lo, vmax=hi), log_color
    lo, hi = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
    if lo == hi:
        lo, hi = lo - 0.5 * (abs(lo) or 1), hi + 0.5 * (abs(hi) or 1)
    return shown, Normalize(vmin=lo, vmax=hi), log_color


def _mark_cells(ax, counts: xr.Dataset, values: np.ndarray, centres, edges,
                failed_label: str):
    """Mark pending, partly pending, diverged, failed and not-applicable
    cells; return (markers {legend label: artist}, {kind: boolean mask})."""
    fig = ax.figure
    (px, py), (xe, ye) = centres, edges
    n_pend = counts["n_pending"].values
    n_na = counts["n_not_applicable"].values
    n_run = (counts["n_done"] + counts["n_diverged"] + counts["n_failed"]).values
    cells = {"pending": (n_pend > 0) & (n_run == 0), "partial": (n_pend > 0) & (n_run > 0),
             "diverged": counts["n_diverged"].values > 0,
             "failed": counts["n_failed"].values > 0,
             "not_applicable": (n_na > 0) & (n_run == 0) & (n_pend == 0),
             "censored": ((counts["n_censored"].values > 0) & (n_run > 0)
                          if "n_censored" in counts else np.zeros_like(n_pend, dtype=bool))}
    pending, partial = cells["pending"], cells["partial"]
    diverged, failed, not_applicable = (cells["diverged"], cells["failed"],
                                        cells["not_applicable"])
    cx, cy = np.meshgrid(px, py)
    size = _marker_size(fig, len(px), len(py))
    markers = {}
    if pending.any():
        grey = np.ma.masked_where(~pending, np.ones_like(values))
        markers["pending"] = ax.pcolormesh(
            xe, ye, grey, cmap=ListedColormap([PENDING_COLOR]), vmin=0, vmax=2,
            shading="flat")
        cell_width = 0.65 * fig.get_size_inches()[0] * 72 / len(px)  # points
        if pending.size <= 64 and cell_width >= 45:
            for xx, yy in zip(cx[pending], cy[pending]):
                ax.text(xx, yy, "pending", ha="center", va="center",
                        fontsize="x-small", color="0.25")
    if partial.any():
        markers["partly pending"] = ax.scatter(
            cx[partial], cy[partial], s=size / 3, marker="o", color=PENDING_COLOR,
            edgecolors="0.3", linewidths=0.5, zorder=3)
    if diverged.any():
        markers["diverged"] = ax.scatter(
            cx[diverged], cy[diverged], s=size, marker="x", color="red",
            linewidths=2, zorder=4)
    if failed.any():
        markers[failed_label] = ax.scatter(
            cx[failed], cy[failed], s=size, marker="^", facecolors="white",
            edgecolors="black", linewidths=1, zorder=5)
    if cells["censored"].any():
        cens = np.ma.masked_where(~cells["censored"], np.ones_like(values))
        markers["censored"] = ax.pcolor(
            xe, ye, cens, cmap=ListedColormap(["none"]), vmin=0, vmax=2,
            hatch="xx", edgecolor="0.35", linewidth=0.0, zorder=2)
    if not_applicable.any():
        na = np.ma.masked_where(~not_applicable, np.ones_like(values))
        markers["not applicable"] = ax.pcolor(
            xe, ye, na, cmap=ListedColormap(["white"]), vmin=0, vmax=2,
            hatch="//", edgecolor="0.6", linewidth=0.0)
    return markers, cells


def _colorbar_label(da: xr.DataArray, mean: xr.DataArray, stat, theory_file: bool,
                    ax) -> str:
    """The colour bar's label: the variable's long name, units and the
    statistic, wrapped to the bar's height."""
    fig = ax.figure
    var = da.name
    long_name = short_name(da.attrs, str(var))
    units = units_text(da.attrs)
    stat_l = str(stat).strip().lower()
    if stat_l in ("km_median", "fraction"):
        cbar_label = ("fraction of replicas that fitted" if stat_l == "fraction" else
                      long_name + (f" [{units}]" if units else "") + " (Kaplan–Meier median)")
    elif stat_l == "time":
        cbar_label = (short_name(mean.attrs, "time") + f" of {long_name}"
                      + (f" [{units_text(mean.attrs)}]" if units_text(mean.attrs) else "")
                      + (" (replica mean)" if not theory_file else ""))
    else:
        cbar_label = (long_name + (f" [{units}]" if units else "")
                      + (" (theory)" if theory_file else f" (replica {stat_l})"))
    # wrap long labels to the bar height
    panel_h = fig.get_size_inches()[1] * ax.get_position().height / 0.8
    width = max(20, int(min(fig.get_size_inches()[1], panel_h) * 72 * 0.8 / 6.5))
    return textwrap.fill(cbar_label, width=width)


def _default_title(ds: xr.Dataset, pl: Plane, stat) -> str:
    """The title: the file's title, the variable, the time used and the
    selections."""
    time_used, stat_l = pl.time_used, str(stat).strip().lower()
    if time_used is None:
        when = ""
    elif str(time_used).strip().lower() in ("final", "last"):
        when = ", final time"
    elif str(time_used).strip().lower() in ("best", "min", "optimal"):
        when = (", time of the minimum (early stopping)" if stat_l == "time"
                else ", minimum over time (early stopping)")
    else:
        t = pl.stats.coords["time"].values
        when = f", time {label_text(float(np.asarray(t).ravel()[0]))}"
    head = ds.attrs.get("title") or os.path.basename(ds.encoding.get("source", ""))
    return f"{head}: {pl.var}{when}" + ("\n" + ", ".join(pl.notes) if pl.notes else "")


def _legend_handles(markers, failed_label, contour_set, theory_set) -> list:
    """Legend entries of the cell marks and contour overlays."""
    handles = []
    if "diverged" in markers:
        handles.append(Line2D([], [], marker="x", color="red", linestyle="none",
                              markeredgewidth=2, label="diverged"))
    if failed_label in markers:
        handles.append(Line2D([], [], marker="^", markerfacecolor="white",
                              markeredgecolor="black", linestyle="none",
                              label=failed_label))
    if "not applicable" in markers:
        handles.append(Patch(facecolor="white", edgecolor="0.5", hatch="//",
                             label="not applicable"))
    if "censored" in markers:
        handles.append(Patch(facecolor="none", edgecolor="0.35", hatch="xx",
                             label="censored"))
    if contour_set is not None:
        handles.append(Line2D([], [], color="0.5", linewidth=1, label="contours"))
    if theory_set is not None:
        handles.append(Line2D([], [], color="black", linestyle="--", label="theory"))
    if "pending" in markers:
        handles.append(Patch(facecolor=PENDING_COLOR, edgecolor="0.5", label="pending"))
    if "partly pending" in markers:
        handles.append(Line2D([], [], marker="o", markerfacecolor=PENDING_COLOR,
                              markeredgecolor="0.3", linestyle="none",
                              label="partly pending"))
    return handles


def default_output(path, var: str) -> str:
    """Return the default image name: ``<file stem>_<var>.png`` in the
    current directory."""
    stem = os.path.splitext(os.path.basename(os.fspath(path)))[0]
    return f"{stem}_{var}.png"


def plot_file(path, x: str, y: str, output: Optional[str] = None,
              size: Sequence[float] = (6.4, 4.8), dpi: float = 100,
              **kwargs) -> Heatmap:
    """Load ``path``, draw :func:`heatmap` (``kwargs`` are passed on) on a
    new figure of ``size`` inches at ``dpi`` and save it to ``output``
    (default :func:`default_output`; the format follows its suffix).

    Returns the :class:`Heatmap` with ``output`` set; the image is
    ``size * dpi`` pixels."""
    output = output or default_output(path, kwargs.get("var", "eg"))
    ext = os.path.splitext(output)[1].lstrip(".").lower()
    if ext not in Figure().canvas.get_supported_filetypes():
        raise PdxValueError(f"{output}: unknown image format {ext!r} (use .png, .pdf, .svg ...)")
    ds = load(path)
    fig = Figure(figsize=tuple(size), dpi=dpi, layout="constrained")
    ax = fig.add_subplot()
    result = heatmap(ds, x, y, ax=ax, **kwargs)
    fig.savefig(output, dpi=dpi)
    result.output = output
    return result
