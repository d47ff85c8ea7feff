"""``key=value`` overrides anywhere after the command, for every command that takes them
(before: ``skyray eval run a=b --benchmarks X c=d`` failed with "unrecognized arguments")."""

from __future__ import annotations

import json

import pytest

from skyray.cli import build_parser, main
from skyray.cli_common import parse_args

# every command with overrides, and the options it requires
COMMANDS = [
    (["seeds"], []),
    (["synth"], []),
    (["serve"], []),
    (["sft"], ["--data", "d"]),
    (["eval", "run"], ["--benchmarks", "gsm8k"]),
    (["eval", "distractors"], ["--out", "o.jsonl"]),
    (["eval", "verify"], ["--input", "i.jsonl", "--out", "o"]),
    (["selfcompare"], ["--model", "m"]),
    (["sweep"], []),
    (["pipeline"], []),
]


def _commands_with_overrides() -> set[tuple[str, ...]]:
    """Walk the real parser: every (sub)command whose namespace has ``overrides``."""
    found = set()

    def walk(parser, path):
        for action in parser._actions:
            if getattr(action, "choices", None) and isinstance(action.choices, dict):
                for name, sub in action.choices.items():
                    walk(sub, (*path, name))
            elif action.dest == "overrides":
                found.add(path)

    walk(build_parser(), ())
    return found


def test_the_list_covers_every_command_with_overrides():
    assert _commands_with_overrides() == {tuple(c) for c, _ in COMMANDS}


@pytest.mark.parametrize("command,required", COMMANDS, ids=lambda c: " ".join(c))
def test_overrides_on_both_sides_of_options_keep_their_order(command, required):
    argv = [*command, "a=1", *required, "--config", "c.yaml", "b.c=2", "--address", "x:1", "d=3"]
    args = parse_args(build_parser(), argv)
    assert args.overrides == ["a=1", "b.c=2", "d=3"]
    assert args.config == "c.yaml" and args.address == "x:1"


def test_curate_takes_overrides_anywhere_too(tmp_path):
    from skyray.curate.cli import curate_parser, split_items

    args = curate_parser().parse_intermixed_args(
        ["in.jsonl", "a=1", "--out", "o", "b=2", "--ngram", "13", "c=3"]
    )
    assert split_items(args.items) == (["in.jsonl"], ["a=1", "b=2", "c=3"])


def test_unknown_arguments_are_still_refused(capsys):
    for argv in (["sft", "--data", "d", "--bogus"], ["sft", "a=1", "--data", "d", "stray"]):
        with pytest.raises(SystemExit) as exc:
            parse_args(build_parser(), argv)
        assert exc.value.code == 2
        assert "unrecognized arguments" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # a command without overrides takes no key=value
        parse_args(build_parser(), ["eval", "score", "p.jsonl", "--benchmark", "math", "a=1"])


def test_eval_distractors_runs_with_overrides_around_an_option(tmp_path, data_dir):
    out = tmp_path / "variants.jsonl"
    assert main(["eval", "distractors", "limit=3", "--out", str(out), "seed=4"]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 18  # 3 problems x (0..5 distractors): limit=3 after --out took effect
