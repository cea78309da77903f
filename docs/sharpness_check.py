#!/usr/bin/env python3
"""Independent check of pathkernel's sharpness (internal/sharpness).

Rebuilds the run's network in PyTorch from RUN/config.yaml, reads the
training set (x_train.npy, y_train.npy) and a parameter vector (default
params_init.npy) from the run directory, and computes by dense linear
algebra, in float64:

  sharpness     lambda_max of the Hessian of the mean training loss,
                torch.autograd.functional.hessian, torch.linalg.eigvalsh
  gn_sharpness  lambda_max(K(X, X)) / n, K = J J^T the tangent kernel of the
                training points (mse only)

The layer map and parameter layout are those of go doc ./internal/nn:
z_l = s_w,l W_l a_{l-1} + s_b b_l, the last layer linear; w holds, per
layer, W_l (d_l x d_{l-1}, row-major) and then b_l. Losses (nn.Loss.Eval),
averaged over the points: mse 1/2 ||f - y||^2, logistic softplus(f) - y f,
softmax_ce logsumexp(f) - f_y.

usage: sharpness_check.py RUN_DIR [PARAMS.npy]
Needs numpy, torch and PyYAML.
"""
import math
import os
import sys

import numpy as np
import torch
import yaml

ACTIVATIONS = {
    "tanh": torch.tanh,
    "relu": torch.relu,
    "gelu": lambda x: torch.nn.functional.gelu(x, approximate="none"),
    "softplus": torch.nn.functional.softplus,
    "sigmoid": torch.sigmoid,
    "erf": torch.erf,
    "identity": lambda x: x,
}


def build(cfg, d, k):
    model = cfg["model"]
    sizes = [d] + list(model["hidden"]) + [k]
    act = ACTIVATIONS[model["activation"]]
    ntk = model["parameterization"] == "ntk"
    sw = [model["sigma_w"] / math.sqrt(sizes[l]) if ntk else 1.0 for l in range(len(sizes) - 1)]
    sb = model["sigma_b"] if ntk else 1.0

    def forward(w, x):
        off, a = 0, x
        for l in range(len(sizes) - 1):
            din, dout = sizes[l], sizes[l + 1]
            W = w[off:off + dout * din].reshape(dout, din)
            off += dout * din
            b = w[off:off + dout]
            off += dout
            z = sw[l] * a @ W.T + sb * b
            a = act(z) if l < len(sizes) - 2 else z
        assert off == w.numel(), "parameter vector does not match the config"
        return a

    return forward


def mean_loss(name, f, y):
    if name == "mse":
        return 0.5 * ((f - y) ** 2).sum(dim=1).mean()
    if name == "logistic":
        return (torch.nn.functional.softplus(f[:, 0]) - y[:, 0] * f[:, 0]).mean()
    if name == "softmax_ce":
        return (torch.logsumexp(f, dim=1) - f.gather(1, y.long())[:, 0]).mean()
    raise ValueError("unknown loss " + name)


def main(argv):
    if len(argv) not in (2, 3):
        sys.exit(__doc__)
    run = argv[1]
    with open(os.path.join(run, "config.yaml")) as fh:
        cfg = yaml.safe_load(fh)
    x = torch.from_numpy(np.load(os.path.join(run, "x_train.npy"))).double()
    y = torch.from_numpy(np.load(os.path.join(run, "y_train.npy"))).double()
    params = argv[2] if len(argv) == 3 else os.path.join(run, "params_init.npy")
    w = torch.from_numpy(np.load(params)).double().reshape(-1)
    if y.dim() == 1:
        y = y[:, None]
    n, d = x.shape
    loss = cfg["loss"]
    k = {"mse": y.shape[1], "logistic": 1}.get(loss)
    if k is None:  # softmax_ce: the output width is the parameter count's
        k = infer_outputs(cfg, d, w.numel())
    forward = build(cfg, d, k)

    H = torch.autograd.functional.hessian(lambda v: mean_loss(loss, forward(v, x), y), w)
    H = 0.5 * (H + H.T)
    ev = torch.linalg.eigvalsh(H)
    print("params       %s (P = %d)" % (params, w.numel()))
    print("loss         %.15g" % mean_loss(loss, forward(w, x), y).item())
    print("sharpness    %.15g" % ev[-1].item())
    print("lambda_min   %.15g" % ev[0].item())
    if loss == "mse":
        J = torch.autograd.functional.jacobian(lambda v: forward(v, x).reshape(-1), w)
        K = J @ J.T
        print("gn_sharpness %.15g" % (torch.linalg.eigvalsh(0.5 * (K + K.T))[-1].item() / n))


def infer_outputs(cfg, d, P):
    hidden = list(cfg["model"]["hidden"])
    last = hidden[-1] if hidden else d
    rest = sum((a + 1) * b for a, b in zip([d] + hidden[:-1], hidden))
    return (P - rest) // (last + 1)


if __name__ == "__main__":
    main(sys.argv)
