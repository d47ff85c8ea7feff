"""How many samples does the miniworld student need before it does the sums? A plain torch loop.

    python bench/miniworld_learning.py --samples 20000 --steps 1000 --batch 16 --lr 2e-3
    python bench/miniworld_learning.py --samples 4800 --steps 600 --batch 8 --lr 3e-3 --show-wrong 10
    python bench/miniworld_learning.py --samples 4800 --steps 600 --batch 8 --lr 3e-3 --pretrain-steps 0

No Ray, no DeepSpeed: the student of ``skyray tiny-model DIR --world miniworld`` (built into a
temporary folder unless ``--model``; ``--pretrain-steps 0`` skips its copy pretraining),
trained with AdamW (linear warmup 20 steps, linear decay) on fresh world problems with their reference solutions in the SFT prompt format (loss on the
response only), one thread. Every ``--eval-every`` steps it greedy-decodes every third problem of
``miniworld-test`` (100, 20 per level) and prints the answer accuracy per level, the share of
``a op b = c`` lines it wrote that are right, the training steps/s and samples seen. The rate at
which held-out accuracy and right lines climb against samples seen is what sizes the demo's
sweep (see the README's demo section).
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="", help="student folder (default: build one)")
    parser.add_argument("--samples", type=int, default=20000, help="fresh training problems")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--eval-every", type=int, default=250)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--pretrain-steps", type=int, default=1000,
        help="at most this many steps of the student's copy pretraining when building it (0: a "
        "random student, as before SkyRay pretrained it)",
    )  # fmt: skip
    parser.add_argument(
        "--show-wrong", type=int, default=0, metavar="N",
        help="after the last evaluation, print N wrong answers' problems and responses",
    )  # fmt: skip
    args = parser.parse_args()

    import torch
    from transformers import AutoTokenizer, LlamaForCausalLM

    from skyray.data.miniworld.gen import kinds_for, random_puzzle
    from skyray.data.miniworld.splits import split_problems
    from skyray.data.miniworld.text import render, solution_text
    from skyray.prompt import render_example, render_prompt
    from skyray.testing.miniworld.lines import check_response

    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    model_dir = args.model
    if not model_dir:
        from skyray.testing.miniworld.model import StudentConfig, build_student

        cfg = StudentConfig(pretrain_steps=args.pretrain_steps)
        folder = Path(tempfile.mkdtemp(prefix="mw-student-")) / "student"
        model_dir = str(build_student(folder, cfg))
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = LlamaForCausalLM.from_pretrained(model_dir)
    rng = random.Random(args.seed)
    data = []
    for i in range(args.samples):
        level = 1 + i % 5
        kinds = kinds_for(level)
        p = random_puzzle(rng, kinds[i % len(kinds)], level)
        prompt, target = render_example(render(p), solution_text(p))
        a = tok(prompt)["input_ids"]
        b = tok(target, add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
        data.append((a + b, [-100] * len(a) + b))
    test = split_problems("test")[::3]
    print(f"params {sum(p.numel() for p in model.parameters()):,}; {len(data)} samples, "
          f"{sum(len(x) for x, _ in data) / len(data):.0f} tokens each on average")  # fmt: skip
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1, (s + 1) / 20) * max(0.05, 1 - s / args.steps)
    )
    tok.padding_side = "left"

    wrong: list[str] = []

    def evaluate() -> str:
        model.eval()
        wrong.clear()
        ok, n, lines, right = [0] * 6, [0] * 6, 0, 0
        for i in range(0, len(test), 50):
            chunk = test[i : i + 50]
            x = tok([render_prompt(t.problem) for t in chunk], return_tensors="pt", padding=True)
            with torch.no_grad():
                out = model.generate(
                    **x, max_new_tokens=160, do_sample=False, pad_token_id=tok.pad_token_id
                )
            for t, o in zip(chunk, out, strict=True):
                text = tok.decode(o[x["input_ids"].shape[1] :], skip_special_tokens=True)
                m = re.search(r"The answer is (\d+)", text)
                n[t.level] += 1
                right_answer = bool(m and m.group(1) == t.answer)
                ok[t.level] += right_answer
                if not right_answer:
                    wrong.append(f"level {t.level}, answer {t.answer}: {t.problem}\n{text}")
                written, good = check_response(text)
                lines, right = lines + written, right + good
        model.train()
        levels = " ".join(f"L{lv} {ok[lv]}/{n[lv]}" for lv in range(1, 6))
        share = f"{100 * right / lines:.0f}%" if lines else "-"
        return f"accuracy {100 * sum(ok) / sum(n):.0f}% ({levels}); lines right {right}/{lines} ({share})"

    order: list[int] = []
    train_s, step = 0.0, 0
    model.train()
    while step < args.steps:
        started = time.perf_counter()
        if not order:
            order = list(range(len(data)))
            rng.shuffle(order)
        idx = [order.pop() for _ in range(min(args.batch, len(order)))]
        width = max(len(data[i][0]) for i in idx)
        ids = torch.tensor(
            [data[i][0] + [tok.pad_token_id] * (width - len(data[i][0])) for i in idx]
        )
        labels = torch.tensor([data[i][1] + [-100] * (width - len(data[i][1])) for i in idx])
        mask = torch.arange(width)[None] < torch.tensor([len(data[i][0]) for i in idx])[:, None]
        loss = model(input_ids=ids, attention_mask=mask.long(), labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad()
        step += 1
        train_s += time.perf_counter() - started
        if step % args.eval_every == 0 or step == args.steps:
            print(
                f"step {step} samples {step * args.batch:,} loss {loss.item():.3f} "
                f"{step / train_s:.2f} steps/s | {evaluate()}",
                flush=True,
            )
    for text in wrong[: args.show_wrong]:
        print(f"--- wrong, {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
