"""Text summary of a loaded pdx file: provenance, dimensions, variables,
task counts and timings (layer 4; what ``python3 -m pdx_analysis info``
prints)."""

from __future__ import annotations

import datetime
from typing import Dict

import numpy as np
import xarray as xr

from .names import PENDING, all_dims, is_theory, spec_axes, status_counts


def _format_values(values, limit=8) -> str:
    """Return a short text listing of coordinate values."""
    vals = [v if isinstance(v, str) else format(v, ".4g") for v in np.asarray(values).tolist()]
    if len(vals) <= limit:
        return ", ".join(vals)
    return f"{vals[0]}, {vals[1]}, ..., {vals[-1]}"


def timings(ds: xr.Dataset) -> Dict[str, float]:
    """Return timing figures of a simulation file: ``tasks_run`` (tasks
    with a non-zero status), ``cpu_seconds`` (sum of ``wall_seconds`` over
    them), ``mean_task_seconds``, ``max_task_seconds``, ``tasks_pending``,
    ``pending_cpu_seconds`` (an estimate: pending tasks x mean task time)
    and, when the file has ``start_time`` and ``end_time``,
    ``elapsed_seconds``. Empty for files without ``wall_seconds``."""
    out: Dict[str, float] = {}
    if "wall_seconds" not in ds.variables or "status" not in ds.variables:
        return out
    status = np.asarray(ds["status"].values)
    wall = np.asarray(ds["wall_seconds"].values, dtype=float)
    ran = (status != PENDING) & np.isfinite(wall)
    out["tasks_run"] = int(ran.sum())
    out["tasks_pending"] = int((status == PENDING).sum())
    if ran.any():
        out["cpu_seconds"] = float(wall[ran].sum())
        out["mean_task_seconds"] = float(wall[ran].mean())
        out["max_task_seconds"] = float(wall[ran].max())
        out["pending_cpu_seconds"] = out["mean_task_seconds"] * out["tasks_pending"]
    start, end = ds.attrs.get("start_time"), ds.attrs.get("end_time")
    if start and end:
        try:
            t0 = datetime.datetime.fromisoformat(str(start).replace("Z", "+00:00"))
            t1 = datetime.datetime.fromisoformat(str(end).replace("Z", "+00:00"))
            out["elapsed_seconds"] = (t1 - t0).total_seconds()
        except ValueError:
            pass
    return out


def _seconds(value: float) -> str:
    """Return a duration as text (s, min or h)."""
    if value < 120:
        return f"{value:.3g} s"
    if value < 7200:
        return f"{value / 60:.3g} min"
    return f"{value / 3600:.3g} h"


def summary(ds: xr.Dataset) -> str:
    """Return a short multi-line text summary of a loaded pdx file: title,
    provenance, dimensions with values, variables and task status counts."""
    a = ds.attrs
    source = ds.encoding.get("source", "")
    if isinstance(source, (list, tuple)):
        source = f"{len(source)} files: " + ", ".join(map(str, source))
    lines = [f"{a.get('title', '(untitled)')}  {source}".rstrip()]
    complete = int(a.get("pdx_complete", 0)) == 1
    lines.append(
        ("theory, " if is_theory(ds) else "")
        + f"pdx {a.get('pdx_version', '?')} ({a.get('git_describe', '?')}), "
        f"schema {a.get('pdx_schema_version', '?')}, "
        + ("complete" if complete else "incomplete (running, stopped or unfinished)")
        + f", seed {a.get('seed', '?')}, started {a.get('start_time', '?')}"
        + (f", ended {a['end_time']}" if "end_time" in a else ""))
    axes = spec_axes(ds)
    n_cells = int(np.prod([ds.sizes[d] for d in axes])) if axes else 1
    lines.append(f"dimensions ({n_cells} cells):")
    width = max(len(d) for d in all_dims(ds))
    for d in all_dims(ds):
        kind = "axis" if d in axes else "    "
        if d in ds.coords:
            c = ds.coords[d]
            scale = c.attrs.get("pdx_scale", "")
            vals = _format_values(c.values)
        else:
            scale, vals = "", ""
        lines.append(f"  {kind} {d:<{width}} {ds.sizes[d]:>5} {scale:<4} {vals}")
    lines.append("variables:")
    vwidth = max((len(str(v)) for v in ds.data_vars), default=1)
    for v in sorted(map(str, ds.data_vars)):
        da = ds[v]
        extra = [d for d in da.dims if d not in axes]
        dims = (["A..."] if axes and all(d in da.dims for d in axes) else []) + extra
        units = da.attrs.get("units", "")
        unit_text = f" [{units}]" if units not in ("", "1") else ""
        lines.append(f"  {v:<{vwidth}} ({', '.join(dims)}) {da.dtype}"
                     f"  {da.attrs.get('long_name', '')}{unit_text}")
    if "status" in ds.variables:
        counts = status_counts(ds)
        total = sum(counts.values())
        parts = [f"{name} {n}" + (f" ({100.0 * n / total:.1f}%)" if total and n else "")
                 for name, n in counts.items()]
        lines.append(f"{'cells' if is_theory(ds) else 'tasks'}: {total} = "
                     + ", ".join(parts))
    t = timings(ds)
    if t.get("tasks_run"):
        text = (f"timing: {_seconds(t['cpu_seconds'])} in {t['tasks_run']} tasks "
                f"(mean {_seconds(t['mean_task_seconds'])}, "
                f"max {_seconds(t['max_task_seconds'])})")
        if "elapsed_seconds" in t:
            text += f", {_seconds(t['elapsed_seconds'])} elapsed"
        if t["tasks_pending"]:
            text += f"; about {_seconds(t['pending_cpu_seconds'])} of work left"
        lines.append(text)
    return "\n".join(lines)
