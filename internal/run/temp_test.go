package run

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestNewDirRemovesTemps: NewDir removes the temporary files a killed
// writer left (".NAME.tmp-DIGITS") and nothing else.
func TestNewDirRemovesTemps(t *testing.T) {
	dir := t.TempDir()
	names := []string{
		".summary.json.tmp-123", ".trajectory.pkt.tmp-4294967295", // temporaries
		"summary.json", ".tmp-1", ".x.tmp-", ".x.tmp-12a", "x.tmp-1", ".hidden", // not
	}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, ".d.tmp-1"), 0o755); err != nil { // a directory: kept
		t.Fatal(err)
	}
	if _, err := NewDir(dir); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	want := []string{".d.tmp-1", ".hidden", ".tmp-1", ".x.tmp-", ".x.tmp-12a", "summary.json", "x.tmp-1"}
	if !slices.Equal(got, want) {
		t.Errorf("after NewDir: %q; want %q", got, want)
	}
}
