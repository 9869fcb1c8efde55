#!/usr/bin/python3
"""docs/refine-deep.png: pdx refine --kind trainable_depth on
sweeps/deep-trainability.yaml against the uniform lattice and the theory's
6 xi_c. Run in a folder holding
  t.h5   pdx refine sweeps/deep-trainability.yaml --along student.depth
             --kind trainable_depth --tol 1 --level 0.25 -o t.h5 (and its record)
  u.h5   pdx run t.refine.yaml -o u.h5      (the uniform lattice, comparison only)
  c.h5   pdx run sweeps/deep-trainability.yaml -o c.h5   (the spec's 8 x 8 grid)
  th.h5  pdx theory sweeps/deep-trainability.yaml -o th.h5
Prints the cell counts and, per sigma_w2, the refined bracket against the
uniform lattice's own step fit of the same classification (a cell is
untrained when more than half of its replicas have train_error > level or
diverged), with the number of lattice cells each split misclassifies, and
pdx_analysis's trainable_depth on the uniform lattice; checks that every
cell refine ran equals the same cell of the uniform run bit for bit.
Usage: scripts/refine-deep-figure.py [OUT.png]"""
import copy
import os
import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "analysis"))
import numpy as np, pandas as pd, pdx_analysis as pa
from pdx_analysis.estimators import step_fit
from pdx_analysis.overlays import theory_lines
from pdx_analysis.plot import heatmap, draw_boundary
from matplotlib.figure import Figure

D, S = "student.depth", "student.sigma_w2"
u, c, t, th = pa.load("u.h5"), pa.load("c.h5"), pa.load("t.h5"), pa.load("th.h5")
ref = pa.load_refine("t.h5")
rec = ref.record
level = rec["level"]
x = u[D].values.astype(float)

# the cells refine ran are the uniform run's, bit for bit
ran = np.sort(np.concatenate([np.asarray(r) for r in rec["rounds"]]))
for v in ("train_error", "eg", "status"):
    a = np.asarray(t[v].transpose(S, D, ...).values).reshape(len(x) * u.sizes[S], -1)[ran]
    b = np.asarray(u[v].transpose(S, D, ...).values).reshape(len(x) * u.sizes[S], -1)[ran]
    assert np.array_equal(a, b, equal_nan=True), v
print("cells", ref.cells_run, "of", ref.cells_uniform,
      f"({100 * ref.cells_run / ref.cells_uniform:.1f} %),", len(rec["rounds"]),
      "rounds; the cells refine ran equal the uniform run's bit for bit")

te = u["train_error"].isel(time=-1).where(u["status"] == 1)
div = u["status"] == 2


def errors(pos, k):
    """Lattice cells a split before index k misclassifies (increasing)."""
    return int(pos[:k].sum() + (~pos[k:]).sum())


b_pa = pa.trainable_depth(u, threshold=level)
rows, worst = [], 0.0
for s, row in enumerate(rec["settings"]):
    sel = row["coords"]
    v = te.sel(**sel).transpose(D, "replica").values
    dv = div.sel(**sel).transpose(D, "replica").values
    ok = np.isfinite(v)
    above = np.where(ok, v > level, False).sum(1) + dv.sum(1)
    pos = 2 * above > ok.sum(1) + dv.sum(1)
    k, best = step_fit(pos)
    lat = 0.5 * (x[k - 1] + x[k]) if 0 < k < len(x) else np.nan
    kr = len(x) if row["location"] is None else int(np.searchsorted(x, row["hi"]))
    same = (row["location"] is None and np.isnan(lat)) or row["location"] == lat
    if row["location"] is not None and np.isfinite(lat):
        worst = max(worst, abs(row["location"] - lat))
    pr = b_pa.table.iloc[s]
    # every split as good as the best: the lattice's own ambiguity
    ties = [0.5 * (x[j - 1] + x[j]) if 0 < j < len(x) else np.nan
            for j in range(len(x) + 1) if errors(pos, j) == best]
    rows.append({S: sel[S], "refined": row["location"], "cells": row["cells"],
                 "lattice step fit": lat, "same": same,
                 "misclassified (refined/best)": f"{errors(pos, kr)}/{best}",
                 "best splits": " ".join(f"{v:g}" for v in ties),
                 "pdx_analysis on lattice": f"{pr[D]:.1f} +- {pr['err']:.1f}"
                 if np.isfinite(pr[D]) else pr["note"]})
print(pd.DataFrame(rows).to_string(index=False))
print("settings with the same bracket:", sum(r["same"] for r in rows), "of", len(rows),
      "; largest |refined - lattice| where both exist:", worst)

# the uniform lattice's own boundary of the same rule, drawn as a Boundary
b_lat = copy.copy(ref.boundary)
tab = ref.boundary.table.copy()
tab[D] = [r["lattice step fit"] for r in rows]
tab["lo"], tab["hi"] = tab[D] - 0.5, tab[D] + 0.5
tab["err"] = 1 / np.sqrt(12)
b_lat.table, b_lat.title = tab, f"uniform lattice, same rule ({ref.cells_uniform} cells)"
ref.boundary.title = f"refined ({ref.cells_run} cells)"
theory = [b for b in theory_lines(th, across=S) if b.kind == "trainable_depth"]
b_c = pa.trainable_depth(c, threshold=level)
b_c.title = "spec grid"

fig = Figure(figsize=(13, 4.8))
ax1, ax2 = fig.subplots(1, 2)
heatmap(c, S, D, var="train_error", ax=ax1, contours=0, boundaries=[b_c] + theory,
        title=f"spec grid: {c.sizes[S]} x {c.sizes[D]} cells")
h = heatmap(u, S, D, var="train_error", ax=ax2, contours=0, boundaries=theory, legend=False,
            title=f"lattice: {ref.cells_uniform} cells uniform vs {ref.cells_run} "
                  f"refined ({100 * ref.cells_run / ref.cells_uniform:.0f} %)")
_, hu = draw_boundary(ax2, b_lat, S, D, data=h.data)
_, hs = draw_boundary(ax2, ref.boundary, S, D, data=h.data, index=1, color="#e41a1c")
_, ht = draw_boundary(ax2, theory[0], S, D, data=h.data)
for r in rec["rounds"]:
    cells = np.asarray(r)
    ax2.plot(u[S].values[cells // len(x)], x[cells % len(x)], "w.", ms=3)
ax2.legend(handles=list(hu) + list(hs) + list(ht) + [ax2.plot(
    [], [], "w.", ms=5, markeredgecolor="k", label="cells refine ran")[0]],
    fontsize=7, loc="lower right")
for ax in (ax1, ax2):
    ax.set_ylim(1, 65)
fig.suptitle(f"pdx refine --kind trainable_depth --tol 1 --level {level:g} along depth, "
             "every sigma_w2 (sweeps/deep-trainability.yaml)", fontsize=10)
fig.tight_layout()
fig.savefig(sys.argv[1] if len(sys.argv) > 1 else "refine-deep.png", dpi=100)
