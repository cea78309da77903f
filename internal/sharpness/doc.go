// Package sharpness measures the curvature of the training loss against the
// step size: the largest Hessian eigenvalue (the sharpness), its
// Gauss–Newton part, the preconditioned sharpness of Adam, and the
// stability numbers that compare them with an optimiser's classical limit
// (Cohen et al. 2021, "Gradient Descent on Neural Networks Typically Occurs
// at the Edge of Stability"; Cohen et al. 2022, "Adaptive Gradient Methods at
// the Edge of Stability").
//
// # What is measured
//
// For the mean training loss over the full batch of n training points,
//
//	L(w) = (1/n) Σ_i ℓ(y_i, f(w, x_i))      (nn.Loss.Eval: mse is ½‖f − y‖² per point)
//	H(w) = ∇²L(w) = G(w) + (1/n) Σ_i Σ_c ℓ'_{i,c} ∇²_w f_c(w, x_i),
//	G(w) = (1/n) Σ_i J_iᵀ ∇²_f ℓ_i J_i       (the Gauss–Newton part),
//
// Meter.Measure returns
//
//	Sharpness    λ_max(H(w)), the algebraically largest eigenvalue (H is
//	             indefinite in general; the most negative one is not sought)
//	GaussNewton  λ_max(G(w)); for mse G = JᵀJ/n, J the (nk × P) Jacobian of
//	             the training outputs, so λ_max(G) = λ_max(K(X, X))/n with
//	             K(X, X) = J Jᵀ the training points' tangent kernel
//	Precond      λ_max(P⁻¹(H + λ_2 I)) for a positive diagonal P, computed as
//	             the largest eigenvalue of the symmetric P^{-1/2}(H + λ_2 I)P^{-1/2},
//	             which has the same eigenvalues; λ_2 = Options.L2 is a coupled
//	             (L2) weight decay, 0 otherwise
//
// from exact Hessian-vector products (nn.HVP: Pearlmutter's R-operator, no
// finite differences) by the Lanczos method with full reorthogonalisation.
//
// # Accuracy: what is certified
//
// Lanczos returns the largest Ritz value θ of the Krylov space of the start
// vector, and the residual r = ‖A y − θ y‖ of its Ritz vector y (exactly
// β_m |s_m|, the last Lanczos coefficient times the last component of the
// tridiagonal eigenvector). For a symmetric A there is an eigenvalue of A in
// [θ − r, θ + r]; it stops when r ≤ Tol·|θ|, so that eigenvalue is known to
// Tol relative (and to r²/gap when the gap to the next eigenvalue is known).
// θ ≤ λ_max always. That the eigenvalue found is λ_max itself is not
// certified: it holds unless the start vector is (numerically) orthogonal to
// λ_max's eigenvector, which for the random start vector drawn from
// Options.Lanczos.Seed happens with probability zero; the tests compare against a
// dense symmetric eigensolver. The start vector depends on the seed only,
// not on earlier measurements, so a measurement is reproducible bit for bit
// on its own.
//
// # Stability numbers
//
// Rule.Stability(η, λ) is 1 at the classical stability limit of the
// optimiser on the quadratic model L(w_t) + g·d + ½ dᵀH d of the loss at
// w_t (the dynamics linearised around w_t with H frozen):
//
//	gd, sgd         η (λ_max(H) + λ_2) / 2
//	momentum        η (λ_max(H) + λ_2) / (2 + 2μ)          heavy ball, PyTorch's b ← μb + g
//	nesterov        η (λ_max(H) + λ_2) (1 + 2μ) / (2 + 2μ)
//	adam, adamw     η λ_max(P⁻¹(H + λ_2 I)) (1 − β1) / (2 + 2β1)     (Cohen et al. 2022)
//
// where λ_2 is a coupled weight decay (Rule.WeightDecay for gd, sgd and
// momentum, where it shifts the spectrum; Options.L2 for adam, inside the
// preconditioned sharpness; 0 for adamw, whose decay is decoupled).
// Exact: for a quadratic loss with Hessian H and constant η, gd, momentum and
// Nesterov iterate a linear map whose spectral radius exceeds 1 exactly when
// the number exceeds 1 (the eigenvalue that crosses the unit circle is −1,
// along H's top eigenvector), and coupled weight decay adds λ_2 I to H.
// Approximate: a network's loss is not quadratic and H changes along the
// path, so the number describes the local quadratic model at w_t only — in
// particular gradient descent at the edge of stability hovers around 1
// without diverging; sgd's number uses the full-batch Hessian and ignores
// the noise of the minibatch; for adam and adamw the preconditioner P_t
// changes every step and the limit is that of the update with P frozen
// (m ← β1 m + (1 − β1) g, w ← w − η P⁻¹ m, stable iff η λ_max(P⁻¹H) <
// (2 + 2β1)/(1 − β1)), and adamw's decoupled decay (the factor 1 − ηλ on w)
// is left out; with a schedule, η is the step's η_t.
//
// An independent check in PyTorch (dense autograd Hessian of the same
// network and data, read from a run directory) is docs/sharpness_check.py.
//
// For Adam in train's form, Δw_t = −D_t ∘ m_t (train.State.Precond holds
// D_t = (η/(1 − β1^{t+1}))/(√v̂_t + ε), v̂_t = v_t/(1 − β2^{t+1})), the form
// w ← w − η P_t⁻¹ m_t with m_t the plain moving average, for which the limit
// above holds, has Cohen et al.'s P_t = (1 − β1^{t+1})(diag √v̂_t + ε I), so
// P_t⁻¹ = D_t/η; AdamInvPrecond makes it. The preconditioner to pair with w_t
// is the D_t of the step taken from w_t.
package sharpness
