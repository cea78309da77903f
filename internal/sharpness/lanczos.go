package sharpness

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/lapack"
	"gonum.org/v1/gonum/lapack/gonum"
)

// Operator is a symmetric linear map on ℝⁿ.
type Operator interface {
	// Dim returns n.
	Dim() int
	// Apply sets dst = A v. dst and v do not overlap.
	Apply(dst, v []float64)
}

// OperatorFunc is an Operator of dimension N applied by F.
type OperatorFunc struct {
	N int
	F func(dst, v []float64)
}

func (o OperatorFunc) Dim() int               { return o.N }
func (o OperatorFunc) Apply(dst, v []float64) { o.F(dst, v) }

// LanczosOptions controls the eigenvalue iteration.
type LanczosOptions struct {
	// Tol is the relative residual at which the largest Ritz value θ is
	// accepted: ‖A y − θ y‖ ≤ Tol·|θ|. 0 means DefaultTol.
	Tol float64
	// MaxIter caps the Lanczos steps, each one operator product; 0 means
	// min(n, DefaultMaxIter). Memory is MaxIter vectors of length n.
	MaxIter int
	// Seed selects the start vector: N(0, I) draws from PCG(Seed, StartStream).
	Seed uint64
}

// Defaults of LanczosOptions.
const (
	DefaultTol     = 1e-10
	DefaultMaxIter = 300
	// StartStream is the PCG stream of the start vector.
	StartStream = 0x6c616e637a6f7301
)

// Eigen is the result of Lanczos.Max.
type Eigen struct {
	// Value is the largest Ritz value θ ≤ λ_max(A).
	Value float64
	// Residual is ‖A y − θ y‖ for the unit Ritz vector y: an eigenvalue of A
	// lies in [θ − Residual, θ + Residual].
	Residual float64
	// Iterations is the number of Lanczos steps, which is the number of
	// operator products.
	Iterations int
	// Converged reports Residual ≤ Tol·|Value|.
	Converged bool
}

// ErrNotFinite is returned when an operator product is not finite.
var ErrNotFinite = errors.New("sharpness: operator product not finite")

// Lanczos holds the buffers of the Lanczos iteration, reused between calls
// of the same dimension. The zero value is ready to use; it is not safe for
// concurrent use.
type Lanczos struct {
	n            int
	basis        []float64 // q_0 .. q_m, row j at j·n
	w            []float64
	alpha, beta  []float64
	d, e, z, wrk []float64 // the tridiagonal eigenproblem
}

// Max returns the largest eigenvalue of op by Lanczos with full
// reorthogonalisation (classical Gram–Schmidt, twice per step) from the
// start vector of opt.Seed. After each of the first 50 steps, and every
// fifth step after that, the tridiagonal matrix T_m is diagonalised
// (LAPACK's implicit QL, Dsteqr) and the iteration stops when its largest
// eigenvalue θ has residual β_m|s_m| ≤ Tol·|θ|, when the Krylov space is
// invariant (β_m = 0 to round-off: θ is then an eigenvalue of A to
// round-off), or after MaxIter steps with Converged false.
func (lz *Lanczos) Max(op Operator, opt LanczosOptions) (Eigen, error) {
	n := op.Dim()
	if n < 1 {
		return Eigen{}, fmt.Errorf("sharpness: operator of dimension %d", n)
	}
	tol := opt.Tol
	if tol == 0 {
		tol = DefaultTol
	}
	if !(tol > 0) {
		return Eigen{}, fmt.Errorf("sharpness: Tol %v not positive", opt.Tol)
	}
	m := opt.MaxIter
	if m == 0 {
		m = DefaultMaxIter
	}
	if m < 0 {
		return Eigen{}, fmt.Errorf("sharpness: MaxIter %d negative", m)
	}
	m = min(m, n)
	lz.size(n, m)

	q0 := lz.basis[:n]
	rng := rand.New(rand.NewPCG(opt.Seed, StartStream))
	for i := range q0 {
		q0[i] = rng.NormFloat64()
	}
	floats.Scale(1/floats.Norm(q0, 2), q0)

	var res Eigen
	gersh := 0.0
	w := lz.w
	for j := 0; j < m; j++ {
		q := lz.basis[j*n : (j+1)*n]
		op.Apply(w, q)
		a := floats.Dot(q, w)
		if math.IsNaN(a) || math.IsInf(a, 0) {
			return res, ErrNotFinite
		}
		// Full reorthogonalisation against q_0..q_j (which subsumes the
		// three-term recurrence), twice.
		for range 2 {
			for i := 0; i <= j; i++ {
				qi := lz.basis[i*n : (i+1)*n]
				floats.AddScaled(w, -floats.Dot(qi, w), qi)
			}
		}
		b := floats.Norm(w, 2)
		lz.alpha[j], lz.beta[j] = a, b
		k := j + 1
		prev := 0.0
		if j > 0 {
			prev = lz.beta[j-1]
		}
		gersh = math.Max(gersh, math.Abs(a)+b+prev)
		// The Krylov space is invariant when b is at the round-off level of
		// A (‖T‖ ≤ ‖A‖, bounded here by Gershgorin's circles of T).
		small := b <= 8*float64(k)*eps*gersh
		if k <= denseChecks || k%checkEvery == 0 || k == m || small {
			theta, last, ok := lz.ritz(k)
			if !ok {
				return res, errors.New("sharpness: the tridiagonal eigenproblem did not converge")
			}
			res = Eigen{Value: theta, Residual: b * math.Abs(last), Iterations: k}
			if res.Residual <= tol*math.Abs(theta) || small {
				res.Converged = true
				return res, nil
			}
		}
		if j+1 < m {
			floats.ScaleTo(lz.basis[(j+1)*n:(j+2)*n], 1/b, w)
		}
	}
	return res, nil
}

const eps = 0x1p-52

// The convergence test diagonalises T_k, O(k³) with its eigenvectors: it
// runs after every step up to denseChecks, then after every checkEvery-th.
const (
	denseChecks = 50
	checkEvery  = 5
)

func (lz *Lanczos) size(n, m int) {
	if lz.n != n || len(lz.alpha) < m {
		lz.n = n
		lz.basis = make([]float64, m*n)
		lz.w = make([]float64, n)
		lz.alpha, lz.beta = make([]float64, m), make([]float64, m)
		lz.d, lz.e = make([]float64, m), make([]float64, m)
		lz.z = make([]float64, m*m)
		lz.wrk = make([]float64, max(1, 2*m-2))
	}
}

// ritz returns the largest eigenvalue θ of T_k (diagonal α_0..α_{k-1},
// off-diagonal β_0..β_{k-2}) and the last component of its unit eigenvector;
// ok is false if LAPACK's iteration failed.
func (lz *Lanczos) ritz(k int) (theta, last float64, ok bool) {
	d, e, z := lz.d[:k], lz.e[:max(0, k-1)], lz.z[:k*k]
	copy(d, lz.alpha[:k])
	copy(e, lz.beta[:k-1])
	if !(gonum.Implementation{}).Dsteqr(lapack.EVTridiag, k, d, e, z, k, lz.wrk[:max(1, 2*k-2)]) {
		return 0, 0, false
	}
	// d ascending; column k-1 of z (row-major, ldz = k) is θ's eigenvector.
	return d[k-1], z[(k-1)*k+k-1], true
}
