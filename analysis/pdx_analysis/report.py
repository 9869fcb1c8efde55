"""One-command reports: every figure that fits a file's axes, a summary and
the boundary tables, as Markdown with PNGs or one self-contained HTML page.

:func:`report` is what ``python3 -m pdx_analysis report FILE... [--theory
FILE] -o DIR`` runs. What it draws (each only when the file has what it
needs):

* phase diagrams (heatmaps) of ``eg``, the training error and the other
  per-task results (``time_to_fit``, ``eg_mean``, ...) at the final time,
  over the main pair of axes (x: ``data.alpha`` or ``train.learning_rate``
  or the longest numeric axis; y: ``train.temperature``, ``student.hidden``,
  ``data.label_noise`` or the next axis), with contour lines, the
  boundaries of that plane, theory contours; the remaining axes are
  sliced, one figure per combination of their values (up to
  ``max_slices``, else at their middle value);
* ``eg`` over x and time with the optimal early-stopping line tau*(x),
  and the map of the best ``eg`` and of tau*;
* learning curves (``eg`` and training error against time) for values of
  x, and slices (``eg`` and training error against x at several y) with
  theory curves and the boundary locations;
* the boundaries (interpolation threshold, jump / hysteresis window,
  divergence line, early stopping) as CSV and JSON files and tables, the
  theory's boundaries of the same kinds and their comparison.
"""

from __future__ import annotations

import base64
import dataclasses
import html
import itertools
import os
import warnings
from typing import Dict, List, Optional, Sequence

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.figure import Figure

from . import boundaries as bd
from .errors import PdxError, PdxValueError
from .info import timings
from .labels import label_text
from .lines import learning_curves
from .lines import slices as slice_plot
from .loading import load_files
from .names import find_axis, find_variable, is_theory, spec_axes, status_counts
from .plot import heatmap
from .robust import SIZE_AXES, has_robust, power_law
from .robust_plot import robust_vs_budget, robust_vs_clean

__all__ = ["Report", "report", "choose_axes"]

#: Variables drawn as phase diagrams, in this order, when present.
PHASE_VARIABLES = ("eg", "train_error", "eg_mean", "train_error_mean", "time_to_fit")
#: Simulated boundary kind -> theory kinds it is compared with.
COMPARABLE = {"jump": ("jump", "transition", "spinodal"), "divergence": ("divergence",),
              "interpolation": ("interpolation",), "early_stopping": ("early_stopping",)}
X_PREFERENCE = ("data.alpha", "alpha", "learning_rate", "temperature")
Y_PREFERENCE = ("temperature", "student.hidden", "label_noise", "learning_rate",
                "data.alpha", "alpha", "hidden")


@dataclasses.dataclass
class Report:
    """What :func:`report` wrote: the main document, the figures (paths),
    the boundary files, the boundaries (simulation and theory) and the
    document's sections."""

    path: str
    figures: List[str]
    tables: List[str]
    boundaries: List[object]
    theory_boundaries: List[object]
    sections: list
    warnings: List[str] = dataclasses.field(default_factory=list)


# --------------------------------------------------------------------------
# document model: a list of blocks rendered to Markdown or HTML


@dataclasses.dataclass
class _Block:
    kind: str  # h1, h2, h3, p, table, image, code, list
    content: object
    caption: str = ""


def _md_table(df: pd.DataFrame, max_rows: int = 40) -> str:
    df = df.head(max_rows)
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, row in df.iterrows():
        lines.append("| " + " | ".join(_cell(v) for v in row.tolist()) + " |")
    return "\n".join(lines)


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, (float, np.floating)):
        return "" if not np.isfinite(v) else format(float(v), ".4g")
    return str(v).replace("|", "\\|").replace("\n", " ")


def _render_md(blocks: List[_Block]) -> str:
    out = []
    for b in blocks:
        if b.kind in ("h1", "h2", "h3"):
            out.append("#" * int(b.kind[1]) + " " + str(b.content))
        elif b.kind == "p":
            out.append(str(b.content))
        elif b.kind == "list":
            out.append("\n".join(f"- {item}" for item in b.content))
        elif b.kind == "code":
            out.append("```\n" + str(b.content).rstrip() + "\n```")
        elif b.kind == "table":
            out.append(_md_table(b.content))
            if b.caption:
                out.append(b.caption)
        elif b.kind == "image":
            out.append(f"![{b.caption}]({os.path.basename(b.content)})")
            if b.caption:
                out.append(f"*{b.caption}*")
        out.append("")
    return "\n".join(out)


