#!/usr/bin/env bash
# The README's local-energy pictures (issue 16): runs
# sweeps/flatness-storage.yaml and sweeps/flatness-teacher.yaml with the
# build's pdx and draws docs/flatness-storage.png (local energy against
# the perturbation size of the solutions plain SGD, Entropy-SGD and
# replicated SGD (its centre) find for random labels) and
# docs/flatness-teacher.png (generalization error against alpha, and the
# local energy at alpha = 2, teacher-student; about a minute) and, from
# sweeps/flatness-binary.yaml, docs/flatness-binary.png (plain against
# replicated annealing of binary perceptrons, random labels).
#   scripts/flatness-figures.sh [OUT]  (default OUT: out; FIGS=dir for the
#                                      pictures, default docs; PDX=pdx)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-out}
FIGS=${FIGS:-docs}
PDX=${PDX:-build/pdx}
export MPLBACKEND=Agg PYTHONPATH=analysis
mkdir -p "$OUT" "$FIGS"
for s in flatness-storage flatness-teacher flatness-binary; do
  SECONDS=0
  "$PDX" run "sweeps/$s.yaml" -o "$OUT/$s.h5" --quiet --force
  echo "$s: ${SECONDS} s" >&2
done
/usr/bin/python3 - "$OUT" "$FIGS" <<'PY'
import sys
from matplotlib.figure import Figure
import pdx_analysis as pa
from pdx_analysis.flatness_plot import local_energy_plot
from pdx_analysis.lines import slices
out, figs = sys.argv[1:3]
st = pa.load(f"{out}/flatness-storage.h5")
res = local_energy_plot(st, size=(6.4, 4.4),
                        title="random labels, alpha = 2, K = 5: local energy at the end")
res.figure.savefig(f"{figs}/flatness-storage.png", dpi=90)
print(res.table.round(4).to_string(index=False))
ts = pa.load(f"{out}/flatness-teacher.h5")
fig = Figure(figsize=(11, 4.2))
a1, a2 = fig.subplots(1, 2)
slices(ts, "data.alpha", hue="train.algorithm", variables=["eg"], axes=[a1],
       title="")
a1.set_title("generalization error, teacher-student", fontsize="medium")
r2 = local_energy_plot(ts, sel={"data.alpha": 2}, ax=a2,
                       title="local energy at alpha = 2")
fig.tight_layout()
fig.savefig(f"{figs}/flatness-teacher.png", dpi=90)
bs = pa.load(f"{out}/flatness-binary.h5")
fig = Figure(figsize=(11, 4.2))
axes = fig.subplots(1, 2, sharey=True)
for ax, alpha in zip(axes, [0.3, 0.45]):
    r = local_energy_plot(bs, by="train.replica_count", sel={"data.alpha": alpha},
                          ax=ax, title=f"binary perceptron, random labels, alpha = {alpha}")
    print(r.table.round(4).to_string(index=False))
for ax in axes:
    h, l = ax.get_legend_handles_labels()
    ax.legend(h, [x.replace("1 (", "plain SA, y = 1 (").replace("3 (", "replicated SA, y = 3 (")
                  for x in l], fontsize="small")
    ax.set_xlabel("fraction p of weights flipped")
fig.tight_layout()
fig.savefig(f"{figs}/flatness-binary.png", dpi=90)
m = pa.replica_mean(ts, "eg", time="final")
print(m["mean"].round(4).to_pandas())
print(m["sem"].round(4).to_pandas())
PY
