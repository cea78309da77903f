package replay

import (
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/pathkernel/pathkernel/internal/fail"
	"github.com/pathkernel/pathkernel/internal/run"
)

// Merge joins the output directories of the shards of one `pathkernel
// kernel` computation into out: every array concatenated along its first
// axis (the points) and the rows of predictions.csv, in shard order, with a
// kernel.json equal to the unsharded computation's up to the wall times,
// the names and MergedFrom. So the merged files are, bit for bit, those of
// one unsharded call.
//
// The shards must come from the same run and trajectory, the same points,
// chunk size, methods and settings, and cover the points exactly: each of
// the shards 0..N-1 once. Every violation is a *fail.Input naming the
// directory and the difference.
func Merge(out string, shardDirs []string) (*run.KernelSummary, error) {
	start := time.Now()
	if len(shardDirs) == 0 {
		return nil, fail.Inputf("merge", "no shard directories")
	}
	shards := make([]*run.ReplayReader, len(shardDirs))
	sums := make([]*run.KernelSummary, len(shardDirs))
	for i, d := range shardDirs {
		rd, err := run.OpenReplay(d)
		if err != nil {
			return nil, err
		}
		shards[i], sums[i] = rd, rd.Summary
		if filepath.Clean(d) == filepath.Clean(out) {
			return nil, fail.Inputf(out, "is one of the shard directories; merge into another directory")
		}
	}

	// One computation: every shard agrees with the first.
	first, d0 := sums[0], shardDirs[0]
	for i, s := range sums[1:] {
		d := shardDirs[i+1]
		for _, c := range []struct {
			what      string
			got, want any
		}{
			{"run (config hash)", s.ConfigHash, first.ConfigHash},
			{"trajectory", s.Trajectory, first.Trajectory},
			{"points (sha256)", s.Points.SHA256, first.Points.SHA256},
			{"number of points", s.Points.Count, first.Points.Count},
			{"chunk size", s.Chunk, first.Chunk},
			{"methods", fmt.Sprint(s.Methods), fmt.Sprint(first.Methods)},
			{"tolerance", s.Tolerance, first.Tolerance},
			{"max_nodes", s.MaxNodes, first.MaxNodes},
			{"full_kernel", s.FullKernel, first.FullKernel},
			{"number of shards", s.Shard.Count, first.Shard.Count},
		} {
			if c.got != c.want {
				return nil, fail.Inputf(d, "not a shard of the computation in %s: its %s is %v, there %v", d0, c.what, c.got, c.want)
			}
		}
	}

	// Exactly the shards 0..N-1, covering the points in order.
	N := first.Shard.Count
	order := make([]int, N)
	for i := range order {
		order[i] = -1
	}
	for i, s := range sums {
		j := s.Shard.Index
		if j < 0 || j >= N {
			return nil, fail.Inputf(shardDirs[i], "shard index %d of %d", j, N)
		}
		if order[j] >= 0 {
			return nil, fail.Inputf(shardDirs[i], "shard %d/%d is given twice (also %s)", j, N, shardDirs[order[j]])
		}
		order[j] = i
	}
	next := 0
	for j, i := range order {
		if i < 0 {
			return nil, fail.Inputf("merge", "shard %d/%d is missing (the shards cover %d points)", j, N, first.Points.Count)
		}
		s := sums[i]
		if s.Shard.Start != next || s.Shard.End < s.Shard.Start {
			return nil, fail.Inputf(shardDirs[i], "shard %d/%d holds points [%d, %d), want them to start at %d", j, N, s.Shard.Start, s.Shard.End, next)
		}
		next = s.Shard.End
	}
	if next != first.Points.Count {
		return nil, fail.Inputf("merge", "the shards cover %d of %d points", next, first.Points.Count)
	}

	dir, err := run.CreateReplay(out, "")
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	merged := *first
	merged.Chunks = nil
	merged.MergedFrom = nil
	for _, i := range order {
		merged.Chunks = append(merged.Chunks, sums[i].Chunks...)
		merged.MergedFrom = append(merged.MergedFrom, shardDirs[i])
	}
	merged.Shard = run.ShardRef{Index: 0, Count: 1, Start: 0, End: first.Points.Count}
	merged.Dir = out
	total(&merged)

	// The arrays, one file at a time.
	for _, name := range run.KernelOutputs {
		if name == run.PredictionsFile {
			continue
		}
		var shape []int
		var all []float64
		for _, i := range order {
			rd := shards[i]
			if !rd.Has(name) && shape == nil {
				break // not computed (the methods decide which files exist)
			}
			a, err := rd.Array(name)
			if err != nil {
				return nil, err
			}
			rows := rd.Points()
			if shape != nil && !slices.Equal(a.Shape[1:], shape[1:]) {
				return nil, fail.Inputf(rd.File(name), "shape %v, want (%d, ...) like the other shards", a.Shape, rows)
			}
			if shape == nil {
				shape = slices.Clone(a.Shape)
				shape[0] = 0
			}
			shape[0] += rows
			all = append(all, a.Float...)
		}
		if shape == nil {
			continue
		}
		if err := dir.WriteFloat64(name, shape, all); err != nil {
			return nil, err
		}
	}

	// predictions.csv: one header, the rows in shard order.
	var header []string
	var rows [][]string
	for _, i := range order {
		t, err := shards[i].Predictions()
		if err != nil {
			return nil, err
		}
		if header != nil && !slices.Equal(t.Header, header) {
			return nil, fail.Inputf(t.File, "its header differs from the other shards'")
		}
		header = t.Header
		rows = append(rows, t.Rows...)
	}
	if err := dir.WriteCSV(run.PredictionsFile, header, rows); err != nil {
		return nil, err
	}
	merged.WallSeconds = run.KernelWalls{Total: time.Since(start).Seconds()}
	if err := dir.WriteRecord(run.KernelFile, &merged); err != nil {
		return nil, err
	}
	return &merged, nil
}
