"""The OpenAI-compatible teacher client against a real local server (and a fault proxy)."""

from __future__ import annotations

import time

import pytest

from skyray.llm import OpenAITeacher, TeacherConfig, TeacherError
from skyray.llm.cache import ResponseCache
from skyray.llm.ratelimit import RateBudget
from skyray.synth.prompts import render
from skyray.testing.faults import FaultProxy
from tests.synth.conftest import server_stats


def _solve_requests(seeds_path, count):
    from skyray.data.seeds import read_problems

    problems = read_problems(seeds_path)[:count]
    return problems, [
        [{"role": "user", "content": render("solve", question=p.problem)[0]}] for p in problems
    ]


def test_batch_chat_and_completions_with_usage(teacher_url, seeds_path):
    problems, chats = _solve_requests(seeds_path, 4)
    teacher = OpenAITeacher(TeacherConfig(base_url=teacher_url, model="deterministic"))
    assert teacher.check() == ["deterministic"]
    prompt = render("solve", question=problems[0].problem)[0]
    outs = teacher.complete_batch([*chats, prompt], {"temperature": 0.7, "seed": 3})
    assert all(o.ok for o in outs)
    for problem, out in zip(problems, outs[:4], strict=True):
        assert out.text.endswith(f"\nThe answer is {problem.answer}")
        assert out.prompt_tokens > 0 and out.completion_tokens > 0
    assert outs[4].text == outs[0].text  # /v1/completions answers the same prompt the same way
    assert teacher.usage.sent == 5 and teacher.usage.prompt_tokens == sum(
        o.prompt_tokens for o in outs
    )


def test_cache_sends_no_request_twice(teacher_url, seeds_path, tmp_path):
    _, chats = _solve_requests(seeds_path, 6)
    cache = ResponseCache(tmp_path / "cache")
    before = server_stats(teacher_url).get("chat", 0)
    first = OpenAITeacher(TeacherConfig(base_url=teacher_url, model="deterministic"), cache=cache)
    outs1 = first.complete_batch(chats, {"temperature": 0.7})
    second = OpenAITeacher(TeacherConfig(base_url=teacher_url, model="deterministic"), cache=cache)
    outs2 = second.complete_batch(chats, {"temperature": 0.7})
    assert server_stats(teacher_url)["chat"] - before == 6
    assert [o.text for o in outs1] == [o.text for o in outs2]
    assert second.usage.cached == 6 and second.usage.sent == 0 and len(cache) == 6
    # other sampling params are another request
    third = OpenAITeacher(TeacherConfig(base_url=teacher_url, model="deterministic"), cache=cache)
    third.complete_batch(chats[:1], {"temperature": 0.7, "seed": 1})
    assert third.usage.sent == 1


def test_retry_after_is_honoured(teacher_url, seeds_path):
    _, chats = _solve_requests(seeds_path, 1)
    upstream = teacher_url.rsplit("/v1", 1)[0]
    with FaultProxy(upstream, fault_rate=1.0, kinds=("429",), retry_after_s=0.6) as proxy:
        teacher = OpenAITeacher(
            TeacherConfig(
                base_url=proxy.url + "/v1", model="deterministic", max_retries=1, backoff_base_s=0
            )
        )
        start = time.monotonic()
        out = teacher.complete_batch(chats)[0]
        elapsed = time.monotonic() - start
    assert out.error == "http-429 after 2 attempts"
    assert elapsed >= 0.6  # waited as told, although its own backoff would have been 0
    assert teacher.usage.errors == {"http-429": 2} and teacher.usage.failed == 1


def test_faults_are_retried_to_the_same_result(teacher_url, seeds_path):
    _, chats = _solve_requests(seeds_path, 12)
    clean = OpenAITeacher(TeacherConfig(base_url=teacher_url, model="deterministic"))
    expected = [o.text for o in clean.complete_batch(chats)]
    upstream = teacher_url.rsplit("/v1", 1)[0]
    with FaultProxy(upstream, fault_rate=0.5, seed=1, stall_s=1.0, retry_after_s=0.05) as proxy:
        cfg = TeacherConfig(
            base_url=proxy.url + "/v1", model="deterministic", timeout_s=0.5, backoff_base_s=0.01
        )
        teacher = OpenAITeacher(cfg)
        outs = teacher.complete_batch(chats)
        faults = dict(proxy.stats.faults)
    assert [o.text for o in outs] == expected
    assert sum(faults.values()) > 0 and teacher.usage.retries == sum(faults.values())


