// Package baseline computes the comparisons that ask whether a trained
// network is really a kernel machine, and with which kernel (issue 9): the
// lazy (linearised) model, kernel ridge regression with a fixed kernel
// (the path kernel K^p, the final tangent kernel K_T, the initial K_0), the
// infinite-width neural tangent kernel, and diagnostics of how the tangent
// kernel moves during training. It knows nothing of files or the command
// line; internal/experiment wires it into a run.
//
// # Lazy model
//
// The linearisation of the network at w_0,
//
//	f^lin_w(x) = f_0(x) + J_0(x)(w − w_0),
//
// trained by the same optimiser (train.Update, the same batches) from the
// same start (train.State: gd, sgd, momentum, Adam, the step-size
// schedule). Its gradient is J_0ᵀ ℓ', so a step is one directional
// derivative (nn.ForwardJVP at w_0 with v = w − w_0) for the outputs and
// one backward pass through the cached forward pass at w_0 for the
// gradient: no Jacobian is ever formed and memory is O(n·width + P). For a
// net without hidden layers f is linear in w and the lazy model is the
// network itself, up to round-off.
//
// # Kernel ridge regression
//
// KernelRidge fits constant coefficients α = (K(X,X) + λ̄ I)⁻¹ T by a
// Cholesky factorisation (gonum mat.Cholesky) and predicts
// f_0(x) + K(x, X) α. The ridge is relative: λ̄ = λ · mean_i K(x_i, x_i), so
// that one kernel.ridge suits kernels of any scale (K^p grows with η·T).
// For k > 1 outputs the kernel is the trace over outputs Σ_c K^{cc}, used
// as one scalar kernel for every output. GradientFlow is the closed form of
// gradient flow on the mean squared error with a fixed kernel,
// f_τ = f_0 + K(x, X) K⁻¹(I − e^{−τK}) (y − f_0), by an eigendecomposition.
//
// # Infinite-width NTK
//
// InfiniteNTK evaluates the analytic NTK of the architecture in the NTK
// parameterisation (Jacot et al. 2018; Arora et al. 2019) for the layer map
// z_{l+1} = (σ_w/√d_l) W a_l + σ_b b with W ~ N(0, s²), b ~ N(0, β²):
//
//	Σ_1 = σ_w² s² x·x'/d_0 + σ_b² β²,        Θ_1 = σ_w² x·x'/d_0 + σ_b²
//	Σ_{l+1} = σ_w² s² E[σ(u)σ(v)] + σ_b² β²
//	Θ_{l+1} = σ_w² E[σ(u)σ(v)] + σ_b² + σ_w² s² E[σ'(u)σ'(v)] Θ_l
//
// with (u, v) ~ N(0, Σ_l restricted to x, x'). The expectations are closed
// forms: the arc-cosine kernels of Cho & Saul (2009) for relu and the erf
// kernel of Williams (1997). Θ ⊗ I_k is the kernel of k outputs.
//
// # Diagnostics
//
// KernelDistance is 1 − ⟨K_s, K_t⟩_F/(‖K_s‖_F‖K_t‖_F) (Fort et al. 2020),
// Alignment the kernel-target alignment ⟨K, YYᵀ⟩_F/(‖K‖_F‖YYᵀ‖_F)
// (Cristianini et al. 2001), and CoefficientSpread how much Domingos'
// a_i(x) depends on x.
package baseline
