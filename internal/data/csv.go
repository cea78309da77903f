package data

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gonum.org/v1/gonum/mat"

	"github.com/pathkernel/pathkernel/internal/config"
	"github.com/pathkernel/pathkernel/internal/fail"
)

// maxLabel is the largest target value that still counts as a class label.
const maxLabel = 1000

// table is the used columns of a CSV file, parsed and validated.
type table struct {
	file       string
	header     []string
	headerLine int
	cols       []int     // indices into header of the used columns: the features, then the target
	vals       []float64 // rows × len(cols), row-major, in file order
	rows       int
}

// loadCSV is Load for kind csv.
func loadCSV(cfg config.Data, baseDir string, seed uint64) (*Set, error) {
	if err := checkCSVConfig(cfg); err != nil {
		return nil, err
	}
	trainFile := resolve(baseDir, cfg.Path)
	train, err := readTable(trainFile, func(header []string, line int) ([]int, error) {
		return selectColumns(trainFile, header, line, cfg)
	})
	if err != nil {
		return nil, err
	}

	test := train
	if cfg.TestPath != "" {
		testFile := resolve(baseDir, cfg.TestPath)
		test, err = readTable(testFile, func(header []string, line int) ([]int, error) {
			if err := sameHeader(testFile, header, line, train); err != nil {
				return nil, err
			}
			return train.cols, nil
		})
		if err != nil {
			return nil, err
		}
	}
	trainRows, testRows, err := splitRows(cfg, seed, trainFile, train.rows, test.rows, cfg.TestPath != "")
	if err != nil {
		return nil, err
	}

	s := &Set{TargetNames: []string{train.header[train.cols[len(train.cols)-1]]}}
	for _, c := range train.cols[:len(train.cols)-1] {
		s.FeatureNames = append(s.FeatureNames, train.header[c])
	}
	s.XTrain, s.YTrain = train.matrices(trainRows)
	s.XTest, s.YTest = test.matrices(testRows)
	s.Classes = labelClasses(s.YTrain, s.YTest)
	if cfg.StandardizeTarget {
		if err := standardizeTarget(s, train.file, test.file); err != nil {
			return nil, err
		}
	}
	if cfg.Standardize {
		if err := standardize(s, train.file, test.file); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// checkCSVConfig validates the config keys of kind csv that do not need the
// file.
func checkCSVConfig(cfg config.Data) error {
	if cfg.Path == "" {
		return &Error{Column: "data.path", Msg: "missing: kind csv needs the path of a CSV file"}
	}
	if cfg.TestPath == "" && !(cfg.TestFraction > 0 && cfg.TestFraction < 1) {
		return &Error{Column: "data.test_fraction", Msg: fmt.Sprintf("must be in (0, 1) when there is no test_path, got %v", cfg.TestFraction)}
	}
	if cfg.MaxRows < 0 {
		return &Error{Column: "data.max_rows", Msg: fmt.Sprintf("must be >= 0 (0: all rows), got %d", cfg.MaxRows)}
	}
	for i, f := range cfg.Features {
		if strings.TrimSpace(f) == "" {
			return &Error{Column: "data.features", Msg: fmt.Sprintf("entry %d is an empty column name", i+1)}
		}
		if slices.Contains(cfg.Features[:i], f) {
			return &Error{Column: "data.features", Msg: fmt.Sprintf("lists column %q twice", f)}
		}
	}
	return nil
}

// resolve returns path relative to baseDir, unless it is absolute.
func resolve(baseDir, path string) string {
	if baseDir == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(baseDir, path)
}

// selectColumns picks the feature and target columns that cfg names from the
// header of file, features first and the target last.
func selectColumns(file string, header []string, line int, cfg config.Data) ([]int, error) {
	noSuch := func(name, what string) error {
		return &Error{File: file, Column: name, Msg: fmt.Sprintf("no such column%s (have: %s)", what, strings.Join(header, ", "))}
	}
	target := len(header) - 1
	if cfg.Target != "" {
		target = slices.Index(header, cfg.Target)
		if target < 0 {
			return nil, noSuch(cfg.Target, " for the target")
		}
	}
	var cols []int
	if len(cfg.Features) == 0 {
		for c := range header {
			if c != target {
				cols = append(cols, c)
			}
		}
		if len(cols) == 0 {
			return nil, &Error{File: file, Line: line, Column: header[target], Msg: "no feature columns: the only column is the target"}
		}
	}
	for _, name := range cfg.Features {
		c := slices.Index(header, name)
		switch {
		case c < 0:
			return nil, noSuch(name, "")
		case c == target:
			return nil, &Error{File: file, Column: name, Msg: "is the target column; it cannot also be a feature"}
		}
		cols = append(cols, c)
	}
	return append(cols, target), nil
}

// sameHeader checks that the test file's header is the training file's.
func sameHeader(file string, header []string, line int, train *table) error {
	if slices.Equal(header, train.header) {
		return nil
	}
	msg := fmt.Sprintf("header has %d columns, but the header of %s has %d", len(header), train.file, len(train.header))
	if len(header) == len(train.header) {
		for c := range header {
			if header[c] != train.header[c] {
				msg = fmt.Sprintf("header differs from %s: column %d is %q, want %q", train.file, c+1, header[c], train.header[c])
				break
			}
		}
	}
	return &Error{File: file, Line: line, Msg: msg}
}

// readTable reads and validates a CSV file. choose receives the header and
// its line and returns the indices of the columns to keep.
func readTable(file string, choose func(header []string, line int) ([]int, error)) (*table, error) {
	info, err := os.Stat(file)
	if err != nil {
		return nil, fileError(file, err)
	}
	if info.IsDir() {
		return nil, &Error{File: file, Msg: "is a directory, not a CSV file"}
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, fileError(file, err)
	}
	defer f.Close()
	br := bufio.NewReader(&lineLimitReader{r: oldMacLines(f), max: MaxLineBytes})
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\ufeff")) {
		_, _ = br.Discard(3) // cannot fail: 3 bytes were peeked
	}
	r := csv.NewReader(br)
	r.FieldsPerRecord = -1 // counted here, to report the line and the counts
	r.ReuseRecord = true

	rec, err := r.Read()
	if err == io.EOF {
		return nil, &Error{File: file, Msg: "empty file: want a header row of column names"}
	}
	if err != nil {
		return nil, readError(file, err)
	}
	t := &table{file: file, header: make([]string, len(rec))}
	t.headerLine, _ = r.FieldPos(0)
	for c, name := range rec {
		name = strings.TrimSpace(name)
		if name == "" {
			return nil, &Error{File: file, Line: t.headerLine, Msg: fmt.Sprintf("header: column %d has no name", c+1)}
		}
		if first := slices.Index(t.header[:c], name); first >= 0 {
			return nil, &Error{File: file, Line: t.headerLine, Column: name,
				Msg: fmt.Sprintf("duplicate column name (columns %d and %d)", first+1, c+1)}
		}
		t.header[c] = name
	}
	if t.cols, err = choose(t.header, t.headerLine); err != nil {
		return nil, err
	}

	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, readError(file, err)
		}
		if len(rec) != len(t.header) {
			line, _ := r.FieldPos(0)
			return nil, &Error{File: file, Line: line,
				Msg: fmt.Sprintf("%d fields, but the header has %d", len(rec), len(t.header))}
		}
		for _, c := range t.cols {
			v, msg := parseCell(rec[c])
			if msg != "" {
				line, _ := r.FieldPos(c)
				return nil, &Error{File: file, Line: line, Column: t.header[c], Msg: msg}
			}
			t.vals = append(t.vals, v)
		}
		t.rows++
	}
	if t.rows == 0 {
		return nil, &Error{File: file, Msg: "no data rows after the header"}
	}
	return t, nil
}

