"""Command line: `probdesk` opens the GUI; subcommands give the same services headlessly."""

from __future__ import annotations

import argparse
import io
import logging
import os
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING

from probdesk import __version__
from probdesk.cli.output import EXIT_BUG, EXIT_FINDINGS, EXIT_INVALID, EXIT_OK
from probdesk.errors import ProbdeskError
from probdesk.paths import Paths

if TYPE_CHECKING:
    from probdesk.cli.bootstrap import Run

log = logging.getLogger("probdesk.cli")

__all__ = ["EXIT_BUG", "EXIT_FINDINGS", "EXIT_INVALID", "EXIT_OK", "build_parser", "main"]


def _groups() -> tuple[ModuleType, ...]:
    """The command groups, one module each, in the order `probdesk --help` lists them."""
    from probdesk.cli import (
        case,
        data,
        demo,
        evidence,
        fieldwork,
        hub,
        questionset,
        report,
        retention,
    )

    return (questionset, case, fieldwork, hub, report, demo, evidence, retention, data)


def build_parser() -> argparse.ArgumentParser:
    from probdesk.cli.bootstrap import DATA_DIR_HELP, UNSAFE_HELP, Parents

    parser = argparse.ArgumentParser(
        prog="probdesk",
        description=(
            "probdesk: record, merge and report inspections of probation services' "
            "public-protection work. With no command, opens the desktop window."
        ),
    )
    parser.add_argument("--version", action="version", version=f"probdesk {__version__}")
    parser.add_argument("--data-dir", metavar="DIR", help=DATA_DIR_HELP)
    parser.add_argument("--allow-unsafe-data-dir", action="store_true", help=UNSAFE_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    parents = Parents()

    sub.add_parser("gui", parents=parents.of(), help="open the desktop window (the default)")

    for group in _groups():
        group.add_parsers(sub, parents)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command (`argv`, else the process's arguments) and return its exit code.

    Safe to call many times in one process: what a command sets up (the log's handler, the
    data keys it unlocked) is put back when it returns."""
    from probdesk.cli.bootstrap import process_state_restored

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error (printed already)
        return exc.code if isinstance(exc.code, int) else EXIT_INVALID
    paths = Paths.resolve(args.data_dir)
    with process_state_restored():
        return _run(args, paths)


EXIT_PIPE = 141  # as a shell reports a program ended by SIGPIPE (128 + 13)


def _run(args: argparse.Namespace, paths: Paths) -> int:
    try:
        code = _dispatch(args, paths)
        sys.stdout.flush()  # a closed pipe shows here, not at the interpreter's exit
        return code
    except BrokenPipeError:
        # The reader went away (`probdesk summary | head`): nothing more to say to anyone.
        _quiet_stdout()
        return EXIT_PIPE
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


def _quiet_stdout() -> None:
    """Point stdout at the null device so the interpreter's last flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, io.UnsupportedOperation):  # not a real file (in-process)
        pass


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
    from probdesk.cli.bootstrap import Session

    run: Run = args.run  # each command's parser sets its `run`
    with Session(args, paths) as session:
        return run(args, session)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
