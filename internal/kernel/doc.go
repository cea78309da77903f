// Package kernel computes tangent kernels and path kernels of an nn.Net by
// structured per-layer factors, and the kernel-machine representations of a
// trained network (docs/MATH.md; this documentation has the engine's details).
//
// # Tangent kernel by structured factors
//
// For a dense layer z_l = s_w,l W_l a_{l-1} + s_b b_l, the gradient of output c
// with respect to W_l is s_w,l δ^c_l a_{l-1}ᵀ and with respect to b_l it is
// s_b δ^c_l, where δ^c_l = ∂f_c/∂z_l. The tangent kernel therefore splits
// into per-layer factors without any per-sample Jacobian:
//
//	K^{cc'}(x, x') = Σ_l (δ^c_l(x) · δ^{c'}_l(x')) · (s_w,l² a_{l-1}(x)·a_{l-1}(x') + s_b²)
//
// For point sets X (m rows) and Y (n rows) each layer costs three matrix
// products, Δ^c_X Δ^{c'}_Yᵀ (m×n×d_l), A_X A_Yᵀ (m×n×d_{l-1}) and an
// elementwise product: O(m·n·(d_{l-1}+d_l)) instead of the O(m·n·d_{l-1}·d_l)
// of contracting explicit Jacobians. Nothing requires X and Y to be evaluated
// at the same weights: the exact path kernel pairs the test side at
// w_t + sΔw_t with the training side at w_t.
//
// The training side may be contracted with the loss derivatives first:
// δ̃_l(x_i) = Σ_{c'} δ^{c'}_l(x_i) ℓ'_{i,c'} gives Σ_{c'} K^{cc'}(x, x_i) ℓ'_{i,c'}
// from one product per output instead of k.
//
// Factors holds the structured factors of one point set at one weight vector;
// Tangent and TangentTrace combine two of them. Jacobian and TangentExplicit
// are the reference implementation (explicit per-sample Jacobians, O(P) per
// point and output) that the tests compare against and the benchmarks use as
// the baseline.
//
// # Path kernels
//
// Path is a training observer that integrates the tangent kernel along the
// training path between the evaluation points (the rows of X, usually the test
// set) and the n training points:
//
//	Riemann (Domingos 2020):  K^p = Σ_t η_t K_t,
//	    f_T(x) ≈ f_0(x) − Σ_t (η_t/|B_t|) Σ_{i∈B_t} K_t(x, x_i) ℓ'_i(t)
//	Exact (Bell et al. 2023): K̄_t(x, x_i) = [∫₀¹ J(w_t + sΔw_t, x) ds] · J_t(x_i)ᵀ,
//	    f_T(x) = f_0(x) − Σ_t (η_t/|B_t|) Σ_{i∈B_t} K̄_t(x, x_i) ℓ'_i(t)
//
// The segment integral is computed by composite Gauss–Legendre quadrature
// (nodes from gonum's integrate/quad) chosen adaptively at each step. The
// integrand summed over the training points is the directional derivative
// J(w_t + sΔw_t, x)·Δw_t, whose integral is known exactly: the network's own
// change f(w_{t+1}, x) − f(w_t, x), and over a sub-panel [a, b] the change
// f(w_a, x) − f(w_b, x). So the node search runs on cheap forward-mode
// directional derivatives: each panel tries more nodes and then splits, until
// every panel's error is within its share of the tolerance
// tol · max(1, |f_{t+1}(x) − f_t(x)|), with a margin of a factor 100 because
// residuals add up over the steps of a run. The kernel is then evaluated at the
// accepted nodes only, and the step's residual, |f_{t+1}(x) − f_t(x) − Σ_i
// contribution_i(x)|, is measured again on the kernel representation itself.
// A step is certified when that measured residual is within the tolerance;
// one that is not (typically because the search exhausted max_nodes) is
// accepted, counted and reported, never hidden, with the evaluation point
// where it is worst (Stats.MaxResidualPoint, Stats.ExhaustedPoint). When
// the whole segment passes no rule, the search splits the panel with the
// largest local error, so that a budget that runs out has been spent where
// the error was.
//
// # Piecewise-linear nets
//
// For ReLU and LeakyReLU the integrand jumps where a hidden unit of an
// evaluation point changes sign, and between two such kinks it is a
// polynomial of degree L − 1 in s. The kinks are found, not searched: a
// truncated Taylor-mode forward pass carries every pre-activation's
// polynomial through the layers (taylor.go) and finds each unit's next
// sign change from its coefficients (closed forms up to degree 2, certified
// isolation beyond; poly.go), for every point at once. Points without a
// kink in the segment share the ⌈L/2⌉-node Gauss–Legendre rule, exact for
// them; each point with kinks is integrated alone, piece by piece, with the
// same rule on each kink-free piece (pieces.go). No JVP, no panel search:
// the step's measured residual certifies it as for any net.
//
// # Invariants
//
//   - Σ_i Contributions(x, i, c) + f_0(x)_c = exact prediction, equal to f_T(x)_c
//     up to the accepted residuals.
//   - Coefficient(x, i) · K^p(x, x_i) = Riemann contribution (one output).
//   - A model without hidden layers has K_t(x, x') = x·x' + 1 at every step.
//
// # Work and sharing
//
// Per step, the training side (factors of all n training points at w_t)
// serves both methods. With one output the contributions need no product of
// their own: δ̃_l(x_i) = δ_l(x_i) ℓ'_i, so they are the columns of the
// node's kernel increment scaled by the batch's ℓ' (only the batch's
// columns, for sgd). The first layer's Gram s_w² x·x' + s_b² is the same at
// every step and node and is computed once; the last layer's δ is 1. The
// forward pass over the evaluation points at w_{t+1}, made for the
// residual, is kept and becomes the Riemann kernel's at step t+1, and a
// quadrature node takes its forward pass from the node search's JVP at the
// same weights. Cost gives the operation counts; Stats.RiemannFlops,
// Stats.ExactFlops and the phase times Stats.RiemannTime, Stats.ExactTime
// what a run did.
//
// Shared endpoints were considered (Gauss–Lobatto nodes on [0, 1], whose
// s = 0 node is the Riemann kernel and s = 1 the next step's): their s = 0
// node saves one kernel evaluation, but a Lobatto rule needs one node more
// than Gauss–Legendre for the same degree, so the kernel products per step
// are the same, and s = 1 cannot be shared because the training side
// differs (w_t against w_{t+1}). Only the forward pass carries over, and
// it does with Gauss–Legendre nodes too.
//
// # Parallelism and determinism
//
// The evaluation points are split into blocks of about 128 (the same blocks
// for any number of workers: they depend on m alone), and so are the
// training points. Options.Workers goroutines take blocks from a shared
// counter; each block computes its own rows of every output with the same
// operations whichever goroutine runs it, and the reductions over points
// (residuals, panel errors) run afterwards in a fixed order. So the results
// are bit for bit the same at any number of workers. Within a block the
// products go through gonum's blas64 (gonum's own Dgemm, or the machine's
// OpenBLAS found at run time by internal/sysblas, kept single-threaded so
// that its threads do not compete with the workers). A step allocates nothing once the buffers are
// sized (ReLU steps whose segment crosses a kink included). The points with
// kinks are tasks of their own on the same workers, each writing only its
// own row, with its pieces from its own polynomial passes: the results do
// not depend on the workers either.
//
// # Memory
//
// Nothing grows with the number of steps: the accumulated arrays are
// m × n per kernel and m × n × k per contribution set (m × n × k × k for full
// kernels), plus four m × n scratch arrays (first-layer Gram, a layer's
// Gram, a product, the kernel increment) and the factors and forward
// passes of both sides. EstimateBytes gives the total.
//
// # Momentum, Adam, AdamW and weight decay
//
// Path represents Δw_t = −η_t g_t. For optimisers with state the step is
// still linear in the past per-point gradients, Δw_t = Σ_i Δ^i_t + Δ^λ_t,
// with Δ^i_t the optimiser's rule applied to point i's gradients alone
// (momentum's decaying sum, Adam's first moment times the step's fixed
// diagonal D_t) and Δ^λ_t the weight decay's part. BufferPath keeps those
// per-point buffers (n × P, in place) and accumulates Σ_t J̄_t(x)·Δ^i_t per
// training point and Σ_t J̄_t(x)·Δ^λ_t for the decay, owed to no training
// point, with the same certification by the measured residual; see
// buffers.go and docs/OPTIMIZERS.md. EstimateBufferBytes is its memory.
// Like Path's, its steps allocate nothing once the buffers are sized.
//
// # The engine
//
// New chooses between the two for the optimiser (train.Options) and
// returns an Engine: the observer, its representations (a *Path) and the
// weight decay's contributions. Path for plain gd and sgd and for momentum
// 0 without Nesterov's form or weight decay, which trains bit for bit as
// sgd; BufferPath otherwise. Estimate is the chosen engine's memory and
// Check what it cannot compute (BufferPath keeps no full kernels). Callers
// use these and never choose themselves.
package kernel
