"""How axes and values are written and scaled in figures and tables
(layer 1): short texts for coordinate values, axis labels with units, and
whether an axis is drawn categorical, linear or logarithmic. Used by the
plotting modules, the report and the name resolution's messages; no
Matplotlib here."""

from __future__ import annotations

from typing import Optional

import numpy as np
import xarray as xr

from .errors import PdxValueError


def label_text(value, digits: int = 4) -> str:
    """Return a short text for a coordinate value (``digits`` significant
    digits for reals)."""
    if isinstance(value, (str, np.str_)):
        return str(value)
    if isinstance(value, (float, np.floating)):
        return format(float(value), f".{digits}g")
    return str(value)


def is_categorical(da, dim: str) -> bool:
    """Return True if ``dim`` has non-numeric (e.g. choice name) labels."""
    return dim in da.coords and da.coords[dim].dtype.kind in "USO"


def axis_scale(ds: xr.Dataset, dim: str, override: Optional[str]) -> str:
    """Return "log", "lin" or "cat" for plotting ``dim``: categorical for
    choice axes, else ``override`` ("lin"/"log") or the axis' ``pdx_scale``
    (log only when every value is positive)."""
    if is_categorical(ds, dim) or dim not in ds.coords:
        return "cat"
    if override is not None:
        if override not in ("lin", "log"):
            raise PdxValueError(f"bad axis scale {override!r} (use lin or log)")
        scale = override
    else:
        scale = "log" if ds.coords[dim].attrs.get("pdx_scale") == "log" else "lin"
    if scale == "log" and not np.all(np.asarray(ds.coords[dim].values, float) > 0):
        if override == "log":
            raise PdxValueError(f"{dim} has values <= 0: it cannot be drawn on a log scale")
        scale = "lin"
    return scale


def axis_label(ds: xr.Dataset, dim: str) -> str:
    """Return ``dim`` plus its units (unless dimensionless)."""
    units = ds.coords[dim].attrs.get("units", "") if dim in ds.coords else ""
    return f"{dim} [{units}]" if units not in ("", "1") else dim
