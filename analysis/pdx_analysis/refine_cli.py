"""``python3 -m pdx_analysis.refine_cli plan|report ...`` (layer 13, a
command line): the entry point ``pdx refine`` calls between its rounds
(src/refine.c). The planning itself is :mod:`pdx_analysis.refine`; this
module only turns arguments into its calls, so that running it does not
re-import a module the package already imported."""

from __future__ import annotations

import argparse
import math
import sys

from .errors import PdxError, PdxValueError
from .loading import load
from .refine import REFINE_KINDS, plan_rounds, write_report


def main(argv=None) -> int:
    """``plan`` prints the cells of the current round still to run, one
    flat cell index a line, then ``round R``; ``report`` writes the
    record. Exit 2 (the message on stderr) on a bad request."""
    p = argparse.ArgumentParser(prog="python3 -m pdx_analysis.refine_cli")
    p.add_argument("action", choices=["plan", "report"])
    p.add_argument("--file", required=True)
    p.add_argument("--exists", type=int, default=1)
    p.add_argument("--shape", default="")
    p.add_argument("--along", required=True)
    p.add_argument("--along-index", type=int, default=0)
    p.add_argument("--kind", required=True)
    p.add_argument("--var")
    p.add_argument("--level", type=float)
    p.add_argument("--start", type=int, default=5)
    p.add_argument("--direction", choices=["increasing", "decreasing"])
    p.add_argument("--time", default="final")
    p.add_argument("--method", default="step", choices=["step", "level"])
    p.add_argument("--tolerance", type=float, default=math.nan)
    p.add_argument("--shard", default="0/1")
    p.add_argument("--report")
    p.add_argument("--command-line", default="")
    a = p.parse_args(argv)
    try:
        shard = tuple(int(v) for v in a.shard.split("/"))
        time = a.time if a.time in ("final", "best") else float(a.time)
        if not a.exists:
            shape = tuple(int(v) for v in a.shape.split(",") if v)
            plan = plan_rounds(None, a.along_index, a.kind, start=a.start, shard=shard,
                               shape=shape)
            ds = None
        else:
            ds = load(a.file)
            plan = plan_rounds(ds, a.along, a.kind, var=a.var, level=a.level, start=a.start,
                               direction=a.direction, time=time, shard=shard)
        if a.action == "plan":
            out = sys.stdout
            for c in plan["pending"]:
                out.write(f"{int(c)}\n")
            out.write(f"round {len(plan['rounds']) - 1}\n")
            return 0
        if ds is None or len(plan["pending"]):
            raise PdxValueError("the refinement is not finished: run pdx refine again")
        write_report(a.report, plan, ds, REFINE_KINDS[a.kind], a.along, a.var, a.level,
                     a.tolerance, a.method, a.command_line)
        return 0
    except (PdxError, ValueError) as e:
        print(f"pdx refine: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
