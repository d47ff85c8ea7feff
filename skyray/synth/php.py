"""Progressive-hint-style training samples (SkyMath: previous answers in training help).

For a deterministic ``ratio`` share of the synthesised samples whose answer is known, a twin is
added whose question carries a hint of earlier answers, PHP style
(``<question> (Hint: The answer is near to 43, 42).``), and whose response is the sample's verified
solution. Half of the hints end with the right answer (earlier attempts converging on it), half
hold only a near miss (a hint the model must not copy), so the model learns to use hints, not to
trust them. No teacher call: the twin's lineage is its parent's plus operator ``php``.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from fractions import Fraction

from skyray.config import require
from skyray.records import SyntheticSample

DEFAULT_TEMPLATE = "{question} (Hint: The answer is near to {hints})."


@dataclass(kw_only=True)
class PHPSamplesConfig:
    ratio: float = 0.0  # share of samples that get a PHP twin (0 = off)
    hint_template: str = DEFAULT_TEMPLATE  # {question}, {hints}: "43, 42"

    def __post_init__(self) -> None:
        require(0.0 <= self.ratio <= 1.0, f"php.ratio must be in [0, 1], got {self.ratio}")
        for name in ("{question}", "{hints}"):
            require(name in self.hint_template, f"php.hint_template must contain {name}")


def near_miss(answer: str) -> str:
    """A plausible wrong answer: a number plus one, else the expression plus one."""
    text = answer.strip().replace(",", "")
    try:
        return str(Fraction(text) + 1) if "/" not in text else f"{answer}+1"
    except ValueError:
        return f"{answer}+1"


def _unit(*parts: object) -> float:
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()
    return int(digest[:13], 16) / float(16**13)


def hints_for(sample: SyntheticSample, seed: int) -> list[str]:
    """Earlier answers for the hint: a near miss, then (for half the samples) the right one."""
    answer = str(sample.answer)
    if _unit(seed, "php-hints", sample.id) < 0.5:
        return [near_miss(answer), answer]
    return [near_miss(answer)]


def php_samples(
    samples: list[SyntheticSample], cfg: PHPSamplesConfig, seed: int = 0
) -> list[SyntheticSample]:
    """The PHP twins of a ``cfg.ratio`` share of ``samples`` (those with an answer)."""
    out = []
    for s in samples:
        if not s.answer or _unit(seed, "php", s.id) >= cfg.ratio:
            continue
        hints = ", ".join(hints_for(s, seed))
        out.append(
            dataclasses.replace(
                s,
                id="",  # derived again from the twin's lineage
                question=cfg.hint_template.format(question=s.question.strip(), hints=hints),
                operator="php",
                parent_id=s.id,
                template_version=f"{s.template_version}+php",
                gold=s.gold if s.gold is not None else s.answer,
                prompt_tokens=0,
                completion_tokens=0,
            )
        )
    return out
