"""``ray job submit --working-dir . -- python jobs/sft.py --config configs/paper/llama2-7b/sft-stage1.yaml
--data runs/paper/step-3-curate --run-dir runs/paper``: the SFT step as a Ray job."""

import sys

from skyray.cli import main

if __name__ == "__main__":
    sys.exit(main(["sft", *sys.argv[1:]]))
