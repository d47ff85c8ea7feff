"""The SFT training loop: plain PyTorch + DeepSpeed ZeRO, read top to bottom.

``train_loop(config)`` is the whole loop. Under Ray Train it is ``train_loop_per_worker`` (data
from ``get_dataset_shard``, checkpoints through ``ray.train.report``); without Ray (one process,
``torchrun`` or ``deepspeed``) the same function reads the Parquet itself and checkpoints into a
folder. Everything it needs is in ``config`` (a plain dict):

- ``sft``: the :class:`SFTConfig` as a dict;  ``model_path`` / ``tokenizer_path``: resolved paths;
- ``mode``: ``"ray"`` or ``"local"``;  ``metrics_path``: JSON-lines metrics file (rank 0);
- local mode only: ``data_path`` (Parquet) and ``output_dir`` (checkpoints/, model/).

Data order: kept rows sorted by key (id + content hash); kept row ``i`` belongs to rank
``i % world_size``; each epoch shuffles a rank's rows with ``(seed, epoch)``. All ranks run the same
number of optimizer steps (the minimum over ranks; the few samples left over are counted).
A checkpoint holds the ZeRO shards, optimizer, scheduler and the global step, which fixes the data
position, so a resumed run continues exactly where the checkpoint was taken.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from skyray.config import from_dict
from skyray.train.collate import pack_batch, pad_batch, plan_epoch, sequence_lengths, token_loss_sum
from skyray.train.config import SFTConfig
from skyray.train.ds_config import build_ds_config
from skyray.train.flops import model_shape, peak_flops, train_flops
from skyray.train.schedule import lr_multiplier, warmup_steps_for

logger = logging.getLogger(__name__)
MODEL_DIR = "model"  # the Hugging Face export inside a checkpoint / output folder
STATE_KEY = "skyray"  # our entry in DeepSpeed's client_state


class InjectedFailure(RuntimeError):
    """Raised by ``fail_once_at_step`` (tests of recovery)."""


# --- where rows come from and checkpoints go: Ray Train or a plain folder ----------------------


class RaySession:
    """Rank, data and checkpoints under Ray Train."""

    def __init__(self, config: dict[str, Any]):
        import ray.train

        ctx = ray.train.get_context()
        self.rank, self.world = ctx.get_world_rank(), ctx.get_world_size()
        self.local_rank = ctx.get_local_rank()
        restored = ray.train.get_checkpoint()  # the last checkpoint this rank marked, or Ray's
        self._persisted: str | None = restored.path if restored is not None else None

    def device(self) -> Any:
        import ray.train.torch

        return ray.train.torch.get_device()  # the GPU Ray gave this worker

    def batches(self, cfg: SFTConfig) -> Iterator[Any]:
        """All encoded rows (every worker reads every row), as Arrow batches."""
        import ray.train

        shard = ray.train.get_dataset_shard("train")
        yield from shard.iter_batches(batch_size=1024, batch_format="pyarrow")

    def restore(self, engine: Any) -> dict[str, Any] | None:
        """Load the newest complete checkpoint on storage (see :mod:`skyray.train.resume`); rank
        0 chooses, so every rank loads the same one."""
        import ray.train
        import torch.distributed as dist

        choice = [self._choose_checkpoint() if self.rank == 0 else None]
        if dist.is_initialized() and self.world > 1:
            dist.broadcast_object_list(choice, src=0)
        if choice[0] is None:
            return None
        path, fs = choice[0], ray.train.get_context().get_storage().storage_filesystem
        with ray.train.Checkpoint(path=path, filesystem=fs).as_directory() as local:
            _, client_state = engine.load_checkpoint(local)
        return (client_state or {}).get(STATE_KEY)

    def _choose_checkpoint(self) -> str | None:
        import ray.train

        from skyray.train.resume import checkpoint_step, newest_complete

        storage = ray.train.get_context().get_storage()
        fs = storage.storage_filesystem
        found = newest_complete(fs, storage.experiment_fs_path, self.world)
        registered = ray.train.get_checkpoint()
        if registered is not None:
            step = checkpoint_step(registered.filesystem, registered.path)
            if found is None or (step is not None and step > found[1]):
                return registered.path
        return found[0] if found else None

    def save(self, engine: Any, state: dict[str, Any], metrics: dict, export: Any) -> None:
        import ray.train

        from skyray.train.resume import write_marker

        with tempfile.TemporaryDirectory(prefix="skyray-ckpt-") as path:
            engine.save_checkpoint(
                path, tag=f"step-{state['global_step']}", client_state={STATE_KEY: state}
            )
            if export is not None:
                export(Path(path) / MODEL_DIR)
            ray.train.report(metrics, checkpoint=ray.train.Checkpoint.from_directory(path))
        # the upload is done (synchronous report): mark this rank's part complete on storage;
        # an unchanged checkpoint means Ray skipped this report (a worker failed meanwhile)
        persisted = ray.train.get_checkpoint()
        if persisted is not None and persisted.path != self._persisted:
            self._persisted = persisted.path
            write_marker(
                persisted.filesystem,
                persisted.path,
                self.rank,
                self.world,
                int(state["global_step"]),
            )

    def report(self, metrics: dict) -> None:
        import ray.train

        ray.train.report(metrics)


class LocalSession:
    """Rank from the launcher's environment (torchrun/deepspeed) or a single process."""

    def __init__(self, config: dict[str, Any]):
        os.environ.setdefault("RANK", "0")
        os.environ.setdefault("LOCAL_RANK", "0")
        os.environ.setdefault("WORLD_SIZE", "1")
        os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
        os.environ.setdefault("MASTER_PORT", str(_free_port()))
        self.rank, self.world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
        self.local_rank = int(os.environ["LOCAL_RANK"])
        self.data_path = config["data_path"]
        self.tokenizer_path = config["tokenizer_path"]
        self._table: Any = None
        self.output_dir = Path(config["output_dir"])
        self.ckpt_dir = self.output_dir / "checkpoints"

    def device(self) -> Any:
        import torch

        return torch.device(f"cuda:{self.local_rank}")

    def batches(self, cfg: SFTConfig) -> Iterator[Any]:
        from skyray.train.data import encoded_table

        if self._table is None:
            self._table = encoded_table(self.data_path, self.tokenizer_path, cfg)
        yield from self._table.to_batches(max_chunksize=1024)

    def restore(self, engine: Any) -> dict[str, Any] | None:
        if not (self.ckpt_dir / "latest").is_file():
            return None
        _, client_state = engine.load_checkpoint(str(self.ckpt_dir))
        return (client_state or {}).get(STATE_KEY)

    def save(self, engine: Any, state: dict[str, Any], metrics: dict, export: Any) -> None:
        import torch.distributed as dist

        tag = f"step-{state['global_step']}"
        engine.save_checkpoint(str(self.ckpt_dir), tag=tag, client_state={STATE_KEY: state})
        if export is not None:
            export(self.output_dir / MODEL_DIR)
        dist.barrier()
        if self.rank == 0:  # keep the newest checkpoints, like Ray's num_to_keep
            keep = state["num_checkpoints_to_keep"]
            tags = sorted(
                (p for p in self.ckpt_dir.glob("step-*") if p.is_dir()),
                key=lambda p: int(p.name.split("-")[1]),
            )
            for old in tags[:-keep]:
                shutil.rmtree(old, ignore_errors=True)

    def report(self, metrics: dict) -> None:
        return None


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- helpers the loop calls ---------------------------------------------------------------------


