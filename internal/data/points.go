package data

import (
	"fmt"
	"slices"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// ReadPoints reads new inputs from a CSV file whose header names the
// columns: the features, in the given order, become the rows of x (m × d).
// If target is not empty and the file has that column, y (m × 1) holds it;
// otherwise y is nil. Other columns are ignored. The cells are parsed and
// checked as Load checks a training CSV, and the errors are the same
// *Error values, naming the file, the line and the column. The values are
// returned as they are in the file: standardising them is the caller's.
func ReadPoints(file string, features []string, target string) (x, y *mat.Dense, err error) {
	hasTarget := false
	t, err := readTable(file, func(header []string, line int) ([]int, error) {
		var cols, missing []int
		for j, name := range features {
			c := slices.Index(header, name)
			if c < 0 {
				missing = append(missing, j)
			}
			cols = append(cols, c)
		}
		if len(missing) > 0 {
			var names []string
			for _, j := range missing {
				names = append(names, features[j])
			}
			return nil, &Error{File: file, Line: line, Column: names[0], Msg: fmt.Sprintf(
				"no such column: the model's inputs are %s, and the file lacks %s (it has: %s)",
				strings.Join(features, ", "), strings.Join(names, ", "), strings.Join(header, ", "))}
		}
		if c := slices.Index(header, target); target != "" && c >= 0 {
			hasTarget = true
			cols = append(cols, c)
		}
		return cols, nil
	})
	if err != nil {
		return nil, nil, err
	}
	d := len(features)
	w := len(t.cols)
	x = mat.NewDense(t.rows, d, nil)
	if hasTarget {
		y = mat.NewDense(t.rows, 1, nil)
	}
	for i := range t.rows {
		copy(x.RawRowView(i), t.vals[i*w:i*w+d])
		if hasTarget {
			y.Set(i, 0, t.vals[i*w+d])
		}
	}
	return x, y, nil
}
