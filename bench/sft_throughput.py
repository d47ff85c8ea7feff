"""SFT throughput: SkyRay's loop packed and unpacked vs a plain Hugging Face ``Trainer``.

Same model, same samples, same micro-batch, same device, one run. Reported per variant:
non-padding tokens/s (the tokens that are real text), MFU (6N + causal attention FLOPs over
non-padding tokens, against the device's dense bf16 peak; the peak a large bf16 matmul reaches
is printed too), and the ratios the targets are about:

    MFU(SkyRay packed) >= 45%;  SkyRay packed >= 2x Trainer;  SkyRay unpacked >= 0.95x Trainer

Data: random text whose lengths follow a MATH-like distribution (log-normal prompt ~110 and
response ~300 tokens, long tail, capped at max_length), tokenized byte-level (ByT5, no files).
Model: a real architecture with random weights, built from a config (no downloads):

    --model 1b    TinyLlama-1.1B shape (22 layers, hidden 2048, GQA 32/4, vocab 32000), bf16
    --smoke       2 layers, hidden 64, fp32 on CPU: proves the script works (numbers mean nothing)

Each variant runs in its own process (clean GPU memory and process group). SkyRay runs through
``skyray.train.standalone.run_local`` (the Ray-free loop, ZeRO stage from --zero-stage).

On a GPU machine without internet, DeepSpeed travels as a wheel built here:
    pip wheel --no-deps -w .whl deepspeed==0.19.8
and the command there starts with installing .whl/*.whl (see the device README).

Usage:  python bench/sft_throughput.py [--smoke] [--steps 30] [--warmup-steps 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
VARIANTS = ("trainer", "skyray-unpacked", "skyray-packed")


def math_like_lengths(n: int, max_length: int, seed: int = 0) -> list[tuple[int, int]]:
    """(prompt chars, response chars) per sample; byte-level tokens = chars."""
    import numpy as np

    rng = np.random.default_rng(seed)
    prompts = np.clip(rng.lognormal(math.log(110), 0.5, n), 20, max_length // 2).astype(int)
    responses = np.clip(rng.lognormal(math.log(300), 0.7, n), 20, max_length).astype(int)
    template = 180  # the prompt template around the question, in bytes
    out = []
    for p, r in zip(prompts.tolist(), responses.tolist(), strict=True):
        r = min(r, max_length - template - p - 2)
        out.append((p, max(r, 8)))
    return out


def build_inputs(out: Path, args: argparse.Namespace) -> tuple[Path, Path]:
    """A random-weight model folder (with a ByT5 tokenizer) and a Parquet of random text."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    import torch
    from transformers import ByT5Tokenizer, LlamaConfig, LlamaForCausalLM

    tok = ByT5Tokenizer()
    shape = (
        dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
             num_key_value_heads=2)
        if args.smoke
        else dict(hidden_size=2048, intermediate_size=5632, num_hidden_layers=22,
                  num_attention_heads=32, num_key_value_heads=4)
    )  # fmt: skip
    config = LlamaConfig(
        vocab_size=32000 if not args.smoke else 512,
        max_position_embeddings=4096,
        bos_token_id=None,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
        **shape,
    )
    torch.manual_seed(0)
    with torch.device("cuda" if torch.cuda.is_available() and not args.smoke else "cpu"):
        model = LlamaForCausalLM(config).to(torch.float32 if args.smoke else torch.bfloat16)
    model.save_pretrained(out / "model")
    tok.save_pretrained(out / "model")
    del model
    rng = np.random.default_rng(1)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz0123456789 +-=()"))
    rows = []
    for i, (p, r) in enumerate(math_like_lengths(args.num_samples, args.max_length)):
        rows.append(
            {
                "id": f"bench-{i}",
                "question": "".join(rng.choice(letters, p)).strip() or "q",
                "response": "".join(rng.choice(letters, r)).strip() or "r",
            }
        )
    pq.write_table(pa.Table.from_pylist(rows), out / "data.parquet")
    return out / "model", out / "data.parquet"