def shard_rows(
    batches: Callable[[], Iterator[Any]], rank: int, world: int
) -> tuple[list[tuple[list[int], int]], Counter]:
    """This rank's samples (in key order) and the drop counts over all rows.

    Two passes over ``batches()`` (Arrow batches, in any order): the sorted keys of the kept
    rows say that kept row ``i`` belongs to rank ``i % world``; the second pass decodes only this
    rank's rows. So the split never depends on file or block order, and no worker holds more
    than its own share of tokens."""
    keys, drops = [], Counter()
    for batch in batches():
        for key, drop in zip(
            batch.column("key").to_pylist(), batch.column("drop").to_pylist(), strict=True
        ):
            if drop:
                drops[drop] += 1
            else:
                keys.append(key)
    keys.sort()
    owned = set(keys[rank::world])
    mine: list[tuple[str, list[int], int]] = []
    for batch in batches():
        batch_keys = batch.column("key").to_pylist()
        batch_drops = batch.column("drop").to_pylist()
        picked = [
            i
            for i, (k, d) in enumerate(zip(batch_keys, batch_drops, strict=True))
            if not d and k in owned
        ]
        if not picked:
            continue
        ids = batch.column("input_ids").take(picked).to_pylist()
        plens = batch.column("prompt_len").take(picked).to_pylist()
        mine.extend((batch_keys[i], t, p) for i, t, p in zip(picked, ids, plens, strict=True))
    mine.sort(key=lambda item: item[0])
    drops["kept"] = len(keys)
    return [(ids, plen) for _, ids, plen in mine], drops


