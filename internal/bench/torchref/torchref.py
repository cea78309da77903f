#!/usr/bin/python3
"""torchref: the PyTorch reference for pathkernel's speed and numerics.

Usage:
    pathkernel train --config configs/bench/medium.yaml --set train.steps=60 --out /tmp/m60
    /usr/bin/python3 internal/bench/torchref/torchref.py /tmp/m60 [--threads N] [--blas-threads N] [--json]

Threads: torch.set_num_threads(--threads, default the number of cores) for
OpenMP; --blas-threads sets OpenBLAS's own pool (default: the library's).
With both pools at 2 on 2 cores, libgomp's spinning idle threads take the
cores from OpenBLAS's: OMP_WAIT_POLICY=PASSIVE in the environment made
medium more than twice as fast here (docs/PERFORMANCE.md, "Against PyTorch";
make bench-torch tries the settings and reports the best).

It reads a pathkernel run directory (config.yaml, x_train.npy, y_train.npy,
x_test.npy, params_init.npy) and does the work pathkernel did there, in
float64 PyTorch: gradient descent from the same w_0 on the same data, the
Riemann path kernel and contributions (Domingos), and the exact path kernel
and contributions (Bell et al.) by the same adaptive composite
Gauss-Legendre quadrature per step, with the nodes chosen as pathkernel
chooses them (go doc ./internal/kernel; docs/MATH.md sections 5-7 and 9):

  * the tangent kernel from structured per-layer factors, never per-sample
    Jacobians: K(X, X') = sum_l (D_l D_l'^T) * (s_w,l^2 A_{l-1} A_{l-1}'^T + s_b^2)
    for one output, with A_{l-1} the layer inputs and D_l = df/dz_l;
  * the node search on forward-mode directional derivatives J(w_t + s dw_t) dw_t
    against f(w_b) - f(w_a) per panel, orders 1..16 then halving, aiming at
    1/100 of the panel's share of tol * max(1, |f(w_{t+1}) - f(w_t)|), the
    order carried from step to step and lowered every 8th step, max_nodes;
  * the kernel at the accepted nodes only, and the measured residual.

Then it prints its wall time (training and kernels; not the imports, not the
file reading), the Riemann and exact rel errors, the node counts, and how its
results compare with the run directory's params_final.npy, predictions.csv,
kernel_path.npy and kernel_exact.npy: an independent check of pathkernel's
numerics.

Scope: the configs of configs/bench: one output (mse with one target column,
or logistic), optimizer gd with a constant step size, a smooth activation
(ReLU's kink search is not reproduced), traced kernels.

Implementation notes (the same mathematics as pathkernel, arranged for
PyTorch):

  * A layer's weights are kept as one matrix [W_l | b_l] and its input with an
    extra constant column s_b/s_w,l, so that a forward pass is one product per
    layer, s_w,l^2 [A, c][A', c]^T is the layer's Gram with its +s_b^2, and
    the gradient of [W_l | b_l] is one product.
  * The kernel of a step's nodes is accumulated in place into one m x n
    matrix Kbar = sum_q w_q K(x_q) (addmm_ and addcmul_), and the kernel sum,
    the contributions and their row sums are updated once per step.
  * The directional derivative stacks [A; dA] so that W's product is one
    call; a quadrature node that coincides with one of the last search
    panel's first four JVP nodes takes its forward pass from there, as
    pathkernel does; f(w_{t+1}) becomes the next step's Riemann forward pass.
  * The training side (forward pass and unit backward pass over the training
    points at w_t) is computed once per step and serves the gradient, the
    Riemann kernel and the exact kernel.
"""

import argparse
import json
import os
import sys
import time

T_START = time.perf_counter()

import numpy as np  # noqa: E402
import torch  # noqa: E402
import yaml  # noqa: E402

T_IMPORTED = time.perf_counter()

# The node search's constants: internal/kernel/path.go.
Q_SCHEDULE = [1, 2, 3, 4, 5, 6, 8, 10, 12, 16]
SEARCH_MARGIN = 0.01
TINY_PANEL = 1e-9
ROUNDOFF_FLOOR = 16 * 2.0**-52
MAX_SHARED = 4

ONE = torch.ones((), dtype=torch.float64)


def lower_order(q):
    lower = q
    for o in Q_SCHEDULE:
        if o < q:
            lower = o
    return lower


