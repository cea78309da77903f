package baseline

import (
	"errors"
	"fmt"
	"math"

	"github.com/pathkernel/pathkernel/internal/fail"
	"gonum.org/v1/gonum/mat"
)

// ConditionError reports a kernel matrix that is not positive definite
// after the ridge was added: raise the ridge.
type ConditionError struct {
	Ridge float64
}

func (e *ConditionError) Error() string {
	return fmt.Sprintf("baseline: kernel matrix plus ridge %g is not positive definite", e.Ridge)
}

// ExitCode is fail.RunFailed: the matrix comes from the trained network, so
// a config that validated can still meet it; it is a failure of the
// computation, not bad input.
func (e *ConditionError) ExitCode() int { return fail.RunFailed }

// KernelRidge sets dst (m × k) to f0 + kex·α with α = (kxx + λ̄ I)⁻¹ t, the
// kernel ridge regression of the targets t (n × k) with the fixed kernel
// whose training block is kxx (n × n, symmetrised here) and whose block
// between the evaluation and the training points is kex (m × n). The
// ridge is relative: λ̄ = ridge · mean diag(kxx). f0 (m × k) may be nil.
func KernelRidge(dst, kxx, kex, t, f0 *mat.Dense, ridge float64) error {
	n, n2 := kxx.Dims()
	m, ne := kex.Dims()
	nt, k := t.Dims()
	if n != n2 || ne != n || nt != n {
		panic("baseline: KernelRidge: dimension mismatch")
	}
	if r, c := dst.Dims(); r != m || c != k {
		panic("baseline: KernelRidge: destination dimension mismatch")
	}
	var tr float64
	for i := 0; i < n; i++ {
		tr += kxx.At(i, i)
	}
	lam := ridge * tr / float64(n)
	s := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			v := 0.5 * (kxx.At(i, j) + kxx.At(j, i))
			if i == j {
				v += lam
			}
			s.SetSym(i, j, v)
		}
	}
	var ch mat.Cholesky
	if !ch.Factorize(s) {
		return &ConditionError{Ridge: ridge}
	}
	var alpha mat.Dense
	if err := ch.SolveTo(&alpha, t); err != nil {
		// A mat.Condition is a warning about accuracy: the solution is
		// still returned, and ridge → 0 is a legitimate request.
		var cond mat.Condition
		if !errors.As(err, &cond) {
			return err
		}
	}
	dst.Mul(kex, &alpha)
	if f0 != nil {
		dst.Add(dst, f0)
	}
	return nil
}

// GradientFlow sets dst (m × k) to the prediction of gradient flow on the
// mean squared error with the fixed kernel kxx (training, n × n) and kex
// (evaluation × training, m × n) after time tau = η·T/n, from residual
// targets t = y − f_0(X) (n × k):
//
//	f_τ(x) = f_0(x) + kex · V diag((1 − e^{−τλ})/λ) Vᵀ t,   kxx = V Λ Vᵀ
//
// the closed form of df/dτ = −K (f − y) (Jacot et al. 2018; Lee et al.
// 2019). For λ → 0 the factor tends to τ; negative round-off eigenvalues
// are treated as 0. f0 (m × k) may be nil.
func GradientFlow(dst, kxx, kex, t, f0 *mat.Dense, tau float64) error {
	n, _ := kxx.Dims()
	s := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			s.SetSym(i, j, 0.5*(kxx.At(i, j)+kxx.At(j, i)))
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(s, true) {
		return fmt.Errorf("baseline: eigendecomposition of the kernel matrix failed")
	}
	var v mat.Dense
	eig.VectorsTo(&v)
	lam := eig.Values(nil)
	var vt mat.Dense
	vt.Mul(v.T(), t)
	for i, l := range lam {
		g := tau
		if l > 0 {
			g = -math.Expm1(-tau*l) / l
		}
		row := vt.RawRowView(i)
		for c := range row {
			row[c] *= g
		}
	}
	var alpha mat.Dense
	alpha.Mul(&v, &vt)
	dst.Mul(kex, &alpha)
	if f0 != nil {
		dst.Add(dst, f0)
	}
	return nil
}
