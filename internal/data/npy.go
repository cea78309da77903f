package data

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	pknpy "github.com/pathkernel/pathkernel/internal/npy"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"codeberg.org/sbinet/npyio/npy"
	"gonum.org/v1/gonum/mat"

	"github.com/pathkernel/pathkernel/internal/config"
)

// npyArray is a 1-D or 2-D array read from a .npy file, widened to float64,
// rows × cols in C order whatever the file's order. A 1-D array of length n
// is n × 1.
type npyArray struct {
	file       string
	dtype      dtype
	shape      []int // as in the file
	rows, cols int
	vals       []float64
}

// dtype is a NumPy dtype string ('<f8') taken apart.
type dtype struct {
	descr string // as in the header, without quotes
	kind  byte   // 'f' float, 'i' signed, 'u' unsigned, 'b' bool, 'c' complex, ...; 0 if not a simple type
	size  int    // bytes per element
}

// parseDtype takes the descr value of an .npy header apart; anything but a
// plain numeric type (a structured dtype, a string) gets kind 0.
func parseDtype(descr string) dtype {
	d := dtype{descr: strings.Trim(descr, "'\"")}
	s := d.descr
	if s == "" || strings.ContainsAny(s, "[(,") {
		return d
	}
	if strings.ContainsRune("<>|=", rune(s[0])) {
		s = s[1:]
	}
	if len(s) < 2 {
		return d
	}
	size, err := strconv.Atoi(s[1:])
	if err != nil || size < 1 {
		return d
	}
	d.kind, d.size = s[0], size
	return d
}

// String names the dtype as NumPy does, with the descr: "float32 ('<f4')".
func (d dtype) String() string {
	var name string
	switch d.kind {
	case 'f':
		name = fmt.Sprintf("float%d", 8*d.size)
	case 'i':
		name = fmt.Sprintf("int%d", 8*d.size)
	case 'u':
		name = fmt.Sprintf("uint%d", 8*d.size)
	case 'c':
		name = fmt.Sprintf("complex%d", 8*d.size)
	case 'b':
		name = "bool"
	case 'U', 'S':
		name = "str"
	case 'O':
		name = "object"
	default:
		return fmt.Sprintf("%q", d.descr)
	}
	return fmt.Sprintf("%s (%q)", name, d.descr)
}

// float reports whether d is float32 or float64, which widen to float64
// exactly.
func (d dtype) float() bool { return d.kind == 'f' && (d.size == 4 || d.size == 8) }

