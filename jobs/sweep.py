"""``ray job submit --working-dir . -- python jobs/sweep.py --config configs/paper/scaling.yaml``:
the data-scaling sweep (Ray Tune) as a Ray job; ``jobs/sweep.py report DIR`` rebuilds its report."""

import sys

from skyray.cli import main

if __name__ == "__main__":
    sys.exit(main(["sweep", *sys.argv[1:]]))
