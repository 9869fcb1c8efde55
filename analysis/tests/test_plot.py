"""Heatmaps and the command line, on synthetic pdx files."""

import matplotlib.image
import numpy as np
import pytest

import pdx_analysis as pa
from pdx_analysis.plot import heatmap, plot_file


def _plot_area(result, png):
    """Return the RGB pixels inside the axes of a saved figure."""
    img = matplotlib.image.imread(png)[..., :3]
    bbox = result.ax.get_window_extent()
    h = img.shape[0]
    y0, y1 = int(h - bbox.y1) + 2, int(h - bbox.y0) - 2
    x0, x1 = int(bbox.x0) + 2, int(bbox.x1) - 2
    return img[y0:y1, x0:x1]


def _distinct_colours(pixels):
    return len(np.unique(np.round(pixels.reshape(-1, 3) * 255).astype(int), axis=0))


def test_plot_file_png(synth, tmp_path):
    out = tmp_path / "eg.png"
    r = plot_file(synth.path, "learning_rate", "activation", output=str(out),
                  sel={"student.hidden": "1"})
    assert r.output == str(out) and out.exists()
    img = matplotlib.image.imread(out)
    assert img.shape[:2] == (480, 640)  # 6.4 x 4.8 in at 100 dpi
    area = _plot_area(r, out)
    assert area.size and _distinct_colours(area) >= 10  # 12 cells, markers
    assert area.std() > 0.05  # not blank
    assert r.data.dims == ("student.activation", "train.learning_rate")
    assert r.data.shape == (3, 4)


def test_plot_size_and_dpi(synth, tmp_path):
    out = tmp_path / "small.png"
    plot_file(synth.path, "learning_rate", "activation", output=str(out),
              sel={"student.hidden": 2}, size=(4, 3), dpi=50)
    assert matplotlib.image.imread(out).shape[:2] == (150, 200)


def test_status_marks(synth):
    ds = pa.load(synth.path)
    r = heatmap(ds, "learning_rate", "activation", sel={"student.hidden": 1})
    # K=1: relu/lr=3 one diverged replica; linear/lr=0.1 one failed;
    # erf/lr=0.3 one replica pending
    assert (r.diverged_cells, r.failed_cells, r.pending_cells, r.partial_cells) == (1, 1, 0, 1)
    offsets = r.markers["diverged"].get_offsets()
    np.testing.assert_allclose(offsets, [[3.0, 0.0]])  # x = lr 3, y = "relu" (row 0)
    legend = [t.get_text() for t in r.ax.get_legend().get_texts()]
    assert "diverged" in legend and "failed" in legend

    r = heatmap(ds, "learning_rate", "activation", sel={"student.hidden": 2})
    # K=2: linear/lr=3 all diverged; erf/lr=0.1 all pending
    assert (r.diverged_cells, r.failed_cells, r.pending_cells) == (1, 0, 1)
    legend = [t.get_text() for t in r.ax.get_legend().get_texts()]
    assert legend == ["diverged", "pending"]
    assert "pending" in [t.get_text() for t in r.ax.texts]
    assert np.isnan(r.data.sel({"student.activation": "linear",
                                "train.learning_rate": 3.0}).item())


def test_log_axes_and_edges(synth):
    ds = pa.load(synth.path)
    r = heatmap(ds, "learning_rate", "activation", sel={"student.hidden": 1})
    assert r.ax.get_xscale() == "log" and r.ax.get_yscale() == "linear"
    x_edges = r.mesh.get_coordinates()[0, :, 0]
    lr = np.array([0.1, 0.3, 1.0, 3.0])
    mid = np.sqrt(lr[1:] * lr[:-1])
    expected = np.concatenate([[lr[0] ** 2 / mid[0]], mid, [lr[-1] ** 2 / mid[-1]]])
    np.testing.assert_allclose(x_edges, expected)
    # choice axis: categorical, names as tick labels
    assert [t.get_text() for t in r.ax.get_yticklabels()] == ["relu", "erf", "linear"]
    np.testing.assert_allclose(r.mesh.get_coordinates()[:, 0, 1], [-0.5, 0.5, 1.5, 2.5])

    r = heatmap(ds, "time", "student.hidden",
                sel={"activation": "erf", "learning_rate": 1})
    assert r.ax.get_xscale() == "log"  # time has pdx_scale log
    assert r.ax.get_yscale() == "linear"  # student.hidden: list
    np.testing.assert_allclose(r.mesh.get_coordinates()[:, 0, 1], [0.5, 1.5, 2.5])
    r = heatmap(ds, "learning_rate", "activation", sel={"student.hidden": 1},
                xscale="lin")
    assert r.ax.get_xscale() == "linear"


