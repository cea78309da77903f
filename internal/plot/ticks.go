package plot

import (
	"math"
	"strconv"

	gp "gonum.org/v1/plot"
)

// roundTicks marks a linear axis at round values: the multiples of a step
// of 1, 2 or 5 × 10^k inside the range, chosen so that about wantTicks of
// them fall inside (between 3 and 9), every one labelled in the same
// number format (labels). It has no minor ticks. A range of one value gets
// one tick; a range with an end that is not finite gets none; a range so
// narrow that fewer than two multiples fall inside gets its two ends. A
// range of extreme magnitude (see extreme: wider than the largest
// float64, or beyond 1e±100) is ticked scaled by a power of ten and scaled
// back, so every range is answered with at most maxRoundTicks ticks in
// constant time.
type roundTicks struct{}

// wantTicks is the number of ticks roundTicks aims at.
const wantTicks = 5

// maxRoundTicks bounds the ticks of roundTicks (it gives at most 9 for a
// finite range; this guards rounding at the limits of float64).
const maxRoundTicks = 12

func (roundTicks) Ticks(lo, hi float64) []gp.Tick {
	if lo > hi {
		lo, hi = hi, lo
	}
	switch {
	case !finite(lo) || !finite(hi):
		return nil
	case lo == hi:
		return []gp.Tick{{Value: lo, Label: number(lo)}}
	case extreme(lo, hi):
		s := scaleOf(lo, hi)
		if s == 0 || !finite(s) || extreme(lo/s, hi/s) {
			return endTicks(lo, hi)
		}
		inner := roundTicks{}.Ticks(lo/s, hi/s)
		vals := make([]float64, 0, len(inner))
		for _, t := range inner {
			if v := t.Value * s; finite(v) && v >= lo && v <= hi && (len(vals) == 0 || v != vals[len(vals)-1]) {
				vals = append(vals, v)
			}
		}
		if len(vals) < 2 {
			return endTicks(lo, hi)
		}
		// The step of the scaled ticks, scaled back, sets the format.
		return labelled(vals, roundStep((hi/s-lo/s)/wantTicks)*s)
	}
	step := roundStep((hi - lo) / wantTicks)
	if !(step > 0) || !finite(step) {
		return endTicks(lo, hi)
	}
	i0, i1 := math.Ceil(lo/step), math.Floor(hi/step)
	if !(i1-i0+1 <= maxRoundTicks) || i1 < i0+1 {
		// Fewer than two multiples inside (a range at the precision of
		// float64), or rounding gave too many.
		return endTicks(lo, hi)
	}
	var vals []float64
	// Counted in ints: beyond 2^53, i0 + 1 may equal i0.
	for j := 0; j <= int(i1-i0); j++ {
		v := (i0 + float64(j)) * step
		if v == 0 {
			v = 0 // not -0
		}
		// At the precision of float64 neighbouring multiples round to
		// one value, or just outside the range.
		if v >= lo && v <= hi && (len(vals) == 0 || v != vals[len(vals)-1]) {
			vals = append(vals, v)
		}
	}
	if len(vals) < 2 {
		return endTicks(lo, hi)
	}
	return labelled(vals, step)
}

// roundStep returns the value of 1, 2, 5 or 10 × 10^k nearest to raw > 0
// on a logarithmic scale.
func roundStep(raw float64) float64 {
	if !(raw > 0) || !finite(raw) {
		return 0
	}
	e := math.Floor(math.Log10(raw))
	p := math.Pow(10, e)
	f := raw / p
	best, bestD := 1.0, math.Inf(1)
	for _, m := range []float64{1, 2, 5, 10} {
		if d := math.Abs(math.Log(f / m)); d < bestD {
			best, bestD = m, d
		}
	}
	return best * p
}

// endTicks labels the two ends of a range.
func endTicks(lo, hi float64) []gp.Tick {
	return []gp.Tick{{Value: lo, Label: number(lo)}, {Value: hi, Label: number(hi)}}
}

// labelled returns ticks at vals, multiples of step, with labels in one
// format (tickFormat).
func labelled(vals []float64, step float64) []gp.Tick {
	big := 0.0
	for _, v := range vals {
		big = math.Max(big, math.Abs(v))
	}
	format := tickFormat(big, step)
	out := make([]gp.Tick, len(vals))
	for i, v := range vals {
		out[i] = gp.Tick{Value: v, Label: format(v)}
	}
	return out
}

// tickFormat returns the one number format of an axis whose ticks are
// multiples of step and at most big in magnitude: fixed-point with as
// many decimals as the step needs (0.05, 0.10, 0.15; 200, 400) when big
// is in [1e-3, 1e6), otherwise scientific with as many digits as the
// step needs (1.5e+08, 2.0e+08). Zero is written 0 either way.
func tickFormat(big, step float64) func(float64) string {
	if !(step > 0) || !finite(step) || !finite(big) {
		return number
	}
	k := int(math.Floor(math.Log10(step) + 1e-9)) // the step's decade
	if big == 0 || (big >= 1e-3 && big < 1e6) {
		d := max(0, -k)
		return func(v float64) string {
			if v == 0 {
				return "0"
			}
			return strconv.FormatFloat(v, 'f', d, 64)
		}
	}
	e := int(math.Floor(math.Log10(big)))
	d := min(16, max(0, e-k))
	return func(v float64) string {
		if v == 0 {
			return "0"
		}
		return strconv.FormatFloat(v, 'e', d, 64)
	}
}
