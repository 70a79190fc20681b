"""Enrolment: how a laptop's key comes to speak for a named member of the inspection team.

The ceremony. The team lead's laptop makes one enrolment code per team member (55 random bits
and a check character, shown as XXXX-XXXX-XXXX) and the lead hands each member their own code
in person or on paper, never through the shared folder and never in the setup pack (which
every assessor can open). The member types the code on their laptop when opening the setup
pack. The laptop keeps only a proof, an HMAC under the code of (inspection, member, device id,
the device's signing key), and sends that proof inside its exports, which are signed by that
key and encrypted to the lead.

The hub enrols the key for the member when the proof checks out against the code the lead's
laptop holds. An outsider who can write to the shared folder has no code; an assessor has only
their own, so cannot enrol a key in another member's name; a proof copied from one laptop's
export is useless to another key (it names the key) and cannot be read anyway (it travels
encrypted to the lead). A second or replacement laptop is enrolled with the same code.
A key with no valid proof is held until the lead, having compared its fingerprint aloud with
the member, enrols it by hand, or refuses it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

# Crockford's base32: no I, L, O or U, so a code read aloud or copied by hand survives.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12  # 11 random characters (55 bits) and a check character
_READ_AS = {"O": "0", "I": "1", "L": "1"}
_CONTEXT = b"probdesk-enrolment-v1"


def new_code() -> str:
    """A fresh enrolment code, XXXX-XXXX-XXXX."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH - 1))
    return format_code(raw + _check(raw))


def _check(raw: str) -> str:
    """The check character: a mistyped code is caught on the laptop, not at the hub."""
    return ALPHABET[hashlib.sha256(raw.encode("ascii")).digest()[0] % len(ALPHABET)]


def format_code(code: str) -> str:
    raw = normalise_code(code)
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def normalise_code(typed: str) -> str:
    """The code as stored: upper case, no spaces or dashes, O read as 0 and I or L as 1.

    Raises ValueError with a message for the user when it cannot be a code.
    """
    raw = "".join(_READ_AS.get(ch, ch) for ch in typed.upper() if ch not in " -\t")
    if len(raw) != CODE_LENGTH or any(ch not in ALPHABET for ch in raw):
        raise ValueError(
            f"An enrolment code has {CODE_LENGTH} letters and digits (XXXX-XXXX-XXXX), as your "
            "team lead gave it to you."
        )
    if _check(raw[:-1]) != raw[-1]:
        raise ValueError(
            "This enrolment code has a typing mistake: check it against the one your team lead "
            "gave you."
        )
    return raw


def proof(
    code: str, *, inspection_id: str, member: str, device_id: str, signing_public: bytes
) -> str:
    """The hex HMAC-SHA256 under the code that binds this key and device to the member."""
    message = b"\x00".join(
        [
            _CONTEXT,
            inspection_id.encode("utf-8"),
            member.encode("utf-8"),
            device_id.encode("utf-8"),
            signing_public,
        ]
    )
    return hmac.new(normalise_code(code).encode("ascii"), message, hashlib.sha256).hexdigest()


def proof_matches(
    claimed: object,
    code: str,
    *,
    inspection_id: str,
    member: str,
    device_id: str,
    signing_public: bytes,
) -> bool:
    if not isinstance(claimed, str):
        return False
    expected = proof(
        code,
        inspection_id=inspection_id,
        member=member,
        device_id=device_id,
        signing_public=signing_public,
    )
    return hmac.compare_digest(claimed.encode("ascii", "replace"), expected.encode("ascii"))
