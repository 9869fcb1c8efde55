"""Figures are checked for content: size, not blank, the expected number of
boundary lines, theory overlays, bands and marks."""

import matplotlib.image
import numpy as np
import pytest
from matplotlib.figure import Figure

import pdx_analysis as pa
from pdx_analysis.lines import learning_curves, save, slices
from pdx_analysis.plot import BOUNDARY_COLORS, heatmap


def _figure():
    fig = Figure(figsize=(6.4, 4.8), dpi=100, layout="constrained")
    return fig, fig.add_subplot()


def _pixels(path):
    return matplotlib.image.imread(path)[..., :3]


def _count_colour(img, hex_colour, tol=0.08):
    rgb = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]) / 255.0
    return int(np.sum(np.all(np.abs(img - rgb) < tol, axis=-1)))


def _not_blank(img):
    assert img.std() > 0.05
    assert len(np.unique(np.round(img.reshape(-1, 3) * 255).astype(int), axis=0)) > 50


def test_phase_diagram_with_hysteresis_lines(physics, tmp_path):
    path, truth = physics.finite()
    ds = pa.load(path)
    h = pa.hysteresis(ds)
    fig, ax = _figure()
    r = heatmap(ds, "alpha", "temperature", sel={"start": "hot"}, ax=ax, boundaries=[h],
                contours=3)
    out = tmp_path / "hyst.png"
    fig.savefig(out)
    img = _pixels(out)
    assert img.shape[:2] == (480, 640)
    _not_blank(img)
    # both starts' jump lines (a hysteresis shows both on either diagram)
    assert len(r.boundary_lines) == 2
    assert r.boundary_labels == ["jump (start=hot)", "jump (start=cold)"]
    # the lines run through the known positions
    for line, key in zip(r.boundary_lines, ("hot", "cold")):
        x, y = line.get_data()
        np.testing.assert_allclose(y, [0.0, 0.1, 0.2])
        np.testing.assert_allclose(x, truth[key], atol=0.16)
    assert _count_colour(img, BOUNDARY_COLORS["jump"]) > 200
    assert r.contour_set is not None and len(r.levels) >= 2


def test_interpolation_lines_one_per_group(physics):
    path, _ = physics.finite()
    ds = pa.load(path)
    b = pa.interpolation_threshold(ds)
    fig, ax = _figure()
    r = heatmap(ds, "alpha", "temperature", var="train_error", sel={"start": "cold"},
                ax=ax, boundaries=[b])
    assert len(r.boundary_lines) == 1  # only the selected start's line
    fig, ax = _figure()
    r = heatmap(ds, "alpha", "temperature", var="train_error", reduce="mean", ax=ax,
                boundaries=[b])
    assert len(r.boundary_lines) == 2
    # a boundary in another plane draws nothing
    fig, ax = _figure()
    r = heatmap(ds, "alpha", "time", sel={"start": "hot", "temperature": 0.1}, ax=ax,
                boundaries=[b])
    assert r.boundary_lines == []


def test_early_stopping_line_in_the_time_plane(physics, tmp_path):
    path, _ = physics.finite()
    ds = pa.load(path)
    es = pa.early_stopping(ds)
    fig, ax = _figure()
    r = heatmap(ds, "alpha", "time", sel={"start": "hot", "temperature": 0.1}, ax=ax,
                boundaries=[es])
    assert len(r.boundary_lines) == 1 and ax.get_yscale() == "log"
    x, y = r.boundary_lines[0].get_data()
    np.testing.assert_allclose(y / (20 * np.asarray(x)), 1.0, atol=0.05)
    out = tmp_path / "tau.png"
    fig.savefig(out)
    assert _count_colour(_pixels(out), BOUNDARY_COLORS["early_stopping"]) > 100


def test_theory_overlay_contours_and_lines(physics):
    path, _ = physics.finite()
    tpath, _ = physics.theory()
    loaded = pa.load_files([path, tpath])
    lines = pa.theory_lines(loaded.theory)
    fig, ax = _figure()
    r = heatmap(loaded.sim, "alpha", "temperature", sel={"start": "hot"}, ax=ax,
                theory=loaded.theory, boundaries=lines)
    assert r.theory_contours is not None
    assert r.theory_data is not None and r.theory_data.shape == (3, 11)
    assert len(r.boundary_lines) == 2  # transition and spinodal of start=hot
    styles = {line.get_label(): line.get_linestyle() for line in r.boundary_lines}
    assert styles == {"first-order transition alpha_c (theory) (start=hot)": "--",
                      "spinodal alpha_spinodal (theory) (start=hot)": ":"}
    legend = [t.get_text() for t in r.ax.get_legend().get_texts()]
    assert "theory" in legend


