"""The ``sft`` step on a Ray cluster: preflight, Ray Data ingest, ``TorchTrainer``, export.

``run_sft(cfg, run_dir, index, data_path)`` writes ``runs/<run>/step-<index>-sft/``::

    preflight.txt   rendered samples, loss-bearing text between [[ ]]
    metrics.jsonl   one line per logged step (loss, lr, tokens/s, MFU on GPU) and run events
    ray/            Ray Train storage: checkpoints (ZeRO shards, optimizer, scheduler, step)
    model/          the final Hugging Face export (safetensors + tokenizer)
    manifest.json   config, inputs, the dataset's manifest (path + hashes), final metrics

A rerun with the same config and data resumes from the newest checkpoint in ``ray/`` (Ray Train
restores a run from its storage folder); ``FailureConfig`` does the same within a run after a
worker or node failure.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

from skyray.config import require, to_dict
from skyray.train.config import SFTConfig
from skyray.train.session import MODEL_DIR

logger = logging.getLogger(__name__)
PREFLIGHT_FILE = "preflight.txt"
METRICS_FILE = "metrics.jsonl"
LOCAL_PREFIXES = ("/", "./", "../", "~", "runs/")


def resolve_model(model: str) -> str:
    """A Hub id as is; a folder with config.json; or a finished sft step folder's model/."""
    from skyray.runs import SUCCESS

    require(bool(model), "sft.model must name a Hub id, a model folder or an sft step folder")
    path = Path(model).expanduser()
    if path.is_dir():
        if (path / MODEL_DIR / "config.json").is_file():
            require((path / SUCCESS).is_file(), f"{path} is an sft step that did not finish")
            return str((path / MODEL_DIR).resolve())
        if (path / "config.json").is_file():
            return str(path.resolve())
        raise FileNotFoundError(f"{path} holds neither config.json nor a {MODEL_DIR}/ export")
    if model.startswith(LOCAL_PREFIXES) or path.exists():
        raise FileNotFoundError(f"model folder not found: {model}")
    return model


def run_preflight(cfg: SFTConfig, tokenizer_path: str, data_path: str | Path, out: Path) -> None:
    """Check the loss mask on the first rows of the stage being trained; write the renderings."""
    from skyray.train.data import load_tokenizer, read_rows
    from skyray.train.tokenize import preflight

    rows = read_rows(data_path, limit=cfg.preflight_samples, stage=cfg.data_stage)
    require(bool(rows), f"{data_path}: no rows of stage {cfg.data_stage}")
    views = preflight(
        load_tokenizer(tokenizer_path), rows[: cfg.preflight_samples], cfg.max_length, cfg.overlong
    )
    out.write_text("\n\n----\n\n".join(views) + "\n", encoding="utf-8")


def loop_config(cfg: SFTConfig, model_path: str, tokenizer_path: str, **extra: Any) -> dict:
    """``train_loop_config``: everything a worker needs, as plain data."""
    return {
        "sft": to_dict(cfg),
        "model_path": model_path,
        "tokenizer_path": tokenizer_path,
        **extra,
    }


