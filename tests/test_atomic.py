import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from skyray.atomic import (
    write_atomic,
    write_json_atomic,
    write_jsonl_atomic,
    write_parquet_atomic,
    write_text_atomic,
)


def test_each_kind_round_trips(tmp_path):
    write_text_atomic(tmp_path / "a.txt", "héllo\n")
    write_jsonl_atomic(tmp_path / "b.jsonl", [{"q": "√2"}, {"q": 3}])
    write_json_atomic(tmp_path / "c.json", {"url": "http://u:secret@h/x", "n": 1})
    write_parquet_atomic(tmp_path / "d.parquet", pa.table({"x": [1, 2]}))
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "héllo\n"
    lines = (tmp_path / "b.jsonl").read_text(encoding="utf-8").splitlines()
    assert lines == ['{"q": "√2"}', '{"q": 3}']
    saved = json.loads((tmp_path / "c.json").read_text())
    assert saved["n"] == 1 and "secret" not in saved["url"]
    assert pq.read_table(tmp_path / "d.parquet").column("x").to_pylist() == [1, 2]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "a.txt",
        "b.jsonl",
        "c.json",
        "d.parquet",
    ]


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_text("old\n")

    def rows():
        yield {"a": 1}
        raise RuntimeError("upstream failed")

    with pytest.raises(RuntimeError, match="upstream failed"):
        write_jsonl_atomic(path, rows())
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]


def test_missing_folder_raises_the_write_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        write_atomic(tmp_path / "no" / "x.txt", lambda tmp: tmp.write_text("x"))
