"""Arguments every stage command shares: ``--config``, ``--run-dir``, ``--storage``,
``--address`` and trailing ``key=value`` overrides."""

from __future__ import annotations

import argparse
import re

OVERRIDE = re.compile(r"^[A-Za-z_][\w.]*=")  # dotted.key=value


def add_stage_args(parser: argparse.ArgumentParser, default_config: str | None = None) -> None:
    parser.add_argument(
        "--config", default=default_config, help="YAML config file (fields not set keep defaults)"
    )
    parser.add_argument("--run-dir", default="runs/default", help="run folder (runs/<run>)")
    parser.add_argument(
        "--storage",
        default=None,
        help="storage root for run folders: an absolute shared path or a URI such as "
        "s3://bucket/prefix (default: $SKYRAY_STORAGE; a relative --run-dir lives under it)",
    )
    parser.add_argument(
        "--address", default=None, help="Ray cluster address (default: $RAY_ADDRESS or local)"
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="redo the step even when it finished with the same config and inputs",
    )
    parser.add_argument(
        "overrides", nargs="*", metavar="key=value", help="dotted config overrides, e.g. a.b=3"
    )


def parse_args(
    parser: argparse.ArgumentParser, argv: list[str] | None = None
) -> argparse.Namespace:
    """``parser.parse_args``, but ``key=value`` overrides may stand anywhere after the command
    (``skyray eval run a=b --benchmarks X c=d``): argparse gives a ``nargs="*"`` positional only
    its first run of values, so the later ones come back unrecognized and join ``overrides``,
    in command-line order."""
    args, extra = parser.parse_known_args(argv)
    if extra and hasattr(args, "overrides") and all(OVERRIDE.match(e) for e in extra):
        args.overrides = [*(args.overrides or []), *extra]
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return args