def test_unreachable_endpoint_fails_fast():
    from skyray.serve.server import free_port

    teacher = OpenAITeacher(TeacherConfig(base_url=f"http://127.0.0.1:{free_port()}/v1"))
    start = time.monotonic()
    with pytest.raises(TeacherError, match="unreachable"):
        teacher.check()
    assert time.monotonic() - start < 10


def test_bad_api_key_is_one_clear_error_without_the_key(teacher_url, seeds_path, monkeypatch):
    _, chats = _solve_requests(seeds_path, 2)
    upstream = teacher_url.rsplit("/v1", 1)[0]
    monkeypatch.setenv("SKYRAY_TEST_KEY", "sk-wrong-secret-value")
    with FaultProxy(upstream, require_key="sk-right") as proxy:
        cfg = TeacherConfig(
            base_url=proxy.url + "/v1", model="deterministic", api_key_env="SKYRAY_TEST_KEY"
        )
        with pytest.raises(TeacherError) as check_error:
            OpenAITeacher(cfg).check()
        with pytest.raises(TeacherError) as batch_error:
            OpenAITeacher(cfg).complete_batch(chats)
        monkeypatch.setenv("SKYRAY_TEST_KEY", "sk-right")
        assert OpenAITeacher(cfg).complete_batch(chats)[0].ok
    for err in (check_error, batch_error):
        assert "rejected the API key from $SKYRAY_TEST_KEY" in str(err.value)
        assert "sk-wrong" not in str(err.value)


def test_unknown_model_is_fatal(teacher_url):
    teacher = OpenAITeacher(TeacherConfig(base_url=teacher_url, model="gpt-9"))
    with pytest.raises(TeacherError, match="does not serve model 'gpt-9'"):
        teacher.check()
    with pytest.raises(TeacherError, match="HTTP 404"):
        teacher.complete_batch(["hello"])


def test_missing_remote_key_is_reported(monkeypatch):
    monkeypatch.delenv("SKYRAY_ABSENT_KEY", raising=False)
    teacher = OpenAITeacher(
        TeacherConfig(base_url="https://api.example.com/v1", api_key_env="SKYRAY_ABSENT_KEY")
    )
    with pytest.raises(TeacherError, match=r"set \$SKYRAY_ABSENT_KEY"):
        teacher.complete_batch(["hi"])


def test_config_refuses_a_key_in_place_of_its_variable():
    with pytest.raises(ValueError, match="names an environment variable"):
        TeacherConfig(api_key_env="sk-abc123")


def test_rate_budget_books_requests_and_tokens():
    budget = RateBudget(rpm=60, tpm=600)  # 1 request/s, 10 tokens/s
    assert budget.reserve(1, 10, now=0.0) == 0.0  # full buckets
    waits = [budget.reserve(1, 10, now=0.0) for _ in range(3)]
    assert waits[0] == 0.0 and waits[1] == 0.0  # 60 requests and 600 tokens of burst
    budget = RateBudget(rpm=60)
    for _ in range(60):
        assert budget.reserve(1, 0, now=0.0) == 0.0
    assert budget.reserve(1, 0, now=0.0) == pytest.approx(1.0)
    assert budget.reserve(1, 0, now=0.0) == pytest.approx(2.0)
    assert budget.reserve(1, 0, now=10.0) == 0.0  # refilled 10 in 10 s, 2 owed -> 7 left


def test_a_bad_request_fails_at_once(teacher_url):
    teacher = OpenAITeacher(TeacherConfig(base_url=teacher_url, model="deterministic"))
    (out,) = teacher.complete_batch([[{"role": "system", "content": "no user message"}]])
    assert out.error == "http-400" and out.attempts == 1 and teacher.usage.retries == 0
