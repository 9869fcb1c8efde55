#!/usr/bin/python3
"""Long statistical checks on the shipped finite-set sweeps (meson suite
'long': `meson test -C build --suite long`). Runs a sweep with pdx and
checks its science; prints the numbers it checked.

usage: long_test.py PDX SOURCE_ROOT {zhang,gibbs,martin-mahoney}"""
import os, subprocess, sys, tempfile
import h5py
import numpy as np

def run(pdx, spec, out):
    subprocess.run([pdx, "run", spec, "-o", out, "--quiet", "--force"], check=True)
    return h5py.File(out, "r")

def axis(f, name):
    return list(f[name][()])

def check_zhang(f):
    noise = f["data.label_noise"][()]
    assert (f["status"][()] == 1).all()
    tr = f["train_error"][()]              # (noise, replica, time)
    eg = f["eg"][()][:, :, -1].mean(1)
    ttf = f["time_to_fit"][()]             # (noise, replica)
    print("label noise     ", np.round(noise, 2))
    print("final train err ", tr[:, :, -1].max(1))
    print("final eg        ", np.round(eg, 3))
    print("time to fit     ", ttf.mean(1))
    # zero training error at every noise level, every replica
    assert (tr[:, :, -1] == 0).all()
    assert np.isfinite(ttf).all()
    # eg rises with the noise (replica means, allowing 0.02 of noise) to
    # 0.5 at random labels (sd of a 4000-input test error ~ 0.008)
    assert (np.diff(eg) > -0.02).all() and eg[-1] - eg[0] > 0.25
    assert abs(eg[-1] - 0.5) < 0.04
    # fitting takes longer with noise: random labels vs clean ones, and the
    # noisy half vs the clean end
    m = ttf.mean(1)
    assert m[-1] > 2 * m[0] and m[1:].min() > m[0]

def check_gibbs(f):
    assert (f["status"][()] == 1).all()
    dims = [d.label or "" for d in f["eg_mean"].dims]
    em = f["eg_mean"][()].mean(-1)   # (weights, alpha, T, start)
    alpha = f["data.alpha"][()]
    temps = f["train.temperature"][()]
    meanings = lambda k: [m.decode() for m in f[k][()]]  # names (issue 19)
    weights, starts = meanings("student.weights"), meanings("train.start")
    b, s = weights.index("binary"), weights.index("spherical")
    hot, cold = starts.index("hot"), starts.index("cold")
    for ti, T in enumerate(temps):
        print(f"binary    T={T:<5} hot ", np.round(em[b, :, ti, hot], 2))
        print(f"binary    T={T:<5} cold", np.round(em[b, :, ti, cold], 2))
    # binary weights, low temperature: the cold start stays at eg = 0 from
    # alpha = 1.25 on (the thermodynamic transition is at 1.245 for T -> 0)
    # while the hot start stays in the poor phase: hysteresis
    ti = list(temps).index(0.25)
    big = alpha >= 1.5
    assert (em[b, big, ti, cold] < 0.02).all()
    assert (em[b, big, ti, hot] > 0.15).mean() > 0.5
    # the jump: at T = 1 eg falls from > 0.25 to < 0.05 within three steps
    # of alpha (0.25 apart; replica means of N = 100 systems smear it), for
    # both starts
    ti = list(temps).index(1.0)
    for st in (hot, cold):
        e = em[b, :, ti, st]
        assert e.max() > 0.25 and e.min() < 0.05
        first_low = np.argmax(e < 0.05)
        assert first_low >= 3 and e[first_low - 3] > 0.25, e
    # spherical weights: continuous learning curve, no hysteresis
    for ti in range(len(temps)):
        d = np.abs(em[s, :, ti, hot] - em[s, :, ti, cold])
        assert d.max() < 0.04, d
        assert (np.diff(em[s, :, ti, hot]) < 0.02).all()

def check_martin_mahoney(f):
    assert (f["status"][()] != 3).all()
    eg = f["eg"][()]   # (alpha, noise, T, replica, time)
    final = np.nanmean(eg[..., -1], axis=3)
    print("final eg, noise 0 (alpha x T)\n", np.round(final[:, 0, :], 3))
    # more data -> better generalization at every temperature (noise 0)
    assert (final[-1, 0, :] < final[0, 0, :]).all()
    # label noise hurts
    assert (final[:, -1, :].mean() > final[:, 0, :].mean())

def main():
    pdx, root, which = sys.argv[1], sys.argv[2], sys.argv[3]
    spec = {"zhang": "zhang-random-labels", "gibbs": "gibbs-perceptron",
            "martin-mahoney": "martin-mahoney"}[which]
    with tempfile.TemporaryDirectory() as tmp:
        f = run(pdx, os.path.join(root, "sweeps", spec + ".yaml"),
                os.path.join(tmp, spec + ".h5"))
        {"zhang": check_zhang, "gibbs": check_gibbs,
         "martin-mahoney": check_martin_mahoney}[which](f)
    print("ok")

if __name__ == "__main__":
    main()
