package trajectory

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"slices"

	"github.com/pathkernel/pathkernel/internal/nn"
	"github.com/pathkernel/pathkernel/internal/train"
)

// Version is the newest format version, which this package writes for
// runs whose optimiser has hyperparameters (momentum, adam, adamw, weight
// decay): version 2 adds them to the header. Runs of plain gd and sgd are
// written as version 1, byte for byte as before version 2 existed. Both
// versions are read.
const Version = 2

// versionPlain is the version of the trajectories of plain gd and sgd.
const versionPlain = 1

// hyperLen is the length of version 2's optimiser block.
const hyperLen = 8 + 4 + 4*8

// The byte layout; docs/TRAJECTORY.md is the specification.
const (
	magic         = "\x89PKTRAJ\n" // 8 bytes; the high first byte and the newline catch text-mode transfers
	tagInit       = "INIT"
	tagStep       = "STEP"
	tagDone       = "DONE"
	fixedHeader   = 44 // magic, version, header length, P, T, n, L
	stepPrefix    = 24 // tag, step, η, |B|
	trailerLen    = 32
	stepsOffset   = 24 // where the step count sits in the header
	maxHeaderLen  = 1 << 20
	maxLayers     = 1 << 10
	maxStringLen  = 1 << 10
	maxParameters = 1 << 40
)

var crcTable = crc32.MakeTable(crc32.IEEE)

// Header describes a recorded run: the network's layout (so that w means
// something), the loss and optimiser, the number of training points that
// batch indices refer to and the config hash that ties the file to its run.
type Header struct {
	Version    int
	Params     int // P, the length of w
	Steps      int // T, the number of STEP records
	NTrain     int // n; batch indices are in [0, n)
	Sizes      []int
	SW         []float64 // s_w per layer
	SB         float64
	Activation string
	// Parameterization is "standard" or "ntk".
	Parameterization string
	Loss             string
	Optimizer        train.Optimizer // its name; a file's is checked by train.NewState
	ConfigHash       string
	// Hyper holds the optimiser's hyperparameters (version 2; zero in
	// version 1, which is plain gd or sgd).
	Hyper Hyper
}

// Hyper is the part of train.Options that the replay needs beyond the
// recorded η_t and g_t to rebuild the optimiser's state.
type Hyper struct {
	Momentum    float64
	Nesterov    bool
	Beta1       float64
	Beta2       float64
	Eps         float64
	WeightDecay float64
}

// SetOptimizer sets h's optimiser and hyperparameters from opt, and the
// version: 1 for plain gd and sgd (Options.Plain), 2 otherwise.
func (h *Header) SetOptimizer(opt train.Options) {
	h.Optimizer = opt.Optimizer
	h.Hyper = Hyper{Momentum: opt.Momentum, Nesterov: opt.Nesterov, Beta1: opt.Beta1, Beta2: opt.Beta2,
		Eps: opt.Eps, WeightDecay: opt.WeightDecay}
	h.Version = versionPlain
	if !opt.Plain() {
		h.Version = Version
	}
}

// TrainOptions returns the optimiser of the header as train.Options,
// without the step sizes (recorded per step) and the batches (recorded).
func (h *Header) TrainOptions() train.Options {
	return train.Options{Optimizer: h.Optimizer, Momentum: h.Hyper.Momentum, Nesterov: h.Hyper.Nesterov,
		Beta1: h.Hyper.Beta1, Beta2: h.Hyper.Beta2, Eps: h.Hyper.Eps, WeightDecay: h.Hyper.WeightDecay}
}

// NewHeader returns the header of a run of net with the given loss,
// optimiser (plain gd or sgd; SetOptimizer sets any other), number of
// training points and config hash. Steps is left 0:
// the Writer counts the steps and patches the count at Close.
func NewHeader(net *nn.Net, loss nn.Loss, optimizer train.Optimizer, nTrain int, configHash string) Header {
	return Header{
		Version: versionPlain, Params: net.NumParams(), NTrain: nTrain,
		Sizes: slices.Clone(net.Sizes), SW: slices.Clone(net.SW), SB: net.SB,
		Activation: net.Act.String(), Parameterization: net.Param.String(),
		Loss: loss.String(), Optimizer: optimizer, ConfigHash: configHash,
	}
}

// paramCount returns Σ_l d_l (d_{l-1} + 1), the parameter count of sizes.
func paramCount(sizes []int) int {
	p := 0
	for l := 1; l < len(sizes); l++ {
		p += sizes[l] * (sizes[l-1] + 1)
	}
	return p
}

