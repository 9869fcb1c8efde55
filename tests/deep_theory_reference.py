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

from scipy import integrate, optimize, special

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


# hard_tanh and sigmoid: the same maps with their phi (kinks of hard_tanh
# at +-1 are break points of the quadrature)


def act(name):
    if name == "hard_tanh":
        return (lambda x: max(-1.0, min(1.0, x)),
                lambda x: 1.0 if -1.0 < x < 1.0 else 0.0)
    return (lambda x: float(special.expit(x)),
            lambda x: math.exp(-abs(x)) / (1.0 + math.exp(-abs(x))) ** 2)


def gauss_k(f, kinks):
    val, _ = integrate.quad(lambda z: f(z) * math.exp(-z * z / 2) / SQ2PI,
                            -40, 40, epsabs=1e-15, epsrel=1e-13, limit=400,
                            points=sorted(set([0.0] + list(kinks))))
    return val


def q_star_g(name, sw, sb):
    phi, _ = act(name)
    def gap(q):
        s = math.sqrt(q)
        k = [1 / s, -1 / s] if s > 0 else []
        return sw * gauss_k(lambda z: phi(s * z) ** 2, k) + sb - q
    return optimize.brentq(gap, sb if sb > 0 else 1e-12, sw + sb + 1,
                           xtol=1e-15, rtol=1e-15)


def chi1_g(name, sw, sb):
    _, dphi = act(name)
    s = math.sqrt(q_star_g(name, sw, sb))
    return sw * gauss_k(lambda z: dphi(s * z) ** 2, [1 / s, -1 / s])


def c_star_g(name, sw, sb):
    phi, dphi = act(name)
    q = q_star_g(name, sw, sb)
    s = math.sqrt(q)

    def e2(f, c):
        r = math.sqrt(1 - c * c)
        def inner(a):
            kk = [(1 / s - c * a) / r, (-1 / s - c * a) / r]
            return gauss_k(lambda b: f(s * a) * f(s * (c * a + r * b)), kk)
        return gauss_k(inner, [1 / s, -1 / s])
    c = optimize.brentq(lambda c: (sw * e2(phi, c) + sb) / q - c, 0.0, 1 - 1e-4,
                        xtol=1e-12)
    return c, sw * e2(dphi, c)


def main_more():
    print("# hard_tanh, sigmoid: q*, chi_1 (and c*, chi_c where chaotic)")
    for name, sw, sb in (("hard_tanh", 0.5, 0.05), ("hard_tanh", 2.0, 0.05),
                         ("sigmoid", 4.0, 0.0), ("sigmoid", 20.0, 0.5),
                         ("sigmoid", 60.0, 0.05), ("sigmoid", 200.0, 0.05)):
        chi = chi1_g(name, sw, sb)
        line = "%s sw %g sb %g q* %.12f chi_1 %.12f" % (
            name, sw, sb, q_star_g(name, sw, sb), chi)
        if chi > 1:
            c, chic = c_star_g(name, sw, sb)
            line += " c* %.12f chi_c %.12f" % (c, chic)
        print(line)
    for name, sb in (("hard_tanh", 0.05), ("sigmoid", 0.0), ("sigmoid", 0.05)):
        lo = 1.0 if name == "hard_tanh" else 16.0
        w = optimize.brentq(lambda sw: chi1_g(name, sw, sb) - 1.0, lo, 1000.0,
                            xtol=1e-12, rtol=1e-13)
        print("%s critical sigma_b2 %g sigma_w2_c %.12f" % (name, sb, w))


if __name__ == "__main__":
    main()
    main_more()
