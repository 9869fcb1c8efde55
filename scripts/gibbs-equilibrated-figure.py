#!/usr/bin/python3
"""docs/gibbs-equilibrated.png: Gibbs learning with the equilibration
verdict (issue 14 item 4). Run in a folder holding ge.h5 (pdx run
sweeps/gibbs-equilibrated.yaml -o ge.h5) and ge-theory.h5 (pdx theory
sweeps/gibbs-equilibrated.yaml -o ge-theory.h5); prints, per weight kind,
the fraction of tasks equilibrated (their own test, and with the hot/cold
agreement) and the largest |replica mean - theory| among the cells drawn
whose tasks all equilibrated. Usage:
scripts/gibbs-equilibrated-figure.py [OUT.png]"""
import os
import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "analysis"))
import numpy as np, pdx_analysis as pa
from matplotlib.figure import Figure

ds, th = pa.load("ge.h5"), pa.load("ge-theory.h5")
eq = pa.equilibration(ds)
temps = [0.0, 0.12, 0.33, 1.0]
fig = Figure(figsize=(10, 4.2))
axes = fig.subplots(1, 2, sharey=True)
colors = ["C0", "C1", "C2", "C3"]
for ax, w in zip(axes, ["binary", "spherical"]):
    own = ds["equilibrated"].sel({"student.weights": w})
    both = eq["equilibrated_all"].sel({"student.weights": w})
    print(f"{w}: equilibrated {float(own.mean()):.2f} of the tasks (own test), "
          f"{float(both.mean()):.2f} with hot/cold agreement")
    worst = 0.0
    for T, col in zip(temps, colors):
        sel = {"student.weights": w, "train.temperature": T}
        alpha = ds["data.alpha"].values
        t = th["eg"].sel(sel).isel({"time": -1}).sel({"train.start": "hot"})
        ax.plot(th["data.alpha"].values, t.values, "-", color=col, lw=1,
                label=f"T = {T:g} theory")
        for start, marker, dx in (("hot", "o", -0.03), ("cold", "s", 0.03)):
            s = dict(sel, **{"train.start": start})
            m = ds["eg_mean"].sel(s)
            ok = both.sel({"train.temperature": T, "train.start": start})
            for r in m["replica"].values:
                good = ok.sel(replica=r).values == 1
                y = m.sel(replica=r).values
                ax.plot(alpha[good] + dx, y[good], marker, color=col, ms=4)
                ax.plot(alpha[~good] + dx, y[~good], marker, color=col, ms=4,
                        mfc="none", alpha=0.6)
            mean = m.mean("replica")
            good_all = (ok.values == 1).all(axis=0) if ok.dims[0] == "replica" else (ok.values == 1).all(axis=-1)
            dev = np.abs(mean.values - t.values)
            if good_all.any():
                worst = max(worst, float(np.nanmax(np.where(good_all, dev, np.nan))))
    print(f"{w}: largest |replica mean - theory| over cells whose tasks all "
          f"equilibrated (T = {', '.join(f'{x:g}' for x in temps)}): {worst:.3f} "
          "(2 replicas at N = 40: the training sets' spread dominates)")
    ax.set_title(f"{w} weights, N = 40 (filled: equilibrated)")
    ax.set_xlabel("α = P/N")
axes[0].set_ylabel("ε_g averaged after burn-in")
axes[1].legend(fontsize=7, loc="upper right")
fig.tight_layout()
out = sys.argv[1] if len(sys.argv) > 1 else "gibbs-equilibrated.png"
fig.savefig(out, dpi=110)
print("wrote", out)
