"""`report` and the new commands (curves, slice, boundaries) on hand-made
files: content of the documents, the boundary files, the figures."""

import json
import os
import re

import matplotlib.image
import numpy as np
import pandas as pd

import physics_synth as P
from pdx_analysis.report import report


def _not_blank(path):
    img = matplotlib.image.imread(path)[..., :3]
    assert img.std() > 0.05, path
    return img


def test_report_with_theory(physics, tmp_path):
    path, truth = physics.finite()
    tpath, ttruth = physics.theory()
    out = tmp_path / "rep"
    r = report(path, out, theory=tpath, fmt="both", dpi=60)
    md = open(out / "report.md").read()
    html = open(out / "report.html").read()
    # summary: axes, cells, status counts, provenance, timings, spec
    for text in ("## Summary", "66 cells x 4 replicas = 264 tasks, complete",
                 "| data.alpha | 11 | lin |", "### Provenance", "| pdx_version | 0.2.0 |",
                 "### Timings", "| tasks run | 264 |", "### Spec", "theory file",
                 "## Phase diagrams (data.alpha x train.temperature)",
                 "## Learning curves", "## Slices against data.alpha", "## Boundaries",
                 "### Hysteresis window (train.start: cold vs hot)",
                 "jump (simulation) vs spinodal alpha_spinodal (theory)",
                 "interpolation threshold (simulation) vs interpolation threshold (theory)"):
        assert text in md, text
    # every image referenced exists, has the expected size and content
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert len(images) == len(r.figures) >= 8
    for name in images:
        img = _not_blank(out / name)
        assert img.shape[0] >= 200 and img.shape[1] >= 300
    phase = matplotlib.image.imread(out / "phase_eg.png")
    # two panels (hot, cold) side by side, 0.3 in for the figure title
    assert phase.shape[:2] == (int((4.8 + 0.3) * 60), int(6.4 * 2 * 60))
    # the HTML page is self-contained: every figure embedded, no file links
    assert html.count("data:image/png;base64,") == len(r.figures)
    assert not re.search(r"src=['\"](?!data:)", html)
    # boundary files: the known positions come back
    interp = pd.read_csv(out / "boundary_interpolation_train_error.csv")
    hot = interp[interp["train.start"] == "hot"].sort_values("train.temperature")
    np.testing.assert_allclose(hot["data.alpha"], truth["interpolation"], atol=0.05)
    win = pd.read_csv(out / "hysteresis_window.csv").sort_values("train.temperature")
    np.testing.assert_allclose(win["data.alpha_hot"], truth["hot"], atol=0.16)
    np.testing.assert_allclose(win["data.alpha_cold"], truth["cold"], atol=0.16)
    meta = json.load(open(out / "boundary_early_stopping_eg.json"))
    pts = [p for p in meta["points"] if p["time"] is not None]
    assert len(pts) == 66
    assert all(abs(p["time"] / (20 * p["data.alpha"]) - 1) < 0.05 for p in pts)
    cmp = pd.read_csv(out / "compare_jump_eg_spinodal_alpha_spinodal_theory.csv")
    assert np.all(np.abs(cmp[cmp["train.start"] == "hot"]["z"]) < 3)
    kinds = sorted(b.kind for b in r.theory_boundaries)
    assert kinds == ["interpolation", "spinodal", "transition"]  # theory jump: explicit


def test_report_of_a_partly_done_sharded_sweep(tmp_path):
    """Two shards of a sweep still running: pending cells appear as pending."""
    status = np.ones((11, 3, 2, 4), dtype=np.int8)
    status[6:, 2, :, :] = 0          # not run yet anywhere
    flat = np.arange(status.size).reshape(status.shape)
    paths = []
    for k in range(2):
        st = np.where(flat % 2 == k, status, 0).astype(np.int8)
        p, _ = P.finite_data(tmp_path / f"s{k}.h5", status=st, complete=False)
        paths.append(p)
    out = tmp_path / "rep"
    r = report(paths, out, fmt="md", dpi=50, sections=["phase"])
    md = open(r.path).read()
    assert len(r.figures) == 2 and "## Learning curves" not in md
    assert "incomplete: 40 of 264 tasks pending" in md
    assert "| files | " + ", ".join(paths) in md
    assert "| pdx_shards | 2 |" in md
    assert re.search(r"5 cells pending \(grey\)", md)
    assert "estimated CPU time left" in md
    interp = pd.read_csv(out / "boundary_interpolation_train_error.csv")
    assert len(interp) == 6


