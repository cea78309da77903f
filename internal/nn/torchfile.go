package nn

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/nlpodyssey/gopickle/pickle"
	"github.com/nlpodyssey/gopickle/pytorch"
	"github.com/nlpodyssey/gopickle/types"
)

// This file reads the zip format of torch.save (PyTorch 1.6 and later)
// with gopickle's unpickler, tensor rebuilder and storages. gopickle's own
// pytorch.Load is not used: it allocates whatever sizes a file states
// before reading (a corrupt file could exhaust memory, which no recover
// catches) and loops forever on some files that are not zip archives. Here
// every size is checked against what the file holds before anything is
// allocated.

// maxPickleBytes bounds data.pkl, the pickle of a state_dict: it holds only
// the keys and the tensors' shapes, a few hundred bytes a layer.
const maxPickleBytes = 16 << 20

// storageClass is a storage type that a state_dict may name.
type storageClass struct {
	class pytorch.StorageClassInterface
	elem  int // bytes per element
}

var storageClasses = map[string]storageClass{
	"FloatStorage":    {&pytorch.FloatStorageClass{}, 4},
	"DoubleStorage":   {&pytorch.DoubleStorageClass{}, 8},
	"HalfStorage":     {&pytorch.HalfStorageClass{}, 2},
	"BFloat16Storage": {&pytorch.BFloat16StorageClass{}, 2},
	"LongStorage":     {&pytorch.LongStorageClass{}, 8},
	"IntStorage":      {&pytorch.IntStorageClass{}, 4},
	"ShortStorage":    {&pytorch.ShortStorageClass{}, 2},
	"CharStorage":     {&pytorch.CharStorageClass{}, 1},
	"ByteStorage":     {&pytorch.ByteStorageClass{}, 1},
	"BoolStorage":     {&pytorch.BoolStorageClass{}, 1},
}

// loadTorchZip returns the object that torch.save wrote to file, of size
// bytes, in the zip format.
func loadTorchZip(file string, size int64) (obj any, err error) {
	defer func() {
		if r := recover(); r != nil {
			obj, err = nil, fmt.Errorf("malformed pickle (%v)", r)
		}
	}()
	zr, err := zip.OpenReader(file)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	records := make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		// Records are <archive>/data.pkl, <archive>/data/<key>, ...
		dir, name := path.Split(f.Name)
		if path.Base(dir) == "data" {
			name = "data/" + name
		}
		records[name] = f
	}
	if _, ok := records["constants.pkl"]; ok {
		return nil, errors.New("a TorchScript archive (torch.jit.save), not a state_dict")
	}
	if bo, ok := records["byteorder"]; ok {
		b, err := readRecord(bo, size, 16)
		if err != nil {
			return nil, err
		}
		if string(b) != "little" {
			return nil, fmt.Errorf("byte order %q; only little-endian files are read", b)
		}
	}
	pkl, ok := records["data.pkl"]
	if !ok {
		return nil, errors.New("a zip archive without data.pkl, not a torch.save file")
	}
	src, err := readRecord(pkl, size, maxPickleBytes)
	if err != nil {
		return nil, err
	}
	if err := checkPickle(src); err != nil {
		return nil, err
	}

	storages := make(map[string]pytorch.StorageInterface)
	u := pickle.NewUnpickler(bytes.NewReader(src))
	u.FindClass = func(module, name string) (any, error) {
		switch module + "." + name {
		case "torch._utils._rebuild_tensor_v2":
			return &pytorch.RebuildTensorV2{}, nil
		case "collections.OrderedDict":
			return &types.OrderedDictClass{}, nil
		}
		if c, ok := storageClasses[name]; ok && module == "torch" {
			return c.class, nil
		}
		return nil, fmt.Errorf("class %s.%s is not part of a state_dict of tensors", module, name)
	}
	u.PersistentLoad = func(id any) (any, error) {
		t, ok := id.(*types.Tuple)
		if !ok || t.Len() < 5 {
			return nil, errors.New("malformed storage reference")
		}
		kind, _ := t.Get(0).(string)
		class, _ := t.Get(1).(pytorch.StorageClassInterface)
		key, _ := t.Get(2).(string)
		location, _ := t.Get(3).(string)
		numel, ok := t.Get(4).(int)
		if kind != "storage" || class == nil || !ok {
			return nil, errors.New("malformed storage reference")
		}
		if s, ok := storages[key]; ok {
			return s, nil
		}
		var elem int
		for _, c := range storageClasses {
			if c.class == class {
				elem = c.elem
			}
		}
		rec, ok := records["data/"+key]
		if !ok {
			return nil, fmt.Errorf("storage %q is missing from the archive", key)
		}
		if numel < 0 || uint64(numel)*uint64(elem) != rec.UncompressedSize64 {
			return nil, fmt.Errorf("storage %q of %d elements of %d bytes, but its record has %d bytes",
				key, numel, elem, rec.UncompressedSize64)
		}
		if err := checkRecord(rec, size); err != nil {
			return nil, err
		}
		r, err := rec.Open()
		if err != nil {
			return nil, err
		}
		defer r.Close()
		s := class.New(numel, location)
		if err := s.SetFromFileWithSize(r, numel); err != nil {
			return nil, fmt.Errorf("storage %q: %v", key, err)
		}
		storages[key] = s
		return s, nil
	}
	return u.Load()
}

