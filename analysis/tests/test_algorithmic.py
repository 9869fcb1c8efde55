"""The algorithmic threshold of replicated training (issue 16): a
hand-made storage sweep whose success probability is a known logistic in
alpha (threshold alpha_alg per algorithm) must give alpha_alg back within
the boundary's bootstrap uncertainty; the uncertainty shrinks with more
replicas; rows that always (never) succeed are censored; the kind is found
by name on the command line and by find_boundaries; and a real replicated
sweep through pdx gives a threshold (end to end)."""

import os
import subprocess
import sys

import numpy as np
import pytest

import pdx_analysis as pa
from pdx_synth import Axis, write_custom

ALPHA = np.linspace(0.3, 0.9, 13)
#: the thresholds of the two arms (plain, replicated) and the width
ALG = np.array([0.47, 0.66])
WIDTH = 0.03


def sweep(path, replicas=64, seed=5, thresholds=ALG):
    """Success 1/0 drawn per replica from P = 1/(1 + exp((alpha - a)/w)),
    nested as pdx's training sets are: one uniform per replica and arm, so
    that a replica that fails at alpha fails beyond it too."""
    rng = np.random.default_rng(seed)
    success = np.empty((len(ALPHA), len(thresholds), replicas))
    for j, a in enumerate(thresholds):
        u = rng.random(replicas)
        p = 1.0 / (1.0 + np.exp((ALPHA[:, None] - a) / WIDTH))
        success[:, j, :] = (u[None, :] < p).astype(float)
    tts = np.where(success == 1, 10.0, np.nan)
    axes = [Axis("data.alpha", ALPHA, "real", "lin", long_name="alpha"),
            Axis("train.replica_count", np.arange(1, 2 * len(thresholds), 2), "int",
                 "list", long_name="replicas y")]
    write_custom(path, axes, {"success": success, "time_to_success": tts},
                 replicas=replicas, title="storage")
    return str(path)


def test_algorithmic_threshold_recovers_the_thresholds(tmp_path):
    ds = pa.load(sweep(tmp_path / "s.h5"))
    b = pa.algorithmic_threshold(ds)
    assert (b.kind, b.along, b.across) == ("algorithmic", "data.alpha",
                                           "train.replica_count")
    t = b.table
    assert list(t["train.replica_count"]) == [1, 3]
    for row, truth in zip(t.itertuples(index=False), ALG):
        loc, err = row[1], row[2]
        assert np.isfinite(err) and 0 < err < 0.05, err
        assert abs(loc - truth) < 3 * err + 1e-3, (loc, truth, err)
        assert row.lo < loc < row.hi
    # the replicated arm's threshold is higher, beyond both uncertainties
    assert t["data.alpha"][1] - t["data.alpha"][0] > 3 * (t["err"][0] + t["err"][1])
    # repeatable: the bootstrap is seeded
    again = pa.algorithmic_threshold(ds).table
    assert np.array_equal(again["err"].values, t["err"].values)


def test_algorithmic_threshold_uncertainty_shrinks(tmp_path):
    few = pa.algorithmic_threshold(pa.load(sweep(tmp_path / "a.h5", replicas=16))).table
    many = pa.algorithmic_threshold(pa.load(sweep(tmp_path / "b.h5", replicas=256))).table
    assert np.all(many["err"].values < 0.7 * few["err"].values), (few["err"], many["err"])


def test_algorithmic_threshold_censors(tmp_path):
    # an arm that always succeeds and one that never does
    ds = pa.load(sweep(tmp_path / "c.h5", thresholds=np.array([5.0, -5.0, 0.6])))
    t = pa.algorithmic_threshold(ds).table
    assert list(t["note"][:2]) == ["beyond the range", "below the range"]
    assert np.isnan(t["data.alpha"][:2]).all()
    assert abs(t["data.alpha"][2] - 0.6) < 0.05


def test_algorithmic_threshold_is_a_kind(tmp_path):
    path = sweep(tmp_path / "d.h5")
    ds = pa.load(path)
    found = pa.find_boundaries(ds, kinds=["algorithmic"])
    assert len(found) == 1 and found[0].kind == "algorithmic"
    assert ds.pdx.boundary("algorithmic-threshold").kind == "algorithmic"
    out = subprocess.run([sys.executable, "-m", "pdx_analysis", "boundaries", path,
                          "--kind", "algorithmic", "-o", str(tmp_path / "out")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    csvs = list((tmp_path / "out").glob("*.csv"))
    assert len(csvs) == 1, csvs
    text = csvs[0].read_text()
    assert "data.alpha" in text and "err" in text
    # a file without success has no algorithmic threshold
    other = write_custom(tmp_path / "e.h5", [Axis("data.alpha", ALPHA)],
                         {"train_error": np.zeros((len(ALPHA), 3))})
    assert pa.find_boundaries(pa.load(other), kinds=None) is not None
    with pytest.raises(pa.PdxError):
        pa.find_boundaries(pa.load(other), kinds=["algorithmic"])


@pytest.mark.e2e
def test_algorithmic_threshold_of_a_pdx_sweep(tmp_path):
    exe = os.environ.get("PDX_EXE")
    if not exe:
        pytest.fail("PDX_EXE is not set")
    spec = tmp_path / "r.yaml"
    spec.write_text(
        "name: r\nseed: 3\nreplicas: 12\nN: 81\nteacher: {kind: perceptron}\n"
        "student: {kind: perceptron, weights: binary}\n"
        "data: {alpha: {lin: [0.2, 0.9, 8]}, label_noise: 1}\n"
        "train: {algorithm: replicated_mc, temperature: 2, beta_growth: 0.02, "
        "replica_count: 3, replica_gamma: 0.05, replica_gamma_growth: 0.02, "
        "mc_energy: stability, epochs: 300}\nrecord: {times: [300]}\n")
    out = tmp_path / "r.h5"
    subprocess.run([exe, "run", str(spec), "-o", str(out), "--quiet"], check=True)
    b = pa.algorithmic_threshold(pa.load(str(out)))
    loc = float(b.table["data.alpha"].iloc[0])
    # finite-size SA at N = 81: below the capacity 0.833, above 0.2
    assert 0.2 < loc < 0.85, b.table
    assert np.isfinite(b.table["err"].iloc[0])
