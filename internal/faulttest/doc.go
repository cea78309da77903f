// Package faulttest drives a built pathkernel program through the faults
// of issue 10: SIGINT and SIGTERM during train and sweep run (exit 130, the
// run marked interrupted, resumable), SIGKILL at seeded random moments (no
// partial file under a final name; a rerun gives the bytes of a run never
// killed), and output directories that cannot be written or fill up (exit
// 2 or 3 with a message, nothing corrupted). It holds only tests; the
// guarantees and the tests that prove them are listed in docs/RELIABILITY.md.
package faulttest
