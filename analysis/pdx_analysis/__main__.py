"""Command line: ``python3 -m pdx_analysis COMMAND ...``.

Commands: ``plot`` (phase diagram), ``curves`` (learning curves), ``slice``
(a variable against one axis at several values of another), ``boundaries``
(boundary tables as CSV/JSON, optionally drawn), ``report`` (everything,
as Markdown or HTML) and ``info``. Every command takes one or several
files: shards of one sweep are combined; a theory file (``source =
"theory"``) given among them or with ``--theory`` is overlaid.

Exit codes: 0 ok; 2 bad usage, bad names or selections, missing or
non-pdx files (message on stderr, no traceback); 1 other I/O failures.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import List, Optional

import pandas as pd

from . import boundaries as bd
from .errors import PdxError
from .generalization import batch_scaling, optimal_batch
from .info import summary
from .loading import load_files
from .names import find_axis, resolve_axis

# The drawing layers (plot, lines, report: Matplotlib) are imported in the
# commands that draw, marked "lazy": `info` and `boundaries` without
# --plot, used to peek at live runs and on cluster login nodes, then start
# without loading Matplotlib (about 0.4 s of CPU per call).

PROG = "python3 -m pdx_analysis"


def _sel_items(items: Optional[List[str]], parser) -> dict:
    """Return {axis: value} from KEY=VALUE strings (parser error if bad)."""
    out = {}
    for item in items or []:
        key, eq, value = item.partition("=")
        if not eq or not key or not value:
            parser.error(f"--sel needs AXIS=VALUE, got {item!r}")
        out[key] = value
    return out


def _size(text: str):
    """Parse W,H (inches) for --size."""
    try:
        w, h = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--size needs W,H in inches, got {text!r}") from None
    if w <= 0 or h <= 0:
        raise argparse.ArgumentTypeError("--size must be positive")
    return w, h


def _contours(text: str):
    """Parse --contours: a number of levels or a comma-separated list."""
    try:
        if "," in text:
            return [float(v) for v in text.split(",") if v.strip()]
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--contours needs a number of levels or L1,L2,..., got {text!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError("--contours must be >= 0")
    return n


def _threshold(text: str):
    """A number or P% (percent of the largest value)."""
    t = text.strip()
    try:
        float(t[:-1] if t.endswith("%") else t)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--threshold needs a number or P%, got {text!r}") from None
    return t if t.endswith("%") else float(t)


#: Boundary kind names accepted by ``--kind`` / ``--boundary``.
KIND_ALIASES = bd.KIND_ALIASES


def _sections(text: str):
    """A comma-separated list of report sections."""
    from .report import SECTIONS  # lazy: see the top

    items = [t.strip() for t in str(text).split(",") if t.strip()]
    bad = [t for t in items if t not in SECTIONS]
    if bad:
        raise argparse.ArgumentTypeError(
            f"unknown section(s) {', '.join(bad)} (use {', '.join(SECTIONS)})")
    return items


def _kind(text: str) -> str:
    k = KIND_ALIASES.get(text.strip().lower())
    if k is None:
        raise argparse.ArgumentTypeError(
            f"unknown boundary kind {text!r} (interpolation, jump, hysteresis, "
            "divergence, early-stopping, trainable-depth, algorithmic, all)")
    return k


def _files(p, theory=True):
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="pdx result file(s): shards of one sweep are combined; "
                   "glob patterns work")
    if theory:
        p.add_argument("--theory", action="append", metavar="FILE",
                       help="theory file to overlay (also recognised among FILEs)")


def _selection(p, reduce_help="reduce the remaining axes (of the cell statistics)"):
    p.add_argument("--sel", action="extend", nargs="+", metavar="AXIS=VALUE",
                   help="fix an axis (choice name or code; exact integer; "
                   "nearest real); also replica=R, time=T, student_unit=k")
    p.add_argument("--reduce", choices=("mean", "median", "min", "max"), help=reduce_help)


def _image(p, default_size):
    p.add_argument("-o", "--output", metavar="OUT",
                   help="image file (the format follows the suffix: png, pdf, svg)")
    p.add_argument("--size", type=_size, default=default_size, metavar="W,H",
                   help="figure size in inches (default %s)" % ",".join(
                       format(v, "g") for v in default_size) if default_size else
                   "figure size in inches")
    p.add_argument("--dpi", type=float, default=100, help="dots per inch (default 100)")


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the CLI."""
    parser = argparse.ArgumentParser(
        prog=PROG, description="Plot and analyse pdx result files: phase diagrams, "
        "learning curves, slices, boundaries, reports (works on files that pdx run "
        "is still writing, on shards and on merged files).")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    _add_plot(sub)
    _add_curves(sub)
    _add_slice(sub)
    _add_boundaries(sub)
    _add_report(sub)
    _add_info(sub)
    _add_batch_size(sub)
    return parser


