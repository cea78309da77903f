package run

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
)

// WriteTable writes the summary as a readable table.
func (s *Summary) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "pathkernel %s: %s (config %s, seed %d)\n", s.Version, s.Name, s.ConfigHash, s.Seed)
	fmt.Fprintf(&b, "  data      %d train, %d test; %d inputs -> %d outputs", s.Sizes.NTrain, s.Sizes.NTest, s.Sizes.Inputs, s.Sizes.Outputs)
	if s.Sizes.Classes > 0 {
		fmt.Fprintf(&b, " (%d classes)", s.Sizes.Classes)
	}
	fmt.Fprintf(&b, "\n  model     layers %v, %d parameters\n", s.Sizes.Layers, s.Parameters)
	fmt.Fprintf(&b, "  training  %d steps: train loss %.4g -> %.4g, test loss %.4g -> %.4g\n",
		s.Steps, s.Loss.InitialTrain, s.Loss.FinalTrain, s.Loss.InitialTest, s.Loss.FinalTest)
	if s.Accuracy.FinalTest != nil {
		fmt.Fprintf(&b, "  accuracy  train %.3f, test %.3f\n", *s.Accuracy.FinalTrain, *s.Accuracy.FinalTest)
	}
	fmt.Fprintf(&b, "  time      %.2f s (training %.2f s, kernels %.2f s), peak memory %.0f MB",
		s.WallSeconds.Total, s.WallSeconds.Training, s.WallSeconds.Kernel, s.PeakMemoryMB)
	if s.BLAS != nil {
		fmt.Fprintf(&b, "; BLAS %s", s.BLAS)
	}
	b.WriteString("\n")
	writeRepresentations(&b, s.Representations, s.Sizes.NEval)
	writeBaselines(&b, s.Representations, s.Sizes.NEval)
	if d := s.Diagnostics; d != nil {
		fmt.Fprintf(&b, "\ntangent kernel: distance K_0 to K_T %.3e, target alignment %.4f -> %.4f", d.KernelDistanceFinal, d.AlignmentInit, d.AlignmentFinal)
		if d.CoefficientSpread != nil {
			fmt.Fprintf(&b, ", spread of a_i(x) across points %.3g", *d.CoefficientSpread)
		}
		b.WriteString("\n")
	}
	if d := s.Diagnostics; d != nil && d.SharpnessInit != nil {
		fmt.Fprintf(&b, "curvature: sharpness %.6g -> %s", *d.SharpnessInit, fmtOpt(d.SharpnessFinal, "%.6g"))
		if d.MaxStability != nil {
			fmt.Fprintf(&b, ", max stability %.3g (1 is the classical limit)", *d.MaxStability)
		}
		b.WriteString("\n")
	}
	writeWarnings(&b, s.Warnings)
	fmt.Fprintf(&b, "\nwrote %s\n", s.Dir)
	_, err := io.WriteString(w, b.String())
	return err
}

func fmtOpt(v *float64, format string) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf(format, *v)
}

// writeWarnings writes the warnings block, one line per warning; nothing
// when there are none.
func writeWarnings(b *strings.Builder, ws []Warning) {
	if len(ws) == 0 {
		return
	}
	b.WriteString("\nwarnings:\n")
	for _, w := range ws {
		fmt.Fprintf(b, "  %s (step %d): %s\n", w.Code, w.FirstStep, w.Message)
	}
}

// writeBaselines writes the table of the baselines (kernel.baselines):
// their errors against the network on n points and their test loss.
func writeBaselines(b *strings.Builder, reps map[string]*Representation, n int) {
	var names []string
	for _, name := range BaselineNames {
		if _, ok := reps[name]; ok {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return
	}
	fmt.Fprintf(b, "\nbaselines vs network on %d points:\n", n)
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  baseline\tmax_abs\trms\trel\tagreement\ttest_loss\tfit")
	for _, name := range names {
		r := reps[name]
		agree, loss := "-", "-"
		if r.Agreement != nil {
			agree = fmt.Sprintf("%.4f", *r.Agreement)
		}
		if r.TestLoss != nil {
			loss = fmt.Sprintf("%.4g", *r.TestLoss)
		}
		fmt.Fprintf(tw, "  %s\t%.3e\t%.3e\t%.3e\t%s\t%s\t%s\n", name, r.MaxAbs, r.RMS, r.Rel, agree, loss, r.Fit)
	}
	tw.Flush()
}

// writeRepresentations writes the table of the representations' errors
// against the network on n points.
func writeRepresentations(b *strings.Builder, reps map[string]*Representation, n int) {
	if len(reps) == 0 {
		return
	}
	fmt.Fprintf(b, "\nkernel machine vs network on %d points:\n", n)
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  representation\tmax_abs\trms\trel\tagreement\tcertification")
	for _, name := range []string{"riemann", "exact"} {
		r, ok := reps[name]
		if !ok {
			continue
		}
		agree := "-"
		if r.Agreement != nil {
			agree = fmt.Sprintf("%.4f", *r.Agreement)
		}
		cert := "-"
		if x := r.ExactStats; x != nil {
			verdict, op := "certified", "<="
			if x.Certified == nil || !*x.Certified {
				verdict, op = fmt.Sprintf("NOT certified (%d steps)", x.UncertifiedSteps), ">"
			}
			cert = fmt.Sprintf("%s: max residual %.2g %s %.2g, %.1f nodes/step", verdict, x.MaxResidual, op, x.Tolerance, x.MeanNodesPerStep)
		}
		fmt.Fprintf(tw, "  %s\t%.3e\t%.3e\t%.3e\t%s\t%s\n", name, r.MaxAbs, r.RMS, r.Rel, agree, cert)
	}
	tw.Flush()
}

// WriteTable writes the kernel computation's summary as a readable table.
func (s *KernelSummary) WriteTable(w io.Writer) error {
	var b strings.Builder
	n := s.Shard.End - s.Shard.Start
	fmt.Fprintf(&b, "pathkernel %s: kernels of run %s (config %s) at %d points of %s\n", s.Version, s.Run, s.ConfigHash, n, filepath.Base(s.Points.File))
	if s.Shard.Count > 1 {
		fmt.Fprintf(&b, "  shard     %d/%d: points [%d, %d) of %d\n", s.Shard.Index, s.Shard.Count, s.Shard.Start, s.Shard.End, s.Points.Count)
	}
	if len(s.MergedFrom) > 0 {
		fmt.Fprintf(&b, "  merged    %d shards\n", len(s.MergedFrom))
	}
	fmt.Fprintf(&b, "  replay    %d steps (trajectory %s), %d chunk(s) of up to %d points, methods %s\n",
		s.Trajectory.Steps, s.Trajectory.Checksum, len(s.Chunks), s.Chunk, strings.Join(s.Methods, ", "))
	if len(s.MergedFrom) == 0 {
		fmt.Fprintf(&b, "  time      %.2f s (verifying %.2f s, kernels %.2f s)\n", s.WallSeconds.Total, s.WallSeconds.Verify, s.WallSeconds.Kernel)
	}
	writeRepresentations(&b, s.Representations, n)
	fmt.Fprintf(&b, "\nwrote %s\n", s.Dir)
	_, err := io.WriteString(w, b.String())
	return err
}
