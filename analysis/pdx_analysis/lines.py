"""Line plots: learning curves (a variable against time) and slices (a
variable against one axis at several values of another), each as the
replica mean with a standard-error band, with theory curves dashed in the
same colour and boundaries marked.

Like :mod:`pdx_analysis.plot`, nothing here uses pyplot.
"""

from __future__ import annotations

import dataclasses
import io
import os
import textwrap
import warnings
from typing import Dict, List, Optional, Sequence

import matplotlib
import numpy as np
import xarray as xr
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .errors import PdxError, PdxValueError
from .labels import (axis_label, axis_scale, is_categorical, label_text,
                     readable_log_ticks, short_name, variable_label)
from .names import find_variable, resolve_axis, resolve_variable, spec_axes
from .planes import plane, theory_plane

__all__ = ["LinePlot", "learning_curves", "slices", "default_hue", "save"]


@dataclasses.dataclass
class LinePlot:
    """What a line plot drew: the figure, its axes, per axes the simulation
    lines (``lines[i]``), the theory lines (``theory_lines[i]``), the
    boundary marks (``boundary_marks``), the hue axis and its values, the
    variables, and ``output`` once saved."""

    figure: object
    axes: list
    lines: List[list]
    theory_lines: List[list]
    bands: List[list]
    hue: Optional[str]
    hue_values: list
    variables: List[str]
    notes: list
    boundary_marks: list = dataclasses.field(default_factory=list)
    output: Optional[str] = None

    def _repr_png_(self):
        """The figure as PNG: a LinePlot displays itself in Jupyter."""
        buf = io.BytesIO()
        self.figure.savefig(buf, format="png")
        return buf.getvalue()


def default_hue(ds: xr.Dataset, exclude: Sequence[str] = (), max_values: int = 12):
    """The axis to draw one line per value of: the first spec axis with 2 ..
    ``max_values`` values not in ``exclude`` (else the first with more)."""
    cands = [d for d in spec_axes(ds) if d not in exclude and ds.sizes[d] > 1]
    for d in cands:
        if ds.sizes[d] <= max_values:
            return d
    return cands[0] if cands else None


def _resolve_hue(ds, hue, sel, exclude):
    """``hue`` resolved; None -> :func:`default_hue` among the axes not
    selected; "none" -> no hue (a single curve)."""
    if hue is not None and str(hue).lower() == "none":
        return None
    if hue is not None:
        return resolve_axis(ds, hue)
    selected = set()
    for key in sel or {}:
        try:
            selected.add(resolve_axis(ds, str(key)))
        except PdxError:
            pass
    return default_hue(ds, exclude=list(exclude) + sorted(selected))


def _colors(n: int, categorical: bool):
    """n line colours: tab10 for categories, a sequential map otherwise."""
    if categorical and n <= 10:
        return [matplotlib.colormaps["tab10"](i) for i in range(n)]
    cmap = matplotlib.colormaps["plasma"]
    return [cmap(0.05 + 0.8 * i / max(n - 1, 1)) for i in range(n)]


def _pick(n: int, max_lines: int) -> np.ndarray:
    """Indices of at most ``max_lines`` evenly spread values of n."""
    if n <= max_lines:
        return np.arange(n)
    return np.unique(np.round(np.linspace(0, n - 1, max_lines)).astype(int))


def _theory_match(theory_data: xr.DataArray, hue: Optional[str], value):
    """The theory curve for hue ``value`` (exact label, or nearest number)."""
    if hue is None:
        return theory_data
    coord = theory_data.coords[hue].values
    if coord.dtype.kind in "USO":
        hits = np.flatnonzero(coord.astype(str) == str(value))
        return theory_data.isel({hue: int(hits[0])}) if len(hits) else None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    i = int(np.argmin(np.abs(coord.astype(float) - v)))
    if not np.isclose(coord[i], v, rtol=1e-6, atol=1e-12):
        return None
    return theory_data.isel({hue: i})


