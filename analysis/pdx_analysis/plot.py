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
import os
import textwrap
import warnings
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
import xarray as xr

from .core import (
    PdxValueError,
    replica_mean,
    resolve_axis,
    resolve_variable,
)

REDUCTIONS = ("mean", "min", "max")
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
    output: Optional[str] = None


# --------------------------------------------------------------------------
# helpers


def _is_categorical(da: xr.DataArray, dim: str) -> bool:
    """Return True if ``dim`` has non-numeric (e.g. choice name) labels."""
    return dim in da.coords and da.coords[dim].dtype.kind in "USO"


def _positions(da: xr.DataArray, dim: str) -> np.ndarray:
    """Return the plot positions of ``dim``'s cells: coordinate values, or
    0..n-1 for categorical / coordinate-less dimensions."""
    if dim not in da.coords or _is_categorical(da, dim):
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


def _axis_scale(ds: xr.Dataset, dim: str, override: Optional[str]) -> str:
    """Return "log", "lin" or "cat" for plotting ``dim``."""
    if _is_categorical(ds, dim) or dim not in ds.coords:
        return "cat"
    if override is not None:
        if override not in ("lin", "log"):
            raise PdxValueError(f"bad axis scale {override!r} (use lin or log)")
        scale = override
    else:
        scale = "log" if ds.coords[dim].attrs.get("pdx_scale") == "log" else "lin"
    if scale == "log" and not np.all(np.asarray(ds.coords[dim].values, float) > 0):
        if override == "log":
            raise PdxValueError(f"{dim} has values <= 0: it cannot be drawn on a log scale")
        scale = "lin"
    return scale


def _label_text(value, digits: int = 4) -> str:
    """Return a short text for a coordinate value (``digits`` significant
    digits for reals)."""
    if isinstance(value, (str, np.str_)):
        return str(value)
    if isinstance(value, (float, np.floating)):
        return format(float(value), f".{digits}g")
    return str(value)


def _index_of(ds: xr.Dataset, dim: str, value) -> Tuple[int, str]:
    """Return (index, label) of the cell of ``dim`` that ``value`` selects.

    Choice axes: a name or a numeric code. Integer axes: an exact value.
    Real axes: the nearest value."""
    if dim not in ds.coords:
        n = ds.sizes[dim]
        try:
            i = int(value)
        except (TypeError, ValueError):
            i = -1
        if not 0 <= i < n:
            raise PdxValueError(f"{dim} has no index {str(value)!r} (0 .. {n - 1})")
        return i, str(i)
    coord = ds.coords[dim]
    values = coord.values
    listing = ", ".join(_label_text(v) for v in values.tolist())
    if coord.dtype.kind in "USO":
        text = str(value)
        hits = np.flatnonzero(values.astype(str) == text)
        code_name = dim + "_code"
        if not len(hits) and code_name in ds.coords:
            try:
                hits = np.flatnonzero(ds.coords[code_name].values == int(text))
            except ValueError:
                pass
        if not len(hits):
            raise PdxValueError(f"{dim} has no value {text!r}; its values are: {listing}")
        return int(hits[0]), str(values[hits[0]])
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise PdxValueError(f"{dim} needs a number, not {str(value)!r}; its values are: "
                            f"{listing}") from None
    if coord.dtype.kind in "iu":
        hits = np.flatnonzero(values == number)
        if not len(hits):
            raise PdxValueError(f"{dim} has no value {str(value)!r}; its values are: "
                                f"{listing}")
        return int(hits[0]), _label_text(values[hits[0]])
    i = int(np.nanargmin(np.abs(values.astype(float) - number)))
    return i, _label_text(values[i])


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
    import matplotlib.ticker as mticker

    pos = _positions(data, dim)
    labels = [_label_text(v, 3) for v in data.coords[dim].values.tolist()]
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


def _axis_label(ds: xr.Dataset, dim: str) -> str:
    """Return ``dim`` plus its units (unless dimensionless)."""
    units = ds.coords[dim].attrs.get("units", "") if dim in ds.coords else ""
    return f"{dim} [{units}]" if units not in ("", "1") else dim


# --------------------------------------------------------------------------
# public


