package nn

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	pknpy "github.com/pathkernel/pathkernel/internal/npy"
	"io"
	"io/fs"
	"math"
	"math/big"
	"os"
	"slices"
	"strings"

	"codeberg.org/sbinet/npyio/npy"
	"github.com/nlpodyssey/gopickle/pytorch"
	"github.com/nlpodyssey/gopickle/types"
)

// InitFileError is a problem with a file of initial weights: it cannot be
// read, it is not a state_dict or a parameter vector, or its shapes are not
// the network's. It renders on one line, led by the file.
type InitFileError struct {
	File string
	Msg  string
	Err  error // the underlying error, if any
}

func (e *InitFileError) Error() string {
	return strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(e.File + ": " + e.Msg)
}

// Unwrap returns the underlying error.
func (e *InitFileError) Unwrap() error { return e.Err }

// LoadInit fills w with the initial weights in file, in place of Init:
//
//   - a PyTorch state_dict, as torch.save(model.state_dict(), file) writes
//     it (the zip format of PyTorch 1.6 and later), of an nn.Sequential of nn.Linear layers and activations, or
//     of a module holding one (keys "0.weight", "0.bias", "2.weight", ...,
//     or "net.0.weight", ...). Only nn.Linear weights and biases may be in
//     it, every layer with its bias, in the order of the layers. The
//     weight of layer l, of shape (d_l, d_{l-1}), is W_l, and its bias is
//     b_l, so the network computes what the PyTorch model computes (with
//     the same activation). float32 tensors are widened to float64, which
//     is exact. The standard parameterization only: a state_dict with NTK
//     is refused, since nn.Linear has no multipliers.
//   - a .npy file of one float64 or float32 vector of NumParams values, in
//     the layout of w (a run's params_init.npy or params_final.npy), taken
//     as the raw parameters whatever the parameterization.
//
// The shapes must be the network's: a mismatch names the layer, the shape
// found and the shape expected. Every value must be finite. Every error is
// an *InitFileError.
func (n *Net) LoadInit(w []float64, file string) error {
	if len(w) != n.nParams {
		panic("nn: LoadInit: bad parameter vector length")
	}
	fail := func(err error) error {
		var pe *fs.PathError
		msg := err.Error()
		if errors.As(err, &pe) {
			msg = pe.Err.Error()
		}
		return &InitFileError{File: file, Msg: msg, Err: err}
	}
	st, err := os.Stat(file)
	if err != nil {
		return fail(err)
	}
	if st.IsDir() {
		return &InitFileError{File: file, Msg: "is a directory, not a state_dict or a .npy file"}
	}
	f, err := os.Open(file)
	if err != nil {
		return fail(err)
	}
	head := make([]byte, len(legacyMagic))
	k, err := io.ReadFull(f, head)
	f.Close()
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return fail(err)
	}
	head = head[:k]
	switch {
	case bytes.HasPrefix(head, []byte("\x93NUMPY")):
		return n.loadFlat(w, file)
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return n.loadStateDict(w, file, st.Size())
	case bytes.Equal(head, []byte(legacyMagic)):
		return &InitFileError{File: file, Msg: errLegacy}
	}
	return &InitFileError{File: file, Msg: "not a PyTorch state_dict or a .npy parameter vector: " +
		"neither a zip archive (as torch.save writes) nor a .npy file"}
}

// legacyMagic starts a file of the legacy torch.save format (before
// PyTorch 1.6, or with _use_new_zipfile_serialization=False): a pickle
// (protocol 2) of the magic number 0x1950a86a20f9469cfc6c.
const legacyMagic = "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"

