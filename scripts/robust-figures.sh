#!/usr/bin/env bash
# The README's robust-error pictures (issue 18): runs
# sweeps/robust-twolayer.yaml and sweeps/robust-perceptron.yaml (and its
# `pdx theory`) with the build's pdx and draws docs/robust-vs-clean.png
# (robust against clean error across widths and loads of two-layer
# students, with the correlations) and docs/robust-vs-eps.png (robust
# error against the budget on log axes for perceptron cells, with the
# closed-form theory lines); and sweeps/robust-adversarial.yaml:
# docs/robust-adversarial.png (clean, robust and consistent robust error
# over alpha x adversarial-training budget).
#   scripts/robust-figures.sh [OUT]   (default OUT: out; FIGS=dir for the
#                                      pictures, default docs; PDX=pdx)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-out}
FIGS=${FIGS:-docs}
PDX=${PDX:-build/pdx}
export MPLBACKEND=Agg PYTHONPATH=analysis
mkdir -p "$OUT" "$FIGS"
for s in robust-twolayer robust-perceptron robust-adversarial; do
  SECONDS=0
  "$PDX" run "sweeps/$s.yaml" -o "$OUT/$s.h5" --quiet
  echo "$s: ${SECONDS} s" >&2
done
"$PDX" theory sweeps/robust-perceptron.yaml -o "$OUT/robust-perceptron-theory.h5" --quiet --force
/usr/bin/python3 - "$OUT" "$FIGS" <<'PY'
import sys
import pdx_analysis as pa
from pdx_analysis.robust_plot import robust_vs_budget, robust_vs_clean
out, figs = sys.argv[1:3]
tw = pa.load(f"{out}/robust-twolayer.h5")
res = robust_vs_clean(tw, var="robust_error_consistent", size=(6.4, 4.6))
res.figure.savefig(f"{figs}/robust-vs-clean.png", dpi=90)
print(res.table.round(3).to_string(index=False))
print(pa.power_law(tw, by=["student.hidden"]).round(3).to_string(index=False))
sim = pa.load(f"{out}/robust-perceptron.h5")
th = pa.load(f"{out}/robust-perceptron-theory.h5")
cells = [{"data.alpha": a, "record.norm": n} for n in ("l2", "linf") for a in (0.5, 8)]
res = robust_vs_budget(sim, theory=th, cells=cells, size=(6.4, 4.6))
res.figure.savefig(f"{figs}/robust-vs-eps.png", dpi=90)
from matplotlib.figure import Figure
from pdx_analysis.plot import heatmap
adv = pa.load(f"{out}/robust-adversarial.h5")
fig = Figure(figsize=(13, 3.9), layout="constrained")
panels = [("robust_error", 0, "clean error (budget 0)"),
          ("robust_error", 0.3, "robust error, l2 budget 0.3"),
          ("robust_error_consistent", 0.3, "consistent robust error, 0.3")]
for ax, (var, eps, title) in zip(fig.subplots(1, 3), panels):
    heatmap(adv, "data.alpha", "train.adversarial_budget", var=var,
            sel={"budget": eps}, ax=ax, title=title)
fig.savefig(f"{figs}/robust-adversarial.png", dpi=80)
m = adv["robust_error_consistent"].mean("replica").sel(budget=0.3).squeeze()
print(m.round(3).to_series().unstack().to_string())
PY
