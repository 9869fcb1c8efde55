"""Boundaries in a phase diagram, each with an uncertainty from the replicas.

A boundary is a curve in a plane of two axes: for every value of the
*across* axis (and every combination of the remaining *group* axes) it has a
location along the *along* axis. Every location is estimated replica by
replica; the boundary point is the mean of the replicas' estimates in the
along axis' plot scale (logarithmic for ``pdx_scale = "log"`` axes), and its
uncertainty combines the replicas' standard error with the grid
resolution::

    err^2 = sem^2 + resolution^2,  resolution = mean bracket width / sqrt(12)

(the resolution is that of a location known only to lie somewhere in the
bracket of two neighbouring grid values; it does not shrink with more
replicas, since all replicas share the grid). ``lo``/``hi`` are the
location -/+ err (in the plot scale, so asymmetric on log axes) and
``err`` is (hi - lo)/2.

Kinds (functions):

* :func:`interpolation_threshold` -- where the training error reaches zero
  (below a threshold) along an axis (``data.alpha``), for every value of
  another (``train.temperature``): the capacity / jamming line.
* :func:`jump` -- where a variable (``eg``) jumps (first-order
  transition); :func:`hysteresis` compares the hot and cold starts
  (``train.start``) and gives the window between them.
* :func:`divergence` -- the learning-rate threshold above which runs
  diverge (status 2, or a variable above a threshold).
* :func:`early_stopping` -- the optimal early-stopping time tau*(x): the
  time of the minimum of ``eg(t)`` for every value of x.
* :func:`trainable_depth` -- the largest depth at which deep networks
  still train, for every sigma_w2 (Schoenholz et al. 2017; the theory's
  6 xi_c line is its overlay).
* :func:`algorithmic_threshold` -- where the success probability of
  replicated (or plain) training falls through 1/2 along ``data.alpha``
  (issue 16); a logistic fit, err from a bootstrap over replicas.

Each returns a :class:`Boundary` whose ``table`` (a pandas DataFrame) has
one row per point and which writes itself to CSV and JSON. Theory files
(no replicas) work too: one estimate per point, err = resolution.

This module is the boundaries' front (layer 8): it gathers the records
(:mod:`pdx_analysis.boundary`), the per-replica estimators
(:mod:`pdx_analysis.estimators`), the detection in datasets
(:mod:`pdx_analysis.detection`) and the theory overlays
(:mod:`pdx_analysis.overlays`) under one name, so that
``from pdx_analysis import boundaries as bd; bd.jump(ds)`` keeps working.
"""


from .boundary import KIND_ALIASES, KINDS, LABELS, Boundary, Hysteresis
from .detection import (
    RUNAWAY_FACTOR,
    algorithmic_threshold,
    default_across,
    divergence,
    early_stopping,
    equilibrium_var,
    find_boundaries,
    hysteresis,
    interpolation_threshold,
    jump,
    trainable_depth,
)
from .estimators import SQRT12
from .overlays import THEORY_LINES, compare, theory_lines

__all__ = [
    "Boundary", "Hysteresis", "KINDS", "LABELS", "interpolation_threshold", "jump",
    "divergence", "early_stopping", "hysteresis", "find_boundaries",
    "compare", "theory_lines", "THEORY_LINES", "RUNAWAY_FACTOR", "SQRT12",
    "default_across", "equilibrium_var", "KIND_ALIASES", "trainable_depth",
    "algorithmic_threshold",
]
