"""Passphrase strength (probdesk.passphrases): the rule every passphrase prompt applies."""

from __future__ import annotations

import pytest

from probdesk.errors import InputError
from probdesk.passphrases import ESTIMATED, check_passphrase


def test_a_passphrase_longer_than_zxcvbn_estimates_is_judged_not_crashed_on() -> None:
    """zxcvbn raises ValueError past 72 characters: a long passphrase (a sentence, a
    generated one) is judged by its start instead."""
    long_strong = "kettle orbit marsh violin " * 6
    assert len(long_strong) > ESTIMATED
    check_passphrase(long_strong)
    with pytest.raises(InputError, match="too easy to guess"):
        check_passphrase("a" * 200)
