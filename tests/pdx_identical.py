#!/usr/bin/env python3
"""pdx_identical.py [--ignore-attr NAME ...] [--ignore-data NAME ...]
[--new-dataset NAME ...] [--ignore-dataset NAME ...] A B: are two pdx result files
identical (docs/FORMAT.md, "Identity")? Exit 0 if so, 1 with every difference listed otherwise.

Identical means: the same datasets in the same creation order, each with
the same type, shape, storage (layout, chunks, filters, fill value), the
same dimension scales attached, the same attributes (values compared
byte for byte, NaN equal to NaN) and the same data bit for bit -- except
the data of `wall_seconds` (wall-clock time) and the values of the root
attributes that record how, where and when the file was made:
command_line, spec_path, host, start_time, end_time (and any root attribute
named with --ignore-attr, e.g. git_describe when comparing two builds;
--ignore-attr DATASET@NAME skips the attribute NAME of a dataset).
--ignore-data NAME compares everything of dataset NAME but its values;
--new-dataset NAME lets B have a dataset NAME that A lacks (compared with
nothing). Both are for outputs changed on purpose
(scripts/compare-baseline.sh says which and why).
--ignore-dataset NAME leaves out a dataset that only one file may have
(scripts/compare-baseline.sh: `checksum`, which pdx before issue 21's
checksums did not write), with the dimension-scale references to it.
--labels (issue 19) leaves out the label attributes of every dataset
(long_name, units, description: short labels since issue 19, the long
text moved to description); --dropped-dataset NAME lets A have a dataset
NAME that B lacks when A's data is all NaN (issue 19 writes only the
variables some cell produces); --snapped-coordinates (also the root's
numeric param: attributes, e.g. a log range of record.times) lets the values of
1-D dimension scales differ by at most 4 ulp (issue 19: decades and
octaves of log ranges are exact). --choice-names (issue 19) lets a
choice coordinate of A (int32 codes with flag_values and flag_meanings,
pdx before issue 19) be in B the strings of the names the flags give the
codes, without the flag attributes (every other attribute, the storage
layout and the attached scales still compared).
"""
import os
import sys

os.environ.setdefault("HDF5_USE_FILE_LOCKING", "FALSE")
import h5py  # noqa: E402
import numpy as np  # noqa: E402

VOLATILE_DATA = {"wall_seconds"}
VOLATILE_ROOT_ATTRS = {"command_line", "host", "start_time", "end_time",
                       "spec_path"}
# object references: compared through the attached scales' names instead
REFERENCE_ATTRS = {"DIMENSION_LIST", "REFERENCE_LIST"}


def same_array(x, y):
    x, y = np.asarray(x), np.asarray(y)
    if x.dtype != y.dtype or x.shape != y.shape:
        return False
    if x.dtype.kind in "fc":
        return np.array_equal(np.ascontiguousarray(x).view(np.uint8),
                              np.ascontiguousarray(y).view(np.uint8))
    return np.array_equal(x, y)


LABEL_ATTRS = {"long_name", "units", "description"}


def attrs_differ(where, a, b, skip, out, labels=False, snapped=False):
    leave = REFERENCE_ATTRS | (LABEL_ATTRS if labels else set())
    names_a = [n for n in a.attrs if n not in leave]
    names_b = [n for n in b.attrs if n not in leave]
    if names_a != names_b:
        out.append(f"{where}: attributes {names_a} vs {names_b}")
        return
    for n in names_a:
        if n in skip:
            continue
        x, y = a.attrs[n], b.attrs[n]
        if isinstance(x, (bytes, str)) or isinstance(y, (bytes, str)):
            if x != y:
                out.append(f"{where}@{n}: {x!r:.80} vs {y!r:.80}")
        elif not same_array(x, y) and not (
                snapped and n.startswith("param:") and close_coordinate(x, y)):
            out.append(f"{where}@{n}: {x!r:.80} vs {y!r:.80}")


def storage(ds):
    p = ds.id.get_create_plist()
    filters = [p.get_filter(i)[0] for i in range(p.get_nfilters())]
    if ds.dtype.kind == "O":  # strings (choice coordinates, issue 19):
        fill = b""            # h5py cannot read their fill value
    else:
        fill = np.zeros((), dtype=ds.dtype)
        p.get_fill_value(fill)
        fill = fill.tobytes()
    return (p.get_layout(), ds.chunks, tuple(filters), fill)


def datasets(f):
    names = []
    f.id.links.iterate(lambda n: names.append(n.decode()),
                       idx_type=h5py.h5.INDEX_CRT_ORDER)
    return names


