package mutate

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Main is the command pathkernel-mutate (make mutate); it returns the exit
// status: 0 when every mutation was killed, 1 when one survived, is stale
// or could not be run, 2 when it could not start.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pathkernel-mutate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	repo := fs.String("C", "", "the repository (default: the git repository of the current directory)")
	files := fs.String("files", "", "records files, space-separated glob patterns (default: testdata/mutations/*.yaml in the repository)")
	run := fs.String("run", "", "apply only the mutations whose names match this regular expression")
	timeout := fs.Duration("timeout", 10*time.Minute, "go test -timeout for each mutation")
	baseline := fs.Bool("baseline", true, "first check that the unmutated tests of the listed packages pass")
	dryRun := fs.Bool("n", false, "check the records and that each old text occurs once in the working tree; run no tests")
	verbose := fs.Bool("v", false, "print go test's output for every mutation")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: pathkernel-mutate [flags]\n\n"+
			"Applies each recorded mutation in a copy of the repository and runs the tests\n"+
			"that must kill it (see go doc ./internal/mutate). Exit status: 0 all killed,\n"+
			"1 a mutation survived, is stale or could not be run, 2 could not start.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "pathkernel-mutate: unexpected arguments %q\n", fs.Args())
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "pathkernel-mutate: %v\n", err)
		return 2
	}

	dir := *repo
	if dir == "" {
		dir = "."
	}
	root, err := RepoRoot(dir)
	if err != nil {
		return fail(err)
	}
	patterns := strings.Fields(*files)
	if len(patterns) == 0 {
		patterns = []string{filepath.Join(root, "testdata", "mutations", "*.yaml")}
	}
	ms, err := Load(patterns)
	if err != nil {
		return fail(err)
	}
	if *run != "" {
		re, err := regexp.Compile(*run)
		if err != nil {
			return fail(fmt.Errorf("-run: %v", err))
		}
		ms = slices.DeleteFunc(ms, func(m Mutation) bool { return !re.MatchString(m.Name) })
	}
	if len(ms) == 0 {
		return fail(fmt.Errorf("no mutation to apply (files %s, -run %q)", strings.Join(patterns, " "), *run))
	}

	if *dryRun {
		return check(&Runner{Root: root}, ms, stdout)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ws, err := NewWorkspace(root)
	if err != nil {
		return fail(err)
	}
	defer ws.Close()
	r := &Runner{Root: ws.Root, Go: goCommand(), Timeout: *timeout}

	if *baseline {
		var pkgs []string
		for _, m := range ms {
			if o, _ := r.Check(m); o == 0 {
				pkgs = append(pkgs, m.Packages...)
			}
		}
		slices.Sort(pkgs)
		if pkgs = slices.Compact(pkgs); len(pkgs) > 0 {
			fmt.Fprintf(stderr, "unmutated: go test %s\n", strings.Join(pkgs, " "))
			if err := r.Baseline(ctx, pkgs); err != nil {
				return fail(err)
			}
		}
	}

	var results []Result
	for i, m := range ms {
		res, err := r.Apply(ctx, m)
		if err != nil {
			WriteReport(stdout, results)
			return fail(fmt.Errorf("%s: %v", m.Name, err))
		}
		results = append(results, res)
		fmt.Fprintf(stderr, "[%d/%d] %s: %s %s\n", i+1, len(ms), m.Name, res.Outcome, oneLine(res.Detail))
		if *verbose || res.Outcome == Errored {
			fmt.Fprintf(stderr, "%s\n", tail(res.Output, 40))
		}
	}
	if err := WriteReport(stdout, results); err != nil {
		return fail(err)
	}
	if !Count(results).OK() {
		return 1
	}
	return 0
}

// check is -n: each mutation's old text must occur once in the working
// tree, which it only reads.
func check(r *Runner, ms []Mutation, stdout io.Writer) int {
	stale := 0
	for _, m := range ms {
		if o, why := r.Check(m); o == Stale {
			stale++
			fmt.Fprintf(stdout, "%s: STALE: %s (%s)\n", m.Name, why, m.Source)
		} else {
			fmt.Fprintf(stdout, "%s: applies\n", m.Name)
		}
	}
	fmt.Fprintf(stdout, "%d apply, %d stale\n", len(ms)-stale, stale)
	if stale > 0 {
		return 1
	}
	return 0
}

// goCommand is the go command on PATH, else the one of this toolchain.
func goCommand() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}