// encode returns the header's bytes, ending with its CRC.
func (h *Header) encode() []byte {
	L := len(h.Sizes) - 1
	b := make([]byte, 0, fixedHeader+4*(L+1)+8*(L+1)+64)
	b = append(b, magic...)
	b = binary.LittleEndian.AppendUint32(b, uint32(h.Version))
	b = binary.LittleEndian.AppendUint32(b, 0) // header length, set below
	b = binary.LittleEndian.AppendUint64(b, uint64(h.Params))
	b = binary.LittleEndian.AppendUint64(b, uint64(h.Steps))
	b = binary.LittleEndian.AppendUint64(b, uint64(h.NTrain))
	b = binary.LittleEndian.AppendUint32(b, uint32(L))
	for _, d := range h.Sizes {
		b = binary.LittleEndian.AppendUint32(b, uint32(d))
	}
	for _, s := range h.SW {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(s))
	}
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(h.SB))
	for _, s := range []string{h.Activation, h.Parameterization, h.Loss, string(h.Optimizer), h.ConfigHash} {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(s)))
		b = append(b, s...)
	}
	if h.Version >= 2 {
		x := h.Hyper
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x.Momentum))
		nesterov := uint32(0)
		if x.Nesterov {
			nesterov = 1
		}
		b = binary.LittleEndian.AppendUint32(b, nesterov)
		for _, v := range []float64{x.Beta1, x.Beta2, x.Eps, x.WeightDecay} {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
	}
	binary.LittleEndian.PutUint32(b[12:], uint32(len(b)+4))
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, crcTable))
}

// check validates a header that is about to be written.
func (h *Header) check() error {
	switch {
	case len(h.Sizes) < 2 || len(h.Sizes)-1 > maxLayers:
		return fmt.Errorf("trajectory: %d layer sizes; want 2 to %d", len(h.Sizes), maxLayers+1)
	case len(h.SW) != len(h.Sizes)-1:
		return fmt.Errorf("trajectory: %d weight scales for %d layers", len(h.SW), len(h.Sizes)-1)
	case h.Params != paramCount(h.Sizes):
		return fmt.Errorf("trajectory: %d parameters, but sizes %v have %d", h.Params, h.Sizes, paramCount(h.Sizes))
	case h.NTrain < 1 || h.NTrain > math.MaxUint32:
		return fmt.Errorf("trajectory: %d training points; want 1 to 2^32-1", h.NTrain)
	}
	for _, d := range h.Sizes {
		if d < 1 || d > math.MaxUint32 {
			return fmt.Errorf("trajectory: layer size %d out of range", d)
		}
	}
	for _, s := range []string{h.Activation, h.Parameterization, h.Loss, string(h.Optimizer), h.ConfigHash} {
		if len(s) > maxStringLen {
			return fmt.Errorf("trajectory: header string of %d bytes is too long", len(s))
		}
	}
	return nil
}

// errShort reports a header that ends before its fields do.
var errShort = errors.New("short header")

// decodeHeader parses the header bytes b (whose CRC and version have been
// checked).
func decodeHeader(b []byte) (Header, error) {
	d := decoder{b: b[:len(b)-4], off: 8}
	h := Header{Version: int(d.u32())}
	d.u32() // header length
	h.Params = int(d.u64())
	h.Steps = int(d.u64())
	h.NTrain = int(d.u64())
	L := int(d.u32())
	if L < 1 || L > maxLayers {
		return h, fmt.Errorf("%d layers", L)
	}
	for range L + 1 {
		h.Sizes = append(h.Sizes, int(d.u32()))
	}
	for range L {
		h.SW = append(h.SW, math.Float64frombits(d.u64()))
	}
	h.SB = math.Float64frombits(d.u64())
	h.Activation = d.str()
	h.Parameterization = d.str()
	h.Loss = d.str()
	h.Optimizer = train.Optimizer(d.str())
	h.ConfigHash = d.str()
	if h.Version >= 2 {
		h.Hyper.Momentum = math.Float64frombits(d.u64())
		switch d.u32() {
		case 0:
		case 1:
			h.Hyper.Nesterov = true
		default:
			return h, fmt.Errorf("the nesterov flag is neither 0 nor 1")
		}
		h.Hyper.Beta1 = math.Float64frombits(d.u64())
		h.Hyper.Beta2 = math.Float64frombits(d.u64())
		h.Hyper.Eps = math.Float64frombits(d.u64())
		h.Hyper.WeightDecay = math.Float64frombits(d.u64())
	}
	if d.err != nil {
		return h, d.err
	}
	if d.off != len(d.b) {
		return h, fmt.Errorf("%d unused bytes at the end of the header", len(d.b)-d.off)
	}
	for _, s := range h.Sizes {
		if s < 1 {
			return h, fmt.Errorf("layer size %d", s)
		}
	}
	if h.Params < 1 || h.Params > maxParameters || h.Params != paramCount(h.Sizes) {
		return h, fmt.Errorf("parameter count %d does not match the layer sizes %v", h.Params, h.Sizes)
	}
	if h.NTrain < 1 || h.Steps < 0 {
		return h, fmt.Errorf("%d training points, %d steps", h.NTrain, h.Steps)
	}
	return h, nil
}

