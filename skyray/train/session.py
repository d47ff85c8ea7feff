"""Where a training worker's rows come from and its checkpoints go: Ray Train or a plain folder.

Both sessions give the loop the same five things: rank and world size, the device, the encoded
rows (as Arrow batches), ``restore`` (the newest complete checkpoint) and ``save``/``report``.
:class:`RaySession` runs under Ray Train (``get_dataset_shard``, ``ray.train.report``, a marker per
rank on storage, see :mod:`skyray.train.resume`); :class:`LocalSession` under ``torchrun``,
``deepspeed`` or one process, checkpointing into ``<output_dir>/checkpoints``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from skyray.train.config import SFTConfig

MODEL_DIR = "model"  # the Hugging Face export inside a checkpoint / output folder
STATE_KEY = "skyray"  # our entry in DeepSpeed's client_state


class RaySession:
    """Rank, data and checkpoints under Ray Train."""

    def __init__(self, config: dict[str, Any]):
        import ray.train

        ctx = ray.train.get_context()
        self.rank, self.world = ctx.get_world_rank(), ctx.get_world_size()
        self.local_rank = ctx.get_local_rank()
        restored = ray.train.get_checkpoint()  # the last checkpoint this rank marked, or Ray's
        self._persisted: str | None = restored.path if restored is not None else None

    def device(self) -> Any:
        import ray.train.torch

        return ray.train.torch.get_device()  # the GPU Ray gave this worker

    def batches(self, cfg: SFTConfig) -> Iterator[Any]:
        """All encoded rows (every worker reads every row), as Arrow batches."""
        import ray.train

        shard = ray.train.get_dataset_shard("train")
        yield from shard.iter_batches(batch_size=1024, batch_format="pyarrow")

    def restore(self, engine: Any) -> dict[str, Any] | None:
        """Load the newest complete checkpoint on storage (see :mod:`skyray.train.resume`); rank
        0 chooses, so every rank loads the same one."""
        import ray.train
        import torch.distributed as dist

        choice = [self._choose_checkpoint() if self.rank == 0 else None]
        if dist.is_initialized() and self.world > 1:
            dist.broadcast_object_list(choice, src=0)
        if choice[0] is None:
            return None
        path, fs = choice[0], ray.train.get_context().get_storage().storage_filesystem
        with ray.train.Checkpoint(path=path, filesystem=fs).as_directory() as local:
            _, client_state = engine.load_checkpoint(local)
        return (client_state or {}).get(STATE_KEY)

    def _choose_checkpoint(self) -> str | None:
        import ray.train

        from skyray.train.resume import checkpoint_step, newest_complete

        storage = ray.train.get_context().get_storage()
        fs = storage.storage_filesystem
        found = newest_complete(fs, storage.experiment_fs_path, self.world)
        registered = ray.train.get_checkpoint()
        if registered is not None:
            step = checkpoint_step(registered.filesystem, registered.path)
            if found is None or (step is not None and step > found[1]):
                return registered.path
        return found[0] if found else None

    def save(self, engine: Any, state: dict[str, Any], metrics: dict, export: Any) -> None:
        import ray.train

        from skyray.train.resume import write_marker

        with tempfile.TemporaryDirectory(prefix="skyray-ckpt-") as path:
            engine.save_checkpoint(
                path, tag=f"step-{state['global_step']}", client_state={STATE_KEY: state}
            )
            if export is not None:
                export(Path(path) / MODEL_DIR)
            ray.train.report(metrics, checkpoint=ray.train.Checkpoint.from_directory(path))
        # the upload is done (synchronous report): mark this rank's part complete on storage;
        # an unchanged checkpoint means Ray skipped this report (a worker failed meanwhile)
        persisted = ray.train.get_checkpoint()
        if persisted is not None and persisted.path != self._persisted:
            self._persisted = persisted.path
            write_marker(
                persisted.filesystem,
                persisted.path,
                self.rank,
                self.world,
                int(state["global_step"]),
            )

    def report(self, metrics: dict) -> None:
        import ray.train

        ray.train.report(metrics)


class LocalSession:
    """Rank from the launcher's environment (torchrun/deepspeed) or a single process."""

    def __init__(self, config: dict[str, Any]):
        os.environ.setdefault("RANK", "0")
        os.environ.setdefault("LOCAL_RANK", "0")
        os.environ.setdefault("WORLD_SIZE", "1")
        os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
        os.environ.setdefault("MASTER_PORT", str(_free_port()))
        self.rank, self.world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
        self.local_rank = int(os.environ["LOCAL_RANK"])
        self.data_path = config["data_path"]
        self.tokenizer_path = config["tokenizer_path"]
        self._table: Any = None
        self.output_dir = Path(config["output_dir"])
        self.ckpt_dir = self.output_dir / "checkpoints"

    def device(self) -> Any:
        import torch

        return torch.device(f"cuda:{self.local_rank}")

    def batches(self, cfg: SFTConfig) -> Iterator[Any]:
        from skyray.train.data import encoded_table

        if self._table is None:
            self._table = encoded_table(self.data_path, self.tokenizer_path, cfg)
        yield from self._table.to_batches(max_chunksize=1024)

    def restore(self, engine: Any) -> dict[str, Any] | None:
        if not (self.ckpt_dir / "latest").is_file():
            return None
        _, client_state = engine.load_checkpoint(str(self.ckpt_dir))
        return (client_state or {}).get(STATE_KEY)

    def save(self, engine: Any, state: dict[str, Any], metrics: dict, export: Any) -> None:
        import torch.distributed as dist

        tag = f"step-{state['global_step']}"
        engine.save_checkpoint(str(self.ckpt_dir), tag=tag, client_state={STATE_KEY: state})
        if export is not None:
            export(self.output_dir / MODEL_DIR)
        dist.barrier()
        if self.rank == 0:  # keep the newest checkpoints, like Ray's num_to_keep
            keep = state["num_checkpoints_to_keep"]
            tags = sorted(
                (p for p in self.ckpt_dir.glob("step-*") if p.is_dir()),
                key=lambda p: int(p.name.split("-")[1]),
            )
            for old in tags[:-keep]:
                shutil.rmtree(old, ignore_errors=True)

    def report(self, metrics: dict) -> None:
        return None


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
