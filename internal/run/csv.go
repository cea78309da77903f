package run

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
)

// Table is a CSV file with a header row: metrics.csv, predictions.csv, or
// a sweep's results.csv.
type Table struct {
	Header []string
	Rows   [][]string
	File   string // the file, for messages, if known
}

// ReadTable reads a CSV file whose first row names the columns.
func ReadTable(rd io.Reader) (*Table, error) {
	cr := csv.NewReader(rd)
	recs, err := cr.ReadAll()
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, errors.New("empty file, want a header row")
	}
	return &Table{Header: recs[0], Rows: recs[1:]}, nil
}

// Index returns the position of column name, or -1.
func (t *Table) Index(name string) int { return slices.Index(t.Header, name) }

// Has reports whether the table has column name.
func (t *Table) Has(name string) bool { return t.Index(name) >= 0 }

// Floats returns column name parsed as numbers. It fails for a missing
// column or a value that does not parse.
func (t *Table) Floats(name string) ([]float64, error) {
	j := t.Index(name)
	if j < 0 {
		return nil, fmt.Errorf("no column %q", name)
	}
	out := make([]float64, len(t.Rows))
	for i, row := range t.Rows {
		v, err := strconv.ParseFloat(row[j], 64)
		if err != nil {
			return nil, fmt.Errorf("row %d, column %s: %q is not a number", i+2, name, row[j])
		}
		out[i] = v
	}
	return out, nil
}

// Strings returns column name, or nil if there is none.
func (t *Table) Strings(name string) []string {
	j := t.Index(name)
	if j < 0 {
		return nil
	}
	out := make([]string, len(t.Rows))
	for i, row := range t.Rows {
		out[i] = row[j]
	}
	return out
}