def _add_plot(sub) -> None:
    """Add the ``plot`` command."""
    p = sub.add_parser(
        "plot", help="phase diagram: heatmap of a replica statistic over two axes",
        description="Draw the replica mean (done tasks only; or --stat) of VAR over "
        "axes X and Y. Axes may be given by full dotted name or unique suffix "
        "(learning_rate). Other axes with more than one value must be fixed with "
        "--sel or reduced with --reduce. Diverged cells get a red x, failed ones a "
        "triangle, cells not run yet are grey. Prints the output path.")
    _files(p)
    p.add_argument("-x", "--x", required=True, metavar="AXIS", help="horizontal axis")
    p.add_argument("-y", "--y", required=True, metavar="AXIS", help="vertical axis")
    p.add_argument("--var", default="eg", help="variable (default: eg)")
    p.add_argument("--time", default="final", metavar="final|best|T",
                   help="'final' (last finite checkpoint of each task, the default), "
                   "'best' (each task's minimum over time: early stopping) or the "
                   "nearest checkpoint to time T")
    p.add_argument("--stat", default=None, metavar="STAT",
                   help="replica statistic: mean (default), median, std, sem, count, "
                   "qP (quantile, e.g. q0.9) or time (the time used; with --time "
                   "best the early-stopping time); for time_to_fit km_median "
                   "(Kaplan-Meier median, its default) or fraction (of replicas "
                   "that fitted); cells where some replica is censored are hatched")
    _selection(p)
    p.add_argument("--contours", type=_contours, metavar="N|L1,L2,...",
                   help="contour lines: a number of levels or the levels")
    p.add_argument("--annotate", choices=("n", "sem"),
                   help="write each cell's number of done replicas (n) or standard "
                   "error (sem) in it")
    p.add_argument("--boundary", action="append", type=_kind, metavar="KIND",
                   help="draw a boundary computed in this plane: interpolation, jump, "
                   "hysteresis, divergence, early-stopping, trainable-depth or all "
                   "(repeatable)")
    p.add_argument("--threshold", type=_threshold, metavar="T|P%",
                   help="threshold of the --boundary lines (see `boundaries`)")
    p.add_argument("--log-color", action=argparse.BooleanOptionalAction, default=None,
                   help="logarithmic colour scale (default: on when all values are "
                   "positive and span more than two decades)")
    p.add_argument("--xscale", choices=("lin", "log"),
                   help="override the x axis scale (default: its pdx_scale)")
    p.add_argument("--yscale", choices=("lin", "log"),
                   help="override the y axis scale (default: its pdx_scale)")
    p.add_argument("--cmap", default="viridis", help="Matplotlib colour map")
    p.add_argument("--title", help="plot title (default: file title, variable, time)")
    _image(p, (6.4, 4.8))


def _add_curves(sub) -> None:
    """Add the ``curves`` command."""
    c = sub.add_parser(
        "curves", help="learning curves: variables against time, mean +- sem",
        description="Draw VARs (default eg and train_error when present) against time, "
        "one line per value of --hue (default: the first axis with several values; "
        "'none' for one curve), replica mean with a +-standard-error band; the other "
        "axes fixed with --sel or reduced with --reduce. Theory curves dashed. The "
        "minimum of each eg curve is starred. Prints the output path.")
    _files(c)
    c.add_argument("--var", action="append", metavar="VAR", help="variable (repeatable)")
    c.add_argument("--hue", metavar="AXIS", help="one line per value of this axis")
    _selection(c)
    c.add_argument("--stat", default="mean", help="replica statistic (default mean)")
    c.add_argument("--max-lines", type=int, default=8, help="at most this many lines")
    c.add_argument("--log-y", action=argparse.BooleanOptionalAction, default=None,
                   help="logarithmic y axis (default: when values span > 2 decades)")
    c.add_argument("--title", help="figure title")
    _image(c, None)


