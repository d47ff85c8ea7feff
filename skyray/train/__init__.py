"""Supervised fine-tuning: one recipe (Ray Train + DeepSpeed ZeRO-3), many configs.

- :mod:`skyray.train.config`: :class:`SFTConfig`, the one config type of the ``sft`` stage.
- :mod:`skyray.train.tokenize`: rows -> prompt/response tokens with the loss mask; preflight.
- :mod:`skyray.train.collate`: epoch plans (deterministic order), padded and packed batches.
- :mod:`skyray.train.schedule`, :mod:`skyray.train.ds_config`, :mod:`skyray.train.flops`.
- :mod:`skyray.train.loop`: the training loop; runs under Ray Train or plain ``torchrun``.
- :mod:`skyray.train.session` (Ray Train or a folder: rows, checkpoints), :mod:`skyray.train.shard`
  (a rank's samples), :mod:`skyray.train.weights` (attention, digests, the HF export),
  :mod:`skyray.train.metrics_writer` (metrics file, progress, Ray metrics): what the loop calls.
- :mod:`skyray.train.trainer`: ``run_sft``, the ``sft`` step on a Ray cluster.

Nothing here imports torch, deepspeed or transformers at module import time.
"""
