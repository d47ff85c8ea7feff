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

import logging
import time
from functools import partial
from typing import Any

from skyray.config import from_dict
from skyray.train.collate import pack_batch, pad_batch, plan_epoch, sequence_lengths, token_loss_sum
from skyray.train.config import SFTConfig
from skyray.train.ds_config import build_ds_config
from skyray.train.flops import model_shape, peak_flops, train_flops
from skyray.train.metrics_writer import MetricsWriter
from skyray.train.schedule import lr_multiplier, warmup_steps_for
from skyray.train.session import LocalSession, RaySession
from skyray.train.shard import locate, shard_rows
from skyray.train.weights import attn_implementation, export_hf, param_digest

logger = logging.getLogger(__name__)


class InjectedFailure(RuntimeError):
    """Raised by ``fail_once_at_step`` (tests of recovery)."""


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
        config["model_path"], dtype=dtype, attn_implementation=attn_implementation(cfg)
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
