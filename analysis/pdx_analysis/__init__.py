"""pdx_analysis — read and plot pdx result files ("phase diagrams").

A pdx result file (layout: docs/FORMAT.md) is netCDF-4 compatible HDF5 with
one dimension per spec axis (named by its dotted key, e.g.
``train.learning_rate``), then ``replica``, ``time`` and unit dimensions.

Public API::

    ds = load("out.h5")                      # xarray.Dataset, in memory
    dim = resolve_axis(ds, "learning_rate")  # -> "train.learning_rate"
    stats = replica_mean(ds, "eg", time="final")
    eg_final = select_time(ds["eg"], "final")
    spec_axes(ds), status_counts(ds), summary(ds)
    from pdx_analysis.plot import heatmap, plot_file

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
    STATUS_NAMES,
    PdxError,
    PdxFileError,
    PdxFileNotFoundError,
    PdxNameError,
    PdxValueError,
    load,
    replica_mean,
    resolve_axis,
    resolve_variable,
    select_time,
    spec_axes,
    status_counts,
    summary,
)

__version__ = "0.1.0"

__all__ = [
    "STATUS_NAMES",
    "PdxError",
    "PdxFileError",
    "PdxFileNotFoundError",
    "PdxNameError",
    "PdxValueError",
    "load",
    "replica_mean",
    "resolve_axis",
    "resolve_variable",
    "select_time",
    "spec_axes",
    "status_counts",
    "summary",
]