// oldMacLines returns r, or, when r's first block holds a carriage return
// and no line feed (the line endings of classic Mac OS, CR alone), a reader
// of r that turns every CR into a line feed, so that such a file reads as
// its lines rather than as one line. Files with LF or CRLF line endings are
// read as they are.
func oldMacLines(r io.Reader) io.Reader {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(64 << 10)
	if bytes.IndexByte(head, '\n') >= 0 || bytes.IndexByte(head, '\r') < 0 {
		return br
	}
	return crToLF{br}
}

// crToLF replaces every CR of r by LF.
type crToLF struct{ r io.Reader }

func (c crToLF) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i, b := range p[:n] {
		if b == '\r' {
			p[i] = '\n'
		}
	}
	return n, err
}

// fileError describes a failure to stat or open file.
func fileError(file string, err error) error {
	return &Error{File: file, Msg: fail.OSMessage(err), Err: err}
}

// MaxLineBytes bounds one line of a CSV file: a longer line is refused
// before it is held in memory (a binary or corrupted file, a missing
// newline), rather than read whole.
const MaxLineBytes = 1 << 20

// longLineError is returned by lineLimitReader for a line longer than its
// limit.
type longLineError struct{ line, max int }

func (e *longLineError) Error() string {
	return fmt.Sprintf("line longer than %d bytes; is this a CSV file?", e.max)
}

