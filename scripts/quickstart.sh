#!/usr/bin/env bash
# The main job: install/build, run sweeps/quickstart.yaml (Gibbs learning
# of a spherical perceptron over load x temperature), compute its
# replica-symmetric theory on the same grid, and draw the measured
# generalization error with the theory's contours over it. Prints where the
# HDF5 files and the picture are. About 25 s on 2 cores with the build.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
mkdir -p out
./build/pdx run sweeps/quickstart.yaml -o out/quickstart.h5 --force --quiet >/dev/null
./build/pdx theory sweeps/quickstart.yaml -o out/quickstart-theory.h5 --force --quiet >/dev/null
MPLBACKEND=Agg PYTHONPATH=analysis /usr/bin/python3 -m pdx_analysis plot \
  out/quickstart.h5 --theory out/quickstart-theory.h5 \
  -x data.alpha -y train.temperature --var eg_mean \
  --contours 0.12,0.15,0.2,0.3,0.4 --no-log-color \
  --title "Gibbs learning: eg over load x temperature (RS theory dashed)" \
  -o out/quickstart.png >/dev/null
echo "results: $(pwd)/out/quickstart.h5"
echo "theory:  $(pwd)/out/quickstart-theory.h5"
echo "picture: $(pwd)/out/quickstart.png"