def close_coordinate(x, y):
    """1-D float coordinates whose values differ by at most 4 ulp."""
    x, y = np.asarray(x), np.asarray(y)
    return (x.dtype == y.dtype and x.dtype.kind == "f" and x.shape == y.shape
            and bool(np.all(np.abs(x - y) <= 4 * np.spacing(np.abs(x)))))


def choice_names_differ(name, x, y, out, labels):
    """A choice coordinate of codes in A, of names in B (--choice-names)."""
    flags = {"flag_values", "flag_meanings"}
    codes = [int(c) for c in np.asarray(x.attrs["flag_values"]).ravel()]
    meanings = x.attrs["flag_meanings"]
    meanings = (meanings.decode() if isinstance(meanings, bytes) else str(meanings)).split()
    want = [meanings[codes.index(int(c))] for c in x[()]]
    got = [v.decode() if isinstance(v, bytes) else str(v) for v in y[()]]
    if got != want:
        out.append(f"{name}: names {got} vs {want} from the codes")
    if set(y.attrs) & flags:
        out.append(f"{name}: the names still carry flag attributes")
    leave = REFERENCE_ATTRS | flags | (LABEL_ATTRS if labels else set())
    xa = [n for n in x.attrs if n not in leave]
    ya = [n for n in y.attrs if n not in leave]
    if xa != ya or any(str(x.attrs[n]) != str(y.attrs[n]) for n in xa):
        out.append(f"{name}: attributes {xa} vs {ya}")
    if storage(x)[:3] != storage(y)[:3]:
        out.append(f"{name}: storage {storage(x)} vs {storage(y)}")


def compare(path_a, path_b, ignore=frozenset(), ignore_data=frozenset(),
            new_datasets=frozenset(), skip=frozenset(), labels=False,
            dropped=frozenset(), snapped=False, choice_names=False):
    out = []
    with h5py.File(path_a, "r") as a, h5py.File(path_b, "r") as b:
        attrs_differ("/", a, b, VOLATILE_ROOT_ATTRS | set(ignore), out,
                     snapped=snapped)
        for name in dropped:
            if name in a and name not in b:
                if np.isfinite(a[name][()]).any():
                    out.append(f"{name}: dropped from B but not all NaN in A")
                skip = set(skip) | {name}
        na = [n for n in datasets(a) if n not in skip]
        nb = [n for n in datasets(b)
              if n not in skip and (n not in new_datasets or n in na)]
        if na != nb:
            out.append(f"datasets {na} vs {nb}")
            return out
        for name in na:
            x, y = a[name], b[name]
            if (choice_names and x.dtype.kind == "i" and y.dtype.kind == "O"
                    and "flag_meanings" in x.attrs and x.shape == y.shape):
                choice_names_differ(name, x, y, out, labels)
                continue
            if x.dtype != y.dtype or x.shape != y.shape:
                out.append(f"{name}: {x.dtype}{x.shape} vs {y.dtype}{y.shape}")
                continue
            if storage(x) != storage(y):
                out.append(f"{name}: storage {storage(x)} vs {storage(y)}")
            dims_x = [[s.name for s in d.values()] for d in x.dims]
            dims_y = [[s.name for s in d.values()] for d in y.dims]
            if dims_x != dims_y:
                out.append(f"{name}: dimensions {dims_x} vs {dims_y}")
            attrs_differ(name, x, y, {i.split("@", 1)[1] for i in ignore
                                      if i.startswith(name + "@")}, out, labels)
            if (name not in VOLATILE_DATA and name not in ignore_data and
                    not same_array(x[()], y[()]) and
                    not (snapped and x.ndim == 1 and "CLASS" in x.attrs and
                         close_coordinate(x[()], y[()]))):
                out.append(f"{name}: data differs")
    return out


def main():
    args = sys.argv[1:]
    sets = {"--ignore-attr": set(), "--ignore-data": set(),
            "--new-dataset": set(), "--ignore-dataset": set(),
            "--dropped-dataset": set()}
    flags = {"--labels": False, "--snapped-coordinates": False,
             "--choice-names": False}
    while args and (args[0] in flags or (len(args) >= 2 and args[0] in sets)):
        if args[0] in flags:
            flags[args[0]] = True
            args = args[1:]
            continue
        sets[args[0]].add(args[1])
        args = args[2:]
    if len(args) != 2:
        sys.exit(__doc__)
    differences = compare(args[0], args[1], sets["--ignore-attr"],
                          sets["--ignore-data"], sets["--new-dataset"],
                          sets["--ignore-dataset"], flags["--labels"],
                          sets["--dropped-dataset"], flags["--snapped-coordinates"],
                          flags["--choice-names"])
    for d in differences:
        print(f"{args[0]} vs {args[1]}: {d}")
    if differences:
        sys.exit(1)
    print(f"identical: {args[0]} {args[1]}")


if __name__ == "__main__":
    main()