def _draw_lines(ax, ds, pl, xdim, hue, theory_pl, max_lines, errorbars, label_fmt):
    """Draw ``pl.data`` (dims hue, x) as lines with +-sem bands; return
    (lines, theory lines, bands, hue values drawn). With error bars and a
    matching theory curve, the simulation is drawn as dots with error bars
    only and the theory curve is the line."""
    data = pl.data
    err = pl.err
    if hue is None:
        data = data.expand_dims("_hue")
        err = err.expand_dims("_hue") if err is not None else None
        counts = pl.counts.expand_dims("_hue")
        hdim = "_hue"
    else:
        counts = pl.counts
        hdim = hue
    xs_cat = is_categorical(data, xdim)
    xpos = (np.arange(data.sizes[xdim], dtype=float) if xs_cat
            else np.asarray(data[xdim].values, dtype=float))
    n = data.sizes[hdim]
    idx = _pick(n, max_lines)
    colors = _colors(len(idx), hue is not None and is_categorical(data, hue))
    lines, tlines, bands, values = [], [], [], []
    for c, i in zip(colors, idx):
        y = np.asarray(data.isel({hdim: i}).values, dtype=float)
        e = (np.asarray(err.isel({hdim: i}).values, dtype=float)
             if err is not None else np.full_like(y, np.nan))
        pend = int(counts["n_pending"].isel({hdim: i}).sum())
        if hue is None:
            label, hv = pl.var, None
        else:
            hv = data[hue].values[i]
            hv = hv.item() if hasattr(hv, "item") else hv
            label = label_fmt(hue, hv)
        if pend:
            label += f" ({pend} pending)"
        curve = None
        if theory_pl is not None:
            td = theory_pl.data
            curve = _theory_match(td, hue, hv) if hue is not None else td
            if curve is not None and xdim not in curve.dims:
                curve = None
        # slices with a theory curve: the simulation as dots with error
        # bars (no connecting line, no band), the theory as the line
        dots = errorbars and curve is not None
        marker = "o" if errorbars else None
        (line,) = ax.plot(xpos, y, color=c, marker=marker, markersize=4 if dots else 3.5,
                          linewidth=1.5, linestyle="none" if dots else "-", label=label,
                          zorder=5 if dots else 3)
        line.pdx_err = e  # the standard errors drawn as the band
        lines.append(line)
        values.append(hv)
        ok = np.isfinite(y) & np.isfinite(e)
        if ok.any():
            if not dots:
                band = ax.fill_between(xpos, np.where(ok, y - e, np.nan),
                                       np.where(ok, y + e, np.nan), color=c, alpha=0.25,
                                       linewidth=0, zorder=2)
                bands.append(band)
            if errorbars:
                ax.errorbar(xpos[ok], y[ok], yerr=e[ok], fmt="none", ecolor=c,
                            elinewidth=1, capsize=2, zorder=5 if dots else 3)
        if curve is not None:
            tx = (np.arange(curve.sizes[xdim], dtype=float) if is_categorical(curve, xdim)
                  else np.asarray(curve[xdim].values, dtype=float))
            (tl,) = ax.plot(tx, np.asarray(curve.values, dtype=float), color=c,
                            linestyle="--", linewidth=1.3, zorder=4)
            tlines.append(tl)
    if xs_cat:
        ax.set_xticks(xpos, [str(v) for v in data[xdim].values])
    return lines, tlines, bands, values


def _label_fmt(hue, value):
    short = hue.rsplit(".", 1)[-1]
    return f"{short} = {label_text(value, 3)}"


def _finish(ax, ds, xdim, var_da, ylog, xscale=None):
    """Scales and labels of a line axes."""
    sx = axis_scale(ds, xdim, xscale)
    if sx == "log":
        ax.set_xscale("log")
        readable_log_ticks(ax.xaxis)
    ax.set_xlabel(axis_label(ds, xdim))
    values = np.concatenate([np.asarray(line.get_ydata(), dtype=float)
                             for line in ax.get_lines()] or [np.array([])])
    finite = values[np.isfinite(values)]
    if ylog is None:
        ylog = bool(finite.size and np.all(finite > 0) and finite.max() > 100 * finite.min())
    if ylog and finite.size and np.any(finite > 0):
        ax.set_yscale("log")
        readable_log_ticks(ax.yaxis)
    ax.set_ylabel(variable_label(var_da))
    long_name = short_name(var_da.attrs, "")
    ax.set_title(_wrap(f"{var_da.name}: {long_name}" if long_name else str(var_da.name), ax),
                 fontsize="small")
    ax.grid(True, which="major", alpha=0.3)


def _new_figure(n_axes: int, size):
    w, h = size if size else (5.0 * n_axes + 1.2, 4.2)
    fig = Figure(figsize=(w, h), dpi=100, layout="constrained")
    axes = fig.subplots(1, n_axes, squeeze=False)[0].tolist()
    return fig, axes