def read_metrics(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def run_sft(
    cfg: SFTConfig,
    run_dir: str | Path,
    index: int = 4,
    data_path: str | Path | None = None,
    address: str | None = None,
    force: bool = False,
) -> Path:
    """The sft step (skipped when finished with the same config and data); returns its folder.
    ``force`` redoes a finished step from scratch (its checkpoints are wiped)."""
    from ray.train import CheckpointConfig, DataConfig, FailureConfig, RunConfig, ScalingConfig
    from ray.train.torch import TorchTrainer

    from skyray.cluster import check_reachable, init_ray
    from skyray.runs import Step, fingerprint
    from skyray.storage import remote_of
    from skyray.train.data import build_ray_dataset, dataset_manifest, parquet_files
    from skyray.train.loop import train_loop

    data_path = str(data_path or cfg.data_path)
    require(bool(data_path), "sft needs data: set data_path or pass the curated Parquet")
    parquet_files(data_path)  # a clear error before anything starts
    model_path = resolve_model(cfg.model)
    tokenizer_path = resolve_model(cfg.tokenizer) if cfg.tokenizer else model_path
    inputs: list[str | Path] = [data_path] + ([model_path] if Path(model_path).is_dir() else [])
    step = Step(Path(run_dir), index, "sft")
    if not force and step.is_done(cfg, inputs):
        logger.info("sft: %s is done, skipping", step.path)
        return step.path
    check_reachable(address)  # one line now, not after minutes of GCS retries
    step.start(reset=force)  # keep ray/ so a rerun resumes from its checkpoints
    run_preflight(cfg, tokenizer_path, data_path, step.path / PREFLIGHT_FILE)

    init_ray(address)
    resources = {
        "CPU": cfg.cpus_per_worker,
        **({"GPU": 1} if cfg.use_gpu else {}),
        **cfg.worker_resources,
    }
    from skyray.placement import check_shared_folder, check_visible

    # rank 0 writes metrics.jsonl there (a staged URI step: every node reaches it)
    check_shared_folder(remote_of(step.path.resolve()), resources, "sft")
    first = remote_of(parquet_files(data_path)[0].resolve())
    check_visible([first], None, "sft data")  # Ray Data reads it on any node
    dataset = build_ray_dataset(data_path, tokenizer_path, cfg)
    storage, storage_fs = ray_storage(cfg.storage_path or remote_of((step.path / "ray").resolve()))
    metrics_path = step.path / METRICS_FILE
    trainer = TorchTrainer(
        train_loop,
        train_loop_config=loop_config(
            cfg, model_path, tokenizer_path, mode="ray", metrics_path=str(metrics_path.resolve())
        ),
        scaling_config=ScalingConfig(
            num_workers=cfg.num_workers, use_gpu=cfg.use_gpu, resources_per_worker=resources
        ),
        run_config=RunConfig(
            name=f"sft-{fingerprint(cfg, inputs)}",
            storage_path=storage,
            storage_filesystem=storage_fs,
            failure_config=FailureConfig(max_failures=cfg.max_failures),
            checkpoint_config=CheckpointConfig(num_to_keep=cfg.num_checkpoints_to_keep),
        ),
        datasets={"train": dataset},
        # every worker reads all rows and keeps its own share (see skyray.train.shard.shard_rows)
        dataset_config=DataConfig(datasets_to_split=[]),
    )
    result = trainer.fit()
    require(result.checkpoint is not None, "sft finished without a checkpoint")
    export = step.path / MODEL_DIR
    with result.checkpoint.as_directory() as path:
        shutil.rmtree(export, ignore_errors=True)
        shutil.copytree(Path(path) / MODEL_DIR, export)

    records = read_metrics(metrics_path)
    starts = [r for r in records if r.get("event") == "start"]
    data_counts = starts[-1]["data"] if starts else {}
    step.finish(
        cfg,
        inputs,
        rows={k: int(v) for k, v in data_counts.items()},
        extra={
            "dataset": dataset_manifest(data_path),
            "base_model": model_path,
            "model": str(export),
            "checkpoint": result.checkpoint.path,
            "final_metrics": {k: v for k, v in (result.metrics or {}).items() if _plain(v)},
            "attempts": len(starts),
        },
    )
    return step.path


def ray_storage(where: str) -> tuple[str, Any]:
    """Ray Train's ``storage_path`` and ``storage_filesystem`` for a local path or a URI (on a
    URI storage root the checkpoints live on the storage, so a later job resumes from them)."""
    from skyray.storage import filesystem, is_uri

    if not is_uri(where):
        return where, None
    fs, path = filesystem(where)
    return path, fs


def _plain(value: Any) -> bool:
    return isinstance(value, (int, float, str, bool, list, dict)) or value is None