def _add_slice(sub) -> None:
    """Add the ``slice`` command."""
    s = sub.add_parser(
        "slice", help="a variable against one axis at several values of another",
        description="Draw VARs (default eg) at --time against -x, one line per value "
        "of --hue (default: the first other axis with several values), replica mean "
        "with error bars (standard error); theory curves dashed in the same colour; "
        "--boundary marks boundary locations with dotted lines. Prints the output "
        "path.")
    _files(s)
    s.add_argument("-x", "--x", required=True, metavar="AXIS", help="horizontal axis")
    s.add_argument("--hue", metavar="AXIS", help="one line per value of this axis")
    s.add_argument("--var", action="append", metavar="VAR", help="variable (repeatable)")
    s.add_argument("--time", default="final", metavar="final|best|T", help="time (final)")
    _selection(s)
    s.add_argument("--stat", default="mean", help="replica statistic (default mean)")
    s.add_argument("--boundary", action="append", type=_kind, metavar="KIND",
                   help="mark boundaries located along x (repeatable)")
    s.add_argument("--threshold", type=_threshold, metavar="T|P%",
                   help="threshold of the --boundary lines")
    s.add_argument("--max-lines", type=int, default=8, help="at most this many lines")
    s.add_argument("--log-y", action=argparse.BooleanOptionalAction, default=None,
                   help="logarithmic y axis (default: when values span > 2 decades)")
    s.add_argument("--title", help="figure title")
    _image(s, None)


def _add_boundaries(sub) -> None:
    """Add the ``boundaries`` command."""
    b = sub.add_parser(
        "boundaries", help="boundary lines as tables (CSV, JSON), optionally drawn",
        description="Compute boundaries: interpolation (where VAR, default "
        "train_error, reaches zero along X = data.alpha, per Y = temperature), jump "
        "(where VAR, default eg, jumps along X), hysteresis (jump per train.start, "
        "and the window), divergence (where runs diverge along X = learning_rate), "
        "early-stopping (tau*(X): the time of the minimum of eg), trainable-depth (the "
        "largest depth X = depth at which deep nets still train, per Y = sigma_w2; "
        "theory: 6 xi_c). Each point has an "
        "uncertainty from the replicas. Prints the tables; -o DIR writes "
        "boundary_<kind>.csv and .json there; --plot draws them on the phase "
        "diagram of VAR over X and Y.")
    _files(b)
    b.add_argument("--kind", action="append", type=_kind, metavar="KIND",
                   help="interpolation, jump, hysteresis, divergence, early-stopping, "
                   "trainable-depth or all (default: all that fit the file; repeatable)")
    b.add_argument("-x", "--x", metavar="AXIS", help="axis the boundary is located along "
                   "(early-stopping: the axis tau* is a function of)")
    b.add_argument("-y", "--y", metavar="AXIS", help="axis the line runs over "
                   "(one point per value)")
    b.add_argument("--var", metavar="VAR", help="variable (default per kind)")
    b.add_argument("--threshold", type=_threshold, metavar="T|P%",
                   help="interpolation: the 'zero' level (default 1%%); jump: the "
                   "smallest jump (default 10%% of the range); divergence with --var: "
                   "the level above which a run counts as diverged")
    b.add_argument("--method", choices=("onset", "level", "step"), default="onset",
                   help="interpolation: locate by extrapolating the onset (default), "
                   "by interpolating at the threshold, or the bracket midpoint")
    b.add_argument("--direction", metavar="DIR",
                   help="interpolation/divergence: increasing or decreasing; jump: up "
                   "or down (default: from the data)")
    b.add_argument("--time", default="final", metavar="final|best|T",
                   help="which checkpoint (default final)")
    b.add_argument("--sel", action="extend", nargs="+", metavar="AXIS=VALUE",
                   help="fix axes; the others with several values give one line each")
    b.add_argument("-o", "--output-dir", metavar="DIR", help="write CSV and JSON files here")
    b.add_argument("--format", choices=("csv", "json", "both"), default="both",
                   help="files to write with -o (default both)")
    b.add_argument("--plot", metavar="PNG", help="also draw the boundaries on the phase "
                   "diagram of their variable (other axes: --reduce mean)")
    b.add_argument("--dpi", type=float, default=100, help="dots per inch of --plot")


