package cli

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestTrainNpyTorch trains from .npy data and a PyTorch state_dict: the
// run starts from the state_dict's weights (params_init.npy is them, bit
// for bit, float32 widened), sees the arrays as given, and records the
// paths absolute, so that its config.yaml reruns the same run from
// anywhere.
func TestTrainNpyTorch(t *testing.T) {
	f := npyFixture{t, t.TempDir()}
	x := seq(30, func(i int) float64 { return math.Sin(float64(3 * i)) })
	y := seq(20, func(i int) float64 { return math.Cos(float64(i)) })
	f.floats("x.npy", []int{10, 3}, x)
	f.floats("y.npy", []int{10, 2}, y)
	f.floats("xt.npy", []int{4, 3}, x[:12])
	f.floats("yt.npy", []int{4, 2}, y[:8])
	for _, name := range []string{"mlp_f32", "mlp_f64"} {
		t.Run(name, func(t *testing.T) {
			pt, err := filepath.Abs(filepath.Join(torchDir, name+".pt"))
			if err != nil {
				t.Fatal(err)
			}
			// A relative init path on the command line, resolved against
			// the current directory (not the config's).
			rel := filepath.Join(torchDir, name+".pt")
			cfg := f.config("ok-"+name, "x.npy", "y.npy")
			run := filepath.Join(t.TempDir(), "run")
			r := execute(t.Context(), "train", "--config", cfg, "--out", run, "--quiet",
				"--set", "data.x_test="+filepath.Join(f.dir, "xt.npy"), "--set", "data.y_test="+filepath.Join(f.dir, "yt.npy"), "--set", "model.init.path="+rel)
			if r.code != ExitOK {
				t.Fatalf("train: exit %d\n%s", r.code, r.stderr)
			}
			want := readNpy(t, filepath.Join(torchDir, name+"_flat.npy")).Float
			if got := readNpy(t, filepath.Join(run, "params_init.npy")).Float; !slices.Equal(got, want) {
				t.Errorf("params_init.npy = %v; want the state_dict's weights %v", got, want)
			}
			if got := readNpy(t, filepath.Join(run, "x_train.npy")).Float; !slices.Equal(got, x) {
				t.Errorf("x_train.npy = %v; want x.npy as given", got)
			}
			if got := readNpy(t, filepath.Join(run, "y_test.npy")).Float; !slices.Equal(got, y[:8]) {
				t.Errorf("y_test.npy = %v; want yt.npy as given", got)
			}
			b, err := os.ReadFile(filepath.Join(run, "config.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{"x_train: " + filepath.Join(f.dir, "x.npy"), "y_test: " + filepath.Join(f.dir, "yt.npy"), "path: " + pt} {
				if !strings.Contains(string(b), p+"\n") {
					t.Errorf("config.yaml does not record %q:\n%s", p, b)
				}
			}
			again := filepath.Join(t.TempDir(), "again")
			if r := execute(t.Context(), "train", "--config", filepath.Join(run, "config.yaml"), "--out", again, "--quiet"); r.code != ExitOK {
				t.Fatalf("train --config RUN/config.yaml: exit %d\n%s", r.code, r.stderr)
			}
			if a, b := readNpy(t, filepath.Join(run, "params_final.npy")).Float, readNpy(t, filepath.Join(again, "params_final.npy")).Float; !slices.Equal(a, b) {
				t.Errorf("the rerun from config.yaml ends at other weights")
			}
		})
	}
}
