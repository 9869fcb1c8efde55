#!/usr/bin/env python3
"""metadata_test.py PDX — issue 19, item 1: the labels of result and
theory files (docs/FORMAT.md "Attributes").

Runs small sweeps of every time unit and checks in the files they write:
every dataset has a short long_name (at most 48 characters, one line) and
units (but flag variables: status, choice coordinates), the long text in
description; the time unit of each algorithm; only the variables some
cell produces (no eg_mean, accept_rate, R_mean in an sgd file; record.
overlaps: false drops Q, R, T and changes no number); decades and octaves
of a {log: ...} axis exact, so that xarray selects them by value; ncdump
reads the UTF-8 labels."""
import os
import shutil
import subprocess
import sys
import tempfile

os.environ.setdefault("HDF5_USE_FILE_LOCKING", "FALSE")
import h5py  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

PDX = sys.argv[1]
FAILS = []

BASE = """name: labels
N: 40
replicas: 2
seed: 3
teacher: {kind: perceptron}
student: {kind: perceptron}
"""
SPECS = {
    "sgd": BASE + "data: {alpha: {log: [0.25, 8, 6]}}\n"
                  "train: {algorithm: sgd, learning_rate: 0.1, epochs: 4}\n"
                  "record: {times: [1, 2, 4]}\n",
    "sgd_no_overlaps": BASE + "data: {alpha: {log: [0.25, 8, 6]}}\n"
                              "train: {algorithm: sgd, learning_rate: 0.1, epochs: 4}\n"
                              "record: {times: [1, 2, 4], overlaps: false}\n",
    "metropolis": BASE.replace("student: {kind: perceptron}",
                               "student: {kind: perceptron, weights: [spherical, binary]}")
                  + "data: {alpha: [0.5, 2]}\n"
                         "train: {algorithm: metropolis, temperature: 0.5, epochs: 3, burn_in: 1}\n"
                         "record: {times: [1, 3]}\n",
    "propagate": "name: prop\nN: 50\nreplicas: 2\n"
                 "student: {kind: deep, activation: tanh, depth: 4, width: 30, "
                 "sigma_w2: [1.0, 2.0]}\n"
                 "train: {algorithm: propagate}\n"
                 "propagate: {probes: 2, curve_points: 8}\nrecord: {times: [1]}\n",
    "online": "name: online\nN: 30\nreplicas: 2\n"
              "train: {learning_rate: {log: [0.1, 1, 3]}, alpha: 2}\n"
              "record: {times: [1, 2]}\n",
}
TIME_UNITS = {"sgd": "epochs", "sgd_no_overlaps": "epochs", "metropolis": "sweeps",
              "online": "steps/N", "propagate": "checkpoints"}


def check(ok, what):
    if not ok:
        FAILS.append(what)
        print("FAIL:", what)


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def check_labels(path):
    with h5py.File(path, "r") as f:
        for name, ds in f.items():
            a = ds.attrs
            ln = text(a.get("long_name", ""))
            check(0 < len(ln) <= 48 and "\n" not in ln,
                  f"{path}: {name} long_name {ln!r} (short, one line)")
            flags = "flag_values" in a or ds.dtype.kind == "O"  # or names
            check(flags or "units" in a, f"{path}: {name} has no units")
            check(not flags or "units" not in a, f"{path}: flag variable {name} has units")


def main():
    work = tempfile.mkdtemp(prefix="pdx-labels-")
    try:
        files = {}
        for name, spec in SPECS.items():
            sp = os.path.join(work, name + ".yaml")
            with open(sp, "w") as f:
                f.write(spec)
            out = os.path.join(work, name + ".h5")
            subprocess.run([PDX, "run", sp, "-o", out, "--quiet"], check=True)
            files[name] = out
            check_labels(out)
            with h5py.File(out, "r") as f:
                units = text(f["time"].attrs["units"])
                check(units == TIME_UNITS[name], f"{name}: time units {units!r}")
            if name in ("sgd", "metropolis"):
                th = os.path.join(work, name + "-theory.h5")
                subprocess.run([PDX, "theory", sp, "-o", th, "--quiet"], check=True)
                check_labels(th)
        with h5py.File(files["sgd"], "r") as f:
            for v in ("eg_mean", "train_error_mean", "train_error_clean_mean",
                      "R_mean", "accept_rate"):
                check(v not in f, f"sgd file holds {v}")
            check(text(f["eg"].attrs["long_name"]) == "generalization error ε_g",
                  "eg long_name")
            check("generalization error" in text(f["eg"].attrs["description"]),
                  "eg description")
            check(text(f["data.alpha"].attrs["long_name"]) == "α = P/N", "alpha long_name")
            check(text(f["time_to_fit"].attrs["units"]) == "epochs", "time_to_fit units")
            check(f["data.alpha"][2] == 1.0 and f["data.alpha"][3] == 2.0,
                  f"decades/octaves not exact: {f['data.alpha'][()]!r}")
        with h5py.File(files["propagate"], "r") as f:
            for v in ("eg", "Q", "R", "v", "norm", "train_error", "loss", "time_to_fit"):
                check(v not in f, f"propagate file holds {v}")
            for v in ("q_layer", "c_layer", "chi_layer", "curve_length_layer"):
                check(v in f, f"propagate file lacks {v}")
        with h5py.File(files["metropolis"], "r") as f:
            for v in ("eg_mean", "R_mean", "accept_rate"):
                check(v in f, f"metropolis file lacks {v}")
            check([text(v) for v in f["student.weights"][()]] == ["spherical", "binary"],
                  "choice coordinate names")
            check("flag_values" not in f["student.weights"].attrs, "choice coordinate flags")
        with h5py.File(files["sgd_no_overlaps"], "r") as f, \
                h5py.File(files["sgd"], "r") as g:
            for v in ("Q", "R", "T"):
                check(v not in f and v in g, f"record.overlaps: false and {v}")
            for v in ("eg", "train_error", "norm", "v", "time_to_fit"):
                check(np.array_equal(f[v][()], g[v][()], equal_nan=True),
                      f"record.overlaps: false changed {v}")
            check(text(f.attrs["param:record.overlaps"]) == "false",
                  "param:record.overlaps")
            check("param:record.overlaps" not in g.attrs,
                  "param:record.overlaps written at its default")
        # pdx plan's estimate of the file counts only what is written
        def planned(name):
            out = subprocess.run([PDX, "plan", os.path.join(work, name + ".yaml")],
                                 capture_output=True, text=True, check=True).stdout
            line = [x for x in out.splitlines() if x.startswith("output")][0]
            value, unit = line.split()[1:3]
            return float(value) * {"B": 1, "KiB": 1024, "MiB": 1024 ** 2}[unit]
        check(planned("sgd_no_overlaps") < planned("sgd"), "pdx plan counts Q, R, T")
        ds = xr.open_dataset(files["sgd"], engine="h5netcdf")
        check(ds.sel({"data.alpha": 1})["eg"].shape == (2, 3), "sel alpha = 1")
        check(ds["eg"].attrs["long_name"] == "generalization error ε_g", "xarray long_name")
        ds.close()
        if shutil.which("ncdump"):
            out = subprocess.run(["ncdump", "-h", files["sgd"]], capture_output=True)
            check(out.returncode == 0 and "α = P/N" in out.stdout.decode("utf-8", "replace"),
                  "ncdump -h reads the UTF-8 labels")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if FAILS:
        sys.exit(f"{len(FAILS)} failures")
    print("metadata: ok")


if __name__ == "__main__":
    main()
