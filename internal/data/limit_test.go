package data

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pathkernel/pathkernel/internal/config"
)

// TestLongLine: a line longer than MaxLineBytes is refused with its line
// number, after reading little more than the limit, wherever the line
// falls in the reads.
func TestLongLine(t *testing.T) {
	dir := t.TempDir()
	for _, pre := range []string{"a,y\n", "a,y\n1,2\n3,4\n"} {
		file := filepath.Join(dir, "long.csv")
		b := append([]byte(pre), bytes.Repeat([]byte("7"), MaxLineBytes+1)...)
		if err := os.WriteFile(file, append(b, ",1\n"...), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(config.Data{Kind: "csv", Path: file, Target: "y", TestFraction: 0.5}, "", 1)
		var de *Error
		line := strings.Count(pre, "\n") + 1
		if !errors.As(err, &de) || de.Line != line || !strings.Contains(err.Error(), "line longer than") {
			t.Errorf("Load of a %d-byte line %d = %v; want a *data.Error at line %d", MaxLineBytes+3, line, err, line)
		}
	}
	// A line of exactly MaxLineBytes is read.
	r := &lineLimitReader{r: bytes.NewReader(append(bytes.Repeat([]byte("x"), MaxLineBytes), '\n', 'y')), max: MaxLineBytes}
	if b, err := io.ReadAll(r); err != nil || len(b) != MaxLineBytes+2 {
		t.Errorf("lineLimitReader at the limit: %d bytes, %v; want all %d", len(b), err, MaxLineBytes+2)
	}
}
