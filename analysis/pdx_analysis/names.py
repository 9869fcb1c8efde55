"""Names in a pdx file: status codes, the spec axes, and what a short name
or a value means (layer 2).

``resolve_axis`` / ``resolve_variable`` turn spec keys and short names into
the file's dimensions and variables (``learning_rate`` ->
``train.learning_rate``); :func:`index_of` turns a value a user typed (a
choice name or code, an integer, a nearest real) into an index along an
axis. Nothing here reads files or computes statistics.
"""

from __future__ import annotations

import keyword
from typing import Dict, List, Tuple

import numpy as np
import xarray as xr

from .errors import PdxNameError, PdxValueError
from .labels import label_text

#: Task status codes (``status`` variable) -> names.
STATUS_NAMES = {0: "pending", 1: "done", 2: "diverged", 3: "failed"}
PENDING, DONE, DIVERGED, FAILED = 0, 1, 2, 3
#: Cell status codes of theory files (root attribute ``source = "theory"``).
THEORY_STATUS_NAMES = {0: "pending", 1: "solved", 4: "not_applicable",
                       5: "not_converged"}
SOLVED, NOT_APPLICABLE, NOT_CONVERGED = 1, 4, 5


def is_theory(ds) -> bool:
    """Return True for a theory file (root attribute ``source = "theory"``;
    no replica dimension, per-cell ``status``)."""
    return str(ds.attrs.get("source", "")).strip().lower() == "theory"


def spec_axes(ds: xr.Dataset) -> List[str]:
    """Return the spec axis dimension names in document order (the
    dimensions of ``status`` before ``replica``)."""
    if "status" in ds.variables:
        return [d for d in ds["status"].dims if d != "replica"]
    return [str(d) for d in ds.dims
            if d in ds.coords and "pdx_scale" in ds.coords[d].attrs
            and d != "time"]




def short_names(ds: xr.Dataset) -> xr.Dataset:
    """Return ``ds`` with its dotted names (the spec axes ``data.alpha``,
    ``train.learning_rate``; zip members; ``<axis>_code``) renamed to
    Python identifiers, so that they work as keyword arguments:
    ``ds.sel(alpha=1, learning_rate=0.1)``.

    A name becomes the part after its last dot (``data.label_noise`` ->
    ``label_noise``) unless another dotted name of ``ds`` ends the same way
    or a name of ``ds`` already is that (``student.hidden`` and
    ``teacher.hidden`` of one file, ``data.alpha`` beside ``train.alpha``),
    or it is a Python keyword: then the whole name with ``_`` for ``.``
    (``student_hidden``, ``teacher_hidden``). Each renamed variable keeps
    its key in the attribute ``pdx_key``. Names without a dot are left
    alone; the functions of pdx_analysis accept these names too (a unique
    suffix or an exact dimension name, :func:`resolve_axis`)."""
    names = [str(n) for n in list(ds.variables) + list(ds.dims)]
    dotted = sorted({n for n in names if "." in n})
    plain = {n for n in names if "." not in n}
    tails: Dict[str, int] = {}
    for n in dotted:
        tail = n.rsplit(".", 1)[1]
        tails[tail] = tails.get(tail, 0) + 1
    mapping: Dict[str, str] = {}
    for n in dotted:
        tail = n.rsplit(".", 1)[1]
        if tails[tail] == 1 and tail not in plain and not keyword.iskeyword(tail):
            mapping[n] = tail
        else:
            mapping[n] = n.replace(".", "_")
    targets = list(mapping.values())  # a fallback that clashes too stays
    mapping = {k: v for k, v in mapping.items()
               if targets.count(v) == 1 and v not in plain}
    out = ds.rename(mapping)
    for old, new in mapping.items():
        if new in out.variables:
            out[new].attrs["pdx_key"] = old
    return out


def all_dims(ds) -> List[str]:
    """Return every dimension: spec axes, replica, time, then the rest."""
    first = spec_axes(ds) + [d for d in ("replica", "time") if d in ds.dims]
    return first + sorted(str(d) for d in ds.dims if d not in first)


