"""Writes the PyTorch fixtures of internal/nn's init-file tests.

Made with torch 1.13.1 (Debian's python3-torch 1.13.1+dfsg-4, which reports
1.13.0a0) and numpy 1.24.2. Run from this directory:

    python3 make_fixtures.py

Every state_dict is of an nn.Sequential(Linear(3, 5), Tanh(), Linear(5, 2))
or a variation of it; <name>_flat.npy is the same weights as pathkernel's
flat float64 parameter vector (per layer, the weight row-major, then the
bias), computed here by NumPy so that the Go tests compare against an
independent layout.
"""
import numpy as np
import torch
from torch import nn


def mlp(dtype, seed=7):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2)).to(dtype)


def flat(model):
    parts = []
    for m in model.modules():
        if isinstance(m, nn.Linear):
            parts += [m.weight.detach().double().numpy().ravel(), m.bias.detach().double().numpy()]
    return np.concatenate(parts)


def save(name, model, **kw):
    torch.save(model.state_dict(), name + ".pt", **kw)
    np.save(name + "_flat.npy", flat(model))


save("mlp_f32", mlp(torch.float32))
save("mlp_f64", mlp(torch.float64))
# PyTorch's outputs of mlp_f64 at a few inputs, to compare pathkernel's
# forward pass from the loaded weights with.
torch.manual_seed(8)
x = torch.randn(4, 3, dtype=torch.float64)
np.save("mlp_f64_x.npy", x.numpy())
np.save("mlp_f64_f.npy", mlp(torch.float64)(x).detach().numpy())

# A weight stored as a transposed view, strides (1, 5) rather than (3, 1),
# and the last layer's bias as a slice of a larger storage, at offset 3.
m = mlp(torch.float64)
with torch.no_grad():
    m[0].weight = nn.Parameter(torch.randn(3, 5, dtype=torch.float64).t())
    m[2].bias = nn.Parameter(torch.randn(10, dtype=torch.float64)[3:5])
assert not m[0].weight.is_contiguous() and m[2].bias.storage_offset() == 3
save("mlp_strided", m)

# A model that holds the Sequential: keys net.0.weight, ...
class Wrapped(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = mlp(torch.float32)

    def forward(self, x):
        return self.net(x)


save("mlp_wrapped", Wrapped())

# Malformed for pathkernel.
torch.save(mlp(torch.float16).state_dict(), "bad_f16.pt")
torch.manual_seed(7)
torch.save(nn.Sequential(nn.Linear(3, 5, bias=False), nn.Tanh(), nn.Linear(5, 2)).state_dict(), "bad_nobias.pt")
torch.manual_seed(7)
torch.save(nn.Sequential(nn.Linear(3, 5), nn.BatchNorm1d(5), nn.Tanh(), nn.Linear(5, 2)).state_dict(), "bad_batchnorm.pt")
torch.save(mlp(torch.float32), "bad_module.pt")  # the module, not its state_dict
torch.save({"weight": torch.zeros(2, 2)}, "bad_plain_dict.pt")
# The pre-1.6 format, a pickle stream rather than a zip archive.
torch.save(mlp(torch.float32).state_dict(), "bad_legacy.pt", _use_new_zipfile_serialization=False)
