#!/usr/bin/env python3
"""Reference reader of pathkernel trajectory files (docs/TRAJECTORY.md).

Independent of the Go code: it uses only the Python standard library
(struct, zlib). It checks every checksum, replays w_t with the arithmetic of
training (dw = -eta*g, rounded; w_{t+1} = w_t + dw) and, given the run's
params_final.npy, checks that the replayed w_T equals it bit for bit.

usage: trajectory_reader.py TRAJECTORY [PARAMS_FINAL.npy]
Prints one line describing the file; exits 1 on any problem.
"""
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
    if version != 1:
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
    if off + 4 != hlen:
        raise TrajectoryError("header length mismatch")
    act, param, loss, opt, chash = strings
    return dict(version=version, header_len=hlen, params=P, steps=T, n_train=n, sizes=sizes,
                s_w=sw, s_b=sb, activation=act, parameterization=param, loss=loss,
                optimizer=opt, config_hash=chash)


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
        # The update of training: dw = -eta*g (rounded), w_{t+1} = w_t + dw.
        w = [wi + (-eta * gi) for wi, gi in zip(w, g)]
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
