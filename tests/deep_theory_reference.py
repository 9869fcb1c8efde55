#!/usr/bin/env python3
"""deep_theory_reference.py: independent reference values for the
mean-field theory of random deep networks (src/theory_deep.c), computed
with scipy's adaptive quadrature (QUADPACK) and brentq, not with GSL or
pdx's code. tests/test_theory.c holds the numbers this prints; rerun it
(/usr/bin/python3 tests/deep_theory_reference.py) to check them.

Conventions (Poole et al. 2016, Schoenholz et al. 2017): W ~ N(0,
sigma_w2/fan_in), b ~ N(0, sigma_b2); q -> sigma_w2 E[phi(sqrt(q) z)^2] +
sigma_b2; chi_1 = sigma_w2 E[phi'(sqrt(q*) z)^2]; the correlation map
c -> (sigma_w2 E[phi(u1) phi(u2)] + sigma_b2) / q*, u1 = sqrt(q*) z1, u2 =
sqrt(q*) (c z1 + sqrt(1 - c^2) z2); chi_c = sigma_w2 E[phi'(u1) phi'(u2)]
at c*.
"""
import math

from scipy import integrate, optimize

SQ2PI = math.sqrt(2 * math.pi)


def gauss(f):
    """E_z f(z), z ~ N(0, 1)."""
    val, _ = integrate.quad(lambda z: f(z) * math.exp(-z * z / 2) / SQ2PI,
                            -40, 40, epsabs=1e-15, epsrel=1e-13, limit=400,
                            points=[0.0])
    return val


def gauss2(f):
    """E f(z1, z2) over two independent standard normals (nested quad)."""
    def inner(z1):
        return gauss(lambda z2: f(z1, z2))
    return gauss(inner)


def dtanh(x):
    t = math.tanh(x)
    return 1.0 - t * t


def d2tanh(x):
    t = math.tanh(x)
    return -2.0 * t * (1.0 - t * t)


def q_map(q, sw, sb):
    s = math.sqrt(q)
    return sw * gauss(lambda z: math.tanh(s * z) ** 2) + sb


def q_star(sw, sb):
    if sb == 0.0 and sw <= 1.0:
        return 0.0
    lo = 1e-12 if sb == 0.0 else sb
    return optimize.brentq(lambda q: q_map(q, sw, sb) - q, lo, sw + sb + 1,
                           xtol=1e-15, rtol=1e-15)


def chi1(sw, sb):
    s = math.sqrt(q_star(sw, sb))
    return sw * gauss(lambda z: dtanh(s * z) ** 2)


def slope_q(sw, sb):
    s = math.sqrt(q_star(sw, sb))
    return chi1(sw, sb) + sw * gauss(lambda z: d2tanh(s * z) *
                                     math.tanh(s * z))


def c_map(c, q, sw, sb):
    s = math.sqrt(q)
    r = math.sqrt(max(0.0, 1 - c * c))
    e = gauss2(lambda a, b: math.tanh(s * a) * math.tanh(s * (c * a + r * b)))
    return (sw * e + sb) / q


def chi_c(c, q, sw):
    s = math.sqrt(q)
    r = math.sqrt(max(0.0, 1 - c * c))
    return sw * gauss2(lambda a, b: dtanh(s * a) * dtanh(s * (c * a + r * b)))


def critical_sw(sb):
    return optimize.brentq(lambda sw: chi1(sw, sb) - 1.0, 1.0, 20.0,
                           xtol=1e-13, rtol=1e-13)


def main():
    print("# tanh critical line sigma_w2(sigma_b2) at chi_1 = 1")
    for sb in (0.01, 0.05, 0.1, 0.5, 1.0, 2.0):
        print("sigma_b2 %-5g sigma_w2_c %.12f" % (sb, critical_sw(sb)))
    print("# q*, chi_1, dq/dq at q*")
    for sw, sb in ((0.5, 0.05), (1.5, 0.05), (2.0, 0.05), (4.0, 0.05),
                   (2.5, 0.0), (1.5, 1.0)):
        print("sw %-4g sb %-4g q* %.12f chi_1 %.12f slope_q %.12f" %
              (sw, sb, q_star(sw, sb), chi1(sw, sb), slope_q(sw, sb)))
    print("# chaotic phase: c*, chi_c")
    for sw, sb in ((2.0, 0.05), (4.0, 0.05), (3.0, 0.5)):
        q = q_star(sw, sb)
        c = optimize.brentq(lambda c: c_map(c, q, sw, sb) - c, 0.0,
                            1 - 1e-4, xtol=1e-13)
        print("sw %-4g sb %-4g c* %.12f chi_c %.12f" % (sw, sb, c,
                                                        chi_c(c, q, sw)))
    print("# layers: q0 = 1, c0 = 0.5, sw 2, sb 0.05 (layer 1 = sw q0 + sb)")
    sw, sb = 2.0, 0.05
    q = sw * 1.0 + sb
    c = (sw * 1.0 * 0.5 + sb) / q
    for layer in range(1, 5):
        print("layer %d q %.12f c %.12f" % (layer, q, c))
        q_next = q_map(q, sw, sb)
        c_num = c_map(c, q, sw, sb) * q
        q, c = q_next, c_num / q_next


if __name__ == "__main__":
    main()