def _add_report(sub) -> None:
    """Add the ``report`` command."""
    r = sub.add_parser(
        "report", help="every figure that fits, summary and boundary tables",
        description="Write a report into DIR: report.md with PNG figures (or one "
        "self-contained report.html with --html): summary (axes, cells, status counts, "
        "provenance, timings), phase diagrams with contours, boundaries and theory "
        "overlays, learning curves, slices, and the boundary tables (also as CSV and "
        "JSON files). Prints the report's path.")
    _files(r)
    r.add_argument("-o", "--output-dir", required=True, metavar="DIR", help="output directory")
    r.add_argument("--html", action="store_const", const="html", dest="format",
                   help="one self-contained HTML page instead of Markdown")
    r.add_argument("--format", choices=("md", "html", "both"),
                   help="md (default), html or both")
    r.set_defaults(format="md")
    r.add_argument("--max-slices", type=int, default=4,
                   help="draw one figure per combination of the remaining axes' values "
                   "up to this many (else at their middle value; default 4)")
    r.add_argument("--sections", type=_sections, metavar="LIST",
                   default="phase,time,curves,slices,robust",
                   help="figure sections, comma-separated (default phase,time,curves,"
                   "slices,robust: phase diagrams, x-time maps with tau*, learning "
                   "curves, slices, robust vs clean error when the file has budgets); "
                   "summary and boundary tables are always written")
    r.add_argument("--title", help="report title")
    r.add_argument("--dpi", type=float, default=100, help="dots per inch (default 100)")


def _add_info(sub) -> None:
    """Add the ``info`` command."""
    i = sub.add_parser("info", help="short summary: dimensions, variables, task status",
                       description="Print dimensions, variables, task status counts and "
                       "timings of a pdx result file (or of shards combined).")
    _files(i, theory=False)


def _add_batch_size(sub) -> None:
    """Add the ``batch-size`` command (issue 17)."""
    b = sub.add_parser(
        "batch-size", help="optimal batch size B_opt per (eta, P) and its fit "
        "against eta P (Smith & Le)",
        description="From a sweep over train.batch: B_opt minimising VAR at the "
        "final checkpoint per learning rate and every other axis (a parabola in "
        "log B, bootstrap over replicas; censored at the grid's ends), then the "
        "weighted fit log B_opt = a + s log(eta P) with the slope's standard "
        "error, and the slopes in eta and P separately when both vary.")
    _files(b, theory=False)
    b.add_argument("--var", default="eg", help="the error to minimise (default eg)")
    b.add_argument("--by", metavar="AXIS", default=None,
                   help="fit separately for each value of this axis "
                   "(e.g. data.label_noise)")
    b.add_argument("--bootstrap", type=int, default=400,
                   help="bootstrap resamples (default 400)")


def _cmd_batch_size(args) -> None:
    """Print the B_opt table and the scaling fits."""
    ds, _ = _load(args)
    table = optimal_batch(ds, var=args.var, n_boot=args.bootstrap)
    print(table.to_string(index=False, float_format=lambda v: format(v, ".4g")))
    by = args.by
    groups = table.groupby(by) if by else [(None, table)]
    for value, t in groups:
        head = f"{by} = {value}: " if by else ""
        fit = batch_scaling(t)
        line = (f"{head}log B_opt = {fit['intercept']:.3f} + "
                f"({fit['slope']:.3f} +- {fit['slope_se']:.3f}) log(eta P)"
                f"  [{fit['n']} optima, chi2/dof {fit['chi2_dof']:.2f}]")
        if t["train.learning_rate"].nunique() > 1 and t["P"].nunique() > 1:
            sep = batch_scaling(t, x=["train.learning_rate", "P"])
            line += "; separately " + ", ".join(
                f"{k} {v:.3f} +- {sep['slopes_se'][k]:.3f}"
                for k, v in sep["slopes"].items())
        print(line)


