"""``skyray eval distractors`` and ``skyray eval verify`` through the real CLI, the teacher path of
the distractor generator through a real local server, and the vLLM processor as built on CPU."""

from __future__ import annotations

import json

import pyarrow.parquet as pq

from skyray.cli import main
from skyray.data.benchmarks import load_benchmark
from skyray.eval.distractors import DistractorConfig, build_distractor_set, remove_inserted
from skyray.llm.generation import GenerationConfig, VLLMConfig


def test_cli_distractors_writes_variants(tmp_path, data_dir, capsys):
    out = tmp_path / "variants.jsonl"
    assert main(["eval", "distractors", "--out", str(out), "limit=3", "seed=4"]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 18
    originals = {r["id"]: r["problem"] for r in rows if r["num_distractors"] == 0}
    for r in rows:
        base = originals[r["id"].split("#")[0]]
        assert remove_inserted(r["problem"], r["inserted"]) == base
    assert json.loads(capsys.readouterr().out.splitlines()[0])["template_sentences"] == 15
    assert main(["eval", "distractors", "--out", str(out), "generator=gpt"]) == 2


def test_teacher_distractors_through_a_real_server(tiny_server, data_dir):
    """The tiny model's replies hold no valid sentence: each is rejected and replaced by a
    template sentence, and the counts say so."""
    cfg = DistractorConfig(
        generator="teacher",
        teacher_base_url=tiny_server,
        teacher_model="tiny",
        teacher_max_tokens=8,
        max_distractors=2,
        limit=2,
    )
    problems = load_benchmark("gsm8k-test", data_dir)
    variants, stats = build_distractor_set(problems, cfg)
    assert len(variants) == 6
    assert stats["teacher_sentences"] + stats["template_sentences"] == 4
    for v in variants:
        original = problems[0] if v.problem.id.startswith("gsm8k-test:0") else problems[1]
        assert remove_inserted(v.problem.problem, v.inserted) == original.problem


def test_cli_verify(tmp_path, tiny_model_dir, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text(
        "".join(
            json.dumps(
                {"id": f"s{i}", "question": f"What is {i}+1?", "response": f"The answer is {i + 1}"}
            )
            + "\n"
            for i in range(4)
        )
    )
    args = ["eval", "verify", "--input", str(src), "--out", str(tmp_path / "v")]
    code = main(
        [
            *args,
            "method=logprob",
            "generation.backend=transformers",
            f"generation.model={tiny_model_dir}",
            "num_select=2",
        ]
    )
    assert code == 0
    stats = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert stats["selected"] == 2 and stats["scored"] == 4
    assert pq.read_table(tmp_path / "v" / "selected-random.parquet").num_rows == 2
    assert main([*args, "method=vote"]) == 2
    assert "method must be judge|logprob" in capsys.readouterr().err


def test_vllm_processor_is_built_without_chat_template(ray_cluster, tiny_model_dir):
    from ray.data.llm import build_processor

    from skyray.llm.vllm_batch import processor_config, sampling_params

    cfg = GenerationConfig(
        backend="vllm",
        model=str(tiny_model_dir),
        vllm=VLLMConfig(num_replicas=3, tensor_parallel_size=2),
    )
    pc = processor_config(cfg)
    assert pc.concurrency == 3 and pc.engine_kwargs["tensor_parallel_size"] == 2
    assert pc.should_continue_on_error and not pc.chat_template_stage and not pc.tokenize_stage
    processor = build_processor(pc)
    assert list(processor.stages) == ["vLLMEngineStage"]
    assert sampling_params(cfg, 3) == {"max_tokens": 2048, "temperature": 0.0}