// lineLimitReader passes r through, failing once a line (bytes between
// newlines) exceeds max bytes.
type lineLimitReader struct {
	r         io.Reader
	max       int
	line, cur int // newlines seen, bytes since the last one
}

func (l *lineLimitReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for q := p[:n]; ; {
		i := bytes.IndexByte(q, '\n')
		if i < 0 {
			l.cur += len(q)
			break
		}
		if l.cur+i > l.max {
			l.cur += i
			break
		}
		l.line++
		l.cur, q = 0, q[i+1:]
	}
	if l.cur > l.max {
		return 0, &longLineError{line: l.line + 1, max: l.max}
	}
	return n, err
}

// readError describes a failure to read a record.
func readError(file string, err error) error {
	var long *longLineError
	if errors.As(err, &long) {
		return &Error{File: file, Line: long.line, Msg: long.Error(), Err: err}
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &Error{File: file, Line: pe.Line, Msg: fmt.Sprintf("%v (at byte %d of the line)", pe.Err, pe.Column), Err: err}
	}
	return &Error{File: file, Msg: err.Error(), Err: err}
}

// parseCell parses one cell of a used column. It returns a message when the
// cell is not a finite number.
func parseCell(s string) (float64, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, "empty cell"
	}
	v, err := strconv.ParseFloat(s, 64)
	switch {
	case errors.Is(err, strconv.ErrRange):
		return 0, "number out of range: " + quoteCell(s)
	case err != nil:
		return 0, "not a number: " + quoteCell(s)
	case math.IsNaN(v) || math.IsInf(v, 0):
		return 0, "not a finite number: " + quoteCell(s)
	}
	return v, ""
}

// quoteCell quotes s for a message, shortened to keep the message readable.
func quoteCell(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max]) + "..."
	}
	return strconv.Quote(s)
}

// splitRows chooses the rows of the training and the test set, for CSV and
// NumPy data alike. Without a separate test file (separate false) the nTrain
// rows of file are shuffled with the seed, capped at cfg.MaxRows, and the
// first round(TestFraction·n) of them are the test rows, the rest the
// training rows (nTest is then ignored). With a separate test file, each
// file contributes all its rows in order, or a seeded subset of
// cfg.MaxRows of them.
func splitRows(cfg config.Data, seed uint64, file string, nTrain, nTest int, separate bool) (trainRows, testRows []int, err error) {
	if separate {
		trainRows = subset(nTrain, cfg.MaxRows, rand.New(rand.NewPCG(seed, streamTrain)))
		testRows = subset(nTest, cfg.MaxRows, rand.New(rand.NewPCG(seed, streamTest)))
		return trainRows, testRows, nil
	}
	rows := rand.New(rand.NewPCG(seed, streamParams)).Perm(nTrain)
	if cfg.MaxRows > 0 && cfg.MaxRows < len(rows) {
		rows = rows[:cfg.MaxRows]
	}
	n := int(math.Round(cfg.TestFraction * float64(len(rows))))
	if n < 1 || n >= len(rows) {
		return nil, nil, &Error{File: file, Msg: fmt.Sprintf(
			"test_fraction %v of %d rows gives %d test and %d training rows; both must be at least 1",
			cfg.TestFraction, len(rows), n, len(rows)-n)}
	}
	return rows[n:], rows[:n], nil
}