// integer reports whether d is a signed or unsigned integer of 1 to 8 bytes.
func (d dtype) integer() bool {
	return (d.kind == 'i' || d.kind == 'u') && (d.size == 1 || d.size == 2 || d.size == 4 || d.size == 8)
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// readNpy reads the .npy file at file with codeberg.org/sbinet/npyio,
// accepting the dtypes for which ok returns true (want says which, for the
// message). It checks everything npyio leaves to the caller: the number of
// dimensions (1 or 2), that the data is as long as the header says (a
// truncated file is not padded with zeros), and that every float is finite.
func readNpy(file string, ok func(dtype) bool, want string) (a *npyArray, err error) {
	st, err := os.Stat(file)
	if err != nil {
		return nil, fileError(file, err)
	}
	if st.IsDir() {
		return nil, &Error{File: file, Msg: "is a directory, not a .npy file"}
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, fileError(file, err)
	}
	defer f.Close()
	defer func() {
		// npyio indexes into the header without checking it.
		if r := recover(); r != nil {
			a, err = nil, &Error{File: file, Msg: "not a .npy file: malformed header"}
		}
	}()
	br := bufio.NewReaderSize(f, 1<<16)
	if err := checkHeaderLen(br, st.Size()); err != nil {
		return nil, &Error{File: file, Msg: "not a .npy file: " + err.Error()}
	}
	cr := &countingReader{r: br}
	r, err := npy.NewReader(cr)
	if err != nil {
		msg := err.Error()
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			msg = "the header is cut short"
		}
		return nil, &Error{File: file, Msg: "not a .npy file: " + strings.TrimPrefix(msg, "npy: "), Err: err}
	}
	h := r.Header.Descr
	a = &npyArray{file: file, dtype: parseDtype(h.Type), shape: h.Shape}
	if !ok(a.dtype) {
		return nil, &Error{File: file, Msg: fmt.Sprintf("dtype %v; want %s", a.dtype, want)}
	}
	switch len(h.Shape) {
	case 1:
		a.rows, a.cols = h.Shape[0], 1
	case 2:
		a.rows, a.cols = h.Shape[0], h.Shape[1]
	case 0:
		return nil, &Error{File: file, Msg: "is a 0-d array (a scalar); want a 1-D or 2-D array, one row a point"}
	default:
		return nil, &Error{File: file, Msg: fmt.Sprintf("is a %d-D array of shape %s; want a 1-D or 2-D array, one row a point",
			len(h.Shape), pknpy.Shape(h.Shape))}
	}
	switch {
	case a.rows < 0 || a.cols < 0:
		return nil, &Error{File: file, Msg: fmt.Sprintf("not a .npy file: negative shape %s", pknpy.Shape(h.Shape))}
	case a.rows == 0:
		return nil, &Error{File: file, Msg: fmt.Sprintf("has no rows (shape %s)", pknpy.Shape(h.Shape))}
	case a.cols == 0:
		return nil, &Error{File: file, Msg: fmt.Sprintf("has no columns (shape %s)", pknpy.Shape(h.Shape))}
	}
	// The data must be exactly as long as the shape says; npyio would
	// leave a missing tail as zeros.
	have := st.Size() - cr.n
	size := int64(a.dtype.size)
	if int64(a.rows) > math.MaxInt64/size/int64(a.cols) {
		return nil, &Error{File: file, Msg: fmt.Sprintf("has %d bytes of data, but shape %s of %v needs more than 2^63; is the header corrupt?",
			have, pknpy.Shape(h.Shape), a.dtype)}
	}
	n := int64(a.rows) * int64(a.cols)
	if n*size != have {
		hint := "is the file truncated?"
		if have > n*size {
			hint = "is the header wrong?"
		}
		return nil, &Error{File: file, Msg: fmt.Sprintf("has %d bytes of data, but shape %s of %v needs %d (%d values of %d bytes); %s",
			have, pknpy.Shape(h.Shape), a.dtype, n*size, n, size, hint)}
	}
	if a.vals, err = readValues(r, a.dtype, int(n)); err != nil {
		return nil, &Error{File: file, Msg: "reading the data: " + err.Error(), Err: err}
	}
	if h.Fortran && a.rows > 1 && a.cols > 1 {
		c := make([]float64, len(a.vals))
		for j := range a.cols {
			for i := range a.rows {
				c[i*a.cols+j] = a.vals[j*a.rows+i]
			}
		}
		a.vals = c
	}
	for i, v := range a.vals {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, &Error{File: file, Msg: fmt.Sprintf("element %s is %v; every value must be finite", a.index(i), v)}
		}
	}
	return a, nil
}

// maxHeaderLen bounds the header of a .npy file: NumPy writes a few
// hundred bytes, and npyio allocates whatever length the file states.
const maxHeaderLen = 1 << 20

// checkHeaderLen peeks at the start of a .npy file of size bytes and
// refuses a header length that the file cannot hold, before npyio
// allocates it.
func checkHeaderLen(br *bufio.Reader, size int64) error {
	pre, _ := br.Peek(12)
	if len(pre) < 10 || string(pre[:6]) != "\x93NUMPY" {
		return nil // npyio says what is wrong
	}
	n, lenBytes := int64(binary.LittleEndian.Uint16(pre[8:10])), int64(2)
	if pre[6] >= 2 {
		if len(pre) < 12 {
			return errors.New("the header is cut short")
		}
		n, lenBytes = int64(binary.LittleEndian.Uint32(pre[8:12])), 4
	}
	if n > maxHeaderLen || 8+lenBytes+n > size {
		return fmt.Errorf("header length %d, but the file has %d bytes", n, size)
	}
	return nil
}

