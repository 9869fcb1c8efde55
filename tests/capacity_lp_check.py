#!/usr/bin/env python3
"""capacity_lp_check.py PDX [N] [SAMPLES]: the interpolation threshold of
`pdx theory --curve gardner-capacity` against an exact linear-separability
test (an LP solved by scipy's HiGHS, independent of pdx and of GSL).

For each label noise F, training sets of P = alpha N teacher-labelled
Gaussian patterns with a fraction F of labels replaced by random ones are
drawn at alpha = alpha_c(F) -/+ 0.4 and tested for strict separability
(the largest t with y_mu w.x_mu >= t for all mu, |w_i| <= 1, is > 0). At N = 200 the transition
has a width of ~0.2 in alpha, so at least 80 % of the sets below and at
most 20 % above must be separable. A wrong flip probability (p = F instead
of F/2 moves alpha_c(0.2) from 2.99 to 2.25) or a wrong maximisation over
R fails this. Long suite (~2 minutes)."""
import subprocess
import sys

import numpy as np
from scipy.optimize import linprog


def alpha_c(pdx, F):
    out = subprocess.run([pdx, "theory", "--curve", "gardner-capacity",
                          "--label-noise", str(F)], check=True,
                         capture_output=True, text=True).stdout.splitlines()
    head, row = out[0].split(","), out[1].split(",")
    assert row[head.index("status")] == "solved", out
    return float(row[head.index("alpha_c")])


def separable(rng, N, P, F):
    B = rng.standard_normal(N)
    X = rng.standard_normal((P, N))
    y = np.sign(X @ B)
    replaced = rng.random(P) < F
    y[replaced] = rng.choice([-1.0, 1.0], size=int(replaced.sum()))
    # the largest margin t with weights in a box: bounded and feasible
    # (w = 0, t = 0), so the solver always answers; separable iff t > 0
    c = np.zeros(N + 1)
    c[-1] = -1.0
    A = np.hstack([-(y[:, None] * X), np.ones((P, 1))])
    res = linprog(c, A_ub=A, b_ub=np.zeros(P),
                  bounds=[(-1.0, 1.0)] * N + [(0.0, None)], method="highs")
    if res.status != 0:
        raise RuntimeError(f"LP status {res.status}: {res.message}")
    return -res.fun > 1e-7


def main():
    pdx = sys.argv[1]
    N = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    samples = int(sys.argv[3]) if len(sys.argv) > 3 else 30
    rng = np.random.default_rng(20261204)
    failures = 0
    for F in (1.0, 0.2):
        ac = alpha_c(pdx, F)
        for da, ok in ((-0.4, lambda f: f >= 0.8), (0.4, lambda f: f <= 0.2)):
            P = int(round((ac + da) * N))
            frac = np.mean([separable(rng, N, P, F) for _ in range(samples)])
            good = ok(frac)
            failures += not good
            print(f"F={F} alpha_c={ac:.5f} alpha={P / N:.3f}: "
                  f"{frac:.2f} of {samples} separable "
                  f"{'ok' if good else 'FAIL'}", flush=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
