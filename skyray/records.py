"""Row types shared by every stage, with their Arrow schemas.

- :class:`Problem`: a benchmark item or a seed problem (one schema for both).
- :class:`SyntheticSample`: a teacher-written (question, response) with its full lineage and a
  deterministic id hashed from that lineage, so a resumed job knows which samples it has.
- :class:`SFTExample`: one training pair in the SFT prompt format's two halves.
- :class:`Prediction`: one model answer to one benchmark item, with its grade.

Each record has ``to_row()``/``from_row()`` and ``arrow_schema()``; pyarrow is imported lazily.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

R = TypeVar("R", bound="Record")


def stable_id(*parts: Any, prefix: str = "") -> str:
    """Deterministic 16-hex id from JSON-serialisable parts."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str).encode()
    return prefix + hashlib.sha256(blob).hexdigest()[:16]


class Record:
    """Mixin: dict rows and Arrow schemas derived from the dataclass fields."""

    @classmethod
    def arrow_schema(cls):
        import pyarrow as pa

        hints = typing.get_type_hints(cls)
        fields = []
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            arrow_type, nullable = _arrow_type(hints[f.name])
            fields.append(pa.field(f.name, arrow_type, nullable=nullable))
        return pa.schema(fields)

    def to_row(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_row(cls: type[R], row: dict[str, Any]) -> R:
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        missing = [
            f.name
            for f in dataclasses.fields(cls)  # type: ignore[arg-type]
            if f.name not in row
            and f.default is dataclasses.MISSING
            and f.default_factory is dataclasses.MISSING
        ]
        if missing:
            raise ValueError(f"{cls.__name__} row is missing column(s) {missing}")
        return cls(**{k: v for k, v in row.items() if k in names})


def _arrow_type(tp: Any):
    import pyarrow as pa

    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        arrow_type, _ = _arrow_type(inner[0])
        return arrow_type, True
    simple = {str: pa.string(), int: pa.int64(), float: pa.float64(), bool: pa.bool_()}
    if tp in simple:
        return simple[tp], False
    if origin is list:
        item_type, _ = _arrow_type(args[0])
        return pa.list_(item_type), False
    if origin is dict:
        return pa.map_(pa.string(), _arrow_type(args[1])[0]), False
    raise TypeError(f"no Arrow type for {tp!r}")


@dataclass(kw_only=True)
class Problem(Record):
    """A benchmark item or seed problem in the one normalised schema."""

    id: str  # source-unique id, e.g. "math-test/test/algebra/1.json"
    problem: str  # the question text
    answer: str  # gold final answer (MATH: last \boxed{} of the solution)
    solution: str = ""  # reference solution, "" when the source has none
    level: int | None = None  # MATH difficulty 1..5, None elsewhere
    subject: str = ""  # MATH subject ("Algebra", ...), or a source's own category
    source: str = ""  # registry name of the benchmark, e.g. "math-test"


@dataclass(kw_only=True)
class SyntheticSample(Record):
    """A teacher-written sample with its lineage. ``id`` is derived from the lineage fields."""

    LINEAGE: ClassVar[tuple[str, ...]] = (
        "seed_id",
        "parent_id",
        "operator",
        "step",
        "teacher",
        "template_version",
        "sampling",
        "stage",
        "sample_index",
    )

    question: str  # the (possibly new) problem
    response: str  # step-by-step solution ending with "\nThe answer is X"
    seed_id: str  # Problem.id of the seed this sample descends from
    operator: str  # augmentation operator, e.g. "metamath.fobar", "evol.deepen", "xwin"
    teacher: str  # teacher model name
    template_version: str  # version of the prompt template file used
    sampling: str = "{}"  # JSON of the sampling params (temperature, top_p, max_tokens, ...)
    stage: int = 1  # 1 = normal problems, 2 = hard problems
    step: int = 0  # evolution step (Evol-Instruct), 0 otherwise
    parent_id: str = ""  # id of the sample this one evolved from, "" for direct children
    sample_index: int = 0  # n-th sample for the same request lineage
    answer: str | None = None  # final answer extracted from the response
    gold: str | None = None  # expected answer when the operator keeps a known answer
    subject: str = ""  # inherited from the seed
    level: int | None = None  # inherited from the seed
    prompt_tokens: int = 0  # teacher usage for this sample's requests
    completion_tokens: int = 0
    id: str = ""  # filled from the lineage when left empty

    def __post_init__(self) -> None:
        if not self.id:
            self.id = self.lineage_id(**{k: getattr(self, k) for k in self.LINEAGE})

    @staticmethod
    def lineage_id(**lineage: Any) -> str:
        """The deterministic id for a lineage (known before the teacher is called)."""
        return stable_id(*(lineage.get(k) for k in SyntheticSample.LINEAGE), prefix="syn-")


@dataclass(kw_only=True)
class SFTExample(Record):
    """One SFT pair; the prompt template is applied at tokenisation time."""

    id: str  # id of the SyntheticSample (or seed) it came from
    query: str  # the instruction/question
    response: str  # the target response (loss is taken on it, plus EOS)
    stage: int = 1  # curriculum stage it belongs to
    source: str = ""  # dataset or operator name, for mixing reports


@dataclass(kw_only=True)
class Prediction(Record):
    """A model's answer to one benchmark item, graded."""

    id: str  # Problem.id
    benchmark: str  # registry name
    response: str  # raw model output ("" when generation failed)
    gold: str  # gold answer
    extracted: str | None = None  # answer extracted from the response, None if none found
    correct: bool | None = None  # grade; None until scored
    grader: str = ""  # "strict" or "equiv"
    level: int | None = None
    subject: str = ""
    model: str = ""
    sample_index: int = 0  # k-th sample for maj@k/pass@k
    error: str | None = None  # generation error, kept instead of dropping the row
    extra: dict[str, str] = field(default_factory=dict)  # free-form tags (e.g. distractor k)
