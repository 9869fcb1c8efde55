"""The figure of issue 17's shipped sweep: SGD against Langevin dynamics at
equal temperature over alpha x temperature (Matplotlib; the numbers come
from :func:`pdx_analysis.noise.noise_cells`): the stationary eg, the
effective rank of the gradient noise D as a fraction of the dimension, and
the probability current's chi^2 per pair (about 19/17 without a current)."""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib import colormaps
from matplotlib.figure import Figure

from .errors import PdxValueError
from .noise import CHI2_NULL_PER_PAIR, noise_cells

__all__ = ["NoiseFigure", "sgd_vs_langevin"]


@dataclasses.dataclass
class NoiseFigure:
    """A drawn figure, its axes and the table it shows."""

    figure: Figure
    axes: object
    table: pd.DataFrame


PANELS = (("eg", "stationary $\\epsilon_g$", "linear"),
          ("rank_fraction", "participation ratio of D / d", "linear"),
          ("chi2_per_pair", "current $\\chi^2$ per pair", "log"))


def sgd_vs_langevin(datasets: Sequence[xr.Dataset], x: str = "data.alpha",
                    hue: str = "train.temperature",
                    size=(12.0, 3.8)) -> NoiseFigure:
    """One panel per quantity of :data:`PANELS` against axis ``x``, one line
    per value of ``hue`` (colour) and per algorithm (solid: sgd, dashed:
    langevin, or the datasets' order), error bars: standard errors over
    replicas; the current panel has the no-current level 19/17."""
    tables = [noise_cells(ds) for ds in datasets]
    table = pd.concat(tables, ignore_index=True)
    for col in (x, hue):
        if col not in table.columns:
            raise PdxValueError(f"{col} is not an axis of these files")
    fig = Figure(figsize=size)
    axs = fig.subplots(1, len(PANELS))
    hues = sorted(table[hue].unique())
    colours = colormaps["viridis"](np.linspace(0.0, 0.85, len(hues)))
    styles = {"sgd": "-", "langevin": "--"}
    for ax, (col, label, scale) in zip(axs, PANELS):
        if col not in table.columns:
            ax.set_visible(False)
            continue
        for (alg, h), t in table.groupby(["algorithm", hue]):
            t = t.sort_values(x)
            c = colours[hues.index(h)]
            ax.errorbar(t[x], t[col], yerr=t[col + "_sem"], color=c,
                        ls=styles.get(alg, ":"), marker="o", ms=3, capsize=2,
                        label=f"{alg} T={h:g}")
        if col == "chi2_per_pair":
            ax.axhline(CHI2_NULL_PER_PAIR, color="grey", lw=0.8, ls=":")
        ax.set_xscale("log")
        xs = sorted(table[x].unique())
        ax.set_xticks(xs, [format(v, "g") for v in xs])
        ax.minorticks_off()
        ax.set_yscale(scale)
        ax.set_xlabel(x)
        ax.set_title(label, fontsize=10)
    axs[0].legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return NoiseFigure(fig, axs, table)
