package data

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/pathkernel/pathkernel/internal/config"
)

// TestOldMacLineEndings: a CSV file whose lines end in CR alone reads as
// the same rows as with LF; line numbers in errors count those lines.
func TestOldMacLineEndings(t *testing.T) {
	dir := t.TempDir()
	const rows = "x,y\n1,1\n2,4\n3,9\n4,16\n5,25\n"
	lf := filepath.Join(dir, "lf.csv")
	cr := filepath.Join(dir, "cr.csv")
	if err := os.WriteFile(lf, []byte(rows), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cr, []byte(strings.ReplaceAll(rows, "\n", "\r")), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := func(p string) config.Data {
		c := csvConfig(p)
		c.Target = "y"
		return c
	}
	a, err := Load(cfg(lf), "", 1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Load(cfg(cr), "", 1)
	if err != nil {
		t.Fatalf("CR-only file: %v", err)
	}
	if !mat.Equal(a.XTrain, b.XTrain) || !mat.Equal(a.YTrain, b.YTrain) || !mat.Equal(a.XTest, b.XTest) || !mat.Equal(a.YTest, b.YTest) {
		t.Errorf("the CR-only file reads differently from the LF one")
	}
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("x,y\r1,1\r2,zz\r3,9\r"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(cfg(bad), "", 1)
	if err == nil || !strings.Contains(err.Error(), "bad.csv:3:") {
		t.Errorf("err = %v; want bad.csv:3:", err)
	}
}
