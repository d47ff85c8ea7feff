"""Build a tiny real Llama (2 layers, hidden 64) and a locally trained byte-level BPE tokenizer.

No downloads: the tests and the laptop demo train on it through the normal ``from_pretrained``
path (``skyray tiny-model DIR`` writes one)."""

from __future__ import annotations

from pathlib import Path

CORPUS = [
    "Below is an instruction that describes a task. Write a response that appropriately "
    "completes the request.",
    "### Instruction:\nWhat is 2 + 3?\n\n### Response: Let's think step by step.",
    "2 + 3 = 5.\nThe answer is 5",
    "Let $x$ and $y$ be nonzero real numbers such that \\frac{1}{2} + \\sqrt{3} = x^2.",
    "The answer is \\boxed{42}. 0 1 2 3 4 5 6 7 8 9 + - * / = ( ) [ ] { } $ ^ _",
]


def build_tiny_model(out_dir: Path, seed: int = 0) -> Path:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=512,
        special_tokens=["<s>", "</s>", "<pad>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(CORPUS * 20, trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>"
    )
    return save_random_llama(
        tokenizer,
        out_dir,
        seed,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        tie_word_embeddings=False,
    )


def save_random_llama(tokenizer, out_dir: str | Path, seed: int, **shape) -> Path:
    """A randomly initialised Llama of ``shape`` (LlamaConfig fields) sized to ``tokenizer``,
    saved with it to ``out_dir`` through ``save_pretrained``."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        **shape,
    )
    LlamaForCausalLM(config).save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return Path(out_dir)