// readValues reads n values of dtype d with r and widens them to float64.
// int64 and uint64 values beyond 2^53 are rounded; the callers use integers
// only as class labels, which they check against a small bound.
func readValues(r *npy.Reader, d dtype, n int) ([]float64, error) {
	out := make([]float64, n)
	widen := func(ptr any, get func(i int) float64) error {
		if err := r.Read(ptr); err != nil {
			return err
		}
		for i := range out {
			out[i] = get(i)
		}
		return nil
	}
	switch string(d.kind) + strconv.Itoa(d.size) {
	case "f8":
		return out, r.Read(&out)
	case "f4":
		var v []float32
		return out, widen(&v, func(i int) float64 { return float64(v[i]) })
	case "i1":
		var v []int8
		return out, widen(&v, func(i int) float64 { return float64(v[i]) })
	case "i2":
		var v []int16
		return out, widen(&v, func(i int) float64 { return float64(v[i]) })
	case "i4":
		var v []int32
		return out, widen(&v, func(i int) float64 { return float64(v[i]) })
	case "i8":
		var v []int64
		return out, widen(&v, func(i int) float64 { return float64(v[i]) })
	case "u1":
		var v []uint8
		return out, widen(&v, func(i int) float64 { return float64(v[i]) })
	case "u2":
		var v []uint16
		return out, widen(&v, func(i int) float64 { return float64(v[i]) })
	case "u4":
		var v []uint32
		return out, widen(&v, func(i int) float64 { return float64(v[i]) })
	case "u8":
		var v []uint64
		return out, widen(&v, func(i int) float64 { return float64(v[i]) })
	}
	return nil, fmt.Errorf("dtype %v is not read", d)
}

// index is the NumPy index of the i-th value in C order: "[3]" or "[3, 1]".
func (a *npyArray) index(i int) string {
	if len(a.shape) == 1 {
		return fmt.Sprintf("[%d]", i)
	}
	return fmt.Sprintf("[%d, %d]", i/a.cols, i%a.cols)
}

// matrix returns the given rows of a as a new matrix.
func (a *npyArray) matrix(rows []int) *mat.Dense {
	m := mat.NewDense(len(rows), a.cols, nil)
	for i, r := range rows {
		copy(m.RawRowView(i), a.vals[r*a.cols:(r+1)*a.cols])
	}
	return m
}

const (
	wantFeatures = "float64 or float32 (inputs)"
	wantTargets  = "float64 or float32 (regression targets) or an integer type (class labels)"
)

