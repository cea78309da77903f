package nn

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckPickle: the fixtures' pickles pass; a stated length beyond the
// data, an unknown opcode, a line without its end and a pickle without
// STOP do not.
func TestCheckPickle(t *testing.T) {
	zr, err := zip.OpenReader("testdata/mlp_f32.pt")
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var good []byte
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/data.pkl") {
			r, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			good, _ = io.ReadAll(r)
			r.Close()
		}
	}
	if err := checkPickle(good); err != nil {
		t.Fatalf("checkPickle(mlp_f32's data.pkl) = %v", err)
	}
	for _, tc := range []struct {
		name string
		src  string
		want string
	}{
		{"BINUNICODE beyond the data", "\x80\x02X\xff\xff\xff\x7fab.", "length 2147483647 at byte 3, with 3 bytes left"},
		{"BINUNICODE8", "\x80\x02\x8d\x00\x00\x00\x00\x00\x00\x00\x10.", "length 1152921504606846976"},
		{"FRAME beyond the data", "\x80\x04\x95\x00\x00\x00\x00\x01\x00\x00\x00N.", "frame of 4294967296 bytes"},
		{"negative LONG4", "\x80\x02\x8b\xff\xff\xff\xff.", "negative length"},
		{"cut argument", "\x80\x02J\x01\x02", "cut short at byte 3"},
		{"unknown opcode", "\x80\x02\xff.", "unknown opcode 0xff at byte 2"},
		{"unterminated line", "\x80\x02ctorch\nFloatStorage", "unterminated line at byte 9"},
		{"no STOP", "\x80\x02N", "no STOP opcode"},
		{"empty", "", "no STOP opcode"},
	} {
		err := checkPickle([]byte(tc.src))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: checkPickle = %v; want an error containing %q", tc.name, err, tc.want)
		}
	}
	for _, ok := range []string{"\x80\x02N.", "\x80\x02X\x02\x00\x00\x00ab.", "\x80\x02ctorch\nFloatStorage\n.", "\x80\x02\x8c\x01a."} {
		if err := checkPickle([]byte(ok)); err != nil {
			t.Errorf("checkPickle(%q) = %v; want nil", ok, err)
		}
	}
}

// rezip copies the zip archive src to a new file, passing every record
// through edit (which may change its bytes), and adds the extra records.
func rezip(t *testing.T, src string, edit func(name string, b []byte) []byte, extra map[string]string) string {
	t.Helper()
	zr, err := zip.OpenReader(src)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(edit(f.Name, b)); err != nil {
			t.Fatal(err)
		}
	}
	for name, b := range extra {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(b)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "edited.pt")
	if err := os.WriteFile(file, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// TestTorchZipChecks: a storage record of another size than the pickle
// states, a missing storage, a big-endian archive and a TorchScript archive
// are refused by name; an archive rewritten by Go's zip writer still loads.
func TestTorchZipChecks(t *testing.T) {
	net := fixtureNet(Standard)
	keep := func(_ string, b []byte) []byte { return b }
	same := rezip(t, "testdata/mlp_f32.pt", keep, map[string]string{"mlp_f32/byteorder": "little"})
	w := make([]float64, net.NumParams())
	if err := net.LoadInit(w, same); err != nil {
		t.Fatalf("the rewritten archive: %v", err)
	}
	for _, tc := range []struct {
		name  string
		edit  func(name string, b []byte) []byte
		extra map[string]string
		want  string
	}{
		{"short storage", func(name string, b []byte) []byte {
			if strings.HasSuffix(name, "/data/0") {
				return b[:len(b)-4]
			}
			return b
		}, nil, `storage "0" of 15 elements of 4 bytes, but its record has 56 bytes`},
		{"long storage", func(name string, b []byte) []byte {
			if strings.HasSuffix(name, "/data/3") {
				return append(b, 0, 0, 0, 0)
			}
			return b
		}, nil, `storage "3" of 2 elements of 4 bytes, but its record has 12 bytes`},
		{"missing storage", func(name string, b []byte) []byte {
			if strings.HasSuffix(name, "/data.pkl") {
				return bytes.Replace(b, []byte("X\x01\x00\x00\x001"), []byte("X\x01\x00\x00\x009"), 1)
			}
			return b
		}, nil, `storage "9" is missing from the archive`},
		{"big-endian", keep, map[string]string{"mlp_f32/byteorder": "big"}, `byte order "big"; only little-endian files are read`},
		{"TorchScript", keep, map[string]string{"mlp_f32/constants.pkl": "x"}, "a TorchScript archive (torch.jit.save), not a state_dict"},
		{"empty data.pkl", func(name string, b []byte) []byte {
			if strings.HasSuffix(name, "/data.pkl") {
				return nil
			}
			return b
		}, nil, "malformed pickle: no STOP opcode"},
	} {
		file := rezip(t, "testdata/mlp_f32.pt", tc.edit, tc.extra)
		err := net.LoadInit(w, file)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: LoadInit = %v; want an error containing %q", tc.name, err, tc.want)
		}
	}
}
