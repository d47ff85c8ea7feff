"""The real finish reason on the in-process vLLM path (``ray.data.llm``), from rows shaped like
the Ray 2.60 vLLM stage's output: the input columns carried over (``key``, ``messages``,
``sampling_params``) plus the stage's own (see ``vLLMOutputData`` in
``ray/llm/_internal/batch/stages/vllm_engine_stage.py``). vLLM cannot run here; the
postprocessing can. Before: every row was recorded as ``"stop"``."""

from __future__ import annotations

import pytest

from skyray.finish import engine_finish_reason
from skyray.llm.vllm_batch import from_engine_row, to_engine_row


def engine_output(request: dict, generated: int, prompt: int = 12, text: str = "x") -> dict:
    """One row as ``processor(ds).take_all()`` hands it to postprocess."""
    return {
        **to_engine_row(request),
        "prompt": "<rendered chat>",
        "prompt_token_ids": list(range(prompt)),
        "num_input_tokens": prompt,
        "generated_tokens": list(range(100, 100 + generated)),
        "generated_text": text,
        "num_generated_tokens": generated,
        "embeddings": None,
        "metrics": {"arrival_time": 1.0, "first_token_time": 1.1},
        "logprobs": None,
        "prompt_logprobs": None,
        "request_id": 0,
        "batch_uuid": "b",
        "time_taken_llm": 0.2,
    }


REQUEST = {
    "key": "k1",
    "messages": [{"role": "user", "content": "Solve 2 + 3."}],
    "sampling": {"temperature": 0.0, "max_tokens": 32},
}


def test_a_reply_that_used_its_whole_budget_is_length():
    out = from_engine_row(engine_output(REQUEST, generated=32, text="2 + 3 = 5, and then"))
    assert out["finish_reason"] == "length" and out["completion_tokens"] == 32
    done = from_engine_row(engine_output(REQUEST, generated=9, text="The answer is 5"))
    assert done["finish_reason"] == "stop"


def test_a_reply_that_filled_the_context_is_length():
    row = engine_output(REQUEST, generated=20, prompt=4076)
    assert from_engine_row(row, max_model_len=4096)["finish_reason"] == "length"
    assert from_engine_row(row, max_model_len=8192)["finish_reason"] == "stop"


@pytest.mark.parametrize("reported", ["length", "stop", "abort"])
def test_a_reason_the_engine_reports_wins(reported):
    row = {**engine_output(REQUEST, generated=5), "finish_reason": reported}
    assert engine_finish_reason(row) == reported


def test_eval_rows_use_the_same_rule():
    """The evaluation backend's rows: a raw prompt and its own ``sampling_params``."""
    row = {"key": "e", "prompt": "Q", "sampling_params": {"max_tokens": 16, "temperature": 0.0}}
    assert engine_finish_reason({**row, "num_generated_tokens": 16}) == "length"
    assert engine_finish_reason({**row, "generated_tokens": [1, 2, 3]}) == "stop"


def test_a_truncated_reply_is_dropped_by_the_operators():
    """The cached entry keeps "length", so the solve step drops the reply as truncated instead
    of accepting a cut-off solution."""
    import asyncio

    from skyray.llm import Completion
    from skyray.synth.context import OpContext, TaskResult

    entry = from_engine_row(engine_output(REQUEST, generated=32, text="2 + 3 = 5. The answer is"))

    class CachedTeacher:  # answers every request with the cached entry
        model = "teacher"

        async def acomplete(self, messages, sampling):
            return Completion(**{k: v for k, v in entry.items() if k != "key"}, cached=True)

    from skyray.records import Problem
    from skyray.synth.context import Task

    ctx = OpContext(CachedTeacher(), {"max_tokens": 32}, True, 3)
    seed = Problem(id="s1", problem="Solve 2 + 3.", answer="5", solution="", level=1,
                   subject="Algebra", source="math-train")  # fmt: skip
    task = Task(index=0, seed=seed, root_id="s1", parent_id="", family="metamath",
                ops=("answer-aug",), sample_index=0, stage=1)  # fmt: skip
    result = TaskResult(index=0)
    assert asyncio.run(ctx.solve(task, result, "Solve 2 + 3.", "answer-aug", "v1")) is None
    assert result.drops == {"solve:truncated": 1}
