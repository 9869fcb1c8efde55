#!/usr/bin/env bash
# The README's replicated-training picture (issue 16): runs
# sweeps/replicated-perceptron.yaml with the build's pdx and draws
# docs/replicated-perceptron.png: the success probability of plain and
# replicated simulated annealing against alpha for the binary perceptron's
# storage problem (N = 301, 16 replicas per load), with the algorithmic
# thresholds (pdx_analysis, kind algorithmic: logistic fit, bootstrap
# error) and the Krauth-Mezard capacity (pdx theory --curve
# binary-capacity).
#   scripts/replicated-figure.sh [OUT]   (default OUT: out; FIGS=dir for the
#                                         picture, default docs; PDX=pdx)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-out}
FIGS=${FIGS:-docs}
PDX=${PDX:-build/pdx}
export MPLBACKEND=Agg PYTHONPATH=analysis
mkdir -p "$OUT" "$FIGS"
SECONDS=0
"$PDX" run sweeps/replicated-perceptron.yaml -o "$OUT/replicated-perceptron.h5" --quiet
echo "replicated-perceptron: ${SECONDS} s" >&2
"$PDX" theory --curve binary-capacity > "$OUT/binary-capacity.csv"
/usr/bin/python3 - "$OUT" "$FIGS" <<'PY'
import csv, sys
import numpy as np
import matplotlib.pyplot as plt
import pdx_analysis as pa
out, figs = sys.argv[1:3]
ds = pa.load(f"{out}/replicated-perceptron.h5")
alpha_c = float(next(csv.DictReader(open(f"{out}/binary-capacity.csv")))["alpha_c"])
b = pa.algorithmic_threshold(ds)
print(b.table.round(4).to_string(index=False))
succ = ds["success"]
fig, ax = plt.subplots(figsize=(6.4, 4.2))
names = {1: "plain SA (y = 1, 1800 sweeps of N moves)",
         3: "replicated SA (y = 3, 600 sweeps of 3N moves)"}
colors = {1: "tab:blue", 3: "tab:red"}
for row in b.table.itertuples(index=False):
    y = int(row[0])
    s = succ.sel({"train.replica_count": y})
    p = s.mean("replica").values
    n = s.count("replica").values
    se = np.sqrt(p * (1 - p) / np.maximum(n, 1))
    ax.errorbar(ds["data.alpha"].values, p, yerr=se, marker="o", ms=4, capsize=2,
                color=colors[y], label=names[y])
    loc, err = row[1], row[2]
    ax.axvspan(loc - err, loc + err, color=colors[y], alpha=0.2, lw=0)
    ax.axvline(loc, color=colors[y], ls=":", lw=1.2)
    ax.annotate(f"$\\alpha_{{alg}}$ = {loc:.3f} ± {err:.3f}", (loc, 0.5 + 0.12 * (y == 3)),
                xytext=(6, 0), textcoords="offset points", color=colors[y], fontsize=8)
ax.axvline(alpha_c, color="k", ls="--", lw=1.2,
           label=f"capacity $\\alpha_c$ = {alpha_c:.3f} (Krauth–Mézard)")
ax.axhline(0.5, color="0.6", lw=0.8)
ax.set_xlabel("load α = P/N (random labels)")
ax.set_ylabel("success probability")
ax.set_title("binary perceptron storage, N = 301: plain vs replicated annealing",
             fontsize=10)
ax.set_ylim(-0.05, 1.05)
ax.legend(fontsize=7.5, loc="upper right", framealpha=0.95)
fig.tight_layout()
fig.savefig(f"{figs}/replicated-perceptron.png", dpi=90)
PY
