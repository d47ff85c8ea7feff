"""``ray job submit --working-dir . -- python jobs/seeds.py --config configs/paper/seeds.yaml --run-dir runs/paper``

Runs ``skyray seeds`` (step 1) inside a Ray job."""

import sys

from _entry import run

if __name__ == "__main__":
    sys.exit(run(["seeds"]))
