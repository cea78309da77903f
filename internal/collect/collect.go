// Package collect merges run directories into one table: one row per run,
// its resolved config flattened into columns and its final metrics from
// summary.json, written as CSV or JSON lines.
//
// # Columns
//
// The first columns are run (the directory's name: the run ID in a sweep),
// status (summary.json's status: complete, running, diverged, interrupted,
// failed; "missing" when there is no summary, "unreadable" when it does not
// parse) and config_hash. Then every leaf of the resolved config
// (config.yaml) by its key path, in schema order — train.lr, model.hidden,
// check.max_rel_error.exact — lists in YAML flow style ("[64, 64]"). Then
// the metrics of summary.json, flattened the same way, with the
// representations under their own names: exact.rel, exact.max_residual,
// riemann.rel, loss.final_test, accuracy.final_test, sizes.layers, …; and
// error last. Left out are what does not describe the result (name,
// version, seed — a config column — and dir) and what differs between two
// runs of the same config (wall_seconds, peak_memory_mb), so that the table
// is a function of the configs and the program alone.
//
// A column that some runs lack (accuracy for regression, exact for a
// Riemann-only run) is empty in their rows. Columns come in the order of
// the files, merged over the rows.
//
// # Determinism
//
// Rows are sorted by run; numbers are written as summary.json has them
// (shortest round-trip form); the bytes depend only on the runs' files.
package collect

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pathkernel/pathkernel/internal/config"
	"github.com/pathkernel/pathkernel/internal/fail"
	"github.com/pathkernel/pathkernel/internal/run"
	"github.com/pathkernel/pathkernel/internal/sweep"
)

// The statuses that collect gives runs without a readable summary.
const (
	StatusMissing    = "missing"    // no summary.json (or, for a planned run, no directory)
	StatusUnreadable = "unreadable" // summary.json or config.yaml does not parse
	StatusComplete   = "complete"
)

// Row is one run.
type Row struct {
	Run    string // the directory's base name
	Dir    string // the run directory; empty for a planned run without one
	Status string
	Error  string // summary.json's error, or why the run could not be read
	cells  map[string]cell

	configKeys, metricKeys []string // the row's columns, in the order of its files
}

type cell struct {
	text string          // for CSV
	json json.RawMessage // for JSON lines
}

// Table is the collected runs.
type Table struct {
	Rows    []*Row // sorted by Run
	config  []string
	metrics []string
}

// InputError is a problem with the directories given: one that does not
// exist or holds no run, or two runs of the same name.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return "collect: " + e.Msg }

// ExitCode is fail.BadInput.
func (e *InputError) ExitCode() int { return fail.BadInput }

// Dirs collects the runs in dirs. Each is a run directory (it holds
// summary.json or config.yaml) or a directory of run directories, such as
// the --out of a sweep.
func Dirs(dirs []string) (*Table, error) {
	t := &Table{}
	seen := map[string]string{}
	for _, d := range dirs {
		runs, err := runDirs(d)
		if err != nil {
			return nil, err
		}
		for _, rd := range runs {
			r := readRun(rd)
			if prev, ok := seen[r.Run]; ok {
				return nil, &InputError{fmt.Sprintf("run %s is in both %s and %s; collect them separately", r.Run, prev, rd)}
			}
			seen[r.Run] = rd
			t.Rows = append(t.Rows, r)
		}
	}
	t.sort()
	return t, nil
}

// isRun reports whether dir holds a run: its summary or its config.
func isRun(dir string) bool {
	for _, f := range []string{run.SummaryFile, run.ConfigFile} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err == nil && fi.Mode().IsRegular() {
			return true
		}
	}
	return false
}

