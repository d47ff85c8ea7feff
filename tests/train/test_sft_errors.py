"""Bad input stops before any cluster work, with one clear line."""

from __future__ import annotations

import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from skyray.cli import main
from skyray.train.config import SFTConfig
from skyray.train.trainer import resolve_model, run_sft


def test_wrong_schema_is_a_clear_error(tmp_path, tiny_model_dir, capsys):
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.Table.from_pylist([{"problem": "1+1?", "solution": "2"}]), path)
    cfg = SFTConfig(model=str(tiny_model_dir), use_gpu=False, num_workers=1,
                    micro_batch_size=1, global_batch_size=1)  # fmt: skip
    with pytest.raises(ValueError, match="question/response .* query/response"):
        run_sft(cfg, tmp_path / "run", 4, path)
    code = main(["sft", "--run-dir", str(tmp_path / "run"), "--data", str(path),
                 f"model={tiny_model_dir}", "use_gpu=false", "num_workers=1",
                 "micro_batch_size=1", "global_batch_size=1"])  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("skyray: error: ")


def test_missing_data_and_models(tmp_path, tiny_model_dir):
    cfg = SFTConfig(model=str(tiny_model_dir))
    with pytest.raises(FileNotFoundError, match="SFT data not found"):
        run_sft(cfg, tmp_path, 4, tmp_path / "nope.parquet")
    with pytest.raises(FileNotFoundError, match="model folder not found"):
        resolve_model("runs/never/step-4-sft")
    unfinished = tmp_path / "step-4-sft"
    (unfinished / "model").mkdir(parents=True)
    (unfinished / "model" / "config.json").write_text("{}")
    with pytest.raises(ValueError, match="did not finish"):
        resolve_model(str(unfinished))
    assert resolve_model("meta-llama/Llama-2-7b-hf") == "meta-llama/Llama-2-7b-hf"
    assert resolve_model(str(tiny_model_dir)) == str(tiny_model_dir.resolve())


def test_standalone_world_size_must_match_the_global_batch(tmp_path, tiny_model_dir, monkeypatch):
    from skyray.train.standalone import run_local
    from tests.train.conftest import sample_rows, write_curated

    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    data = write_curated(tmp_path, sample_rows(4))
    cfg = SFTConfig(model=str(tiny_model_dir), use_gpu=False, num_workers=2,
                    micro_batch_size=1, global_batch_size=2)  # fmt: skip
    with pytest.raises(ValueError, match="num_workers is 2 but 1 processes run"):
        run_local(cfg, data, tmp_path / "out")
    assert "WORLD_SIZE" not in os.environ  # a single process leaves no rank variables behind
