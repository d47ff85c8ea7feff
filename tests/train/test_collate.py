"""Packing: samples in one row never see each other; plans are deterministic."""

from __future__ import annotations

import pytest

from skyray.train.collate import pack_batch, pad_batch, plan_epoch, sequence_lengths, token_loss_sum
from skyray.train.tokenize import IGNORE_INDEX


@pytest.fixture(scope="module")
def model_and_samples(tiny_model_dir):
    from transformers import AutoTokenizer

    from skyray.train.tokenize import encode_example

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    pairs = [
        ("What is 2 + 3?", "2 + 3 = 5.\nThe answer is 5"),
        ("Let $x$ be 4. What is $x^2$?", "$x^2 = 16$.\nThe answer is 16"),
        ("What is 9 - 1?", "9 - 1 = 8.\nThe answer is 8"),
    ]
    samples = []
    for q, r in pairs:
        enc = encode_example(tok, q, r, max_length=512)
        samples.append((enc.input_ids, enc.prompt_len))
    return tiny_model_dir, tok, samples


@pytest.mark.parametrize("attn", ["sdpa", "eager"])
def test_packed_logits_equal_unpacked(model_and_samples, attn):
    import torch
    from transformers import AutoModelForCausalLM

    path, _, samples = model_and_samples
    model = AutoModelForCausalLM.from_pretrained(path, attn_implementation=attn).eval()
    packed = pack_batch(samples)
    assert packed["input_ids"].shape[0] == 1
    assert sequence_lengths(packed) == [len(ids) for ids, _ in samples]
    with torch.no_grad():
        together = model(
            input_ids=packed["input_ids"], position_ids=packed["position_ids"], use_cache=False
        ).logits[0]
        # control: the same row as one plain causal sequence lets later samples see earlier ones
        leaky = model(input_ids=packed["input_ids"], use_cache=False).logits[0]
        start = 0
        for ids, _ in samples:
            alone = model(input_ids=torch.tensor([ids]), use_cache=False).logits[0]
            part = together[start : start + len(ids)]
            torch.testing.assert_close(part, alone, atol=1e-5, rtol=1e-4)
            if start > 0:
                assert not torch.allclose(leaky[start : start + len(ids)], alone, atol=1e-3)
            start += len(ids)


def test_packed_loss_is_the_sum_of_per_sample_losses(model_and_samples):
    import torch
    from transformers import AutoModelForCausalLM

    path, _, samples = model_and_samples
    model = AutoModelForCausalLM.from_pretrained(path).eval()
    packed = pack_batch(samples)
    padded = pad_batch(samples, pad_id=2)
    with torch.no_grad():
        logits = model(
            input_ids=packed["input_ids"], position_ids=packed["position_ids"], use_cache=False
        ).logits
        loss_p, n_p = token_loss_sum(logits, packed["labels"])
        logits = model(
            input_ids=padded["input_ids"], attention_mask=padded["attention_mask"], use_cache=False
        ).logits
        loss_u, n_u = token_loss_sum(logits, padded["labels"])
    # loss tokens = response + EOS of every sample; none at a sample boundary or on padding
    expected = sum(len(ids) - plen for ids, plen in samples)
    assert int(n_p) == int(n_u) == expected
    torch.testing.assert_close(loss_p, loss_u, atol=1e-4, rtol=1e-5)


def test_labels_mask_prompts_and_padding(model_and_samples):
    _, _, samples = model_and_samples
    padded = pad_batch(samples, pad_id=2)
    for row, (ids, plen) in enumerate(samples):
        labels = padded["labels"][row].tolist()
        assert labels[:plen] == [IGNORE_INDEX] * plen
        assert labels[plen : len(ids)] == ids[plen:]
        assert labels[len(ids) :] == [IGNORE_INDEX] * (len(labels) - len(ids))
    packed = pack_batch(samples)["labels"][0].tolist()
    start = 0
    for ids, _ in samples:  # each sample's first label is a prompt token: no loss across
        assert packed[start] == IGNORE_INDEX
        start += len(ids)


def test_plans_are_deterministic_and_cover_each_sample_once():
    lengths = [10, 50, 30, 70, 20, 40, 60, 25, 35]
    kw = dict(seed=3, micro_batch_size=2, max_length=64)
    a = plan_epoch(lengths, epoch=0, packing=True, **kw)
    assert a == plan_epoch(lengths, epoch=0, packing=True, **kw)
    assert a != plan_epoch(lengths, epoch=1, packing=True, **kw)
    assert sorted(i for row in a for i in row) == list(range(len(lengths)))
    assert all(sum(lengths[i] for i in row) <= 128 for row in a)
    b = plan_epoch(lengths, epoch=0, packing=False, **kw)
    assert all(len(mb) == 2 for mb in b) and len(b) == 4