def test_cli_report_html_and_errors(physics, tmp_path, cli_inproc):
    path, _ = physics.divergence()
    tpath = physics.divergence_theory()
    p = cli_inproc("report", path, "--theory", tpath, "-o", tmp_path / "r", "--html",
                   "--dpi", "50", "--sections", "phase,slices")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == str(tmp_path / "r" / "report.html")
    html = open(tmp_path / "r" / "report.html").read()
    assert "divergence (simulation) vs maximal learning rate eta_max (theory)" in html
    assert not os.path.exists(tmp_path / "r" / "report.md")
    cmp = pd.read_csv(tmp_path / "r" / "compare_divergence_divergence_eta_max_theory.csv")
    assert np.all(np.abs(np.log(cmp["sim"] / cmp["theory"])) < 0.4)
    p = cli_inproc("report", path, "-o", tmp_path / "r2", "--format", "pdf")
    assert p.returncode == 2 and "invalid choice" in p.stderr
    p = cli_inproc("report", path, "-o", tmp_path / "r2", "--sections", "phase,movies")
    assert p.returncode == 2 and "unknown section(s) movies" in p.stderr


def test_cli_boundaries(physics, tmp_path, cli_inproc):
    path, truth = physics.finite()
    out = tmp_path / "b"
    p = cli_inproc("boundaries", path, "--kind", "interpolation", "--x", "alpha", "--y",
                   "temperature", "--var", "train_error", "--threshold", "1e-3", "-o", out,
                   "--plot", tmp_path / "b.png")
    assert p.returncode == 0, p.stderr
    assert "# interpolation threshold: data.alpha against train.temperature" in p.stdout
    assert "threshold 0.001" in p.stdout
    t = pd.read_csv(out / "boundary_interpolation_train_error.csv")
    np.testing.assert_allclose(t.groupby("train.temperature")["data.alpha"].mean(),
                               truth["interpolation"], atol=0.05)
    assert json.load(open(out / "boundary_interpolation_train_error.json"))["threshold"] == 1e-3
    assert matplotlib.image.imread(tmp_path / "b.png").shape[:2] == (480, 640)
    # default: every kind that fits; hysteresis with its window file
    p = cli_inproc("boundaries", path, "-o", out, "--format", "csv")
    assert p.returncode == 0, p.stderr
    assert "# hysteresis window" in p.stdout and "# early stopping tau*" in p.stdout
    assert os.path.exists(out / "hysteresis_window.csv")
    p = cli_inproc("boundaries", path, "--kind", "divergence")
    assert p.returncode == 2 and "learning_rate" in p.stderr
    p = cli_inproc("boundaries", path, "--kind", "capacity-ish")
    assert p.returncode == 2 and "unknown boundary kind" in p.stderr


def test_cli_plot_curves_slice(physics, tmp_path, cli_inproc):
    path, _ = physics.finite()
    tpath, _ = physics.theory()
    p = cli_inproc("plot", path, tpath, "-x", "alpha", "-y", "temperature", "--sel",
                   "start=hot", "--contours", "3", "--boundary", "hysteresis", "--boundary",
                   "interpolation", "-o", tmp_path / "p.png")
    assert p.returncode == 0, p.stderr
    _not_blank(tmp_path / "p.png")
    p = cli_inproc("plot", path, "-x", "alpha", "-y", "temperature", "--sel", "start=hot",
                   "--time", "best", "--stat", "time", "-o", tmp_path / "tau.png")
    assert p.returncode == 0, p.stderr
    p = cli_inproc("curves", path, "--hue", "alpha", "--sel", "temperature=0.1",
                   "start=cold", "--max-lines", "4", "-o", tmp_path / "c.png", "--dpi", "50")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == str(tmp_path / "c.png")
    p = cli_inproc("slice", path, "--theory", tpath, "-x", "alpha", "--hue", "temperature",
                   "--sel", "start=hot", "--var", "eg", "--var", "train_error",
                   "--boundary", "interpolation", "-o", tmp_path / "s.png", "--dpi", "50")
    assert p.returncode == 0, p.stderr
    _not_blank(tmp_path / "s.png")
    p = cli_inproc("slice", path, "-x", "alpha", "--hue", "temperature", cwd=tmp_path)
    assert p.returncode == 2 and "left over: train.start" in p.stderr
    p = cli_inproc("plot", path, "-x", "alpha", "-y", "temperature", "--sel", "start=hot",
                   "--stat", "mode")
    assert p.returncode == 2 and "bad statistic" in p.stderr


def test_info_of_several_files(physics, cli_inproc):
    path, _ = physics.finite()
    tpath, _ = physics.theory()
    p = cli_inproc("info", path, tpath)
    assert p.returncode == 0, p.stderr
    assert "finite data" in p.stdout and "theory, pdx" in p.stdout
    assert "cells: 66 = pending 1" in p.stdout
