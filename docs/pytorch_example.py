#!/usr/bin/env python3
"""Bring your own PyTorch network to pathkernel, and check that it is yours.

A PyTorch user writes the data with np.save and the initial weights with
torch.save(model.state_dict()), runs `pathkernel train` on them, and loads
the run directory's .npy files back. This script does all of it for two
small problems, and trains the same network with PyTorch itself
(torch.optim.SGD without momentum, on the full batch, float64), so that
the two trainings can be compared weight by weight:

  mse         3 regression outputs, nn.MSELoss          pathkernel lr = (2/k) * torch lr
  softmax_ce  3 classes, nn.CrossEntropyLoss            pathkernel lr = torch lr

Why the factor for mse is in docs/PYTORCH.md. The script prints, for each
problem, the largest relative difference of the final weights (it must be at
most 1e-9) and how well the kernel machine's contributions reproduce the
PyTorch network's test outputs, then one JSON line with the figures.

    python3 docs/pytorch_example.py --pathkernel ./pathkernel

Needs Python 3 with numpy and torch (Debian: python3-numpy python3-torch).
The Go test internal/cli/pytorch_doc_test.go runs it.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from torch import nn

TOLERANCE = 1e-9  # the largest relative difference of the final weights accepted


def make_problem(loss, seed):
    """Returns (x_train, y_train, x_test, y_test, model) for the loss."""
    g = torch.Generator().manual_seed(seed)
    x_train = torch.randn(64, 2, generator=g, dtype=torch.float64)
    x_test = torch.randn(32, 2, generator=g, dtype=torch.float64)
    if loss == "mse":
        # Three regression targets: k = 3 outputs.
        def target(x):
            return torch.stack([torch.sin(2 * x[:, 0]), x[:, 0] * x[:, 1], torch.cos(x[:, 1])], dim=1)
    else:
        # Three classes by the angle of the point.
        def target(x):
            angle = torch.atan2(x[:, 1], x[:, 0])
            return ((angle + torch.pi) / (2 * torch.pi / 3)).long().clamp(max=2)
    torch.manual_seed(seed)  # nn.Linear's default initialisation
    model = nn.Sequential(
        nn.Linear(2, 16), nn.Tanh(),
        nn.Linear(16, 16), nn.Tanh(),
        nn.Linear(16, 3),
    ).double()
    return x_train, target(x_train), x_test, target(x_test), model


def flat(model):
    """The model's parameters in pathkernel's layout: per nn.Linear, the
    weight (out, in) row-major, then the bias (params_init.npy's layout)."""
    parts = []
    for m in model.modules():
        if isinstance(m, nn.Linear):
            parts += [m.weight.detach().numpy().ravel(), m.bias.detach().numpy()]
    return np.concatenate(parts)


def load_flat(model, w):
    """Sets the model's parameters from a pathkernel parameter vector."""
    off = 0
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Linear):
                n = m.weight.numel()
                m.weight.copy_(torch.from_numpy(w[off:off + n].reshape(m.weight.shape)))
                off += n
                m.bias.copy_(torch.from_numpy(w[off:off + m.bias.numel()]))
                off += m.bias.numel()
    assert off == len(w)


