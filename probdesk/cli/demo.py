"""Command line for the fictional demo inspection."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from probdesk.cli.bootstrap import Parents, Session, Subparsers


def add_parsers(sub: Subparsers, parents: Parents) -> None:
    d = sub.add_parser(
        "demo",
        help="build a fictional inspection with exported packages",
        description="Build a fictional inspection under DIR: the team lead's data folder (with "
        "its keys) in DIR/lead, three assessors' data folders, and their exported packages in "
        "DIR/shared. Everything in it is invented.",
    )
    d.add_argument("--out", required=True, type=Path, metavar="DIR")
    d.add_argument("--seed", type=int, default=1)
    d.set_defaults(run=_demo)


def _demo(args: argparse.Namespace, session: Session) -> int:
    from probdesk.services.demo import build_demo

    build_demo(args.out, seed=args.seed)
    return 0
