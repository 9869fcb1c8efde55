"""The local-energy picture of issue 16 (Matplotlib; the numbers come from
:mod:`pdx_analysis.flatness`): local energy against perturbation size,
one line per algorithm (or other axis value), replica mean with
standard-error bars."""

from __future__ import annotations

import dataclasses
from typing import Dict, Optional

import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from .flatness import local_energy_table

__all__ = ["FlatnessFigure", "local_energy_plot"]


@dataclasses.dataclass
class FlatnessFigure:
    """A drawn figure, its axes and the table it shows."""

    figure: Figure
    ax: object
    table: object


def local_energy_plot(ds: xr.Dataset, by: Optional[str] = None, time="final",
                      var: str = "local_energy", sel: Optional[Dict[str, object]] = None,
                      ax=None, size=(6.4, 4.6), title: Optional[str] = None) -> FlatnessFigure:
    """Local energy (``var``) against the perturbation size at ``time``,
    one line per value of ``by`` (default ``train.algorithm``), error bars
    the standard errors over replicas (:func:`local_energy_table`); the
    legend gives each line's training error at size 0. ``ax``: draw into
    these axes instead of a new figure."""
    table = local_energy_table(ds, by=by, time=time, var=var, sel=sel)
    line = table.columns[0]
    if ax is None:
        fig = Figure(figsize=size)
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    for i, (value, g) in enumerate(table.groupby(line, sort=False)):
        label = f"{value}" if value is not None else var
        if np.isfinite(g["train_error"].iloc[0]):
            label += f" (train error {g['train_error'].iloc[0]:.3f})"
        ax.errorbar(g["perturbation"].to_numpy(float), g["mean"].to_numpy(float),
                    yerr=g["sem"].to_numpy(float), marker="os^Dv"[i % 5],
                    ms=4, capsize=2, lw=1.2, label=label)
    p = ds["perturbation"]
    ax.set_xlabel(p.attrs.get("long_name", "perturbation"))
    ax.set_ylabel(ds[var].attrs.get("long_name", var))
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    if title is None:
        title = f"{ds.attrs.get('title', '')}: {var} against perturbation size"
    if title:
        ax.set_title(title, fontsize="medium")
    return FlatnessFigure(fig, ax, table)
