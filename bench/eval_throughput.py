"""Evaluation-stage throughput.

CPU mode (default), two measurements:

1. generation: the transformers backend on ``--num-prompts`` MATH test prompts (the SFT prompt),
   greedy, ``--max-new-tokens``; output tokens/s batched (``--batch-size``) against the same
   backend one prompt at a time (the baseline, same run);
2. scoring + report: all 5,000 MATH test rows graded with ``strict`` and ``equiv`` and turned
   into report.json + report.md (target: under 15 s). Responses are built from the reference
   solutions in the forms models write: a ``The answer is`` line (right or wrong answer), the
   solution's own ``\\boxed{}`` only, a ``final answer is`` phrase, or no answer at all.

GPU mode (``--mode gpu``, needs vLLM and a real model): output tokens/s of the vLLM backend
(``ray.data.llm``) against batched transformers ``generate`` on the same 512 MATH prompts, greedy,
512 new tokens, in one run (target >= 5x).

Usage:
  python bench/eval_throughput.py [--model DIR] [--num-prompts 32] [--max-new-tokens 64]
  python bench/eval_throughput.py --mode gpu --model PATH_OR_ID [--num-prompts 512]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("SKYRAY_DATA_DIR", str(Path(__file__).resolve().parents[2] / "shared/data"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")


def math_prompts(n: int):
    from skyray.data.benchmarks import load_benchmark
    from skyray.llm.generation import GenRequest
    from skyray.prompt import render_prompt

    problems = load_benchmark("math-test")[:n]
    return [GenRequest(str(i), render_prompt(p.problem)) for i, p in enumerate(problems)]


def gen_cfg(model: str, backend: str, max_new: int, batch_size: int, max_prompt: int = 2048):
    from skyray.llm.generation import (
        GenerationConfig,
        SamplingConfig,
        TransformersConfig,
        VLLMConfig,
    )

    return GenerationConfig(
        backend=backend,
        model=model,
        max_prompt_tokens=max_prompt,
        sampling=SamplingConfig(max_tokens=max_new),
        transformers=TransformersConfig(batch_size=batch_size),
        vllm=VLLMConfig(batch_size=64, max_model_len=max_prompt + max_new),
    )


def timed_generation(cfg, requests) -> dict:
    from skyray.llm.generation import generate_all, make_generator

    gen = make_generator(cfg)
    try:
        _, stats = generate_all(gen, requests, chunk_size=len(requests))
    finally:
        gen.close()
    return stats.as_dict()


def bench_generation(args) -> None:
    model = args.model
    if not model:
        from skyray.testing.tiny_model import build_tiny_model

        model = str(build_tiny_model(Path(tempfile.mkdtemp(prefix="tiny-llama-"))))
        print(f"model: tiny 2-layer hidden-64 Llama (built at {model})")
    requests = math_prompts(args.num_prompts)
    # warm-up (imports, first-call allocations) outside the timings
    timed_generation(gen_cfg(model, "transformers", 4, args.batch_size), requests[:4])
    batched = timed_generation(
        gen_cfg(model, "transformers", args.max_new_tokens, args.batch_size), requests
    )
    single = timed_generation(gen_cfg(model, "transformers", args.max_new_tokens, 1), requests)
    print(
        f"transformers backend, {len(requests)} MATH prompts, greedy, "
        f"max {args.max_new_tokens} new tokens ({machine_load()}):"
    )
    for name, s in ((f"batch {args.batch_size}", batched), ("batch 1 (baseline)", single)):
        print(
            f"  {name:<20} {s['output_tokens_per_s']:>9.1f} output tokens/s  "
            f"({s['completion_tokens']} tokens, {s['seconds']:.2f} s, {s['errors']} errors)"
        )
    ratio = batched["output_tokens_per_s"] / max(single["output_tokens_per_s"], 1e-9)
    print(f"  batched / one-by-one: {ratio:.2f}x")


def synthetic_rows(seed: int = 0) -> list[dict]:
    """5,000 MATH test rows with responses in the forms models write (see module docstring)."""
    from skyray.data.benchmarks import load_benchmark

    rng = random.Random(seed)
    problems = load_benchmark("math-test")
    golds = [p.answer for p in problems]
    rows = []
    for p in problems:
        body = p.solution.replace("\\boxed", "").strip()
        kind = rng.random()
        if kind < 0.35:
            response = f"{body}\nThe answer is {p.answer}"
        elif kind < 0.6:
            response = f"{body}\nThe answer is {golds[rng.randrange(len(golds))]}"
        elif kind < 0.8:
            response = p.solution  # the boxed answer only (strict finds nothing)
        elif kind < 0.95:
            response = f"{body}\nSo the final answer is ${p.answer}$."
        else:
            response = body[:200]  # cut off: no answer
        rows.append(
            {
                "id": p.id,
                "benchmark": "math-test",
                "response": response,
                "gold": p.answer,
                "level": p.level,
                "subject": p.subject,
                "model": "synthetic",
                "sample_index": 0,
                "error": None,
                "extra": {},
                "problem": p.problem,
                "num_distractors": 0,
                "prompt_tokens": 0,
                "completion_tokens": 0,
                "finish_reason": "stop",
            }
        )
    return rows


def machine_load() -> str:
    try:
        return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    except OSError:
        return "load average unknown"


def bench_scoring(args) -> None:
    from skyray.eval.report import build_report
    from skyray.eval.run import grade_rows, write_predictions, write_report

    rows = synthetic_rows()
    graders = ["strict", "equiv"]
    workers = args.grade_workers or min(os.cpu_count() or 1, 8)
    print(f"scoring + report, {len(rows)} MATH test rows, graders {graders} ({machine_load()}):")
    timings = {}
    runs = [("in-process (default)", 1)]
    if workers > 1:
        runs.append((f"{workers} grading processes", workers))
    for label, n in runs:
        out = Path(tempfile.mkdtemp(prefix="eval-bench-"))
        c0, t0 = time.process_time(), time.perf_counter()
        graded = grade_rows(rows, graders, 2.0, n)
        t1 = time.perf_counter()
        report = build_report(graded, graders, {"model": "synthetic", "backend": "none"})
        write_predictions(graded, graders, out)
        write_report(report, out)
        c2, t2 = time.process_time(), time.perf_counter()
        timings[label] = t2 - t0
        cpu = f", this process's CPU time {c2 - c0:6.2f} s" if n == 1 else ""
        print(
            f"  {label:<24} grading {t1 - t0:6.2f} s, report+files {t2 - t1:5.2f} s, "
            f"total {t2 - t0:6.2f} s wall ({len(rows) / (t2 - t0):.0f} rows/s){cpu}"
        )
    b = report["benchmarks"]["math-test"]
    first = timings["in-process (default)"]
    print(f"  target < 15 s (in-process, default): {'met' if first < 15 else 'MISSED'}")
    for label, secs in list(timings.items())[1:]:
        print(f"  {label} vs in-process: {first / secs:.2f}x")
    print(
        f"  accuracy strict {100 * b['graders']['strict']['accuracy']:.2f}%, "
        f"equiv {100 * b['graders']['equiv']['accuracy']:.2f}%, "
        f"{len(b['disagreements'])} disagreements"
    )


def bench_gpu(args) -> None:
    from skyray.llm.vllm_batch import vllm_available

    if not vllm_available():
        sys.exit("--mode gpu needs vLLM (pip install 'skyray[gpu]') and a GPU")
    if not args.model:
        sys.exit("--mode gpu needs --model PATH_OR_ID")
    requests = math_prompts(args.num_prompts)
    max_new = args.max_new_tokens
    v = timed_generation(gen_cfg(args.model, "vllm", max_new, args.batch_size), requests)
    t = timed_generation(gen_cfg(args.model, "transformers", max_new, args.batch_size), requests)
    print(f"{len(requests)} MATH prompts, greedy, max {max_new} new tokens, model {args.model}:")
    for name, s in (("vllm (ray.data.llm)", v), (f"transformers b={args.batch_size}", t)):
        print(
            f"  {name:<22} {s['output_tokens_per_s']:>9.1f} output tokens/s "
            f"({s['completion_tokens']} tokens, {s['seconds']:.1f} s, {s['errors']} errors)"
        )
    ratio = v["output_tokens_per_s"] / max(t["output_tokens_per_s"], 1e-9)
    print(f"  vllm / transformers: {ratio:.2f}x (target >= 5x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["cpu", "gpu"], default="cpu")
    parser.add_argument("--model", default="", help="model dir/id (cpu: default tiny model)")
    parser.add_argument("--num-prompts", type=int, default=None)
    parser.add_argument("--max-new-tokens", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--grade-workers", type=int, default=0, help="0 = one per CPU (max 8)")
    parser.add_argument("--skip-generation", action="store_true")
    parser.add_argument("--skip-scoring", action="store_true")
    args = parser.parse_args()
    gpu = args.mode == "gpu"
    args.num_prompts = args.num_prompts or (512 if gpu else 32)
    args.max_new_tokens = args.max_new_tokens or (512 if gpu else 64)
    args.batch_size = args.batch_size or (32 if gpu else 16)
    if gpu:
        bench_gpu(args)
        return
    if not args.skip_generation:
        bench_generation(args)
    if not args.skip_scoring:
        bench_scoring(args)


if __name__ == "__main__":
    main()
