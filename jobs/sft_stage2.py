"""``ray job submit --working-dir . -- python jobs/sft_stage2.py --config configs/paper/mistral-7b/sft-stage2.yaml
--run-dir runs/paper --data runs/paper/step-3-curate/kept``

SFT stage 2 (step 6) as a Ray job: the stage-1 recipe on the hard rows (``data_stage=2`` is fixed
here), starting from the config's ``model`` (stage 1's step folder, e.g. ``runs/paper/step-4-sft``,
found under the storage root)."""

import sys

from _entry import run

if __name__ == "__main__":
    sys.exit(run(["sft", "--step", "6"], ["data_stage=2"]))
