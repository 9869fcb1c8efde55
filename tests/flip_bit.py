#!/usr/bin/env python3
"""flip_bit.py FILE VARIABLE TASK [--bit B] [--element E] [--compressed]:
damage a pdx result file as a bad disk or memory would: flip bit B (default
0, the lowest bit of the first byte) of element E (default 0) of task TASK's
block of VARIABLE, in place, without HDF5 noticing (tests/checksum_test.sh).

TASK is the global task index (cell * replicas + replica); in a shard file
it is looked up in the `task` coordinate. A contiguous (working file)
variable is changed in the file's bytes at the offset HDF5 reports
(dataset.id.get_offset()); a chunked (finished file) variable's chunk is
read raw, un-shuffled and inflated, the bit flipped, and written back packed
as before (read_direct_chunk / write_direct_chunk), so that HDF5 reads the
changed value without an error. --compressed flips the bit in the chunk's
stored (deflated) bytes instead: the chunk then no longer inflates.
Prints the value before and after."""
import argparse
import os
import sys
import zlib

os.environ.setdefault("HDF5_USE_FILE_LOCKING", "FALSE")
import h5py  # noqa: E402
import numpy as np  # noqa: E402


def element_index(f, ds, task, element):
    """The index tuple of element `element` of task `task`'s block."""
    status = f["status"]
    lead = status.shape
    if "task" in f and status.ndim == 1 and len(f["task"]) == lead[0]:
        slots = np.flatnonzero(f["task"][()] == task)
        if slots.size != 1:
            sys.exit(f"flip_bit: task {task} is not in this shard file")
        lead_index = (int(slots[0]),)
    else:
        lead_index = tuple(int(i) for i in np.unravel_index(task, lead))
    block = ds.shape[len(lead):]
    rest = tuple(int(i) for i in np.unravel_index(element, block)) if block else ()
    return lead_index + rest


def unshuffle(data, n, size):
    return np.frombuffer(data, np.uint8).reshape(size, n).T.copy().tobytes()


def shuffle(raw, n, size):
    return np.frombuffer(raw, np.uint8).reshape(n, size).T.copy().tobytes()


def flip_chunked(ds, index, bit, compressed):
    chunk = ds.chunks
    start = tuple((i // c) * c for i, c in zip(index, chunk))
    within = tuple(i - s for i, s in zip(index, start))
    mask, data = ds.id.read_direct_chunk(start)
    plist = ds.id.get_create_plist()
    filters = [plist.get_filter(i)[0] for i in range(plist.get_nfilters())]
    if compressed:
        data = bytearray(data)
        data[len(data) // 2] ^= 1 << (bit % 8)
        ds.id.write_direct_chunk(start, bytes(data), mask)
        return
    size = ds.dtype.itemsize
    n = int(np.prod(chunk))
    deflated = h5py.h5z.FILTER_DEFLATE in filters and not mask & 2
    shuffled = h5py.h5z.FILTER_SHUFFLE in filters and not mask & 1
    raw = zlib.decompress(data) if deflated else data
    if shuffled:
        raw = unshuffle(raw, n, size)
    raw = bytearray(raw)
    at = int(np.ravel_multi_index(within, chunk)) * size + bit // 8
    raw[at] ^= 1 << (bit % 8)
    raw = bytes(raw)
    if shuffled:
        raw = shuffle(raw, n, size)
    if deflated:
        raw = zlib.compress(raw, 1)
    ds.id.write_direct_chunk(start, raw, mask)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file")
    ap.add_argument("variable")
    ap.add_argument("task", type=int)
    ap.add_argument("--bit", type=int, default=0)
    ap.add_argument("--element", type=int, default=0)
    ap.add_argument("--compressed", action="store_true")
    a = ap.parse_args()
    with h5py.File(a.file, "r") as f:
        ds = f[a.variable]
        index = element_index(f, ds, a.task, a.element)
        before = ds[index]
        chunked = ds.chunks is not None
        offset = None if chunked else ds.id.get_offset()
        linear = int(np.ravel_multi_index(index, ds.shape))
        size = ds.dtype.itemsize
    if not chunked:
        with open(a.file, "r+b") as raw:
            raw.seek(offset + linear * size + a.bit // 8)
            byte = raw.read(1)[0]
            raw.seek(offset + linear * size + a.bit // 8)
            raw.write(bytes([byte ^ (1 << (a.bit % 8))]))
    else:
        with h5py.File(a.file, "r+") as f:
            flip_chunked(f[a.variable], index, a.bit, a.compressed)
    if a.compressed:
        print(f"{a.file}: {a.variable}{list(index)}: chunk damaged")
        return
    with h5py.File(a.file, "r") as f:
        after = f[a.variable][index]
    print(f"{a.file}: {a.variable}{list(index)}: {before!r} -> {after!r}")
    if np.asarray(before).tobytes() == np.asarray(after).tobytes():
        sys.exit("flip_bit: the value did not change")


if __name__ == "__main__":
    main()
