"""``ray job submit --working-dir . -- python jobs/pipeline.py --config configs/local/demo.yaml``

Runs ``skyray pipeline`` (every configured stage in one run folder) inside a Ray job: the job's
``RAY_ADDRESS`` makes each stage join the cluster instead of starting a local one."""

import sys

from skyray.cli import main

if __name__ == "__main__":
    sys.exit(main(["pipeline", *sys.argv[1:]]))
