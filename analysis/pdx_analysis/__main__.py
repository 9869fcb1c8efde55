"""Command line: ``python3 -m pdx_analysis {plot,info} ...``.

Exit codes: 0 ok; 2 bad usage, bad names or selections, missing or
non-pdx files (message on stderr, no traceback); 1 other I/O failures.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import List, Optional

from . import PdxError, load, summary

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


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the CLI."""
    parser = argparse.ArgumentParser(
        prog=PROG, description="Plot and inspect pdx result files (works on "
        "files that pdx run is still writing).")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser(
        "plot", help="heatmap of a replica-mean variable over two axes",
        description="Draw the replica mean (done tasks only) of VAR over "
        "axes X and Y. Axes may be given by full dotted name or unique "
        "suffix (learning_rate). Other axes with more than one value must "
        "be fixed with --sel or reduced with --reduce. Diverged cells get a "
        "red x, failed ones a triangle, cells not run yet are grey. Prints "
        "the output path.")
    p.add_argument("file", metavar="FILE", help="pdx result file (.h5)")
    p.add_argument("-x", required=True, metavar="AXIS", help="horizontal axis")
    p.add_argument("-y", required=True, metavar="AXIS", help="vertical axis")
    p.add_argument("--var", default="eg", help="variable (default: eg)")
    p.add_argument("--time", default="final", metavar="final|T",
                   help="'final' (last finite checkpoint of each task, the "
                   "default) or the nearest checkpoint to time T")
    p.add_argument("--sel", action="extend", nargs="+", metavar="AXIS=VALUE",
                   help="fix an axis (choice name or code; exact integer; "
                   "nearest real); also replica=R, time=T, student_unit=k")
    p.add_argument("--reduce", choices=("mean", "min", "max"),
                   help="reduce the remaining axes (of the cell means)")
    p.add_argument("--log-color", action=argparse.BooleanOptionalAction, default=None,
                   help="logarithmic colour scale (default: on when all "
                   "values are positive and span more than two decades)")
    p.add_argument("--xscale", choices=("lin", "log"),
                   help="override the x axis scale (default: its pdx_scale)")
    p.add_argument("--yscale", choices=("lin", "log"),
                   help="override the y axis scale (default: its pdx_scale)")
    p.add_argument("--cmap", default="viridis", help="Matplotlib colour map")
    p.add_argument("-o", "--output", metavar="OUT",
                   help="image file (default: <FILE stem>_<VAR>.png here); "
                   "the format follows the suffix (png, pdf, svg)")
    p.add_argument("--title", help="plot title (default: file title, variable, time)")
    p.add_argument("--size", type=_size, default=(6.4, 4.8), metavar="W,H",
                   help="figure size in inches (default 6.4,4.8)")
    p.add_argument("--dpi", type=float, default=100, help="dots per inch (default 100)")

    i = sub.add_parser("info", help="short summary: dimensions, variables, task status",
                       description="Print dimensions, variables and task "
                       "status counts of a pdx result file.")
    i.add_argument("file", metavar="FILE", help="pdx result file (.h5)")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Run the CLI; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "info":
            print(summary(load(args.file)))
        elif args.command == "plot":
            from .plot import plot_file

            result = plot_file(
                args.file, args.x, args.y, output=args.output, size=args.size,
                dpi=args.dpi, var=args.var, time=args.time,
                sel=_sel_items(args.sel, parser), reduce=args.reduce,
                log_color=args.log_color, title=args.title,
                xscale=args.xscale, yscale=args.yscale, cmap=args.cmap)
            print(result.output)
    except BrokenPipeError:  # e.g. `... info FILE | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except PdxError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
