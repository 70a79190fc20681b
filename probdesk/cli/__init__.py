"""Command line: `probdesk` opens the GUI; subcommands give the same services headlessly."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from types import ModuleType

from probdesk import __version__
from probdesk.cli.output import EXIT_BUG, EXIT_FINDINGS, EXIT_INVALID, EXIT_OK
from probdesk.errors import ProbdeskError
from probdesk.paths import Paths

log = logging.getLogger("probdesk.cli")

__all__ = ["EXIT_BUG", "EXIT_FINDINGS", "EXIT_INVALID", "EXIT_OK", "build_parser", "main"]


def _groups() -> tuple[ModuleType, ...]:
    """The command groups, one module each, in the order `probdesk --help` lists them."""
    from probdesk.cli import data, demo, evidence, fieldwork, hub, questionset, report, retention

    return (questionset, fieldwork, hub, report, demo, evidence, retention, data)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="probdesk",
        description=(
            "probdesk: record, merge and report inspections of probation services' "
            "public-protection work. With no command, opens the desktop window."
        ),
    )
    parser.add_argument("--version", action="version", version=f"probdesk {__version__}")
    data_dir_help = (
        "keep all data, settings, logs and the outbox under DIR "
        "(default: the platform's user data folders)"
    )
    parser.add_argument("--data-dir", metavar="DIR", help=data_dir_help)
    # `probdesk selfcheck --data-dir DIR` works too: SUPPRESS keeps a value given before the
    # command when none is given after it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", metavar="DIR", default=argparse.SUPPRESS, help=data_dir_help)
    unsafe_help = (
        "open the data folder even inside a synced (OneDrive, Dropbox, ...) or network "
        "folder; risks corrupting the database"
    )
    parser.add_argument("--allow-unsafe-data-dir", action="store_true", help=unsafe_help)
    common.add_argument(
        "--allow-unsafe-data-dir", action="store_true", default=argparse.SUPPRESS, help=unsafe_help
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser("gui", parents=[common], help="open the desktop window (the default)")

    for group in _groups():
        group.add_parsers(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    paths = Paths.resolve(args.data_dir)
    try:
        return _dispatch(args, paths)
    except ProbdeskError as exc:
        print(f"probdesk: {exc.message}", file=sys.stderr)
        for d in exc.details:
            print(d, file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("probdesk: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: log where (never what), tell the user one line
        where = _log_crash(paths, exc)
        print(
            f"probdesk: unexpected error ({type(exc).__name__}); details are in {where}",
            file=sys.stderr,
        )
        return EXIT_BUG


def _log_crash(paths: Paths, exc: BaseException) -> str:
    from probdesk import logsetup

    try:
        logsetup.configure(paths)
        log.error("unexpected error\n%s", logsetup.crash_report(exc))
        return str(paths.log_file)
    except OSError:
        print(logsetup.crash_report(exc), file=sys.stderr)
        return "the output above"


def _dispatch(args: argparse.Namespace, paths: Paths) -> int:
    if args.command in (None, "gui"):
        from probdesk import logsetup

        logsetup.configure(paths.ensure())
        from probdesk.ui.app import run_gui

        return run_gui(paths, allow_unsafe_location=args.allow_unsafe_data_dir)
    for group in _groups():
        if args.command in group.COMMANDS:
            result: int = group.dispatch(args, paths)
            return result
    raise AssertionError(args.command)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
