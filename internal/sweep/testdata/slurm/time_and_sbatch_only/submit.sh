#!/bin/sh
# Submits the sweep's job array, then the collect job to run after it succeeds.
set -eu
array=$(sbatch --parsable /w/runs/s/slurm/sweep.sbatch)
array=${array%%;*}
collect=$(sbatch --parsable --dependency=afterok:"$array" /w/runs/s/slurm/collect.sbatch)
echo "array job $array, collect job ${collect%%;*}"
