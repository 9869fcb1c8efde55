#!/usr/bin/env python3
"""theory_independent.py KIND ALPHA T P Q0 R0: an independent solver of the
replica-symmetric saddle points of Gibbs learning of perceptrons, for the
held-out numbers of tests/test_theory.c (test_theory_gibbs_independent,
test_theory_gibbs_high_temperature_limits). Not a test itself: it takes
minutes per point (mpmath, 20 digits).

KIND s: spherical student: extremum of
    G(q, R) = ln(1-q)/2 + (q - R^2)/(2(1-q)) + 2 alpha E(q, R),
KIND i: Ising student and teacher: q = <tanh^2>, R = <tanh> over Dz of
    tanh(sqrt(qh) z + Rh), qh = -4 alpha dE/dq, Rh = 2 alpha dE/dR,
with E(q, R) = int Dt W(a t) L(b t), a = R/sqrt(q - R^2), b = sqrt(q/(1-q)),
W(u) = (1-p) H(-u) + p H(u), L(x) = ln[e^-1/T + (1 - e^-1/T) H(-x)]
(Engel & Van den Broeck 2001, ch. 2 and 4; Gyorgyi 1990; Seung, Sompolinsky
& Tishby 1992). Unlike src/theory_perceptron.c it uses no analytic
derivatives (mpmath.diff of E at 20 digits), mpmath's tanh-sinh quadrature
and mpmath.findroot (Newton) from (Q0, R0). P is the flip probability p.
Prints q, R and eg = arccos(R)/pi.
"""
import sys

from mpmath import mp, mpf, quad, erfc, sqrt, exp, log, diff, findroot, acos, pi, tanh, inf

mp.dps = 20


def H(x):
    return erfc(x / sqrt(2)) / 2


def Dt(t):
    return exp(-t * t / 2) / sqrt(2 * pi)


def E(q, R, T, p):
    a = R / sqrt(q - R * R)
    b = sqrt(q / (1 - q))

    def L(x):
        h = H(-x)
        if T == 0:
            return log(h)
        return log(exp(-1 / mpf(T)) + (1 - exp(-1 / mpf(T))) * h)

    def W(u):
        return (1 - p) * H(-u) + p * H(u)

    pts = sorted(set([-inf, -8, -2, -1 / b, 0, 1 / b, 2, 8, inf] +
                     ([-1 / a, 1 / a] if a > 0 else [])))
    return quad(lambda t: Dt(t) * W(a * t) * L(b * t), pts)


def spherical(alpha, T, p, q0, R0):
    def G(q, R):
        return log(1 - q) / 2 + (q - R * R) / (2 * (1 - q)) + 2 * alpha * E(q, R, T, p)

    def grad(q, R):
        return [diff(lambda x: G(x, R), q), diff(lambda y: G(q, y), R)]

    return findroot(grad, (mpf(q0), mpf(R0)))


def ising(alpha, T, p, q0, R0):
    def eqs(q, R):
        qh = -4 * alpha * diff(lambda x: E(x, R, T, p), q)
        Rh = 2 * alpha * diff(lambda y: E(q, y, T, p), R)
        s = sqrt(qh)
        return [quad(lambda z: Dt(z) * tanh(s * z + Rh) ** 2, [-inf, -Rh / s, inf]) - q,
                quad(lambda z: Dt(z) * tanh(s * z + Rh), [-inf, -Rh / s, inf]) - R]

    return findroot(eqs, (mpf(q0), mpf(R0)))


def main():
    if len(sys.argv) != 7 or sys.argv[1] not in ("s", "i"):
        sys.exit(__doc__)
    kind = sys.argv[1]
    alpha, T, p = (mpf(a) for a in sys.argv[2:5])
    q, R = (spherical if kind == "s" else ising)(alpha, T, p, sys.argv[5], sys.argv[6])
    print(kind, "alpha", sys.argv[2], "T", sys.argv[3], "p", sys.argv[4],
          "q", mp.nstr(q, 12), "R", mp.nstr(R, 12), "eg", mp.nstr(acos(R) / pi, 12))


if __name__ == "__main__":
    main()