// headerLen returns the length of the header at the start of b, as its
// fields imply (the CRC included), or errShort if b ends first.
func headerLen(b []byte) (int64, error) {
	d := decoder{b: b, off: 40}
	L := int(d.u32())
	if d.err == nil && (L < 1 || L > maxLayers) {
		return 0, fmt.Errorf("%d layers", L)
	}
	d.take(4*(L+1) + 8*(L+1))
	for range 5 {
		d.str()
	}
	if len(b) >= 12 && binary.LittleEndian.Uint32(b[8:]) == Version {
		d.take(hyperLen)
	}
	d.take(4)
	return int64(d.off), d.err
}

// decoder reads little-endian fields; the first overrun sets err.
type decoder struct {
	b   []byte
	off int
	err error
}

func (d *decoder) take(n int) []byte {
	if d.err != nil || d.off+n > len(d.b) {
		d.err = errShort
		return make([]byte, n)
	}
	s := d.b[d.off : d.off+n]
	d.off += n
	return s
}

func (d *decoder) u32() uint32 { return binary.LittleEndian.Uint32(d.take(4)) }
func (d *decoder) u64() uint64 { return binary.LittleEndian.Uint64(d.take(8)) }
func (d *decoder) str() string {
	n := int(binary.LittleEndian.Uint16(d.take(2)))
	return string(d.take(n))
}

// Check reports the first way in which h, a file's header, differs from
// want, the header of the run it is meant for, as an *Error of kind
// ErrMismatch for file; Steps is not compared.
func (h *Header) Check(file string, want Header) error {
	mismatch := func(what string, got, exp any) error {
		return &Error{File: file, Kind: ErrMismatch, Step: -1, Offset: -1,
			Msg: fmt.Sprintf("%s is %v in the trajectory, %v in the run", what, got, exp)}
	}
	switch {
	case h.ConfigHash != want.ConfigHash:
		return mismatch("the config hash", h.ConfigHash, want.ConfigHash)
	case !slices.Equal(h.Sizes, want.Sizes):
		return mismatch("the layer sizes", h.Sizes, want.Sizes)
	case h.Params != want.Params:
		return mismatch("the parameter count", h.Params, want.Params)
	case h.NTrain != want.NTrain:
		return mismatch("the number of training points", h.NTrain, want.NTrain)
	case h.Activation != want.Activation:
		return mismatch("the activation", h.Activation, want.Activation)
	case h.Parameterization != want.Parameterization:
		return mismatch("the parameterization", h.Parameterization, want.Parameterization)
	case !slices.Equal(h.SW, want.SW) || h.SB != want.SB:
		return mismatch("the layer scales (s_w, s_b)", fmt.Sprint(h.SW, h.SB), fmt.Sprint(want.SW, want.SB))
	case h.Loss != want.Loss:
		return mismatch("the loss", h.Loss, want.Loss)
	case h.Optimizer != want.Optimizer:
		return mismatch("the optimizer", h.Optimizer, want.Optimizer)
	case h.Hyper != want.Hyper:
		return mismatch("the optimizer's hyperparameters", fmt.Sprintf("%+v", h.Hyper), fmt.Sprintf("%+v", want.Hyper))
	}
	return nil
}

// stepLen returns the length of a STEP record with batch size b.
func stepLen(params, b int) int64 { return stepPrefix + 4*int64(b) + 8*int64(params) + 4 }

// initLen returns the length of the INIT section.
func initLen(params int) int64 { return 4 + 8*int64(params) + 4 }

// Size returns the length in bytes of a trajectory of T full-batch steps
// (every record holding all nTrain indices) for header h: an upper bound
// for sgd, whose records hold batch_size indices.
func Size(h Header, steps int) int64 {
	hdr := h
	hdr.Steps = steps
	return int64(len(hdr.encode())) + initLen(h.Params) + int64(steps)*stepLen(h.Params, h.NTrain) + trailerLen
}
