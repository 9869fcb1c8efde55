#!/usr/bin/python3
"""docs/refine-gibbs.png: run in a folder holding g.h5 (pdx refine
sweeps/gibbs-perceptron.yaml --along data.alpha --kind jump --tol 0.05 -o
g.h5, and its record), u.h5 (pdx run g.refine.yaml -o u.h5) and c.h5 (pdx
run sweeps/gibbs-perceptron.yaml -o c.h5); prints the cell counts and the
largest distance between the refined and the uniform lattice's crossings.
Usage: scripts/refine-gibbs-figure.py [OUT.png]"""
import os
import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "analysis"))
import numpy as np, pdx_analysis as pa
from pdx_analysis.estimators import step_fit
from pdx_analysis.plot import heatmap, draw_boundary
from matplotlib.figure import Figure
u, c = pa.load("u.h5"), pa.load("c.h5")
ref = pa.load_refine("g.h5", across="train.temperature")
# refined vs uniform lattice: the same midpoint crossing of the replica mean
rec = ref.record
x = u["data.alpha"].values
m = u["eg_mean"].where(u["status"] == 1).mean("replica")
worst = 0.0
for row in rec["settings"]:
    prof = m.sel(**{k: v for k, v in row["coords"].items()}).transpose("data.alpha").values
    pos = prof > row["level"]
    up, dn = step_fit(pos), step_fit(pos[::-1])
    k = up[0] if up[1] <= dn[1] else len(pos) - dn[0]
    worst = max(worst, abs(row["location"] - 0.5 * (x[k - 1] + x[k])))
print("cells", ref.cells_run, "of", ref.cells_uniform, "max |refined - uniform lattice| =", worst)
bj = pa.jump(c, x="data.alpha", y="train.temperature", var="eg_mean")
bj.title = "jump, spec grid (12 alpha)"
print(bj.table[["student.weights", "train.start", "train.temperature", "data.alpha", "err"]].to_string())
fig = Figure(figsize=(11, 4.2))
axs = fig.subplots(1, 2)
for ax, start in zip(axs, ["hot", "cold"]):
    sel = {"student.weights": "binary", "train.start": start}
    h = heatmap(u, "data.alpha", "train.temperature", var="eg_mean", sel=sel, ax=ax,
                boundaries=[bj], legend=False,
                title=f"binary students, {start} start: lattice {ref.cells_uniform // 16} x 4 cells uniform")
    _, hs = draw_boundary(ax, ref.boundary, "data.alpha", "train.temperature", data=h.data,
                          index=1, color="#e41a1c", selected={"student.weights": "binary", "train.start": start})
    _, hb = draw_boundary(ax, bj, "data.alpha", "train.temperature", data=h.data,
                          selected={"student.weights": "binary", "train.start": start})
    ax.legend(handles=list(hb) + list(hs), fontsize=7, loc="upper right")
fig.suptitle(f"pdx refine --kind jump: {ref.cells_run} of {ref.cells_uniform} lattice cells "
             f"({100 * ref.cells_run / ref.cells_uniform:.0f} %), all 16 settings", fontsize=10)
fig.tight_layout()
fig.savefig(sys.argv[1] if len(sys.argv) > 1 else "refine-gibbs.png", dpi=100)