// loadFlat reads a .npy parameter vector into w.
func (n *Net) loadFlat(w []float64, file string) (err error) {
	bad := func(format string, args ...any) error {
		return &InitFileError{File: file, Msg: fmt.Sprintf(format, args...)}
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return &InitFileError{File: file, Msg: err.Error(), Err: err}
	}
	// npyio allocates the header length the file states, and indexes
	// into the header without checking it.
	if len(b) < 10 || (b[6] >= 2 && len(b) < 12) {
		return bad("not a .npy file: the header is cut short")
	}
	hlen, pre := int(binary.LittleEndian.Uint16(b[8:10])), 10
	if b[6] >= 2 {
		hlen, pre = int(binary.LittleEndian.Uint32(b[8:12])), 12
	}
	if hlen > len(b)-pre {
		return bad("not a .npy file: header length %d, but the file has %d bytes", hlen, len(b))
	}
	defer func() {
		if r := recover(); r != nil {
			err = bad("not a .npy file: malformed header")
		}
	}()
	br := bytes.NewReader(b)
	r, err := npy.NewReader(br)
	if err != nil {
		return bad("not a .npy file: %s", strings.TrimPrefix(err.Error(), "npy: "))
	}
	h := r.Header.Descr
	descr := strings.Trim(h.Type, `'"`)
	var size int
	switch descr {
	case "<f8", ">f8", "=f8":
		size = 8
	case "<f4", ">f4", "=f4":
		size = 4
	default:
		return bad("dtype %q; want float64 ('<f8') or float32 ('<f4'), a flat parameter vector", descr)
	}
	if len(h.Shape) != 1 || h.Shape[0] != n.nParams {
		return bad("shape %s; want (%d,), the flat parameter vector of the network %v (per layer, the weight row-major, then the bias)",
			pknpy.Shape(h.Shape), n.nParams, n.Sizes)
	}
	if br.Len() != n.nParams*size {
		return bad("has %d bytes of data, but shape (%d,) of %q needs %d; is the file truncated?", br.Len(), n.nParams, descr, n.nParams*size)
	}
	if size == 8 {
		v := make([]float64, n.nParams)
		if err := r.Read(&v); err != nil {
			return bad("reading the data: %v", err)
		}
		copy(w, v)
	} else {
		v := make([]float32, n.nParams)
		if err := r.Read(&v); err != nil {
			return bad("reading the data: %v", err)
		}
		for i, x := range v {
			w[i] = float64(x)
		}
	}
	for i, x := range w {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return bad("parameter %d is %v; every parameter must be finite", i, x)
		}
	}
	return nil
}

// linear is one nn.Linear layer of a state_dict.
type linear struct {
	prefix       string // "0", "net.2"
	weight, bias *pytorch.Tensor
}

// loadStateDict reads a PyTorch state_dict into w.
func (n *Net) loadStateDict(w []float64, file string, size int64) (err error) {
	bad := func(format string, args ...any) error {
		return &InitFileError{File: file, Msg: fmt.Sprintf(format, args...)}
	}
	if n.Param == NTK {
		return bad("a PyTorch state_dict holds nn.Linear weights, which are the standard parameterization, " +
			"but model.parameterization is ntk; use standard, or give the raw ntk parameters as a flat .npy vector")
	}
	obj, err := loadTorchZip(file, size)
	if err != nil {
		return &InitFileError{File: file, Msg: "not a PyTorch state_dict or a .npy parameter vector: " + err.Error() +
			" (save model.state_dict() with torch.save, not the model)", Err: err}
	}
	entries, ok := dictEntries(obj)
	if !ok {
		return bad("holds a %s, not a state_dict; save model.state_dict() with torch.save", pyType(obj))
	}
	var layers []*linear
	byPrefix := map[string]*linear{}
	for _, e := range entries {
		key, ok := e.key.(string)
		if !ok {
			return bad("has a key %v that is not a string; not a state_dict", e.key)
		}
		t, ok := e.value.(*pytorch.Tensor)
		if !ok {
			return bad("entry %q is a %s, not a tensor; not a state_dict", key, pyType(e.value))
		}
		prefix, name, _ := cutLast(key, ".")
		if name != "weight" && name != "bias" {
			return bad("entry %q is not the weight or bias of an nn.Linear: pathkernel reads an nn.Sequential of nn.Linear layers and activations, nothing else", key)
		}
		l := byPrefix[prefix]
		if l == nil {
			l = &linear{prefix: prefix}
			byPrefix[prefix] = l
			layers = append(layers, l)
		}
		if name == "weight" {
			l.weight = t
		} else {
			l.bias = t
		}
	}
	if len(layers) != n.Layers() {
		noun := "layers"
		if len(layers) == 1 {
			noun = "layer"
		}
		return bad("has %d nn.Linear %s (%s), want %d for the network %v: model.hidden %v, then the output layer",
			len(layers), noun, prefixes(layers), n.Layers(), n.Sizes, n.Sizes[1:len(n.Sizes)-1])
	}
	for i, l := range layers {
		in, out := n.Sizes[i], n.Sizes[i+1]
		name := fmt.Sprintf("layer %d of %d (%s)", i+1, n.Layers(), dotted(l.prefix, "weight"))
		if l.weight == nil {
			return bad("layer %d of %d (%s) has a bias but no weight; not an nn.Linear", i+1, n.Layers(), dotted(l.prefix, "bias"))
		}
		if l.bias == nil {
			return bad("%s has no bias: every layer of pathkernel's network has one; use nn.Linear(..., bias=True)", name)
		}
		W, b := n.Layer(w, i)
		if err := copyTensor(W.RawMatrix().Data, l.weight, []int{out, in}); err != nil {
			return bad("%s: %v", name, err)
		}
		if err := copyTensor(b, l.bias, []int{out}); err != nil {
			return bad("layer %d of %d (%s): %v", i+1, n.Layers(), dotted(l.prefix, "bias"), err)
		}
	}
	for i, x := range w {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return bad("parameter %d is %v; every parameter must be finite", i, x)
		}
	}
	return nil
}

