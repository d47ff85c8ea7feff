"""``ray job submit --working-dir . -- python jobs/synth.py --config configs/paper/synth.yaml
--run-dir runs/paper``: the synthesis step as a Ray job (both stages, per the config)."""

import sys

from _entry import run

if __name__ == "__main__":
    sys.exit(run(["synth"]))
