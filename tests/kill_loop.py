#!/usr/bin/env python3
"""kill_loop.py --pdx PDX --kills N [--seed S] [--work DIR]

Crash-safety harness: kills `pdx run`, `pdx run --shard`, `pdx run
--extend` and `pdx merge` with SIGKILL at random moments, resumes them by
running the same command again, and checks that

  * after every kill, the file on disk opens, `pdx info` reads it, and every
    task it marks finished holds exactly the numbers of an uninterrupted run
    (bit for bit, matched by cell values and replica);
  * the final file is identical to an uninterrupted run (pdx_identical.py:
    every variable but wall_seconds, every attribute but the provenance
    ones) and no temporary file is left.

A kill lands either at a uniformly random moment of the remaining run or,
for a third of them, the moment a temporary file appears (file creation,
the compressed repack, an extension, a merge), to hit the renames. Trials
of kind "group" run with a short --commit-window (many group commits to
hit); trials of kind "incremental" merge the shards into a working target
one more at a time with --partial (in place), killed in between, then
complete it. Prints
the counts of kills by phase, resumes and corruptions; exits 1 on any
corruption.
"""
import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

os.environ["HDF5_USE_FILE_LOCKING"] = "FALSE"
import h5py  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pdx_identical  # noqa: E402

SPEC = """name: killloop
seed: 31337
replicas: 4
N: 120
teacher: {hidden: 2}
student: {hidden: [1, 2, 3], activation: [erf, relu]}
train: {learning_rate: {log: [0.05, 4, 8]}, alpha: 20}
record: {times: {log: [0.05, 20, 16]}, test_size: 300}
"""

# A spec whose grid lies inside SPEC's: what --extend starts from.
SUB_SPEC = """name: killloop
seed: 31337
replicas: 3
N: 120
teacher: {hidden: 2}
student: {hidden: [1, 2], activation: [erf, relu]}
train: {learning_rate: LR, alpha: 20}
record: {times: {log: [0.05, 20, 16]}, test_size: 300}
"""

# --deep: the same harness on deep students trained by SGD from a deep
# teacher (issue 15): resume, shards, extension and merge of deep runs.
DEEP_SPEC = """name: killloop
seed: 31337
replicas: 4
N: 40
teacher: {kind: deep, depth: 2, width: 16, activation: tanh}
student: {kind: deep, depth: [2, 5], width: 24, activation: tanh, sigma_w2: 1.5}
data: {alpha: 3, label_noise: 0.1}
train: {algorithm: sgd, batch: 8, learning_rate: {log: [0.005, 0.2, 6]}, epochs: 30}
record: {times: {log: [1, 30, 6]}, test_size: 400}
"""
DEEP_SUB_SPEC = """name: killloop
seed: 31337
replicas: 3
N: 40
teacher: {kind: deep, depth: 2, width: 16, activation: tanh}
student: {kind: deep, depth: [2, 5], width: 24, activation: tanh, sigma_w2: 1.5}
data: {alpha: 3, label_noise: 0.1}
train: {algorithm: sgd, batch: 8, learning_rate: LR, epochs: 30}
record: {times: {log: [1, 30, 6]}, test_size: 400}
"""

# not compared task by task: wall-clock time, and the checksum, which is
# derived from the data compared here and depends on the block's extent (an
# extended file's base has smaller unit dimensions); `pdx info` in
# check_partial verifies every finished task's checksum after each kill
VOLATILE = {"wall_seconds", "checksum"}


class Failure(Exception):
    pass


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, **kw)


def task_blocks(path):
    """{(cell values..., replica): {variable: array}} of finished tasks."""
    out = {}
    with h5py.File(path, "r") as f:
        status = f["status"][()]
        names = [n for n in pdx_identical.datasets(f)
                 if n not in VOLATILE and not h5py.h5ds.is_scale(f[n].id)
                 and f[n].shape[:status.ndim] == status.shape]
        data = {n: f[n][()] for n in names}
        # the axes: coordinates with a pdx_scale, in creation order
        axes = [n for n in pdx_identical.datasets(f)
                if "pdx_scale" in f[n].attrs and n != "time"]
        coords = [f[a][()] for a in axes]
        if "task" in f:  # a shard file: its tasks along one dimension
            shape = [len(c) for c in coords] + [len(f["replica"])]
            for slot, t in enumerate(f["task"][()]):
                if status[slot] == 0:
                    continue
                idx = np.unravel_index(int(t), shape)
                key = tuple(c[i] for c, i in zip(coords, idx[:-1])) + (idx[-1],)
                out[key] = {n: data[n][slot] for n in names}
        else:
            for idx in zip(*np.nonzero(status)):
                key = tuple(c[i] for c, i in zip(coords, idx[:-1])) + (idx[-1],)
                out[key] = {n: data[n][idx] for n in names}
    return out


