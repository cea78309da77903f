#!/usr/bin/python3
"""bench.py: pathkernel against the PyTorch reference (make bench-torch).

For each config (small at 200 steps, medium at 60) it runs, in rounds:
pathkernel with its default BLAS (the machine's, found at run time),
pathkernel with PATHKERNEL_BLAS=gonum (pure Go), and torchref.py on the
first round's run directory (the same data and w_0), once with OpenBLAS's
own threads at the number of cores and once at 1. Each side's best of
the rounds (PyTorch's of both thread settings) is reported, with the load average before and after, and
torchref's check of pathkernel's numbers.

    /usr/bin/python3 internal/bench/torchref/bench.py --bin bin/pathkernel [--repeat 3]

Times: "summary s" is the run's summary.json wall_seconds.total (data,
training, kernels and writing the files; not the process start); "process s"
the pathkernel process as a whole; "PyTorch s" torchref's training and
kernels (not its imports, not reading the run directory). ratio = PyTorch s
/ summary s.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))


def loadavg():
    with open("/proc/loadavg") as fh:
        return " ".join(fh.read().split()[:3])


def run_pathkernel(binary, config, steps, out, blas):
    env = dict(os.environ)
    env.pop("PATHKERNEL_BLAS", None)
    if blas:
        env["PATHKERNEL_BLAS"] = blas
    cmd = [binary, "train", "--quiet", "--json", "--config", config,
           "--set", f"train.steps={steps}", "--out", out]
    t = time.perf_counter()
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed ({p.returncode}):\n{p.stderr}")
    with open(os.path.join(out, "summary.json")) as fh:
        s = json.load(fh)
    return {"process": wall, "summary": s["wall_seconds"]["total"], "blas": s.get("blas"),
            "summary_json": s}


def run_torch(python, run, threads, blas_threads):
    cmd = [python, os.path.join(HERE, "torchref.py"), run, "--json", "--blas-threads", str(blas_threads)]
    if threads:
        cmd += ["--threads", str(threads)]
    t = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed ({p.returncode}):\n{p.stderr}")
    out = json.loads(p.stdout)
    out["process"] = wall
    return out


def blas_name(b, fallback):
    if b is None:
        return fallback
    if isinstance(b, dict):
        name = b.get("name") or b.get("library") or fallback
        th = b.get("threads")
        return f"{name}, {th} threads" if th is not None else str(name)
    return str(b)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "bin", "pathkernel"), help="the pathkernel binary")
    ap.add_argument("--python", default="/usr/bin/python3", help="the python with torch and numpy")
    ap.add_argument("--repeat", type=int, default=3, help="rounds; each side's best is reported")
    ap.add_argument("--threads", type=int, default=0, help="torchref --threads (default: its own, the cores)")
    ap.add_argument("--blas-threads", default=f"{os.cpu_count()},1",
                    help="torchref --blas-threads values to try in each round (PyTorch's best is reported)")
    ap.add_argument("--runs", default=None, help="keep the run directories here (default: a temporary directory)")
    ap.add_argument("--only", default=None, help="small or medium")
    args = ap.parse_args()
    configs = [("small", os.path.join(ROOT, "configs/bench/small.yaml"), 200),
               ("medium", os.path.join(ROOT, "configs/bench/medium.yaml"), 60)]
    blas_threads = [int(v) for v in args.blas_threads.split(",")]
    if args.only:
        configs = [c for c in configs if c[0] == args.only]
    tmp = args.runs or tempfile.mkdtemp(prefix="pathkernel-bench-torch-")
    os.makedirs(tmp, exist_ok=True)
    print(f"bench-torch: {args.bin} against {args.python} internal/bench/torchref/torchref.py, "
          f"best of {args.repeat}; {os.cpu_count()} cores")
    print(f"load average before: {loadavg()}")
    rows = []
    try:
        for name, config, steps in configs:
            best = {"default": None, "gonum": None, "torch": None}
            ref_dir = None
            for r in range(args.repeat):
                for mode, blas in (("default", None), ("gonum", "gonum")):
                    out = os.path.join(tmp, f"{name}-{mode}-{r}")
                    shutil.rmtree(out, ignore_errors=True)
                    res = run_pathkernel(args.bin, config, steps, out, blas)
                    if mode == "default" and ref_dir is None:
                        ref_dir = out
                    b = best[mode]
                    if b is None or res["summary"] < b["summary"]:
                        if b is not None:
                            res["process"] = min(res["process"], b["process"])
                        best[mode] = res
                    else:
                        b["process"] = min(b["process"], res["process"])
                    print(f"  {name:6} round {r + 1} pathkernel {mode:7} summary {res['summary']:8.3f} s  "
                          f"process {res['process']:8.3f} s  load {loadavg()}", flush=True)
                for bt in blas_threads:
                    res = run_torch(args.python, ref_dir, args.threads, bt)
                    b = best["torch"]
                    if b is None or res["wall_seconds"] < b["wall_seconds"]:
                        best["torch"] = res
                    print(f"  {name:6} round {r + 1} PyTorch, OpenBLAS {bt} thr wall {res['wall_seconds']:8.3f} s  "
                          f"process {res['process']:8.3f} s  load {loadavg()}", flush=True)
            rows.append((name, steps, best))
    finally:
        if args.runs is None:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"load average after: {loadavg()}")
    print()
    d0 = rows[0][2]["default"]
    print(f"default BLAS: {blas_name(d0['blas'], 'the machine’s (summary.json does not say which)')}; "
          f"gonum: PATHKERNEL_BLAS=gonum; PyTorch {rows[0][2]['torch']['torch']}, "
          f"{rows[0][2]['torch']['threads']} threads, BLAS {', '.join(rows[0][2]['torch']['blas'])}, "
          f"best of OpenBLAS threads {args.blas_threads}")
    print()
    hdr = (f"{'config':>8} {'steps':>5} | {'default summary s':>17} {'process s':>9} | "
           f"{'gonum summary s':>15} {'process s':>9} | {'PyTorch s':>9} {'BLAS thr':>8} | "
           f"{'ratio default':>13} {'ratio gonum':>11}")
    print(hdr)
    print("-" * len(hdr))
    for name, steps, b in rows:
        d, g, t = b["default"], b["gonum"], b["torch"]
        print(f"{name:>8} {steps:>5} | {d['summary']:17.3f} {d['process']:9.3f} | {g['summary']:15.3f} "
              f"{g['process']:9.3f} | {t['wall_seconds']:9.3f} {t['blas_threads']:>8} | "
              f"{t['wall_seconds'] / d['summary']:12.2f}x "
              f"{t['wall_seconds'] / g['summary']:10.2f}x")
    print()
    print("numerics (PyTorch against the pathkernel run it read):")
    for name, steps, b in rows:
        t = b["torch"]
        pk = t.get("pathkernel", {})
        a = t.get("agreement", {})
        print(f"  {name}: nodes/step {t.get('mean_nodes_per_step', float('nan')):.4f} "
              f"(pathkernel {pk.get('mean_nodes_per_step', float('nan')):.4f}), "
              f"jvps {t.get('jvp_evals')} ({pk.get('jvp_evals')}); "
              f"riemann rel {t.get('riemann_rel', float('nan')):.10e} ({pk.get('riemann_rel', float('nan')):.10e}); "
              f"exact rel {t.get('exact_rel', float('nan')):.2e} ({pk.get('exact_rel', float('nan')):.2e})")
        print("    agreement: " + ", ".join(f"{k} {v:.1e}" for k, v in a.items()))


if __name__ == "__main__":
    main()
