#!/usr/bin/python3
"""pdx benchmark: W1 (sweeps/bench-online.yaml) with 1 and 2 threads, the
PyTorch peer on the same grid in the same invocation, and the Gaussian
generator; W2 (sweeps/bench-minibatch.yaml, minibatch SGD on finite
training sets) against torch_minibatch_grid.py, also in this invocation;
D1 (sweeps/bench-deep.yaml, SGD of deep tanh students) against
torch_deep_grid.py with 1 and 2 threads each, and the deep kernels' flop
rate next to the machine's peak (bench_deep). Prints a table and one JSON
line. Figures, not assertions. --workloads d1 runs D1 alone."""
import argparse, json, os, re, subprocess, sys, tempfile, time

def run_measured(cmd):
    """Run cmd; return (wall seconds, stdout, stderr); exit if it fails."""
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed ({p.returncode}):\n{p.stderr}")
    return wall, p.stdout, p.stderr

def sweep_seconds(stderr):
    """The sweep phase's wall time from pdx run's summary line."""
    m = re.search(r"tasks run .* in ([0-9.]+) s,", stderr)
    if m is None:
        sys.exit(f"bench: no summary line in pdx run's output:\n{stderr}")
    return float(m.group(1))

def peak_rss_mib(cmd):
    """Peak resident memory of one run of cmd, in MiB (via wait4)."""
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1); os.dup2(devnull, 2)
        os.execv(cmd[0], cmd)
    _, _, ru = os.wait4(pid, 0)
    return ru.ru_maxrss / 1024.0

def run_peer(a, res, key, script, threads):
    """The JSON result line of peer SCRIPT (in --peers, default
    SOURCE_ROOT/../shared/peers) run with THREADS threads, or None with
    the reason in res[KEY] when it cannot run (--no-peer: None, no note)."""
    if a.no_peer:
        return None
    folder = a.peers or os.path.join(a.source_root, "..", "shared", "peers")
    peer = os.path.normpath(os.path.join(folder, script))
    try:
        import torch  # noqa: F401
    except ImportError:
        res[key] = "not run: python3-torch missing (scripts/setup.sh --bench)"
        return None
    if not os.path.exists(peer):
        res[key] = f"not run: {peer} not found"
        return None
    out = subprocess.check_output(["/usr/bin/python3", peer, "--threads", str(threads)],
                                  text=True)
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pdx", required=True)
    ap.add_argument("--rng", required=True)
    ap.add_argument("--source-root", required=True)
    ap.add_argument("--deep", help="bench_deep (the deep kernels' flop rate)")
    ap.add_argument("--peers", default=None,
                    help="the peers' folder (default SOURCE_ROOT/../shared/peers; "
                         "a git worktree elsewhere names it)")
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--workloads", default="w1,w2,d1",
                    help="comma-separated subset of w1, w2, d1")
    a = ap.parse_args()
    todo = set(a.workloads.split(","))
    if "w1" not in todo:
        res = {"cpu": cpu_name(), "cores": os.cpu_count()}
        if "w2" in todo:
            w2(a, res)
        if "d1" in todo:
            d1(a, res)
        report(res)
        return
    spec = os.path.join(a.source_root, "sweeps", "bench-online.yaml")
    steps_total = 8 * 8 * 20 * 500
    res = {"workload": "W1 bench-online (N=500, K=M=2 erf, 8 lr x 8 replicas, alpha=20)",
           "sgd_steps": steps_total, "cpu": cpu_name(), "cores": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "b.h5")
        # 1- and 2-thread runs alternate, so that a slow spell of this
        # shared machine hits both; the best of 15 of each is kept (on
        # this VM a 2-thread run was 0.140-0.17 s from one run to the next)
        best, best_sweep = {}, {}
        for _ in range(15):
            for threads in (1, 2):
                wall, _, err = run_measured([a.pdx, "run", spec, "-o", out, "--force",
                                             "--threads", str(threads)])
                sweep = sweep_seconds(err)
                best[threads] = min(best.get(threads, wall), wall)
                best_sweep[threads] = min(best_sweep.get(threads, sweep), sweep)
        for threads in (1, 2):
            res[f"pdx_steps_per_s_{threads}t"] = steps_total / best[threads]
            res[f"pdx_wall_s_{threads}t"] = best[threads]
            res[f"pdx_sweep_s_{threads}t"] = best_sweep[threads]
        res["pdx_peak_mib_2t"] = peak_rss_mib([a.pdx, "run", spec, "-o", out, "--force",
                                                "--quiet", "--threads", "2"])
    # the parallel phase (the sweep, as pdx reports it) and the whole
    # command (start-up, file creation and compressed repack are serial)
    res["speedup_1_to_2_threads"] = res["pdx_sweep_s_1t"] / res["pdx_sweep_s_2t"]
    res["speedup_1_to_2_threads_whole_command"] = (res["pdx_steps_per_s_2t"] /
                                                   res["pdx_steps_per_s_1t"])
    rng = json.loads(subprocess.check_output([a.rng], text=True))
    res["ns_per_gaussian"] = rng["ns_per_gaussian"]
    res["gflops_effective_2t"] = res["pdx_steps_per_s_2t"] * 500 * (2 * 2 + 2 * 2 + 2 * 2) / 1e9
    pr = run_peer(a, res, "peer", "torch_online_scm.py", 2)
    if pr is not None:
        res["peer_steps_per_s"] = pr["steps_per_s"]
        res["peer_threads"] = pr["threads"]
        res["ratio_to_peer"] = res["pdx_steps_per_s_2t"] / pr["steps_per_s"]
    if "w2" in todo:
        w2(a, res)
    if "d1" in todo:
        d1(a, res)
    report(res)