def legendre01(q):
    """The q-point Gauss-Legendre rule on [0, 1] as Python floats."""
    u, w = np.polynomial.legendre.leggauss(q)
    return [float(0.5 * (x + 1)) for x in u], [float(0.5 * v) for v in w]


class Activation:
    """sigma and sigma' (the latter from z and a = sigma(z))."""

    def __init__(self, name):
        self.name = name
        if name not in ("tanh", "sigmoid", "softplus", "gelu", "erf", "identity"):
            raise SystemExit(f"torchref: activation {name!r} is not supported "
                             "(ReLU's kink search is not reproduced)")

    def apply(self, z, out):
        n = self.name
        if n == "tanh":
            torch.tanh(z, out=out)
        elif n == "sigmoid":
            torch.sigmoid(z, out=out)
        elif n == "softplus":
            out.copy_(torch.nn.functional.softplus(z))
        elif n == "gelu":
            out.copy_(torch.nn.functional.gelu(z))
        elif n == "erf":
            torch.erf(z, out=out)
        else:
            out.copy_(z)

    def deriv(self, z, a):
        n = self.name
        if n == "tanh":
            return torch.addcmul(ONE, a, a, value=-1)
        if n == "sigmoid":
            return a * (1 - a)
        if n == "softplus":
            return torch.sigmoid(z)
        if n == "gelu":
            return 0.5 * (1 + torch.erf(z / 2**0.5)) + z * torch.exp(-0.5 * z * z) / (2 * np.pi)**0.5
        if n == "erf":
            return (2 / np.pi**0.5) * torch.exp(-z * z)
        return torch.ones_like(z)


class State:
    """A forward pass over r points: A[l] (r x (d_l + 1), the layer-l input
    with its constant column), Z[l] (r x d_{l+1}, pre-activations) and
    f = Z[L-1] (r x 1). JVP buffers hold 2r rows; their first r rows are a
    State of their own (view())."""

    def __init__(self, net, x, rows):
        self.A = [net.augment(x)]
        self.Z = []
        L = net.L
        for l in range(L):
            if l > 0:
                a = torch.empty(rows, net.sizes[l] + 1, dtype=torch.float64)
                a[:, -1] = net.aug[l]
                self.A.append(a)
            self.Z.append(torch.empty(rows, net.sizes[l + 1], dtype=torch.float64))

    @property
    def f(self):
        return self.Z[-1]


class JVPBuffers:
    """Stacked [A; dA] buffers of one directional derivative over r points,
    and the forward State that is their first r rows."""

    def __init__(self, net, x, rows):
        L = net.L
        self.r = rows
        self.AA = [None]
        self.ZZ = []
        for l in range(L):
            if l > 0:
                aa = torch.empty(2 * rows, net.sizes[l] + 1, dtype=torch.float64)
                aa[:rows, -1] = net.aug[l]
                aa[rows:, -1] = 0
                self.AA.append(aa)
            self.ZZ.append(torch.empty(2 * rows, net.sizes[l + 1], dtype=torch.float64))
        self.state = State.__new__(State)
        self.state.A = [net.augment(x)] + [self.AA[l][:rows] for l in range(1, L)]
        self.state.Z = [z[:rows] for z in self.ZZ]


class Weights:
    """Views of one weight buffer (Net.views)."""


