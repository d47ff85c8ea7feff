"""Bad input: a clear one-line error before any work, or a counted drop with its reason."""

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from skyray.cli import main
from skyray.curate.config import CurateConfig, DecontamConfig
from skyray.curate.run import REPORT, curate

GOOD = {
    "id": "good-1",
    "question": "What is the sum of 2 and 3?",
    "response": "We add 2 and 3 to get 5.\nThe answer is 5",
    "gold": "5",
}


def _cfg(**kw):
    return CurateConfig(engine="local", decontam=DecontamConfig(enabled=False), **kw)


def _jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_missing_input_and_missing_columns_fail_before_any_work(tmp_path):
    with pytest.raises(FileNotFoundError, match="input not found"):
        curate(_cfg(), [tmp_path / "nope.jsonl"], tmp_path / "out")
    no_response = _jsonl(tmp_path / "a.jsonl", [{"id": "x", "question": "q"}])
    with pytest.raises(ValueError, match=r"lack column\(s\) \['response'\]"):
        curate(_cfg(), [no_response], tmp_path / "out")
    table = pa.table({"id": ["x"], "question": ["q"]})
    pq.write_table(table, tmp_path / "b.parquet")
    with pytest.raises(ValueError, match=r"missing column\(s\) \['response'\]"):
        curate(_cfg(), [tmp_path / "b.parquet"], tmp_path / "out")
    (tmp_path / "c.txt").write_text("hi")
    with pytest.raises(ValueError, match="unsupported file type"):
        curate(_cfg(), [tmp_path / "c.txt"], tmp_path / "out")
    assert not (tmp_path / "out" / "kept").exists()


def test_empty_files(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(ValueError, match="every input is empty"):
        curate(_cfg(), [empty], tmp_path / "out")
    good = _jsonl(tmp_path / "good.jsonl", [GOOD])
    report = curate(_cfg(), [empty, good], tmp_path / "out")
    assert report["empty_inputs"] == [str(empty)] and report["rows"]["kept"] == 1


def test_bad_rows_are_counted_drops(tmp_path):
    path = tmp_path / "rows.jsonl"
    with path.open("wb") as handle:
        handle.write(json.dumps(GOOD).encode() + b"\n")
        handle.write(b'{"id": "u", "question": "caf\xe9?", "response": "r"}\n')  # Latin-1 byte
        handle.write(b"{not json}\n\n")
        handle.write(json.dumps({**GOOD, "id": "nr", "response": None}).encode() + b"\n")
        handle.write(json.dumps({**GOOD, "id": "nq", "question": 7}).encode() + b"\n")
        handle.write(json.dumps({**GOOD, "id": "wrong", "gold": "6"}).encode() + b"\n")
        handle.write(json.dumps({**GOOD, "id": "numgold", "gold": 5}).encode() + b"\n")
    pq.write_table(
        pa.table(
            {
                "id": ["p1", "p2"],
                "question": [GOOD["question"], None],
                "response": [GOOD["response"]] * 2,
            }
        ),
        tmp_path / "rows.parquet",
    )
    report = curate(_cfg(), [path, tmp_path / "rows.parquet"], tmp_path / "out")
    dropped = {d["id"]: d for d in pq.read_table(tmp_path / "out" / "dropped").to_pylist()}
    assert report["rows"] == {"in": 9, "kept": 1, "dropped": 8}
    assert (
        dropped["rows.jsonl@" + str(len(json.dumps(GOOD)) + 1)]["drop_reason"] == "parse:not-utf8"
    )
    assert [d["drop_reason"] for d in dropped.values() if d["drop_reason"] == "parse:bad-json"]
    assert dropped["nr"]["drop_reason"] == "format:null-response"
    assert dropped["nq"]["drop_reason"] == "format:bad-question"
    assert dropped["wrong"]["drop_reason"] == "answer:mismatch"
    assert "gold '6'" in dropped["wrong"]["drop_detail"]
    assert dropped["numgold"]["drop_reason"] == "dedup:exact"  # same text as good-1, kept first
    assert dropped["p2"]["drop_reason"] == "format:null-question"
    assert dropped["p1"]["drop_reason"] == "dedup:exact"
    assert report["stages"]["format"]["dropped"] == 6


def test_cli_one_line_errors_and_a_run(tmp_path, capsys):
    assert main(["curate", str(tmp_path / "missing.jsonl"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("skyray: error: input not found") and "\n" not in err
    assert main(["curate", "x.jsonl", "--out", str(tmp_path / "o"), "near_dedup.bands=99"]) == 2
    assert "exceeds num_perm" in capsys.readouterr().err
    good = _jsonl(tmp_path / "good.jsonl", [GOOD, {**GOOD, "id": "good-2"}])
    out = tmp_path / "step"
    args = ["curate", str(good), "--out", str(out), "--ngram", "13", "--benchmarks", "gsm8k"]
    assert main([*args, "engine=local"]) == 0
    printed = capsys.readouterr().out
    assert "2 rows in, 1 kept, 1 dropped" in printed and "dedup:exact" in printed
    report = json.loads((out / REPORT).read_text())
    assert report["config"]["decontam"]["ngram"] == 13
    assert report["config"]["decontam"]["benchmarks"] == ["gsm8k-test"]
    assert (out / "_SUCCESS").is_file() and (out / "manifest.json").is_file()
