"""How strong a passphrase must be: for a setup pack, and for a data key where the computer
has no key store. Pure: zxcvbn's estimate, no input or output."""

from __future__ import annotations

from collections.abc import Sequence

from probdesk.errors import InputError

MIN_PASSPHRASE = 10
MIN_SCORE = 3  # zxcvbn's 0-4: 3 is "safely unguessable" (about 10^10 guesses)
# zxcvbn refuses (ValueError) a longer password than this: the estimate is of the first 72
# characters (a longer passphrase is at least as strong as its start).
ESTIMATED = 72


def check_passphrase(
    passphrase: str, context: Sequence[str] = (), *, what: str = "setup pack passphrase"
) -> None:
    """Refuse a passphrase that is short or easy to guess, saying why.

    The estimate is zxcvbn's (dictionary words, names, keyboard runs, repeats, dates), with
    the context's own words (region, PDU, the lead's name) counted as easy to guess.
    """
    if len(passphrase) < MIN_PASSPHRASE:
        raise InputError(f"The {what} must be at least {MIN_PASSPHRASE} characters long.")
    from zxcvbn import zxcvbn

    words = [w for text in context for w in text.replace(",", " ").split() if len(w) > 2]
    result = zxcvbn(passphrase[:ESTIMATED], user_inputs=[*words, "probdesk", "setup", "inspection"])
    if result["score"] < MIN_SCORE:
        feedback = result.get("feedback") or {}
        why = feedback.get("warning") or "It would be quick to guess."
        hints = " ".join(feedback.get("suggestions") or [])
        raise InputError(
            f"The {what} is too easy to guess. {why} {hints} Four unrelated words make a "
            "strong one (for example: kettle orbit marsh violin).".replace("  ", " ")
        )
