#!/usr/bin/env bash
# The README's picture of issue 17: runs sweeps/noise-sgd.yaml and
# sweeps/noise-langevin.yaml (SGD against Langevin dynamics at equal
# temperature over alpha x temperature) with the build's pdx and draws
# docs/noise-sgd-langevin.png (stationary eg, participation ratio of the
# gradient noise D over the dimension, the probability current's chi^2 per
# pair), printing the table behind it.
#   scripts/noise-figures.sh [OUT]   (default OUT: out; FIGS=dir for the
#                                     picture, default docs; PDX=pdx)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-out}
FIGS=${FIGS:-docs}
PDX=${PDX:-build/pdx}
export MPLBACKEND=Agg PYTHONPATH=analysis
mkdir -p "$OUT" "$FIGS"
for s in noise-sgd noise-langevin; do
  SECONDS=0
  "$PDX" run "sweeps/$s.yaml" -o "$OUT/$s.h5" --quiet --threads 2
  echo "$s: ${SECONDS} s" >&2
done
/usr/bin/python3 - "$OUT" "$FIGS" <<'PY'
import sys
import pandas as pd
import pdx_analysis as pa
from pdx_analysis.noise_plot import sgd_vs_langevin
out, figs = sys.argv[1:3]
res = sgd_vs_langevin([pa.load(f"{out}/noise-sgd.h5"),
                       pa.load(f"{out}/noise-langevin.h5")])
res.figure.savefig(f"{figs}/noise-sgd-langevin.png", dpi=80)
pd.set_option("display.width", 200)
cols = ["data.alpha", "train.temperature", "algorithm", "eg", "eg_sem",
        "rank_fraction", "rank99_fraction", "snr", "chi2_per_pair",
        "chi2_per_pair_sem", "significant"]
print(res.table[cols].round(3).to_string(index=False))
PY
