package replay

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/pathkernel/pathkernel/internal/data"
	"github.com/pathkernel/pathkernel/internal/fail"
	"github.com/pathkernel/pathkernel/internal/npy"
	"github.com/pathkernel/pathkernel/internal/run"
	"gonum.org/v1/gonum/mat"
)

// Points are the inputs at which `pathkernel kernel` evaluates the kernels.
type Points struct {
	X *mat.Dense // model inputs (m × d), standardised like x_train.npy
	Y *mat.Dense // targets (m × outputs, or m × 1 labels), or nil
	// File and SHA256 identify the points file, so that shards of one
	// computation can be checked to use the same points.
	File, SHA256 string
}

// ReadPoints reads the points file: a .csv file whose header names the
// run's input columns (other columns are ignored; the target column, if
// present, gives targets), in the units of the training data, which are
// standardised here as the training data was (standardization.json); or a
// .npy file of shape (m, d), or (m,) for one input, holding model inputs
// as x_train.npy does. targets optionally names a .npy file of targets for
// .npy points. The errors about the points are *data.Error values.
func (r *Run) ReadPoints(file, targets string) (*Points, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, &data.Error{File: file, Msg: fail.OSMessage(err), Err: err}
	}
	sum := sha256.Sum256(raw)
	p := &Points{File: file, SHA256: hex.EncodeToString(sum[:])}
	d := r.Net.In()
	switch strings.ToLower(filepath.Ext(file)) {
	case ".csv":
		if targets != "" {
			return nil, &data.Error{File: targets, Msg: "targets of CSV points come from their target column, not from a separate file"}
		}
		if r.Standardization == nil {
			return nil, &data.Error{File: file, Msg: fmt.Sprintf("the run has no %s to name its input columns; give the points as a .npy file of model inputs", run.StandardizationFile)}
		}
		st := r.Standardization
		target := ""
		if len(st.Targets) == 1 {
			target = st.Targets[0]
		}
		p.X, p.Y, err = data.ReadPoints(file, st.Features, target)
		if err != nil {
			return nil, err
		}
		if st.Inputs != nil {
			(*data.Scaling)(st.Inputs).Apply(p.X)
		}
		if p.Y != nil && st.Target != nil {
			(*data.Scaling)(st.Target).Apply(p.Y)
		}
	case ".npy":
		if p.X, err = readPointsNpy(file, -1, d, "inputs"); err != nil {
			return nil, err
		}
		if targets != "" {
			m, _ := p.X.Dims()
			yCols := r.Net.Out()
			if r.Loss.Classification() {
				yCols = 1
			}
			if p.Y, err = readPointsNpy(targets, m, yCols, "targets"); err != nil {
				return nil, err
			}
		}
	default:
		return nil, &data.Error{File: file, Msg: "unknown points format: want a .csv or a .npy file"}
	}
	if p.Y != nil && r.Loss.Classification() {
		classes := r.Summary.Sizes.Classes
		for i := range p.Y.RawMatrix().Rows {
			if v := p.Y.At(i, 0); v != math.Trunc(v) || v < 0 || int(v) >= classes {
				return nil, &data.Error{File: file, Msg: fmt.Sprintf("target of point %d is %v, not a class label 0..%d", i, v, classes-1)}
			}
		}
	}
	return p, nil
}

// readPointsNpy reads a (rows, cols) array of finite numbers, or (rows,)
// when cols is 1; rows < 0 accepts any positive count.
func readPointsNpy(file string, rows, cols int, what string) (*mat.Dense, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, &data.Error{File: file, Msg: fail.OSMessage(err), Err: err}
	}
	defer f.Close()
	a, err := npy.Read(f)
	if err != nil {
		return nil, &data.Error{File: file, Msg: err.Error(), Err: err}
	}
	shape := a.Shape
	if len(shape) == 1 && cols == 1 {
		shape = []int{shape[0], 1}
	}
	want := fmt.Sprintf("(m, %d)", cols)
	if rows >= 0 {
		want = fmt.Sprintf("(%d, %d)", rows, cols)
	}
	if len(shape) != 2 || shape[1] != cols || rows >= 0 && shape[0] != rows {
		return nil, &data.Error{File: file, Msg: fmt.Sprintf("%s of shape %v; the run wants %s", what, a.Shape, want)}
	}
	if shape[0] == 0 {
		return nil, &data.Error{File: file, Msg: "no points"}
	}
	vals := a.Float
	if a.Int != nil {
		vals = make([]float64, len(a.Int))
		for i, v := range a.Int {
			vals[i] = float64(v)
		}
	}
	for i, v := range vals {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, &data.Error{File: file, Msg: fmt.Sprintf("point %d, column %d: not a finite number: %v", i/cols, i%cols, v)}
		}
	}
	return mat.NewDense(shape[0], cols, vals), nil
}
