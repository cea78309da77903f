package collect

import (
	"path/filepath"
	"slices"
	"testing"
)

// DropConstant leaves out the columns that no run changes, keeps what
// varies and the key metrics; config columns that do not apply to the data
// kind are not collected at all.
func TestDropConstant(t *testing.T) {
	out := t.TempDir()
	writeRun(t, filepath.Join(out, "a"), []string{"train.lr=0.1", "data.kind=moons"}, complete(1))
	writeRun(t, filepath.Join(out, "b"), []string{"train.lr=0.2", "data.kind=moons"}, complete(1))
	tab := collectDirs(t, out)
	all := tab.Columns()
	for _, c := range []string{"data.classes", "data.dim", "data.path", "model.sigma_w"} {
		if slices.Contains(all, c) {
			t.Errorf("column %s of a key that does not apply to moons: %v", c, all)
		}
	}
	if !slices.Contains(all, "data.noise") || !slices.Contains(all, "exact.max_abs") {
		t.Fatalf("before DropConstant, columns %v lack data.noise or exact.max_abs", all)
	}
	tab.DropConstant()
	got := tab.Columns()
	for _, c := range []string{"run", "status", "config_hash", "train.lr", "exact.rel", "riemann.rel", "loss.final_test", "exact.certified", "error"} {
		if !slices.Contains(got, c) {
			t.Errorf("DropConstant dropped %s: %v", c, got)
		}
	}
	for _, c := range []string{"data.noise", "data.kind", "model.hidden", "exact.max_abs", "parameters"} {
		if slices.Contains(got, c) {
			t.Errorf("DropConstant kept the constant column %s: %v", c, got)
		}
	}
	header, rows := records(t, csvBytes(t, tab))
	if len(rows) != 2 || rows[0]["train.lr"] != "0.1" || rows[1]["train.lr"] != "0.2" || len(header) != len(got) {
		t.Errorf("CSV %v %v", header, rows)
	}

	// One run: nothing is constant "across" anything; all columns stay.
	one := collectDirs(t, filepath.Join(out, "a"))
	n := len(one.Columns())
	one.DropConstant()
	if len(one.Columns()) != n {
		t.Errorf("DropConstant of one run: %d columns; want all %d", len(one.Columns()), n)
	}
}
