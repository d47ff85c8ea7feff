"""The Tune trial: a function trainable (Ray Train V2 style) that runs SkyRay's SFT step, which
builds and fits a ``TorchTrainer``, and then the evaluation step, on one trial plan.

Both steps are the ordinary ones (``run_sft``, ``run_eval``) writing ordinary step folders under
the trial's folder, so a relaunched trial skips a finished step and resumes an unfinished SFT run
from its newest checkpoint. They run in Ray tasks the trial starts outside its placement group
(see :func:`off_placement_group`). ``status.json`` in the trial folder records the outcome
(``done`` with the accuracies, or ``failed`` with a one-line reason) so the report never needs
Tune.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from skyray.sweep.plan import EVAL2_STEP, EVAL_STEP, SFT2_STEP, SFT_STEP, TrialPlan

STATUS_FILE = "status.json"


def read_status(folder: Path) -> dict[str, Any]:
    import json

    path = folder / STATUS_FILE
    return json.loads(path.read_text()) if path.is_file() else {}


def write_status(folder: Path, plan: TrialPlan, status: str, **fields: Any) -> None:
    from skyray.atomic import write_json_atomic

    record = {"name": plan.name, "params": plan.params, "status": status, "time": time.time()}
    write_json_atomic(folder / STATUS_FILE, {**record, **fields})


def one_line(exc: BaseException) -> str:
    """The innermost useful line of an exception (Ray wraps worker errors in long reports)."""
    text = str(exc).strip() or type(exc).__name__
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in reversed(lines):  # the last "SomeError: message" line is the root cause
        head = line.split(":", 1)[0]
        if head.endswith(("Error", "Exception")) and " " not in head:
            return line[:500]
    return f"{type(exc).__name__}: {lines[0] if lines else text}"[:500]


def accuracy_metrics(eval_dir: Path, prefix: str = "") -> dict[str, float]:
    """``<prefix><benchmark>/<grader>`` -> accuracy, from the eval step's report."""
    import json

    from skyray.runs import REPORT_JSON

    report = json.loads((eval_dir / REPORT_JSON).read_text())
    return {
        f"{prefix}{bench}/{grader}": float(cell["accuracy"])
        for bench, b in report["benchmarks"].items()
        for grader, cell in b["graders"].items()
    }


def off_placement_group(fn: Any, *args: Any) -> Any:
    """Run ``fn(*args)`` as a Ray task on this node but outside the trial's placement group.

    Tune places a trial in a placement group that captures the trial's child tasks, which would
    squeeze SFT's Ray Data tokenization (and a vLLM evaluation's GPU actors) into the trial's own
    bundle. A task with an explicit node-affinity strategy is not captured, so everything it
    starts (Ray Data, the ``TorchTrainer`` and its worker group, vLLM replicas) reserves
    resources from the cluster as a job driver's work would. It holds no resources itself: the
    trial's reservation (``trial_resources``) stands for it.
    """
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    here = NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=False)
    task = ray.remote(num_cpus=0, max_retries=0)(fn).options(scheduling_strategy=here)
    try:
        return ray.get(task.remote(*args))
    except ray.exceptions.RayTaskError as exc:  # the step's own error, not Ray's wrapper
        raise (exc.cause if isinstance(exc.cause, Exception) else exc) from None


def sft_step(plan_dict: dict[str, Any], stage: int) -> str:
    """SFT of curriculum stage 1 or 2 (skipped when its step finished); the step folder."""
    from skyray.config import from_dict
    from skyray.train.config import SFTConfig
    from skyray.train.trainer import run_sft

    plan = TrialPlan.from_dict(plan_dict)
    if stage == 1:
        cfg, data, index = from_dict(SFTConfig, plan.sft, "sft"), plan.data, SFT_STEP
    else:
        cfg = from_dict(SFTConfig, plan.sft_stage2, "sft_stage2")
        data, index = plan.stage2_data, SFT2_STEP
    return str(run_sft(cfg, Path(plan.folder), index, data))


def eval_step(plan_dict: dict[str, Any], stage: int, sft_dir: str) -> str:
    """The evaluation of a stage's export (skipped when it finished); the step folder."""
    from skyray.config import from_dict
    from skyray.eval.run import EvalConfig, run_eval
    from skyray.train.session import MODEL_DIR

    plan = TrialPlan.from_dict(plan_dict)
    cfg = from_dict(EvalConfig, plan.eval, "eval")
    index = EVAL_STEP if stage == 1 else EVAL2_STEP
    return str(run_eval(cfg, Path(plan.folder), index, Path(sft_dir) / MODEL_DIR))


def train_and_evaluate(plan: TrialPlan) -> dict[str, float]:
    """Stage 1 SFT + eval, then stage 2 SFT + eval where planned, each step's result reported
    to Tune; returns the accuracies."""
    from ray import tune

    from skyray.runs import read_manifest

    metrics: dict[str, float] = {}
    for stage in (1, 2) if plan.stage2_data else (1,):
        prefix = "" if stage == 1 else "stage2/"
        sft_dir = off_placement_group(sft_step, plan.to_dict(), stage)
        final = read_manifest(sft_dir).get("final_metrics", {})
        tune.report({f"{prefix}sft/{k}": v for k, v in final.items() if isinstance(v, float)})
        eval_dir = off_placement_group(eval_step, plan.to_dict(), stage, sft_dir)
        metrics.update(accuracy_metrics(Path(eval_dir), prefix))
        tune.report(dict(metrics))
    return metrics


def run_trial(config: dict[str, Any], plans: dict[str, dict[str, Any]]) -> None:
    """The Tune function trainable. ``config["trial"]`` is the grid point (name and params, what
    Tune shows); ``plans`` (bound with ``tune.with_parameters``) maps names to plan dicts."""
    plan = TrialPlan.from_dict(plans[config["trial"]["name"]])
    folder = Path(plan.folder)
    folder.mkdir(parents=True, exist_ok=True)
    attempts = int(read_status(folder).get("attempts", 0)) + 1
    write_status(folder, plan, "running", attempts=attempts)
    try:
        metrics = train_and_evaluate(plan)
    except Exception as exc:
        write_status(folder, plan, "failed", attempts=attempts, error=one_line(exc))
        raise
    write_status(folder, plan, "done", attempts=attempts, metrics=metrics)