_CSS = """body{font-family:sans-serif;max-width:1000px;margin:2em auto;padding:0 1em}
table{border-collapse:collapse;font-size:85%;margin:.5em 0}
td,th{border:1px solid #bbb;padding:2px 6px;text-align:right}
th{background:#eee}pre{background:#f4f4f4;padding:.5em;overflow-x:auto}
img{max-width:100%}figure{margin:1em 0}figcaption{font-style:italic;font-size:90%}"""


def _render_html(blocks: List[_Block], title: str) -> str:
    out = ["<!DOCTYPE html>", "<html><head><meta charset='utf-8'>",
           f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"]
    for b in blocks:
        if b.kind in ("h1", "h2", "h3"):
            out.append(f"<{b.kind}>{html.escape(str(b.content))}</{b.kind}>")
        elif b.kind == "p":
            out.append(f"<p>{html.escape(str(b.content))}</p>")
        elif b.kind == "list":
            out.append("<ul>" + "".join(f"<li>{html.escape(str(i))}</li>"
                                        for i in b.content) + "</ul>")
        elif b.kind == "code":
            out.append(f"<pre>{html.escape(str(b.content))}</pre>")
        elif b.kind == "table":
            df = b.content.head(200)
            rows = ["<tr>" + "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
                    + "</tr>"]
            for _, row in df.iterrows():
                rows.append("<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>"
                                             for v in row.tolist()) + "</tr>")
            out.append("<table>" + "".join(rows) + "</table>")
            if b.caption:
                out.append(f"<p><i>{html.escape(b.caption)}</i></p>")
        elif b.kind == "image":
            with open(b.content, "rb") as f:
                data = base64.b64encode(f.read()).decode("ascii")
            out.append(f"<figure><img src='data:image/png;base64,{data}' "
                       f"alt='{html.escape(b.caption)}'><figcaption>"
                       f"{html.escape(b.caption)}</figcaption></figure>")
    out.append("</body></html>")
    return "\n".join(out)


# --------------------------------------------------------------------------
# choices


def choose_axes(ds: xr.Dataset):
    """Return (x, y, rest): the main plot axes of ``ds`` (x numeric, the
    preferred physical control parameter; y the next; either None when
    missing) and the other axes with several values."""
    multi = [d for d in spec_axes(ds) if ds.sizes[d] > 1]
    numeric = [d for d in multi if ds[d].dtype.kind in "iuf"]
    x = None
    for name in X_PREFERENCE:
        d = find_axis(ds, name)
        if d in numeric:
            x = d
            break
    if x is None and numeric:
        x = max(numeric, key=lambda d: ds.sizes[d])
    y = None
    for name in Y_PREFERENCE:
        d = find_axis(ds, name)
        if d in multi and d != x:
            y = d
            break
    if y is None:
        others = [d for d in numeric if d != x] + [d for d in multi if d not in numeric]
        y = others[0] if others else None
    if x is None and y is not None:
        x, y = y, None
    rest = [d for d in multi if d not in (x, y)]
    return x, y, rest


