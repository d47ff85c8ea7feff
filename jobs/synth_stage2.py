"""``ray job submit --working-dir . -- python jobs/synth_stage2.py --config configs/paper/synth-stage2.yaml
--run-dir runs/paper-stage2 --seeds runs/paper-stage2/step-1-seeds/seeds.parquet``

Synthesis stage 2 alone (the hard problems from MATH levels 4-5; ``stages=[2]`` is fixed here,
whatever the config says) as a Ray job. Its step folder and response cache are the synthesis
step's (``step-2-synth``), so a resubmission pays for nothing twice."""

import sys

from _entry import run

if __name__ == "__main__":
    sys.exit(run(["synth"], ["stages=[2]"]))
