"""pdx_analysis — read and plot pdx result files ("phase diagrams").

A pdx result file (layout: docs/FORMAT.md) is netCDF-4 compatible HDF5 with
one dimension per spec axis (named by its dotted key, e.g.
``train.learning_rate``), then ``replica``, ``time`` and unit dimensions.

Public API::

    ds = load("out.h5")                      # xarray.Dataset, in memory
    ds = load(["a.h5", "b.h5"])              # shards of one sweep, combined
    ds = load("out.h5", short_names=True)    # ds.sel(alpha=1): keyword names
    both = load_files(["out.h5", "theory.h5"])  # both.sim, both.theory
    dim = resolve_axis(ds, "learning_rate")  # -> "train.learning_rate"
    stats = replica_mean(ds, "eg", time="final")  # mean median std sem count
    eg_best = select_time(ds["eg"], "best")  # minimum over time, and when
    b = interpolation_threshold(ds)          # also jump, hysteresis,
    b.table, b.to_csv("b.csv")               # divergence, early_stopping
    r = load_refine("OUT.h5")                # pdx refine: r.boundary, r.cells_run
    spec_axes(ds), status_counts(ds), summary(ds), timings(ds)
    from pdx_analysis.plot import heatmap, plot_file
    from pdx_analysis.lines import learning_curves, slices
    from pdx_analysis.report import report
    robust_cells(ds), power_law(ds, by=[...]), robust_correlations(ds)
    t = optimal_batch(ds); batch_scaling(t)   # B_opt vs eta P (issue 17)
    regularizer_gains(ds), evidence_table(ds)
    eq = equilibration(ds)  # hot/cold agreement: eq.hot_cold_z, eq.equilibrated_all
    from pdx_analysis.robust_plot import robust_vs_clean, robust_vs_budget
    local_energy_table(ds)                   # local energy vs perturbation
    from pdx_analysis.flatness_plot import local_energy_plot
    noise_cells(ds)                          # issue 17: D's rank, current
    from pdx_analysis.noise_plot import sgd_vs_langevin
    ds.pdx.mean("eg"), ds.pdx.boundary("jump"), ds.pdx.plot("alpha", "T")
    ds = run({"name": "demo", ...}, "demo.h5", threads=2)  # pdx run, loaded
    th = theory({"name": "demo", ...}, "demo-theory.h5")   # pdx theory

Module map (layers: a module imports only from lower layers; the same
layer never imports itself; tests/test_layers.py checks this table, the
absence of cycles and of private cross-module imports)::

    layer  module        job
    0      errors        the exceptions (PdxError and subclasses)
    1      labels        value texts, axis labels, axis scales (lin/log/categorical)
    2      names         status codes, spec axes, name and value resolution
    3      loading       read files (h5netcdf or h5py), expand shards, combine files
    4      stats         select_time, replica statistics
    4      info          timings and the text summary (what `info` prints)
    4      launcher      run pdx (run, theory) from Python and load the result
    4      equilibration hot/cold agreement of Monte Carlo cells (issue 14)
    5      planes        a variable reduced to the plane of two axes (no drawing)
    5      boundary      the Boundary and Hysteresis records, kinds
    5      estimators    per-replica location estimators (numpy only)
    5      robust        robust vs clean error: cells, power laws in eps, correlations
    5      generalization  B_opt against eta P, regularizer gains, evidence tables
    5      flatness      the local energy against perturbation size (issue 16)
    5      noise         gradient-noise geometry and currents per cell (issue 17)
    6      detection     boundaries in datasets: interpolation, jump, ...
    7      overlays      theory lines as boundaries; simulation vs theory
    8      boundaries    front of 5-7 (``pdx_analysis.boundaries`` as before)
    8      refine        ``pdx refine``'s planner (rounds of bisection) and its record
    9      plot          heatmaps, boundary lines on them (Matplotlib)
    9      lines         learning curves and slices (Matplotlib)
    9      robust_plot   robust vs clean error, robust error vs eps (Matplotlib)
    9      flatness_plot local energy against perturbation size (Matplotlib)
    9      noise_plot    SGD against Langevin: eg, rank of D, current (Matplotlib)
    10     report        the one-command report (Markdown / HTML)
    11     accessor      ``ds.pdx``: the functions above as Dataset methods
    12     __init__      this package's public names
    13     __main__      the command line
    13     refine_cli    ``pdx refine``'s planner entry (python3 -m pdx_analysis.refine_cli)

Matplotlib is imported by layers 9 and up only; ``import pdx_analysis``
(layers 0-8 and the accessor) does not load it.

Importing this package sets ``HDF5_USE_FILE_LOCKING=FALSE`` in
``os.environ`` (before h5py is imported) so that a file that ``pdx run`` is
still writing can be read; :func:`load` copies everything into memory and
closes the file at once.
"""

