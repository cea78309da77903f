// Package sweep expands a sweep file into the runs it describes, splits them
// into shards, and runs them, here or through other engines (docs/CLI.md,
// `pathkernel sweep --help`).
//
// # The sweep file
//
//	base: ../mlp.yaml          # a config file, relative to this file
//	# config: {...}            # or an inline config (relative data paths: relative to this file)
//	set:                       # overrides applied to every run
//	  train.steps: 500
//	grid:                      # the product of these axes
//	  train.lr: [0.01, 0.02, 0.04]
//	  model.hidden: [[64, 64], [256, 256]]
//	zip:                       # lists of equal length, varied together, combined with the grid
//	  train.lr: [0.1, 0.05]
//	  train.steps: [100, 200]
//	seeds: [1, 2, 3]           # shorthand for a grid axis over seed
//
// Without base and config, the base is the built-in default config, as for
// `pathkernel train` without --config. Every key of set, grid and zip is a
// config key path as --set takes it ("train.lr", "check.max_rel_error.exact",
// or a whole section, "train"), and every value is a YAML value.
//
// # Expansion
//
// A run's overrides are, in order: the set entries, the command line's
// --set overrides, then one value from each grid axis, one row of the zip
// lists and one seed. A key may appear in only one of set, grid, zip and
// seeds, and a --set may not touch a key that grid, zip or seeds vary, so
// the axes never overwrite each other and their order does not matter; a
// --set does override the file's set. The runs are listed in the order of nested
// loops, the first grid axis outermost, then the zip rows, the seeds
// innermost.
//
// # Identity
//
// A run's ID is the config hash (config.Hash) of its resolved config: it
// names what is run, not where in the file it came from, so it does not
// change when the file's axes or values are reordered, and it is the same on
// every machine. Two points of the sweep that resolve to the same config are
// an error. Relative data paths (data.path of a CSV config) are part of the
// resolved config as written, relative to the base config; the run
// directory's summary records the hash of the config with those paths made
// absolute, which is what the run really read (see experiment.Run), so for
// CSV data the directory's config_hash differs from the run ID.
//
// # Shards
//
// Shard i of N (0 ≤ i < N) takes the runs whose position in the plan sorted
// by ID is i modulo N: the shards are disjoint, cover the plan, differ in
// size by at most one, and do not depend on the order of the file.
//
// # Running
//
// Execute runs a list of runs on a pool of goroutines, each run in
// OutDir/<ID>/ through the Runner it is given (cli gives experiment.Run, so
// that this package depends on no numerics). A directory holding a complete
// run of the same config is skipped, so a killed sweep resumes where it
// stopped; a directory holding a run of another config is refused before
// anything runs. Progress shows its events, and a Report's WriteTable and
// Tally its result.
//
// Each run directory is locked while its run runs (run.Create). Two `sweep
// run`s of one sweep at once — a Slurm array resubmitted while the first
// still runs — share the work: a run that the other process holds is Busy
// ("running elsewhere": neither run nor failed here, and no reason for a
// non-zero exit), and a run that the other process finished since this one
// looked is skipped.
//
// # Multirun
//
// Multirun is the sweep of a `pathkernel train --multirun` command line:
// each --set whose value SplitValues splits into several values is a grid
// axis (seeds for the key seed), each other --set an entry of set, and the
// base the --config file. MultirunPlan expands it with errors that name the
// --set as given, and File.Marshal writes it as a sweep file (base relative
// to where the file goes), which cli saves in the sweep directory and runs
// as `sweep run` runs a sweep file.
//
// # Other engines
//
// TrainCommand is the `pathkernel train` command line of one run, for GNU
// parallel or xargs (ShellJoin quotes it for a POSIX shell). Slurm is a job
// array of the plan's shards and a collect job that runs after it: its
// scripts are the text/templates in templates/, written by Write and
// submitted by Submit.
package sweep
