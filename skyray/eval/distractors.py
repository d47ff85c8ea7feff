"""GSM8K distractor variants (the paper's Table 7, CMATH's robustness test).

For each problem, ``k = 1..max_k`` irrelevant sentences are inserted at sentence boundaries
before the final question. Variants are nested (variant ``k`` holds the first ``k`` of the same
five insertions), deterministic for ``(seed, problem id)``, and only ever *insert*: every
character of the original problem survives in order, so its numbers are never altered.

Sentences come from a source:
- ``template`` (default): a deterministic generator over a bank of irrelevant facts whose
  numbers are drawn to differ from the problem's own numbers;
- ``teacher``: a model asked for irrelevant sentences (any :class:`Generator`, e.g. the OpenAI
  backend pointed at ``skyray serve``); replies are validated and any shortfall is filled from the
  template generator, counted in the stats.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from skyray.config import require
from skyray.records import Problem

NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")
_BOUNDARY_RE = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(A-Z0-9$])")
_ABBREVIATIONS = ("Mr.", "Mrs.", "Ms.", "Dr.", "St.", "Jr.", "Sr.", "vs.", "etc.", "a.m.", "p.m.")
NAMES = ["Avery", "Bruno", "Celia", "Dmitri", "Esme", "Farah", "Gideon", "Hana", "Ivo", "Juno"]
TEMPLATES = [
    "{name}'s neighbor owns {n} bicycles.",
    "The town library was built {n} years ago.",
    "{name} has a cousin who is {n} years old.",
    "There are {n} benches in the park nearby.",
    "The local bakery sells {n} kinds of bread.",
    "{name}'s favorite number is {n}.",
    "It rained on {n} days last month.",
    "The school bus has {n} seats.",
    "{name} once read a book with {n} pages.",
    "The street has {n} lamp posts.",
    "A nearby pond is home to {n} ducks.",
    "{name}'s grandmother keeps {n} photo albums.",
    "The museum downtown has {n} paintings on display.",
    "Last winter, {name} built {n} snowmen.",
    "The community garden has {n} tomato plants.",
]
TEACHER_PROMPT = (
    "Write {k} short sentences that could appear in the math word problem below but are "
    "irrelevant to its answer. Each sentence must contain a number, must not mention or change "
    "any quantity in the problem, and must not be a question. Write one sentence per line and "
    "nothing else.\n\nProblem: {problem}"
)


@dataclass(kw_only=True)
class DistractorConfig:
    source: str = "gsm8k-test"  # benchmark the variants are built from
    max_distractors: int = 5  # variants with k = 1..max_distractors (the paper: 5)
    seed: int = 0  # same seed -> same sentences and positions
    generator: str = "template"  # "template" or "teacher" (see module docstring)
    limit: int | None = None  # first N (>= 1) problems of the source (null = all)
    teacher_base_url: str = "http://127.0.0.1:8000/v1"  # generator=teacher: OpenAI endpoint
    teacher_model: str = "deterministic"  # served model name
    teacher_api_key_env: str = "OPENAI_API_KEY"  # env var holding the key (never the key)
    teacher_max_tokens: int = 256

    def __post_init__(self) -> None:
        require(1 <= self.max_distractors <= len(TEMPLATES), "max_distractors must be in 1..15")
        require(self.generator in ("template", "teacher"), "generator must be template|teacher")
        require(
            self.limit is None or self.limit >= 1,
            f"limit must be >= 1 (first N problems), or null for all; got {self.limit}",
        )


@dataclass
class Variant:
    problem: Problem  # the variant (id "<orig id>#d<k>", same answer)
    num_distractors: int
    inserted: list[str] = field(default_factory=list)  # the sentences added, in text order


def numbers(text: str) -> list[str]:
    return NUMBER_RE.findall(text)


def insertion_points(text: str) -> list[int]:
    """Offsets where a sentence starts (0 included), before the final sentence inclusive."""
    points = [0]
    for match in _BOUNDARY_RE.finditer(text):
        before = text[: match.start()]
        if before.endswith(_ABBREVIATIONS):
            continue
        points.append(match.end())
    return points


def template_sentences(problem: Problem, count: int, rng: random.Random) -> list[str]:
    """``count`` irrelevant sentences; names and numbers avoid the problem's own."""
    own_numbers = {n.replace(",", "") for n in numbers(problem.problem)}
    names = [n for n in NAMES if n not in problem.problem] or NAMES
    out = []
    for template in rng.sample(TEMPLATES, count):
        n = rng.randint(2, 97)
        while str(n) in own_numbers:
            n = rng.randint(2, 97)
        out.append(template.format(name=rng.choice(names), n=n))
    return out


