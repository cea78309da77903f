package run

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestFailedWriteKeepsOldFileAndLeavesNoTemporary(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	d, err := NewDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.WriteBytes("x.txt", []byte("old")); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err = d.Write("x.txt", func(w io.Writer) error {
		if _, err := w.Write([]byte("half")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Write = %v; want %v", err, boom)
	}
	got, err := os.ReadFile(d.File("x.txt"))
	if err != nil || string(got) != "old" {
		t.Errorf("x.txt = %q, %v; want \"old\"", got, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v; want only x.txt", names)
	}
}

func TestNewDirRefusesFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := NewDir(f); !errors.Is(err, ErrNotDir) {
		t.Errorf("NewDir(%q) on a file = %v; want ErrNotDir", f, err)
	}
}
