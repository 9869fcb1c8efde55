#!/usr/bin/env python3
"""Simulated sweeps against their theory files, end to end.

    theory_agreement.py PDX SOURCE_ROOT SCENARIO

runs `pdx run SPEC` and `pdx theory SPEC` on a spec written here and
compares the replica mean of the simulation with the theory file cell by
cell (h5py). Scenarios:

  hebb       Hebb rule, perceptron teacher (Gaussian and binary) and student
             (spherical and clipped binary), N = 1000, label noise 0 and
             0.3, at 1/2, 1 and 2 epochs (the trainer makes one pass):
             every cell within 3.5 standard errors
             and the root-mean-square z below 1.5 (cells share training
             sets, so their z are correlated).
  committee  online SGD of erf committees, N = 1000, two settings (K = M = 2
             from a small start; K = 3, M = 2 with a trained second layer
             and output noise), 24 replicas: the theory file's ODE (typical
             initial overlaps) within 3 standard errors + 0.004 (its
             finite-size offset at N = 1000) at every time before the
             plateau escape.
  gibbs      Metropolis Gibbs learning of spherical perceptrons at T = 0.5
             and 1, N = 200, 16 replicas: eg_mean and train_error_mean within
             3 standard errors plus 0.01 (finite N) of the equilibrium.
Exit 0 on success, 1 with the failing cells printed.
"""
import os
import subprocess
import sys
import tempfile

os.environ.setdefault("HDF5_USE_FILE_LOCKING", "FALSE")
import h5py  # noqa: E402
import numpy as np  # noqa: E402

SPECS = {
    "hebb": """name: theory-hebb
seed: 2024
replicas: 16
N: 1000
teacher: {kind: perceptron, weights: [gaussian, binary]}
student: {kind: perceptron, weights: [spherical, binary]}
data: {alpha: [0.5, 1.5, 4, 9], label_noise: [0, 0.3]}
train: {algorithm: hebb, epochs: 2}
record: {times: [0.5, 1, 2]}
""",
    "committee": """name: theory-committee
seed: 77
replicas: 24
N: 1000
teacher: {kind: committee, hidden: 2, activation: erf, output_noise: [0, 0.3]}
student: {kind: committee, hidden: [2, 3], activation: erf, init_scale: 0.2, second_layer: [fixed, trained]}
train: {algorithm: online, learning_rate: 0.4, alpha: 12}
record: {times: [0.25, 0.5, 1, 2, 4, 8, 12]}
""",
    "gibbs": """name: theory-gibbs
seed: 1992
replicas: 16
N: 200
teacher: {kind: perceptron, weights: binary}
student: {kind: perceptron, weights: spherical}
data: {alpha: [0.5, 1.0, 2.0]}
train: {algorithm: metropolis, temperature: [0.5, 1.0], epochs: 600, burn_in: 300, move_scale: 0.5}
record: {times: [600]}
""",
}


def run(pdx, args):
    r = subprocess.run([pdx] + args, capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stdout + r.stderr)
        raise SystemExit(f"pdx {' '.join(args)} failed ({r.returncode})")


def replica_axis(f, var):
    """Index of the replica dimension of `var` (by dimension scale)."""
    names = [d.label for d in f[var].dims]
    if "replica" in names:
        return names.index("replica")
    # h5py labels come from H5DS; fall back on the shape
    return len(f["status"].shape) - 1


def zscores(sim, th, var, extra=0.0):
    x = sim[var][...]
    ax = replica_axis(sim, var)
    n = x.shape[ax]
    m = x.mean(axis=ax)
    se = x.std(axis=ax, ddof=1) / np.sqrt(n)
    t = th[var][...]
    assert m.shape == t.shape, (var, m.shape, t.shape)
    return (m - t) / (se + extra / 3.0), m, se, t


def check_hebb(sim, th):
    z, m, se, t = zscores(sim, th, "eg")
    ok = np.isfinite(z)
    assert ok.all(), "theory or simulation missing"
    bad = np.abs(z) > 3.5
    rms = float(np.sqrt(np.mean(z ** 2)))
    print(f"hebb: {z.size} comparisons, max |z| {np.abs(z).max():.2f}, "
          f"rms z {rms:.2f}")
    for idx in zip(*np.nonzero(bad)):
        print(f"  cell {idx}: sim {m[idx]:.4f} +- {se[idx]:.4f}, "
              f"theory {t[idx]:.4f}")
    # R of spherical students is the normalised overlap in both files
    return not bad.any() and rms < 1.5


def check_committee(sim, th):
    z, m, se, t = zscores(sim, th, "eg")
    print(f"committee: {z.size} comparisons, max |z| {np.nanmax(np.abs(z)):.2f}")
    # The ODE starts from typical initial overlaps; at N = 1000 the
    # simulation sits above it by about 0.003 early on (600 replicas, K = 2,
    # t = 0.25: 0.3008 +- 0.0005 against 0.2979, with either random stream
    # version), a finite-size offset common to all replicas, so 3 SE of 24
    # replicas (~0.0024) alone fails for about one seed in three. Allow
    # FINITE_N on top of 3 SE; a wrong rate, step or eg formula moves eg by
    # far more.
    FINITE_N = 0.004
    bad = ~(np.abs(m - t) <= 3.0 * se + FINITE_N)
    for idx in zip(*np.nonzero(bad)):
        print(f"  cell {idx}: sim {m[idx]:.5f} +- {se[idx]:.5f}, "
              f"theory {t[idx]:.5f}")
    # the theory is not a flat line: eg falls by a factor > 3 over the run
    assert np.all(t[..., 0] > 3 * t[..., -1]), t
    return not bad.any()


def check_gibbs(sim, th):
    good = True
    for var in ("eg_mean", "train_error_mean"):
        z, m, se, t = zscores(sim, th, var, extra=0.01)
        print(f"gibbs {var}: max |z| {np.abs(z).max():.2f}")
        for idx in zip(*np.nonzero(np.abs(z) > 3.0)):
            print(f"  cell {idx}: sim {m[idx]:.4f} +- {se[idx]:.4f}, "
                  f"theory {t[idx]:.4f}")
            good = False
    return good


def main():
    pdx, _root, scenario = sys.argv[1:4]
    with tempfile.TemporaryDirectory() as tmp:
        spec = os.path.join(tmp, scenario + ".yaml")
        with open(spec, "w") as f:
            f.write(SPECS[scenario])
        sim_path = os.path.join(tmp, "sim.h5")
        th_path = os.path.join(tmp, "theory.h5")
        run(pdx, ["run", spec, "-o", sim_path, "--quiet"])
        run(pdx, ["theory", spec, "-o", th_path, "--quiet"])
        with h5py.File(sim_path, "r") as sim, h5py.File(th_path, "r") as th:
            src = th.attrs["source"]
            src = src.decode() if isinstance(src, bytes) else str(src)
            assert src == "theory", src
            assert "replica" not in th
            st = th["status"][...]
            assert np.all(st == 1), f"theory status {np.unique(st)}"
            ok = {"hebb": check_hebb, "committee": check_committee,
                  "gibbs": check_gibbs}[scenario](sim, th)
    if not ok:
        print(f"{scenario}: simulation and theory disagree")
        return 1
    print(f"{scenario}: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
