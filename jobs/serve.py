"""``ray job submit --working-dir . -- python jobs/serve.py --config configs/paper/serve-vllm.yaml``:
start the teacher server on the cluster (runs until the job is stopped)."""

import sys

from skyray.cli import main

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
