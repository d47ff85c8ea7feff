"""The teacher response cache: append-only segments written by many processes at once, merged
on read, torn lines skipped, compaction; and the step's cost with replies served from it."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

from skyray.llm.cache import ResponseCache
from tests.synth.test_pipeline import small_cfg


def _writer(folder: str, worker: int, n: int) -> None:
    cache = ResponseCache(folder)
    for i in range(n):
        cache.put(f"w{worker}-{i}", {"text": f"reply {worker}/{i}", "prompt_tokens": i})
    cache.close()


def test_many_processes_write_at_once_and_a_reader_sees_everything(tmp_path):
    folder = tmp_path / "cache"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(folder), w, 40)) for w in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert all(p.exitcode == 0 for p in procs)
    segments = sorted(folder.glob("seg-*.jsonl"))
    assert len(segments) == 3  # one per process: no two writers share a file
    # a writer killed mid-line leaves a torn last line: skipped on read
    with segments[0].open("ab") as handle:
        handle.write(b'{"k":"torn","v":{"te')
    cache = ResponseCache(folder)
    assert len(cache) == 120 and cache.get("w2-39") == {"text": "reply 2/39", "prompt_tokens": 39}
    assert cache.get("torn") is None
    cache.put("new", {"text": "n"})
    assert cache.compact() == {"entries": 121, "prompt_tokens": 3 * 780, "completion_tokens": 0}
    assert len(list(folder.glob("seg-*.jsonl"))) == 1
    again = ResponseCache(folder)
    assert len(again) == 121 and again.get("w0-0")["text"] == "reply 0/0"
    assert again.get("new") == {"text": "n"}


def test_manifest_cost_counts_replies_served_from_the_cache(teacher_url, seeds_path, tmp_path):
    from skyray.synth.pipeline import run_synth

    prices = ["teacher.price_prompt_per_mtok=3.0", "teacher.price_completion_per_mtok=15.0"]
    step = run_synth(small_cfg(teacher_url, *prices), tmp_path / "run", 2, seeds_path)
    fresh = json.loads((step / "manifest.json").read_text())
    usage = fresh["usage"]
    assert fresh["cost_usd"] > 0 and fresh["cost"]["cached_usd"] == 0
    # every reply received is in the cache: an uninterrupted run's spend is what it sent
    assert abs(fresh["cost_usd"] - fresh["cost"]["sent_usd"]) < 1e-5
    expected = (usage["prompt_tokens"] * 3.0 + usage["completion_tokens"] * 15.0) / 1e6
    assert abs(fresh["cost_usd"] - expected) < 1e-5
    # the step again, mostly from its cache (as a rerun after a kill is): nothing is free
    (Path(step) / "_SUCCESS").unlink()
    run_synth(small_cfg(teacher_url, *prices), tmp_path / "run", 2, seeds_path)
    rerun = json.loads((step / "manifest.json").read_text())
    assert rerun["usage"]["cached"] > 0.5 * rerun["usage"]["requests"]
    assert rerun["cost"]["cached_usd"] > 0.5 * fresh["cost_usd"]
    # the step's total: the first run's replies plus the few this run sent
    assert abs(rerun["cost_usd"] - (fresh["cost_usd"] + rerun["cost"]["sent_usd"])) < 1e-5
    assert rerun["cost"]["replies_stored"] >= fresh["cost"]["replies_stored"]
