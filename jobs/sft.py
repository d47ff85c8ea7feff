"""``ray job submit --working-dir . -- python jobs/sft.py --config configs/paper/llama2-7b/sft-stage1.yaml
--data runs/paper/step-3-curate/kept --run-dir runs/paper``: SFT stage 1 (step 4) as a Ray job."""

import sys

from _entry import run

if __name__ == "__main__":
    sys.exit(run(["sft"]))
