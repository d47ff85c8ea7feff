"""The zero-shot chain-of-thought prompt shared by SFT and evaluation (MetaMath/Alpaca style).

Training renders ``render_prompt(query)`` and takes the loss only on the response (plus EOS)
that follows it; evaluation renders the same prompt and lets the model continue.
"""

from __future__ import annotations

PROMPT_TEMPLATE = (
    "Below is an instruction that describes a task. "
    "Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{query}\n\n### Response: Let's think step by step."
)
RESPONSE_SEPARATOR = " "  # between the prompt and a training response


def render_prompt(query: str) -> str:
    """The prompt the model sees for ``query``."""
    return PROMPT_TEMPLATE.format(query=query.strip())


def render_example(query: str, response: str) -> tuple[str, str]:
    """(prompt, target) for SFT: the target is what carries the loss (EOS appended later)."""
    return render_prompt(query), RESPONSE_SEPARATOR + response.strip()