def _load(args):
    """Return (sim or main dataset, theory dataset or None)."""
    files = list(args.files) + list(getattr(args, "theory", None) or [])
    loaded = load_files(files, isolate=True)  # a crash in libhdf5: an error
    if loaded.sim is None:
        return loaded.theory, None
    return loaded.sim, loaded.theory


def _default_name(args, what: str, ext: str = "png") -> str:
    stem = os.path.splitext(os.path.basename(args.files[0]))[0]
    return f"{stem}_{what}.{ext}"


def _boundary_list(ds, kinds, x, y, var, threshold, sel, method="onset", direction=None,
                   time="final", strict=True):
    """Compute the boundaries of ``kinds`` (None or ["all"]: all that fit)."""
    if not kinds or "all" in kinds:
        found = bd.find_boundaries(ds, x=x, y=y, sel=sel, strict=False,
                                   thresholds={k: threshold for k in bd.KINDS},
                                   variables={k: var for k in bd.KINDS} if var else None)
        if kinds and "all" in kinds:
            return found
        start = find_axis(ds, "train.start")
        if start and any(b.kind == "jump" and start in b.groups for b in found):
            jb = [b for b in found if b.kind == "jump"][0]
            try:
                found.append(bd.hysteresis(ds, x=jb.along, y=jb.across, var=jb.var,
                                           start=start))
            except PdxError:
                pass
        return found
    out = []
    for kind in kinds:
        if kind == "interpolation":
            out.append(bd.interpolation_threshold(ds, x=x, y=y, var=var, threshold=threshold,
                                                  sel=sel, method=method, time=time,
                                                  direction=direction))
        elif kind == "jump":
            out.append(bd.jump(ds, x=x, y=y, var=var, threshold=threshold, sel=sel,
                               direction=direction, time=time))
        elif kind == "hysteresis":
            out.append(bd.hysteresis(ds, x=x, y=y, var=var, threshold=threshold,
                                     sel=sel, direction=direction, time=time))
        elif kind == "divergence":
            out.append(bd.divergence(ds, x=x, y=y, var=var, threshold=threshold, sel=sel,
                                     direction=direction, time=time))
        elif kind == "early_stopping":
            out.append(bd.early_stopping(ds, x=x, var=var or "eg", sel=sel))
        elif kind == "trainable_depth":
            out.append(bd.trainable_depth(ds, x=x, y=y, var=var, threshold=threshold,
                                          sel=sel, time=time))
        elif kind == "algorithmic":
            out.append(bd.algorithmic_threshold(ds, x=x, y=y, var=var or "success",
                                                sel=sel, level=threshold or 0.5))
    return out


#: Lines of a theory file that go with a boundary kind.
THEORY_KINDS = {"jump": ("transition", "spinodal"), "hysteresis": ("transition", "spinodal"),
                "divergence": ("divergence",), "early_stopping": ("plateau",),
                "trainable_depth": ("trainable_depth",),
                "all": ("transition", "spinodal", "divergence", "plateau",
                        "trainable_depth", "order_chaos")}


def _theory_list(theory, kinds, x, y, threshold, method="onset", direction=None,
                 time="final"):
    """The theory's boundaries for ``kinds`` (None: all): those it gives
    explicitly (alpha_c, alpha_spinodal, eta_max, plateau) and those found in
    its data, except where an explicit line replaces one (jump: alpha_c and
    alpha_spinodal; divergence: eta_max). Kinds that do not fit the theory
    file are left out."""
    kinds = list(kinds or ["all"])
    want = {k for kind in kinds for k in THEORY_KINDS.get(kind, ())}
    explicit = [b for b in bd.theory_lines(theory, across=y) if b.kind in want]
    covered = {"jump" for b in explicit if b.kind in ("transition", "spinodal")}
    covered |= {"divergence" for b in explicit if b.kind == "divergence"}
    covered.add("trainable_depth")  # the theory's line is 6 xi_c, given explicitly
    generic = []
    for kind in kinds:
        kind = "jump" if kind == "hysteresis" else kind
        if kind in covered or kind == "divergence":
            continue  # a theory file has no diverged runs
        try:
            if kind == "all":
                generic += [b for b in bd.find_boundaries(theory, x=x, y=y, strict=False)
                            if b.kind not in covered and b.kind != "divergence"]
            else:
                generic += _boundary_list(theory, [kind], x, y, None, threshold, {},
                                          method=method, direction=direction, time=time)
        except PdxError:
            continue
    return generic + explicit


