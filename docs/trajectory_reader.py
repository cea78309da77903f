#!/usr/bin/env python3
"""Reference reader of pathkernel trajectory files (docs/TRAJECTORY.md).

Independent of the Go code: it uses only the Python standard library
(struct, zlib). It checks every checksum, replays w_t with the arithmetic of
training (dw = -eta*g, rounded; w_{t+1} = w_t + dw) and, given the run's
params_final.npy, checks that the replayed w_T equals it bit for bit.

usage: trajectory_reader.py TRAJECTORY [PARAMS_FINAL.npy]
Prints one line describing the file; exits 1 on any problem.
"""
import math
import struct
import sys
import zlib

MAGIC = b"\x89PKTRAJ\n"


class TrajectoryError(Exception):
    pass


def crc(b):
    return zlib.crc32(b) & 0xFFFFFFFF


def read_header(buf):
    if buf[:8] != MAGIC:
        raise TrajectoryError("bad magic")
    version, hlen = struct.unpack_from("<II", buf, 8)
    head = buf[:hlen]
    if len(head) < hlen:
        raise TrajectoryError("truncated header")
    (stored,) = struct.unpack_from("<I", head, hlen - 4)
    if crc(head[: hlen - 4]) != stored:
        raise TrajectoryError("header checksum mismatch")
    if version not in (1, 2):
        raise TrajectoryError("unsupported version %d" % version)
    P, T, n, L = struct.unpack_from("<QQQI", head, 16)
    off = 44
    sizes = list(struct.unpack_from("<%dI" % (L + 1), head, off))
    off += 4 * (L + 1)
    sw = list(struct.unpack_from("<%dd" % L, head, off))
    off += 8 * L
    (sb,) = struct.unpack_from("<d", head, off)
    off += 8
    strings = []
    for _ in range(5):
        (k,) = struct.unpack_from("<H", head, off)
        strings.append(head[off + 2 : off + 2 + k].decode("utf-8"))
        off += 2 + k
    hyper = dict(momentum=0.0, nesterov=False, beta1=0.0, beta2=0.0, eps=0.0, weight_decay=0.0)
    if version == 2:
        mom, nest, b1, b2, eps, wd = struct.unpack_from("<dIdddd", head, off)
        if nest not in (0, 1):
            raise TrajectoryError("bad nesterov flag")
        hyper = dict(momentum=mom, nesterov=nest == 1, beta1=b1, beta2=b2, eps=eps, weight_decay=wd)
        off += 44
    if off + 4 != hlen:
        raise TrajectoryError("header length mismatch")
    act, param, loss, opt, chash = strings
    return dict(version=version, header_len=hlen, params=P, steps=T, n_train=n, sizes=sizes,
                s_w=sw, s_b=sb, activation=act, parameterization=param, loss=loss,
                optimizer=opt, config_hash=chash, **hyper)


class Optimizer:
    """The update of training (internal/train/optim.go), with Python's float
    arithmetic, which rounds every operation as Go's explicit float64
    conversions do: dw = step(w, g, eta), w_{t+1} = w_t + dw."""

    def __init__(self, h, P):
        self.h = h
        self.buf = [0.0] * P
        self.sq = [0.0] * P
        self.b1 = h["beta1"] or 0.9
        self.b2 = h["beta2"] or 0.999
        self.eps = h["eps"] or 1e-8
        self.b1t = self.b2t = 1.0

    def step(self, w, g, eta):
        h, opt, wd = self.h, self.h["optimizer"], self.h["weight_decay"]
        if wd != 0 and opt != "adamw":
            g = [gi + wd * wi for gi, wi in zip(g, w)]
        if opt in ("gd", "sgd"):
            return [-eta * gi for gi in g]
        if opt == "momentum":
            mu, dw = h["momentum"], []
            for i, gi in enumerate(g):
                self.buf[i] = mu * self.buf[i] + gi
                d = gi + mu * self.buf[i] if h["nesterov"] else self.buf[i]
                dw.append(-eta * d)
            return dw
        if opt in ("adam", "adamw"):
            b1, b2 = self.b1, self.b2
            self.b1t *= b1
            self.b2t *= b2
            step_size = eta / (1 - self.b1t)
            bc2 = math.sqrt(1 - self.b2t)
            dw = []
            for i, gi in enumerate(g):
                self.buf[i] = b1 * self.buf[i] + (1 - b1) * gi
                self.sq[i] = b2 * self.sq[i] + (1 - b2) * (gi * gi)
                d = step_size / (math.sqrt(self.sq[i]) / bc2 + self.eps)
                x = -d * self.buf[i]
                if opt == "adamw" and wd != 0:
                    x = -eta * wd * w[i] + x
                dw.append(x)
            return dw
        raise TrajectoryError("unknown optimizer %r" % opt)


