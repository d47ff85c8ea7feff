"""``ray job submit --working-dir . -- python jobs/selfcompare.py --config
configs/paper/selfcompare.yaml --run-dir runs/paper``: the self-compare rounds as a Ray job."""

import sys

from skyray.cli import main

if __name__ == "__main__":
    sys.exit(main(["selfcompare", *sys.argv[1:]]))
