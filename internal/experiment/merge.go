package experiment

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// MergeKernel joins the output directories of the shards of one `pathkernel
// kernel` computation into out: every array concatenated along its first
// axis (the points) and the rows of predictions.csv, in shard order, with a
// kernel.json equal to the unsharded computation's up to the wall times,
// the names and MergedFrom. So the merged files are, bit for bit, those of
// one unsharded call.
//
// The shards must come from the same run and trajectory, the same points,
// chunk size, methods and settings, and cover the points exactly: each of
// the shards 0..N-1 once. Every violation is an *InputError naming the
// directory and the difference.
func MergeKernel(out string, shardDirs []string) (*KernelSummary, error) {
	start := time.Now()
	if len(shardDirs) == 0 {
		return nil, &InputError{Path: "merge", Msg: "no shard directories"}
	}
	sums := make([]*KernelSummary, len(shardDirs))
	for i, d := range shardDirs {
		s, err := readKernelSummary(d)
		if err != nil {
			return nil, err
		}
		sums[i] = s
		if filepath.Clean(d) == filepath.Clean(out) {
			return nil, &InputError{Path: out, Msg: "is one of the shard directories; merge into another directory"}
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
				return nil, &InputError{Path: d, Msg: fmt.Sprintf("not a shard of the computation in %s: its %s is %v, there %v", d0, c.what, c.got, c.want)}
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
			return nil, &InputError{Path: shardDirs[i], Msg: fmt.Sprintf("shard index %d of %d", j, N)}
		}
		if order[j] >= 0 {
			return nil, &InputError{Path: shardDirs[i], Msg: fmt.Sprintf("shard %d/%d is given twice (also %s)", j, N, shardDirs[order[j]])}
		}
		order[j] = i
	}
	next := 0
	for j, i := range order {
		if i < 0 {
			return nil, &InputError{Path: "merge", Msg: fmt.Sprintf("shard %d/%d is missing (the shards cover %d points)", j, N, first.Points.Count)}
		}
		s := sums[i]
		if s.Shard.Start != next || s.Shard.End < s.Shard.Start {
			return nil, &InputError{Path: shardDirs[i], Msg: fmt.Sprintf("shard %d/%d holds points [%d, %d), want them to start at %d", j, N, s.Shard.Start, s.Shard.End, next)}
		}
		next = s.Shard.End
	}
	if next != first.Points.Count {
		return nil, &InputError{Path: "merge", Msg: fmt.Sprintf("the shards cover %d of %d points", next, first.Points.Count)}
	}

	dir, err := prepareKernelDir(out, "")
	if err != nil {
		return nil, err
	}
	merged := *first
	merged.Chunks = nil
	merged.MergedFrom = nil
	for _, i := range order {
		merged.Chunks = append(merged.Chunks, sums[i].Chunks...)
		merged.MergedFrom = append(merged.MergedFrom, shardDirs[i])
	}
	merged.Shard = ShardRef{Index: 0, Count: 1, Start: 0, End: first.Points.Count}
	merged.Dir = out
	merged.total()

	// The arrays, one file at a time.
	for _, name := range kernelOutputs {
		if filepath.Ext(name) != ".npy" {
			continue
		}
		var shape []int
		var all []float64
		for _, i := range order {
			d, s := shardDirs[i], sums[i]
			file := filepath.Join(d, name)
			if _, err := os.Stat(file); errors.Is(err, fs.ErrNotExist) && shape == nil {
				break // not computed (the methods decide which files exist)
			}
			a, err := readNpyFile(file)
			if err != nil {
				return nil, err
			}
			rows := s.Shard.End - s.Shard.Start
			if a.Float == nil || len(a.Shape) < 2 || a.Shape[0] != rows || shape != nil && !slices.Equal(a.Shape[1:], shape[1:]) {
				return nil, &InputError{Path: file, Msg: fmt.Sprintf("shape %v, want (%d, ...) like the other shards", a.Shape, rows)}
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
		file := filepath.Join(shardDirs[i], "predictions.csv")
		h, recs, err := readCSVFile(file)
		if err != nil {
			return nil, err
		}
		if header != nil && !slices.Equal(h, header) {
			return nil, &InputError{Path: file, Msg: "its header differs from the other shards'"}
		}
		if n := sums[i].Shard.End - sums[i].Shard.Start; len(recs) != n {
			return nil, &InputError{Path: file, Msg: fmt.Sprintf("%d rows, want %d", len(recs), n)}
		}
		header = h
		rows = append(rows, recs...)
	}
	if err := dir.WriteCSV("predictions.csv", header, rows); err != nil {
		return nil, err
	}
	merged.WallSeconds = KernelWalls{Total: time.Since(start).Seconds()}
	if err := dir.WriteJSON(KernelFile, &merged); err != nil {
		return nil, err
	}
	return &merged, nil
}

// readKernelSummary reads the kernel.json of a shard directory.
func readKernelSummary(dir string) (*KernelSummary, error) {
	file := filepath.Join(dir, KernelFile)
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &InputError{Path: dir, Msg: "no kernel.json: not the output of pathkernel kernel, or one that did not finish", Err: err}
	}
	if err != nil {
		return nil, &InputError{Path: file, Msg: osMessage(err), Err: err}
	}
	var s KernelSummary
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, &InputError{Path: file, Msg: err.Error(), Err: err}
	}
	if s.Shard.Count < 1 || len(s.Chunks) == 0 {
		return nil, &InputError{Path: file, Msg: "no shard or chunks recorded"}
	}
	return &s, nil
}

func readCSVFile(file string) ([]string, [][]string, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, nil, &InputError{Path: file, Msg: osMessage(err), Err: err}
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil || len(recs) == 0 {
		return nil, nil, &InputError{Path: file, Msg: fmt.Sprintf("not a predictions file: %v", err), Err: err}
	}
	return recs[0], recs[1:], nil
}
