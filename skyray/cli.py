"""The ``skyray`` command. Each command group lives in its stage's ``cli`` module, which exposes
``register(subparsers)``; heavy imports happen only inside the chosen command."""

from __future__ import annotations

import argparse
import importlib
import sys

from skyray import __version__
from skyray.cli_common import parse_args
from skyray.errors import SkyrayError
from skyray.redact import install_log_redaction, redact_text

COMMAND_MODULES = [  # in pipeline order, as `skyray --help` lists them
    "skyray.data.cli",  # data, seeds
    "skyray.synth.cli",  # synth
    "skyray.serve.cli",  # serve
    "skyray.curate.cli",  # curate
    "skyray.train.cli",  # sft
    "skyray.eval.cli",  # eval score|run|distractors|verify
    "skyray.selfcompare.cli",  # selfcompare
    "skyray.sweep.cli",  # sweep, sweep report
    "skyray.pipeline_cli",  # pipeline, tiny-model
    "skyray.testing.miniworld.cli",  # miniworld summary|leaks (the demo's world)
]

# errors that are the user's (bad input, missing files): one line, exit code 2
USER_ERRORS = (ValueError, FileNotFoundError, KeyError, PermissionError, ConnectionError)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="skyray",
        description="SkyRay: synthetic maths SFT data, curation, training and evaluation on Ray.",
    )
    parser.add_argument("--version", action="version", version=f"skyray {__version__}")
    _add_loudness(parser, default=False)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        importlib.import_module(module).register(sub)
    _add_loudness_to_commands(sub)
    return parser


def _add_loudness(parser: argparse.ArgumentParser, default) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "-v", "--verbose", action="store_true", default=default, help="debug logs, HTTP requests"
    )
    group.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=default,
        help="warnings, errors and the final results only",
    )


def _add_loudness_to_commands(sub: argparse._SubParsersAction) -> None:
    """``skyray pipeline -q`` works like ``skyray -q pipeline`` (SUPPRESS keeps the top-level
    value when a command does not repeat the flag)."""
    for parser in sub.choices.values():
        nested = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if nested:
            for inner in nested:
                _add_loudness_to_commands(inner)
        elif not any(o in parser._option_string_actions for o in ("-q", "--quiet")):
            _add_loudness(parser, default=argparse.SUPPRESS)


def main(argv: list[str] | None = None) -> int:
    from skyray import console

    args = parse_args(build_parser(), argv)  # key=value overrides anywhere after the command
    console.setup(1 if args.verbose else -1 if args.quiet else 0)  # levels, plain pipes
    install_log_redaction()  # no password in a URL reaches a log line
    try:
        return int(args.func(args) or 0)
    except USER_ERRORS as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"skyray: error: {redact_text(str(message))}", file=sys.stderr)
        return 2
    except SkyrayError as exc:  # a step that failed, a server that could not start
        print(f"skyray: error: {redact_text(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("skyray: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
