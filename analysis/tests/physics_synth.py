"""Hand-made pdx files with boundaries placed at known positions.

Every generator returns the path and a dict of the true boundary positions
so that tests (and anyone checking the boundary code) can compare:

* :func:`finite_data` -- axes data.alpha (lin 0.5 .. 3, 11 values) x
  train.temperature (0, 0.1, 0.2) x train.start (hot, cold), 4 replicas,
  12 log-spaced times. ``train_error`` leaves zero linearly at
  alpha_c(T) = 2 - 2T (per-replica jitter); ``eg`` jumps down at
  alpha_hot(T) = 2.2 + T (hot start) and alpha_cold(T) = 1.2 + T (cold),
  and over time has its minimum at tau*(alpha) = 20 alpha (early stopping).
* :func:`finite_theory` -- the theory file of the same grid: ``eg`` with
  its jump at alpha_c(T) = 1.7 + T, ``train_error``, the variables
  ``alpha_c`` and ``alpha_spinodal`` (2.2 + T), per-cell status with
  pending, not applicable and not converged cells.
* :func:`divergence_sweep` -- axes train.learning_rate (log 0.1 .. 10, 9
  values) x student.hidden (1, 2, 4), 3 replicas: runs diverge (status 2)
  above eta_c(K) = 4 / K (per-replica jitter of a few percent).
"""

from __future__ import annotations

import numpy as np

from pdx_synth import DIVERGED, DONE, FAILED, PENDING, Axis, write_custom

ALPHA = np.linspace(0.5, 3.0, 11)
TEMPS = np.array([0.0, 0.1, 0.2])
TIMES = np.geomspace(1.0, 1000.0, 12)


def alpha_interp(t):
    return 2.0 - 2.0 * np.asarray(t)


def alpha_hot(t):
    return 2.2 + np.asarray(t)


def alpha_cold(t):
    return 1.2 + np.asarray(t)


def tau_star(alpha):
    return 20.0 * np.asarray(alpha)


def _axes(start=True):
    axes = [Axis("data.alpha", ALPHA, "real", "lin", long_name="training-set size alpha"),
            Axis("train.temperature", TEMPS, "real", "list", long_name="temperature T")]
    if start:
        axes.append(Axis("train.start", [0, 1], "choice", "list", choices=["hot", "cold"],
                         units="", long_name="initialisation"))
    return axes


def finite_data(path, replicas=4, seed=5, status=None, jitter=0.03, **kwargs):
    """Write the finite-data sweep; return (path, truth)."""
    rng = np.random.default_rng(seed)
    na, nt, ns, nr, ntime = len(ALPHA), len(TEMPS), 2, replicas, len(TIMES)
    te = np.empty((na, nt, ns, nr, ntime))
    eg = np.empty((na, nt, ns, nr, ntime))
    shift = rng.normal(0.0, jitter, (nt, ns, nr))  # a replica's own threshold
    jshift = rng.normal(0.0, jitter, (nt, ns, nr))
    tshift = rng.normal(0.0, 0.02, (na, nt, ns, nr))
    for i, a in enumerate(ALPHA):
        for j, t in enumerate(TEMPS):
            for k in range(ns):
                aj = (alpha_hot(t) if k == 0 else alpha_cold(t))
                for r in range(nr):
                    final = 0.4 * max(0.0, a - alpha_interp(t) - shift[j, k, r])
                    te[i, j, k, r] = final + (0.5 - final) * np.exp(-TIMES / 5.0)
                    base = 0.3 / (1 + a) if a < aj + jshift[j, k, r] else 0.02
                    lt = np.log(TIMES / (tau_star(a) * np.exp(tshift[i, j, k, r])))
                    eg[i, j, k, r] = base * (1.0 + 0.5 * lt ** 2 / (1.0 + 0.25 * lt ** 2))
    if status is not None:
        te = np.where(status[..., None] == DONE, te, np.nan)
        eg = np.where(status[..., None] == DONE, eg, np.nan)
    write_custom(path, _axes(), {"train_error": te, "eg": eg}, replicas=replicas,
                 times=TIMES, status=status, title="finite data", **kwargs)
    truth = {"interpolation": alpha_interp(TEMPS), "hot": alpha_hot(TEMPS),
             "cold": alpha_cold(TEMPS), "tau": tau_star(ALPHA)}
    return str(path), truth


