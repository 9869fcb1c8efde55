"""The records of a boundary (layer 5): :class:`Boundary` (a curve in a
plane of two axes with its uncertainty, one table row per point, written
to CSV and JSON) and :class:`Hysteresis` (the jump line per start and the
window between two starts), with the kinds and their labels. How they are
found is :mod:`pdx_analysis.detection` (simulations) and
:mod:`pdx_analysis.overlays` (theory files)."""

from __future__ import annotations

import dataclasses
import json
from typing import Dict, List, Optional, Tuple

import numpy as np
import pandas as pd

__all__ = ["Boundary", "Hysteresis", "KINDS", "KIND_ALIASES", "LABELS"]

#: Boundary kinds and their one-line descriptions.
KINDS = {
    "interpolation": "interpolation threshold: where the training error reaches zero",
    "jump": "first-order jump: where the variable jumps",
    "divergence": "divergence line: where runs start to diverge",
    "early_stopping": "optimal early-stopping time tau*: minimum of the variable over time",
    "trainable_depth": "trainable depth: the largest depth at which deep networks still train",
    "algorithmic": "algorithmic threshold: where the success probability falls through 1/2",
}

#: Lines a theory file gives explicitly: variable -> (along axis, kind,
#: label). Their value per cell is the line's location for that cell's

#: Names a user may give a kind (command line ``--kind``, ``ds.pdx.boundary``)
#: -> the kind (``hysteresis``: the jump per start; ``all``: every kind).
KIND_ALIASES = {"interpolation": "interpolation", "capacity": "interpolation",
                "jamming": "interpolation", "jump": "jump", "first-order": "jump",
                "hysteresis": "hysteresis", "divergence": "divergence",
                "early-stopping": "early_stopping", "early_stopping": "early_stopping",
                "tau": "early_stopping", "trainable-depth": "trainable_depth",
                "trainable_depth": "trainable_depth", "depth": "trainable_depth",
                "trainability": "trainable_depth",
                "algorithmic": "algorithmic", "algorithmic-threshold": "algorithmic",
                "algorithmic_threshold": "algorithmic", "success": "algorithmic",
                "all": "all"}

#: Legend labels of the kinds (simulation and theory).
LABELS = {
    "interpolation": "interpolation threshold",
    "jump": "jump",
    "divergence": "divergence",
    "early_stopping": "early stopping tau*",
    "trainable_depth": "trainable depth",
    "transition": "transition",
    "spinodal": "spinodal",
    "plateau": "plateau",
    "trainable_depth": "trainable depth",
    "order_chaos": "order-to-chaos line",
    "algorithmic": "algorithmic threshold",
}


# --------------------------------------------------------------------------
# the record


@dataclasses.dataclass
class Boundary:
    """A boundary curve: ``table`` has one row per point with the group
    axes' values, the ``across`` value, the location (column named after
    the ``along`` axis), ``err``, ``lo``, ``hi``, ``sem``, ``std``,
    ``resolution`` (all in along units), ``n`` (replicas with an estimate),
    ``n_censored`` (replicas with data but no crossing inside the range),
    ``note`` (why a point is missing, or a warning) and kind-specific
    columns (``height`` for jumps, ``value``/``value_err``/``value_final``
    for early stopping)."""

    kind: str
    along: str
    across: Optional[str]
    groups: List[str]
    table: pd.DataFrame
    var: Optional[str] = None
    threshold: Optional[float] = None
    time: Optional[str] = None
    direction: Optional[str] = None
    method: str = ""
    source: str = "simulation"
    file: str = ""
    along_scale: str = "lin"
    across_values: list = dataclasses.field(default_factory=list)
    selection: Dict[str, str] = dataclasses.field(default_factory=dict)
    title: Optional[str] = None

    @property
    def label(self) -> str:
        """A short legend label (kind, variable, source)."""
        text = self.title or LABELS.get(self.kind, self.kind)
        if self.source == "theory":
            text += " (theory)"
        return text

    def lines(self) -> List[Tuple[Dict[str, object], pd.DataFrame]]:
        """Return one (group values, rows sorted by ``across``) per line."""
        if not self.groups:
            return [({}, self._sorted(self.table))]
        out = []
        by = self.groups[0] if len(self.groups) == 1 else self.groups
        for key, rows in self.table.groupby(by, sort=False):
            key = key if isinstance(key, tuple) else (key,)
            out.append((dict(zip(self.groups, key)), self._sorted(rows)))
        return out

    def _sorted(self, rows: pd.DataFrame) -> pd.DataFrame:
        if self.across is None:
            return rows
        if self.across_values and rows[self.across].dtype == object:
            order = {v: i for i, v in enumerate(self.across_values)}
            return rows.iloc[np.argsort([order.get(v, 0) for v in rows[self.across]],
                                        kind="stable")]
        return rows.sort_values(self.across, kind="stable")

    def valid(self) -> pd.DataFrame:
        """Rows with a finite location."""
        return self.table[np.isfinite(self.table[self.along].astype(float))]

    def metadata(self) -> Dict[str, object]:
        """Return what the table columns mean and how they were computed."""
        return {
            "kind": self.kind, "description": KINDS.get(self.kind, ""),
            "along": self.along, "across": self.across, "groups": self.groups,
            "variable": self.var, "threshold": self.threshold,
            "time": self.time, "direction": self.direction,
            "method": self.method, "source": self.source, "file": self.file,
            "along_scale": self.along_scale, "selection": self.selection,
            "uncertainty": "err^2 = sem^2 + resolution^2 in the along axis' "
                           "plot scale; lo/hi = location -/+ err",
        }

    def to_dict(self) -> Dict[str, object]:
        """Return metadata plus ``points`` (the table as a list of dicts,
        NaN as None) -- what :meth:`to_json` writes."""
        rows = []
        for rec in self.table.to_dict(orient="records"):
            rows.append({k: _json_value(v) for k, v in rec.items()})
        return dict(self.metadata(), points=rows)

    def to_csv(self, path) -> str:
        """Write the table as CSV (NaN as empty); return the path."""
        self.table.to_csv(path, index=False, na_rep="")
        return str(path)

    def to_json(self, path) -> str:
        """Write :meth:`to_dict` as JSON; return the path."""
        with open(path, "w") as f:
            json.dump(self.to_dict(), f, indent=1)
            f.write("\n")
        return str(path)

    @property
    def name(self) -> str:
        """A file-name friendly identifier: kind, variable, source."""
        parts = [self.kind]
        if self.var and (self.kind != "divergence" or self.source == "theory"):
            parts.append(self.var)
        if self.source == "theory":
            parts.append("theory")
        return "_".join(p.replace(".", "-") for p in parts)


def _json_value(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if not np.isfinite(v) else float(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


@dataclasses.dataclass
class Hysteresis:
    """The jump line for each start (``boundary``, grouped by the start
    axis) and the window between two starts (``window``: per point the
    two locations, ``width`` = second - first and ``width_err``)."""

    boundary: Boundary
    start: str
    starts: Tuple[str, str]
    window: pd.DataFrame

    def to_csv(self, path) -> str:
        self.window.to_csv(path, index=False, na_rep="")
        return str(path)

