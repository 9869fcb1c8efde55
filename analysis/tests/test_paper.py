"""Issue 19, items 2 and 5: figures labelled from the file's metadata (short
long_name, units), log scales for geometric axes in every drawing
function, readable log ticks, n / SEM overlays, objects that display in
Jupyter; and the Python launcher ``pdx_analysis.run`` / ``theory``.

The tests that run pdx FAIL (never skip) without $PDX_EXE, as test_e2e."""

import io
import os

import numpy as np
import pytest

import pdx_analysis as pa
import pdx_synth
from pdx_analysis.lines import learning_curves, slices
from pdx_analysis.plot import heatmap

SPEC = {
    "name": "paper",
    "seed": 5,
    "replicas": 2,
    "N": 40,
    "teacher": {"kind": "perceptron"},
    "student": {"kind": "perceptron"},
    "data": {"alpha": {"log": [0.25, 4, 5]}, "label_noise": [0.0, 0.2]},
    "train": {"algorithm": "sgd", "learning_rate": 0.1, "epochs": 4},
    "record": {"times": [1, 2, 4]},
}


def _exe():
    exe = os.environ.get("PDX_EXE")
    if not exe:
        pytest.fail("PDX_EXE is required (meson's `analysis` test sets it)", pytrace=False)
    return exe


@pytest.fixture(scope="module")
def sgd(tmp_path_factory):
    out = tmp_path_factory.mktemp("paper") / "paper.h5"
    log = io.StringIO()
    ds = pa.run(SPEC, out, threads=2, pdx=_exe(), stream=log)
    return ds, log.getvalue(), out


def test_run_streams_progress_and_loads(sgd):
    ds, log, out = sgd
    assert "tasks" in log and "done" in log
    assert os.path.exists(str(out) + ".spec.yaml")
    assert ds.sizes["data.alpha"] == 5 and ds.sizes["replica"] == 2
    assert ds.sel({"data.alpha": 1})["eg"].notnull().any()  # the decade is exact
    # the same dict again: the finished file is found, the data the same
    again = pa.run(SPEC, out, pdx=_exe(), stream=None)
    np.testing.assert_array_equal(again["eg"].values, ds["eg"].values)


def test_run_reports_pdx_errors(tmp_path):
    bad = dict(SPEC, N="many")
    with pytest.raises(pa.PdxError, match="N"):
        pa.run(bad, tmp_path / "bad.h5", pdx=_exe(), stream=None)
    with pytest.raises(pa.PdxError, match="no pdx binary"):
        pa.run(SPEC, tmp_path / "x.h5", pdx=str(tmp_path / "nope"), stream=None)


def test_theory_launcher(tmp_path):
    spec = dict(SPEC, data={"alpha": {"log": [0.5, 4, 4]}})
    th = pa.theory(spec, tmp_path / "th.h5", pdx=_exe(), stream=None)
    assert pa.is_theory(th) and "eg" in th


def test_labels_from_metadata(sgd):
    ds = sgd[0]
    h = heatmap(ds, "alpha", "label_noise", var="eg")
    assert h.ax.get_xlabel() == "α = P/N"
    assert h.ax.get_ylabel() == "label noise F"
    assert h.colorbar.ax.get_ylabel().replace("\n", " ").startswith("generalization error ε_g")
    assert h.ax.get_xscale() == "log"  # a {log: ...} axis
    lp = learning_curves(ds, ["eg"], sel={"label_noise": 0.2, "alpha": 1})
    assert lp.axes[0].get_xlabel() == "training time t [epochs]"
    assert lp.axes[0].get_ylabel() == "generalization error ε_g"


def test_geometric_list_axis_is_log_everywhere(make_file):
    axes = [pdx_synth.Axis("student.hidden", [1, 2, 4, 8], "int", "list", units=""),
            pdx_synth.Axis("train.learning_rate", [0.5, 1.0], "real", "lin")]
    ds = pa.load(make_file(axes=axes).path)
    assert heatmap(ds, "hidden", "learning_rate").ax.get_xscale() == "log"
    assert slices(ds, "hidden").axes[0].get_xscale() == "log"
    # not geometric: linear
    axes[0] = pdx_synth.Axis("student.hidden", [1, 2, 3, 4], "int", "list", units="")
    ds = pa.load(make_file(name="lin.h5", axes=axes).path)
    assert heatmap(ds, "hidden", "learning_rate").ax.get_xscale() == "linear"


def test_readable_log_colour_bar(synth):
    ds = pa.load(synth.path)
    h = heatmap(ds, "learning_rate", "activation", sel={"student.hidden": 1}, log_color=True)
    lo, hi = h.colorbar.ax.get_ylim()
    ticks = [t for t in h.colorbar.ax.get_yticks() if lo <= t <= hi]
    h.figure.canvas.draw()
    labels = [t.get_text() for t in h.colorbar.ax.get_yticklabels() if t.get_text()]
    assert len(ticks) >= 3 or hi / lo > 300, (ticks, lo, hi)
    assert all("10^" not in s for s in labels)


def test_annotations_n_and_sem(synth):
    ds = pa.load(synth.path)
    h = heatmap(ds, "learning_rate", "activation", sel={"student.hidden": 1}, annotate="n")
    n = h.counts["n_done"].values
    assert len(h.annotations) == n.size
    assert {t.get_text() for t in h.annotations} == {f"n={int(v)}" for v in n.ravel()}
    s = heatmap(ds, "learning_rate", "activation", sel={"student.hidden": 1}, annotate="sem")
    assert all(t.get_text().startswith("±") for t in s.annotations)
    assert len(s.annotations) == int(np.isfinite(s.err.values).sum())
    with pytest.raises(pa.PdxValueError):
        heatmap(ds, "learning_rate", "activation", sel={"student.hidden": 1}, annotate="bogus")


def test_results_display_in_jupyter(synth):
    ds = pa.load(synth.path)
    png = heatmap(ds, "learning_rate", "activation", sel={"student.hidden": 1})._repr_png_()
    assert png.startswith(b"\x89PNG")
    assert learning_curves(ds, ["eg"], sel={"student.hidden": 1, "activation": "erf"})._repr_png_().startswith(b"\x89PNG")


def test_old_long_names_fall_back_to_the_key(synth):
    """Files before issue 19 held the key's whole doc as long_name: the
    label is then the key, not six lines of text."""
    ds = pa.load(synth.path)
    ds["train.learning_rate"].attrs["long_name"] = "x" * 200
    h = heatmap(ds, "learning_rate", "activation", sel={"student.hidden": 1})
    assert h.ax.get_xlabel().startswith("train.learning_rate")
    h2 = heatmap(pa.load(synth.path), "learning_rate", "activation", sel={"student.hidden": 1})
    assert h2.ax.get_xlabel() == "learning rate eta"


def test_cli_annotate(synth, tmp_path, cli_inproc):
    out = tmp_path / "a.png"
    r = cli_inproc("plot", synth.path, "-x", "learning_rate", "-y", "activation",
                   "--sel", "student.hidden=1", "--annotate", "n", "-o", out)
    assert r.returncode == 0 and out.exists()
