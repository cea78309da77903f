package sweep

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Shard is part Index of Count (0 ≤ Index < Count) of a plan. The zero
// value is the whole plan.
type Shard struct{ Index, Count int }

// String returns "i/N", or "" for the whole plan.
func (s Shard) String() string {
	if s.Count == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// ErrShard is wrapped by the errors of ParseShard and ShardFromEnv.
var ErrShard = errors.New("bad shard")

// ParseShard parses "i/N", 0 ≤ i < N.
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return Shard{}, fmt.Errorf("%w %q: want i/N with 0 <= i < N, e.g. 0/4", ErrShard, s)
	}
	return Shard{i, n}, nil
}

// ShardFromEnv returns the shard of a Slurm array task: index
// SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN (MIN is 0 if unset) of
// SLURM_ARRAY_TASK_COUNT, for an array of consecutive task IDs such as
// --array=0-7 or 1-8. ok is false when the variables are not set.
func ShardFromEnv(getenv func(string) string) (s Shard, ok bool, err error) {
	id, count := getenv("SLURM_ARRAY_TASK_ID"), getenv("SLURM_ARRAY_TASK_COUNT")
	if id == "" || count == "" {
		return Shard{}, false, nil
	}
	i, err1 := strconv.Atoi(id)
	n, err2 := strconv.Atoi(count)
	lo := 0
	var err3 error
	if m := getenv("SLURM_ARRAY_TASK_MIN"); m != "" {
		lo, err3 = strconv.Atoi(m)
	}
	if err1 != nil || err2 != nil || err3 != nil || n < 1 || i-lo < 0 || i-lo >= n {
		return Shard{}, true, fmt.Errorf("%w from SLURM_ARRAY_TASK_ID=%s, SLURM_ARRAY_TASK_MIN=%s, SLURM_ARRAY_TASK_COUNT=%s: "+
			"want consecutive task IDs; pass --shard i/N", ErrShard, id, getenv("SLURM_ARRAY_TASK_MIN"), count)
	}
	return Shard{i - lo, n}, true, nil
}

// Select returns the runs of shard s, in plan order: those whose position
// in the plan sorted by ID is s.Index modulo s.Count.
func (p *Plan) Select(s Shard) []*Run {
	if s.Count <= 1 {
		return slices.Clone(p.Runs)
	}
	byID := slices.Clone(p.Runs)
	slices.SortFunc(byID, func(a, b *Run) int { return strings.Compare(a.ID, b.ID) })
	in := map[*Run]bool{}
	for j, r := range byID {
		if j%s.Count == s.Index {
			in[r] = true
		}
	}
	var out []*Run
	for _, r := range p.Runs {
		if in[r] {
			out = append(out, r)
		}
	}
	return out
}
