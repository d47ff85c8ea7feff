"""``ray job submit --working-dir . -- python jobs/serve.py --config configs/paper/serve-vllm.yaml``:
start the teacher server on the cluster (runs until the job is stopped)."""

import sys

from _entry import run

if __name__ == "__main__":
    sys.exit(run(["serve"]))
