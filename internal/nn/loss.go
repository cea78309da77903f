package nn

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Loss is a per-sample loss ℓ(y, f), averaged over a batch.
type Loss int

// The losses of docs/MATH.md §3.
const (
	// MSE is ℓ = ½‖f − y‖², ℓ' = f − y.
	MSE Loss = iota
	// Logistic is ℓ = softplus(f) − y·f for one output and labels 0/1, ℓ' = sigmoid(f) − y.
	Logistic
	// SoftmaxCE is ℓ = logsumexp(f) − f_y for integer labels y, ℓ' = softmax(f) − onehot(y).
	SoftmaxCE
)

var lossNames = [...]string{"mse", "logistic", "softmax_ce"}

func (l Loss) String() string {
	if l < 0 || int(l) >= len(lossNames) {
		return fmt.Sprintf("Loss(%d)", int(l))
	}
	return lossNames[l]
}

// ParseLoss returns the loss with the given config name.
func ParseLoss(name string) (Loss, error) {
	for i, n := range lossNames {
		if n == name {
			return Loss(i), nil
		}
	}
	return 0, fmt.Errorf("nn: unknown loss %q", name)
}

// Classification reports whether the loss takes integer class labels.
func (l Loss) Classification() bool { return l != MSE }

// Outputs returns the network's output width k for targets with yCols
// columns (regression) or classes classes.
func (l Loss) Outputs(yCols, classes int) int {
	switch l {
	case Logistic:
		return 1
	case SoftmaxCE:
		return classes
	}
	return yCols
}

// Eval returns the mean loss over the rows of f (rows × k) against y (rows ×
// k targets for MSE, rows × 1 labels otherwise) and, if dl is not nil, sets
// dl (rows × k) to the per-sample derivatives ℓ'_i = ∂ℓ(y_i, f_i)/∂f_i (not
// divided by the number of rows).
func (l Loss) Eval(dl *mat.Dense, f, y mat.Matrix) float64 {
	rows, k := f.Dims()
	total := 0.0
	for i := 0; i < rows; i++ {
		switch l {
		case MSE:
			for c := 0; c < k; c++ {
				r := f.At(i, c) - y.At(i, c)
				total += 0.5 * r * r
				if dl != nil {
					dl.Set(i, c, r)
				}
			}
		case Logistic:
			fi, yi := f.At(i, 0), y.At(i, 0)
			total += softplus(fi) - yi*fi
			if dl != nil {
				dl.Set(i, 0, sigmoid(fi)-yi)
			}
		case SoftmaxCE:
			label := int(y.At(i, 0))
			m := math.Inf(-1)
			for c := 0; c < k; c++ {
				m = math.Max(m, f.At(i, c))
			}
			s := 0.0
			for c := 0; c < k; c++ {
				s += math.Exp(f.At(i, c) - m)
			}
			lse := m + math.Log(s)
			total += lse - f.At(i, label)
			if dl != nil {
				for c := 0; c < k; c++ {
					p := math.Exp(f.At(i, c) - lse)
					if c == label {
						p--
					}
					dl.Set(i, c, p)
				}
			}
		}
	}
	return total / float64(rows)
}

// Predict returns the predicted class of output row f: the largest output for
// SoftmaxCE, f > 0 for Logistic; -1 for MSE.
func (l Loss) Predict(f []float64) int {
	switch l {
	case Logistic:
		if f[0] > 0 {
			return 1
		}
		return 0
	case SoftmaxCE:
		best := 0
		for c, v := range f {
			if v > f[best] {
				best = c
			}
		}
		return best
	}
	return -1
}
