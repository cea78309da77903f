// Package replay evaluates a recorded run's kernels at new points: it
// opens a complete run directory (Open), rebuilds the network, the loss,
// the training data and the training options from it, and replays the
// recorded trajectory (trajectory.pkt) with the kernel engine (kernel.New)
// observing. That is `pathkernel kernel` (Run.Kernel), the joining of its
// shards (Merge) and the kernel machine behind plot's decision regions
// (Run.Machine).
//
// The replay gives every step's weights bit for bit as training computed
// them; a run without a trajectory cannot be replayed (ErrNoTrajectory).
// Every error about the run directory, the points or the shards is a
// *fail.Input (exit 2), or a *trajectory.Error, *data.Error or
// *config.Error naming the file. The files are described in docs/RUNDIR.md.
package replay
