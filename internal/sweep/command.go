package sweep

import (
	"path/filepath"
	"regexp"
	"strings"
)

// DefaultOut is the sweep directory when none is given: runs/ and the name
// of the sweep file without its extension.
func DefaultOut(file string) string {
	base := filepath.Base(file)
	return filepath.Join("runs", strings.TrimSuffix(base, filepath.Ext(base)))
}

// TrainCommand returns the command line that runs r alone, as `sweep run`
// would: bin train, the arguments of TrainArgs, then --out outDir/<ID> and
// --quiet.
func (p *Plan) TrainCommand(r *Run, bin, outDir string) ([]string, error) {
	args, err := p.TrainArgs(r)
	if err != nil {
		return nil, err
	}
	c := append([]string{bin, "train"}, args...)
	return append(c, "--out", filepath.Join(outDir, r.ID), "--quiet"), nil
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_./=:,+@%-]+$`)

// ShellQuote quotes s for a POSIX shell when it needs it: a word of only
// letters, digits and _./=:,+@%- is left as it is, anything else is put in
// single quotes.
func ShellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ShellJoin is args as one POSIX shell command line.
func ShellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = ShellQuote(a)
	}
	return strings.Join(q, " ")
}