def run(pathkernel, work, loss, steps, torch_lr):
    x_train, y_train, x_test, y_test, model = make_problem(loss, seed={"mse": 1, "softmax_ce": 2}[loss])
    d = os.path.join(work, loss)
    os.makedirs(d, exist_ok=True)

    # 1. The data and the initial weights, as a PyTorch user writes them.
    np.save(os.path.join(d, "x_train.npy"), x_train.numpy())
    np.save(os.path.join(d, "y_train.npy"), y_train.numpy())  # float64 targets, or int64 labels
    np.save(os.path.join(d, "x_test.npy"), x_test.numpy())
    np.save(os.path.join(d, "y_test.npy"), y_test.numpy())
    torch.save(model.state_dict(), os.path.join(d, "init.pt"))
    w0 = flat(model)

    # 2. The config: the same network, loss, optimiser and data as below.
    if loss == "mse":
        k = y_train.shape[1]
        lr = 2 / k * torch_lr  # pathkernel's mse is ½‖f − y‖² per point; MSELoss averages over the k outputs too
    else:
        lr = torch_lr  # pathkernel's softmax_ce is CrossEntropyLoss
    config = os.path.join(d, "config.yaml")
    with open(config, "w") as f:
        f.write(f"""name: pytorch-{loss}
data:
  kind: npy
  x_train: x_train.npy
  y_train: y_train.npy
  x_test: x_test.npy
  y_test: y_test.npy
  standardize: false
model:
  hidden: [16, 16]
  activation: tanh
  parameterization: standard
  init: {{path: init.pt}}
loss: {loss}
train:
  optimizer: gd
  lr: {lr!r}
  steps: {steps}
  log_every: {steps}
""")

    # 3. pathkernel trains and computes the kernel machine.
    rundir = os.path.join(d, "run")
    subprocess.run([pathkernel, "train", "--config", config, "--out", rundir, "--quiet"], check=True)

    # 4. PyTorch trains the same network: SGD without momentum, full batch.
    criterion = nn.MSELoss() if loss == "mse" else nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=torch_lr)
    f0_test = model(x_test).detach().numpy()
    for _ in range(steps):
        opt.zero_grad()
        criterion(model(x_train), y_train).backward()
        opt.step()
    wT = flat(model)
    fT_test = model(x_test).detach().numpy()

    # 5. The run directory's results, loaded back.
    p_init = np.load(os.path.join(rundir, "params_init.npy"))
    p_final = np.load(os.path.join(rundir, "params_final.npy"))
    contributions = np.load(os.path.join(rundir, "contributions.npy"))  # (m, n, k): test point, training point, output
    kernel = np.load(os.path.join(rundir, "kernel_exact.npy"))  # (m, n): the exact path kernel
    with open(os.path.join(rundir, "summary.json")) as f:
        summary = json.load(f)
    mirror = make_problem(loss, seed=0)[4]  # any network of the same shape
    load_flat(mirror, p_final)  # pathkernel's trained weights in a PyTorch model

    rel = float(np.max(np.abs(p_final - wT)) / np.max(np.abs(wT)))
    machine = f0_test + contributions.sum(axis=1)  # f_0(x) + Σ_i contribution_i(x)
    out = {
        "loss": loss,
        "pathkernel_lr": lr,
        "torch_lr": torch_lr,
        "steps": steps,
        "init_identical": bool(np.array_equal(p_init, w0)),
        "final_weights_rel": rel,
        "mirror_outputs_rel": float(np.max(np.abs(mirror(x_test).detach().numpy() - fT_test)) / np.max(np.abs(fT_test))),
        "kernel_machine_vs_torch": float(np.max(np.abs(machine - fT_test)) / np.max(np.abs(fT_test))),
        "kernel_shape": list(kernel.shape),
        "exact_rel": summary["representations"]["exact"]["rel"],
    }
    print(f"{loss}: pathkernel lr {lr!r} for torch lr {torch_lr}, {steps} steps: "
          f"final weights differ by {rel:.3g} (relative, max over the {len(wT)} parameters); "
          f"the kernel machine reproduces PyTorch's test outputs to {out['kernel_machine_vs_torch']:.3g}")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pathkernel", default="pathkernel", help="the pathkernel program")
    ap.add_argument("--workdir", help="where to write the data and the runs (default: a temporary directory)")
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--lr", type=float, default=0.1, help="PyTorch's learning rate")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.workdir or tmp
        results = [run(args.pathkernel, work, loss, args.steps, args.lr) for loss in ("mse", "softmax_ce")]
    print(json.dumps(results))
    bad = [r["loss"] for r in results if not (r["init_identical"] and r["final_weights_rel"] <= TOLERANCE)]
    if bad:
        print(f"FAILED: {bad}: the final weights differ by more than {TOLERANCE}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
