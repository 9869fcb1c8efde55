#!/usr/bin/env bash
# The README's pictures of issue 17 (items 3-5): runs
# sweeps/smith-le-batch.yaml, sweeps/smith-le-evidence.yaml and
# sweeps/martin-mahoney-regularizers.yaml with the build's pdx and draws
#   docs/smith-le-batch.png             (test error against B per eta, P;
#                                        B_opt against eta P with the fit)
#   docs/smith-le-evidence.png          (log-evidence ratio to the null
#                                        model and test error against
#                                        label noise, per prior precision)
#   docs/martin-mahoney-regularizers.png (gain in eg of each regularizer
#                                        at its best setting, per cell)
# and prints the tables behind them.
#   scripts/issue17-figures.sh [OUT]   (default OUT: out; FIGS=dir for the
#                                       pictures, default docs; PDX=pdx)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-out}
FIGS=${FIGS:-docs}
PDX=${PDX:-build/pdx}
export MPLBACKEND=Agg PYTHONPATH=analysis
mkdir -p "$OUT" "$FIGS"
for s in smith-le-batch smith-le-evidence martin-mahoney-regularizers; do
  SECONDS=0
  "$PDX" run "sweeps/$s.yaml" -o "$OUT/$s.h5" --quiet
  echo "$s: ${SECONDS} s" >&2
done
/usr/bin/python3 - "$OUT" "$FIGS" <<'PY'
import sys
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
import pdx_analysis as pa
out, figs = sys.argv[1:3]
pd.set_option("display.width", 200)

# --- B_opt against eta P (Smith & Le)
ds = pa.load(f"{out}/smith-le-batch.h5")
t = pa.optimal_batch(ds)
print(t.round(3).to_string(index=False))
noise = sorted(t["data.label_noise"].unique())
fits = {f: pa.batch_scaling(t[t["data.label_noise"] == f]) for f in noise}
sep = {f: pa.batch_scaling(t[t["data.label_noise"] == f],
                           x=["train.learning_rate", "P"]) for f in noise}
for f in noise:
    print(f"label noise {f}: log B_opt vs log eta P slope "
          f"{fits[f]['slope']:.2f} +- {fits[f]['slope_se']:.2f} "
          f"(chi2/dof {fits[f]['chi2_dof']:.2f}); separately: "
          + ", ".join(f"{k} {v:.2f} +- {sep[f]['slopes_se'][k]:.2f}"
                      for k, v in sep[f]["slopes"].items()))
fig, axes = plt.subplots(1, 3, figsize=(13, 3.9))
eg = ds["eg"].isel(time=-1).where(ds["status"] == 1)
m, se = eg.mean("replica"), eg.std("replica") / np.sqrt(ds.sizes["replica"])
alpha0 = float(ds["data.alpha"].values[1])
ax = axes[0]
for eta in ds["train.learning_rate"].values:
    sel = {"data.alpha": alpha0, "data.label_noise": 0.0, "train.learning_rate": eta}
    ax.errorbar(ds["train.batch"].values, m.sel(sel), se.sel(sel), marker="o",
                ms=3, capsize=2, label=f"η = {eta:g}")
ax.set_xscale("log"); ax.set_xlabel("batch size B"); ax.set_ylabel("test error ε_g (8 epochs)")
ax.set_title(f"clean labels, P = {int(alpha0 * 40)}"); ax.legend(fontsize=8)
for ax, f in zip(axes[1:], noise):
    s = t[t["data.label_noise"] == f]
    for alpha, g in s.groupby("data.alpha"):
        ok = ~g["censored"]
        ax.errorbar(g["eta_P"][ok], g["B_opt"][ok],
                    yerr=[g["B_opt"][ok] * (1 - np.exp(-g["log_B_opt_se"][ok])),
                          g["B_opt"][ok] * (np.exp(g["log_B_opt_se"][ok]) - 1)],
                    marker="o", capsize=2, ls="none", label=f"P = {int(g['P'].iloc[0])}")
        ax.plot(g["eta_P"][~ok], g["B_opt"][~ok], "v", color="grey")
    x = np.geomspace(t["eta_P"].min(), t["eta_P"].max(), 20)
    fit = fits[f]
    ax.plot(x, np.exp(fit["intercept"]) * x ** fit["slope"], "k--",
            label=f"slope {fit['slope']:.2f} ± {fit['slope_se']:.2f}")
    ax.set_xscale("log"); ax.set_yscale("log")
    ax.set_xlabel("η P"); ax.set_ylabel("B_opt")
    ax.set_title(f"label noise {f:g}"); ax.legend(fontsize=8)
fig.tight_layout(); fig.savefig(f"{figs}/smith-le-batch.png", dpi=90)

# --- evidence against test error (Smith & Le, Zhang's random labels)
ds = pa.load(f"{out}/smith-le-evidence.h5")
t = pa.evidence_table(ds)
print(t.round(4).to_string(index=False))
fig, axes = plt.subplots(1, 3, figsize=(13, 3.9))
for lam, g in t.groupby("record.prior_precision"):
    axes[0].errorbar(g["data.label_noise"], g["ratio"], g["ratio_se"], marker="o",
                     capsize=2, label=f"λ = {lam:g}")
    axes[1].errorbar(g["data.label_noise"], g["eg_map"], g["eg_map_se"], marker="o",
                     capsize=2, label=f"λ = {lam:g}")
    axes[2].plot(g["ratio"], g["eg_map"], "o-", label=f"λ = {lam:g}")
axes[0].axhline(0, color="k", lw=0.8)
axes[0].set_xlabel("label noise F"); axes[0].set_ylabel("(ln P(y|X) + P ln 2) / P")
axes[0].set_title("log-evidence ratio to the null model")
axes[1].set_xlabel("label noise F"); axes[1].set_ylabel("ε_g of the MAP student")
axes[1].set_title("test error")
axes[2].axvline(0, color="k", lw=0.8)
axes[2].set_xlabel("log-evidence ratio per example"); axes[2].set_ylabel("ε_g (MAP)")
axes[2].set_title("evidence against test error")
for ax in axes:
    ax.legend(fontsize=8)
fig.tight_layout(); fig.savefig(f"{figs}/smith-le-evidence.png", dpi=90)

# --- regularizer gains (Martin & Mahoney)
ds = pa.load(f"{out}/martin-mahoney-regularizers.h5")
t = pa.regularizer_gains(ds)
print(t.round(4).to_string(index=False))
cells = t[["data.alpha", "data.label_noise"]].drop_duplicates().to_numpy()
regs = list(dict.fromkeys(t["regularizer"]))
fig, ax = plt.subplots(figsize=(8.5, 3.9))
width = 0.8 / len(regs)
for j, r in enumerate(regs):
    g = t[t["regularizer"] == r]
    ax.bar(np.arange(len(cells)) + j * width, g["gain"], width, yerr=g["gain_se"],
           capsize=2, label=r)
ax.set_xticks(np.arange(len(cells)) + 0.4 - width / 2)
ax.set_xticklabels([f"α = {a:g}, F = {f:g}" for a, f in cells])
ax.axhline(0, color="k", lw=0.8)
ax.set_ylabel("ε_g(none) − ε_g(best setting)")
ax.set_title("what each regularizer buys at its best setting (others off)")
ax.legend(fontsize=8)
fig.tight_layout(); fig.savefig(f"{figs}/martin-mahoney-regularizers.png", dpi=90)
PY
