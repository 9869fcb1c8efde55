"""Theory overlays of boundaries (layer 7): the lines a theory file gives
explicitly (:func:`theory_lines`: alpha_c, alpha_spinodal, eta_max,
plateau; deep networks: trainable_depth = 6 xi_c and the order-to-chaos
line sigma_w2_critical) as :class:`~pdx_analysis.boundary.Boundary` records, and the
point-by-point comparison of a simulated line with a theoretical one
(:func:`compare`)."""

from __future__ import annotations

import math
from typing import Dict, List, Optional

import numpy as np
import pandas as pd
import xarray as xr

from .boundary import Boundary
from .detection import default_across, prepare
from .errors import PdxValueError
from .names import DONE, find_axis, resolve_axis

__all__ = ["THEORY_LINES", "theory_lines", "compare"]

#: other parameters (constant along the along axis).
THEORY_LINES = {
    "alpha_c": ("data.alpha", "transition", "first-order transition alpha_c"),
    "alpha_spinodal": ("data.alpha", "spinodal", "spinodal alpha_spinodal"),
    "alpha_sp": ("data.alpha", "spinodal", "spinodal alpha_sp"),
    "eta_max": ("train.learning_rate", "divergence", "maximal learning rate eta_max"),
    "plateau_start": ("time", "plateau", "plateau start"),
    "plateau_end": ("time", "plateau", "plateau end"),
    "trainable_depth": ("depth", "trainable_depth", "6 xi_c (trainable depth)"),
    "sigma_w2_critical": ("sigma_w2", "order_chaos", "order-to-chaos line chi_1 = 1"),
}



def theory_lines(theory: xr.Dataset, across: Optional[str] = None,
                 sel: Optional[Dict[str, object]] = None) -> List[Boundary]:
    """The lines a theory file gives explicitly (:data:`THEORY_LINES`:
    ``alpha_c``, ``alpha_sp``, ``eta_max``, ``plateau_start``/``_end``) as
    Boundaries located along their axis (``data.alpha``,
    ``train.learning_rate``, ``time``) with one point per value of
    ``across`` (default: the first other axis with several values) and one
    line per value of the remaining axes. A point is the median over the
    along axis of the solved cells' finite values (the value does not
    depend on it; a note says when it does); err is 0. Lines whose along
    axis is not an axis of the file, or without any finite value, are
    left out."""
    out = []
    for var, (along_name, kind, title) in THEORY_LINES.items():
        if var not in theory.data_vars:
            continue
        along = find_axis(theory, along_name)
        if along is None or along not in theory.dims:
            continue
        da = theory[var].astype(float)
        if "status" in theory.variables:
            da = da.where(theory["status"] == DONE)
        if "time" in da.dims:
            continue
        if along == "time":
            acr = resolve_axis(theory, across) if across else default_across(theory, None)
            if acr is None:
                continue
            # a per-cell time: one point per cell of the across axis
            prof, groups, notes = prepare(theory, da, acr, None, sel)
            values = np.asarray(prof.values, dtype=float)[..., 0, :]  # drop replica
            rows = []
            for index in np.ndindex(*values.shape[:-1]) if values.ndim > 1 else [()]:
                for j in range(values.shape[-1]):
                    v = values[index + (j,)]
                    row = {d: _item(prof[d].values[i]) for d, i in zip(groups, index)}
                    row[acr] = _item(prof[acr].values[j])
                    row.update(_exact_row(v))
                    rows.append(row)
            tab = _table(rows, groups + [acr], "time")
            b = Boundary(kind=kind, along="time", across=acr, groups=groups, table=tab,
                         var=var, source="theory", method=f"theory variable {var}",
                         file=_src(theory), along_scale="log", title=title,
                         across_values=[_item(v) for v in theory[acr].values],
                         selection=notes)
        else:
            acr = (resolve_axis(theory, across) if across and resolve_axis(theory, across)
                   != along else default_across(theory, along, "temperature", "hidden",
                                                   "sigma_w2"))
            prof, groups, notes = prepare(theory, da, along, acr, sel)
            values = np.asarray(prof.values, dtype=float)[..., 0, :]  # drop replica
            rows = []
            lead = values.shape[:-1]
            for index in np.ndindex(*lead) if lead else [()]:
                v = values[index]
                row_dims = groups + ([acr] if acr else [])
                row = {d: _item(prof[d].values[i]) for d, i in zip(row_dims, index)}
                finite = v[np.isfinite(v)]
                med = float(np.median(finite)) if finite.size else math.nan
                row.update(_exact_row(med))
                row["n"] = int(finite.size)
                if finite.size and (finite.max() - finite.min()) > 1e-6 * max(abs(med), 1e-300):
                    row["note"] = f"varies along {along}: median of {finite.size} cells"
                rows.append(row)
            tab = _table(rows, groups + ([acr] if acr else []), along)
            b = Boundary(kind=kind, along=along, across=acr, groups=groups, table=tab,
                         var=var, source="theory", method=f"theory variable {var}",
                         file=_src(theory),
                         along_scale="log" if theory[along].attrs.get("pdx_scale") == "log"
                         else "lin", title=title,
                         across_values=([_item(v) for v in theory[acr].values]
                                        if acr else []), selection=notes)
        if len(b.valid()):
            out.append(b)
    return out


