"""``ray job submit --working-dir . -- python jobs/seeds.py --config configs/paper/seeds.yaml --run-dir runs/paper``

Runs ``skyray seeds`` inside a Ray job."""

import sys

from skyray.cli import main

if __name__ == "__main__":
    sys.exit(main(["seeds", *sys.argv[1:]]))
