"""Hot/cold agreement of Monte Carlo cells (layer 4; issue 14 item 4).

``pdx run`` judges each task on its own (the variable ``equilibrated``:
autocorrelation time, drift, effective samples, docs/TRAINERS.md). Where
the sweep has both starts (the axis ``train.start`` with ``hot`` and
``cold``), two tasks of one cell and replica sample the same Gibbs measure
on the same training set from opposite ends; they must agree. This module
compares their averages after burn-in::

    eq = equilibration(ds)
    eq["hot_cold_z"]          # max over train_error_mean, eg_mean of
                              # |hot - cold| / sqrt(sem_hot^2 + sem_cold^2)
    eq["equilibrated_all"]    # equilibrated (each task) and |z| <= z_max

A cell's ``equilibrated_all`` is 1 only when both of its tasks pass their
own test and agree; without both starts it is ``equilibrated``. Files of a
pdx with the hot/cold check in ``pdx run`` (src/sweep_partner.c) already
hold it in ``equilibrated`` and ``hot_cold_z`` of each task; this module
gives the same verdict for them and the check for files written before.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from .errors import PdxValueError

PAIRS = (("train_error_mean", "train_error_sem"), ("eg_mean", "eg_sem"))


def _start_labels(coord) -> list:
    """The train.start coordinate's values as text (CF flags or strings)."""
    vals = np.asarray(coord.values).tolist()
    meanings = coord.attrs.get("flag_meanings")
    if meanings is not None and not isinstance(vals[0], str):
        names = str(meanings.decode() if isinstance(meanings, bytes) else meanings).split()
        flags = list(np.asarray(coord.attrs.get("flag_values", range(len(names)))).tolist())
        return [names[flags.index(v)] if v in flags else str(v) for v in vals]
    return [v.decode() if isinstance(v, bytes) else str(v) for v in vals]


def equilibration(ds: xr.Dataset, z_max: float = 4.0) -> xr.Dataset:
    """Return ``hot_cold_z`` and ``equilibrated_all`` for a sweep with the
    diagnostics of pdx run (docs/FORMAT.md). ``hot_cold_z`` has the
    dimensions of ``equilibrated`` without ``train.start`` (NaN without
    both starts); ``equilibrated_all`` those of ``equilibrated``."""
    for name in ("equilibrated",) + tuple(v for pair in PAIRS for v in pair):
        if name not in ds.variables:
            raise PdxValueError(
                f"the file has no '{name}': equilibration needs a metropolis "
                "or langevin sweep of a pdx with the diagnostics (issue 14)")
    eq = ds["equilibrated"]
    dim = "train.start"
    if dim not in eq.dims:
        return xr.Dataset({"hot_cold_z": xr.full_like(eq, np.nan, dtype=float),
                           "equilibrated_all": eq})
    labels = _start_labels(ds[dim])
    if "hot" not in labels or "cold" not in labels:
        z = xr.full_like(eq.isel({dim: 0}, drop=True), np.nan, dtype=float)
        return xr.Dataset({"hot_cold_z": z, "equilibrated_all": eq})
    hot, cold = labels.index("hot"), labels.index("cold")
    z = None
    for mean, sem in PAIRS:
        d = abs(ds[mean].isel({dim: hot}, drop=True) - ds[mean].isel({dim: cold}, drop=True))
        se = np.sqrt(ds[sem].isel({dim: hot}, drop=True) ** 2
                     + ds[sem].isel({dim: cold}, drop=True) ** 2)
        zi = xr.where(d == 0, 0.0, xr.where(se > 0, d / se, np.inf))
        zi = zi.where(np.isfinite(d))
        z = zi if z is None else np.fmax(z, zi)
    agree = (z <= z_max) & (eq.isel({dim: hot}, drop=True) == 1) & (
        eq.isel({dim: cold}, drop=True) == 1)
    both = xr.where(agree, 1.0, 0.0)
    all_eq = xr.where(eq == 1, both, 0.0).transpose(*eq.dims)
    z.attrs = {"long_name": "hot/cold disagreement |z|",
               "description": "max over train_error_mean and eg_mean of "
                              "|hot - cold| / sqrt(sem_hot^2 + sem_cold^2)"}
    all_eq.attrs = {"long_name": "equilibrated (with hot/cold agreement)",
                    "description": f"equilibrated in both starts and hot_cold_z <= {z_max}"}
    return xr.Dataset({"hot_cold_z": z, "equilibrated_all": all_eq})
