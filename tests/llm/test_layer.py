"""The generation layer's own pieces: the one sampling section (and its renamed key), backend
selection by name, and the retry policy (Retry-After honoured, client errors not retried)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from skyray.config import ConfigError, load_config
from skyray.eval.run import EvalConfig
from skyray.llm.backends import LocalBackendSpec, make_backend
from skyray.llm.retry import AttemptFailed, policy
from skyray.records import Problem
from skyray.synth.config import SynthConfig


def test_old_sampling_key_loads_with_one_warning_line(caplog):
    with caplog.at_level(logging.WARNING):
        cfg = load_config(EvalConfig, None, ["generation.sampling.max_new_tokens=8"])
    assert cfg.generation.sampling.max_tokens == 8
    lines = [r.getMessage() for r in caplog.records if "deprecated" in r.getMessage()]
    assert len(lines) == 1 and "\n" not in lines[0]
    assert lines[0].endswith("use EvalConfig.generation.sampling.max_tokens")
    with pytest.raises(ConfigError, match="give only 'max_tokens'"):
        load_config(
            EvalConfig,
            None,
            ["generation.sampling.max_new_tokens=8", "generation.sampling.max_tokens=9"],
        )


def test_one_sampling_config_with_each_stage_defaults():
    synth, ev = load_config(SynthConfig), load_config(EvalConfig)
    assert (synth.sampling.temperature, synth.sampling.max_tokens) == (0.7, 1024)
    assert (ev.generation.sampling.temperature, ev.generation.sampling.max_tokens) == (0.0, 2048)
    assert type(synth.sampling) is type(ev.generation.sampling)
    with pytest.raises(ValueError, match="sampling.max_tokens must be >= 16"):
        load_config(SynthConfig, None, ["sampling.max_tokens=8"])


def test_backend_selected_by_name():
    seed = Problem(id="a", problem="What is the sum of 20 and 22?", answer="42", solution="42")
    backend = make_backend(LocalBackendSpec("deterministic", "det", problems=[seed]))
    out = backend.chat([{"role": "user", "content": "What is the sum of 20 and 22?"}], {})
    assert backend.model_name == "det" and out.text.endswith("The answer is 42")
    with pytest.raises(ValueError, match="no in-process implementation"):
        make_backend(LocalBackendSpec("vllm", "x"))


def _run(failures: list[AttemptFailed], max_retries: int = 3):
    """Drive the policy over an attempt that fails with ``failures`` in turn, then succeeds."""
    slept, retried, calls = [], [], []

    async def go():
        retrying = policy(max_retries, 10.0, 30.0, retried.append)
        retrying.sleep = _record(slept)  # tenacity's documented hook: no real waiting
        async for attempt in retrying:
            with attempt:
                calls.append(1)
                if len(calls) <= len(failures):
                    raise failures[len(calls) - 1]
        return len(calls)

    return asyncio.run(go()), slept, retried


def _record(slept):
    async def sleep(seconds):
        slept.append(seconds)

    return sleep


def test_retry_after_sets_the_wait_and_bad_requests_fail_at_once():
    busy = AttemptFailed("http-429", "http", "HTTP 429", retry_after=2.5)
    down = AttemptFailed("http-503", "http", "HTTP 503")
    calls, slept, retried = _run([busy, down])
    assert calls == 3 and len(retried) == 2
    assert slept[0] == 2.5 and 10.0 <= slept[1] <= 20.0  # Retry-After, then backoff 2 x 10 s
    with pytest.raises(AttemptFailed, match="http-400"):
        _run([AttemptFailed("http-400", "http", "HTTP 400")])
    with pytest.raises(AttemptFailed, match="http-503"):
        _run([down] * 5, max_retries=2)  # three attempts, then the last failure
