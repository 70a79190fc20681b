# zxcvbn ships no types: its one entry point, as probdesk calls it. The result is a dict of
# zxcvbn's own (score 0-4, feedback with warning and suggestions, guesses, times, ...).
from typing import Any

def zxcvbn(
    password: str, user_inputs: list[str] | None = None, max_length: int = 72
) -> dict[str, Any]: ...
