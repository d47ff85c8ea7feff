"""The miniature world's student: a small Llama, copy-pretrained, and a tokenizer trained here.

The tokenizer is a byte-level BPE learned from the world's own texts (problems, solutions, the
SFT prompt) with every digit its own token, so words cost one token and numbers are spelled
digit by digit, which is what lets a model this small learn the arithmetic. The random model is
then trained to copy (:mod:`skyray.testing.miniworld.pretrain`, about a minute on 2 cores), the
one base-model skill SFT data does not teach it in minutes. Nothing is downloaded:
``skyray tiny-model DIR --world miniworld`` writes both through ``save_pretrained``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path


@dataclass(kw_only=True)
class StudentConfig:
    hidden_size: int = 128
    intermediate_size: int = 384
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    num_key_value_heads: int = 4
    vocab_size: int = 640  # BPE target: the 256 byte symbols, 3 specials and the merges
    max_position_embeddings: int = 512
    seed: int = 0
    pretrain_steps: int = 1000  # at most, of copy pretraining (testing.miniworld.pretrain); 0: none


def corpus(num_problems: int = 3000, seed: int = 0) -> list[str]:
    """World texts for the tokenizer: fresh puzzles of every kind and level, the SFT prompt."""
    from skyray.data.miniworld.gen import kinds_for, random_puzzle
    from skyray.data.miniworld.text import render, solution_text
    from skyray.data.miniworld.world import MAX_LEVEL
    from skyray.prompt import render_prompt
    from skyray.synth.backward import FOBAR_SUFFIX, SV_SUFFIX

    rng = random.Random(f"miniworld-corpus:{seed}")
    texts = [render_prompt("X"), FOBAR_SUFFIX, SV_SUFFIX, "Try X = 7.\nThis gives 9, as stated."]
    for i in range(num_problems):
        level = 1 + i % MAX_LEVEL
        kinds = kinds_for(level)
        p = random_puzzle(rng, kinds[i % len(kinds)], level)
        texts += [render_prompt(render(p)), solution_text(p)]
    return texts


def build_tokenizer(cfg: StudentConfig):
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token=None))
    # one digit per token, the first one carrying the space before the number (" 14" ->
    # "Ġ1", "4"): with a bare space token in front, copying a number from the problem needs a
    # match on two tokens back, which a model this small learns far later than a one-token one
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(r" ?\d"), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=cfg.vocab_size,
        special_tokens=["<s>", "</s>", "<pad>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(corpus(seed=cfg.seed), trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>"
    )


def build_student(out_dir: str | Path, cfg: StudentConfig | None = None, log=print) -> Path:
    """Write a Llama of ``cfg``'s shape and the world tokenizer to ``out_dir``: random, then
    ``cfg.pretrain_steps`` of copy pretraining (figures in ``pretraining.json``)."""
    import shutil

    from skyray.atomic import write_json_atomic
    from skyray.testing.miniworld.pretrain import CopyPretraining, pretrain_copying
    from skyray.testing.tiny_model import save_random_llama

    cfg = cfg or StudentConfig()
    final = Path(out_dir)
    # built beside its place and moved there whole: an interrupted build leaves no model behind
    out = final.with_name(final.name + ".building")
    shutil.rmtree(out, ignore_errors=True)
    save_random_llama(
        build_tokenizer(cfg),
        out,
        cfg.seed,
        hidden_size=cfg.hidden_size,
        intermediate_size=cfg.intermediate_size,
        num_hidden_layers=cfg.num_hidden_layers,
        num_attention_heads=cfg.num_attention_heads,
        num_key_value_heads=cfg.num_key_value_heads,
        max_position_embeddings=cfg.max_position_embeddings,
        tie_word_embeddings=True,
    )
    if cfg.pretrain_steps > 0:
        pretraining = CopyPretraining(steps=cfg.pretrain_steps, seed=cfg.seed)
        figures = pretrain_copying(str(out), pretraining, log=log)
        write_json_atomic(out / "pretraining.json", figures)
    if final.is_dir() and not any(final.iterdir()):
        final.rmdir()
    out.rename(final)  # refused (OSError) when ``out_dir`` already holds files
    return final
