"""Synthetic pdx result files for the tests, written with h5py exactly as
docs/FORMAT.md (schema version 1) describes them:

* one 1-D coordinate dataset per dimension, made an HDF5 dimension scale
  (``dset.make_scale(name)``) and attached to every variable that uses it;
* spec axes first (document order), then ``replica``, ``time`` and the unit
  dimensions;
* fixed-length ASCII string attributes (``numpy.bytes_``), int32 choice
  coordinates with ``flag_values`` / ``flag_meanings``;
* ``status`` int8 (0 pending, 1 done, 2 diverged, 3 failed), ``steps`` int64
  (-1 while pending), float64 variables NaN-filled with a NaN ``_FillValue``.

The values are a deterministic function of the coordinates so that tests can
compare against the arrays returned in :class:`Synth`.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Sequence

import h5py
import numpy as np

PENDING, DONE, DIVERGED, FAILED = 0, 1, 2, 3


def _s(text: str) -> np.bytes_:
    """A fixed-length ASCII string attribute value (empty -> one NUL)."""
    return np.bytes_(text.encode("ascii"))


@dataclasses.dataclass
class Axis:
    """One spec axis: dotted key, values, kind ("real", "int", "choice")."""

    name: str
    values: Sequence
    kind: str = "real"
    scale: str = "list"
    choices: Sequence[str] = ()  # all choice names; code = index
    units: str = "1"
    long_name: str = ""


@dataclasses.dataclass
class Synth:
    """What was written: the path plus the arrays (dims: axes, replica[, time])."""

    path: str
    axes: list
    replicas: int
    times: np.ndarray
    status: np.ndarray  # A..., replica
    eg: np.ndarray  # A..., replica, time
    steps: np.ndarray


STANDARD_AXES = [
    # Codes deliberately unsorted and non-contiguous (relu, erf, linear):
    # decoding must map by value, not by position.
    Axis("student.activation", [1, 0, 3], "choice", "list",
         choices=["erf", "relu", "tanh", "linear"], units="",
         long_name="student activation g"),
    Axis("train.learning_rate", [0.1, 0.3, 1.0, 3.0], "real", "log",
         long_name="learning rate eta"),
    Axis("student.hidden", [1, 2], "int", "list", units="",
         long_name="student hidden units K"),
    Axis("teacher.hidden", [2], "int", "list", units="",
         long_name="teacher hidden units M"),
]


def standard_status(shape) -> np.ndarray:
    """Status for STANDARD_AXES with 3 replicas: mostly done; a few diverged
    replicas, one fully pending cell, one failed replica."""
    status = np.full(shape, DONE, dtype=np.int8)
    # (activation index, lr index, student.hidden index, teacher.hidden, rep)
    status[0, 3, 0, 0, 1] = DIVERGED  # relu, lr=3, K=1: one replica diverged
    status[2, 3, 1, 0, :] = DIVERGED  # linear, lr=3, K=2: all diverged
    status[1, 0, 1, 0, :] = PENDING  # erf, lr=0.1, K=2: not yet run
    status[1, 1, 0, 0, 2] = PENDING  # erf, lr=0.3, K=1: partly run
    status[2, 0, 0, 0, 0] = FAILED  # linear, lr=0.1, K=1: one failed
    return status


def write_pdx_file(path, axes=None, replicas=3, times=None, status=None,
                   train_end=None, title="synthetic sweep", k_max=2, m_max=2,
                   pdx_schema=True, complete=True) -> Synth:
    """Write a pdx-format file at ``path`` and return what was written.

    ``train_end``: alpha after which checkpoints are NaN, either a number or
    a callable of the cell's index tuple (default: cells with
    student.hidden == 2, if that axis exists, stop at alpha 3).
    ``pdx_schema=False`` omits the ``pdx_schema_version`` attribute.
    """
    axes = list(STANDARD_AXES if axes is None else axes)
    times = np.asarray([0.1, 0.3, 1.0, 3.0, 10.0] if times is None else times,
                       dtype=np.float64)
    ashape = tuple(len(a.values) for a in axes)
    shape = ashape + (replicas,)
    if status is None:
        status = (standard_status(shape) if axes == STANDARD_AXES
                  else np.full(shape, DONE, dtype=np.int8))
    status = np.asarray(status, dtype=np.int8)
    assert status.shape == shape

    names = [a.name for a in axes]
    k_axis = names.index("student.hidden") if "student.hidden" in names else None

    def end_of(cell):
        if callable(train_end):
            return train_end(cell)
        if train_end is not None:
            return float(train_end)
        if k_axis is not None and axes[k_axis].values[cell[k_axis]] == 2:
            return 3.0
        return float(times[-1])

    nt = len(times)
    eg = np.full(shape + (nt,), np.nan)
    norm = np.full(shape + (nt,), np.nan)
    q = np.full(shape + (nt, k_max, k_max), np.nan)
    r = np.full(shape + (nt, k_max, m_max), np.nan)
    v = np.full(shape + (nt, k_max), np.nan)
    t_over = np.full(shape + (m_max, m_max), np.nan)
    steps = np.full(shape, -1, dtype=np.int64)
    wall = np.full(shape, np.nan)
    for cell in itertools.product(*(range(n) for n in ashape)):
        # a smooth, cell-dependent learning curve eg(t) = floor + amp e^{-t}
        floor = 1e-3 * (1 + sum((i + 1) * c for i, c in enumerate(cell)))
        end = end_of(cell)
        k = int(axes[k_axis].values[cell[k_axis]]) if k_axis is not None else k_max
        for rep in range(replicas):
            st = status[cell + (rep,)]
            if st == PENDING:
                continue
            steps[cell + (rep,)] = int(end * 100)
            wall[cell + (rep,)] = 0.5 + rep
            curve = floor + 0.5 * np.exp(-times) + 1e-4 * rep
            curve[times > end + 1e-12] = np.nan
            if st == DIVERGED:
                curve[2:] = np.nan  # diverged after the second checkpoint
                curve[:2] = 50.0  # huge, must never enter a replica mean
            if st == FAILED:
                curve[:] = np.nan
            eg[cell + (rep,)] = curve
            norm[cell + (rep,)] = 1.0 - curve
            q[cell + (rep,)][:, :k, :k] = 0.5
            r[cell + (rep,)][:, :k, :] = 0.25
            v[cell + (rep,)][:, :k] = 1.0
            t_over[cell + (rep,)] = np.eye(m_max)

    with h5py.File(path, "w") as f:
        if pdx_schema:
            f.attrs["pdx_schema_version"] = np.int32(1)
        f.attrs["title"] = _s(title)
        f.attrs["Conventions"] = _s("CF-1.8")
        f.attrs["pdx_version"] = _s("0.1.0")
        f.attrs["git_describe"] = _s("unknown")
        f.attrs["spec"] = _s("name: %s\n" % title)
        f.attrs["spec_sha256"] = _s("0" * 64)
        f.attrs["spec_path"] = _s("synthetic.yaml")
        f.attrs["seed"] = np.int64(7)
        f.attrs["replicas"] = np.int64(replicas)
        f.attrs["command_line"] = _s("pdx run synthetic.yaml")
        f.attrs["host"] = _s("localhost")
        f.attrs["start_time"] = _s("2024-01-01T00:00:00Z")
        if complete:
            f.attrs["end_time"] = _s("2024-01-01T00:01:00Z")
        f.attrs["rng"] = _s("philox4x32-10")
        f.attrs["rng_key_version"] = np.int64(1)
        f.attrs["pdx_complete"] = np.uint8(1 if complete else 0)
        f.attrs["param:N"] = np.float64(50)
        f.attrs["param:student.kind"] = _s("committee")

        scales = {}

        def coord(name, values, dtype, attrs):
            d = f.create_dataset(name, data=np.asarray(values, dtype=dtype))
            for key, val in attrs.items():
                d.attrs[key] = val
            d.make_scale(name)
            scales[name] = d

        for a in axes:
            attrs = {"long_name": _s(a.long_name or a.name), "units": _s(a.units),
                     "pdx_scale": _s(a.scale)}
            if a.kind == "choice":
                attrs["flag_values"] = np.arange(len(a.choices), dtype=np.int32)
                attrs["flag_meanings"] = _s(" ".join(a.choices))
            dtype = {"real": np.float64, "int": np.int64, "choice": np.int32}[a.kind]
            coord(a.name, a.values, dtype, attrs)
        coord("replica", np.arange(replicas), np.int64,
              {"long_name": _s("replica (independent run)")})
        coord("time", times, np.float64,
              {"long_name": _s("training time alpha = steps/N"),
               "units": _s("1"), "pdx_scale": _s("log")})
        for name, n in (("student_unit", k_max), ("student_unit2", k_max),
                        ("teacher_unit", m_max), ("teacher_unit2", m_max)):
            coord(name, np.arange(n), np.int64, {"long_name": _s(name)})

        def var(name, data, extra_dims, long_name, units, fill=True, attrs=None):
            d = f.create_dataset(name, data=data)
            if fill:
                d.attrs["_FillValue"] = np.float64(np.nan)
            d.attrs["long_name"] = _s(long_name)
            d.attrs["units"] = _s(units)
            for key, val in (attrs or {}).items():
                d.attrs[key] = val
            for i, dim in enumerate(names + ["replica"] + list(extra_dims)):
                d.dims[i].attach_scale(scales[dim])

        var("status", status, [], "task status", "1", fill=False, attrs={
            "flag_values": np.arange(4, dtype=np.int8),
            "flag_meanings": _s("pending done diverged failed")})
        var("steps", steps, [], "SGD steps taken", "1", fill=False)
        var("wall_seconds", wall, [], "wall-clock time of the task", "s")
        var("eg", eg, ["time"], "generalization error", "1")
        var("Q", q, ["time", "student_unit", "student_unit2"],
            "student-student overlaps", "1")
        var("R", r, ["time", "student_unit", "teacher_unit"],
            "student-teacher overlaps", "1")
        var("T", t_over, ["teacher_unit", "teacher_unit2"],
            "teacher-teacher overlaps", "1")
        var("v", v, ["time", "student_unit"], "student second-layer weights", "1")
        var("norm", norm, ["time"], "mean squared first-layer weight", "1")

    return Synth(str(path), axes, replicas, times, status, eg, steps)


# --------------------------------------------------------------------------
# custom files: any variables, theory files, shards


def write_custom(path, axes, variables, replicas=3, times=None, status=None,
                 title="custom sweep", theory=False, spec_sha256="0" * 64,
                 complete=True, wall=None, status_meanings=None, extra_attrs=None):
    """Write a pdx file with the given axes and variables.

    ``variables``: {name: (array, extra_dims)} or {name: array}; the array's
    dimensions are the axes, then ``replica`` (simulation files only), then
    ``extra_dims`` (default ("time",) when the array has one more dimension
    than axes + replica, else ()). ``theory=True`` writes a theory file:
    root attribute ``source = "theory"``, no replica dimension, per-cell
    status (1 solved, 0 pending, 4 not applicable, 5 not converged).
    Returns the path."""
    axes = list(axes)
    ashape = tuple(len(a.values) for a in axes)
    lead = ashape if theory else ashape + (replicas,)
    if status is None:
        status = np.full(lead, DONE, dtype=np.int8)
    status = np.asarray(status, dtype=np.int8)
    assert status.shape == lead, (status.shape, lead)
    times = None if times is None else np.asarray(times, dtype=np.float64)
    names = [a.name for a in axes]
    with h5py.File(path, "w") as f:
        f.attrs["pdx_schema_version"] = np.int32(1)
        f.attrs["title"] = _s(title)
        f.attrs["Conventions"] = _s("CF-1.8")
        f.attrs["pdx_version"] = _s("0.2.0")
        f.attrs["git_describe"] = _s("v0.2.0-synthetic")
        f.attrs["spec"] = _s("name: %s\n" % title)
        f.attrs["spec_sha256"] = _s(spec_sha256)
        f.attrs["seed"] = np.int64(11)
        f.attrs["command_line"] = _s("pdx run custom.yaml")
        f.attrs["host"] = _s("localhost")
        f.attrs["start_time"] = _s("2024-01-01T00:00:00Z")
        if complete:
            f.attrs["end_time"] = _s("2024-01-01T00:02:00Z")
        f.attrs["pdx_complete"] = np.uint8(1 if complete else 0)
        if theory:
            f.attrs["source"] = _s("theory")
        else:
            f.attrs["replicas"] = np.int64(replicas)
        for key, val in (extra_attrs or {}).items():
            f.attrs[key] = _s(val) if isinstance(val, str) else val
        scales = {}

        def coord(name, values, dtype, attrs):
            d = f.create_dataset(name, data=np.asarray(values, dtype=dtype))
            for key, val in attrs.items():
                d.attrs[key] = val
            d.make_scale(name)
            scales[name] = d

        for a in axes:
            attrs = {"long_name": _s(a.long_name or a.name), "pdx_scale": _s(a.scale)}
            if a.kind != "choice":
                attrs["units"] = _s(a.units or "1")
            if a.kind == "choice":
                attrs["flag_values"] = np.arange(len(a.choices), dtype=np.int32)
                attrs["flag_meanings"] = _s(" ".join(a.choices))
            dtype = {"real": np.float64, "int": np.int64, "choice": np.int32}[a.kind]
            coord(a.name, a.values, dtype, attrs)
        if not theory:
            coord("replica", np.arange(replicas), np.int64,
                  {"long_name": _s("replica (independent run)")})
        if times is not None:
            coord("time", times, np.float64,
                  {"long_name": _s("training time"), "units": _s("1"),
                   "pdx_scale": _s("log")})

        def put(name, data, extra_dims, long_name, units="1", fill=True, attrs=None):
            d = f.create_dataset(name, data=data)
            if fill:
                d.attrs["_FillValue"] = np.float64(np.nan)
            d.attrs["long_name"] = _s(long_name)
            d.attrs["units"] = _s(units)
            for key, val in (attrs or {}).items():
                d.attrs[key] = val
            dims = names + ([] if theory else ["replica"]) + list(extra_dims)
            assert len(dims) == np.ndim(data), (name, dims, np.shape(data))
            for i, dim in enumerate(dims):
                d.dims[i].attach_scale(scales[dim])

        if theory:
            codes, meanings = [0, 1, 4, 5], "pending solved not_applicable not_converged"
        else:
            codes, meanings = [0, 1, 2, 3], "pending done diverged failed"
        put("status", status, [], "task status", fill=False, attrs={
            "flag_values": np.asarray(codes, dtype=np.int8),
            "flag_meanings": _s(status_meanings or meanings)})
        if not theory:
            if wall is None:
                wall = np.where(status != PENDING, 1.5, np.nan)
            put("wall_seconds", np.asarray(wall, dtype=np.float64), [],
                "wall-clock time of the task", "s")
        for name, spec in variables.items():
            data, extra = (spec if isinstance(spec, tuple) else (spec, None))
            data = np.asarray(data, dtype=np.float64)
            if extra is None:
                extra = ("time",) if data.ndim == len(lead) + 1 else ()
            put(name, data, extra, name.replace("_", " "))
    return str(path)


def write_shard(whole, path, index, count):
    """Write shard ``index`` of ``count`` of the whole-grid file ``whole`` as
    ``pdx run --shard`` lays it out: every coordinate, the tasks t with
    t % count == index along a ``task`` dimension (coordinate: the task's
    index in the whole grid, cell * replicas + replica), root attributes
    ``pdx_shard_index`` / ``pdx_shard_count``; creation order tracked as
    pdx does. Tasks the whole file has pending stay pending. Returns the
    path."""
    with h5py.File(whole, "r") as src, h5py.File(path, "w", track_order=True) as dst:
        for key, val in src.attrs.items():
            dst.attrs[key] = val
        dst.attrs["pdx_shard_index"] = np.int64(index)
        dst.attrs["pdx_shard_count"] = np.int64(count)
        status = src["status"]
        axes = [d[0].name.rsplit("/", 1)[-1] for d in status.dims][:-1]
        n_tasks = status.size
        tasks = np.arange(index, n_tasks, count, dtype=np.int64)
        scales = {}
        names = [n for n in src if h5py.h5ds.is_scale(src[n].id)]
        order = axes + [n for n in names if n not in axes]
        for name in order:
            d = dst.create_dataset(name, data=src[name][()])
            for key, val in src[name].attrs.items():
                if key not in ("CLASS", "NAME", "REFERENCE_LIST", "DIMENSION_LIST"):
                    d.attrs[key] = val
            d.make_scale(name)
            scales[name] = d
        t = dst.create_dataset("task", data=tasks)
        t.attrs["long_name"] = _s("task of the whole grid: cell * replicas + replica")
        t.make_scale("task")
        for name in src:
            if name in scales:
                continue
            var = src[name]
            lead = len(axes) + 1
            data = var[()].reshape((n_tasks,) + var.shape[lead:])[tasks]
            d = dst.create_dataset(name, data=data)
            for key, val in var.attrs.items():
                if key not in ("DIMENSION_LIST", "REFERENCE_LIST"):
                    d.attrs[key] = val
            d.dims[0].attach_scale(t)
            for i, dim in enumerate(var.dims):
                if i >= lead:
                    d.dims[i - lead + 1].attach_scale(scales[dim[0].name.rsplit("/", 1)[-1]])
    return str(path)
