"""pdx_analysis — read and plot pdx result files ("phase diagrams").

A pdx result file (layout: docs/FORMAT.md) is netCDF-4 compatible HDF5 with
one dimension per spec axis (named by its dotted key, e.g.
``train.learning_rate``), then ``replica``, ``time`` and unit dimensions.

Public API::

    ds = load("out.h5")                      # xarray.Dataset, in memory
    ds = load(["a.h5", "b.h5"])              # shards of one sweep, combined
    both = load_files(["out.h5", "theory.h5"])  # both.sim, both.theory
    dim = resolve_axis(ds, "learning_rate")  # -> "train.learning_rate"
    stats = replica_mean(ds, "eg", time="final")  # mean median std sem count
    eg_best = select_time(ds["eg"], "best")  # minimum over time, and when
    b = interpolation_threshold(ds)          # also jump, hysteresis,
    b.table, b.to_csv("b.csv")               # divergence, early_stopping
    spec_axes(ds), status_counts(ds), summary(ds), timings(ds)
    from pdx_analysis.plot import heatmap, plot_file
    from pdx_analysis.lines import learning_curves, slices
    from pdx_analysis.report import report

Importing this package sets ``HDF5_USE_FILE_LOCKING=FALSE`` in
``os.environ`` (before h5py is imported) so that a file that ``pdx run`` is
still writing can be read; :func:`load` copies everything into memory and
closes the file at once.
"""

import os

# Must happen before h5py (and so libhdf5) is imported: HDF5 1.10's flock
# makes readers of a file that a writer holds open fail with errno 11.
os.environ["HDF5_USE_FILE_LOCKING"] = "FALSE"

from .core import (  # noqa: E402  (import after the environment is set)
    STATISTICS,
    STATUS_NAMES,
    THEORY_STATUS_NAMES,
    PdxError,
    PdxFileError,
    PdxFileNotFoundError,
    PdxNameError,
    PdxValueError,
    find_axis,
    find_variable,
    is_theory,
    load,
    replica_mean,
    replica_reduce,
    replica_stats,
    resolve_axis,
    resolve_variable,
    select_time,
    spec_axes,
    status_counts,
    status_names,
    summary,
    timings,
)
from .combine import Loaded, combine, load_files  # noqa: E402
from .boundaries import (  # noqa: E402
    Boundary,
    Hysteresis,
    divergence,
    early_stopping,
    find_boundaries,
    hysteresis,
    interpolation_threshold,
    jump,
    theory_lines,
)

__version__ = "0.2.0"

__all__ = [
    "STATISTICS",
    "STATUS_NAMES",
    "THEORY_STATUS_NAMES",
    "Boundary",
    "Hysteresis",
    "Loaded",
    "PdxError",
    "PdxFileError",
    "PdxFileNotFoundError",
    "PdxNameError",
    "PdxValueError",
    "combine",
    "divergence",
    "early_stopping",
    "find_axis",
    "find_boundaries",
    "find_variable",
    "hysteresis",
    "interpolation_threshold",
    "is_theory",
    "jump",
    "load",
    "load_files",
    "replica_mean",
    "replica_reduce",
    "replica_stats",
    "resolve_axis",
    "resolve_variable",
    "select_time",
    "spec_axes",
    "status_counts",
    "status_names",
    "summary",
    "theory_lines",
    "timings",
]
