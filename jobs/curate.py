"""``ray job submit --working-dir . -- python jobs/curate.py INPUT... --out DIR [key=value ...]``

Runs ``skyray curate`` inside a Ray job: ``RAY_ADDRESS`` is set by the job, so the stage joins
the cluster instead of starting a local one."""

import sys

from skyray.cli import main

if __name__ == "__main__":
    sys.exit(main(["curate", *sys.argv[1:]]))