def learning_curves(ds: xr.Dataset, variables: Optional[Sequence[str]] = None,
                    hue: Optional[str] = None, sel: Optional[Dict[str, object]] = None,
                    reduce: Optional[str] = None, theory: Optional[xr.Dataset] = None,
                    axes=None, size=None, max_lines: int = 8, ylog=None,
                    stat: str = "mean", mark_best: bool = True,
                    title: Optional[str] = None) -> LinePlot:
    """Learning curves: each of ``variables`` (default ``eg`` and, when the
    file has it, ``train_error``) against time, one line per value of
    ``hue`` (default: the first axis with several values; None for a
    single curve), the replica mean with a +-standard-error band; the other
    axes fixed by ``sel`` or reduced by ``reduce``. ``theory``: dashed
    curves of the theory's variable (when it has a time dimension) in the
    same colours. ``mark_best``: a star at the minimum of each ``eg``
    curve (the early-stopping point). One axes per variable (``axes``: a
    list of Matplotlib axes to use)."""
    if variables is None:
        variables = [v for v in (find_variable(ds, "eg"),
                                 find_variable(ds, "train_error")) if v]
    variables = [resolve_variable(ds, v) for v in variables]
    variables = [v for v in variables if "time" in ds[v].dims]
    if not variables:
        raise PdxValueError("no variable with a time dimension to draw against time")
    hue = _resolve_hue(ds, hue, sel, exclude=["time"])
    if axes is None:
        fig, axes = _new_figure(len(variables), size)
    else:
        fig = axes[0].figure
    res = LinePlot(fig, list(axes), [], [], [], hue, [], list(variables), [])
    for ax, var in zip(axes, variables):
        pl = plane(ds, "time", hue, var=var, sel=sel, reduce=reduce, stat=stat)
        tpl = None
        if theory is not None and var in theory.data_vars and "time" in theory[var].dims:
            tpl = theory_plane(theory, pl, sel, reduce, None)
        lines, tlines, bands, values = _draw_lines(ax, ds, pl, "time", hue, tpl,
                                                   max_lines, False, _label_fmt)
        if mark_best and var.startswith("eg"):
            for line in lines:
                y = np.asarray(line.get_ydata(), dtype=float)
                e = getattr(line, "pdx_err", np.zeros_like(y))
                if np.isfinite(y).sum() >= 3:
                    i = int(np.nanargmin(y))
                    last = int(np.flatnonzero(np.isfinite(y))[-1])
                    gain = y[last] - y[i]
                    noise = 2 * np.hypot(np.nan_to_num(e[i]), np.nan_to_num(e[last]))
                    # only a significant minimum inside the run (as
                    # boundaries.early_stopping): no stars on noisy plateaus
                    if 0 < i < last and gain > 0.05 * abs(y[i]) and gain > noise:
                        ax.plot(line.get_xdata()[i], y[i], marker="*", markersize=9,
                                color=line.get_color(), markeredgecolor="black",
                                linestyle="none", zorder=5)
        _finish(ax, ds, "time", ds[var], ylog)
        res.lines.append(lines)
        res.theory_lines.append(tlines)
        res.bands.append(bands)
        res.hue_values = values
        res.notes = pl.notes
    _legend(axes[0], res.theory_lines[0] if res.theory_lines else [], mark_best and any(
        v.startswith("eg") for v in variables))
    head = title if title is not None else (
        f"{ds.attrs.get('title', '')}: learning curves"
        + ("\n" + ", ".join(res.notes) if res.notes else ""))
    if head:
        fig.suptitle(head, fontsize="medium")
    return res


def _legend(ax, tlines, best):
    handles, labels = ax.get_legend_handles_labels()
    if tlines:
        handles.append(Line2D([], [], color="0.3", linestyle="--"))
        labels.append("theory")
    if best:
        handles.append(Line2D([], [], color="0.5", marker="*", markeredgecolor="black",
                              linestyle="none", markersize=9))
        labels.append("minimum (early stopping)")
    if handles:
        ax.legend(handles, labels, fontsize="x-small", loc="best", framealpha=0.8)


