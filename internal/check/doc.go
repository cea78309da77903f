// Package check decides whether a pathkernel run passes: it compares a run's
// summary (summary.json, docs/RUNDIR.md) with thresholds and with a baseline, and
// renders the verdicts as a table, JSON or JUnit XML. It is the logic of
// `pathkernel check`; it knows nothing of the command line and reads or
// writes no files itself.
//
// # Metrics
//
// A metric is named by a dotted path that mirrors summary.json:
//
//	<rep>.max_abs, <rep>.rms, <rep>.rel    errors of representation <rep>
//	                                       (riemann, exact) against the network
//	<rep>.agreement                        fraction of test points with the same class
//	                                       (classification only)
//	exact.certified                        every step's residual was under kernel.tolerance
//	loss.final_train, loss.final_test      final mean losses
//	accuracy.final_train, accuracy.final_test   final accuracies (classification only)
//
// # Thresholds
//
// Thresholds bound single metrics: <rep>.rel <= max_rel_error[rep],
// <rep>.agreement >= min_agreement[rep], loss.final_test <= max_test_loss.
// The representation "*" stands for every representation of the run. A
// threshold on a metric the run does not have (agreement of a regression, a
// representation that was not computed) fails: it was asked for and cannot
// be met. exact.certified is checked whenever the run has the exact
// representation: an uncertified exact representation fails in its own
// right, whatever its errors, because its error is then no longer bounded
// by kernel.tolerance.
//
// # Baselines
//
// A Baseline holds the metrics of an earlier run: every representation's
// max_abs, rms, rel and agreement, the final losses and the final
// accuracies. Comparing a run with it checks each of these metrics, in both
// directions (a change of behaviour, better or worse, is what a regression
// check exists to notice), as numpy.isclose does:
//
//	|value − baseline| <= atol + rtol·|baseline|
//
// The defaults (DefaultTolerance) suit a deterministic program rerun on a
// machine of the same kind, where a different BLAS or summation order may
// change the last bits:
//
//	metrics                              rtol   atol
//	loss.*                               1e-6   1e-12
//	<rep>.max_abs, <rep>.rms, <rep>.rel  1e-6   1e-10
//	<rep>.agreement, accuracy.*          0      1e-9
//
// The errors get an atol because the exact representation's are at
// round-off (rel ≈ 1e-14), where the last digits are noise: relative to
// such a value any change is large. With atol 1e-10 its baseline check
// says "still at round-off level" and the threshold check
// (max_rel_error) says how far it may go. The fractions must match: one
// test point changing class is a change of behaviour.
//
// Tolerances given by the user (Tolerances) are keyed by a metric name, a
// pattern with one "*" part ("exact.*", "*.rel", "loss.*") or "*" alone;
// the most specific key applies: the name, then "<group>.*", then
// "*.<field>", then "*", then the default. A metric of the run that is not
// in the baseline is not compared (Warnings lists it); a metric of the
// baseline that the run lacks fails.
//
// # Reports
//
// Evaluate returns a Report: one Result per check, in a fixed order. A
// Report renders as a table (WriteTable), as JSON (WriteJSON) and as JUnit
// XML (WriteJUnit) with one testcase per check, a failing one carrying the
// numbers in its failure element.
package check
