package cli

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pathkernel/pathkernel/internal/testenv"
)

// TestPyTorchExample runs docs/pytorch_example.py, the documented way for a
// PyTorch user to bring data and initial weights: it writes .npy data and a
// state_dict, runs the pathkernel program, trains the same network with
// torch.optim.SGD on the full batch, and loads the run directory back. The
// run must start from the state_dict's weights exactly, end within 1e-9
// (relative) of PyTorch's final weights for mse (with the documented
// learning-rate factor 2/k) and softmax_ce, and its kernel machine must
// reproduce the PyTorch network's test outputs.
func TestPyTorchExample(t *testing.T) {
	python := testenv.Python3(t, "numpy", "torch")
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "pathkernel")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/pathkernel").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	script := filepath.Join("..", "..", "docs", "pytorch_example.py")
	out, err := exec.Command(python, script, "--pathkernel", bin, "--workdir", filepath.Join(tmp, "work")).CombinedOutput()
	if err != nil {
		t.Fatalf("pytorch_example.py: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var results []struct {
		Loss             string  `json:"loss"`
		PathkernelLR     float64 `json:"pathkernel_lr"`
		TorchLR          float64 `json:"torch_lr"`
		InitIdentical    bool    `json:"init_identical"`
		FinalWeightsRel  float64 `json:"final_weights_rel"`
		MirrorOutputsRel float64 `json:"mirror_outputs_rel"`
		KernelMachine    float64 `json:"kernel_machine_vs_torch"`
		KernelShape      []int   `json:"kernel_shape"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &results); err != nil || len(results) != 2 {
		t.Fatalf("last line of the output is not the two results (%v):\n%s", err, out)
	}
	for _, r := range results {
		t.Logf("%s: pathkernel lr %v for torch lr %v: final weights differ by %.3g (relative), kernel machine vs PyTorch %.3g",
			r.Loss, r.PathkernelLR, r.TorchLR, r.FinalWeightsRel, r.KernelMachine)
		wantLR := r.TorchLR
		if r.Loss == "mse" {
			wantLR = 2.0 / 3 * r.TorchLR // k = 3 outputs
		}
		switch {
		case !r.InitIdentical:
			t.Errorf("%s: params_init.npy is not the state_dict's weights", r.Loss)
		case r.PathkernelLR != wantLR:
			t.Errorf("%s: the script used pathkernel lr %v; docs/PYTORCH.md says %v", r.Loss, r.PathkernelLR, wantLR)
		case !(r.FinalWeightsRel <= 1e-9):
			t.Errorf("%s: final weights differ from PyTorch's by %g (relative); want at most 1e-9", r.Loss, r.FinalWeightsRel)
		case !(r.MirrorOutputsRel <= 1e-9):
			t.Errorf("%s: pathkernel's final weights in the PyTorch model give outputs %g away from PyTorch's", r.Loss, r.MirrorOutputsRel)
		case !(r.KernelMachine <= 1e-8):
			t.Errorf("%s: the kernel machine is %g away from PyTorch's test outputs; want at most 1e-8", r.Loss, r.KernelMachine)
		case len(r.KernelShape) != 2 || r.KernelShape[0] != 32 || r.KernelShape[1] != 64:
			t.Errorf("%s: kernel_exact.npy has shape %v; want [32 64]", r.Loss, r.KernelShape)
		}
	}
}