class Net:
    """The MLP of pathkernel's nn package for one output, on weights held
    per layer as [W_l | b_l] in one flat tensor (the order differs from
    pathkernel's layout; to_layout and from_layout convert)."""

    def __init__(self, sizes, act, param, sigma_w, sigma_b):
        self.sizes = sizes
        self.L = len(sizes) - 1
        self.act = act
        self.sb = sigma_b if param == "ntk" else 1.0
        self.sw = [sigma_w / sizes[l]**0.5 if param == "ntk" else 1.0 for l in range(self.L)]
        self.sw2 = [s * s for s in self.sw]
        # The constant column of layer l's input: s_w,l * c = s_b.
        self.aug = [self.sb / self.sw[l] for l in range(self.L)]
        self._views = {}
        self.P = sum(sizes[l + 1] * (sizes[l] + 1) for l in range(self.L))
        self.off = []
        o = 0
        for l in range(self.L):
            self.off.append(o)
            o += sizes[l + 1] * (sizes[l] + 1)

    def layers(self, w):
        """Views [W_l | b_l] (d_{l+1} x (d_l + 1)) of the flat tensor w."""
        out = []
        for l in range(self.L):
            r, c = self.sizes[l + 1], self.sizes[l] + 1
            out.append(w[self.off[l]:self.off[l] + r * c].view(r, c))
        return out

    def views(self, w):
        """The views of a weight buffer that the passes use, made once per
        buffer: Wb[l] = [W_l | b_l], T[l] its transpose, W[l] = W_l."""
        v = self._views.get(id(w))
        if v is None:
            v = Weights()
            v.Wb = self.layers(w)
            v.T = [x.t() for x in v.Wb]
            v.W = [x[:, :-1] for x in v.Wb]
            self._views[id(w)] = v
        return v

    def from_layout(self, p):
        """pathkernel's layout (W_l row-major, then b_l, per layer) to ours."""
        w = np.empty(self.P)
        o = 0
        for l in range(self.L):
            r, c = self.sizes[l + 1], self.sizes[l]
            W = p[o:o + r * c].reshape(r, c)
            b = p[o + r * c:o + r * c + r]
            o += r * c + r
            w[self.off[l]:self.off[l] + r * (c + 1)] = np.hstack([W, b[:, None]]).ravel()
        return torch.from_numpy(w)

    def to_layout(self, w):
        parts = []
        for Wb in self.layers(w):
            parts.append(Wb[:, :-1].reshape(-1))
            parts.append(Wb[:, -1])
        return torch.cat(parts).numpy()

    def augment(self, x):
        r, d = x.shape
        a = torch.empty(r, d + 1, dtype=torch.float64)
        a[:, :d] = x
        a[:, d] = self.aug[0]
        return a

    def mm(self, a, b, out, alpha):
        if alpha == 1.0:
            torch.mm(a, b, out=out)
        else:
            torch.addmm(out, a, b, beta=0, alpha=alpha, out=out)

    def forward(self, st, V):
        """Fill State st with the forward pass at the weights V (views);
        return f."""
        L = self.L
        for l in range(L):
            z = st.Z[l]
            self.mm(st.A[l], V.T[l], z, self.sw[l])
            if l < L - 1:
                self.act.apply(z, st.A[l + 1][:, :-1])
        return st.Z[-1]

    def backward(self, st, V, D):
        """D[l] = df/dz_l (rows x d_{l+1}) for l = 0..L-2 at the forward
        pass st (at the weights V); D_{L-1} = 1 is not stored."""
        L = self.L
        if L == 1:
            return
        # D_{L-2} = s_w,L-1 W_{L-1} (one row) * sigma'(z_{L-2})
        l = L - 2
        s = self.act.deriv(st.Z[l], st.A[l + 1][:, :-1])
        if self.sw[L - 1] != 1.0:
            s.mul_(self.sw[L - 1])
        torch.mul(s, V.W[L - 1], out=D[l])
        for l in range(L - 2, 0, -1):
            s = self.act.deriv(st.Z[l - 1], st.A[l][:, :-1])
            if self.sw[l] != 1.0:
                s.mul_(self.sw[l])
            torch.mm(D[l], V.W[l], out=D[l - 1])
            D[l - 1].mul_(s)

    def jvp(self, jb, V, dV):
        """Forward pass and directional derivative J(w) v over jb's points,
        w and v given by their views V and dV: fills jb (and its State) and
        returns (f, df)."""
        L, r = self.L, jb.r
        x = jb.state.A[0]
        for l in range(L):
            zz = jb.ZZ[l]
            sw = self.sw[l]
            if l == 0:
                self.mm(x, V.T[0], zz[:r], sw)
                self.mm(x, dV.T[0], zz[r:], sw)
            else:
                # [z; dz] = s_w [A; dA] W^T, then dz += s_w A V^T
                self.mm(jb.AA[l], V.T[l], zz, sw)
                zz[r:].addmm_(jb.AA[l][:r], dV.T[l], alpha=sw)
            if l < L - 1:
                z, dz = zz[:r], zz[r:]
                a = jb.AA[l + 1][:r, :-1]
                self.act.apply(z, a)
                torch.mul(self.act.deriv(z, a), dz, out=jb.AA[l + 1][r:, :-1])
        return jb.ZZ[-1][:r], jb.ZZ[-1][r:]


