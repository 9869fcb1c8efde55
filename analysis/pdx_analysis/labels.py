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


#: The longest long_name used as a label: pdx files before issue 19 held
#: the key's whole documentation there (the label falls back to the name).
SHORT_NAME = 48


def short_name(attrs, fallback: str) -> str:
    """Return the ``long_name`` of ``attrs`` when it is short enough for a
    label (pdx files since issue 19: "α = P/N", "generalization error
    ε_g"), else ``fallback``."""
    name = str(attrs.get("long_name") or "")
    return name if name and len(name) <= SHORT_NAME and "\n" not in name else fallback


def units_text(attrs) -> str:
    """Return the ``units`` of ``attrs``, "" when dimensionless or absent."""
    units = str(attrs.get("units", "") or "")
    return "" if units in ("", "1") else units


def with_units(name: str, attrs) -> str:
    """Return ``name [units]`` (just ``name`` when dimensionless)."""
    units = units_text(attrs)
    return f"{name} [{units}]" if units else name


def is_geometric(values) -> bool:
    """Return True if ``values`` are at least 3 positive numbers with a
    (nearly) constant ratio of at least 1.5, such as alpha in [0.5, 1, 2,
    4, 8]: a listed axis drawn on a log scale."""
    v = np.sort(np.asarray(values))
    if v.dtype.kind not in "iuf" or len(v) < 3 or not np.all(v > 0):
        return False
    r = v[1:] / v[:-1]
    return bool(r.min() >= 1.5 and r.max() / r.min() < 1.3)


def axis_scale(ds: xr.Dataset, dim: str, override: Optional[str]) -> str:
    """Return "log", "lin" or "cat" for plotting ``dim``: categorical for
    choice axes, else ``override`` ("lin"/"log"), else log for a
    ``pdx_scale`` of "log" and for listed values that are geometrically
    spaced (:func:`is_geometric`), lin otherwise (log only when every
    value is positive)."""
    if is_categorical(ds, dim) or dim not in ds.coords:
        return "cat"
    coord = ds.coords[dim]
    if override is not None:
        if override not in ("lin", "log"):
            raise PdxValueError(f"bad axis scale {override!r} (use lin or log)")
        scale = override
    elif coord.attrs.get("pdx_scale") == "log":
        scale = "log"
    elif coord.attrs.get("pdx_scale", "list") == "list" and is_geometric(coord.values):
        scale = "log"
    else:
        scale = "lin"
    if scale == "log" and not np.all(np.asarray(coord.values, float) > 0):
        if override == "log":
            raise PdxValueError(f"{dim} has values <= 0: it cannot be drawn on a log scale")
        scale = "lin"
    return scale


def axis_label(ds: xr.Dataset, dim: str) -> str:
    """Return the label of axis ``dim``: its short ``long_name`` (else
    ``dim``) plus its units unless dimensionless, e.g. "α = P/N",
    "training time t [epochs]"."""
    if dim not in ds.coords:
        return dim
    attrs = ds.coords[dim].attrs
    return with_units(short_name(attrs, dim), attrs)


def variable_label(da) -> str:
    """Return the label of a variable: its short ``long_name`` (else its
    name) plus its units unless dimensionless."""
    return with_units(short_name(da.attrs, str(da.name)), da.attrs)


def readable_log_ticks(axis) -> None:
    """Give a Matplotlib axis (``ax.xaxis``, a colour bar's ``cbar.ax.yaxis``)
    on a log scale ticks that read well when it spans less than about two
    decades: 1, 2, 5 times powers of ten, labelled as plain numbers
    (Matplotlib's default leaves one tick, or none)."""
    # imported here: this module is layer 1, which `import pdx_analysis`
    # loads without Matplotlib (only the drawing layers call this)
    import matplotlib.ticker as mticker  # lazy: drawing layers only
    lo, hi = sorted(axis.get_view_interval())
    if not (lo > 0 and hi > 0) or hi / lo > 300:
        return
    subs = (1.0, 2.0, 5.0) if hi / lo > 20 else (1.0, 1.5, 2.0, 3.0, 5.0, 7.0)
    axis.set_major_locator(mticker.LogLocator(subs=subs))
    axis.set_major_formatter(mticker.FuncFormatter(lambda v, _: label_text(v, 3)))
    axis.set_minor_formatter(mticker.NullFormatter())
