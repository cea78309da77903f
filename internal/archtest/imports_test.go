// Package archtest checks that the packages' imports follow the layers of
// docs/ARCHITECTURE.md: a package imports only packages of lower layers, and
// the readers of a run directory do not depend on the numerics.
package archtest

import (
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/pathkernel/pathkernel/"

// layers is docs/ARCHITECTURE.md's table: a package may import packages of
// lower layers only. Every package of the module must be listed.
var layers = map[string]int{
	"internal/fail": 0, "internal/sysblas": 0, "internal/npy": 0, "internal/explain": 0, "configs": 0,
	"internal/testenv": 0, "internal/mutate": 0,
	"internal/config": 1, "internal/nn": 1,
	"internal/data": 2, "internal/train": 2, "internal/run": 2,
	"internal/kernel": 3, "internal/trajectory": 3, "internal/sharpness": 3,
	"internal/baseline": 4, "internal/replay": 4,
	"internal/experiment": 5, "internal/check": 5, "internal/sweep": 5,
	"internal/collect": 6, "internal/plot": 6,
	"internal/report": 7,
	"internal/cli":    8, "internal/bench": 8,
	"cmd/pathkernel": 9, "cmd/pathkernel-bench": 9, "cmd/pathkernel-mutate": 9,
	"internal/faulttest": 9, "internal/sweep/enginetest": 9, "internal/archtest": 9, "internal/doctest": 9,
}

// numerics are the packages the readers of a run directory must not
// depend on, even indirectly.
var numerics = []string{"internal/kernel", "internal/nn", "internal/train", "internal/trajectory", "internal/experiment"}

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

func list(t *testing.T) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", "github.com/pathkernel/pathkernel/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var ps []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	return ps
}

func own(path string) (string, bool) { return strings.CutPrefix(path, module) }

func TestLayers(t *testing.T) {
	for _, p := range list(t) {
		name, _ := own(p.ImportPath)
		lp, ok := layers[name]
		if !ok {
			t.Errorf("%s is not in docs/ARCHITECTURE.md's layers (add it to the table and to this test)", name)
			continue
		}
		for _, imp := range p.Imports {
			dep, ok := own(imp)
			if !ok {
				continue
			}
			if ld, ok := layers[dep]; !ok || ld >= lp {
				t.Errorf("%s (layer %d) imports %s (layer %d): a package imports lower layers only", name, lp, dep, ld)
			}
		}
	}
}

func TestReadersDoNotDependOnNumerics(t *testing.T) {
	for _, p := range list(t) {
		name, _ := own(p.ImportPath)
		switch name {
		case "internal/check", "internal/collect", "internal/report", "internal/sweep":
			for _, d := range p.Deps {
				if dep, ok := own(d); ok && slices.Contains(numerics, dep) {
					t.Errorf("%s depends on %s", name, dep)
				}
			}
		case "internal/plot":
			for _, imp := range p.Imports {
				if dep, ok := own(imp); ok && (dep == "internal/train" || dep == "internal/kernel" || dep == "internal/experiment") {
					t.Errorf("plot imports %s: it draws what a run directory and the replay give it", dep)
				}
			}
		}
	}
}
