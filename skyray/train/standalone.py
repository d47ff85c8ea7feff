"""The SFT loop without Ray: one process, or one process per GPU under ``torchrun``/``deepspeed``.

    torchrun --nproc-per-node 8 -m skyray.train.standalone \\
        --config configs/paper/llama2-7b/sft-stage1.yaml --data curated.parquet --out out/

Reads the Parquet directly (same rows and order as the Ray path), checkpoints into
``<out>/checkpoints`` (a rerun resumes from the newest) and exports ``<out>/model``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from skyray.train.config import SFTConfig

LAUNCHER_ENV = ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")


def run_local(cfg: SFTConfig, data_path: str | Path, output_dir: str | Path) -> Path:
    """Train in this process (a rank of a torchrun job, or alone); returns the export folder."""
    from skyray.train.loop import train_loop
    from skyray.train.session import MODEL_DIR
    from skyray.train.trainer import (
        METRICS_FILE,
        PREFLIGHT_FILE,
        loop_config,
        resolve_model,
        run_preflight,
    )

    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    model_path = resolve_model(cfg.model)
    tokenizer_path = resolve_model(cfg.tokenizer) if cfg.tokenizer else model_path
    if os.environ.get("RANK", "0") == "0":
        run_preflight(cfg, tokenizer_path, data_path, output_dir / PREFLIGHT_FILE)
    # a single process gets rank variables for the process group; take them away afterwards
    added = [k for k in LAUNCHER_ENV if k not in os.environ]
    try:
        train_loop(
            loop_config(
                cfg,
                model_path,
                tokenizer_path,
                mode="local",
                data_path=str(data_path),
                output_dir=str(output_dir),
                metrics_path=str(output_dir / METRICS_FILE),
            )
        )
    finally:
        for key in added:
            os.environ.pop(key, None)
    return output_dir / MODEL_DIR


def main(argv: list[str] | None = None) -> int:
    from skyray.config import load_config

    parser = argparse.ArgumentParser(prog="python -m skyray.train.standalone")
    parser.add_argument("--config", default=None, help="sft YAML config")
    parser.add_argument("--data", required=True, help="curated Parquet file or folder")
    parser.add_argument("--out", required=True, help="output folder (checkpoints/, model/)")
    parser.add_argument("overrides", nargs="*", metavar="key=value")
    args = parser.parse_args(argv)
    cfg = load_config(SFTConfig, args.config, args.overrides)
    print(f"model exported to {run_local(cfg, args.data, args.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
