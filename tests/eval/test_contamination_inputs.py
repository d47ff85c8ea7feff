"""The contamination guard follows a step manifest's inputs, including inputs recorded by step
(``{"step": ..., "file": ...}``) rather than by path, and never scans the working directory."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq

from skyray.eval.contamination import training_files


def test_manifest_inputs_recorded_by_step_resolve_inside_the_run(tmp_path, monkeypatch):
    run = tmp_path / "run"
    kept = run / "step-3-curate" / "kept"
    kept.mkdir(parents=True)
    pq.write_table(pa.table({"question": ["q"], "response": ["r"]}), kept / "part-0.parquet")
    (run / "step-3-curate" / "dropped").mkdir()
    pq.write_table(pa.table({"question": ["leak"]}), run / "step-3-curate/dropped/part-0.parquet")
    sft = run / "step-4-sft"
    sft.mkdir()
    inputs = [{"file": "kept", "step": "step-3-curate", "step_fingerprint": "x"}, {"tree": "y"}]
    (sft / "manifest.json").write_text(json.dumps({"inputs": inputs}))
    # a stray data file in the working directory must not be picked up by an entry without a path
    monkeypatch.chdir(tmp_path)
    pq.write_table(pa.table({"question": ["stray"]}), tmp_path / "stray.parquet")
    assert training_files(sft / "manifest.json") == [kept / "part-0.parquet"]
