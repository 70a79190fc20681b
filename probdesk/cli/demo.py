"""Command line for the fictional demo inspection."""

from __future__ import annotations

import argparse
from pathlib import Path

from probdesk.paths import Paths

COMMANDS = ("demo",)


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    d = sub.add_parser(
        "demo",
        help="build a fictional inspection with exported packages",
        description="Build a fictional inspection under DIR: the team lead's data folder (with "
        "its keys) in DIR/lead, three assessors' data folders, and their exported packages in "
        "DIR/shared. Everything in it is invented.",
    )
    d.add_argument("--out", required=True, type=Path, metavar="DIR")
    d.add_argument("--seed", type=int, default=1)


def dispatch(args: argparse.Namespace, paths: Paths) -> int:
    from probdesk.services.demo import build_demo

    build_demo(args.out, seed=args.seed)
    return 0
