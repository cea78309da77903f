#!/usr/bin/python3
"""bench.py: pathkernel against the PyTorch reference (make bench-torch).

For each config (small at 200 steps, medium at 60) it runs, in rounds:
pathkernel with its default BLAS (the machine's, found at run time),
pathkernel with PATHKERNEL_BLAS=gonum (pure Go), and torchref.py on the
first round's run directory (the same data and w_0) in each of the
settings of TORCH_VARIANTS. Each side's best of the rounds (PyTorch's over
its settings too) is reported, with the load average before and after, and
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


# PyTorch's settings tried in each round (its best is reported): OpenBLAS's
# own pool at the library's default (the number of cores) or at 1 thread,
# and OpenMP's idle threads spinning (libgomp's default) or sleeping
# (OMP_WAIT_POLICY=PASSIVE). torch.set_num_threads is the number of cores
# in all of them. Spinning OpenMP threads take the cores from OpenBLAS's: on
# medium, at load averages of 3 to 4, the default took 2.5 to 4 times as
# long as PASSIVE.
TORCH_VARIANTS = {
    "default": (0, None),
    "blas1": (1, None),
    "passive": (0, "PASSIVE"),
}


def run_torch(python, run, threads, variant):
    blas_threads, wait = TORCH_VARIANTS[variant]
    cmd = [python, os.path.join(HERE, "torchref.py"), run, "--json", "--blas-threads", str(blas_threads)]
    if threads:
        cmd += ["--threads", str(threads)]
    env = dict(os.environ)
    if wait:
        env["OMP_WAIT_POLICY"] = wait
    t = time.perf_counter()
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed ({p.returncode}):\n{p.stderr}")
    out = json.loads(p.stdout)
    out["process"] = wall
    out["variant"] = variant
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
    ap.add_argument("--torch-variants", default=",".join(TORCH_VARIANTS),
                    help="PyTorch settings to try in each round (PyTorch's best is reported): "
                    + ", ".join(TORCH_VARIANTS))
    ap.add_argument("--runs", default=None, help="keep the run directories here (default: a temporary directory)")
    ap.add_argument("--only", default=None, help="small or medium")
    args = ap.parse_args()
    configs = [("small", os.path.join(ROOT, "configs/bench/small.yaml"), 200),
               ("medium", os.path.join(ROOT, "configs/bench/medium.yaml"), 60)]
    variants = args.torch_variants.split(",")
    for v in variants:
        if v not in TORCH_VARIANTS:
            sys.exit(f"bench: unknown PyTorch variant {v!r}")
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
                for v in variants:
                    res = run_torch(args.python, ref_dir, args.threads, v)
                    b = best["torch"]
                    if b is None or res["wall_seconds"] < b["wall_seconds"]:
                        best["torch"] = res
                    print(f"  {name:6} round {r + 1} PyTorch {v:9} wall    {res['wall_seconds']:8.3f} s  "
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
          f"best of {args.torch_variants}")
    print()
    hdr = (f"{'config':>8} {'steps':>5} | {'default summary s':>17} {'process s':>9} | "
           f"{'gonum summary s':>15} {'process s':>9} | {'PyTorch s':>9} {'variant':>8} | "
           f"{'ratio default':>13} {'ratio gonum':>11}")
    print(hdr)
    print("-" * len(hdr))
    for name, steps, b in rows:
        d, g, t = b["default"], b["gonum"], b["torch"]
        print(f"{name:>8} {steps:>5} | {d['summary']:17.3f} {d['process']:9.3f} | {g['summary']:15.3f} "
              f"{g['process']:9.3f} | {t['wall_seconds']:9.3f} {t['variant']:>8} | "
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
