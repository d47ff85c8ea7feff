"""The ``sft`` stage's config: the paper's recipe (3 epochs, global batch 32, AdamW without weight
decay, warmup 3%, cosine, max length 2048) with every knob named and validated."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from skyray.config import require


@dataclass(kw_only=True)
class SFTConfig:
    # model: a Hub id, a Hugging Face model folder, or a finished sft step folder (its model/
    # export); stage 2 of the curriculum points here at stage 1's step folder
    model: str = ""
    tokenizer: str = ""  # tokenizer id/folder; "" = the model's own
    data_path: str = ""  # curated Parquet file or folder; "" = the one the pipeline passes in
    data_stage: int | None = None  # keep only rows whose `stage` column equals this; None = all
    max_length: int = 2048  # prompt + response + EOS tokens; the paper also ablates 512
    overlong: Literal["drop", "truncate"] = "drop"  # longer rows: drop (counted) or cut
    packing: bool = True  # several samples per row, no cross-sample attention
    # micro batch per worker: samples (packing off) or packed rows of max_length tokens each
    micro_batch_size: int = 4
    gradient_accumulation_steps: int = 1
    global_batch_size: int = 32  # must equal micro x accumulation x workers (checked)
    num_workers: int = 8  # Ray Train workers (one per GPU)
    use_gpu: bool = True  # False: CPU workers, fp32, gloo
    cpus_per_worker: float = 1.0  # CPU reservation of each worker
    # custom Ray resources of each worker, to place them on chosen nodes (e.g. {sft: 1} with
    # `ray start --resources '{"sft": 8}'` on the GPU nodes meant for training)
    worker_resources: dict[str, float] = field(default_factory=dict)
    num_epochs: int = 3
    max_steps: int = 0  # stop after this many optimizer steps (0 = all epochs)
    learning_rate: float = 2e-5  # paper: 2e-5 LLaMA2, 2e-6 Mistral / DeepSeekMath
    weight_decay: float = 0.0  # paper: AdamW without weight decay
    adam_beta1: float = 0.9
    adam_beta2: float = 0.999  # Hugging Face Trainer default (the paper names none)
    adam_eps: float = 1e-8
    warmup_ratio: float = 0.03  # fraction of all optimizer steps spent in linear warmup
    lr_schedule: Literal["cosine", "linear", "constant"] = "cosine"  # after the warmup
    min_lr_ratio: float = 0.0  # floor of the decay, as a fraction of learning_rate
    max_grad_norm: float = 1.0  # gradient clipping (0 = off)
    seed: int = 42  # model init RNG and data order
    precision: Literal["auto", "bf16", "fp32"] = "auto"  # auto: bf16 on GPU, fp32 on CPU
    zero_stage: int = 3  # DeepSpeed ZeRO stage
    attn_implementation: str = "auto"  # auto: flash_attention_2 when installed on GPU, else sdpa
    gradient_checkpointing: bool = False  # trade compute for memory (long rows, big models)
    save_every_steps: int = 0  # checkpoint every N optimizer steps (0 = only at the end)
    num_checkpoints_to_keep: int = 2  # Ray Train keeps the newest N
    max_failures: int = 2  # worker/node failures Ray Train recovers from (from the last checkpoint)
    storage_path: str = (
        ""  # Ray Train storage; "" = <step folder>/ray (multi-node: shared or s3://)
    )
    preflight_samples: int = 4  # rows rendered and checked before the run starts
    log_every_steps: int = 1
    peak_tflops: float = 0.0  # per-device bf16 peak for MFU; 0 = look up by device name
    fail_once_at_step: int = 0  # testing: a worker raises at this step in a run not resumed
    record_initial_digest: bool = False  # testing: log per-tensor sums of the step-0 weights

    def __post_init__(self) -> None:
        require(self.max_length >= 16, f"max_length must be >= 16, got {self.max_length}")
        for name in ("micro_batch_size", "gradient_accumulation_steps", "num_workers"):
            require(getattr(self, name) >= 1, f"{name} must be >= 1")
        require(self.num_epochs >= 1, "num_epochs must be >= 1")
        require(self.max_steps >= 0, "max_steps must be >= 0")
        per_step = self.micro_batch_size * self.gradient_accumulation_steps * self.num_workers
        require(
            per_step == self.global_batch_size,
            f"global_batch_size {self.global_batch_size} != micro_batch_size "
            f"{self.micro_batch_size} x gradient_accumulation_steps "
            f"{self.gradient_accumulation_steps} x num_workers {self.num_workers} = {per_step}",
        )
        require(self.learning_rate > 0, "learning_rate must be > 0")
        require(self.weight_decay >= 0, "weight_decay must be >= 0")
        require(0 <= self.warmup_ratio < 1, "warmup_ratio must be in [0, 1)")
        require(0 <= self.min_lr_ratio <= 1, "min_lr_ratio must be in [0, 1]")
        require(0 < self.adam_beta1 < 1 and 0 < self.adam_beta2 < 1, "adam betas must be in (0, 1)")
        require(self.max_grad_norm >= 0, "max_grad_norm must be >= 0")
        require(self.zero_stage in (0, 1, 2, 3), f"zero_stage must be 0..3, got {self.zero_stage}")
        require(
            not (self.precision == "bf16" and not self.use_gpu),
            "precision bf16 needs use_gpu: true (CPU runs train in fp32)",
        )
        require(self.cpus_per_worker > 0, "cpus_per_worker must be > 0")
        require(self.save_every_steps >= 0, "save_every_steps must be >= 0")
        require(self.num_checkpoints_to_keep >= 1, "num_checkpoints_to_keep must be >= 1")
        require(self.max_failures >= -1, "max_failures must be >= -1 (-1 = retry forever)")
        require(self.preflight_samples >= 1, "preflight_samples must be >= 1")
        require(
            all(v > 0 for v in self.worker_resources.values()),
            "worker_resources amounts must be > 0",
        )
        require(self.log_every_steps >= 1, "log_every_steps must be >= 1")
        require(self.data_stage is None or self.data_stage >= 1, "data_stage must be >= 1")

    @property
    def dtype_name(self) -> str:
        """Training dtype: "bf16" or "fp32"."""
        if self.precision == "auto":
            return "bf16" if self.use_gpu else "fp32"
        return self.precision
