"""The student's "pretraining": the one skill every base LM has and a random model lacks, copying.

A base LLM arrives at SFT able to repeat what it has just read (induction heads). A random model
of ~1M parameters has to learn that from the SFT data itself: on the world's problems it wrote
the right format with the wrong numbers for thousands of samples (`bench/miniworld_learning.py`).
So the student is trained first on *copy documents*: a run of random tokens, then the same run
again, loss on the repeat only. No world text, no arithmetic, no solutions: what the student knows
of the world still comes from the SFT data. Induction forms abruptly: the repeat's loss stays near
ln(vocab) for ~500 steps, then falls below 1 within ~100 (measured here, batch 16, learning rate
1e-3); training stops once it is below ``stop_loss``.

Plain torch, one process, seeded: the same steps give the same weights on the same machine.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass


@dataclass(frozen=True)
class CopyPretraining:
    steps: int = 1000  # at most
    stop_loss: float = 0.3  # stop once the repeat's loss on fresh documents is below this
    batch_size: int = 16
    learning_rate: float = 1e-3
    min_run: int = 8  # tokens in a copy document's random run
    max_run: int = 24
    threads: int = 2
    seed: int = 0


PROBE = CopyPretraining(batch_size=64)  # the fresh documents the repeat's loss is measured on


def copy_batch(rng: random.Random, vocab: list[int], bos: int, cfg: CopyPretraining):
    """``cfg.batch_size`` copy documents as SFT samples ``(input ids, prompt length)``: the BOS
    and the run are the prompt (no loss), the repeat is the response."""
    rows = []
    for _ in range(cfg.batch_size):
        run = [rng.choice(vocab) for _ in range(rng.randint(cfg.min_run, cfg.max_run))]
        rows.append(([bos, *run, *run], len(run) + 1))
    return rows


def pretrain_copying(model_dir: str, cfg: CopyPretraining, log=print) -> dict:
    """Train the model saved in ``model_dir`` on copy documents and save it back there.

    Returns the figures written to ``model_dir/pretraining.json``: the repeat's loss on fresh
    documents before and after, against ln(vocab) for a model that cannot copy.
    """
    import torch
    from transformers import AutoTokenizer, LlamaForCausalLM

    from skyray.train.collate import pad_batch

    threads = torch.get_num_threads()
    torch.set_num_threads(max(1, cfg.threads))
    try:
        torch.manual_seed(cfg.seed)
        tok = AutoTokenizer.from_pretrained(model_dir)
        model = LlamaForCausalLM.from_pretrained(model_dir)
        specials = set(tok.all_special_ids)
        vocab = [i for i in range(len(tok)) if i not in specials]
        rng = random.Random(f"copy-pretraining:{cfg.seed}")
        probe = copy_batch(random.Random("copy-held-out"), vocab, tok.bos_token_id, PROBE)
        held_out = pad_batch(probe, tok.pad_token_id)

        def repeat_loss() -> float:
            model.eval()
            with torch.no_grad():
                loss = model(**held_out).loss.item()
            model.train()
            return loss

        before = repeat_loss()
        opt = torch.optim.AdamW(model.parameters(), lr=cfg.learning_rate, weight_decay=0.0)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 20))
        model.train()
        loss, step = before, 0
        while step < cfg.steps and loss >= cfg.stop_loss:
            step += 1
            batch = pad_batch(copy_batch(rng, vocab, tok.bos_token_id, cfg), tok.pad_token_id)
            model(**batch).loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            if step % 50 == 0 or step == cfg.steps:
                loss = repeat_loss()
                if step % 100 == 0 or loss < cfg.stop_loss or step == cfg.steps:
                    log(f"copy pretraining: step {step}, repeat loss {loss:.3f}")
        if loss >= cfg.stop_loss:
            log(
                f"copy pretraining: warning: the repeat's loss is still {loss:.3f} after {step} "
                f"steps (target {cfg.stop_loss}); the student copies poorly and will learn slower"
            )
        model.save_pretrained(model_dir)
    finally:
        torch.set_num_threads(threads)
    return {
        "task": "copy a run of random tokens (loss on the repeat only)",
        "steps": step,
        "max_steps": cfg.steps,
        "batch_size": cfg.batch_size,
        "learning_rate": cfg.learning_rate,
        "repeat_loss_before": round(before, 4),
        "repeat_loss_after": round(loss, 4),
        "no_copying_loss": round(math.log(len(vocab)), 4),
    }
