"""``ds.pdx``: the package's functions as methods of a loaded Dataset
(layer 11), for notebooks::

    ds = pa.load("out.h5")
    ds.pdx.axes                          # spec axes in document order
    ds.pdx.sel(alpha=1, start="hot")     # short names; nearest real value
    ds.pdx.mean("eg", time="final")      # replica statistics (Dataset)
    ds.pdx.stat("eg", "median")          # one statistic (DataArray)
    ds.pdx.boundary("interpolation")     # a Boundary (kind names as --kind)
    ds.pdx.plot("alpha", "temperature")  # heatmap (Matplotlib, no pyplot)

Registered when :mod:`pdx_analysis` is imported. Every method is a thin
call of the public function named in its docstring, so results are those
of the functions.
"""

from __future__ import annotations

from typing import Dict, List, Optional

import xarray as xr

from . import boundaries as bd
from .errors import PdxValueError
from .info import summary, timings
from .names import index_of, resolve_axis, resolve_variable, spec_axes, status_counts
from .planes import plane
from .stats import replica_mean, replica_reduce, select_time

#: Boundary kind -> the function that computes it.
BOUNDARY_FUNCTIONS = {
    "interpolation": bd.interpolation_threshold,
    "jump": bd.jump,
    "hysteresis": bd.hysteresis,
    "divergence": bd.divergence,
    "early_stopping": bd.early_stopping,
    "trainable_depth": bd.trainable_depth,
    "algorithmic": bd.algorithmic_threshold,
}


@xr.register_dataset_accessor("pdx")
class PdxAccessor:
    """Methods on a Dataset loaded by :func:`pdx_analysis.load` (a
    simulation or a theory file). Axis and variable names may be short
    (``alpha`` for ``data.alpha``, as :func:`pdx_analysis.resolve_axis`)."""

    def __init__(self, ds: xr.Dataset):
        self._ds = ds

    # names --------------------------------------------------------------

    @property
    def axes(self) -> List[str]:
        """The spec axes in document order (:func:`pdx_analysis.spec_axes`)."""
        return spec_axes(self._ds)

    def axis(self, name: str) -> str:
        """The dimension ``name`` means (:func:`pdx_analysis.resolve_axis`)."""
        return resolve_axis(self._ds, name)

    def var(self, name: str) -> str:
        """The variable ``name`` means (:func:`pdx_analysis.resolve_variable`)."""
        return resolve_variable(self._ds, name)

    def sel(self, indexers: Optional[Dict[str, object]] = None, **kwargs) -> xr.Dataset:
        """Select one value of some axes, named by full or short name
        (``{"data.alpha": 1}`` or ``alpha=1``): a choice axis by name or
        code, an integer axis by exact value, a real axis by the nearest
        value (so a stored 0.9999999999999998 is found by 1). Like
        ``--sel`` of the command line; the selected dimensions are dropped
        (their coordinates stay as scalars)."""
        wanted = dict(indexers or {}, **kwargs)
        positions = {}
        for key, value in wanted.items():
            dim = resolve_axis(self._ds, str(key))
            positions[dim] = index_of(self._ds, dim, value)[0]
        return self._ds.isel(positions)

    # statistics ---------------------------------------------------------

    def mean(self, var: str = "eg", time=None, quantiles=()) -> xr.Dataset:
        """Replica statistics of ``var`` over the done tasks
        (:func:`pdx_analysis.replica_mean`)."""
        return replica_mean(self._ds, var, time=time, quantiles=quantiles)

    def stat(self, var: str = "eg", stat: str = "mean", time=None) -> xr.DataArray:
        """One replica statistic (:func:`pdx_analysis.replica_reduce`)."""
        return replica_reduce(self._ds, var, stat, time=time)

    def at(self, var: str = "eg", time="final") -> xr.DataArray:
        """``var`` at one time per task: "final", "best" or a number
        (:func:`pdx_analysis.select_time`)."""
        return select_time(self._ds[resolve_variable(self._ds, var)], time)

    def plane(self, x: str, y: Optional[str] = None, var: str = "eg", **kwargs):
        """``var`` reduced to the plane of ``x`` and ``y``
        (:func:`pdx_analysis.planes.plane`; ``kwargs``: time, sel, reduce,
        stat)."""
        return plane(self._ds, x, y, var=var, **kwargs)

    def status_counts(self) -> Dict[str, int]:
        """Tasks per status (:func:`pdx_analysis.status_counts`)."""
        return status_counts(self._ds)

    def timings(self) -> Dict[str, float]:
        """Timing figures (:func:`pdx_analysis.timings`)."""
        return timings(self._ds)

    def summary(self) -> str:
        """The text of ``python3 -m pdx_analysis info``
        (:func:`pdx_analysis.summary`)."""
        return summary(self._ds)

    # boundaries ---------------------------------------------------------

    def boundary(self, kind: str = "interpolation", **kwargs):
        """One boundary: ``kind`` is a name ``--kind`` accepts
        (interpolation, capacity, jump, hysteresis, divergence,
        early-stopping, tau, trainable-depth); ``kwargs`` go to its function
        (:func:`pdx_analysis.interpolation_threshold`, ``jump``,
        ``hysteresis``, ``divergence``, ``early_stopping``,
        ``trainable_depth``). Returns a
        :class:`~pdx_analysis.Boundary` (a ``Hysteresis`` for hysteresis)."""
        name = bd.KIND_ALIASES.get(str(kind).strip().lower())
        if name not in BOUNDARY_FUNCTIONS:
            raise PdxValueError(f"unknown boundary kind {kind!r} (use "
                                + ", ".join(sorted(BOUNDARY_FUNCTIONS)) + ")")
        return BOUNDARY_FUNCTIONS[name](self._ds, **kwargs)

    def boundaries(self, **kwargs) -> list:
        """Every boundary kind that fits (:func:`pdx_analysis.find_boundaries`)."""
        return bd.find_boundaries(self._ds, **kwargs)

    def theory_lines(self, **kwargs) -> list:
        """The lines of a theory file (:func:`pdx_analysis.theory_lines`)."""
        return bd.theory_lines(self._ds, **kwargs)

    # figures ------------------------------------------------------------
    # Matplotlib is imported here, not at the top, so that `import
    # pdx_analysis` (which registers this accessor) does not load it: the
    # loading and statistics layers are used on cluster nodes and in
    # scripts that never draw.

    def plot(self, x: str, y: str, var: str = "eg", **kwargs):
        """A phase diagram (:func:`pdx_analysis.plot.heatmap`; ``kwargs``:
        time, sel, reduce, stat, contours, boundaries, theory, ax ...).
        Returns the :class:`~pdx_analysis.plot.Heatmap` (``.figure``)."""
        from .plot import heatmap  # lazy: see the comment above

        return heatmap(self._ds, x, y, var=var, **kwargs)

    def curves(self, variables=None, **kwargs):
        """Learning curves (:func:`pdx_analysis.lines.learning_curves`)."""
        from .lines import learning_curves  # lazy: see the comment above

        return learning_curves(self._ds, variables, **kwargs)

    def slices(self, x: str, **kwargs):
        """Slices against ``x`` (:func:`pdx_analysis.lines.slices`)."""
        from .lines import slices  # lazy: see the comment above

        return slices(self._ds, x, **kwargs)
