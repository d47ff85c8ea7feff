"""``skyray serve`` apps on a real Ray Serve instance, queried with the openai SDK: the
deterministic teacher and the CPU transformers backend (tiny model), both on 127.0.0.1."""

from __future__ import annotations

import pytest

from skyray.serve.server import ServeConfig, start_server


@pytest.fixture(scope="module")
def servers(ray_cluster, tiny_model_dir, tmp_path_factory):
    from skyray.data.seeds import write_problems
    from skyray.records import Problem

    seeds = tmp_path_factory.mktemp("serve") / "seeds.parquet"
    write_problems(
        [
            Problem(
                id="a",
                problem="What is the sum of 20 and 22?",
                answer="42",
                solution="20 + 22 = 42.",
            )
        ],
        seeds,
    )
    det = start_server(
        ServeConfig(seeds_path=str(seeds), port=0, app_name="det", route_prefix="/det")
    )
    tiny = start_server(
        ServeConfig(
            backend="transformers",
            model_path=str(tiny_model_dir),
            model_name="tiny",
            app_name="tiny",
            route_prefix="/tiny",
        )
    )
    yield det.base_url, tiny.base_url
    tiny.stop()
    det.stop()


def test_bound_to_loopback_and_listing_models(servers):
    from openai import OpenAI

    det_url, tiny_url = servers
    assert det_url.startswith("http://127.0.0.1:") and tiny_url.startswith("http://127.0.0.1:")
    assert [m.id for m in OpenAI(base_url=tiny_url, api_key="x").models.list()] == ["tiny"]
    assert [m.id for m in OpenAI(base_url=det_url, api_key="x").models.list()] == ["deterministic"]


def test_tiny_model_chat_and_completions(servers, tiny_model_dir):
    from openai import OpenAI
    from transformers import AutoTokenizer

    client = OpenAI(base_url=servers[1], api_key="x")
    prompt = "### Instruction:\nWhat is 2 + 3?\n\n### Response:"
    first = client.completions.create(model="tiny", prompt=prompt, max_tokens=12, temperature=0)
    again = client.completions.create(model="tiny", prompt=prompt, max_tokens=12, temperature=0)
    n_prompt = len(AutoTokenizer.from_pretrained(tiny_model_dir)(prompt)["input_ids"])
    assert first.choices[0].text == again.choices[0].text  # greedy is deterministic
    assert first.usage.prompt_tokens == n_prompt and 1 <= first.usage.completion_tokens <= 12
    chat = client.chat.completions.create(
        model="tiny",
        messages=[{"role": "user", "content": "What is 2 + 3?"}],
        max_tokens=8,
        temperature=0.7,
        seed=1,
    )
    assert chat.choices[0].message.role == "assistant" and chat.usage.completion_tokens <= 8
    assert chat.choices[0].finish_reason in ("stop", "length")


def test_deterministic_teacher_over_http(servers):
    from skyray.llm import OpenAITeacher, TeacherConfig, TeacherError
    from skyray.synth.prompts import render

    teacher = OpenAITeacher(TeacherConfig(base_url=servers[0], model="deterministic"))
    prompt = render("solve", question="What is the sum of 20 and 22?")[0]
    (out,) = teacher.complete_batch([[{"role": "user", "content": prompt}]], {"temperature": 0.7})
    assert out.ok and out.text.endswith("\nThe answer is 42")
    with pytest.raises(TeacherError, match="does not serve model 'tiny'"):
        OpenAITeacher(TeacherConfig(base_url=servers[0], model="tiny")).check()