def sft_config(args: argparse.Namespace, model: Path, packed: bool):
    from skyray.train.config import SFTConfig

    micro = args.packed_micro if packed else args.micro
    return SFTConfig(
        model=str(model),
        use_gpu=not args.smoke,
        num_workers=1,
        micro_batch_size=micro,
        gradient_accumulation_steps=1,
        global_batch_size=micro,
        max_length=args.max_length,
        packing=packed,
        num_epochs=1,
        max_steps=args.steps,
        learning_rate=2e-5,
        zero_stage=args.zero_stage,
        attn_implementation=("auto" if packed else "sdpa") if args.attn == "auto" else args.attn,
        gradient_checkpointing=args.gradient_checkpointing,
        save_every_steps=0,
        precision="fp32" if args.smoke else "bf16",
        cpus_per_worker=float(os.cpu_count() or 1) if args.smoke else 4.0,
    )


def run_skyray(args: argparse.Namespace, model: Path, data: Path, packed: bool) -> dict:
    from skyray.train.standalone import run_local
    from skyray.train.trainer import METRICS_FILE, read_metrics

    out = Path(args.workdir) / ("packed" if packed else "unpacked")
    run_local(sft_config(args, model, packed), data, out)
    steps = [r for r in read_metrics(out / METRICS_FILE) if "loss" in r]
    timed = steps[args.warmup_steps :]
    seconds = sum(r["step_time_s"] for r in timed)
    flops = [r["mfu"] * r["step_time_s"] for r in timed if r.get("mfu") is not None]
    return {
        "tokens_per_s": sum(r["tokens"] for r in timed) / seconds,
        "samples_per_s": sum(r["samples"] for r in timed) / seconds,
        "mfu": (sum(flops) / seconds) if flops else None,
        "steps": len(timed),
        "loss_first_last": [steps[0]["loss"], steps[-1]["loss"]],
    }


def run_trainer(args: argparse.Namespace, model_dir: Path, data: Path) -> dict:
    """A plain HF Trainer with padding to the longest sample of each batch (the baseline)."""
    import torch
    from transformers import (
        AutoModelForCausalLM,
        AutoTokenizer,
        DataCollatorForSeq2Seq,
        Trainer,
        TrainerCallback,
        TrainingArguments,
    )

    from skyray.train.collate import sequence_lengths
    from skyray.train.data import encoded_table
    from skyray.train.flops import model_shape, peak_flops, train_flops

    cfg = sft_config(args, model_dir, packed=False)
    tok = AutoTokenizer.from_pretrained(model_dir)
    table = encoded_table(data, str(model_dir), cfg).to_pylist()
    features = [
        {"input_ids": r["input_ids"], "labels": [-100] * r["prompt_len"] + r["input_ids"][r["prompt_len"] :]}
        for r in table
        if not r["drop"]
    ]  # fmt: skip
    pad = DataCollatorForSeq2Seq(tok, padding=True, label_pad_token_id=-100)
    seen: list[list[int]] = []

    def collate(batch):
        out = pad(batch)
        seen.append(sequence_lengths(out))
        return out

    times: list[float] = []

    class Clock(TrainerCallback):
        def on_step_end(self, *a, **k):
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            times.append(time.perf_counter())

    dtype = torch.float32 if args.smoke else torch.bfloat16
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype, attn_implementation="sdpa")
    targs = TrainingArguments(
        output_dir=str(Path(args.workdir) / "trainer"),
        per_device_train_batch_size=args.micro,
        max_steps=args.steps,
        learning_rate=2e-5,
        weight_decay=0.0,
        warmup_steps=0.03,  # a float < 1 is a ratio in transformers 5
        lr_scheduler_type="cosine",
        bf16=not args.smoke,
        use_cpu=args.smoke,
        gradient_checkpointing=args.gradient_checkpointing,
        logging_steps=10_000,
        save_strategy="no",
        report_to=[],
        dataloader_num_workers=0,
        remove_unused_columns=False,
        seed=42,
    )
    trainer = Trainer(
        model=model, args=targs, train_dataset=features, data_collator=collate, callbacks=[Clock()]
    )
    start = time.perf_counter()
    trainer.train()
    times.insert(0, start)
    if len(times) <= args.warmup_steps + 1:
        raise RuntimeError(f"trainer ran {trainer.state.global_step} steps, {len(times) - 1} timed")
    # step k consumed batch k (the dataloader runs in this process, one batch per step)
    w = args.warmup_steps
    seconds = times[-1] - times[w]
    lens = [n for batch in seen[w : len(times) - 1] for n in batch]
    num_params = sum(p.numel() for p in model.parameters())
    flops = train_flops(lens, **model_shape(model.config, num_params))
    peak = peak_flops(torch.cuda.get_device_name()) if torch.cuda.is_available() else None
    return {
        "tokens_per_s": sum(lens) / seconds,
        "samples_per_s": len(lens) / seconds,
        "mfu": flops / seconds / peak if peak else None,
        "steps": len(times) - 1 - w,
    }


