"""The miniature world (:mod:`skyray.data.miniworld`): procedural word problems, levels 1-5.

``miniworld-train`` (2,000 problems, 400 per level) seeds synthesis; ``miniworld-test`` (300
held-out problems, 60 per level) feeds evaluation and decontamination like any test set. Both
are generated on demand, deterministically; no data files.
"""

from __future__ import annotations

from skyray.data.benchmarks.base import Benchmark, register


def _rows(split: str):
    def generate():
        from skyray.data.miniworld.splits import split_problems

        return split_problems(split)

    return generate


for _split in ("train", "test"):
    register(
        Benchmark(
            name=f"miniworld-{_split}",
            role="train" if _split == "train" else "test",
            relpath="",
            parse_rows=lambda path: iter(()),
            description=f"SkyRay's miniature world of word problems, {_split} split (generated)",
            generate=_rows(_split),
        )
    )