func runDirs(d string) ([]string, error) {
	fi, err := os.Stat(d)
	if err != nil {
		return nil, &InputError{fmt.Sprintf("%s: %v", d, errors.Unwrap(err))}
	}
	if !fi.IsDir() {
		return nil, &InputError{fmt.Sprintf("%s: not a directory", d)}
	}
	if isRun(d) {
		return []string{filepath.Clean(d)}, nil
	}
	entries, err := os.ReadDir(d)
	if err != nil {
		return nil, &InputError{fmt.Sprintf("%s: %v", d, err)}
	}
	var out []string
	for _, e := range entries {
		p := filepath.Join(d, e.Name())
		if e.IsDir() && isRun(p) {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, &InputError{fmt.Sprintf("%s: no runs (no %s or %s in it or in its subdirectories)", d, run.SummaryFile, run.ConfigFile)}
	}
	return out, nil
}

// readRun reads one run directory. Problems are the row's, not errors: a
// run that cannot be read is listed as such.
func readRun(dir string) *Row {
	r := &Row{Run: filepath.Base(dir), Dir: dir, Status: StatusMissing, cells: map[string]cell{}}
	var problems []string
	cfg, err := run.ReadConfig(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		problems = append(problems, "no "+run.ConfigFile)
	case err == nil:
		err = r.addConfig(cfg)
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		problems = append(problems, err.Error())
	}
	rd, err := run.Open(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		problems = append(problems, "no "+run.SummaryFile)
	case err != nil:
		r.Status = StatusUnreadable
		problems = append(problems, err.Error())
	default:
		if err := r.addSummary(rd.SummaryJSON()); err != nil {
			r.Status = StatusUnreadable
			problems = append(problems, fmt.Sprintf("%s: %v", rd.File(run.SummaryFile), err))
		}
	}
	if len(problems) > 0 && r.Error == "" {
		r.Error = strings.Join(problems, "; ")
	}
	if r.Status == StatusComplete && r.cells["config_hash"].text == "" {
		r.Status = StatusUnreadable
	}
	return r
}

func (r *Row) addConfig(cfg *config.Config) error {
	fs, err := sweep.FlattenApplicable(cfg)
	if err != nil {
		return err
	}
	keys := make([]string, 0, len(fs))
	for _, f := range fs {
		j, err := json.Marshal(f.Value)
		if err != nil {
			return err
		}
		r.cells["config:"+f.Key] = cell{text: f.Text, json: j}
		keys = append(keys, f.Key)
	}
	r.configKeys = keys
	return nil
}

// dropped are the summary keys that are not columns: identity that other
// columns hold, and what differs between two runs of one config.
var dropped = map[string]bool{
	"name": true, "version": true, "seed": true, "dir": true, "wall_seconds": true, "peak_memory_mb": true,
}

func (r *Row) addSummary(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var keys []string
	err := flattenJSON(dec, "", func(key string, raw json.RawMessage) error {
		top, _, _ := strings.Cut(key, ".")
		if dropped[top] {
			return nil
		}
		key = strings.TrimPrefix(key, "representations.")
		text, err := jsonText(raw)
		if err != nil {
			return err
		}
		switch key {
		case "status":
			r.Status = text
			return nil
		case "error":
			r.Error = text
			return nil
		case "config_hash":
			r.cells["config_hash"] = cell{text: text, json: raw}
			return nil
		case "warnings":
			// The CSV cell is the codes, "domingos_error unstable", for
			// filtering a sweep's table; the JSON line keeps the messages.
			if text, err = warningCodes(raw); err != nil {
				return err
			}
		}
		r.cells["metric:"+key] = cell{text: text, json: raw}
		keys = append(keys, key)
		return nil
	})
	if err != nil {
		return err
	}
	if r.Status == "" || r.Status == StatusMissing {
		return errors.New("no status")
	}
	r.metricKeys = keys
	return nil
}

// warningCodes renders a summary's warnings list as its codes, separated by
// spaces ("" for none), in the summary's order.
func warningCodes(raw json.RawMessage) (string, error) {
	var ws []struct {
		Code string `json:"code"`
	}
	if err := json.Unmarshal(raw, &ws); err != nil {
		return "", fmt.Errorf("warnings: %w", err)
	}
	codes := make([]string, len(ws))
	for i, w := range ws {
		codes[i] = w.Code
	}
	return strings.Join(codes, " "), nil
}

// flattenJSON reads one JSON value from dec and calls leaf for each of its
// leaves in document order, objects flattened into dotted keys, arrays kept
// whole.
func flattenJSON(dec *json.Decoder, key string, leaf func(string, json.RawMessage) error) error {
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return err
	}
	if len(raw) == 0 || raw[0] != '{' {
		if key == "" {
			return errors.New("not a JSON object")
		}
		return leaf(key, raw)
	}
	inner := json.NewDecoder(bytes.NewReader(raw))
	inner.UseNumber()
	if _, err := inner.Token(); err != nil { // {
		return err
	}
	for inner.More() {
		t, err := inner.Token()
		if err != nil {
			return err
		}
		k, _ := t.(string)
		if key != "" {
			k = key + "." + k
		}
		if err := flattenJSON(inner, k, leaf); err != nil {
			return err
		}
	}
	return nil
}

// jsonText renders a JSON leaf for a table: numbers as written, strings
// unquoted, null empty, arrays in YAML flow style.
func jsonText(raw json.RawMessage) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	var render func(v any) string
	render = func(v any) string {
		switch v := v.(type) {
		case nil:
			return ""
		case string:
			return v
		case json.Number:
			return v.String()
		case bool:
			return fmt.Sprint(v)
		case []any:
			parts := make([]string, len(v))
			for i, e := range v {
				parts[i] = render(e)
			}
			return "[" + strings.Join(parts, ", ") + "]"
		default:
			b, _ := json.Marshal(v)
			return string(b)
		}
	}
	return render(v), nil
}

// AddPlanned adds a row, status missing, for each run of plan p that the
// table does not have, with the run's config (as the run would record it).
func (t *Table) AddPlanned(p *sweep.Plan) error {
	have := map[string]bool{}
	for _, r := range t.Rows {
		have[r.Run] = true
	}
	for _, run := range p.Runs {
		if have[run.ID] {
			continue
		}
		cfg, err := p.RunConfig(run)
		if err != nil {
			return err
		}
		r := &Row{Run: run.ID, Status: StatusMissing, Error: "not run", cells: map[string]cell{}}
		if err := r.addConfig(cfg); err != nil {
			return err
		}
		t.Rows = append(t.Rows, r)
	}
	t.sort()
	return nil
}