def test_unsorted_list_axis_is_sorted(make_file):
    import pdx_synth

    axes = [pdx_synth.Axis("student.hidden", [4, 1, 2], "int", "list", units=""),
            pdx_synth.Axis("train.learning_rate", [0.5, 1.0], "real", "lin")]
    ds = pa.load(make_file(axes=axes).path)
    r = heatmap(ds, "hidden", "learning_rate", xscale="lin")
    assert r.data["student.hidden"].values.tolist() == [1, 2, 4]
    x_edges = r.mesh.get_coordinates()[0, :, 0]
    np.testing.assert_allclose(x_edges, [0.5, 1.5, 3.0, 5.0])
    assert r.ax.get_legend() is None  # all done: nothing marked


def test_time_selection_and_title(synth):
    ds = pa.load(synth.path)
    r = heatmap(ds, "learning_rate", "activation", sel={"student.hidden": 1}, time=0.31)
    assert "time 0.3" in r.ax.get_title()
    exp = synth.eg[:, :, 0, 0, :, 1]
    assert r.data.sel({"student.activation": "relu", "train.learning_rate": 0.1}).item() \
        == pytest.approx(exp[0, 0].mean())
    r = heatmap(ds, "learning_rate", "activation", sel={"student.hidden": 1})
    assert r.ax.get_title() == "synthetic sweep: eg, final time\nstudent.hidden=1"
    r = heatmap(ds, "learning_rate", "activation", sel={"student.hidden": 1}, title="X")
    assert r.ax.get_title() == "X"


def test_reduce(synth):
    ds = pa.load(synth.path)
    means = pa.replica_mean(ds, "eg", time="final")["mean"].isel({"teacher.hidden": 0})
    for how in ("mean", "min", "max"):
        r = heatmap(ds, "learning_rate", "activation", reduce=how)
        expected = getattr(means, how)("student.hidden", skipna=True)
        np.testing.assert_allclose(r.data.values, expected.transpose(*r.data.dims).values)
        assert f"{how} over student.hidden" in r.ax.get_title()
    # status counts are summed over the reduced axis
    r = heatmap(ds, "learning_rate", "activation", reduce="mean")
    assert r.diverged_cells == 2 and r.failed_cells == 1
    assert r.pending_cells == 0 and r.partial_cells == 2


def test_left_over_axes_error(synth):
    ds = pa.load(synth.path)
    with pytest.raises(pa.PdxValueError) as info:
        heatmap(ds, "learning_rate", "activation")
    msg = str(info.value)
    assert "student.hidden" in msg and "--sel" in msg and "--reduce" in msg
    assert "teacher.hidden" not in msg  # size 1: fine
    with pytest.raises(pa.PdxValueError, match="student_unit"):
        heatmap(ds, "learning_rate", "activation", var="Q", sel={"student.hidden": 1})
    r = heatmap(ds, "learning_rate", "activation", var="Q",
                sel={"student.hidden": 2, "student_unit": 0, "student_unit2": 1})
    assert np.nanmax(r.data.values) == 0.5


def test_selection_errors(synth):
    ds = pa.load(synth.path)
    with pytest.raises(pa.PdxValueError, match="no value 'sigmoid'.*relu, erf, linear"):
        heatmap(ds, "learning_rate", "student.hidden",
                sel={"activation": "sigmoid"})
    with pytest.raises(pa.PdxValueError, match="student.hidden has no value '3'"):
        heatmap(ds, "learning_rate", "activation", sel={"student.hidden": 3})
    with pytest.raises(pa.PdxNameError, match="ambiguous"):
        heatmap(ds, "learning_rate", "hidden")
    with pytest.raises(pa.PdxValueError, match="same axis"):
        heatmap(ds, "learning_rate", "train.learning_rate")
    with pytest.raises(pa.PdxValueError, match="replica cannot be a plot axis"):
        heatmap(ds, "learning_rate", "replica")
    # choice selection by code, replica selection
    r = heatmap(ds, "learning_rate", "student.hidden", sel={"activation": "3", "replica": 1})
    assert r.data.shape == (2, 4)


