"""The whole stage on the session's local Ray cluster: outputs, report, reasons, and the same
kept set whatever the chunking, the number of workers or the engine."""

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from skyray.curate.config import CurateConfig
from skyray.curate.run import REPORT, curate, run_curate

BAD_LINES = [
    b'{"id": "bad-json", "question": "unterminated\n',
    b'{"id": "bad-utf8", "question": "\xff\xfe", "response": "x"}\n',
    b'{"id": "null-response", "question": "What is two plus two, exactly?", "response": null}\n',
    b'{"id": "no-answer-line", "question": "What is two plus two, exactly?", "response": "It is four, clearly, as counted."}\n',
    b'["not", "an", "object"]\n',
]


@pytest.fixture(scope="module")
def inputs(workload, tmp_path_factory):
    """The workload split over two JSONL files (the first with bad lines) and a Parquet file."""
    folder = tmp_path_factory.mktemp("inputs")
    rows = workload.rows[:1800]
    first = folder / "a.jsonl"
    with first.open("wb") as handle:
        for i, row in enumerate(rows[:700]):
            handle.write(json.dumps(row).encode() + b"\n")
            if i % 140 == 0:
                handle.write(BAD_LINES[(i // 140) % len(BAD_LINES)])
    second = folder / "b.jsonl"
    second.write_text("".join(json.dumps(r) + "\n" for r in rows[700:1300]))
    third = folder / "c.parquet"
    pq.write_table(pa.Table.from_pylist(rows[1300:]), third, row_group_size=100)
    return [first, second, third]


def _outputs(folder):
    kept = pq.read_table(folder / "kept").to_pylist()
    dropped = pq.read_table(folder / "dropped").to_pylist()
    return kept, dropped, json.loads((folder / REPORT).read_text())


@pytest.fixture(scope="module")
def ray_run(ray_cluster, inputs, tmp_path_factory):
    cfg = CurateConfig(chunk_mb=0.25, num_workers=2)
    out = run_curate(cfg, tmp_path_factory.mktemp("run"), 3, inputs)
    return out, _outputs(out)


def test_ray_run_writes_kept_dropped_and_report(ray_run, workload):
    out, (kept, dropped, report) = ray_run
    assert out.name == "step-3-curate" and (out / "_SUCCESS").is_file()
    assert report["engine"] == "ray" and report["chunks"] > 5
    assert report["rows"]["in"] == 1800 + 5 == len(kept) + len(dropped)
    assert {"operator", "seed_id", "gold"} <= set(kept[0])  # carried through
    for row in dropped:
        assert row["id"] and row["drop_reason"] and row["drop_detail"]
    reasons = {d["id"]: d["drop_reason"] for d in dropped}
    not_utf8 = [i for i, r in reasons.items() if r == "parse:not-utf8"]
    assert len(not_utf8) == 1 and not_utf8[0].startswith("a.jsonl@")  # named by file and byte
    assert reasons["null-response"] == "format:null-response"
    assert reasons["no-answer-line"] == "format:no-answer-line"
    assert sum(r.startswith("parse:bad-json") for r in reasons.values()) == 1
    assert sum(r == "parse:not-object" for r in reasons.values()) == 1
    planted = [i for i in workload.leaks if int(i[4:]) < 1800]
    assert planted and all(reasons[i].startswith("decontam:") for i in planted)
    counts = report["reasons"]
    assert counts["dedup:exact"] > 20 and counts["dedup:near"] > 50
    assert sum(report["benchmarks"].values()) >= len(planted)
    stages = report["stages"]
    order = ["format", "decontam", "exact_dedup", "near_dedup"]
    for before, after in zip(order, order[1:], strict=False):
        assert stages[before]["out"] == stages[after]["in"]
    assert stages["near_dedup"]["out"] == len(kept)
    assert report["near_dedup"]["rejected_pairs"] >= 0 and report["near_dedup"]["s_curve"]
    detail = next(d for d in dropped if d["drop_reason"].startswith("decontam:"))["drop_detail"]
    assert "test/" in detail or "gsm8k-test:" in detail


def test_same_kept_set_for_any_chunking_workers_or_engine(ray_run, inputs, ray_cluster, tmp_path):
    _, (kept, dropped, _) = ray_run
    want_kept = [r["id"] for r in kept]
    want_dropped = {d["id"]: d["drop_reason"] for d in dropped}
    for cfg in (
        CurateConfig(engine="local", chunk_mb=64),
        CurateConfig(engine="ray", chunk_mb=0.1, num_workers=1),
    ):
        got_kept, got_dropped, _ = _outputs(
            _run(cfg, inputs, tmp_path / f"{cfg.engine}-{cfg.chunk_mb}")
        )
        assert sorted(r["id"] for r in got_kept) == sorted(want_kept)
        assert {d["id"]: d["drop_reason"] for d in got_dropped} == want_dropped


def _run(cfg, inputs, out):
    curate(cfg, inputs, out)
    return out


def test_step_is_skipped_when_done(ray_run, inputs):
    out, _ = ray_run
    before = (out / "_SUCCESS").stat().st_mtime_ns
    cfg = CurateConfig(chunk_mb=0.25, num_workers=2)
    assert run_curate(cfg, out.parent, 3, inputs) == out
    assert (out / "_SUCCESS").stat().st_mtime_ns == before