import os

# Must happen before h5py (and so libhdf5) is imported: HDF5 1.10's flock
# makes readers of a file that a writer holds open fail with errno 11.
os.environ["HDF5_USE_FILE_LOCKING"] = "FALSE"

from .errors import (  # noqa: E402  (import after the environment is set)
    PdxError,
    PdxFileError,
    PdxFileNotFoundError,
    PdxNameError,
    PdxValueError,
)
from .names import (  # noqa: E402
    STATUS_NAMES,
    THEORY_STATUS_NAMES,
    find_axis,
    find_variable,
    is_theory,
    resolve_axis,
    resolve_variable,
    short_names,
    spec_axes,
    status_counts,
    status_names,
)
from .loading import Loaded, combine, load, load_files  # noqa: E402
from .stats import (  # noqa: E402
    STATISTICS,
    replica_mean,
    replica_reduce,
    replica_stats,
    select_time,
)
from .info import summary, timings  # noqa: E402
from .launcher import run, theory  # noqa: E402
from .equilibration import equilibration  # noqa: E402
from .boundaries import (  # noqa: E402
    Boundary,
    algorithmic_threshold,
    Hysteresis,
    divergence,
    early_stopping,
    find_boundaries,
    hysteresis,
    interpolation_threshold,
    jump,
    theory_lines,
    trainable_depth,
)
from .robust import power_law, robust_cells, robust_correlations  # noqa: E402
from .generalization import (  # noqa: E402
    batch_scaling,
    evidence_table,
    optimal_batch,
    regularizer_gains,
)
from .flatness import local_energy_table  # noqa: E402
from .noise import noise_cells  # noqa: E402
from .refine import Refinement, load_refine  # noqa: E402
from .accessor import PdxAccessor  # noqa: E402  (registers ds.pdx)

__version__ = "0.3.0"

__all__ = [
    "algorithmic_threshold",
    "STATISTICS",
    "STATUS_NAMES",
    "batch_scaling",
    "evidence_table",
    "optimal_batch",
    "regularizer_gains",
    "THEORY_STATUS_NAMES",
    "Boundary",
    "Hysteresis",
    "Loaded",
    "PdxAccessor",
    "PdxError",
    "PdxFileError",
    "PdxFileNotFoundError",
    "PdxNameError",
    "PdxValueError",
    "combine",
    "divergence",
    "early_stopping",
    "equilibration",
    "find_axis",
    "find_boundaries",
    "find_variable",
    "hysteresis",
    "interpolation_threshold",
    "is_theory",
    "jump",
    "load",
    "load_files",
    "power_law",
    "load_refine",
    "noise_cells",
    "Refinement",
    "replica_mean",
    "replica_reduce",
    "replica_stats",
    "resolve_axis",
    "resolve_variable",
    "run",
    "robust_cells",
    "local_energy_table",
    "robust_correlations",
    "select_time",
    "spec_axes",
    "status_counts",
    "status_names",
    "summary",
    "theory",
    "theory_lines",
    "timings",
    "trainable_depth",
    "short_names",
]