def parse_teacher_sentences(text: str, problem: Problem) -> list[str]:
    """Valid sentences from a teacher reply: one per line, declarative, with a number, and not
    repeating any of the problem's numbers."""
    own_numbers = {n.replace(",", "") for n in numbers(problem.problem)}
    good = []
    for line in text.splitlines():
        s = re.sub(r"^\s*(?:[-*]|\d+[.)])\s+", "", line).strip()
        if not s or "?" in s or len(s) > 200 or not s.endswith("."):
            continue
        found = [n.replace(",", "") for n in numbers(s)]
        if not found or own_numbers & set(found):
            continue
        good.append(s)
    return good


SentenceSource = Callable[[Problem, int, random.Random], list[str]]


def make_variants(
    problem: Problem, cfg: DistractorConfig, sentences: list[str] | None = None
) -> list[Variant]:
    """Variants k = 1..max_distractors of one problem (deterministic for cfg.seed and its id).

    ``sentences`` (e.g. from a teacher) replace the template sentences where given."""
    rng = random.Random(f"{cfg.seed}:{problem.id}")
    k_max = cfg.max_distractors
    pool = list(sentences or [])[:k_max]
    pool += template_sentences(problem, k_max, rng)[: k_max - len(pool)]
    points = insertion_points(problem.problem)
    positions = [rng.choice(points) for _ in range(k_max)]
    variants = []
    for k in range(1, k_max + 1):
        chosen = sorted(
            zip(positions[:k], range(k), pool[:k], strict=True)
        )  # text order, then draw order
        text, inserted, shift = problem.problem, [], 0
        for pos, _, sentence in chosen:
            at = pos + shift
            # at a sentence start: "S " before it; at the very end (no boundary): " S"
            piece = sentence + " "
            text = text[:at] + piece + text[at:]
            shift += len(piece)
            inserted.append(sentence)
        variant = Problem(
            id=f"{problem.id}#d{k}",
            problem=text,
            answer=problem.answer,
            solution=problem.solution,
            level=problem.level,
            subject=problem.subject,
            source=f"{problem.source}+distractors",
        )
        variants.append(Variant(variant, k, inserted))
    return variants


def remove_inserted(text: str, inserted: list[str]) -> str:
    """Undo :func:`make_variants` (for checks): drop each inserted ``"S "`` once."""
    for sentence in inserted:
        text = text.replace(sentence + " ", "", 1)
    return text


def teacher_prompt(problem: Problem, k: int) -> str:
    return TEACHER_PROMPT.format(k=k, problem=problem.problem)


def build_distractor_set(
    problems: list[Problem],
    cfg: DistractorConfig,
    teacher: Callable[[list[tuple[Problem, str]]], list[str]] | None = None,
) -> tuple[list[Variant], dict[str, int]]:
    """Originals (k=0) plus k=1..max variants of each problem, and counts.

    ``teacher`` maps ``[(problem, prompt)]`` to reply texts (one per problem); without it, or
    where a reply yields too few valid sentences, template sentences fill in (counted)."""
    if cfg.limit is not None:
        problems = problems[: cfg.limit]
    if teacher is None and cfg.generator == "teacher":
        teacher = openai_teacher(cfg)
    replies = (
        teacher([(p, teacher_prompt(p, cfg.max_distractors)) for p in problems])
        if teacher
        else None
    )
    stats = {"problems": len(problems), "teacher_sentences": 0, "template_sentences": 0}
    out: list[Variant] = []
    for i, problem in enumerate(problems):
        valid = (
            parse_teacher_sentences(replies[i], problem)[: cfg.max_distractors] if replies else []
        )
        stats["teacher_sentences"] += len(valid)
        stats["template_sentences"] += cfg.max_distractors - len(valid)
        out.append(Variant(problem, 0, []))
        out.extend(make_variants(problem, cfg, valid))
    stats["variants"] = len(out)
    return out, stats


def openai_teacher(cfg: DistractorConfig) -> Callable[[list[tuple[Problem, str]]], list[str]]:
    """Teacher replies through the synthesis stage's OpenAI client (greedy, seeded); a failed
    request yields "" (so template sentences fill in, counted)."""
    from skyray.llm import OpenAITeacher, TeacherConfig

    teacher = OpenAITeacher(
        TeacherConfig(
            base_url=cfg.teacher_base_url,
            model=cfg.teacher_model,
            api_key_env=cfg.teacher_api_key_env,
        )
    )
    teacher.check()

    def replies(batch: list[tuple[Problem, str]]) -> list[str]:
        sampling = {"temperature": 0.0, "max_tokens": cfg.teacher_max_tokens, "seed": cfg.seed}
        outs = teacher.complete_batch(
            [[{"role": "user", "content": p}] for _, p in batch], sampling
        )
        return [o.text if o.error is None else "" for o in outs]

    return replies
