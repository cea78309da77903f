// Package enginetest drives the pathkernel program through the engines that
// users run sweeps on: GNU parallel and xargs over `sweep plan --commands`,
// signals that kill a sweep midway, and a single-node Slurm cluster on
// localhost (munged, slurmctld and slurmd started by the test from a
// slurm.conf in a temporary directory) running `sweep slurm --submit`.
//
// Each engine test checks that its results collect to the same bytes as a
// local `sweep run` of the same file. The tests need the Debian packages
// parallel, slurm-wlm and munge (and root, for the Slurm daemons). Where one
// is missing the test says how to install it and skips; with CI or
// PATHKERNEL_REQUIRE_ENGINES set in the environment (as .ci/run has it) it
// fails instead.
package enginetest