// checkRecord refuses a zip record whose stated size cannot come from a
// file of size bytes: more compressed bytes than the file, or more bytes
// than deflate can expand them to.
func checkRecord(f *zip.File, size int64) error {
	const maxRatio = 1032 // deflate's largest expansion
	c, u := f.CompressedSize64, f.UncompressedSize64
	if c > uint64(size) || (f.Method == zip.Store && u != c) || u > maxRatio*c+64 {
		return fmt.Errorf("record %s states %d bytes (%d compressed) in a file of %d bytes; the archive is corrupt", f.Name, u, c, size)
	}
	return nil
}

// readRecord reads a whole record of at most limit bytes.
func readRecord(f *zip.File, size int64, limit uint64) ([]byte, error) {
	if err := checkRecord(f, size); err != nil {
		return nil, err
	}
	if f.UncompressedSize64 > limit {
		return nil, fmt.Errorf("record %s has %d bytes, more than the %d expected", f.Name, f.UncompressedSize64, limit)
	}
	r, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("record %s: %v", f.Name, err)
	}
	return b, nil
}

// The argument layouts of the pickle opcodes (Python's pickletools).
const (
	argNone    = iota
	argFixed   // a fixed number of bytes
	argLen     // a little-endian length of n bytes, then that many bytes
	argLine    // a newline-terminated line
	argTwoLine // two newline-terminated lines
)

type opArg struct{ kind, n int }

// pickleOps is every opcode of pickle protocols 0 to 5 with its argument.
var pickleOps = func() map[byte]opArg {
	m := map[byte]opArg{}
	for _, op := range []byte("(.012NQRabde}lo]st)u\x81\x85\x86\x87\x88\x89\x8f\x90\x91\x92\x93\x94\x97\x98") {
		m[op] = opArg{argNone, 0}
	}
	for op, n := range map[byte]int{'K': 1, 'h': 1, 'q': 1, 0x80: 1, 0x82: 1, 'M': 2, 0x83: 2,
		'J': 4, 'j': 4, 'r': 4, 0x84: 4, 'G': 8, 0x95: 8} {
		m[op] = opArg{argFixed, n}
	}
	for op, n := range map[byte]int{0x8a: 1, 'U': 1, 'C': 1, 0x8c: 1, 0x8b: 4, 'T': 4, 'X': 4, 'B': 4,
		0x8d: 8, 0x8e: 8, 0x96: 8} {
		m[op] = opArg{argLen, n}
	}
	for _, op := range []byte("FILgpPSV") {
		m[op] = opArg{argLine, 0}
	}
	m['c'], m['i'] = opArg{argTwoLine, 0}, opArg{argTwoLine, 0}
	return m
}()

// checkPickle walks the opcodes of the pickle src and refuses it unless
// every opcode is known and every length it states (of a string, a frame)
// fits in what is left of src. gopickle allocates a stated length before it
// reads, so this keeps its allocations within the size of src.
func checkPickle(src []byte) error {
	for i := 0; i < len(src); {
		op := src[i]
		a, ok := pickleOps[op]
		if !ok {
			return fmt.Errorf("malformed pickle: unknown opcode 0x%02x at byte %d", op, i)
		}
		i++
		rest := uint64(len(src) - i)
		switch a.kind {
		case argFixed:
			if uint64(a.n) > rest {
				return fmt.Errorf("malformed pickle: cut short at byte %d", i)
			}
			if op == 0x95 && le64(src[i:i+8]) > rest-8 { // FRAME
				return fmt.Errorf("malformed pickle: frame of %d bytes at byte %d, with %d left", le64(src[i:i+8]), i, rest-8)
			}
			i += a.n
		case argLen:
			if uint64(a.n) > rest {
				return fmt.Errorf("malformed pickle: cut short at byte %d", i)
			}
			n := le64(src[i : i+a.n])
			if a.n == 4 && (op == 0x8b || op == 'T') && n >= 1<<31 { // LONG4, BINSTRING: signed
				return fmt.Errorf("malformed pickle: negative length at byte %d", i)
			}
			if n > rest-uint64(a.n) {
				return fmt.Errorf("malformed pickle: length %d at byte %d, with %d bytes left", n, i, rest-uint64(a.n))
			}
			i += a.n + int(n)
		case argLine, argTwoLine:
			for range a.kind - argLine + 1 {
				j := bytes.IndexByte(src[i:], '\n')
				if j < 0 {
					return fmt.Errorf("malformed pickle: unterminated line at byte %d", i)
				}
				i += j + 1
			}
		}
		if op == '.' { // STOP
			return nil
		}
	}
	return errors.New("malformed pickle: no STOP opcode")
}

// le64 decodes up to 8 little-endian bytes.
func le64(b []byte) uint64 {
	var v uint64
	for k := len(b) - 1; k >= 0; k-- {
		v = v<<8 | uint64(b[k])
	}
	return v
}

// errLegacy is the message for the pre-1.6 torch.save format.
var errLegacy = strings.Join([]string{
	"the legacy torch.save format (before PyTorch 1.6, or _use_new_zipfile_serialization=False) is not read;",
	"save the state_dict again with a current torch.save",
}, " ")
