"""Loss masking at token level with the tiny model's real tokenizer."""

from __future__ import annotations

import pytest

from skyray.prompt import render_prompt
from skyray.train.tokenize import (
    IGNORE_INDEX,
    Encoded,
    check_mask,
    encode_example,
    encode_rows,
    preflight,
    query_column,
)

Q, R = "What is 2 + 3?", "2 + 3 = 5.\nThe answer is 5"


@pytest.fixture(scope="module")
def tok(tiny_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_dir)


def test_loss_only_on_response_and_eos(tok):
    enc = encode_example(tok, Q, R, max_length=512)
    assert isinstance(enc, Encoded)
    labels = enc.labels
    # the prompt is exactly what evaluation feeds the model, and carries no loss
    prompt_ids = tok(render_prompt(Q), add_special_tokens=False)["input_ids"]
    bos = [tok.bos_token_id] if tok("a")["input_ids"][:1] == [tok.bos_token_id] else []
    assert enc.input_ids[: enc.prompt_len] == bos + prompt_ids
    assert labels[: enc.prompt_len] == [IGNORE_INDEX] * enc.prompt_len
    # every later position carries loss: the response tokens, then EOS last
    assert all(label != IGNORE_INDEX for label in labels[enc.prompt_len :])
    assert labels[-1] == tok.eos_token_id and enc.input_ids[-1] == tok.eos_token_id
    assert tok.decode(enc.input_ids[enc.prompt_len : -1]) == " " + R
    assert check_mask(tok, Q, R, enc) == []


def test_shifted_mask_off_by_one_is_caught(tok):
    enc = encode_example(tok, Q, R, max_length=512)
    late = Encoded(input_ids=enc.input_ids, prompt_len=enc.prompt_len + 1)
    early = Encoded(input_ids=enc.input_ids, prompt_len=enc.prompt_len - 1)
    no_eos = Encoded(input_ids=enc.input_ids[:-1], prompt_len=enc.prompt_len)
    assert any("not at the response" in p for p in check_mask(tok, Q, R, late))
    assert any("not the prompt" in p for p in check_mask(tok, Q, R, early))
    assert any("EOS" in p for p in check_mask(tok, Q, R, no_eos))


def test_overlong_rows_are_dropped_or_truncated_with_eos(tok):
    long_response = "1 + 1 = 2. " * 80
    assert encode_example(tok, Q, long_response, max_length=64) == "too-long"
    cut = encode_example(tok, Q, long_response, max_length=64, overlong="truncate")
    assert isinstance(cut, Encoded)
    assert len(cut.input_ids) == 64 and cut.input_ids[-1] == tok.eos_token_id
    assert check_mask(tok, Q, long_response, cut) == []


def test_rows_of_both_schemas_and_drop_reasons(tok):
    rows = [
        {"id": "a", "question": Q, "response": R, "stage": 1},
        {"id": "b", "query": Q, "response": R},
        {"id": "c", "question": Q, "response": "  "},
        {"id": "d", "question": "", "response": R},
        {"id": "e", "question": Q, "response": R, "stage": 2},
    ]
    out = encode_rows(tok, rows, max_length=512, data_stage=1)
    assert [r["drop"] for r in out] == ["", "", "empty-response", "empty-question", "other-stage"]
    assert out[0]["input_ids"] == out[1]["input_ids"]  # same pair, either schema
    assert len({r["key"] for r in out}) == 5


def test_missing_columns_give_a_clear_error():
    assert query_column(["id", "question", "response"]) == "question"
    assert query_column(["query", "response"]) == "query"
    with pytest.raises(ValueError, match="question/response"):
        query_column(["problem", "solution"])


def test_preflight_renders_and_rejects_unusable_data(tok):
    views = preflight(tok, [{"question": Q, "response": R}], max_length=512)
    assert views[0].endswith("[[ " + R + "</s>]]")
    with pytest.raises(ValueError, match="none of the first"):
        preflight(tok, [{"question": Q, "response": ""}], max_length=512)