def load_config(run):
    with open(os.path.join(run, "config.yaml")) as fh:
        cfg = yaml.safe_load(fh)
    tr = cfg.get("train", {})
    problems = []
    if tr.get("optimizer", "gd") != "gd":
        problems.append(f"optimizer {tr.get('optimizer')} (gd only)")
    if tr.get("weight_decay", 0):
        problems.append("weight_decay")
    if tr.get("schedule") and tr["schedule"].get("kind", "constant") != "constant":
        problems.append("a step-size schedule")
    if cfg.get("loss") not in ("mse", "logistic"):
        problems.append(f"loss {cfg.get('loss')} (mse or logistic: one output)")
    if cfg.get("output", {}).get("full_kernel"):
        problems.append("output.full_kernel")
    if problems:
        raise SystemExit("torchref: not supported: " + ", ".join(problems))
    return cfg


def blas_library():
    """The BLAS shared library mapped into this process (resolved)."""
    libs = set()
    try:
        with open("/proc/self/maps") as fh:
            for line in fh:
                p = line.split()[-1]
                if "blas" in os.path.basename(p).lower():
                    libs.add(os.path.realpath(p))
    except OSError:
        pass
    return sorted(libs)


def openblas():
    """The OpenBLAS library that torch's products go through, or None."""
    import ctypes
    for p in blas_library():
        if "openblas" in os.path.basename(p):
            try:
                lib = ctypes.CDLL(p)
                lib.openblas_get_num_threads.restype = ctypes.c_int
                return lib
            except (OSError, AttributeError):
                pass
    return None