def locate(global_step: int, steps_per_epoch: list[int]) -> tuple[int, int]:
    """(epoch, step within the epoch) of a global optimizer step."""
    for epoch, steps in enumerate(steps_per_epoch):
        if global_step < steps:
            return epoch, global_step
        global_step -= steps
    raise AssertionError("global step past the end of training")


def param_digest(engine: Any) -> dict[str, list[float]]:
    """Per-tensor (sum, sum of |x|) of the full weights (gathered under ZeRO-3)."""
    import deepspeed

    params = dict(engine.module.named_parameters())
    with deepspeed.zero.GatheredParameters(list(params.values()), modifier_rank=None):
        return {
            name: [float(p.detach().double().sum()), float(p.detach().double().abs().sum())]
            for name, p in params.items()
        }


def export_hf(engine: Any, tokenizer: Any, out_dir: Path, rank: int, zero3: bool) -> None:
    """Consolidate the weights on rank 0 and write a Hugging Face folder (safetensors +
    tokenizer) that transformers and vLLM load directly. Collective: every rank calls it."""
    state = engine._zero3_consolidated_16bit_state_dict() if zero3 else engine.module.state_dict()
    if rank != 0:
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    model = engine.module
    model.config.use_cache = True  # generation wants the cache back
    model.save_pretrained(out_dir, state_dict=state)
    model.config.use_cache = False
    tokenizer.save_pretrained(out_dir)


def _attn_implementation(cfg: SFTConfig) -> str:
    import importlib.util

    if cfg.attn_implementation != "auto":
        return cfg.attn_implementation
    if cfg.use_gpu and importlib.util.find_spec("flash_attn") is not None:
        return "flash_attention_2"
    return "sdpa"


class MetricsWriter:
    """JSON lines on rank 0, plus Ray metrics when running under Ray: gauges
    ``skyray_sft_{loss,lr,tokens_per_s,mfu,grad_norm}`` and counters ``skyray_sft_steps_total``,
    ``skyray_sft_tokens_total`` with the step folder's run/step/stage labels (:mod:`skyray.metrics`)."""

    GAUGES = ("loss", "lr", "tokens_per_s", "mfu", "grad_norm", "step")

    def __init__(self, path: str | None, rank: int, use_ray: bool):
        self.path = Path(path) if path and rank == 0 else None
        self.metrics = self.ticker = None
        self.rank = rank
        if use_ray and rank == 0 and path:
            from skyray.metrics import StageMetrics

            self.metrics = StageMetrics.for_step(Path(path).parent, "sft")

    def write(self, record: dict[str, Any]) -> None:
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a") as fh:
                fh.write(json.dumps(record, default=float) + "\n")
        if self.rank == 0 and record.get("event") == "start":
            from skyray.console import LOG_FORMAT, Ticker

            if not logging.getLogger().handlers:  # a Ray worker: INFO lines reach the driver
                logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)

            start = record.get("resumed_at") or 0
            self.ticker = Ticker("sft", record["total_steps"] - start, unit="steps", log=logger)
            self.start_step = start
        if "loss" not in record:
            return
        if self.ticker is not None:
            note = f"loss {record['loss']:.4f}, {record['tokens_per_s']:.0f} tokens/s"
            self.ticker.update(record["step"] - self.start_step, record["step"] == 1, note)
        if self.metrics is not None:
            for name in self.GAUGES:
                self.metrics.gauge(name, record.get(name), hold=False)


# --- the loop -----------------------------------------------------------------------------------