def matmul_peak() -> float | None:
    """bf16 TFLOP/s a large matmul reaches on this GPU (what 'peak' looks like in practice)."""
    import torch

    if not torch.cuda.is_available():
        return None
    a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    for _ in range(5):
        a @ b
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(50):
        a @ b
    torch.cuda.synchronize()
    return 2 * 8192**3 * 50 / (time.perf_counter() - start) / 1e12


def child(args: argparse.Namespace) -> None:
    model, data = Path(args.workdir) / "model", Path(args.workdir) / "data.parquet"
    if args.variant == "trainer":
        result = run_trainer(args, model, data)
    else:
        result = run_skyray(args, model, data, packed=args.variant == "skyray-packed")
    Path(args.result).write_text(json.dumps(result))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny model on CPU (seconds)")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup-steps", type=int, default=5, help="untimed first steps")
    parser.add_argument("--micro", type=int, default=8, help="samples per micro-batch (padded)")
    parser.add_argument("--packed-micro", type=int, default=4, help="packed rows of max_length")
    parser.add_argument("--max-length", type=int, default=2048)
    parser.add_argument("--num-samples", type=int, default=3000)
    parser.add_argument("--zero-stage", type=int, default=3)
    parser.add_argument("--attn", default="auto", help="auto | sdpa | flash_attention_2 | ...")
    parser.add_argument("--gradient-checkpointing", action="store_true")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--json", default=None, help="write the figures here")
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("TORCH_EXTENSIONS_DIR", str(ROOT / ".cache" / "torch_extensions"))
    if args.smoke:
        args.steps, args.warmup_steps, args.max_length = min(args.steps, 8), 2, 512
        args.num_samples, args.micro, args.packed_micro = 400, 4, 2
    if args.variant:
        child(args)
        return 0

    import torch

    device = torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu"
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="sft-bench-") as workdir:
        build_inputs(Path(workdir), args)
        for variant in args.variants.split(","):
            result_file = Path(workdir) / f"{variant}.json"
            argv = [sys.executable, __file__, *sys.argv[1:], "--variant", variant,
                    "--workdir", workdir, "--result", str(result_file)]  # fmt: skip
            started = time.perf_counter()
            proc = subprocess.run(argv, capture_output=True, text=True)
            if proc.returncode != 0:
                print(proc.stdout[-3000:], proc.stderr[-6000:], sep="\n", file=sys.stderr)
                raise SystemExit(f"{variant} failed (exit {proc.returncode})")
            results[variant] = json.loads(result_file.read_text())
            results[variant]["wall_s"] = round(time.perf_counter() - started, 1)
    peak = matmul_peak()
    print(f"device: {device}; model: {'tiny (smoke)' if args.smoke else 'llama 1.1B random'}; "
          f"steps timed: {args.steps - args.warmup_steps}; ZeRO-{args.zero_stage}")  # fmt: skip
    if peak:
        print(f"bf16 matmul 8192^3 reaches {peak:.0f} TFLOP/s on this device")
    print(f"{'variant':<18}{'tokens/s':>12}{'samples/s':>11}{'MFU':>8}{'wall s':>9}")
    for name, r in results.items():
        mfu = f"{100 * r['mfu']:.1f}%" if r.get("mfu") is not None else "n/a"
        line = f"{name:<18}{r['tokens_per_s']:>12.0f}{r['samples_per_s']:>11.2f}{mfu:>8}"
        print(f"{line}{r['wall_s']:>9}")
    base = results.get("trainer", {}).get("tokens_per_s")
    if base:
        for name in ("skyray-packed", "skyray-unpacked"):
            if name in results:
                print(f"{name} / trainer (non-padding tokens/s): "
                      f"{results[name]['tokens_per_s'] / base:.2f}x")  # fmt: skip
    if args.json:
        Path(args.json).write_text(json.dumps({"device": device, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