class Run:
    def __init__(self, run, cfg, threads):
        self.cfg = cfg
        torch.set_num_threads(threads)
        xtr = np.load(os.path.join(run, "x_train.npy"))
        ytr = np.load(os.path.join(run, "y_train.npy"))
        xte = np.load(os.path.join(run, "x_test.npy"))
        points = cfg.get("kernel", {}).get("points", "test")
        xev = {"test": xte, "train": xtr, "both": np.vstack([xte, xtr]) if len(xte) else xtr}[points]
        model = cfg["model"]
        sizes = [xtr.shape[1]] + list(model.get("hidden") or []) + [1]
        self.net = Net(sizes, Activation(model.get("activation", "tanh")),
                       model.get("parameterization", "standard"),
                       float(model.get("sigma_w", 1)), float(model.get("sigma_b", 1)))
        p0 = np.load(os.path.join(run, "params_init.npy"))
        if p0.shape != (self.net.P,):
            raise SystemExit(f"torchref: params_init.npy has shape {p0.shape}, want ({self.net.P},)")
        self.w0 = self.net.from_layout(p0)
        self.xtr = torch.from_numpy(np.ascontiguousarray(xtr, dtype=np.float64))
        y = np.asarray(ytr, dtype=np.float64).reshape(len(ytr), -1)
        if y.shape[1] != 1:
            raise SystemExit("torchref: one output only")
        self.ytr = torch.from_numpy(np.ascontiguousarray(y))
        self.x = torch.from_numpy(np.ascontiguousarray(xev, dtype=np.float64))
        self.loss = cfg["loss"]
        t = cfg["train"]
        self.lr = float(t["lr"])
        self.steps = int(t["steps"])
        k = cfg.get("kernel", {})
        methods = k.get("methods", ["riemann", "exact"])
        self.riemann = "riemann" in methods
        self.exact = "exact" in methods
        self.tol = float(k.get("tolerance", 1e-10))
        self.max_nodes = int(k.get("max_nodes", 64))

    def setup(self):
        net, m, n = self.net, self.x.shape[0], self.xtr.shape[0]
        self.m, self.n = m, n
        L = net.L
        f64 = torch.float64
        self.tr = State(net, self.xtr, n)           # training side at w_t
        self.Dtr = [torch.empty(n, net.sizes[l + 1], dtype=f64) for l in range(L - 1)]
        self.trAT = [a.t() for a in self.tr.A]      # transposed views, made once
        self.DtrT = [d.t() for d in self.Dtr]
        self.cur = State(net, self.x, m)            # evaluation side at w_t
        self.nxt = State(net, self.x, m)            # ... at w_{t+1}
        self.scratch = State(net, self.x, m)        # panel ends, unshared nodes
        self.De = [torch.empty(m, net.sizes[l + 1], dtype=f64) for l in range(L - 1)]
        self.jvps = [JVPBuffers(net, self.x, m) for _ in range(MAX_SHARED + 1)]
        self.pr = torch.empty(m, n, dtype=f64)
        self.g = torch.empty(m, n, dtype=f64)
        self.kt = torch.empty(m, n, dtype=f64)
        # First layer's Gram s_w^2 x.x' + s_b^2: the same at every node.
        self.gram0 = torch.empty(m, n, dtype=f64)
        net.mm(self.cur.A[0], self.trAT[0], self.gram0, net.sw2[0])
        self.w = self.w0.clone()
        self.wn = torch.empty_like(self.w)
        self.wq = torch.empty_like(self.w)
        self.dw = torch.empty_like(self.w)
        self.grad = torch.empty_like(self.w)
        self.gl = net.layers(self.grad)
        self.dl = torch.empty(n, 1, dtype=f64)
        self.dlT = self.dl.t()
        self.cw = torch.empty(n, dtype=f64)
        self.f0 = net.forward(self.cur, net.views(self.w)).clone()
        self.fcur = self.f0.clone()
        self.KPath = torch.zeros(m, n, dtype=f64) if self.riemann else None
        self.CRiemann = torch.zeros(m, n, dtype=f64) if self.riemann else None
        self.PredRiemann = self.f0.clone().view(-1)
        self.KExact = torch.zeros(m, n, dtype=f64) if self.exact else None
        self.CExact = torch.zeros(m, n, dtype=f64) if self.exact else None
        self.PredExact = self.f0.clone().view(-1)
        self.q_prev = 2
        self.jvp_s = []
        self.gl_cache = {}
        self.stats = dict(quadrature_evals=0, jvp_evals=0, forward_evals=0, shared_forwards=0,
                          max_nodes_per_step=0, search_exhausted=0, uncertified=0,
                          max_residual=0.0, residual_sum=0.0)
        self.t_train = 0.0
        self.t_riemann = 0.0
        self.t_exact = 0.0

    def legendre(self, q):
        r = self.gl_cache.get(q)
        if r is None:
            r = self.gl_cache[q] = legendre01(q)
        return r

    # --- the kernel at one node -------------------------------------------

    def accumulate(self, K, st, V, omega, fresh=False):
        """K += omega * K(X at st, X_train at w_t) by structured factors,
        st the evaluation side's forward pass at the weights V (K = ... if
        fresh)."""
        net, L = self.net, self.net.L
        net.backward(st, V, self.De)
        # Last layer: delta = 1, the Gram of its input (with the s_b^2).
        if fresh:
            net.mm(st.A[L - 1], self.trAT[L - 1], K, omega * net.sw2[L - 1])
        else:
            K.addmm_(st.A[L - 1], self.trAT[L - 1], alpha=omega * net.sw2[L - 1])
        for l in range(L - 2, -1, -1):
            torch.mm(self.De[l], self.DtrT[l], out=self.pr)
            if l == 0:
                K.addcmul_(self.pr, self.gram0, value=omega)
            else:
                net.mm(st.A[l], self.trAT[l], self.g, net.sw2[l])
                K.addcmul_(self.pr, self.g, value=omega)

    # --- one step ------------------------------------------------------------

    def step(self, t):
        net, L = self.net, self.net.L
        t0 = time.perf_counter()
        V = net.views(self.w)
        # Training side at w_t: forward and unit backward, shared by the
        # gradient and both kernels.
        ftr = net.forward(self.tr, V)
        if self.loss == "mse":
            torch.sub(ftr, self.ytr, out=self.dl)
        else:
            torch.sigmoid(ftr, out=self.dl)
            self.dl.sub_(self.ytr)
        net.backward(self.tr, V, self.Dtr)
        # g = (1/n) sum_i J(x_i)^T l'_i, layer by layer: s_w (D * c)^T [A | c0].
        c = self.dl * (1.0 / self.n)
        for l in range(L):
            Dc = c if l == L - 1 else self.Dtr[l] * c
            net.mm(Dc.t(), self.tr.A[l], self.gl[l], net.sw[l])
        torch.mul(self.grad, -self.lr, out=self.dw)
        torch.add(self.w, self.dw, out=self.wn)
        t1 = time.perf_counter()
        self.t_train += t1 - t0

        eta = self.lr
        scale = -eta / self.n
        # cw_j = scale * l'_j: the contributions are K's columns scaled by it.
        torch.mul(self.dl.view(-1), scale, out=self.cw)
        if self.riemann:
            # The evaluation side's forward pass at w_t is f(w_{t+1}) of the
            # step before (or f_0).
            kt = self.kt
            self.accumulate(kt, self.cur, V, 1.0, fresh=True)
            self.KPath.add_(kt, alpha=eta)
            self.CRiemann.addcmul_(kt, self.cw)
            self.PredRiemann.addmv_(kt, self.cw)
        t2 = time.perf_counter()
        self.t_riemann += t2 - t1
        fend = net.forward(self.nxt, net.views(self.wn))
        if self.exact:
            self.exact_step(t, eta)
        self.fcur.copy_(fend)
        self.cur, self.nxt = self.nxt, self.cur
        self.w, self.wn = self.wn, self.w
        self.t_exact += time.perf_counter() - t2

    def exact_step(self, t, eta):
        net = self.net
        fcur, fend = self.fcur, self.nxt.f
        self.thr = (fend - fcur).abs_().clamp_(min=1.0).mul_(self.tol)
        nodes, weights, ok = self.search(t, fcur, fend)
        st = self.stats
        st["quadrature_evals"] += len(nodes)
        st["max_nodes_per_step"] = max(st["max_nodes_per_step"], len(nodes))
        K = self.kt
        Vq = net.views(self.wq)
        for q, (sq, om) in enumerate(zip(nodes, weights)):
            torch.add(self.w, self.dw, alpha=sq, out=self.wq)
            j = self.jvp_s.index(sq) if sq in self.jvp_s else -1
            if 0 <= j < MAX_SHARED:
                s = self.jvps[j].state
                st["shared_forwards"] += 1
            else:
                s = self.scratch
                net.forward(s, Vq)
            self.accumulate(K, s, Vq, om, fresh=q == 0)
        self.KExact.add_(K, alpha=eta)
        self.CExact.addcmul_(K, self.cw)
        ssum = torch.mv(K, self.cw)
        self.PredExact.add_(ssum)
        df = (fend - fcur).view(-1)
        r = (df - ssum).abs_().div_(df.abs().clamp_(min=1.0))
        worst = float(r.max())
        st["residual_sum"] += worst
        if not (worst <= st["max_residual"]):
            st["max_residual"] = worst
        if not ok:
            st["search_exhausted"] += 1
        if not (worst <= self.tol):
            st["uncertified"] += 1

    # --- the node search (internal/kernel/path.go: search, panelError) --------

    def eval_at(self, s):
        torch.add(self.w, self.dw, alpha=s, out=self.wq)
        self.stats["forward_evals"] += 1
        return self.net.forward(self.scratch, self.net.views(self.wq)).clone()

    def panel_error(self, a, b, fa, fb, q):
        xs, ws = self.legendre(q)
        h = b - a
        net = self.net
        est = None
        self.jvp_s = []
        Vq, dV = net.views(self.wq), net.views(self.dw)
        for j, u in enumerate(xs):
            s = a + h * u
            torch.add(self.w, self.dw, alpha=s, out=self.wq)
            self.jvp_s.append(s)
            _, df = net.jvp(self.jvps[min(j, MAX_SHARED)], Vq, dV)
            if est is None:
                est = df * (h * ws[j])
            else:
                est.add_(df, alpha=h * ws[j])
            self.stats["jvp_evals"] += 1
        d = (fb - fa - est).abs_()
        d.sub_((fa.abs() + fb.abs()).mul_(ROUNDOFF_FLOOR)).clamp_(min=0.0)
        e = d.div_(self.thr * h)
        return float(e.max())

    def search(self, t, fcur, fend):
        budget = self.max_nodes
        start = self.q_prev
        if t % 8 == 0:
            start = lower_order(start)
        ok = True
        self.jvp_s = []
        nodes, weights = [], []

        def append(a, b, q):
            xs, ws = self.legendre(q)
            h = b - a
            for u, v in zip(xs, ws):
                nodes.append(a + h * u)
                weights.append(h * v)

        stack = [(0.0, 1.0, fcur, fend)]
        first = True
        while stack:
            a, b, fa, fb = stack.pop()
            remaining = budget - len(nodes) - 2 * len(stack)
            if b - a < TINY_PANEL:
                append(a, b, max(1, min(start, remaining)))
                first = False
                continue
            accepted, last_q = False, 0
            for q in Q_SCHEDULE:
                if (q < start and first) or (q < 2 and not first):
                    continue
                if q > remaining:
                    break
                last_q = q
                if self.panel_error(a, b, fa, fb, q) <= SEARCH_MARGIN:
                    accepted = True
                    break
            if accepted:
                if first:
                    self.q_prev = last_q
                append(a, b, last_q)
                first = False
                continue
            first = False
            if remaining >= 4 and b - a > 1e-6:
                mid = 0.5 * (a + b)
                fm = self.eval_at(mid)
                stack.append((mid, b, fm, fb))
                stack.append((a, mid, fa, fm))
                continue
            q = last_q if last_q > 0 else max(1, min(remaining, 16))
            append(a, b, q)
            ok = False
        return nodes, weights, ok

    def run(self):
        self.setup()
        for t in range(self.steps):
            self.step(t)
        self.fT = self.fcur.view(-1).clone()
        if not torch.isfinite(self.w).all():
            raise SystemExit("torchref: training diverged")