def slices(ds: xr.Dataset, x: str, hue: Optional[str] = None,
           variables: Optional[Sequence[str]] = None, time="final",
           sel: Optional[Dict[str, object]] = None, reduce: Optional[str] = None,
           theory: Optional[xr.Dataset] = None, boundaries: Sequence = (),
           axes=None, size=None, max_lines: int = 8, ylog=None, stat: str = "mean",
           title: Optional[str] = None, xscale: Optional[str] = None) -> LinePlot:
    """Slices: each of ``variables`` (default ``eg``) at ``time`` against
    axis ``x``, one line per value of ``hue`` (default: the first other
    axis with several values), replica mean with error bars and a
    +-standard-error band; the other axes fixed by ``sel`` or reduced by
    ``reduce``. ``theory``: dashed theory curves in the same colours
    (matched by hue value); where one is drawn, the simulation is shown as
    dots with error bars (no line, no band) so the two stay apart.
    ``boundaries``: boundaries located along ``x``
    with ``hue`` as their across axis (or with no across axis) are marked
    by vertical dotted lines with a shaded uncertainty, in the matching
    colour."""
    xdim = resolve_axis(ds, x)
    if variables is None:
        variables = [find_variable(ds, "eg") or next(iter(ds.data_vars))]
    variables = [resolve_variable(ds, v) for v in variables]
    hue = _resolve_hue(ds, hue, sel, exclude=[xdim])
    if axes is None:
        fig, axes = _new_figure(len(variables), size)
    else:
        fig = axes[0].figure
    res = LinePlot(fig, list(axes), [], [], [], hue, [], list(variables), [])
    for ax, var in zip(axes, variables):
        pl = plane(ds, xdim, hue, var=var, time=time, sel=sel, reduce=reduce, stat=stat)
        tpl = None
        if theory is not None and var in theory.data_vars:
            tpl = theory_plane(theory, pl, sel, reduce, time)
        lines, tlines, bands, values = _draw_lines(ax, ds, pl, xdim, hue, tpl,
                                                   max_lines, True, _label_fmt)
        res.lines.append(lines)
        res.theory_lines.append(tlines)
        res.bands.append(bands)
        res.hue_values = values
        res.notes = pl.notes
        for b in boundaries or ():
            res.boundary_marks.extend(_mark_boundary(ax, b, xdim, hue, lines, values,
                                                     var, pl.selected))
        _finish(ax, ds, xdim, ds[var], ylog, xscale)
        when = "" if pl.time_used is None else f" ({_time_text(pl.time_used)})"
        ax.set_title(_wrap(f"{ds[var].attrs.get('long_name') or var}{when}", ax),
                     fontsize="small")
    _legend(axes[0], res.theory_lines[0] if res.theory_lines else [], False)
    head = title if title is not None else (
        f"{ds.attrs.get('title', '')}: {', '.join(variables)} against {xdim}"
        + ("\n" + ", ".join(res.notes) if res.notes else ""))
    if head:
        fig.suptitle(head, fontsize="medium")
    return res


def _wrap(text: str, ax) -> str:
    """Wrap a title to the width of its axes."""
    width_pt = ax.figure.get_size_inches()[0] * 72 * ax.get_position().width
    return textwrap.fill(text, width=max(30, int(width_pt / 5.5)))


def _time_text(t) -> str:
    t = str(t)
    if t in ("final", "last"):
        return "final time"
    if t == "best":
        return "best time (early stopping)"
    return f"time {t}"


def _base(name) -> str:
    name = str(name or "")
    return name[:-5] if name.endswith("_mean") else name


def _mark_boundary(ax, b, xdim, hue, lines, values, var=None, selected=None):
    """Vertical dotted lines (with band) at a boundary's locations along
    ``xdim``, one per hue value, in the line's colour. Only boundaries of
    ``var`` (or of no variable, like divergence) and only the groups that
    match the slice's ``selected`` values are marked."""
    hb = getattr(b, "boundary", b)
    if hb.along != xdim or (hb.across not in (hue, None)):
        return []
    # the variable the boundary belongs to: the one it was located in, eg
    # for a theory's transition lines, none for divergence lines
    bvar = {"transition": "eg", "spinodal": "eg", "divergence": None,
            "plateau": "eg"}.get(hb.kind, hb.var)
    if var is not None and bvar is not None and _base(bvar) != _base(var):
        return []
    marks = []
    theory = hb.source == "theory"
    for group, rows in hb.lines():
        if selected and any(g in selected and label_text(v) != str(selected[g])
                            for g, v in group.items()):
            continue
        for line, hv in zip(lines, values):
            if hb.across is None:
                match = rows
            else:
                col = rows[hb.across]
                if col.dtype == object:
                    match = rows[col.astype(str) == str(hv)]
                else:
                    try:
                        match = rows[np.isclose(col.astype(float), float(hv))]
                    except (TypeError, ValueError):
                        match = rows.iloc[0:0]
            for _, r in match.iterrows():
                loc = float(r[hb.along])
                if not np.isfinite(loc):
                    continue
                c = line.get_color()
                m = ax.axvline(loc, color=c, linestyle="--" if theory else ":",
                               linewidth=1.2, zorder=1)
                if not theory and np.isfinite(r["lo"]) and np.isfinite(r["hi"]):
                    ax.axvspan(float(r["lo"]), float(r["hi"]), color=c, alpha=0.12,
                               linewidth=0, zorder=0)
                marks.append(m)
    return marks


def save(result, output: str, dpi: float = 100) -> str:
    """Save a plot result's figure to ``output`` (format from the suffix)."""
    ext = os.path.splitext(output)[1].lstrip(".").lower()
    if ext not in result.figure.canvas.get_supported_filetypes():
        raise PdxValueError(f"{output}: unknown image format {ext!r} (use .png, .pdf, .svg ...)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        result.figure.savefig(output, dpi=dpi)
    result.output = output
    return output