def check_partial(path, reference, pdx):
    """The file opens, pdx info reads it, finished tasks equal the reference."""
    try:
        blocks = task_blocks(path)
    except Exception as e:  # noqa: BLE001
        raise Failure(f"{path}: cannot be read after a kill: {e}")
    r = run([pdx, "info", path])
    if r.returncode != 0:
        raise Failure(f"{path}: pdx info fails after a kill: {r.stderr}")
    for key, vals in blocks.items():
        want = reference.get(key)
        if want is None:
            raise Failure(f"{path}: task {key} not in the reference")
        for n, x in vals.items():
            y = want[n]
            # an extended file's base has smaller unit dimensions
            y = y[tuple(slice(0, s) for s in np.shape(x))]
            if not pdx_identical.same_array(x, y):
                raise Failure(f"{path}: task {key}: {n} differs from an "
                              f"uninterrupted run")
    return len(blocks)


def temporaries(work):
    return [n for n in os.listdir(work) if ".tmp-" in n or ".merge-" in n]


class Stats:
    def __init__(self):
        self.kills = {"create/repack/rename (temporary present)": 0,
                      "tasks being committed": 0}
        self.missed = 0
        self.resumes = 0
        self.checks = 0
        self.trials = {}
        self.corrupt = 0


def kill_at_random(cmd, work, estimate, rng, stats):
    """Start cmd, SIGKILL it at a random moment; True if it was killed."""
    before = set(temporaries(work))
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    if rng.random() < 1 / 3:
        # the moment a temporary appears (polling every 0.2 ms)
        deadline = time.monotonic() + 5 * estimate + 1
        while p.poll() is None and time.monotonic() < deadline:
            if set(temporaries(work)) - before:
                time.sleep(rng.uniform(0, 0.002))
                break
            time.sleep(0.0002)
    else:
        time.sleep(rng.uniform(0, estimate))
    if p.poll() is not None:
        stats.missed += 1
        return False
    tmp_present = bool(set(temporaries(work)) - before)
    p.send_signal(signal.SIGKILL)
    p.wait()
    stats.kills["create/repack/rename (temporary present)" if tmp_present
                else "tasks being committed"] += 1
    return True


def finish(cmd, what):
    r = run(cmd)
    if r.returncode != 0:
        raise Failure(f"{what}: exit {r.returncode}: {r.stderr}")