def _item(v):
    return v.item() if hasattr(v, "item") else v


def _src(ds) -> str:
    src = ds.encoding.get("source", "")
    return ", ".join(src) if isinstance(src, (list, tuple)) else str(src)


def _exact_row(v: float) -> Dict[str, object]:
    v = float(v)
    ok = math.isfinite(v)
    return {"loc": v, "err": 0.0 if ok else math.nan, "lo": v, "hi": v,
            "sem": math.nan, "std": math.nan, "resolution": 0.0 if ok else math.nan,
            "n": 1 if ok else 0, "n_censored": 0, "note": "" if ok else "not solved"}


def _table(rows, keys, loc_name) -> pd.DataFrame:
    table = pd.DataFrame(rows).rename(columns={"loc": loc_name})
    front = keys + [loc_name, "err", "lo", "hi", "sem", "std", "resolution", "n",
                    "n_censored", "note"]
    if not len(table):
        return pd.DataFrame(columns=front)
    return table[[c for c in front if c in table.columns]
                 + [c for c in table.columns if c not in front]]


# --------------------------------------------------------------------------
# simulation vs theory


def compare(sim: Boundary, theory: Boundary) -> pd.DataFrame:
    """Join a simulated and a theoretical boundary of the same kind point
    by point: columns of the keys, ``sim``, ``sim_err``, ``theory``,
    ``theory_err``, ``diff`` = sim - theory and ``z`` = diff / combined
    err (NaN where either is missing)."""
    if sim.along != theory.along or sim.across != theory.across:
        raise PdxValueError("the boundaries are not in the same plane: "
                            f"{sim.along}/{sim.across} vs {theory.along}/{theory.across}")
    keys = [g for g in sim.groups if g in theory.groups] + (
        [sim.across] if sim.across else [])
    a = sim.table[keys + [sim.along, "err"]].rename(columns={sim.along: "sim",
                                                              "err": "sim_err"})
    b = theory.table[keys + [theory.along, "err"]].rename(
        columns={theory.along: "theory", "err": "theory_err"})
    for k in keys:  # compare labels as text, numbers as floats
        if a[k].dtype == object or b[k].dtype == object:
            a[k], b[k] = a[k].astype(str), b[k].astype(str)
    m = a.merge(b, on=keys, how="left") if keys else pd.concat([a, b], axis=1)
    m["diff"] = m["sim"] - m["theory"]
    tot = np.sqrt(m["sim_err"].fillna(0) ** 2 + m["theory_err"].fillna(0) ** 2)
    m["z"] = np.where(tot > 0, m["diff"] / tot.where(tot > 0), np.nan)
    return m
