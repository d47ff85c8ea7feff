"""Versioned prompt templates for the augmentation operators.

Each template is a file ``<name>.v<N>.txt`` in this folder with ``{field}`` placeholders (no other
braces). ``template_version`` in a sample's lineage is the file stem, e.g. ``"solve.v1"``; a
changed prompt gets a new file, so old lineages stay meaningful and cache keys change with it.

- :func:`render` fills a template (the latest version unless ``version`` is given);
- :func:`match` inverts it: given a prompt text, which template and which field values made it
  (the deterministic teacher uses this to answer the project's own prompts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PROMPT_DIR = Path(__file__).resolve().parent
_FIELD = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class Template:
    name: str  # e.g. "solve"
    version: str  # file stem, e.g. "solve.v1"
    text: str

    @property
    def fields(self) -> list[str]:
        return _FIELD.findall(self.text)

    def render(self, **values: str) -> str:
        missing = sorted(set(self.fields) - set(values))
        if missing:
            raise ValueError(f"template {self.version} needs field(s) {missing}")
        return _FIELD.sub(lambda m: values[m.group(1)].strip(), self.text)

    @property
    def pattern(self) -> re.Pattern[str]:
        parts = _FIELD.split(self.text)  # literal, field, literal, ...
        regex = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>.*?)" for i, part in enumerate(parts)
        )
        return re.compile(regex + r"\Z", re.DOTALL)


@cache
def templates() -> dict[str, Template]:
    """Every template version by its stem ("solve.v1": Template)."""
    found = {}
    for path in sorted(PROMPT_DIR.glob("*.v*.txt")):
        stem = path.name[: -len(".txt")]
        name, _, number = stem.rpartition(".v")
        if not number.isdigit():
            continue
        found[stem] = Template(name=name, version=stem, text=path.read_text("utf-8").rstrip())
    return found


def get_template(name: str, version: str | None = None) -> Template:
    """The template ``name`` at ``version`` (a stem like "solve.v1"), else its latest version."""
    known = templates()
    if version:
        if version not in known:
            raise ValueError(f"unknown prompt template version {version!r}")
        return known[version]
    versions = [t for t in known.values() if t.name == name]
    if not versions:
        raise ValueError(f"unknown prompt template {name!r}; known: {sorted(known)}")
    return max(versions, key=lambda t: int(t.version.rpartition(".v")[2]))


def render(name: str, **values: str) -> tuple[str, str]:
    """(prompt text, template version) for the latest version of ``name``."""
    template = get_template(name)
    return template.render(**values), template.version


@cache
def _patterns() -> list[tuple[Template, re.Pattern[str]]]:
    return [(t, t.pattern) for t in templates().values()]


def match(text: str) -> tuple[Template, dict[str, str]] | None:
    """The template that produced ``text`` and its field values, or None."""
    text = text.rstrip()
    for template, pattern in _patterns():
        found = pattern.match(text)
        if found:
            return template, found.groupdict()
    return None