def heatmap(ds: xr.Dataset, x: str, y: str, var: str = "eg",
            time="final", sel: Optional[Dict[str, object]] = None,
            reduce: Optional[str] = None, log_color: Optional[bool] = None,
            title: Optional[str] = None, ax=None,
            xscale: Optional[str] = None, yscale: Optional[str] = None,
            cmap: str = "viridis") -> Heatmap:
    """Draw the replica mean of ``var`` over axes ``x`` (horizontal) and
    ``y`` (vertical) as a heatmap.

    ``x``, ``y`` and the keys of ``sel`` are axis names as accepted by
    :func:`pdx_analysis.resolve_axis` (``time`` and unit dimensions are
    allowed; ``replica`` only in ``sel``). ``time``: "final" or a number,
    ignored when time is a plot axis (``sel={"time": t}`` works too).
    ``reduce``: "mean", "min" or "max" over the axes left over (required
    when any has more than one value). ``ax``: a Matplotlib axes to draw
    into (a new pyplot-free Figure if None). ``xscale``/``yscale``: "lin"
    or "log" to override the axes' ``pdx_scale``.

    Returns a :class:`Heatmap`. Raises :class:`pdx_analysis.PdxError`
    subclasses for bad names or selections (the message names them)."""
    import matplotlib

    if cmap not in matplotlib.colormaps:
        raise PdxValueError(f"unknown colour map {cmap!r} (e.g. viridis, magma, RdBu_r)")
    var = resolve_variable(ds, var)
    da = ds[var]
    if "replica" not in da.dims:
        raise PdxValueError(f"{var} has no replica dimension: it is not a per-task result")
    xd, yd = resolve_axis(ds, x), resolve_axis(ds, y)
    for d in (xd, yd):
        if d == "replica":
            raise PdxValueError("replica cannot be a plot axis: replicas are averaged "
                                "(pick one with --sel replica=R)")
        if d not in da.dims:
            raise PdxValueError(f"{var} has no dimension {d}; its dimensions are: "
                                + ", ".join(map(str, da.dims)))
    if xd == yd:
        raise PdxValueError(f"x and y are the same axis ({xd})")
    if reduce is not None and reduce not in REDUCTIONS:
        raise PdxValueError(f"bad reduction {reduce!r} (use mean, min or max)")

    indexers, notes = {}, []
    for key, value in (sel or {}).items():
        d = resolve_axis(ds, str(key))
        if d in (xd, yd):
            raise PdxValueError(f"{d} is a plot axis and cannot also be selected")
        if d == "time":
            time = value
            continue
        if d not in da.dims:
            raise PdxValueError(f"{var} has no dimension {d} to select; its dimensions "
                                "are: " + ", ".join(map(str, da.dims)))
        i, label = _index_of(ds, d, value)
        indexers[d] = [i] if d == "replica" else i
        notes.append(f"{d}={label}")

    sub = ds[[var, "status"]].isel(indexers)
    time_used = None if "time" in (xd, yd) or "time" not in da.dims else time
    stats = replica_mean(sub, var, time=time_used)
    mean = stats["mean"]
    others = [d for d in mean.dims if d not in (xd, yd)]
    size1 = [d for d in others if mean.sizes[d] == 1]
    rest = [d for d in others if mean.sizes[d] > 1]
    if rest and reduce is None:
        listing = "; ".join(
            f"{d} ({mean.sizes[d]} values: "
            + (", ".join(_label_text(v) for v in mean.coords[d].values.tolist())
               if d in mean.coords else f"0 .. {mean.sizes[d] - 1}") + ")"
            for d in rest)
        raise PdxValueError(
            "every axis except x and y must be fixed with --sel AXIS=VALUE or "
            f"reduced with --reduce mean|min|max; left over: {listing}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if rest:
            mean = getattr(mean, reduce)(dim=rest, skipna=True, keep_attrs=True)
            notes.append(f"{reduce} over {', '.join(rest)}")
    mean = mean.squeeze(size1, drop=True) if size1 else mean
    counts = stats[["n_done", "n_diverged", "n_pending", "n_failed"]]
    drop = [d for d in rest + size1 if d in counts.dims]
    counts = counts.sum(drop) if drop else counts
    counts, _ = xr.broadcast(counts, mean)
    mean = mean.transpose(yd, xd)
    counts = counts.transpose(yd, xd)
    for d in (xd, yd):
        if d in mean.coords and not _is_categorical(mean, d):
            mean = mean.sortby(d)
            counts = counts.sortby(d)

    if ax is None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6.4, 4.8), dpi=100, layout="constrained")
        ax = fig.add_subplot()
    fig = ax.figure
    sx, sy = _axis_scale(ds, xd, xscale), _axis_scale(ds, yd, yscale)
    px, py = _positions(mean, xd), _positions(mean, yd)
    xe = _edges(px, sx == "log") if sx != "cat" else np.arange(len(px) + 1) - 0.5
    ye = _edges(py, sy == "log") if sy != "cat" else np.arange(len(py) + 1) - 0.5

    from matplotlib.colors import ListedColormap, LogNorm, Normalize
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    values = np.asarray(mean.values, dtype=float)
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
        norm = LogNorm(vmin=lo, vmax=hi)
    else:
        lo, hi = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
        if lo == hi:
            lo, hi = lo - 0.5 * (abs(lo) or 1), hi + 0.5 * (abs(hi) or 1)
        norm = Normalize(vmin=lo, vmax=hi)
    ax.set_facecolor("white")
    mesh = ax.pcolormesh(xe, ye, shown, cmap=cmap, norm=norm, shading="flat")

    n_pend = counts["n_pending"].values
    n_run = (counts["n_done"] + counts["n_diverged"] + counts["n_failed"]).values
    pending = (n_pend > 0) & (n_run == 0)
    partial = (n_pend > 0) & (n_run > 0)
    diverged = counts["n_diverged"].values > 0
    failed = counts["n_failed"].values > 0
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
        markers["failed"] = ax.scatter(
            cx[failed], cy[failed], s=size, marker="^", facecolors="white",
            edgecolors="black", linewidths=1, zorder=5)

    if sx == "log":
        ax.set_xscale("log")
    if sy == "log":
        ax.set_yscale("log")
    ax.set_xlim(xe[0], xe[-1])
    ax.set_ylim(ye[0], ye[-1])
    _set_ticks(ax, "x", xd, mean, sx, xe)
    _set_ticks(ax, "y", yd, mean, sy, ye)
    ax.set_xlabel(_axis_label(ds, xd))
    ax.set_ylabel(_axis_label(ds, yd))

    long_name = da.attrs.get("long_name") or var
    units = da.attrs.get("units", "")
    cbar_label = (long_name + (f" [{units}]" if units not in ("", "1") else "")
                  + " (replica mean)")
    # wrap long labels (long_name is the key's one-line doc) to the bar height
    width = max(20, int(fig.get_size_inches()[1] * 72 * 0.8 / 6.5))
    cbar_label = textwrap.fill(cbar_label, width=width)
    colorbar = fig.colorbar(mesh, ax=ax, label=cbar_label)

    if title is None:
        if time_used is None:
            when = ""
        elif str(time_used).strip().lower() in ("final", "last"):
            when = ", final time"
        else:
            t = stats.coords["time"].values
            when = f", time {_label_text(float(np.asarray(t).ravel()[0]))}"
        head = ds.attrs.get("title") or os.path.basename(ds.encoding.get("source", ""))
        title = f"{head}: {var}{when}" + ("\n" + ", ".join(notes) if notes else "")

    handles = []
    if "diverged" in markers:
        handles.append(Line2D([], [], marker="x", color="red", linestyle="none",
                              markeredgewidth=2, label="diverged"))
    if "failed" in markers:
        handles.append(Line2D([], [], marker="^", markerfacecolor="white",
                              markeredgecolor="black", linestyle="none", label="failed"))
    if "pending" in markers:
        handles.append(Patch(facecolor=PENDING_COLOR, edgecolor="0.5", label="pending"))
    if "partly pending" in markers:
        handles.append(Line2D([], [], marker="o", markerfacecolor=PENDING_COLOR,
                              markeredgecolor="0.3", linestyle="none",
                              label="partly pending"))
    if handles:  # one row between the axes and the title
        ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.0, 1.0, 0.1),
                  ncol=len(handles), fontsize="small", frameon=False,
                  borderaxespad=0.2, handletextpad=0.3, columnspacing=1.0)
    ax.set_title(title, fontsize="medium", pad=22 if handles else 6)

    return Heatmap(figure=fig, ax=ax, mesh=mesh, colorbar=colorbar, data=mean,
                   counts=counts, x=xd, y=yd, log_color=bool(log_color),
                   diverged_cells=int(diverged.sum()), failed_cells=int(failed.sum()),
                   pending_cells=int(pending.sum()), partial_cells=int(partial.sum()),
                   markers=markers)


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
    from matplotlib.figure import Figure

    from .core import load

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
