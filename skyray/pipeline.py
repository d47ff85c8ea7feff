"""The whole SkyRay job: the stages in order, each a resumable step of one run folder.

Step numbers are fixed so every run folder reads the same way::

    step-1-seeds  step-2-synth  step-3-curate  step-4-sft  step-5-eval
    step-4-sweep                     (optional, instead of or beside sft/eval: the data-scaling
                                      sweep on the curated data, its own SFT + eval per trial)
    step-6-sft  step-7-eval          (the optional curriculum stage 2: sft-stage2, eval-stage2)
    step-8-selfcompare               (optional: SkyMath's self-compare rounds)
    step-9-eval                      (optional, eval-selfcompare: the self-compare model)

Each step reads the previous one's output (seeds.parquet -> synthetic.parquet -> kept/ ->
model/ -> report) and is skipped on rerun when it finished with the same config and inputs (see
:mod:`skyray.runs`). Synthesis writes both curriculum stages' samples (column ``stage``); SFT
stage 1 trains on the stage-1 rows, and the optional ``sft-stage2`` step is the same recipe with
its own config (``data_stage: 2``) continuing from stage 1's export: the pipeline points its
``model`` at ``step-4-sft``. The ``sweep`` step (:mod:`skyray.sweep.step`) trains and evaluates
every trial of ``sweep`` on nested subsets of the curated rows (stage 2 for ``stage2_sizes``);
a ``selfcompare`` step after it starts from the largest size's final model.

The run folder is ``run_dir``, under ``storage`` (or ``$SKYRAY_STORAGE``) when relative: an
absolute shared path or a URI such as ``s3://bucket/prefix``. On a URI each step works in a
local staging copy of the folders it reads and is uploaded when it finishes (see
:mod:`skyray.storage`); the teacher cache and Ray Train's checkpoints live on the storage.

``local_teacher: true`` serves SkyRay's deterministic teacher (or, with ``local_teacher_backend:
miniworld``, the miniature world's) at ``synth.teacher.base_url`` (127.0.0.1) while the synth
step runs, and at ``selfcompare.teacher.base_url`` while an ``openai``-backed self-compare step
runs (the laptop demo and tests); otherwise those URLs name a real endpoint (``skyray serve``,
``vllm serve``, a hosted API).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from skyray.config import require
from skyray.curate.config import CurateConfig
from skyray.data.seeds import SeedsConfig
from skyray.eval.run import EvalConfig
from skyray.selfcompare.config import SelfCompareConfig
from skyray.sweep.config import SweepConfig
from skyray.synth.config import SynthConfig
from skyray.testing.miniworld.config import MiniWorldTeacherConfig
from skyray.train.config import SFTConfig

logger = logging.getLogger(__name__)
STEP_NUMBERS = {
    "seeds": 1,
    "synth": 2,
    "curate": 3,
    "sft": 4,
    "sweep": 4,  # the sweep is stage-1 (and stage-2) training, many times: its own folder
    "eval": 5,
    "sft-stage2": 6,
    "eval-stage2": 7,
    "selfcompare": 8,
    "eval-selfcompare": 9,
}
DEFAULT_STEPS = ["seeds", "synth", "curate", "sft", "eval"]
NEEDS = {  # the earlier steps each step reads
    "seeds": [],
    "synth": ["seeds"],
    "curate": ["synth"],
    "sft": ["curate"],
    "sweep": ["curate"],
    "eval": ["sft"],
    "sft-stage2": ["curate", "sft"],
    "eval-stage2": ["sft-stage2"],
    "selfcompare": ["seeds", "sft", "sft-stage2", "sweep"],  # those that exist are staged
    "eval-selfcompare": ["selfcompare"],
}


@dataclass(kw_only=True)
class PipelineConfig:
    run_dir: str = "runs/demo"  # the run folder all steps write into (under storage if relative)
    storage: str = ""  # storage root (absolute shared path or URI); "" = $SKYRAY_STORAGE or none
    steps: list[str] = field(default_factory=lambda: list(DEFAULT_STEPS))  # stages to run, in order
    local_teacher: bool = False  # serve a local teacher on 127.0.0.1 for synth
    # which local teacher: "deterministic" (answers from the seeds) or "miniworld" (the
    # miniature world's teacher: new problems, noise and planted leaks; see skyray.testing)
    local_teacher_backend: Literal["deterministic", "miniworld"] = "deterministic"
    miniworld: MiniWorldTeacherConfig = field(default_factory=MiniWorldTeacherConfig)
    seeds: SeedsConfig = field(default_factory=SeedsConfig)  # step 1
    synth: SynthConfig = field(default_factory=SynthConfig)  # step 2
    curate: CurateConfig = field(default_factory=CurateConfig)  # step 3
    sft: SFTConfig = field(default_factory=SFTConfig)  # step 4
    eval: EvalConfig = field(default_factory=EvalConfig)  # step 5
    # step 4 as a sweep (run_dir and data := the step folder and the curated rows); required
    # when steps list "sweep"
    sweep: SweepConfig | None = None
    sft_stage2: SFTConfig = field(default_factory=SFTConfig)  # step 6 (model := step-4-sft)
    eval_stage2: EvalConfig = field(default_factory=EvalConfig)  # step 7
    # step 8 (SkyMath); model := the newest sft step, problems := the seeds, unless set
    selfcompare: SelfCompareConfig = field(default_factory=SelfCompareConfig)
    eval_selfcompare: EvalConfig = field(default_factory=EvalConfig)  # step 9: its final model

    def __post_init__(self) -> None:
        unknown = [s for s in self.steps if s not in STEP_NUMBERS]
        require(not unknown, f"unknown pipeline steps {unknown}; known: {list(STEP_NUMBERS)}")
        require(bool(self.steps), "pipeline.steps must not be empty")
        order = [STEP_NUMBERS[s] for s in self.steps]
        require(order == sorted(order), f"pipeline.steps must be in stage order: {self.steps}")
        require(
            "sweep" not in self.steps or self.sweep is not None,
            "pipeline.steps lists sweep but the config has no sweep: section",
        )


def step_path(run_dir: Path, name: str) -> Path:
    """The folder of pipeline step ``name`` (stage-2 steps reuse their recipe's folder name)."""
    return run_dir / f"step-{STEP_NUMBERS[name]}-{name.split('-')[0]}"


def _sweep_only(run_dir: Path) -> bool:
    """A finished sweep step and no finished sft step (self-compare then starts from the
    sweep's final model)."""
    from skyray.runs import SUCCESS

    trained = [step_path(run_dir, s) / SUCCESS for s in ("sft", "sft-stage2")]
    sweep = step_path(run_dir, "sweep") / SUCCESS
    return sweep.is_file() and not any(p.is_file() for p in trained)


def _require_done(path: Path, name: str) -> Path:
    from skyray.runs import SUCCESS

    if not (path / SUCCESS).is_file():
        raise FileNotFoundError(f"{name} needs the finished step {path} (run it first)")
    return path


@contextlib.contextmanager
def _local_teacher(cfg: PipelineConfig, seeds_path: Path, base_url: str = ""):
    """Serve the local teacher (the deterministic one answers from ``seeds_path``) at the host
    and port of ``synth.teacher.base_url``, so the synth config, and so its fingerprint, stays
    the same."""
    from urllib.parse import urlparse

    from skyray.serve.server import ServeConfig, running_server

    synth = cfg.synth
    url = urlparse(base_url or synth.teacher.base_url)
    require(
        url.hostname in ("127.0.0.1", "localhost") and url.port is not None,
        f"local_teacher needs synth.teacher.base_url on 127.0.0.1 with a port, got {url.geturl()}",
    )
    serve_cfg = ServeConfig(
        backend=cfg.local_teacher_backend,
        engine="uvicorn",
        model_name=synth.teacher.model,
        seeds_path=str(seeds_path),
        host="127.0.0.1",
        port=int(url.port),
        miniworld=cfg.miniworld,
    )
    with running_server(serve_cfg) as base_url:
        logger.info("pipeline: local %s teacher at %s", cfg.local_teacher_backend, base_url)
        yield


def run_pipeline(
    cfg: PipelineConfig, address: str | None = None, force: bool = False
) -> dict[str, Path]:
    """Run the configured steps (``force``: redo finished ones too); returns each step's folder
    (its staged copy on a URI root: :func:`skyray.storage.remote_of` gives the URI)."""
    from skyray.storage import resolve_run_dir, staged_step

    run_dir = resolve_run_dir(cfg.run_dir, cfg.storage)
    done: dict[str, Path] = {}
    for name in cfg.steps:
        needs = [step_path(Path(), n).name for n in NEEDS[name]]
        with staged_step(run_dir, step_path(Path(), name).name, needs) as local:
            done[name] = _run_step(cfg, name, local, address, force)
    return done


def _run_step(
    cfg: PipelineConfig, name: str, run_dir: Path, address: str | None, force: bool = False
) -> Path:
    """One step in the (local or staged) run folder ``run_dir``."""
    from skyray.runs import MANIFEST, Step

    index = STEP_NUMBERS[name]
    if name == "seeds":
        from skyray.data.seeds import run_seeds

        return run_seeds(cfg.seeds, run_dir, index, force)
    elif name == "synth":
        from skyray.data.seeds import SEEDS_FILE
        from skyray.synth.pipeline import run_synth

        seeds = _require_done(step_path(run_dir, "seeds"), name) / SEEDS_FILE
        finished = not force and Step(run_dir, index, "synth").is_done(cfg.synth, [seeds])
        teacher = _local_teacher(cfg, seeds) if cfg.local_teacher and not finished else None
        with teacher or contextlib.nullcontext():
            return run_synth(cfg.synth, run_dir, index, seeds, address, force)
    elif name == "curate":
        from skyray.curate.run import run_curate
        from skyray.synth.pipeline import OUTPUT

        samples = _require_done(step_path(run_dir, "synth"), name) / OUTPUT
        return run_curate(cfg.curate, run_dir, index, [samples], address, force)
    elif name in ("sft", "sft-stage2"):
        from skyray.storage import resolve_input
        from skyray.train.trainer import run_sft

        kept = _require_done(step_path(run_dir, "curate"), name) / "kept"
        sft_cfg = cfg.sft
        if name == "sft-stage2":  # continue from stage 1's export
            stage1 = _require_done(step_path(run_dir, "sft"), name)
            sft_cfg = replace(cfg.sft_stage2, model=str(stage1))
        else:  # a model folder given as a URI or by a path under the storage root
            sft_cfg = replace(sft_cfg, model=str(resolve_input(sft_cfg.model, cfg.storage)))
        return run_sft(sft_cfg, run_dir, index, kept, address, force)
    elif name == "sweep":
        from skyray.sweep.step import run_sweep_step

        assert cfg.sweep is not None  # PipelineConfig requires it with the step
        kept = _require_done(step_path(run_dir, "curate"), name) / "kept"
        return run_sweep_step(cfg.sweep, run_dir, index, kept, address, force)
    elif name in ("eval", "eval-stage2"):
        from skyray.eval.run import run_eval
        from skyray.train.trainer import MODEL_DIR

        trained = "sft" if name == "eval" else "sft-stage2"
        sft_dir = _require_done(step_path(run_dir, trained), name)
        eval_cfg = cfg.eval if name == "eval" else cfg.eval_stage2
        if not eval_cfg.training_manifest:  # guard against overlap with what was trained on
            eval_cfg = replace(eval_cfg, training_manifest=str(sft_dir / MANIFEST))
        return run_eval(eval_cfg, run_dir, index, sft_dir / MODEL_DIR, address, force)
    elif name == "selfcompare":
        from skyray.selfcompare.run import run_pipeline_step

        teacher, sc_cfg = None, cfg.selfcompare
        if not sc_cfg.model and _sweep_only(run_dir):  # start from the sweep's largest model
            from skyray.runs import read_manifest

            final = read_manifest(step_path(run_dir, "sweep"))["final_model"]
            sc_cfg = replace(sc_cfg, model=final)
        if cfg.local_teacher and cfg.selfcompare.teacher_backend == "openai":
            seeds = step_path(run_dir, "seeds") / "seeds.parquet"
            teacher = _local_teacher(cfg, seeds, cfg.selfcompare.teacher.base_url)
        with teacher or contextlib.nullcontext():
            return run_pipeline_step(sc_cfg, run_dir, index, address, force)
    elif name == "eval-selfcompare":
        from skyray.eval.run import run_eval
        from skyray.runs import read_manifest
        from skyray.train.trainer import MODEL_DIR

        step = _require_done(step_path(run_dir, "selfcompare"), name)
        model = Path(read_manifest(step)["final_model"])  # an sft step folder, or a model folder
        if (model / MODEL_DIR).is_dir():
            model = model / MODEL_DIR
        return run_eval(cfg.eval_selfcompare, run_dir, index, model, address, force)
    raise AssertionError(f"unhandled step {name}")  # PipelineConfig validated the names