def resolve_axis(ds, name: str) -> str:
    """Return the dimension of ``ds`` (Dataset or DataArray) that ``name``
    means: an exact dimension name (``train.learning_rate``, ``time``) or a
    unique dotted suffix (``learning_rate``; ``hidden`` only if just one of
    ``student.hidden`` / ``teacher.hidden`` is a dimension).

    Raises :class:`PdxNameError` naming the candidates when ``name`` is
    ambiguous or matches nothing."""
    dims = all_dims(ds) if isinstance(ds, xr.Dataset) else list(map(str, ds.dims))
    if name in dims:
        return name
    matches = [d for d in dims if d.endswith("." + name)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise PdxNameError(f"axis {name!r} is ambiguous: it could be "
                           + ", ".join(matches))
    raise PdxNameError(f"no axis {name!r}; the axes are: " + ", ".join(dims))


def resolve_variable(ds: xr.Dataset, name: str) -> str:
    """Return the data variable of ``ds`` that ``name`` means: the exact
    name, or else the unique variable whose name ends with ``_<name>``
    (``error`` -> ``train_error`` when that is the only one).

    Raises :class:`PdxNameError` listing the variables otherwise."""
    if name in ds.data_vars:
        return name
    matches = [str(v) for v in ds.data_vars if str(v).endswith("_" + name)]
    if len(matches) == 1:
        return matches[0]
    listing = ", ".join(sorted(map(str, ds.data_vars)))
    if matches:
        raise PdxNameError(f"variable {name!r} is ambiguous: it could be "
                           + ", ".join(sorted(matches)))
    raise PdxNameError(f"no variable {name!r}; the variables are: {listing}")


def find_variable(ds: xr.Dataset, *names: str):
    """Return the first of ``names`` that :func:`resolve_variable` finds
    in ``ds`` (None if none does)."""
    for name in names:
        try:
            return resolve_variable(ds, name)
        except PdxNameError:
            continue
    return None


def find_axis(ds, *names: str):
    """Return the first of ``names`` that :func:`resolve_axis` resolves
    (None if none does or all are ambiguous)."""
    for name in names:
        try:
            return resolve_axis(ds, name)
        except PdxNameError:
            continue
    return None




def status_names(ds: xr.Dataset) -> Dict[int, str]:
    """Return {status code: name} for ``ds``: from the ``flag_values`` /
    ``flag_meanings`` attributes of ``status`` when present, otherwise
    :data:`STATUS_NAMES` (simulations) or :data:`THEORY_STATUS_NAMES`."""
    table = dict(THEORY_STATUS_NAMES if is_theory(ds) else STATUS_NAMES)
    if "status" in ds.variables:
        attrs = ds["status"].attrs
        if "flag_values" in attrs and "flag_meanings" in attrs:
            codes = np.atleast_1d(np.asarray(attrs["flag_values"])).tolist()
            names = str(attrs["flag_meanings"]).split()
            if len(codes) == len(names):
                table = {int(c): n for c, n in zip(codes, names)}
    return table


def status_counts(ds: xr.Dataset) -> Dict[str, int]:
    """Return the number of tasks (cells for a theory file) per status name
    (pending, done, diverged, failed -- or a theory file's pending, solved,
    not_applicable, not_converged -- plus ``"status <n>"`` for any unknown
    code)."""
    status = np.asarray(ds["status"].values).ravel()
    names = status_names(ds)
    counts = {name: int(np.sum(status == code)) for code, name in names.items()}
    for code in np.unique(status):
        if int(code) not in names:
            counts[f"status {int(code)}"] = int(np.sum(status == code))
    return counts




def index_of(ds: xr.Dataset, dim: str, value) -> Tuple[int, str]:
    """Return (index, label) of the cell of ``dim`` that ``value`` selects.

    Choice axes: a name or a numeric code. Integer axes: an exact value.
    Real axes: the nearest value."""
    if dim not in ds.coords:
        n = ds.sizes[dim]
        try:
            i = int(value)
        except (TypeError, ValueError):
            i = -1
        if not 0 <= i < n:
            raise PdxValueError(f"{dim} has no index {str(value)!r} (0 .. {n - 1})")
        return i, str(i)
    coord = ds.coords[dim]
    values = coord.values
    listing = ", ".join(label_text(v) for v in values.tolist())
    if coord.dtype.kind in "USO":
        text = str(value)
        hits = np.flatnonzero(values.astype(str) == text)
        code_name = dim + "_code"
        if not len(hits) and code_name in ds.coords:
            try:
                hits = np.flatnonzero(ds.coords[code_name].values == int(text))
            except ValueError:
                pass
        if not len(hits):
            raise PdxValueError(f"{dim} has no value {text!r}; its values are: {listing}")
        return int(hits[0]), str(values[hits[0]])
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise PdxValueError(f"{dim} needs a number, not {str(value)!r}; its values are: "
                            f"{listing}") from None
    if coord.dtype.kind in "iu":
        hits = np.flatnonzero(values == number)
        if not len(hits):
            raise PdxValueError(f"{dim} has no value {str(value)!r}; its values are: "
                                f"{listing}")
        return int(hits[0]), label_text(values[hits[0]])
    i = int(np.nanargmin(np.abs(values.astype(float) - number)))
    return i, label_text(values[i])