def finite_theory(path, **kwargs):
    """Write the theory file of :func:`finite_data`'s grid as docs/FORMAT.md
    ("Theory files") lays it out: no replica, ``eg`` and ``train_error``
    over (axes, time) -- equilibrium values, the same at every time --,
    ``eg_mean``, ``alpha_c``, ``alpha_spinodal`` per cell, per-cell status
    with one pending, one not applicable and one not converged cell.
    ``eg`` jumps at alpha_c(T) = 1.7 + T; the spinodal is 2.2 + T.
    Returns (path, truth)."""
    na, nt, ns = len(ALPHA), len(TEMPS), 2
    ac = 1.7 + TEMPS
    asp = 2.2 + TEMPS
    eg = np.empty((na, nt, ns))
    et = np.empty((na, nt, ns))
    for i, a in enumerate(ALPHA):
        for j, t in enumerate(TEMPS):
            eg[i, j, :] = 0.3 / (1 + a) if a < ac[j] else 0.02
            et[i, j, :] = 0.4 * max(0.0, a - alpha_interp(t))
    status = np.ones((na, nt, ns), dtype=np.int8)
    status[0, 2, 1] = 5   # not converged
    status[1, 2, 1] = 4   # not applicable
    status[10, 2, 1] = 0  # pending
    alpha_c = np.broadcast_to(ac[None, :, None], (na, nt, ns)).copy()
    alpha_sp = np.broadcast_to(asp[None, :, None], (na, nt, ns)).copy()
    for v in (eg, et, alpha_c, alpha_sp):
        v[status != 1] = np.nan
    over_time = np.ones(len(TIMES))
    write_custom(path, _axes(), {"eg": eg[..., None] * over_time,
                                 "train_error": et[..., None] * over_time,
                                 "eg_mean": eg, "alpha_c": alpha_c,
                                 "alpha_spinodal": alpha_sp},
                 theory=True, status=status, times=TIMES, title="finite data theory",
                 **kwargs)
    return str(path), {"alpha_c": ac, "alpha_spinodal": asp}


LRS = np.geomspace(0.1, 10.0, 9)
HIDDEN = np.array([1, 2, 4])


def eta_c(k):
    return 4.0 / np.asarray(k, dtype=float)


def divergence_sweep(path, replicas=3, seed=9, jitter=0.05):
    """Write the learning-rate sweep; return (path, truth)."""
    rng = np.random.default_rng(seed)
    status = np.full((len(LRS), len(HIDDEN), replicas), DONE, dtype=np.int8)
    for j, k in enumerate(HIDDEN):
        for r in range(replicas):
            c = eta_c(k) * np.exp(rng.normal(0.0, jitter))
            status[LRS > c, j, r] = DIVERGED
    status[0, 0, 0] = FAILED
    status[1, 0, 1] = PENDING
    eg = np.where(status == DONE, 0.05 + 0.01 * np.log(LRS)[:, None, None] ** 2, np.nan)
    times = np.array([0.5, 1.0, 2.0])
    eg_t = np.repeat(eg[..., None], 3, axis=-1)
    axes = [Axis("train.learning_rate", LRS, "real", "log", long_name="learning rate"),
            Axis("student.hidden", HIDDEN, "int", "list", units="",
                 long_name="student hidden units K")]
    write_custom(path, axes, {"eg": eg_t}, replicas=replicas, times=times, status=status,
                 title="divergence")
    return str(path), {"eta_c": eta_c(HIDDEN)}


def divergence_theory(path):
    """Theory file of :func:`divergence_sweep`'s grid with ``eta_max``."""
    eta = np.broadcast_to(eta_c(HIDDEN)[None, :], (len(LRS), len(HIDDEN))).copy()
    axes = [Axis("train.learning_rate", LRS, "real", "log"),
            Axis("student.hidden", HIDDEN, "int", "list", units="")]
    write_custom(path, axes, {"eta_max": eta, "eg": np.full_like(eta, 0.05)}, theory=True,
                 title="divergence theory")
    return str(path)