def _slices(ds: xr.Dataset, rest: Sequence[str], max_slices: int):
    """Selections of the remaining axes: every combination when there are
    at most ``max_slices``, else each axis at its middle value (choice
    axes: each value of the first, others at their first value)."""
    if not rest:
        return [{}]
    sizes = [ds.sizes[d] for d in rest]
    if int(np.prod(sizes)) <= max_slices:
        combos = itertools.product(*[range(n) for n in sizes])
        return [{d: _value(ds, d, i) for d, i in zip(rest, c)} for c in combos]
    sel = {d: _value(ds, d, 0 if ds[d].dtype.kind in "USO" else ds.sizes[d] // 2)
           for d in rest}
    return [sel]


def _value(ds, d, i):
    v = ds[d].values[i]
    return v.item() if hasattr(v, "item") else v


def _sel_text(sel: Dict[str, object]) -> str:
    return ", ".join(f"{d}={label_text(v, 4)}" for d, v in sel.items())


def _slug(text: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_" else "-" for c in str(text))
    while "--" in keep:
        keep = keep.replace("--", "-")
    return keep.strip("-_")[:80]


# --------------------------------------------------------------------------
# the report


#: Figure sections of a report, in order.
SECTIONS = ("phase", "time", "curves", "slices", "robust")


def report(paths, out_dir, theory=None, fmt: str = "md", dpi: float = 100,
           max_slices: int = 4, size=(6.4, 4.8), title: Optional[str] = None,
           thresholds: Optional[Dict[str, object]] = None,
           sections: Sequence[str] = SECTIONS) -> Report:
    """Write a report of the pdx file(s) ``paths`` (shards are combined; a
    theory file among them, or given as ``theory``, is overlaid) into the
    directory ``out_dir`` (created): ``report.md`` with PNG figures
    (``fmt="md"``), a self-contained ``report.html`` (``fmt="html"``; the
    PNGs are embedded and also kept), or both (``fmt="both"``); plus one
    CSV and one JSON file per boundary. ``sections``: the figure sections
    to draw (:data:`SECTIONS`: phase diagrams, x-time maps, learning curves,
    slices; the summary and boundary tables are always there). Returns a
    :class:`Report`."""
    if fmt not in ("md", "html", "both"):
        raise PdxValueError(f"bad report format {fmt!r} (md, html or both)")
    bad = [s for s in sections if s not in SECTIONS]
    if bad:
        raise PdxValueError(f"unknown report section(s) {', '.join(bad)} "
                            f"(use {', '.join(SECTIONS)})")
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = [os.fspath(p) for p in paths]
    if theory is not None:
        paths = paths + ([os.fspath(theory)] if isinstance(theory, (str, os.PathLike))
                         else [os.fspath(t) for t in theory])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return _report(paths, out_dir, fmt, dpi, max_slices, size, title, thresholds,
                       tuple(sections))


@dataclasses.dataclass
class _Context:
    """What the figure sections of one report share."""

    main: xr.Dataset            # the simulation, or the theory when alone
    sim: Optional[xr.Dataset]
    th: Optional[xr.Dataset]
    x: Optional[str]
    y: Optional[str]
    rest: List[str]
    slices: List[Dict[str, object]]
    sim_b: list
    th_b: list
    hyst: object
    size: object
    out_dir: str
    dpi: float
    r: Report
    blocks: List[_Block] = dataclasses.field(default_factory=list)

    def add_figure(self, result, name, caption):
        path = os.path.join(self.out_dir, _slug(name) + ".png")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result.figure.savefig(path, dpi=self.dpi)
        self.r.figures.append(path)
        self.blocks.append(_Block("image", path, caption))

    @property
    def overlay(self) -> Optional[xr.Dataset]:
        """The theory to overlay on simulation figures (None when the
        report is of a theory file alone)."""
        return self.th if self.sim is not None else None


def _report(paths, out_dir, fmt, dpi, max_slices, size, title, thresholds,
            sections) -> Report:
    loaded = load_files(paths)
    sim, th = loaded.sim, loaded.theory
    main = sim if sim is not None else th
    os.makedirs(out_dir, exist_ok=True)
    r = Report(path="", figures=[], tables=[], boundaries=[], theory_boundaries=[],
               sections=[])
    blocks: List[_Block] = []
    head = title or f"{main.attrs.get('title', 'pdx sweep')}: report"
    blocks.append(_Block("h1", head))
    blocks.extend(_summary_blocks(main, th if sim is not None else None, loaded.paths))

    x, y, rest = choose_axes(main)
    # boundaries first: the figures draw them
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        th_b = []
        if sim is None:  # a theory file alone
            sim_b = _theory_boundaries(main, x, y, thresholds)
        else:
            sim_b = _boundaries(main, x, y, thresholds)
            if th is not None:
                th_b = _theory_boundaries(th, x, y, thresholds)
    r.boundaries, r.theory_boundaries = sim_b, th_b
    c = _Context(main=main, sim=sim, th=th, x=x, y=y, rest=rest,
                 slices=_slices(main, rest, max_slices), sim_b=sim_b, th_b=th_b,
                 hyst=_hysteresis(main, x, y, sim_b), size=size, out_dir=out_dir,
                 dpi=dpi, r=r)
    if x is not None and y is not None and "phase" in sections:
        _phase_section(c)
    if "time" in sections:
        _time_section(c, max_slices)
    if "curves" in sections:
        _curves_section(c)
    if x is not None and "slices" in sections:
        _slices_section(c)
    if "robust" in sections:
        _robust_section(c)
    tab_blocks = _boundary_blocks(sim_b, th_b, c.hyst, out_dir, r)

    blocks.extend(c.blocks)
    blocks.extend(tab_blocks)
    if r.warnings:
        blocks.append(_Block("h2", "Skipped"))
        blocks.append(_Block("list", r.warnings))
    r.sections = blocks
    if fmt in ("md", "both"):
        r.path = os.path.join(out_dir, "report.md")
        with open(r.path, "w") as f:
            f.write(_render_md(blocks))
    if fmt in ("html", "both"):
        hp = os.path.join(out_dir, "report.html")
        with open(hp, "w") as f:
            f.write(_render_html(blocks, head))
        r.path = r.path or hp
        if fmt == "html":
            r.path = hp
    return r


def _phase_boundaries(c: _Context, var: str) -> list:
    """The boundaries drawn on the phase diagram of ``var``: jumps (or the
    hysteresis window) and divergence on eg, interpolation and divergence
    on the others."""
    x, y = c.x, c.y
    in_plane = [b for b in c.sim_b + c.th_b if {b.along, b.across} == {x, y}]
    if c.hyst is not None:
        in_plane = [b for b in in_plane if not (b.kind == "jump"
                                                and b.source == "simulation")]
        in_plane.append(c.hyst)
    if var.startswith("eg"):
        return [b for b in in_plane if isinstance(b, bd.Hysteresis)
                or b.kind in ("jump", "divergence", "transition", "spinodal")]
    return [b for b in in_plane if not isinstance(b, bd.Hysteresis)
            and b.kind in ("interpolation", "divergence")]


def _phase_section(c: _Context) -> None:
    """Phase diagrams of every variable of :data:`PHASE_VARIABLES` the file
    has, one panel per slice of the remaining axes."""
    main, x, y, rest, r = c.main, c.x, c.y, c.rest, c.r
    c.blocks.append(_Block("h2", f"Phase diagrams ({x} x {y})"))
    variables = [n for n in PHASE_VARIABLES if _has_data(main, n)]
    for var in variables:
        in_plane = _phase_boundaries(c, var)
        fig, axes = _facets(len(c.slices), c.size)
        marks, drawn = [], 0
        for ax, sel in zip(axes, c.slices):
            try:
                h = heatmap(main, x, y, var=var, sel=sel, ax=ax, contours=4,
                            xscale=_scale_hint(main, x), yscale=_scale_hint(main, y),
                            boundaries=in_plane, title=_sel_text(sel) or "",
                            theory=c.th if (c.sim is not None and c.th is not None
                                            and var in c.th.data_vars) else None)
            except PdxError as exc:
                r.warnings.append(f"{var} over {x} x {y}: {exc}")
                ax.set_visible(False)
                continue
            drawn += 1
            cap = _marks_caption(h)
            if cap:
                marks.append((_sel_text(sel) or "") + cap)
        if not drawn:
            continue
        when = "final time" if "time" in main[var].dims else "per task"
        fig.suptitle(f"{main.attrs.get('title', '')}: {var} ({when})", fontsize="medium")
        c.add_figure(_Fig(fig), f"phase_{var}",
                     f"{var} ({when}) over {x} and {y}"
                     + (f", one panel per {', '.join(rest)}" if rest else "")
                     + ("" if not marks else ". " + " | ".join(marks)))


def _time_section(c: _Context, max_slices: int) -> None:
    """eg over x and time with tau*, and the maps of the best eg and tau*."""
    main, x, y, rest, r = c.main, c.x, c.y, c.rest, c.r
    eg = find_variable(main, "eg")
    es = [b for b in c.sim_b + c.th_b if b.kind in ("early_stopping", "plateau")]
    if not (eg and x is not None and "time" in main[eg].dims
            and main.sizes.get("time", 0) >= 3):
        return
    c.blocks.append(_Block("h2", f"Training time ({x} x time) and early stopping"))
    extra = ([y] if y else []) + list(rest)
    for sel in _slices(main, extra, max_slices) if extra else [{}]:
        fig, ax = _figure(c.size)
        try:
            h = heatmap(main, x, "time", var=eg, sel=sel, ax=ax, contours=4,
                        xscale=_scale_hint(main, x),
                        boundaries=es)
        except PdxError as exc:
            r.warnings.append(f"{eg} over {x} x time: {exc}")
            continue
        h.figure = fig
        sel_t = _sel_text(sel)
        c.add_figure(h, f"time_{eg}_{sel_t}",
                     f"{eg} over {x} and training time" + (f", {sel_t}" if sel_t else "")
                     + ("; line: optimal early-stopping time tau* with its uncertainty"
                        if any(len(b.valid()) for b in es) else ""))
    if y is None or not any(len(b.valid()) for b in es if b.source == "simulation"):
        return
    for stat, what in (("mean", "best eg (minimum over time)"),
                       ("time", "early-stopping time tau*")):
        fig, axes = _facets(len(c.slices), c.size)
        for ax, sel in zip(axes, c.slices):
            try:
                heatmap(main, x, y, var=eg, time="best", stat=stat, sel=sel,
                        xscale=_scale_hint(main, x), yscale=_scale_hint(main, y),
                        ax=ax, title=_sel_text(sel) or "")
            except PdxError as exc:
                r.warnings.append(f"{what}: {exc}")
                ax.set_visible(False)
        fig.suptitle(f"{main.attrs.get('title', '')}: {what}", fontsize="medium")
        c.add_figure(_Fig(fig), f"best_{stat}",
                     f"{what} over {x} and {y}"
                     + (f", one panel per {', '.join(rest)}" if rest else ""))


def _curves_section(c: _Context) -> None:
    """Learning curves of eg and the training error, one line per x (and
    per y)."""
    main, x, y = c.main, c.x, c.y
    lc_vars = [v for v in (find_variable(main, "eg"), find_variable(main, "train_error"))
               if v and "time" in main[v].dims]
    if not lc_vars or main.sizes.get("time", 0) < 2:
        return
    c.blocks.append(_Block("h2", "Learning curves"))
    hues = [h for h in (x, y) if h is not None] or [None]
    for hue in hues:
        others = [d for d in (x, y) if d is not None and d != hue] + list(c.rest)
        for sel in _slices(main, others, 1):
            try:
                res = learning_curves(main, lc_vars, hue=hue or "none", sel=sel,
                                      theory=c.overlay,
                                      size=(5.0 * len(lc_vars) + 1.0, 4.2))
            except PdxError as exc:
                c.r.warnings.append(f"learning curves: {exc}")
                continue
            sel_t = _sel_text(sel)
            c.add_figure(res, f"curves_{hue or 'all'}_{sel_t}",
                         f"{', '.join(lc_vars)} against time, one line per {hue}"
                         + (f", {sel_t}" if sel_t else "")
                         + "; bands: +-1 standard error over replicas")


def _slices_section(c: _Context) -> None:
    """Slices of eg and the training error (their Monte Carlo averages when
    the runs have them) against x, with theory curves and boundary marks."""
    main, x, y = c.main, c.x, c.y
    sl_vars = [v for v in (bd.equilibrium_var(main, "eg"),
                           bd.equilibrium_var(main, "train_error")) if v] \
        or [next(iter(main.data_vars))]
    c.blocks.append(_Block("h2", f"Slices against {x}"))
    marks = c.sim_b + c.th_b + ([c.hyst] if c.hyst else [])
    for sel in c.slices:
        try:
            res = slice_plot(main, x, hue=y or "none", variables=sl_vars, sel=sel,
                             xscale=_scale_hint(main, x),
                             theory=c.overlay, boundaries=marks,
                             size=(5.0 * len(sl_vars) + 1.0, 4.2))
        except PdxError as exc:
            c.r.warnings.append(f"slices: {exc}")
            continue
        sel_t = _sel_text(sel)
        c.add_figure(res, f"slice_{x}_{sel_t}",
                     f"{', '.join(sl_vars)} against {x}"
                     + (f" at several {y}" if y else "") + (f", {sel_t}" if sel_t else "")
                     + "; error bars: standard error; dashed: theory; dotted verticals: "
                     "boundaries")


def _robust_section(c: _Context) -> None:
    """Robust against clean error across cells (with the correlations with
    clean error and model size), robust error against the budget on log
    axes with the theory, and the fitted power laws (issue 18)."""
    sim = c.sim
    if sim is None or not has_robust(sim):
        return
    c.blocks.append(_Block("h2", "Robust error"))
    c.blocks.append(_Block("p", (
        "robust_error: the fraction of test inputs for which some perturbation "
        "within the budget changes the student's sign away from the teacher's "
        "clean label; consistent: counting only perturbations that keep the "
        "teacher's label (docs/FORMAT.md, 'Robust error'). Correlations across "
        "cells with bootstrap 95% intervals (resampled cells); power laws "
        "robust - clean = A eps^k with bootstrap standard errors (resampled "
        "replicas).")))
    for var in ("robust_error", "robust_error_consistent"):
        if var not in sim or not np.isfinite(sim[var].values).any():
            continue
        try:
            res = robust_vs_clean(sim, var=var, size=c.size)
        except PdxError as exc:
            c.r.warnings.append(f"robust vs clean: {exc}")
            continue
        c.add_figure(res, f"robust_vs_clean_{var}",
                     f"{var} against the clean error, one point per cell")
        c.blocks.append(_Block("table", res.table, f"correlations of {var}"))
    try:
        res = robust_vs_budget(sim, theory=c.th, size=c.size)
        c.add_figure(res, "robust_vs_budget", "robust error against the budget (log "
                     "axes); lines: theory where the file has one")
        by = [a for a in SIZE_AXES if a in sim.dims] or None
        fits = power_law(sim, by=by) if by else res.table
        c.blocks.append(_Block("table", fits, "power law of the excess robust error "
                               "per " + (", ".join(by) if by else "cell")))
    except PdxError as exc:
        c.r.warnings.append(f"robust vs budget: {exc}")


@dataclasses.dataclass
class _Fig:
    figure: object


def _facets(n: int, size):
    """A figure with n panels (2 columns when n > 1) of ``size`` each."""
    cols = 1 if n == 1 else 2
    rows = (n + cols - 1) // cols
    fig = Figure(figsize=(size[0] * cols, size[1] * rows + (0.3 if n > 1 else 0)),
                 dpi=100, layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel().tolist()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


def _scale_hint(ds: xr.Dataset, dim: Optional[str]) -> Optional[str]:
    """"log" for a listed axis whose values are (nearly) geometric -- at
    least 3 positive values with a constant ratio of at least 1.5, such as
    alpha in [0.5, 1, 2, 4, 8] -- else None (the axis' own pdx_scale)."""
    if dim is None or dim not in ds.coords or ds[dim].attrs.get("pdx_scale") != "list":
        return None
    v = np.sort(np.asarray(ds[dim].values))
    if v.dtype.kind not in "iuf" or len(v) < 3 or not np.all(v > 0):
        return None
    r = v[1:] / v[:-1]
    return "log" if r.min() >= 1.5 and r.max() / r.min() < 1.3 else None


def _has_data(ds: xr.Dataset, var: str) -> bool:
    """Whether ``var`` exists with a finite value for some done (solved)
    task: Monte Carlo averages are NaN for gradient trainers."""
    if var not in ds.data_vars:
        return False
    v = ds[var]
    if "status" in ds.variables:
        v = v.where(ds["status"] == 1)
    return bool(np.isfinite(np.asarray(v.values, dtype=float)).any())


def _figure(size):
    fig = Figure(figsize=tuple(size), dpi=100, layout="constrained")
    return fig, fig.add_subplot()


def _marks_caption(h) -> str:
    parts = []
    if h.pending_cells:
        parts.append(f"{h.pending_cells} cells pending (grey)")
    if h.partial_cells:
        parts.append(f"{h.partial_cells} partly pending (dot)")
    if h.diverged_cells:
        parts.append(f"{h.diverged_cells} with diverged runs (x)")
    if h.failed_cells:
        parts.append(f"{h.failed_cells} with failed runs (triangle)")
    if h.boundary_labels:
        parts.append("lines: " + ", ".join(h.boundary_labels))
    return ("; " + "; ".join(parts)) if parts else ""


def _summary_blocks(ds: xr.Dataset, theory: Optional[xr.Dataset], paths) -> List[_Block]:
    a = ds.attrs
    out = [_Block("h2", "Summary")]
    n_cells = int(np.prod([ds.sizes[d] for d in spec_axes(ds)])) if spec_axes(ds) else 1
    counts = status_counts(ds)
    total = sum(counts.values())
    done_word = "solved" if is_theory(ds) else "done"
    state = ("complete" if int(a.get("pdx_complete", 0)) == 1 else
             f"incomplete: {counts.get('pending', 0)} of {total} "
             f"{'cells' if is_theory(ds) else 'tasks'} pending")
    if is_theory(ds):
        size = f"{n_cells} cells"
    else:
        size = (f"{n_cells} cells x {ds.sizes.get('replica', 1)} replicas = "
                f"{total} tasks")
    out.append(_Block("p", (f"{'Theory' if is_theory(ds) else 'Simulation'} "
                            f"'{a.get('title', '')}': {size}, {state}; "
                            f"{counts.get(done_word, 0)} {done_word}.")))
    out.append(_Block("table", pd.DataFrame(
        [{"status": k, "count": v, "share": f"{100.0 * v / total:.1f}%" if total else ""}
         for k, v in counts.items()])))
    rows = []
    for d in spec_axes(ds):
        c = ds[d]
        vals = [label_text(v, 4) for v in c.values.tolist()]
        rows.append({"axis": d, "values": ds.sizes[d],
                     "scale": c.attrs.get("pdx_scale", ""),
                     "range": ", ".join(vals) if len(vals) <= 8
                     else f"{vals[0]} .. {vals[-1]}"})
    if "time" in ds.dims:
        t = ds["time"].values
        rows.append({"axis": "time (checkpoints)", "values": len(t),
                     "scale": ds["time"].attrs.get("pdx_scale", ""),
                     "range": f"{label_text(float(t[0]))} .. {label_text(float(t[-1]))}"})
    out.append(_Block("h3", "Axes"))
    out.append(_Block("table", pd.DataFrame(rows)))
    out.append(_Block("h3", "Variables"))
    out.append(_Block("list", [f"{v}: {ds[v].attrs.get('long_name', '')}"
                               for v in ds.data_vars]))
    prov = []
    src = ds.encoding.get("source", paths)
    srcs = src if isinstance(src, (list, tuple)) else [src]
    prov.append({"item": "files", "value": ", ".join(map(str, srcs))})
    for key in ("pdx_version", "git_describe", "pdx_schema_version", "seed", "replicas",
                "spec_sha256", "spec_path", "command_line", "host", "start_time",
                "end_time", "rng", "pdx_shards", "source"):
        if key in a:
            prov.append({"item": key, "value": str(a[key])})
    if theory is not None:
        tsrc = theory.encoding.get("source", "")
        prov.append({"item": "theory file", "value": ", ".join(tsrc) if isinstance(
            tsrc, (list, tuple)) else str(tsrc)})
        tc = status_counts(theory)
        prov.append({"item": "theory cells", "value": ", ".join(
            f"{k} {v}" for k, v in tc.items() if v)})
    out.append(_Block("h3", "Provenance"))
    out.append(_Block("table", pd.DataFrame(prov)))
    t = timings(ds)
    if t.get("tasks_run"):
        out.append(_Block("h3", "Timings"))
        trows = [{"item": "tasks run", "value": t["tasks_run"]},
                 {"item": "CPU time of the tasks [s]", "value": t["cpu_seconds"]},
                 {"item": "mean per task [s]", "value": t["mean_task_seconds"]},
                 {"item": "longest task [s]", "value": t["max_task_seconds"]}]
        if "elapsed_seconds" in t:
            trows.append({"item": "elapsed (start to end) [s]", "value": t["elapsed_seconds"]})
        if t["tasks_pending"]:
            trows.append({"item": "estimated CPU time left [s]",
                          "value": t["pending_cpu_seconds"]})
        out.append(_Block("table", pd.DataFrame(trows)))
    if "spec" in a and str(a["spec"]).strip():
        out.append(_Block("h3", "Spec"))
        out.append(_Block("code", str(a["spec"])))
    return out


def _boundaries(ds: Optional[xr.Dataset], x, y, thresholds) -> list:
    """All boundary kinds that fit ``ds`` in the plane (x, y)."""
    if ds is None or x is None:
        return []
    out = []
    thresholds = thresholds or {}
    kinds = {
        "interpolation": dict(x=find_axis(ds, "data.alpha", "alpha") or x),
        "jump": dict(x=find_axis(ds, "data.alpha", "alpha") or x),
        # the learning-rate threshold: along learning_rate, or along the
        # SGD temperature eta/B when that is the axis
        "divergence": dict(x=find_axis(ds, "learning_rate", "temperature")),
        "early_stopping": dict(x=x),
    }
    for kind, opts in kinds.items():
        if opts["x"] is None or opts["x"] not in ds.dims:
            continue
        yy = y if y != opts["x"] else (x if x != opts["x"] else None)
        try:
            out.extend(bd.find_boundaries(ds, x=opts["x"], y=yy, kinds=[kind],
                                          thresholds=thresholds, strict=False))
        except PdxError:
            continue
    return out


def _theory_boundaries(th, x, y, thresholds) -> list:
    """A theory file's lines: the ones it gives explicitly (alpha_c,
    alpha_spinodal, eta_max, plateau) and those found in its data, except
    where an explicit line replaces them (alpha_c / alpha_spinodal: jump;
    eta_max: divergence)."""
    explicit = bd.theory_lines(th, across=y)
    covered = {"jump" for b in explicit if b.kind in ("transition", "spinodal")}
    covered |= {"divergence" for b in explicit if b.kind == "divergence"}
    return [b for b in _boundaries(th, x, y, thresholds)
            if b.kind not in covered] + explicit


def _hysteresis(ds, x, y, sim_b):
    """The hysteresis window when the file has a start axis with hot and
    cold values and a jump was found."""
    start = find_axis(ds, "train.start", "start")
    if start is None or ds.sizes.get(start, 0) < 2 or is_theory(ds):
        return None
    labels = [str(v) for v in ds[start].values]
    if "hot" not in labels or "cold" not in labels:
        return None
    jumps = [b for b in sim_b if b.kind == "jump" and start in b.groups]
    if not jumps:
        return None
    b = jumps[0]
    try:
        return bd.hysteresis(ds, x=b.along, y=b.across, var=b.var, start=start)
    except PdxError:
        return None


def _boundary_blocks(sim_b, th_b, hyst, out_dir, r) -> List[_Block]:
    out = [_Block("h2", "Boundaries")]
    if not sim_b and not th_b:
        out.append(_Block("p", "No boundary found in this file (no training-error "
                               "variable, no jump, no diverged run, no minimum of eg "
                               "inside the run)."))
        return out
    out.append(_Block("p", "Each point is the mean of the replicas' own estimates; err "
                           "combines their standard error with the grid resolution "
                           "(bracket width / sqrt 12); lo/hi = location -/+ err. n: "
                           "replicas with an estimate; n_censored: replicas whose "
                           "crossing lies outside the range."))
    for b in sim_b + th_b:
        csv = b.to_csv(os.path.join(out_dir, f"boundary_{b.name}.csv"))
        js = b.to_json(os.path.join(out_dir, f"boundary_{b.name}.json"))
        r.tables.extend([csv, js])
        out.append(_Block("h3", f"{b.label}: {b.along}"
                               + (f" against {b.across}" if b.across else "")
                               + (f" ({b.var})" if b.var else "")))
        desc = [f"{bd.KINDS.get(b.kind, b.kind)}; method: {b.method}"]
        if b.threshold is not None:
            desc.append(f"threshold {b.threshold:.4g}")
        if b.groups:
            desc.append("one line per " + ", ".join(b.groups))
        desc.append(f"files: {os.path.basename(csv)}, {os.path.basename(js)}")
        out.append(_Block("p", "; ".join(desc) + "."))
        cols = [c for c in b.table.columns if c not in ("std", "sem", "lo", "hi")]
        valid = b.valid()
        left = len(b.table) - len(valid)
        if len(valid):  # rows without a location (all NaN) only in the files
            out.append(_Block("table", valid[cols],
                              f"{left} of {len(b.table)} points without a location are "
                              "only in the files" if left else ""))
        else:
            notes = b.table["note"].value_counts() if "note" in b.table else {}
            out.append(_Block("p", f"No point has a location ({len(b.table)} rows in "
                                   "the files; "
                                   + (", ".join(f"{k}: {v}" for k, v in notes.items())
                                      or "no data") + ")."))
    if hyst is not None:
        path = hyst.to_csv(os.path.join(out_dir, "hysteresis_window.csv"))
        r.tables.append(path)
        out.append(_Block("h3", f"Hysteresis window ({hyst.start}: "
                               f"{hyst.starts[0]} vs {hyst.starts[1]})"))
        out.append(_Block("p", f"width = jump location of the {hyst.starts[1]} start "
                               f"minus that of the {hyst.starts[0]} start; file "
                               f"{os.path.basename(path)}."))
        out.append(_Block("table", hyst.window))
    for sb in sim_b:
        for tb in th_b:
            if tb.kind in COMPARABLE.get(sb.kind, ()) and tb.along == sb.along \
                    and tb.across == sb.across:
                try:
                    cmp = bd.compare(sb, tb)
                except PdxError:
                    continue
                cmp = cmp[cmp["sim"].notna() | cmp["theory"].notna()]
                if not len(cmp):
                    continue
                path = os.path.join(out_dir, f"compare_{sb.name}_{tb.name}.csv")
                cmp.to_csv(path, index=False, na_rep="")
                r.tables.append(path)
                out.append(_Block("h3", f"{sb.label} (simulation) vs {tb.label}"))
                out.append(_Block("table", cmp, "z = (sim - theory) / combined err"))
    return out
