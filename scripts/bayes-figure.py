#!/usr/bin/python3
"""docs/bayes-perceptron.png: Gibbs samples against the Bayes estimator,
simulation (sweeps/bayes-perceptron.yaml, record.bayes) against theory
(pdx theory --curve gibbs-spherical and bayes-spherical).
Usage: scripts/bayes-figure.py RESULT.h5 [OUT.png] (PDX: the pdx binary,
default build/pdx)"""
import math
import os
import subprocess
import sys

import h5py
import numpy as np
from matplotlib.figure import Figure

PDX = os.environ.get("PDX", "build/pdx")
result = sys.argv[1]
out = sys.argv[2] if len(sys.argv) > 2 else "docs/bayes-perceptron.png"
with h5py.File(result, "r") as f:
    alpha = f["data.alpha"][...]
    T = float(f.attrs["param:train.temperature"])
    F = float(f.attrs["param:data.label_noise"])
    N = int(f.attrs["param:N"])
    ok = f["status"][...] == 1
    v = {k: np.where(ok, f[k][...], np.nan) for k in
         ["eg_mean", "eg_bayes", "q_mean"]}
    v["R_mean"] = np.where(ok, f["R_mean"][..., 0, 0], np.nan)


def curve(name, extra):
    grid = ",".join(f"{a:.4g}" for a in np.geomspace(0.3, 10, 60))
    text = subprocess.run([PDX, "theory", "--curve", name, "--alpha", grid,
                           "--label-noise", str(F)] + extra, check=True,
                          capture_output=True, text=True).stdout
    rows = [r.split(",") for r in text.strip().splitlines()]
    head = rows[0]
    return {k: np.array([float(r[head.index(k)]) for r in rows[1:]])
            for k in ["alpha", "eg", "q"]}


gibbs = curve("gibbs-spherical", ["--T", repr(T)])
bayes = curve("bayes-spherical", [])


def mean_se(x):
    n = np.sum(np.isfinite(x), -1)
    return np.nanmean(x, -1), np.nanstd(x, -1, ddof=1) / np.sqrt(n)


fig = Figure(figsize=(10, 4))
ax1, ax2 = fig.subplots(1, 2)
for key, th, label, c in [("eg_mean", gibbs, "Gibbs sample (eg_mean)", "#377eb8"),
                          ("eg_bayes", bayes, "centre of mass (eg_bayes)", "#e41a1c")]:
    m, s = mean_se(v[key])
    ax1.errorbar(alpha, m, s, fmt="o", color=c, label=f"simulation: {label}")
    ax1.plot(th["alpha"], th["eg"], "-", color=c,
             label="theory: " + ("gibbs-spherical" if th is gibbs else "bayes-spherical"))
ax1.set_xscale("log")
ax1.set_xlabel("α = P/N")
ax1.set_ylabel("generalization error ε_g")
ax1.set_title(f"spherical perceptron, label noise {F:g}, T = {T:.4f} (Nishimori)")
ax1.legend(fontsize=7)
for key, label, c in [("q_mean", "q (two chains)", "#4daf4a"),
                      ("R_mean", "R (chain, teacher)", "#984ea3")]:
    m, s = mean_se(v[key])
    ax2.errorbar(alpha, m, s, fmt="o", color=c, label=f"simulation: {label}")
ax2.plot(gibbs["alpha"], gibbs["q"], "-", color="k", label="theory: q = R")
ax2.set_xscale("log")
ax2.set_xlabel("α = P/N")
ax2.set_ylabel("overlap")
ax2.set_title(f"Nishimori: q = R (N = {N}, {v['q_mean'].shape[-1]} replicas)")
ax2.legend(fontsize=7)
fig.tight_layout()
fig.savefig(out, dpi=110)
for i, a in enumerate(alpha):
    print(f"alpha {a:g}: " + ", ".join(
        f"{k} {np.nanmean(v[k][i]):.4f}" for k in v))
print(out)
