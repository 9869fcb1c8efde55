"""quickstart_test.py PDX SOURCE_ROOT — the quickstart's picture is the
physics it claims (issue 19, item 7): sweeps/quickstart.yaml (Gibbs
learning of a spherical perceptron by Metropolis over load x temperature)
agrees with the replica-symmetric theory `pdx theory` computes on the same
grid, and scripts/quickstart.sh's plot command draws it with the theory's
contours. Tolerances: the replica mean of eg_mean (4 replicas, N = 100)
within 0.03 of the theory in every cell and within 0.01 on average (the
README quotes 0.016 and -0.004); eg falls with alpha at every T."""
import os
import shlex
import subprocess
import sys
import tempfile

import numpy as np

pdx, root = sys.argv[1:3]
sys.path.insert(0, os.path.join(root, "analysis"))
import pdx_analysis  # noqa: E402

spec = os.path.join(root, "sweeps", "quickstart.yaml")
with tempfile.TemporaryDirectory() as d:
    out, th, png = (os.path.join(d, n) for n in ("q.h5", "q-theory.h5", "q.png"))
    subprocess.run([pdx, "run", spec, "-o", out, "--quiet", "--threads", "2"],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run([pdx, "theory", spec, "-o", th, "--quiet"], check=True,
                   stdout=subprocess.DEVNULL)
    ds, t = pdx_analysis.load(out), pdx_analysis.load(th)
    assert (ds["status"].values == 1).all(), "unfinished tasks"
    assert (t["status"].values == 1).all(), "theory not solved everywhere"
    sim = ds["eg_mean"].mean("replica")
    theory = t["eg"].isel(time=-1)
    diff = (sim - theory).values
    print(f"quickstart: max |sim - theory| = {np.abs(diff).max():.4f}, "
          f"mean {diff.mean():+.4f}")
    assert np.abs(diff).max() < 0.03, np.abs(diff).max()
    assert abs(diff.mean()) < 0.01, diff.mean()
    # more data, less error: at every temperature
    assert (np.diff(theory.transpose("train.temperature", "data.alpha").values,
                    axis=1) < 0).all()
    assert (sim.isel({"data.alpha": -1}) < sim.isel({"data.alpha": 0})).all()
    # the plot command of scripts/quickstart.sh, on these files
    script = open(os.path.join(root, "scripts", "quickstart.sh")).read()
    line = script[script.index("-m pdx_analysis plot"):].split("-o out/")[0]
    args = shlex.split(line.replace("\\\n", " "))[2:]
    args = [out if a == "out/quickstart.h5" else th if a == "out/quickstart-theory.h5"
            else a for a in args]
    env = dict(os.environ, MPLBACKEND="Agg",
               PYTHONPATH=os.path.join(root, "analysis"))
    subprocess.run([sys.executable, "-m", "pdx_analysis"] + args + ["-o", png],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    assert os.path.getsize(png) > 10000
print("quickstart: simulation and theory agree; picture drawn")
