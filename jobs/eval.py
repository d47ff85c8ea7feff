"""``ray job submit`` entrypoint of the evaluation stage.

    ray job submit --working-dir . -- python jobs/eval.py run --model runs/paper/step-4-sft \\
        --run-dir runs/paper --benchmarks gsm8k,math --config configs/paper/eval.yaml

Arguments are those of ``skyray eval`` (``run``, ``distractors``, ``verify``, ``score``); inside a
Ray job ``RAY_ADDRESS`` is set, so stages that use Ray join the job's cluster.
"""

import sys

from _entry import run

if __name__ == "__main__":
    sys.exit(run(["eval"]))
