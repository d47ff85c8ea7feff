"""Rows -> tokens with the loss mask: the prompt is context, the response plus EOS carries loss.

The prompt comes from :func:`skyray.prompt.render_example`, the same template evaluation uses.
Input rows are curated ``SyntheticSample`` rows (``question``/``response``) or ``SFTExample`` rows
(``query``/``response``). Each encoded row is ``input_ids`` with ``prompt_len``: positions
``< prompt_len`` carry no loss, every later position (the response and the final EOS) does.

:func:`preflight` renders a few rows and refuses to start a run whose mask does not begin exactly
at the response or misses the EOS.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from skyray.prompt import render_example

IGNORE_INDEX = -100  # label of positions that carry no loss
QUERY_COLUMNS = ("question", "query")  # SyntheticSample, SFTExample


def query_column(columns: list[str] | tuple[str, ...]) -> str:
    """The name of the question column of a table, or a clear error."""
    names = set(columns)
    found = [c for c in QUERY_COLUMNS if c in names]
    if "response" not in names or not found:
        raise ValueError(
            "SFT data needs columns question/response (curated SyntheticSample) or "
            f"query/response (SFTExample); found {sorted(names)}"
        )
    return found[0]


def row_key(row: dict[str, Any], query: str, response: str) -> str:
    """Sort key of a row: its id, then a content hash, so data order never depends on files."""
    digest = hashlib.sha256(f"{query}\x00{response}".encode()).hexdigest()[:16]
    return f"{row.get('id') or ''}|{digest}"


@dataclass
class Encoded:
    input_ids: list[int]  # prompt tokens (with BOS if the model uses one), response, EOS
    prompt_len: int  # positions before this carry no loss
    boundary_merge: bool = False  # prompt and response had to be tokenized apart

    @property
    def labels(self) -> list[int]:
        return labels_for(self.input_ids, self.prompt_len)


def labels_for(input_ids: list[int], prompt_len: int) -> list[int]:
    """HF-style labels (not shifted): the prompt masked, the rest equal to the inputs."""
    return [IGNORE_INDEX] * prompt_len + list(input_ids[prompt_len:])


def _adds_bos(tokenizer: Any) -> bool:
    bos = tokenizer.bos_token_id
    return bos is not None and tokenizer("a")["input_ids"][:1] == [bos]


def encode_example(
    tokenizer: Any, query: str, response: str, max_length: int, overlong: str = "drop"
) -> Encoded | str:
    """Encode one pair; returns the drop reason (a string) for rows that cannot be used.

    The prompt is tokenized alone (as evaluation will see it); the response is the rest of the
    joint tokenization, or tokenized separately when the tokenizer merged across the boundary.
    """
    if not isinstance(query, str) or not query.strip():
        return "empty-question"
    if not isinstance(response, str) or not response.strip():
        return "empty-response"
    eos = tokenizer.eos_token_id
    if eos is None:
        raise ValueError("the tokenizer has no EOS token; the loss must end on one")
    prompt, target = render_example(query, response)
    prefix = [tokenizer.bos_token_id] if _adds_bos(tokenizer) else []
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    joint = tokenizer(prompt + target, add_special_tokens=False)["input_ids"]
    merged = joint[: len(prompt_ids)] != prompt_ids
    if merged:
        target_ids = tokenizer(target, add_special_tokens=False)["input_ids"]
    else:
        target_ids = joint[len(prompt_ids) :]
    if not target_ids:
        return "empty-response"
    input_ids = prefix + prompt_ids + target_ids + [eos]
    prompt_len = len(prefix) + len(prompt_ids)
    if len(input_ids) > max_length:
        if overlong == "drop" or prompt_len + 2 > max_length:
            return "too-long"
        input_ids = input_ids[: max_length - 1] + [eos]
    return Encoded(input_ids=input_ids, prompt_len=prompt_len, boundary_merge=merged)


def encode_rows(
    tokenizer: Any,
    rows: list[dict[str, Any]],
    max_length: int,
    overlong: str = "drop",
    data_stage: int | None = None,
) -> list[dict[str, Any]]:
    """Encode table rows into ``{key, input_ids, prompt_len, drop}``; ``drop`` is "" for kept rows
    and the reason otherwise (``stage`` filter, empty text, too long), so nothing vanishes."""
    out = []
    for row in rows:
        qcol = "question" if "question" in row else "query"
        query, response = row.get(qcol), row.get("response")
        key = row_key(row, str(query), str(response))
        if data_stage is not None and row.get("stage", 1) != data_stage:
            out.append({"key": key, "input_ids": [], "prompt_len": 0, "drop": "other-stage"})
            continue
        enc = encode_example(tokenizer, query, response, max_length, overlong)
        if isinstance(enc, str):
            out.append({"key": key, "input_ids": [], "prompt_len": 0, "drop": enc})
        else:
            out.append(
                {"key": key, "input_ids": enc.input_ids, "prompt_len": enc.prompt_len, "drop": ""}
            )
    return out


def render_masked(tokenizer: Any, input_ids: list[int], prompt_len: int) -> str:
    """Human view of one sample: context in plain text, loss-bearing text between [[ ]]."""
    context = tokenizer.decode(input_ids[:prompt_len])
    trained = tokenizer.decode(input_ids[prompt_len:])
    return f"{context}[[{trained}]]"


def check_mask(tokenizer: Any, query: str, response: str, enc: Encoded) -> list[str]:
    """What is wrong with one encoded sample's loss mask ([] when nothing)."""
    prompt, target = render_example(query, response)
    labels = enc.labels
    problems = []
    if any(label != IGNORE_INDEX for label in labels[: enc.prompt_len]):
        problems.append("loss on prompt tokens")
    if any(label == IGNORE_INDEX for label in labels[enc.prompt_len :]):
        problems.append("response tokens without loss")
    if labels[-1] != tokenizer.eos_token_id:
        problems.append("the last loss-bearing token is not EOS")
    context = tokenizer.decode(enc.input_ids[: enc.prompt_len], skip_special_tokens=True)
    if context.strip() != prompt.strip():
        problems.append(f"context decodes to {context[-60:]!r}, not the prompt")
    trained = tokenizer.decode(enc.input_ids[enc.prompt_len : -1], skip_special_tokens=True)
    if trained.strip() != target.strip() and not target.strip().startswith(trained.strip()):
        problems.append(f"loss starts at {trained[:60]!r}, not at the response {target[:60]!r}")
    return problems


def preflight(
    tokenizer: Any, rows: list[dict[str, Any]], max_length: int, overlong: str = "drop"
) -> list[str]:
    """Render and check the first usable rows; raises ``ValueError`` on a bad mask.

    Returns the renderings (written to the step folder for a human to look at)."""
    rendered = []
    for row in rows:
        query = row.get("question", row.get("query"))
        enc = encode_example(tokenizer, query, row.get("response"), max_length, overlong)
        if isinstance(enc, str):
            continue
        problems = check_mask(tokenizer, query, row["response"], enc)
        view = render_masked(tokenizer, enc.input_ids, enc.prompt_len)
        if problems:
            raise ValueError(f"SFT preflight failed ({'; '.join(problems)}) on: {view[-300:]!r}")
        rendered.append(view)
    if not rendered:
        raise ValueError(f"SFT preflight: none of the first {len(rows)} rows is usable")
    return rendered
