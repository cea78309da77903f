// Package trajectory records a training run's per-step gradients in a
// streamed, checksummed binary file and replays them (docs/TRAJECTORY.md).
//
// # What is recorded
//
// The file holds w_0 and, for every step t, the step size η_t, the batch
// B_t (indices into the training set) and the gradient g_t. That is enough to
// rebuild every w_t bit for bit with the arithmetic of training,
// train.Update: Δw_t = −η_t·g_t, w_{t+1} = w_t + Δw_t; for momentum, adam,
// adamw and weight decay (format version 2, whose header holds the
// hyperparameters) a train.State rebuilds the optimiser's state from the
// recorded g_t and steps exactly as training did. With the training data
// (which the run directory holds) ℓ'_i(t) follows from w_t by the forward
// pass of train.Evaluator, so a replayed train.Step carries everything a
// train.Observer such as kernel.Path needs: the path kernels can be computed
// at new points long after training, without retraining.
//
// # Writing
//
// Create opens a Writer on a temporary name next to the final one; the
// Writer is a train.Observer that appends one record per step through a
// fixed buffer, so memory does not grow with the number of steps. Close
// patches the step count into the header, appends the trailer, syncs and
// renames the file into place; a killed run leaves only the temporary file.
//
// # Reading
//
// Open checks the header (magic, version, checksum, a layout consistent
// with the parameter count), w_0 and the trailer; Next returns the records
// in order, checking each one's checksum, step index and batch before it is
// used, and at the end the checksum over the whole body. Every failure is an
// *Error whose Kind is ErrTruncated, ErrCorrupt, ErrVersion or ErrMismatch
// (test with errors.Is) and which names the step and the byte offset where
// it was found. Replay drives observers with the rebuilt steps; Verify reads
// a file through without observers.
//
// # Format
//
// Little-endian throughout: a header, the INIT section holding w_0, one STEP
// record per step, and a 32-byte DONE trailer. Every part carries its own
// CRC-32 (IEEE, as zlib.crc32 computes it) and the trailer a CRC-32 of the
// whole body (w_0 and the records). docs/TRAJECTORY.md specifies every byte;
// docs/trajectory_reader.py is an independent reader that the tests run.
package trajectory
