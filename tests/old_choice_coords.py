#!/usr/bin/env python3
"""old_choice_coords.py FILE KEY=NAME:CODE,NAME:CODE ...: rewrite the choice
coordinates of a pdx file (names, netCDF-4 strings since issue 19) the way
a pdx before issue 19 wrote them: int32 codes (the choice's index in the
key's list, `pdx keys KEY`) with CF `flag_values` (the codes in axis order)
and `flag_meanings` (their names), attached to the same dimensions of
every variable as before. The file is then one of an older pdx as far as
its coordinates go, for the tests that older files still resume, merge,
extend, show in `pdx info` and load (tests/choice_coords_test.sh)."""
import os
import sys

os.environ.setdefault("HDF5_USE_FILE_LOCKING", "FALSE")
import h5py  # noqa: E402
import numpy as np  # noqa: E402


def text(value, utf8=False):
    """A fixed-length NUL-terminated string attribute, as pdx writes them."""
    raw = value.encode()
    tid = h5py.h5t.C_S1.copy()
    tid.set_size(max(len(raw), 1))
    tid.set_strpad(h5py.h5t.STR_NULLTERM)
    if utf8:
        tid.set_cset(h5py.h5t.CSET_UTF8)
    return np.array(raw, dtype=h5py.Datatype(tid).dtype), tid


def put_text(obj, name, value):
    data, tid = text(value, any(ord(c) > 127 for c in value))
    space = h5py.h5s.create(h5py.h5s.SCALAR)
    attr = h5py.h5a.create(obj.id, name.encode(), tid, space)
    attr.write(data, mtype=tid)


def convert(path, key, table):
    with h5py.File(path, "r+") as f:
        old = f[key]
        names = [v.decode() if isinstance(v, bytes) else str(v) for v in old[()]]
        codes = np.array([table[n] for n in names], dtype=np.int32)
        attrs = [(n, old.attrs[n]) for n in old.attrs
                 if n not in ("CLASS", "NAME", "REFERENCE_LIST", "DIMENSION_LIST")]
        users = []  # (variable, dimension index) the scale is attached to
        for name, obj in f.items():
            if not isinstance(obj, h5py.Dataset) or name == key:
                continue
            for i, dim in enumerate(obj.dims):
                if any(s.name == old.name for s in dim.values()):
                    users.append((name, i))
        scale_of = None  # a zip member is attached to its group's dimension
        if not h5py.h5ds.is_scale(old.id):
            scale_of = old.dims[0][0].name
        for name, i in users:
            f[name].dims[i].detach_scale(old)
        if scale_of is not None:
            old.dims[0].detach_scale(f[scale_of])
        del f[key]
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_attr_creation_order(h5py.h5p.CRT_ORDER_TRACKED | h5py.h5p.CRT_ORDER_INDEXED)
        dcpl.set_obj_track_times(False)
        space = h5py.h5s.create_simple((len(codes),))
        h5py.h5d.create(f.id, key.encode(), h5py.h5t.STD_I32LE, space, dcpl=dcpl)
        new = f[key]
        new[...] = codes
        for n, v in attrs:
            if isinstance(v, (bytes, np.bytes_)):
                put_text(new, n, bytes(v).rstrip(b"\0").decode())
            else:
                new.attrs[n] = v
        new.attrs.create("flag_values", codes, dtype=np.dtype("<i4"))
        put_text(new, "flag_meanings", " ".join(names))
        if scale_of is None:
            new.make_scale(key)
            for name, i in users:
                f[name].dims[i].attach_scale(new)
        else:
            new.dims[0].attach_scale(f[scale_of])


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    for arg in sys.argv[2:]:
        key, pairs = arg.split("=", 1)
        table = {n: int(c) for n, c in (p.split(":") for p in pairs.split(","))}
        convert(sys.argv[1], key, table)


if __name__ == "__main__":
    main()
