#!/usr/bin/env bash
# The main job: install/build, run sweeps/quickstart.yaml, draw its phase
# diagram. Prints where the HDF5 file and the picture are.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
mkdir -p out
./build/pdx run sweeps/quickstart.yaml -o out/quickstart.h5 --force
MPLBACKEND=Agg PYTHONPATH=analysis /usr/bin/python3 -m pdx_analysis plot \
  out/quickstart.h5 -x train.learning_rate -y student.hidden --var eg \
  --time final --log-color -o out/quickstart.png
echo "results: $(pwd)/out/quickstart.h5"
echo "picture: $(pwd)/out/quickstart.png"