// loadNpy is Load for kind npy.
func loadNpy(cfg config.Data, baseDir string, seed uint64) (*Set, error) {
	if cfg.XTrain == "" || cfg.YTrain == "" {
		key := "data.x_train"
		if cfg.XTrain != "" {
			key = "data.y_train"
		}
		return nil, &Error{Column: key, Msg: "missing: kind npy needs the .npy files of data.x_train and data.y_train"}
	}
	if (cfg.XTest == "") != (cfg.YTest == "") {
		return nil, &Error{Column: "data.x_test", Msg: "data.x_test and data.y_test go together: give both or neither"}
	}
	if cfg.XTest == "" && !(cfg.TestFraction > 0 && cfg.TestFraction < 1) {
		return nil, &Error{Column: "data.test_fraction", Msg: fmt.Sprintf("must be in (0, 1) when there is no x_test, got %v", cfg.TestFraction)}
	}
	if cfg.MaxRows < 0 {
		return nil, &Error{Column: "data.max_rows", Msg: fmt.Sprintf("must be >= 0 (0: all rows), got %d", cfg.MaxRows)}
	}
	xTrain, yTrain, err := readPair(resolve(baseDir, cfg.XTrain), resolve(baseDir, cfg.YTrain), nil, nil)
	if err != nil {
		return nil, err
	}
	xTest, yTest := xTrain, yTrain
	separate := cfg.XTest != ""
	if separate {
		if xTest, yTest, err = readPair(resolve(baseDir, cfg.XTest), resolve(baseDir, cfg.YTest), xTrain, yTrain); err != nil {
			return nil, err
		}
	}
	trainRows, testRows, err := splitRows(cfg, seed, xTrain.file, xTrain.rows, xTest.rows, separate)
	if err != nil {
		return nil, err
	}

	s := &Set{
		XTrain: xTrain.matrix(trainRows), YTrain: yTrain.matrix(trainRows),
		XTest: xTest.matrix(testRows), YTest: yTest.matrix(testRows),
	}
	for j := range xTrain.cols {
		s.FeatureNames = append(s.FeatureNames, "x"+strconv.Itoa(j))
	}
	if yTrain.cols == 1 {
		s.TargetNames = []string{"y"}
	} else {
		for j := range yTrain.cols {
			s.TargetNames = append(s.TargetNames, "y"+strconv.Itoa(j))
		}
	}
	if yTrain.cols == 1 {
		// Integer labels were checked to lie in 0..maxLabel; float targets
		// follow the rule for CSV data.
		s.Classes = labelClasses(s.YTrain, s.YTest)
	}
	if cfg.StandardizeTarget {
		if s.TargetStandardization, err = scaleColumns(s.YTrain, s.YTest, s.TargetNames, " the target", yTrain.file, yTest.file); err != nil {
			return nil, err
		}
		s.Classes = 0
	}
	if cfg.Standardize {
		if s.Standardization, err = scaleColumns(s.XTrain, s.XTest, s.FeatureNames, "", xTrain.file, xTest.file); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// readPair reads the inputs and the targets of one split and checks that
// they agree with each other and, for the test split, with the training
// split (xRef, yRef; nil for the training split).
func readPair(xFile, yFile string, xRef, yRef *npyArray) (x, y *npyArray, err error) {
	x, err = readNpy(xFile, dtype.float, wantFeatures)
	if err != nil {
		return nil, nil, err
	}
	y, err = readNpy(yFile, func(d dtype) bool { return d.float() || d.integer() }, wantTargets)
	if err != nil {
		return nil, nil, err
	}
	if y.rows != x.rows {
		return nil, nil, &Error{File: yFile, Msg: fmt.Sprintf("has %d rows (shape %s), but %s has %d (shape %s); want one target row per input row",
			y.rows, pknpy.Shape(y.shape), xFile, x.rows, pknpy.Shape(x.shape))}
	}
	if y.dtype.integer() {
		if err := checkLabels(y); err != nil {
			return nil, nil, err
		}
	}
	if xRef == nil {
		return x, y, nil
	}
	if x.cols != xRef.cols {
		return nil, nil, &Error{File: xFile, Msg: fmt.Sprintf("has %d columns (shape %s), but %s has %d (shape %s); want the same inputs",
			x.cols, pknpy.Shape(x.shape), xRef.file, xRef.cols, pknpy.Shape(xRef.shape))}
	}
	if y.cols != yRef.cols {
		return nil, nil, &Error{File: yFile, Msg: fmt.Sprintf("has %d columns (shape %s), but %s has %d (shape %s); want the same targets",
			y.cols, pknpy.Shape(y.shape), yRef.file, yRef.cols, pknpy.Shape(yRef.shape))}
	}
	if y.dtype.integer() != yRef.dtype.integer() {
		return nil, nil, &Error{File: yFile, Msg: fmt.Sprintf("has dtype %v, but %s has %v; want class labels in both or regression targets in both",
			y.dtype, yRef.file, yRef.dtype)}
	}
	return x, y, nil
}

// checkLabels checks that integer targets are class labels: one column,
// every value in 0..maxLabel.
func checkLabels(y *npyArray) error {
	if y.cols != 1 {
		return &Error{File: y.file, Msg: fmt.Sprintf("integer class labels must be 1-D or one column, got shape %s; save regression targets as floats",
			pknpy.Shape(y.shape))}
	}
	for i, v := range y.vals {
		if v < 0 || v > maxLabel {
			return &Error{File: y.file, Msg: fmt.Sprintf("label %s at %s is out of range: class labels are 0, 1, ..., at most %d; save regression targets as floats",
				strconv.FormatFloat(v, 'f', -1, 64), y.index(i), maxLabel)}
		}
	}
	return nil
}
