"""The ``skyray`` command. Each command group lives in its stage's ``cli`` module, which exposes
``register(subparsers)``; heavy imports happen only inside the chosen command."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from skyray import __version__
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
    "skyray.pipeline_cli",  # pipeline, tiny-model
]

# errors that are the user's (bad input, missing files): one line, exit code 2
USER_ERRORS = (ValueError, FileNotFoundError, KeyError, PermissionError, ConnectionError)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="skyray",
        description="SkyRay: synthetic maths SFT data, curation, training and evaluation on Ray.",
    )
    parser.add_argument("--version", action="version", version=f"skyray {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        importlib.import_module(module).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:  # one line per HTTP request drowns the progress lines
        for noisy in ("httpx", "httpx2", "httpcore", "openai"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
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