def _in_plane(bs, x, y):
    out = []
    for b in bs:
        inner = getattr(b, "boundary", b)
        if {inner.along, inner.across} == {x, y} or (inner.across is None and
                                                     inner.along in (x, y)):
            out.append(b)
    return out


def _cmd_plot(args, parser):
    from matplotlib.figure import Figure  # lazy: see the top

    from .plot import heatmap  # lazy: see the top

    ds, theory = _load(args)
    sel = _sel_items(args.sel, parser)
    output = args.output or _default_name(args, args.var)
    ext = os.path.splitext(output)[1].lstrip(".").lower()
    if ext not in Figure().canvas.get_supported_filetypes():
        raise PdxError(f"{output}: unknown image format {ext!r} (use .png, .pdf, .svg ...)")
    blist = []
    if args.boundary:
        xd, yd = resolve_axis(ds, args.x), resolve_axis(ds, args.y)
        # computed for every value of the other axes; the lines of the
        # selected values are the ones drawn
        bsel = {}
        for kind in args.boundary:
            if kind == "early_stopping":
                along_x = xd if yd == "time" else yd
                blist += _boundary_list(ds, [kind], along_x, None, None, None, bsel)
            else:
                blist += _boundary_list(ds, [kind] if kind != "all" else None, xd, yd,
                                        None, args.threshold, bsel)
            if theory is not None:
                if kind == "early_stopping":
                    tx, ty = (xd if yd == "time" else yd), None
                else:
                    tx, ty = xd, yd
                blist += _theory_list(theory, [kind], tx, ty, args.threshold)
        blist = _in_plane(blist, xd, yd)
    fig = Figure(figsize=tuple(args.size), dpi=args.dpi, layout="constrained")
    ax = fig.add_subplot()
    heatmap(ds, args.x, args.y, var=args.var, time=args.time, sel=sel, reduce=args.reduce,
            log_color=args.log_color, title=args.title, ax=ax, xscale=args.xscale,
            yscale=args.yscale, cmap=args.cmap, stat=args.stat, contours=args.contours,
            boundaries=blist, theory=theory, annotate=args.annotate)
    fig.savefig(output, dpi=args.dpi)
    print(output)


def _cmd_lines(args, parser):
    from . import lines  # lazy: see the top

    ds, theory = _load(args)
    sel = _sel_items(args.sel, parser)
    if args.command == "curves":
        res = lines.learning_curves(ds, args.var, hue=args.hue, sel=sel, reduce=args.reduce,
                                    theory=theory, size=args.size, max_lines=args.max_lines,
                                    ylog=args.log_y, stat=args.stat, title=args.title)
        name = "curves"
    else:
        blist = []
        if args.boundary:
            xd = resolve_axis(ds, args.x)
            hue = args.hue
            hue = hue if hue and hue != "none" else None
            for kind in args.boundary:
                blist += _boundary_list(ds, [kind] if kind != "all" else None, xd, hue,
                                        None, args.threshold, {})
                if theory is not None:
                    blist += _theory_list(theory, [kind], xd, hue, args.threshold)
        res = lines.slices(ds, args.x, hue=args.hue, variables=args.var, time=args.time,
                           sel=sel, reduce=args.reduce, theory=theory, boundaries=blist,
                           size=args.size, max_lines=args.max_lines, ylog=args.log_y,
                           stat=args.stat, title=args.title)
        name = "slice"
    output = args.output or _default_name(args, name)
    lines.save(res, output, dpi=args.dpi)
    print(output)