def report(res):
    print()
    for k, v in res.items():
        print(f"{k:28s} {v:,.3f}" if isinstance(v, float) else f"{k:28s} {v}")
    print(json.dumps(res))

def d1(a, res):
    """D1: sweeps/bench-deep.yaml (the grid, nets and epochs of
    torch_deep_grid.py: 15,000 SGD steps and a 10,000-input test error per
    cell) with 1 and 2 threads (best of 2 each), the peer with 1 and 2
    threads, in this same invocation; then bench_deep's flop rates."""
    spec = os.path.join(a.source_root, "sweeps", "bench-deep.yaml")
    steps = 15000
    res["d1_workload"] = ("D1 bench-deep (N=100, width 64 tanh, depths 2..32 x 6 sigma_w2 "
                          "x 2 seeds, P=400, B=16, 10 epochs, test 10,000)")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "d1.h5")
        for threads in (1, 2):
            best = None
            for _ in range(2):
                wall, _, _ = run_measured([a.pdx, "run", spec, "-o", out, "--force",
                                           "--quiet", "--threads", str(threads)])
                best = wall if best is None else min(best, wall)
            res[f"d1_pdx_wall_s_{threads}t"] = best
            res[f"d1_pdx_steps_per_s_{threads}t"] = steps / best
    if a.deep:
        kr = json.loads(subprocess.check_output([a.deep], text=True).strip().splitlines()[-1])
        res["d1_sgd_step_gflops_1t"] = kr["sgd_step_gflops"]
        res["d1_affine_gflops_1t"] = kr["affine_16x64x64_gflops"]
        if kr.get("openblas_dgemm_16x64x64_gflops") is not None:
            res["d1_openblas_dgemm_gflops_1t"] = kr["openblas_dgemm_16x64x64_gflops"]
        res["d1_peak_gflops_per_core"] = kr["peak_gflops_per_core"]
    for threads in (1, 2):
        pr = run_peer(a, res, "d1_peer", "torch_deep_grid.py", threads)
        if pr is None:
            return
        res[f"d1_peer_wall_s_{threads}t"] = pr["wall_s"]
        res[f"d1_ratio_to_peer_{threads}t"] = pr["wall_s"] / res[f"d1_pdx_wall_s_{threads}t"]

def w2(a, res):
    """W2: sweeps/bench-minibatch.yaml (the grid, model and epochs of
    torch_minibatch_grid.py) with 2 threads, then the peer with 2 threads,
    in this same invocation. Steps are SGD minibatch steps (141,560 in
    both); pdx's wall time includes start-up, data and test sets, the
    file and its compressed repack."""
    spec = os.path.join(a.source_root, "sweeps", "bench-minibatch.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "w2.h5")
        best = None
        for _ in range(3):
            wall, _, _ = run_measured([a.pdx, "run", spec, "-o", out, "--force", "--quiet",
                                       "--threads", "2"])
            best = wall if best is None else min(best, wall)
        try:
            import h5py
            with h5py.File(out, "r") as f:
                steps = int(f["steps"][()].sum())
        except ImportError:
            steps = 141560
    res["w2_workload"] = ("W2 bench-minibatch (N=200, K=8 erf two-layer, 5 alphas x 2 etas x "
                          "3 batches x 2 noises x 2 seeds, 5 epochs)")
    res["w2_sgd_steps"] = steps
    res["w2_pdx_wall_s_2t"] = best
    res["w2_pdx_steps_per_s_2t"] = steps / best
    pr = run_peer(a, res, "w2_peer", "torch_minibatch_grid.py", 2)
    if pr is None:
        return
    res["w2_peer_sgd_steps"] = pr["sgd_steps"]
    res["w2_peer_wall_s"] = pr["wall_s"]
    res["w2_peer_steps_per_s"] = pr["steps_per_s"]
    res["w2_ratio_to_peer"] = res["w2_pdx_steps_per_s_2t"] / pr["steps_per_s"]

def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"

if __name__ == "__main__":
    main()
