"""Curation with its input and output on S3 (moto on 127.0.0.1): workers read the input chunks
and write ``_work/``, ``kept/`` and ``dropped/`` on the storage itself (the files every node's
actors share), and the kept set equals a local run's."""

from __future__ import annotations

import json

import pyarrow.parquet as pq

from skyray import storage
from skyray.cli import main
from tests.storage.conftest import s3_files


def test_curate_cli_on_s3_equals_a_local_run(s3_root, workload, ray_cluster, tmp_path, capsys):
    rows = workload.rows[:600]
    local_in = tmp_path / "in.jsonl"
    local_in.write_text("".join(json.dumps(r) + "\n" for r in rows))
    storage.write_text(f"{s3_root}/inputs/in.jsonl", local_in.read_text())
    args = ["chunk_mb=0.1", "num_workers=1", "worker_cpus=0.5"]
    assert main(["curate", str(local_in), "--out", str(tmp_path / "out"), *args]) == 0
    out_uri = f"{s3_root}/runs/c/step-3-curate"
    code = main(["curate", f"{s3_root}/inputs/in.jsonl", "--out", out_uri, *args])
    assert code == 0
    assert f"-> {out_uri}" in capsys.readouterr().out
    files = s3_files(out_uri)
    assert {"manifest.json", "_SUCCESS", "report.json"} <= set(files)
    assert any(f.startswith("kept/part-") for f in files)
    assert not any(f.startswith("_work/") for f in files)  # cleaned up after pass 3
    local_kept = pq.read_table(tmp_path / "out" / "kept").column("id").to_pylist()
    staged = storage.pull(out_uri)  # what a later step (SFT) reads
    assert pq.read_table(staged / "kept").column("id").to_pylist() == local_kept
    report = storage.read_json(f"{out_uri}/report.json")
    assert report["rows"]["in"] == len(rows) and report["chunks"] > 1
    # the same command again: up to date, nothing rewritten
    marker = storage.read_text(f"{out_uri}/_SUCCESS")
    assert main(["curate", f"{s3_root}/inputs/in.jsonl", "--out", out_uri, *args]) == 0
    assert storage.read_text(f"{out_uri}/_SUCCESS") == marker and s3_files(out_uri) == files


def test_curation_workers_write_their_files_on_the_storage(s3_root, workload, ray_cluster):
    from skyray.curate.config import CurateConfig
    from skyray.curate.run import curate

    rows = workload.rows[:300]
    storage.write_text(f"{s3_root}/in.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    staged_in = storage.pull(f"{s3_root}/in.jsonl")
    out = storage.local_of(f"{s3_root}/out")
    cfg = CurateConfig(chunk_mb=0.05, num_workers=1, worker_cpus=0.5)
    curate(cfg, [staged_in], out, keep_work=True)
    files = s3_files(f"{s3_root}/out")
    assert any(f.startswith("_work/features/chunk-") for f in files)
    assert any(f.startswith("_work/annotated/chunk-") for f in files)
    assert any(f.startswith("kept/part-") for f in files)
    assert not (out / "kept").exists() and not (out / "_work").exists()  # nothing node-local