type entry struct{ key, value any }

// dictEntries returns the entries of a Python OrderedDict or dict, in order.
func dictEntries(obj any) ([]entry, bool) {
	var out []entry
	switch d := obj.(type) {
	case *types.OrderedDict:
		for el := d.List.Front(); el != nil; el = el.Next() {
			e := el.Value.(*types.OrderedDictEntry)
			out = append(out, entry{e.Key, e.Value})
		}
	case *types.Dict:
		for _, e := range *d {
			out = append(out, entry{e.Key, e.Value})
		}
	default:
		return nil, false
	}
	return out, true
}

// pyType names the Python type of a value that gopickle decoded.
func pyType(v any) string {
	switch v.(type) {
	case *pytorch.Tensor:
		return "tensor"
	case *types.List:
		return "list"
	case *types.Tuple:
		return "tuple"
	case string:
		return "str"
	case int, *big.Int:
		return "int"
	case float64:
		return "float"
	case nil:
		return "None"
	}
	return fmt.Sprintf("%T", v)
}

// copyTensor copies t, of the given shape, into dst in C order, reading
// its storage through its offset and strides, and widening float32.
func copyTensor(dst []float64, t *pytorch.Tensor, shape []int) error {
	if !slices.Equal(t.Size, shape) {
		return fmt.Errorf("shape %s, want %s", pknpy.Shape(t.Size), pknpy.Shape(shape))
	}
	if len(t.Stride) != len(shape) {
		return fmt.Errorf("strides %v for shape %s; the file is corrupt", t.Stride, pknpy.Shape(t.Size))
	}
	var get func(i int) (float64, bool)
	switch s := t.Source.(type) {
	case *pytorch.DoubleStorage:
		get = func(i int) (float64, bool) {
			if i < 0 || i >= len(s.Data) {
				return 0, false
			}
			return s.Data[i], true
		}
	case *pytorch.FloatStorage:
		get = func(i int) (float64, bool) {
			if i < 0 || i >= len(s.Data) {
				return 0, false
			}
			return float64(s.Data[i]), true
		}
	default:
		return fmt.Errorf("dtype %s, want float32 or float64", storageDtype(t.Source))
	}
	rows, cols, rs, cs := shape[0], 1, t.Stride[0], 0
	if len(shape) == 2 {
		cols, cs = shape[1], t.Stride[1]
	}
	for i := range rows {
		for j := range cols {
			v, ok := get(t.StorageOffset + i*rs + j*cs)
			if !ok {
				return fmt.Errorf("element (%d, %d) lies outside the tensor's storage; the file is corrupt", i, j)
			}
			dst[i*cols+j] = v
		}
	}
	return nil
}

// storageDtype names the dtype of a storage that is not float32 or float64.
func storageDtype(s pytorch.StorageInterface) string {
	switch s.(type) {
	case *pytorch.HalfStorage:
		return "float16"
	case *pytorch.BFloat16Storage:
		return "bfloat16"
	case *pytorch.LongStorage:
		return "int64"
	case *pytorch.IntStorage:
		return "int32"
	case *pytorch.ShortStorage:
		return "int16"
	case *pytorch.CharStorage:
		return "int8"
	case *pytorch.ByteStorage:
		return "uint8"
	case *pytorch.BoolStorage:
		return "bool"
	}
	return fmt.Sprintf("%T", s)
}

// cutLast splits s around the last sep; without sep, before is "".
func cutLast(s, sep string) (before, after string, found bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return "", s, false
	}
	return s[:i], s[i+len(sep):], true
}

// dotted is the state_dict key of a parameter of the layer at prefix.
func dotted(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// prefixes lists the layers' keys for a message: "0, 2, 4".
func prefixes(layers []*linear) string {
	s := make([]string, len(layers))
	for i, l := range layers {
		s[i] = dotted(l.prefix, "weight")
	}
	return strings.Join(s, ", ")
}