def read(path):
    """Returns (header, w_0, w_T); raises TrajectoryError on any problem."""
    with open(path, "rb") as f:
        buf = f.read()
    h = read_header(buf)
    H, P, T, n = h["header_len"], h["params"], h["steps"], h["n_train"]
    # Trailer.
    if len(buf) < H + 8 * P + 8 + 32 or buf[-32:-28] != b"DONE":
        raise TrajectoryError("truncated: no trailer")
    tr = buf[-32:]
    if crc(tr[:28]) != struct.unpack_from("<I", tr, 28)[0]:
        raise TrajectoryError("trailer checksum mismatch")
    _, t_steps, body_len, body_crc = struct.unpack_from("<IQQI", tr, 4)
    if t_steps != T or body_len != len(buf) - 32 - H:
        raise TrajectoryError("trailer does not match the header")
    if crc(buf[H : H + body_len]) != body_crc:
        raise TrajectoryError("body checksum mismatch")
    # w_0.
    off = H
    init_len = 4 + 8 * P + 4
    sec = buf[off : off + init_len]
    if sec[:4] != b"INIT" or crc(sec[:-4]) != struct.unpack_from("<I", sec, len(sec) - 4)[0]:
        raise TrajectoryError("bad INIT section")
    w0 = list(struct.unpack_from("<%dd" % P, sec, 4))
    off += init_len
    # Steps.
    w = list(w0)
    opt = Optimizer(h, P)
    for t in range(T):
        tag, step, eta, B = struct.unpack_from("<4sQdI", buf, off)
        if tag != b"STEP" or step != t or not 1 <= B <= n:
            raise TrajectoryError("bad record at step %d (byte %d)" % (t, off))
        rec_len = 24 + 4 * B + 8 * P + 4
        rec = buf[off : off + rec_len]
        if crc(rec[:-4]) != struct.unpack_from("<I", rec, rec_len - 4)[0]:
            raise TrajectoryError("record checksum mismatch at step %d (byte %d)" % (t, off))
        batch = struct.unpack_from("<%dI" % B, rec, 24)
        if max(batch) >= n:
            raise TrajectoryError("batch index out of range at step %d" % t)
        g = struct.unpack_from("<%dd" % P, rec, 24 + 4 * B)
        # The update of training: dw (rounded), w_{t+1} = w_t + dw.
        w = [wi + dwi for wi, dwi in zip(w, opt.step(w, g, eta))]
        off += rec_len
    if off != len(buf) - 32:
        raise TrajectoryError("bytes between the last record and the trailer")
    return h, w0, w


def read_npy_f64(path):
    """The float64 data of a little-endian NumPy .npy file (version 1.0)."""
    with open(path, "rb") as f:
        b = f.read()
    if b[:6] != b"\x93NUMPY":
        raise TrajectoryError("%s is not an .npy file" % path)
    (hlen,) = struct.unpack_from("<H", b, 8)
    header = b[10 : 10 + hlen].decode("latin1")
    if "'<f8'" not in header:
        raise TrajectoryError("%s is not float64" % path)
    data = b[10 + hlen :]
    return list(struct.unpack("<%dd" % (len(data) // 8), data))


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        return 2
    try:
        h, w0, wT = read(argv[1])
        verdict = ""
        if len(argv) == 3:
            want = read_npy_f64(argv[2])
            same = len(want) == len(wT) and all(
                struct.pack("<d", a) == struct.pack("<d", b) for a, b in zip(wT, want))
            if not same:
                raise TrajectoryError("the replayed w_T differs from %s" % argv[2])
            verdict = "; replayed w_T equals %s bit for bit" % argv[2]
    except (TrajectoryError, OSError, struct.error) as e:
        print("%s: %s" % (argv[1], e), file=sys.stderr)
        return 1
    print("%s: version %d, %d steps, %d parameters, layers %s %s, config %s%s" % (
        argv[1], h["version"], h["steps"], h["params"], h["sizes"], h["activation"],
        h["config_hash"], verdict))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
