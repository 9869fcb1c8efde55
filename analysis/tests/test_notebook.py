"""Issue 19, item 5: the example notebook (analysis/examples/
phase_diagram.ipynb) runs headless -- a small sweep with pdx_analysis.run,
the theory, the phase diagram with the theory overlaid, the boundary -- so
that it never goes stale. FAILS (never skips) without $PDX_EXE or without
nbclient/nbformat/ipykernel (Debian: python3-nbclient python3-nbformat
python3-ipykernel, installed by scripts/setup.sh's test packages)."""

import os

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ANALYSIS = os.path.dirname(HERE)
NOTEBOOK = os.path.join(ANALYSIS, "examples", "phase_diagram.ipynb")


def test_example_notebook_runs(tmp_path, monkeypatch):
    exe = os.environ.get("PDX_EXE")
    if not exe:
        pytest.fail("PDX_EXE is required (meson's `analysis` test sets it)", pytrace=False)
    try:
        import nbclient
        import nbformat
    except ImportError as e:
        pytest.fail(f"{e}: install python3-nbclient python3-nbformat python3-ipykernel "
                    "(scripts/setup.sh)", pytrace=False)
    # the kernel inherits the environment: the package and the binary
    monkeypatch.setenv("PYTHONPATH", ANALYSIS + os.pathsep + os.environ.get("PYTHONPATH", ""))
    monkeypatch.setenv("PDX_EXE", os.path.abspath(exe))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError naming the cell on any error
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert any("image/png" in o.get("data", {}) for o in outputs), "no figure displayed"
    assert any("text/html" in o.get("data", {}) and "theory_alpha_c" in o["data"]["text/html"]
               for o in outputs), "no boundary table"
    assert (tmp_path / "notebook-ising.h5").exists()
    assert (tmp_path / "notebook-ising-theory.h5").exists()
