"""Expected errors: what the user did or what the environment is, with messages written for them.

Anything that is not a ProbdeskError is a bug and goes to the crash handler.
"""

from __future__ import annotations


class ProbdeskError(Exception):
    """An expected failure whose message can be shown to an inspector as it is."""

    exit_code = 2

    def __init__(self, message: str, *, details: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return self.message


class InputError(ProbdeskError):
    """A file or value given by the user is not acceptable (what and where is in the message)."""


class QuestionSetError(InputError):
    """A question-set file has one or more problems; `details` lists each as FILE:LINE:COL: msg."""

    def __init__(self, path: str, problems: list[str]) -> None:
        n = len(problems)
        super().__init__(
            f"{path}: {n} problem{'s' if n != 1 else ''} in the question set",
            details=tuple(problems),
        )
        self.path = path
        self.problems = list(problems)


class RowsRefused(InputError):
    """The database refused rows built from a file (a constraint or a type): the file is bad.

    The transaction was rolled back: nothing of that file was stored.
    """


class EnvironmentProblem(ProbdeskError):
    """The machine or a folder is not usable (disk full, read-only, locked, unsafe location)."""


class InstallationDamaged(EnvironmentProblem):
    """A file probdesk ships with is missing: a damaged or partial install."""

    def __init__(self, missing: list[str], where: object) -> None:
        names = ", ".join(missing)
        super().__init__(
            f"this installation of probdesk is damaged or incomplete: {names} "
            f"{'is' if len(missing) == 1 else 'are'} missing (looked in {where}). "
            "Reinstall probdesk."
        )
        self.missing = list(missing)


class OperationCancelled(ProbdeskError):
    """The user pressed Cancel; the work stopped before changing anything."""

    def __init__(self) -> None:
        super().__init__("Cancelled: nothing was changed.")
