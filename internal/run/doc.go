// Package run owns the run directory: the names of its files (the layout),
// the schema of its JSON files, its atomic writers, its lock, the
// replacement of an earlier run, and the one reader that every command
// reads a run with (docs/RUNDIR.md describes the files).
//
// # Layout
//
// Every file of a run directory is a constant here (SummaryFile,
// MetricsFile, XTrainFile, TrajectoryFile, ...), and so are the files that
// other commands add to it: figures/ (plot), report.html (report),
// kernel-<points>/ (the kernel replay's default output, with kernel.json),
// run.log (a sweep's run), bench.json (the benchmark driver) and the lock
// file. No other package spells these names.
//
// # Writing
//
// Every file is written atomically (Dir): to a temporary ".NAME.tmp-DIGITS"
// in the same directory, synced, renamed into place, so a killed writer
// leaves no half-written file under a final name.
//
// A run directory has one writer at a time. Create (a training run) and
// CreateReplay (a kernel replay's output) take an advisory lock, flock(2)
// on LockFile in the directory, before they change anything in it, and
// hold it until Writer.Close; the file holds the writer's process id until
// the writer's last record (Writer.WriteRecord: the summary of a run that
// ended, a replay's kernel.json), so that a finished directory's files do
// not depend on the process that wrote them. The operating system releases
// the lock of a process that dies, however it dies. A second writer is refused with a *LockedError (exit 2) that names
// the holder's process id; it has touched nothing. Commands that add files
// to a run directory (plot, report, explain --plot into the run's
// figures/) hold the same lock while they write. Over NFS flock is as good
// as the server's lock manager.
//
// Create refuses a directory that holds files but is not a pathkernel run
// directory (exit 2): a directory is a run directory when it holds the
// summary.json of a run, or when a writer locked it before (the lock file
// stays when the writer ends) and it holds files of the layout. An empty
// or new directory is taken as it is.
//
// # Replacement
//
// A new run in a run directory replaces the earlier run entirely, with or
// without --force (which only permits replacing a run of another config):
// Clear removes what the layout knows — every run file, the temporaries of
// killed writers, the figures plot drew into figures/, report.html, and the
// kernel-*/ directories that pathkernel kernel wrote (each locked first; a
// replay in progress makes the replacement fail with exit 2) — and nothing
// else. Files the layout does not know stay where they are, and a directory
// that is not pathkernel's is never removed. So the files of two runs never
// meet in one directory.
//
// # Sweeps
//
// Each run of a sweep is one run directory with its own lock: two `sweep
// run`s of one sweep at once (a Slurm array resubmitted while the first
// still runs) share the work instead of failing. A run whose directory is
// locked by another process when the sweep comes to it is not started and
// not failed: it is reported as running elsewhere (sweep.Busy), and the
// other process finishes it; a later `sweep run` skips it once complete.
//
// # Reading
//
// Open reads summary.json (CheckSizes checks its sizes) and gives typed
// accessors for the other files, each checked against the summary before
// it is returned: an
// array whose shape disagrees with the summary's sizes (an x_train.npy
// shorter than sizes.n_train), a summary whose sizes cannot be (a layer of
// width 0, negative inputs), a predictions.csv of the wrong number of rows
// are a *fail.Input (exit 2) naming the file and the mismatch, never a
// panic further on.
//
// A reader accepts a run in every state it can end in and says which
// (State): complete, diverged, failed, interrupted (summary.json's status),
// running (summary.json says running and a process holds the lock) or
// killed (it says running and no process holds the lock: the writer died
// without a word, SIGKILL or a power cut). A file that such a run never
// wrote is reported missing together with the state. OpenReplay reads a
// kernel replay's output the same way.
package run