def compare_final(path, ref_path):
    diffs = pdx_identical.compare(ref_path, path)
    if diffs:
        raise Failure(f"{path} differs from an uninterrupted run: {diffs[:3]}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pdx", required=True)
    ap.add_argument("--kills", type=int, default=40)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--work", default=None)
    ap.add_argument("--deep", action="store_true",
                    help="deep students and teacher (DEEP_SPEC)")
    args = ap.parse_args()
    spec_text = DEEP_SPEC if args.deep else SPEC
    sub_text = DEEP_SUB_SPEC if args.deep else SUB_SPEC
    seed = args.seed if args.seed is not None else int(time.time())
    rng = random.Random(seed)
    pdx = os.path.abspath(args.pdx)
    top = args.work or tempfile.mkdtemp(prefix="pdx-kill-")
    os.makedirs(top, exist_ok=True)
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    print(f"kill loop: {args.kills} kills, seed {seed}, in {top}")
    # a private copy: a rebuild of the tested binary must not hit the loop
    shutil.copy2(pdx, os.path.join(top, "pdx"))
    pdx = os.path.join(top, "pdx")
    stats = Stats()
    try:
        # references: an uninterrupted run, its shards, the sub-grid file
        ref_dir = os.path.join(top, "ref")
        os.makedirs(ref_dir, exist_ok=True)
        spec = os.path.join(ref_dir, "spec.yaml")
        with open(spec, "w") as f:
            f.write(spec_text)
        ref = os.path.join(ref_dir, "ref.h5")
        t0 = time.monotonic()
        finish([pdx, "run", spec, "-o", ref, "--quiet"], "reference run")
        estimate = time.monotonic() - t0
        reference = task_blocks(ref)
        with h5py.File(ref, "r") as f:
            lr = list(f["train.learning_rate"][()])
        sub = os.path.join(ref_dir, "sub.yaml")
        with open(sub, "w") as f:
            f.write(sub_text.replace(
                "LR", "[" + ", ".join(repr(float(x)) for x in lr[::2]) + "]"))
        base = os.path.join(ref_dir, "base.h5")
        finish([pdx, "run", sub, "-o", base, "--quiet"], "sub-grid run")
        check_partial(base, reference, pdx)
        shard_ref = os.path.join(ref_dir, "merge-in.h5")
        for i in range(3):
            finish([pdx, "run", spec, "-o", shard_ref, "--shard", f"{i}/3",
                    "--quiet"], "reference shards")
        shard_files = sorted(os.path.join(ref_dir, n) for n in os.listdir(ref_dir)
                             if n.startswith("merge-in.shard-") and n.endswith(".h5"))
        t0 = time.monotonic()
        finish([pdx, "merge", os.path.join(ref_dir, "m.h5")] + shard_files +
               ["--quiet"], "reference merge")
        merge_estimate = time.monotonic() - t0
        compare_final(os.path.join(ref_dir, "m.h5"), ref)
        print(f"uninterrupted run {estimate:.2f} s, merge {merge_estimate:.2f} s, "
              f"{len(reference)} tasks")

        trial = 0
        total = lambda: sum(stats.kills.values())  # noqa: E731
        while total() < args.kills:
            trial += 1
            kind = rng.choices(["run", "shard", "extend", "merge", "group",
                                "incremental"],
                               [6, 2, 2, 1, 2, 2])[0]
            stats.trials[kind] = stats.trials.get(kind, 0) + 1
            work = os.path.join(top, f"t{trial}")
            os.makedirs(work)
            out = os.path.join(work, "out.h5")
            budget = rng.randint(1, 3)
            try:
                if kind in ("run", "extend", "group"):
                    cmd = [pdx, "run", spec, "-o", out, "--quiet"]
                    if kind == "group":
                        cmd += ["--commit-window",
                                str(rng.choice([0.002, 0.02, 0.2]))]
                    if kind == "extend":
                        shutil.copy(base, out)
                        cmd.append("--extend")
                    if rng.random() < 0.2:
                        cmd.append("--fsync")
                    for k in range(budget):
                        if os.path.exists(out):
                            stats.resumes += 1
                        if kill_at_random(cmd, work, estimate, rng, stats) \
                                and os.path.exists(out):
                            check_partial(out, reference, pdx)
                            stats.checks += 1
                    stats.resumes += os.path.exists(out)
                    finish(cmd, f"trial {trial} ({kind})")
                    compare_final(out, ref)
                elif kind == "shard":
                    n = rng.randint(2, 4)
                    victim = rng.randrange(n)
                    for i in range(n):
                        cmd = [pdx, "run", spec, "-o", out, "--shard",
                               f"{i}/{n}", "--quiet"]
                        if i == victim:
                            for k in range(budget):
                                shard = [os.path.join(work, x)
                                         for x in os.listdir(work)
                                         if x.startswith(f"out.shard-{i}-")
                                         and x.endswith(".h5")]
                                stats.resumes += bool(shard)
                                if kill_at_random(cmd, work, estimate / n,
                                                  rng, stats):
                                    for s in [os.path.join(work, x)
                                              for x in os.listdir(work)
                                              if x.startswith(f"out.shard-{i}-")
                                              and x.endswith(".h5")]:
                                        check_partial(s, reference, pdx)
                                        stats.checks += 1
                        finish(cmd, f"trial {trial} shard {i}/{n}")
                    shards = sorted(os.path.join(work, x) for x in os.listdir(work)
                                    if x.startswith("out.shard-") and x.endswith(".h5"))
                    finish([pdx, "merge", out] + shards + ["--quiet"],
                           f"trial {trial} merge")
                    compare_final(out, ref)
                elif kind == "incremental":
                    # merge what has finished now, more later: a working
                    # target grows in place, one shard at a time
                    for m in range(1, len(shard_files) + 1):
                        cmd = [pdx, "merge", out] + shard_files[:m] + \
                              ["--quiet"] + \
                              (["--partial"] if m < len(shard_files) else [])
                        for k in range(budget):
                            if kill_at_random(cmd, work, merge_estimate, rng,
                                              stats) and os.path.exists(out):
                                check_partial(out, reference, pdx)
                                stats.checks += 1
                        stats.resumes += os.path.exists(out)
                        finish(cmd, f"trial {trial} incremental merge {m}")
                        if m < len(shard_files):
                            check_partial(out, reference, pdx)
                    compare_final(out, ref)
                else:  # merge
                    cmd = [pdx, "merge", out] + shard_files + ["--quiet"]
                    for k in range(budget):
                        if kill_at_random(cmd, work, merge_estimate, rng,
                                          stats) and os.path.exists(out):
                            # a merge only ever renames a complete file
                            compare_final(out, ref)
                            stats.checks += 1
                    finish(cmd, f"trial {trial} merge")
                    compare_final(out, ref)
                left = temporaries(work)
                if left:
                    raise Failure(f"trial {trial} ({kind}): temporaries "
                                  f"left: {left}")
                shutil.rmtree(work)
            except Failure as e:
                stats.corrupt += 1
                print(f"CORRUPTION in trial {trial} ({kind}): {e}")
    finally:
        print(f"kills: {sum(stats.kills.values())} "
              + ", ".join(f"{v} {k}" for k, v in stats.kills.items()))
        print(f"runs that ended before their kill: {stats.missed}")
        print(f"resumes: {stats.resumes}; files checked after a kill: "
              f"{stats.checks}; trials: {stats.trials}")
        print(f"corrupted or wrong files: {stats.corrupt}")
        if stats.corrupt == 0 and args.work is None:
            shutil.rmtree(top, ignore_errors=True)
    sys.exit(1 if stats.corrupt else 0)


if __name__ == "__main__":
    main()
