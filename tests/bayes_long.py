#!/usr/bin/env python3
"""Bayes by simulation against theory (record.bayes, issue 14 item 5).

    bayes_long.py PDX

Metropolis Gibbs learning of a spherical perceptron at the Nishimori
temperature of its labels: flip probability p = F/2 = 0.2 (data.label_noise
F = 0.4), T = 1/ln((1-p)/p) = 0.7213, teacher rows of norm sqrt(N)
(teacher.normalise: unit_norm, so R_mean is the direction cosine). The
Gibbs measure is then the Bayes posterior (the teacher's prior is uniform on
the sphere), so (Nishimori) the overlap q of two samples equals their
overlap R with the teacher, and the centre of mass of the samples is the
Bayes-optimal estimator, whose error is `pdx theory --curve
bayes-spherical`'s eg = arccos(sqrt(q))/pi. Checked at N = 150, 16
replicas, alpha = 1 and 3, 1500 sweeps (burn-in 500):
  - q_mean - R_mean (paired per replica) within 3 standard errors of 0;
  - q_mean and R_mean within 3 standard errors + 0.03 (finite N) of the
    replica-symmetric q = R of `gibbs-spherical` at that T and noise;
  - eg_bayes within 3 standard errors + 0.02 of bayes-spherical's eg (the
    centre of mass of ~2000 correlated samples: its norm is biased up by
    O((1-q)/samples), its error by a little more than finite N);
  - eg_bayes below eg_mean (the Bayes estimator beats a Gibbs sample) by
    more than 3 standard errors.
Exit 0 on success, 1 with the failing numbers printed.
"""
import math
import os
import subprocess
import sys
import tempfile

os.environ.setdefault("HDF5_USE_FILE_LOCKING", "FALSE")
import h5py  # noqa: E402
import numpy as np  # noqa: E402

T_NISHIMORI = 1.0 / math.log(0.8 / 0.2)
ALPHAS = [1.0, 3.0]
SPEC = f"""name: bayes-long
seed: 2026
replicas: 16
N: 150
teacher: {{kind: perceptron, normalise: unit_norm}}
student: {{kind: perceptron, weights: spherical}}
data: {{alpha: [{ALPHAS[0]}, {ALPHAS[1]}], label_noise: 0.4}}
train: {{algorithm: metropolis, temperature: {T_NISHIMORI!r}, epochs: 1500, burn_in: 500}}
record: {{times: [1500], bayes: true}}
"""


def curve(pdx, name, extra):
    out = subprocess.run([pdx, "theory", "--curve", name, "--alpha",
                          ",".join(str(a) for a in ALPHAS),
                          "--label-noise", "0.4"] + extra,
                         check=True, capture_output=True, text=True).stdout
    lines = out.strip().splitlines()
    head = lines[0].split(",")
    return [dict(zip(head, line.split(","))) for line in lines[1:]]


def main():
    pdx = os.path.abspath(sys.argv[1])
    bad = 0
    with tempfile.TemporaryDirectory() as work:
        spec = os.path.join(work, "bayes.yaml")
        with open(spec, "w") as f:
            f.write(SPEC)
        out = os.path.join(work, "bayes.h5")
        subprocess.run([pdx, "run", spec, "-o", out, "-q"], check=True)
        gibbs = curve(pdx, "gibbs-spherical", ["--T", repr(T_NISHIMORI)])
        bayes = curve(pdx, "bayes-spherical", [])
        with h5py.File(out, "r") as f:
            qm, Rm = f["q_mean"][...], f["R_mean"][..., 0, 0]
            eb, em = f["eg_bayes"][...], f["eg_mean"][...]
    n = qm.shape[-1]

    def se(x):
        return x.std(-1, ddof=1) / math.sqrt(n)

    for i, a in enumerate(ALPHAS):
        q_th = float(gibbs[i]["q"])
        eb_th = float(bayes[i]["eg"])
        d = qm[i] - Rm[i]
        checks = [
            ("q_mean - R_mean", d.mean(), 0.0, 3 * se(d)),
            ("q_mean", qm[i].mean(), q_th, 3 * se(qm[i]) + 0.03),
            ("R_mean", Rm[i].mean(), q_th, 3 * se(Rm[i]) + 0.03),
            ("eg_bayes", eb[i].mean(), eb_th, 3 * se(eb[i]) + 0.02),
        ]
        for name, value, want, tol in checks:
            ok = abs(value - want) <= tol
            bad += not ok
            print(f"alpha {a}: {name} {value:.4f}, theory {want:.4f} "
                  f"(tolerance {tol:.4f}) {'ok' if ok else 'FAIL'}")
        gain = em[i] - eb[i]
        ok = gain.mean() > 3 * se(gain)
        bad += not ok
        print(f"alpha {a}: eg_mean - eg_bayes {gain.mean():.4f} +- "
              f"{se(gain):.4f} {'ok' if ok else 'FAIL'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