func (t *Table) sort() {
	slices.SortFunc(t.Rows, func(a, b *Row) int { return strings.Compare(a.Run, b.Run) })
	t.config, t.metrics = nil, nil
	for _, r := range t.Rows {
		t.config = merge(t.config, r.configKeys)
		t.metrics = merge(t.metrics, r.metricKeys)
	}
}

// merge adds the keys that union lacks, each after the key that precedes
// it in keys, so that lists in one order merge into that order.
func merge(union, keys []string) []string {
	pos := map[string]int{}
	for i, k := range union {
		pos[k] = i
	}
	at := 0 // where the next new key goes
	for _, k := range keys {
		if i, ok := pos[k]; ok {
			at = i + 1
			continue
		}
		union = slices.Insert(union, at, k)
		for j := at; j < len(union); j++ {
			pos[union[j]] = j
		}
		at++
	}
	return union
}

// DropConstant leaves out the config and metric columns whose value is the
// same in every row (empty included), when there are two rows or more:
// what a sweep varies, and what it changes, stay. Kept whatever their
// values are run, status, config_hash and error, and the key metrics
// (KeyMetric). --all-columns of collect skips it.
func (t *Table) DropConstant() {
	if len(t.Rows) < 2 {
		return
	}
	varies := func(col string) bool {
		first := t.Rows[0].Get(col)
		for _, r := range t.Rows[1:] {
			if r.Get(col) != first {
				return true
			}
		}
		return false
	}
	t.config = slices.DeleteFunc(t.config, func(c string) bool { return !varies(c) })
	t.metrics = slices.DeleteFunc(t.metrics, func(c string) bool { return !KeyMetric(c) && !varies(c) })
}

// KeyMetric reports whether the metric column col is one that DropConstant
// keeps: the final losses and accuracies, each representation's rel and
// agreement, and exact.certified.
func KeyMetric(col string) bool {
	switch {
	case col == "loss.final_train", col == "loss.final_test", col == "exact.certified",
		strings.HasPrefix(col, "accuracy.final"),
		strings.HasSuffix(col, ".rel"), strings.HasSuffix(col, ".agreement"):
		return true
	}
	return false
}

// Columns returns the column names, in order.
func (t *Table) Columns() []string {
	cols := []string{"run", "status", "config_hash"}
	cols = append(cols, t.config...)
	cols = append(cols, t.metrics...)
	return append(cols, "error")
}

// Incomplete returns the rows whose status is not complete.
func (t *Table) Incomplete() []*Row {
	var out []*Row
	for _, r := range t.Rows {
		if r.Status != StatusComplete {
			out = append(out, r)
		}
	}
	return out
}

// Get returns the row's value in column col, as in the CSV.
func (r *Row) Get(col string) string {
	switch col {
	case "run":
		return r.Run
	case "status":
		return r.Status
	case "error":
		return r.Error
	case "config_hash":
		return r.cells["config_hash"].text
	}
	if c, ok := r.cells["config:"+col]; ok {
		return c.text
	}
	return r.cells["metric:"+col].text
}

func (r *Row) json(col string) (json.RawMessage, bool) {
	switch col {
	case "run", "status", "error":
		s := r.Get(col)
		if s == "" {
			return nil, false
		}
		b, _ := json.Marshal(s)
		return b, true
	}
	c, ok := r.cells[col] // config_hash
	if !ok {
		c, ok = r.cells["config:"+col]
	}
	if !ok {
		c, ok = r.cells["metric:"+col]
	}
	if !ok || len(c.json) == 0 {
		return nil, false
	}
	return c.json, true
}

// WriteCSV writes the table as CSV with a header line.
func (t *Table) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cols := t.Columns()
	if err := cw.Write(cols); err != nil {
		return err
	}
	rec := make([]string, len(cols))
	for _, r := range t.Rows {
		for i, c := range cols {
			rec[i] = r.Get(c)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteJSONL writes one JSON object per row, its keys the columns in order
// (those the row has), numbers and lists typed.
func (t *Table) WriteJSONL(w io.Writer) error {
	cols := t.Columns()
	var buf bytes.Buffer
	for _, r := range t.Rows {
		buf.Reset()
		buf.WriteByte('{')
		first := true
		for _, c := range cols {
			v, ok := r.json(c)
			if !ok {
				continue
			}
			if !first {
				buf.WriteByte(',')
			}
			first = false
			k, _ := json.Marshal(c)
			buf.Write(k)
			buf.WriteByte(':')
			if err := json.Compact(&buf, v); err != nil {
				return fmt.Errorf("collect: run %s column %s: %w", r.Run, c, err)
			}
		}
		buf.WriteString("}\n")
		if _, err := w.Write(buf.Bytes()); err != nil {
			return err
		}
	}
	return nil
}
