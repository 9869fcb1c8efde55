#!/usr/bin/env bash
# The README's deep-network pictures (issue 15), simulation and mean-field
# theory together: runs sweeps/deep-chaos.yaml, deep-layers.yaml and
# deep-trainability.yaml with the build's pdx, their `pdx theory`, and
# draws docs/deep-chaos.png, docs/deep-layers-q0-0.25.png,
# docs/deep-layers-q0-4.png and docs/deep-trainability.png (the trainable
# depth table goes to OUT/deep-trainability-bounds/).
#   scripts/deep-figures.sh [OUT]      (default OUT: out; FIGS=dir for the
#                                       pictures, default docs)
# Results are kept: a second call resumes or reuses finished runs and
# theory files (delete OUT/deep-*.h5 to start over). PDX=path overrides
# build/pdx. Prints each sweep's wall time (run + theory) on stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-out}
FIGS=${FIGS:-docs}
PDX=${PDX:-build/pdx}
PY=/usr/bin/python3
export MPLBACKEND=Agg PYTHONPATH=analysis
mkdir -p "$OUT" "$FIGS"
for s in deep-chaos deep-layers deep-trainability; do
  SECONDS=0
  "$PDX" run "sweeps/$s.yaml" -o "$OUT/$s.h5" --quiet
  th="$OUT/$s-theory.h5"  # again only when the spec or pdx is newer
  if [ ! -e "$th" ] || [ "sweeps/$s.yaml" -nt "$th" ] || [ "$PDX" -nt "$th" ]; then
    "$PDX" theory "sweeps/$s.yaml" -o "$th" --quiet --force
  fi
  echo "$s: ${SECONDS} s (run + theory)" >&2
done
A=("$PY" -m pdx_analysis)
# (a) order to chaos: simulated c^60, simulated (white) and theory (black
# dashed) contours at c = 0.5, 0.9, the theory's chi_1 = 1 line (red)
"${A[@]}" plot "$OUT/deep-chaos.h5" --theory "$OUT/deep-chaos-theory.h5" \
  -x student.sigma_w2 -y student.sigma_b2 --var c_layer --sel layer=60 \
  --contours 0.5,0.9 --boundary all -o "$FIGS/deep-chaos.png"
# (b) q^l and c^l against depth: simulation dots +- standard error, theory
# dashed, from inputs shorter (q0 = 0.25) and longer (q0 = 4) than q*
for q0 in 0.25 4; do
  "${A[@]}" slice "$OUT/deep-layers.h5" --theory "$OUT/deep-layers-theory.h5" \
    -x layer --hue student.sigma_w2 --var q_layer --var c_layer \
    --sel propagate.q0=$q0 -o "$FIGS/deep-layers-q0-$q0.png"
done
# (c) trainability: final train_error over sigma_w2 x depth, the simulated
# trainable depth (white, +- uncertainty) and the theory's 6 xi_c (dashed);
# no contours (they would be white like the trainable-depth line)
"${A[@]}" plot "$OUT/deep-trainability.h5" --theory "$OUT/deep-trainability-theory.h5" \
  -x student.sigma_w2 -y student.depth --var train_error --contours 0 \
  --boundary trainable-depth -o "$FIGS/deep-trainability.png"
"${A[@]}" boundaries "$OUT/deep-trainability.h5" --theory "$OUT/deep-trainability-theory.h5" \
  --kind trainable-depth -o "$OUT/deep-trainability-bounds"
