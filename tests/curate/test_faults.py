"""``skyray curate`` with awkward outputs and inputs: ``--out`` an existing file, ``--out``
inside its input folder (never reads its own outputs), compressed JSONL, and files it does not
read (listed in the report and the log, never silently skipped)."""

from __future__ import annotations

import gzip
import json

import pytest

from skyray.cli import main
from skyray.curate.run import REPORT
from skyray.runs import MANIFEST, SUCCESS

LOCAL = ["engine=local", "decontam.enabled=false"]


def row(i: int) -> dict:
    return {
        "id": f"r{i}",
        "question": f"What is {i} plus {i + 7}, in apples and pears?",
        "response": f"We add {i} and {i + 7}.\nThe answer is {2 * i + 7}",
        "gold": str(2 * i + 7),
    }


def lines(rows) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


def curate(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["curate", *args, *LOCAL])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_out_an_existing_file_is_one_line(tmp_path, capsys):
    (tmp_path / "in.jsonl").write_text(lines([row(1)]))
    target = tmp_path / "taken.txt"
    target.write_text("mine")
    code, out, err = curate(capsys, str(tmp_path / "in.jsonl"), "--out", str(target))
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        f"skyray: error: --out {target} is an existing file; give a folder for the curated output"
    ]
    assert target.read_text() == "mine"
    code, out, err = curate(capsys, str(tmp_path / "in.jsonl"), "--out", str(target / "sub"))
    assert (
        code == 2
        and err.strip()
        == f"skyray: error: --out {target / 'sub'}: {target} is a file, not a folder"
    )


def test_out_inside_the_input_folder_never_reads_its_own_outputs(tmp_path, capsys, caplog):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.jsonl").write_text(lines([row(i) for i in range(3)]))
    with gzip.open(data / "c.jsonl.gz", "wt") as handle:  # compressed JSONL is read
        handle.write(lines([row(i) for i in range(10, 12)]))
    (data / "notes.json").write_text(json.dumps({"id": "n", "question": "q", "response": "r"}))
    out = data / "curated"
    for attempt in range(3):
        args = ["--force"] if attempt == 2 else []
        code, stdout, err = curate(capsys, str(data), "--out", str(out), *args)
        assert code == 0, err
        report = json.loads((out / REPORT).read_text())
        assert report["rows"] == {"in": 5, "kept": 5, "dropped": 0}, attempt
        assert report["inputs"] == [str(data / "a.jsonl"), str(data / "c.jsonl.gz")]
        assert report["skipped_inputs"] == [str(data / "notes.json")]  # listed, not read
        assert stdout.startswith("curate: 5 rows in, 5 kept, 0 dropped")
    manifest = json.loads((out / MANIFEST).read_text())
    assert all(not i["path"].startswith(str(out)) for i in manifest["inputs"])
    assert (out / SUCCESS).is_file()
    warned = [r.getMessage() for r in caplog.records if "skipped 1 file" in r.getMessage()]
    assert warned and str(data / "notes.json") in warned[0]


def test_naming_outputs_or_unsupported_files_is_one_line(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.jsonl").write_text(lines([row(1)]))
    out = data / "curated"
    assert curate(capsys, str(data), "--out", str(out))[0] == 0
    code, _, err = curate(capsys, str(out / "kept"), "--out", str(out))
    assert code == 2 and err.strip() == (
        f"skyray: error: input {out / 'kept'} is inside the output folder {out}"
    )
    assert (out / SUCCESS).is_file() and (out / "kept").is_dir()  # the finished step is intact
    code, _, err = curate(capsys, str(out / MANIFEST), "--out", str(tmp_path / "o2"))
    assert code == 2 and "unsupported file type (use .jsonl, .jsonl.gz or .parquet)" in err
    (tmp_path / "bad.jsonl.gz").write_bytes(b"not gzip at all\n")
    code, _, err = curate(capsys, str(tmp_path / "bad.jsonl.gz"), "--out", str(tmp_path / "o3"))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "bad.jsonl.gz: not a readable gzip file" in err
    assert not (tmp_path / "o3" / SUCCESS).exists()


def test_a_gzip_cut_short_is_a_counted_drop(tmp_path, capsys):
    blob = gzip.compress(lines([row(i) for i in range(200)]).encode())
    (tmp_path / "cut.jsonl.gz").write_bytes(blob[: len(blob) // 2])
    code, _, err = curate(capsys, str(tmp_path / "cut.jsonl.gz"), "--out", str(tmp_path / "o"))
    assert code == 0, err
    report = json.loads((tmp_path / "o" / REPORT).read_text())
    assert report["reasons"].get("parse:bad-gzip") == 1
    assert 0 < report["rows"]["kept"] < 200


@pytest.mark.parametrize("name", ["notes.txt", "manifest.json"])
def test_a_folder_with_nothing_readable_names_what_it_skipped(tmp_path, capsys, name):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / name).write_text("{}")
    code, _, err = curate(capsys, str(tmp_path / "in"), "--out", str(tmp_path / "o"))
    assert code == 2 and err.strip() == (
        f"skyray: error: input folder {tmp_path / 'in'} holds no .jsonl, .jsonl.gz or .parquet "
        f"files (skipped: {tmp_path / 'in' / name})"
    )


def test_another_curation_output_in_the_input_folder_is_skipped(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.jsonl").write_text(lines([row(i) for i in range(3)]))
    assert curate(capsys, str(data), "--out", str(data / "first"))[0] == 0
    code, stdout, err = curate(capsys, str(data), "--out", str(data / "second"))
    assert code == 0, err
    report = json.loads((data / "second" / REPORT).read_text())
    assert report["rows"]["in"] == 3 and report["inputs"] == [str(data / "a.jsonl")]
    assert report["skipped_inputs"] == [f"{data / 'first'}/ (a curation output)"]
    # its kept/ named on purpose is read
    code, _, err = curate(capsys, str(data / "first" / "kept"), "--out", str(tmp_path / "again"))
    assert code == 0, err
    assert json.loads((tmp_path / "again" / REPORT).read_text())["rows"]["in"] == 3
