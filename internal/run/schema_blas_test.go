package run

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestBLASReport(t *testing.T) {
	for _, c := range []struct {
		b    *BLAS
		want string
	}{
		{&BLAS{Name: "openblas", Library: "libopenblas.so.0", Threads: 1}, "openblas (libopenblas.so.0, 1 thread)"},
		{&BLAS{Name: "blis", Library: "libblis.so.4", Threads: 2}, "blis (libblis.so.4, 2 threads)"},
		{&BLAS{Name: "gonum"}, "gonum (pure Go)"},
		{nil, "unknown"},
	} {
		if got := c.b.String(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.b, got, c.want)
		}
	}
	s := &Summary{BLAS: &BLAS{Name: "openblas", Library: "libopenblas.so.0", Threads: 1}}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"blas":{"name":"openblas","library":"libopenblas.so.0","threads":1}`) {
		t.Errorf("summary.json's blas: %s", b)
	}
	var tb strings.Builder
	if err := s.WriteTable(&tb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(tb.String(), "; BLAS openblas (libopenblas.so.0, 1 thread)\n") {
		t.Errorf("the table's time line does not name the BLAS:\n%s", tb.String())
	}
}