def _cmd_boundaries(args, parser):
    ds, theory = _load(args)
    sel = _sel_items(args.sel, parser)
    found = _boundary_list(ds, args.kind, args.x, args.y, args.var, args.threshold, sel,
                           method=args.method, direction=args.direction, time=args.time)
    tfound = []
    if theory is not None:
        first = getattr(found[0], "boundary", found[0]) if found else None
        tx = args.x or (first.along if first is not None and first.kind != "early_stopping"
                        else None)
        ty = args.y or (first.across if first is not None and first.kind != "early_stopping"
                        else None)
        tfound = _theory_list(theory, args.kind, tx and resolve_axis(ds, tx),
                              ty and resolve_axis(ds, ty), args.threshold,
                              method=args.method, direction=args.direction, time=args.time)
    if not found and not tfound:
        print("no boundary found (give --kind to see why)", file=sys.stderr)
    with pd.option_context("display.width", 160, "display.max_columns", 30,
                           "display.max_rows", 200):
        for b in found + tfound:
            inner = getattr(b, "boundary", b)
            print(f"# {inner.label}: {inner.along}"
                  + (f" against {inner.across}" if inner.across else "")
                  + (f", variable {inner.var}" if inner.var else "")
                  + (f", threshold {inner.threshold:.4g}" if inner.threshold is not None
                     else "") + f", method: {inner.method}")
            print(inner.table.to_string(index=False))
            if b is not inner:
                print("# hysteresis window")
                print(b.window.to_string(index=False))
            print()
    if args.output_dir:
        os.makedirs(args.output_dir, exist_ok=True)
        for b in found + tfound:
            inner = getattr(b, "boundary", b)
            base = os.path.join(args.output_dir, "boundary_" + inner.name)
            if args.format in ("csv", "both"):
                print(inner.to_csv(base + ".csv"), file=sys.stderr)
            if args.format in ("json", "both"):
                print(inner.to_json(base + ".json"), file=sys.stderr)
            if b is not inner:
                print(b.to_csv(os.path.join(args.output_dir, "hysteresis_window.csv")),
                      file=sys.stderr)
    if args.plot:
        _boundaries_plot(ds, theory, found + tfound, args)


def _boundaries_plot(ds, theory, found, args):
    from matplotlib.figure import Figure  # lazy: see the top

    from .plot import heatmap  # lazy: see the top

    if not found:
        return
    first = getattr(found[0], "boundary", found[0])
    if first.across is None:
        return
    x, y = (first.along, first.across) if first.kind != "early_stopping" else (
        first.across, first.along)
    var = first.var or "eg"
    fig = Figure(figsize=(6.4, 4.8), dpi=args.dpi, layout="constrained")
    ax = fig.add_subplot()
    heatmap(ds, x, y, var=var, reduce="mean", ax=ax, boundaries=_in_plane(found, x, y),
            theory=None)
    fig.savefig(args.plot, dpi=args.dpi)
    print(args.plot, file=sys.stderr)


def _cmd_report(args, parser):
    from .report import report  # lazy: see the top

    theory = list(args.theory or [])
    res = report(list(args.files), args.output_dir, theory=theory or None,
                 fmt=args.format, dpi=args.dpi, max_slices=args.max_slices,
                 title=args.title, sections=_sections(args.sections)
                 if isinstance(args.sections, str) else args.sections)
    print(res.path)


def main(argv: Optional[List[str]] = None) -> int:
    """Run the CLI; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "info":
            loaded = load_files(list(args.files), isolate=True)
            parts = [summary(d) for d in (loaded.sim, loaded.theory) if d is not None]
            print("\n\n".join(parts))
        elif args.command == "plot":
            _cmd_plot(args, parser)
        elif args.command in ("curves", "slice"):
            _cmd_lines(args, parser)
        elif args.command == "boundaries":
            _cmd_boundaries(args, parser)
        elif args.command == "report":
            _cmd_report(args, parser)
        elif args.command == "batch-size":
            _cmd_batch_size(args)
    except BrokenPipeError:  # e.g. `... info FILE | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except PdxError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - one line, no traceback
        if os.environ.get("PDX_ANALYSIS_TRACEBACK"):
            raise
        text = " ".join(str(exc).split())
        print(f"{PROG}: error: {type(exc).__name__}: {text} (set "
              "PDX_ANALYSIS_TRACEBACK=1 for the traceback)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