def test_theory_phase_diagram_marks(physics):
    tpath, _ = physics.theory()
    th = pa.load(tpath)
    fig, ax = _figure()
    r = heatmap(th, "alpha", "temperature", sel={"start": "cold"}, ax=ax)
    assert (r.pending_cells, r.failed_cells, r.not_applicable_cells) == (1, 1, 1)
    legend = [t.get_text() for t in r.ax.get_legend().get_texts()]
    assert legend == ["not converged", "not applicable", "pending"]


def test_best_time_map(physics):
    path, _ = physics.finite()
    ds = pa.load(path)
    fig, ax = _figure()
    r = heatmap(ds, "alpha", "temperature", var="eg", time="best", stat="time",
                sel={"start": "hot"}, ax=ax)
    alpha = r.data["data.alpha"].values
    np.testing.assert_allclose(r.data.values / (20 * alpha[None, :]), 1, atol=0.35)
    assert "early-stopping time" in r.colorbar.ax.get_ylabel()


def test_learning_curves(physics, tmp_path):
    path, _ = physics.finite()
    ds = pa.load(path)
    res = learning_curves(ds, hue="alpha", sel={"temperature": 0.1, "start": "hot"},
                          max_lines=5)
    assert res.variables == ["eg", "train_error"] and len(res.axes) == 2
    assert [len(lines) for lines in res.lines] == [5, 5]
    assert [len(b) for b in res.bands] == [5, 5]
    assert res.axes[0].get_xscale() == "log"
    # eg minima starred at tau* = 20 alpha
    stars = [line for line in res.axes[0].get_lines() if line.get_marker() == "*"]
    assert len(stars) == 5
    out = save(res, str(tmp_path / "curves.png"))
    img = _pixels(out)
    assert img.shape[:2] == (420, 1120)  # (5 * 2 + 1.2) x 4.2 in at 100 dpi
    _not_blank(img)
    # every other axis must be fixed
    with pytest.raises(pa.PdxValueError, match="left over"):
        learning_curves(ds, hue="alpha", sel={"start": "hot"})


def test_slices_with_theory_and_boundaries(physics, tmp_path):
    path, truth = physics.finite()
    tpath, _ = physics.theory()
    loaded = pa.load_files([path, tpath])
    b = pa.interpolation_threshold(loaded.sim)
    res = slices(loaded.sim, "alpha", hue="temperature", variables=["eg", "train_error"],
                 sel={"start": "hot"}, theory=loaded.theory, boundaries=[b])
    assert [len(lines) for lines in res.lines] == [3, 3]
    # theory curves, one per temperature on each panel, dashed
    assert len(res.theory_lines[0]) == 3 and len(res.theory_lines[1]) == 3
    assert all(t.get_linestyle() == "--" for t in res.theory_lines[0])
    # against a theory the simulation is dots with error bars: no line, no band
    assert all(line.get_linestyle() == "None" and line.get_marker() == "o"
               for line in res.lines[0])
    assert res.bands == [[], []]
    # the interpolation threshold is marked on the train_error panel only
    assert len(res.boundary_marks) == 3
    xs = sorted(m.get_xdata()[0] for m in res.boundary_marks)
    np.testing.assert_allclose(xs, sorted(truth["interpolation"]), atol=0.06)
    out = save(res, str(tmp_path / "slice.png"))
    _not_blank(_pixels(out))


def test_pending_in_line_labels(tmp_path):
    import physics_synth

    status = np.ones((11, 3, 2, 4), dtype=np.int8)
    status[:, 1, 0, :2] = 0
    path, _ = physics_synth.finite_data(tmp_path / "p.h5", status=status)
    res = slices(pa.load(path), "alpha", hue="temperature", sel={"start": "hot"})
    labels = [line.get_label() for line in res.lines[0]]
    assert labels == ["temperature = 0", "temperature = 0.1 (22 pending)",
                      "temperature = 0.2"]