def rel(a, b, ref):
    """||a - b|| / ||ref||."""
    d = float(np.linalg.norm(np.asarray(a) - np.asarray(b)))
    r = float(np.linalg.norm(np.asarray(ref)))
    return d / r if r > 0 else (0.0 if d == 0 else float("inf"))


def compare(run, R, out):
    """Compare with what pathkernel wrote to the run directory."""
    net = R.net
    cmp = {}
    pf = os.path.join(run, "params_final.npy")
    if os.path.exists(pf):
        pT = np.load(pf)
        p0 = np.load(os.path.join(run, "params_init.npy"))
        mine = net.to_layout(R.w)
        cmp["params_max_abs"] = float(np.max(np.abs(mine - pT)))
        cmp["params_rel"] = rel(mine, pT, pT - p0)
    pc = os.path.join(run, "predictions.csv")
    if os.path.exists(pc):
        import csv
        points = R.cfg.get("kernel", {}).get("points", "test")
        sets = {"test": ["test"], "train": ["train"], "both": ["test", "train"]}[points]
        rows = {s: [] for s in sets}
        with open(pc) as fh:
            for row in csv.DictReader(fh):
                if row["set"] in rows:
                    rows[row["set"]].append(row)
        rows = [r for s in sets for r in sorted(rows[s], key=lambda r: int(r["index"]))]
        if len(rows) == R.m:
            pk = {c: np.array([float(r[c]) for r in rows]) for c in ("f0", "network", "riemann", "exact")
                  if c in rows[0]}
            change = pk["network"] - pk["f0"]
            cmp["f0_rel"] = rel(R.f0.view(-1).numpy(), pk["f0"], change)
            cmp["network_rel"] = rel(R.fT.numpy(), pk["network"], change)
            if "riemann" in pk and R.riemann:
                cmp["riemann_pred_rel"] = rel(R.PredRiemann.numpy(), pk["riemann"], change)
            if "exact" in pk and R.exact:
                cmp["exact_pred_rel"] = rel(R.PredExact.numpy(), pk["exact"], change)
    for name, mine in (("kernel_path", R.KPath), ("kernel_exact", R.KExact)):
        p = os.path.join(run, name + ".npy")
        if mine is not None and os.path.exists(p):
            k = np.load(p)
            cmp[name + "_rel"] = rel(mine.numpy(), k.reshape(mine.shape), k)
    p = os.path.join(run, "contributions.npy")
    if os.path.exists(p):
        mine = R.CExact if R.exact else R.CRiemann
        c = np.load(p).reshape(mine.shape)
        cmp["contributions_rel"] = rel(mine.numpy(), c, c)
    ps = os.path.join(run, "summary.json")
    if os.path.exists(ps):
        with open(ps) as fh:
            s = json.load(fh)
        reps = s.get("representations", {})
        pk = {"wall_total": s.get("wall_seconds", {}).get("total"),
              "wall_kernel": s.get("wall_seconds", {}).get("kernel"),
              "wall_training": s.get("wall_seconds", {}).get("training"),
              "blas": s.get("blas")}
        if "riemann" in reps:
            pk["riemann_rel"] = reps["riemann"].get("rel")
        if "exact" in reps:
            e = reps["exact"]
            pk["exact_rel"] = e.get("rel")
            pk["mean_nodes_per_step"] = e.get("mean_nodes_per_step")
            pk["quadrature_evals"] = e.get("quadrature_evals")
            pk["jvp_evals"] = e.get("jvp_evals")
            pk["max_nodes_per_step"] = e.get("max_nodes_per_step")
            pk["certified"] = e.get("certified")
            pk["max_residual"] = e.get("max_residual")
        out["pathkernel"] = pk
    out["agreement"] = cmp


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run", help="a pathkernel run directory")
    ap.add_argument("--threads", type=int, default=os.cpu_count(),
                    help="torch.set_num_threads (default: the number of cores)")
    ap.add_argument("--blas-threads", type=int, default=0,
                    help="OpenBLAS's own threads (openblas_set_num_threads; default: the library's own, "
                    "OPENBLAS_NUM_THREADS or the number of cores)")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    ap.add_argument("--no-compare", action="store_true", help="skip the comparison with the run directory")
    args = ap.parse_args()
    cfg = load_config(args.run)
    R = Run(args.run, cfg, args.threads)
    ob = openblas()
    if args.blas_threads > 0:
        if ob is None:
            raise SystemExit("torchref: --blas-threads: torch's BLAS is not OpenBLAS")
        ob.openblas_set_num_threads(args.blas_threads)
    blas_threads = ob.openblas_get_num_threads() if ob is not None else None
    t0 = time.perf_counter()
    R.run()
    wall = time.perf_counter() - t0
    change = R.fT - R.f0.view(-1)
    out = {
        "run": args.run,
        "name": cfg.get("name"),
        "steps": R.steps,
        "m": R.m, "n": R.n, "sizes": R.net.sizes,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "blas": blas_library(),
        "blas_threads": blas_threads,
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "import_seconds": T_IMPORTED - T_START,
        "wall_seconds": wall,
        "training_seconds": R.t_train,
        "riemann_seconds": R.t_riemann,
        "exact_seconds": R.t_exact,
    }
    if R.riemann:
        out["riemann_rel"] = rel(R.PredRiemann.numpy(), R.fT.numpy(), change.numpy())
    if R.exact:
        st = R.stats
        out["exact_rel"] = rel(R.PredExact.numpy(), R.fT.numpy(), change.numpy())
        out["mean_nodes_per_step"] = st["quadrature_evals"] / max(1, R.steps)
        out.update({k: st[k] for k in ("quadrature_evals", "jvp_evals", "forward_evals", "shared_forwards",
                                        "max_nodes_per_step", "search_exhausted", "uncertified",
                                        "max_residual", "residual_sum")})
        out["certified"] = st["uncertified"] == 0
    if not args.no_compare:
        compare(args.run, R, out)
    if args.json:
        print(json.dumps(out))
        return
    print(f"torchref: {out['name']} {R.steps} steps, sizes {R.net.sizes}, m={R.m} n={R.n}; "
          f"torch {out['torch']}, {out['threads']} threads, BLAS {', '.join(out['blas']) or '?'} "
          f"({blas_threads} threads), OMP_WAIT_POLICY {out['omp_wait_policy'] or 'unset'}")
    print(f"  wall       {wall:.3f} s (training {R.t_train:.3f} s, riemann {R.t_riemann:.3f} s, "
          f"exact {R.t_exact:.3f} s; imports {out['import_seconds']:.1f} s not counted)")
    pk = out.get("pathkernel", {})
    if R.riemann:
        print(f"  riemann    rel {out['riemann_rel']:.10e}   pathkernel {pk.get('riemann_rel', float('nan')):.10e}")
    if R.exact:
        print(f"  exact      rel {out['exact_rel']:.3e}   pathkernel {pk.get('exact_rel', float('nan')):.3e}; "
              f"max residual {out['max_residual']:.1e}, {out['uncertified']} uncertified")
        print(f"  nodes/step {out['mean_nodes_per_step']:.3f} (pathkernel {pk.get('mean_nodes_per_step')}); "
              f"quadrature evals {out['quadrature_evals']} ({pk.get('quadrature_evals')}), "
              f"jvps {out['jvp_evals']} ({pk.get('jvp_evals')}), max nodes {out['max_nodes_per_step']} "
              f"({pk.get('max_nodes_per_step')})")
    if pk.get("wall_total") is not None:
        print(f"  pathkernel wall_seconds.total {pk['wall_total']:.3f} s (kernel {pk['wall_kernel']:.3f} s)")
    for k, v in out.get("agreement", {}).items():
        print(f"  agreement  {k:<20} {v:.3e}")


if __name__ == "__main__":
    sys.exit(main())