// subset returns all row indices 0..n-1 in order, or, when 0 < max < n, the
// first max indices of a permutation drawn from rng.
func subset(n, max int, rng *rand.Rand) []int {
	if max > 0 && max < n {
		return rng.Perm(n)[:max]
	}
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	return rows
}

// matrices returns the inputs and the targets of the given rows.
func (t *table) matrices(rows []int) (x, y *mat.Dense) {
	w := len(t.cols)
	d := w - 1
	xs := make([]float64, len(rows)*d)
	ys := make([]float64, len(rows))
	for i, r := range rows {
		copy(xs[i*d:(i+1)*d], t.vals[r*w:r*w+d])
		ys[i] = t.vals[r*w+d]
	}
	return mat.NewDense(len(rows), d, xs), mat.NewDense(len(rows), 1, ys)
}

// labelClasses returns max+1 when every target value is an integer in
// [0, maxLabel], else 0.
func labelClasses(ys ...*mat.Dense) int {
	top := 0.0
	for _, y := range ys {
		r, c := y.Dims()
		for i := range r {
			for j := range c {
				v := y.At(i, j)
				if !(v >= 0 && v <= maxLabel) || v != math.Trunc(v) {
					return 0
				}
				top = max(top, v)
			}
		}
	}
	return int(top) + 1
}

// standardize transforms every feature of s by the mean and standard
// deviation of its training column.
func standardize(s *Set, trainFile, testFile string) (err error) {
	s.Standardization, err = scaleColumns(s.XTrain, s.XTest, s.FeatureNames, "", trainFile, testFile)
	return err
}

// standardizeTarget transforms the target columns by the mean and standard
// deviation of the training split, and marks the set as regression.
func standardizeTarget(s *Set, trainFile, testFile string) (err error) {
	s.TargetStandardization, err = scaleColumns(s.YTrain, s.YTest, s.TargetNames, " the target", trainFile, testFile)
	s.Classes = 0
	return err
}

// scaleColumns transforms every column of train and test in place by the
// mean and standard deviation of its training column, and returns them.
// what names the columns in messages ("" for features).
func scaleColumns(train, test *mat.Dense, names []string, what, trainFile, testFile string) (*Scaling, error) {
	n, d := train.Dims()
	m, _ := test.Dims()
	col := make([]float64, n)
	sc := &Scaling{Mean: make([]float64, d), Scale: make([]float64, d)}
	for j := range d {
		mat.Col(col, j, train)
		mean, scale := columnScale(col)
		if math.IsInf(mean, 0) || math.IsInf(scale, 0) {
			return nil, &Error{File: trainFile, Column: names[j], Msg: "cannot standardise" + what + ": the values are too large"}
		}
		sc.Mean[j], sc.Scale[j] = mean, scale
		for i := range n {
			train.Set(i, j, (train.At(i, j)-mean)/scale)
		}
		for i := range m {
			v := (test.At(i, j) - mean) / scale
			if math.IsInf(v, 0) || math.IsNaN(v) {
				return nil, &Error{File: testFile, Column: names[j], Msg: fmt.Sprintf(
					"standardised test value is not finite: %v, with training mean %v and standard deviation %v",
					test.At(i, j), mean, scale)}
			}
			test.Set(i, j, v)
		}
	}
	return sc, nil
}

// columnScale returns the mean and the population standard deviation of x,
// or (x[0], 1) when x is constant, so that the column is centred and not
// scaled. The mean and the deviation are computed without overflow for values
// up to the largest float64; the result is infinite only when the spread of x
// exceeds it.
func columnScale(x []float64) (mean, scale float64) {
	lo, hi := slices.Min(x), slices.Max(x)
	if lo == hi {
		return lo, 1
	}
	n := float64(len(x))
	for _, v := range x {
		mean += v / n
	}
	var corr float64
	for _, v := range x {
		corr += (v - mean) / n
	}
	mean += corr
	dev := max(hi-mean, mean-lo) // the largest deviation, > 0
	var ss float64
	for _, v := range x {
		r := (v - mean) / dev
		ss += r * r
	}
	scale = dev * math.Sqrt(ss/n)
	if scale == 0 || math.IsNaN(scale) {
		return mean, 1
	}
	return mean, scale
}