def train_loop(config: dict[str, Any]) -> None:
    import deepspeed
    import torch
    import torch.distributed as dist
    from transformers import AutoModelForCausalLM, AutoTokenizer, set_seed
    from transformers.integrations import HfDeepSpeedConfig, unset_hf_deepspeed_config

    began = time.perf_counter()
    cfg = from_dict(SFTConfig, config["sft"])
    use_ray = config.get("mode", "ray") == "ray"
    session = RaySession(config) if use_ray else LocalSession(config)
    rank, world = session.rank, session.world
    if world != cfg.num_workers:  # the global batch was validated against num_workers
        raise ValueError(
            f"sft.num_workers is {cfg.num_workers} but {world} processes run: set num_workers "
            f"(and micro_batch_size/gradient_accumulation_steps) to match the launcher"
        )
    if not cfg.use_gpu:
        torch.set_num_threads(max(1, int(cfg.cpus_per_worker)))
    device = session.device() if cfg.use_gpu else torch.device("cpu")
    if cfg.use_gpu:
        torch.cuda.set_device(device)
    created_group = not dist.is_initialized()
    deepspeed.init_distributed(dist_backend="nccl" if cfg.use_gpu else "gloo")
    set_seed(cfg.seed)
    metrics = MetricsWriter(config.get("metrics_path"), rank, use_ray)

    # 1. this rank's samples, in a deterministic order
    tokenizer = AutoTokenizer.from_pretrained(config["tokenizer_path"])
    samples, drops = shard_rows(partial(session.batches, cfg), rank, world)
    data_ready = time.perf_counter()
    if not samples:
        raise ValueError(f"rank {rank}: no usable SFT rows (drops: {dict(drops)})")
    lengths = [len(ids) for ids, _ in samples]
    plans = [
        plan_epoch(
            lengths,
            seed=cfg.seed,
            epoch=epoch,
            micro_batch_size=cfg.micro_batch_size,
            max_length=cfg.max_length,
            packing=cfg.packing,
        )
        for epoch in range(cfg.num_epochs)
    ]
    micro_counts = torch.tensor([len(p) for p in plans], dtype=torch.long, device=device)
    dist.all_reduce(micro_counts, op=dist.ReduceOp.MIN)
    gas = cfg.gradient_accumulation_steps
    steps_per_epoch = [int(n) // gas for n in micro_counts.tolist()]
    total_steps = sum(steps_per_epoch)
    if cfg.max_steps:
        total_steps = min(total_steps, cfg.max_steps)
    if total_steps == 0:
        raise ValueError(
            f"not enough data for one optimizer step: {len(samples)} samples on rank {rank}, "
            f"need {gas} micro-batches of {cfg.micro_batch_size}"
        )
    warmup = warmup_steps_for(total_steps, cfg.warmup_ratio)

    # 2. model, optimizer, schedule under ZeRO (weights partitioned as they load)
    ds_config = build_ds_config(cfg, world)
    hf_ds = HfDeepSpeedConfig(ds_config) if cfg.zero_stage == 3 else None  # noqa: F841 (kept alive)
    dtype = torch.bfloat16 if cfg.dtype_name == "bf16" else torch.float32
    model = AutoModelForCausalLM.from_pretrained(
        config["model_path"], dtype=dtype, attn_implementation=_attn_implementation(cfg)
    )
    model.config.use_cache = False  # also lets packed position ids reach the attention mask
    if cfg.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    num_params = sum(getattr(p, "ds_numel", p.numel()) for p in model.parameters())
    shape = model_shape(model.config, num_params)
    optimizer = torch.optim.AdamW(
        model.parameters(),
        lr=cfg.learning_rate,
        betas=(cfg.adam_beta1, cfg.adam_beta2),
        eps=cfg.adam_eps,
        weight_decay=cfg.weight_decay,
    )
    schedule = partial(
        lr_multiplier,
        total_steps=total_steps,
        warmup_steps=warmup,
        schedule=cfg.lr_schedule,
        min_ratio=cfg.min_lr_ratio,
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    engine, _, _, scheduler = deepspeed.initialize(
        model=model, optimizer=optimizer, lr_scheduler=scheduler, config=ds_config
    )
    peak = peak_flops(torch.cuda.get_device_name(device), cfg.peak_tflops) if cfg.use_gpu else None

    # 3. resume: weights, optimizer, scheduler and the step (hence the data position)
    state = session.restore(engine)
    start_step = int(state["global_step"]) if state else 0
    resumed = state is not None
    if rank == 0:
        logger.info(
            "sft: %d samples on rank 0, %d workers, %d steps (%s per epoch), warmup %d, %s",
            len(samples), world, total_steps, steps_per_epoch, warmup,
            f"resumed at step {start_step}" if resumed else "fresh start",
        )  # fmt: skip
    metrics.write(
        {
            "event": "start",
            "resumed_at": start_step if resumed else None,
            "total_steps": total_steps,
            "steps_per_epoch": steps_per_epoch,
            "warmup_steps": warmup,
            "world_size": world,
            "data": dict(drops),
            "samples_on_rank0": len(samples),
            "data_s": round(data_ready - began, 3),
            "setup_s": round(time.perf_counter() - began, 3),
        }
    )
    if cfg.record_initial_digest and not resumed:
        digest = param_digest(engine)
        metrics.write({"event": "initial_digest", "digest": digest})

    # 4. train
    engine.train()
    collate = pack_batch if cfg.packing else partial(pad_batch, pad_id=tokenizer.pad_token_id or 0)
    last: dict[str, Any] = {}
    for global_step in range(start_step, total_steps):
        epoch, step_in_epoch = locate(global_step, steps_per_epoch)
        micro = plans[epoch][step_in_epoch * gas : (step_in_epoch + 1) * gas]
        batches = [collate([samples[i] for i in indices]) for indices in micro]
        seq_lens = [n for b in batches for n in sequence_lengths(b)]
        local = torch.tensor(
            [
                sum(int((b["labels"][:, 1:] != -100).sum()) for b in batches),
                sum(seq_lens),
                len(seq_lens),
                train_flops(seq_lens, **shape),
            ],
            dtype=torch.float64,
            device=device,
        )
        dist.all_reduce(local)
        loss_tokens, tokens, num_samples, flops = local.tolist()
        if cfg.use_gpu:
            torch.cuda.synchronize()
        lr = scheduler.get_last_lr()[0]  # the rate this step uses
        started = time.perf_counter()
        loss_sum = torch.zeros((), dtype=torch.float64, device=device)
        for batch in batches:
            batch = {k: v.to(device) for k, v in batch.items()}
            labels = batch.pop("labels")
            logits = engine(**batch, use_cache=False).logits
            summed, _ = token_loss_sum(logits, labels)
            # ZeRO averages gradients over ranks: scaled like this, the summed gradients are those
            # of the mean loss over every loss token of the global batch (all micro-batches)
            engine.backward(summed * world / max(1.0, loss_tokens), scale_wrt_gas=False)
            engine.step()
            loss_sum += summed.detach().double()
        dist.all_reduce(loss_sum)
        if cfg.use_gpu:
            torch.cuda.synchronize()
        elapsed = time.perf_counter() - started
        step = global_step + 1
        grad_norm = engine.get_global_grad_norm()
        last = {
            "step": step,
            "epoch": epoch,
            "loss": float(loss_sum) / max(1.0, loss_tokens),
            "lr": lr,
            "grad_norm": float(grad_norm) if grad_norm is not None else None,
            "tokens": int(tokens),
            "loss_tokens": int(loss_tokens),
            "samples": int(num_samples),
            "step_time_s": elapsed,
            "tokens_per_s": tokens / elapsed,
            "mfu": flops / (elapsed * world * peak) if peak else None,
        }
        if step % cfg.log_every_steps == 0 or step == total_steps:
            metrics.write(last)
        if cfg.fail_once_at_step and step == cfg.fail_once_at_step and not resumed:
            raise InjectedFailure(f"injected failure after step {step} (fail_once_at_step)")
        if cfg.save_every_steps and step % cfg.save_every_steps == 0 and step < total_steps:
            ckpt_state = {
                "global_step": step,
                "num_checkpoints_to_keep": cfg.num_checkpoints_to_keep,
            }
            session.save(engine, ckpt_state, last, export=None)
        elif step % cfg.log_every_steps == 0 and step < total_steps:
            session.report(last)

    # 5. final checkpoint with the Hugging Face export
    final_state = {
        "global_step": total_steps,
        "num_checkpoints_to_keep": cfg.num_checkpoints_to_keep,
    }
    export = partial(export_hf, engine, tokenizer, rank=rank, zero3=cfg.zero_stage == 3)
    session.save(engine, final_state, {**last, "step": total_steps, "done": True}, export=export)
    metrics.write({"event": "end", "step": total_steps})
    unset_hf_deepspeed_config()
    if created_group and not use_ray:
        dist.destroy_process_group()