def test_log_color(synth):
    ds = pa.load(synth.path)
    r = heatmap(ds, "learning_rate", "activation", sel={"student.hidden": 1})
    assert not r.log_color  # spans less than two decades
    wide = ds.copy()
    wide["eg"] = ds["eg"] * 10.0 ** np.arange(4)[:, None, None, None, None, None].reshape(
        1, 4, 1, 1, 1, 1)
    wide["eg"].attrs = ds["eg"].attrs
    r = heatmap(wide, "learning_rate", "activation", sel={"student.hidden": 1})
    assert r.log_color and type(r.mesh.norm).__name__ == "LogNorm"
    r = heatmap(wide, "learning_rate", "activation", sel={"student.hidden": 1},
                log_color=False)
    assert not r.log_color
    assert r.colorbar.ax.get_ylabel() == "generalization error (replica mean)"


# --------------------------------------------------------------------------
# command line


def test_cli_plot(synth, tmp_path, cli):
    out = tmp_path / "cli.png"
    p = cli("plot", synth.path, "-x", "learning_rate", "-y", "activation",
            "--sel", "student.hidden=1", "-o", out)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == str(out)
    assert matplotlib.image.imread(out).shape[:2] == (480, 640)


def test_cli_default_output(synth, tmp_path, cli_inproc):
    p = cli_inproc("plot", synth.path, "-x", "time", "-y", "learning_rate", "--sel",
            "activation=erf", "student.hidden=1",
            "--var", "norm", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "synth_norm.png"
    assert (tmp_path / "synth_norm.png").exists()


@pytest.mark.parametrize("args, message", [
    (["-x", "nope", "-y", "activation"], "no axis 'nope'"),
    (["-x", "learning_rate", "-y", "hidden"],
     "ambiguous: it could be student.hidden, teacher.hidden"),
    (["-x", "learning_rate", "-y", "activation", "--var", "et"], "no variable 'et'"),
    (["-x", "learning_rate", "-y", "activation"], "left over: student.hidden"),
    (["-x", "learning_rate", "-y", "activation", "--sel", "hidden=1"], "ambiguous"),
    (["-x", "learning_rate", "-y", "activation", "--sel", "student.hidden=1",
      "--time", "later"], "bad time 'later'"),
    (["-x", "learning_rate", "-y", "activation", "--sel", "student.hidden"], "AXIS=VALUE"),
    (["-x", "learning_rate", "-y", "activation", "--reduce", "sum"], "invalid choice"),
    (["-x", "learning_rate", "-y", "activation", "--reduce", "mean", "-o", "x.nope"],
     "unknown image format"),
])
def test_cli_errors_exit_2(synth, tmp_path, cli_inproc, args, message):
    p = cli_inproc("plot", synth.path, *args, cwd=tmp_path)
    assert p.returncode == 2
    assert message in p.stderr
    assert "Traceback" not in p.stderr


def test_cli_bad_files_exit_2(tmp_path, cli, cli_inproc):
    import h5py

    plain = tmp_path / "plain.h5"
    with h5py.File(plain, "w") as f:
        f["x"] = [1, 2]
    for path, message in [(tmp_path / "missing.h5", "missing.h5: no such file"),
                          (plain, "not a pdx result file")]:
        for cmd in (["info", path], ["plot", path, "-x", "a", "-y", "b"],
                    ["report", path, "-o", tmp_path / "rep"],
                    ["boundaries", path], ["curves", path], ["slice", path, "-x", "a"]):
            # one real subprocess (no traceback on stderr), the rest in-process
            p = (cli if cmd[0] == "info" and path == plain else cli_inproc)(*cmd)
            assert p.returncode == 2, p.stderr
            assert message in p.stderr and str(path) in p.stderr
            assert "Traceback" not in p.stderr


def test_cli_info(synth, cli_inproc):
    p = cli_inproc("info", synth.path)
    assert p.returncode == 0, p.stderr
    assert "synthetic sweep" in p.stdout
    assert "train.learning_rate" in p.stdout and "log" in p.stdout
    assert "done 63" in p.stdout and "diverged 4" in p.stdout
    assert "pending 4" in p.stdout and "failed 1" in p.stdout


def test_fresh_file_all_pending(make_file, tmp_path):
    """A file just created by pdx run: every task pending, all NaN."""
    s = make_file("fresh.h5", status=np.zeros((3, 4, 2, 1, 3), dtype=np.int8),
                  complete=False)
    out = tmp_path / "fresh.png"
    r = plot_file(s.path, "learning_rate", "activation", output=str(out),
                  sel={"student.hidden": 1})
    assert r.pending_cells == 12 and r.diverged_cells == 0
    assert np.all(np.isnan(r.data.values))
    assert [t.get_text() for t in r.ax.get_legend().get_texts()] == ["pending"]
    assert matplotlib.image.imread(out).shape[:2] == (480, 640)
