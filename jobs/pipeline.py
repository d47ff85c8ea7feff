"""``ray job submit --working-dir . -- python jobs/pipeline.py --config configs/local/demo.yaml
[--steps seeds,synth,curate] [--run-dir runs/x]``

Runs ``skyray pipeline`` (the configured stages, or the ``--steps`` subset, in one run folder
under the storage root) inside a Ray job: the job's ``RAY_ADDRESS`` makes each stage join the
cluster instead of starting a local one. Finished steps are skipped, so a resubmission only
runs what is missing."""

import sys

from _entry import run

if __name__ == "__main__":
    sys.exit(run(["pipeline"]))
