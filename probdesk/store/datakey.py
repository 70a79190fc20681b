"""The data key: the random 256-bit key that encrypts a data folder's databases, snapshots,
backups and private keys, and the ways it can be unwrapped.

The key itself is never written anywhere. DATA/keys/data-key.json (owner-only) holds it
wrapped, with AES-256-GCM, once for each way in:

- `keyring`: by a random key-encryption key kept in the operating system's key store (Windows
  Credential Manager, macOS Keychain, the Secret Service on Linux) through `keyring`;
- `passphrase`: where the computer has no key store, by a key derived from a passphrase
  (scrypt) asked at start (or, for unattended use, read from PROBDESK_PASSPHRASE);
- `recovery`: sealed (HPKE, X25519) to the organisation's recovery public key, whose private
  half is kept offline: `probdesk recover --recovery-key FILE` unwraps it and wraps the key
  anew for the computer it runs on (the recovery drill, docs/security.md).

A check value (an HMAC of a fixed text under the key) tells a wrong key from a damaged
database. Unlocked keys are kept for the life of the process, per data folder.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from probdesk.errors import EnvironmentProblem, InputError

log = logging.getLogger("probdesk.store")

KEYS_FOLDER = "keys"
KEY_FILE = "data-key.json"
FORMAT = "probdesk-data-key"
SERVICE = "probdesk"
ENV_PASSPHRASE = "PROBDESK_PASSPHRASE"
SCRYPT = {"n": 2**15, "r": 8, "p": 1}
ATTEMPTS = 3
_CHECK_TEXT = b"probdesk data key check v1"
_HPKE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
_HPKE_INFO = b"probdesk data key recovery v1 "


class Locked(EnvironmentProblem):
    """The data key could not be unlocked on this computer: nothing was opened or changed."""


@dataclass(frozen=True)
class PassphraseRequest:
    """What an asker is asked for: a passphrase to unlock `folder`, or (new=True) one to
    choose for it; `problem` says what was wrong with the last answer."""

    folder: Path
    new: bool
    attempt: int = 1
    problem: str = ""


Asker = Callable[[PassphraseRequest], "str | None"]  # None: the user cancelled


def _terminal_asker(request: PassphraseRequest) -> str | None:
    """The command line's: the terminal (never echoed); None without one."""
    if not (sys.stdin and sys.stdin.isatty()):
        return None
    import getpass

    if request.problem:
        print(request.problem, file=sys.stderr)
    if request.new:
        print(
            f"This computer has no key store for probdesk to keep its data key in. Choose a "
            f"passphrase for {request.folder} (at least ten characters; four unrelated words "
            "are strong). It is asked each time probdesk starts.",
            file=sys.stderr,
        )
        first = getpass.getpass("New passphrase: ")
        if first and getpass.getpass("Same passphrase again: ") != first:
            print("The two passphrases differ.", file=sys.stderr)
            return ""
        return first
    return getpass.getpass(f"Passphrase for {request.folder}: ")


_asker: Asker = _terminal_asker
_unlocked: dict[Path, bytes] = {}


def _ask(request: PassphraseRequest) -> str | None:
    """PROBDESK_PASSPHRASE when it is set (unattended use: a wrong one is not asked again),
    else whoever set_asker named."""
    env = os.environ.get(ENV_PASSPHRASE)
    if env:
        return None if request.attempt > 1 else env
    return _asker(request)


def set_asker(asker: Asker | None) -> None:
    """Who is asked for a passphrase (the GUI sets a dialog); None: the command line's."""
    global _asker
    _asker = asker or _terminal_asker


def forget() -> None:
    """Forget every unlocked key (tests; a purge)."""
    _unlocked.clear()


def key_file(data_dir: Path) -> Path:
    return Path(data_dir) / KEYS_FOLDER / KEY_FILE


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: object) -> bytes:
    if not isinstance(text, str):
        raise ValueError("not base64 text")
    return base64.b64decode(text.encode("ascii"), validate=True)


def check_value(key: bytes) -> str:
    return hmac.new(key, _CHECK_TEXT, hashlib.sha256).hexdigest()[:32]


def derive(key: bytes, purpose: str) -> bytes:
    """A key for one purpose (the private keys' PEM passphrase), derived from the data key."""
    info = f"probdesk {purpose} v1".encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(key)


# -- the key store ----------------------------------------------------------------------------


def _keyring() -> Any | None:
    """The operating system's key store through `keyring`, or None where there is none."""
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
    except Exception:  # keyring's own set-up failed (no D-Bus, a broken plug-in): no store
        log.info("no key store could be loaded", exc_info=True)
        return None
    if isinstance(backend, fail.Keyring) or type(backend).__module__.endswith(".null"):
        return None
    # A file "key store" in plain text (keyrings.alt, low priority) is no key store, unless it
    # was chosen on purpose (PYTHON_KEYRING_BACKEND: the tests' stand-in, an admin's choice).
    weak = type(backend).__module__.startswith("keyrings.alt") or float(backend.priority) < 1
    if weak and not os.environ.get("PYTHON_KEYRING_BACKEND"):
        return None
    return backend


def has_key_store() -> bool:
    """True when the operating system's key store can be used here."""
    return _keyring() is not None


def _from_keyring(account: str) -> bytes | None:
    backend = _keyring()
    if backend is None:
        return None
    try:
        secret = backend.get_password(SERVICE, account)
        return _unb64(secret) if secret else None
    except Exception:  # locked, refused, or a value that is not ours
        log.warning("the key store did not give the data key's wrapping key", exc_info=False)
        return None


def _into_keyring(account: str, secret: bytes) -> bool:
    """Keep `secret` in the key store; True when it reads back the same."""
    backend = _keyring()
    if backend is None:
        return False
    try:
        backend.set_password(SERVICE, account, _b64(secret))
        return _from_keyring(account) == secret
    except Exception:
        log.warning("the key store refused the data key's wrapping key", exc_info=False)
        return False


# -- wraps ------------------------------------------------------------------------------------


def _seal(kek: bytes, key: bytes, key_id: str) -> dict[str, str]:
    nonce = os.urandom(12)
    return {"nonce": _b64(nonce), "sealed": _b64(AESGCM(kek).encrypt(nonce, key, key_id.encode()))}


def _open(kek: bytes, wrap: dict[str, Any], key_id: str) -> bytes | None:
    try:
        return AESGCM(kek).decrypt(_unb64(wrap["nonce"]), _unb64(wrap["sealed"]), key_id.encode())
    except (InvalidTag, KeyError, ValueError):
        return None


def _scrypt(passphrase: str, salt: bytes, params: dict[str, Any]) -> bytes:
    n, r, p = int(params["n"]), int(params["r"]), int(params["p"])
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def _keyring_wrap(key: bytes, key_id: str) -> dict[str, Any] | None:
    kek = os.urandom(32)
    account = f"data-key-{key_id}"
    if not _into_keyring(account, kek):
        return None
    return {"kind": "keyring", "service": SERVICE, "account": account, **_seal(kek, key, key_id)}


def _passphrase_wrap(key: bytes, key_id: str, passphrase: str) -> dict[str, Any]:
    salt = os.urandom(16)
    kek = _scrypt(passphrase, salt, SCRYPT)
    return {
        "kind": "passphrase",
        "kdf": "scrypt",
        **SCRYPT,
        "salt": _b64(salt),
        **_seal(kek, key, key_id),
    }


def recovery_key_id(public: bytes) -> str:
    return hashlib.sha256(public).hexdigest()[:16]


def _recovery_wrap(key: bytes, key_id: str, public: bytes) -> dict[str, Any]:
    sealed = _HPKE.encrypt(
        key, X25519PublicKey.from_public_bytes(public), _HPKE_INFO + key_id.encode()
    )
    return {"kind": "recovery", "key_id": recovery_key_id(public), "sealed": _b64(sealed)}


# -- the key file -----------------------------------------------------------------------------


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise Locked(
            f"The data key file {path} cannot be read ({exc}). Nothing was opened or changed: "
            "restore the file from a copy of the data folder, or use the organisation's "
            "recovery key (probdesk recover --recovery-key FILE)."
        ) from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT or not data.get("key_id"):
        raise Locked(f"{path} is not a probdesk data key file; nothing was opened or changed.")
    return data


def _write(path: Path, data: dict[str, Any]) -> None:
    from probdesk.fs import atomic_write, private_folder, why_not_written

    text = json.dumps(data, indent=1, sort_keys=True).encode("utf-8")
    try:
        private_folder(path.parent)
        atomic_write(path, text, mode=0o600)
    except OSError as exc:
        raise Locked(
            f"The data key file {path} cannot be written: {why_not_written(exc, path)}. "
            "Nothing was changed; fix that and start probdesk again."
        ) from exc


def _verified(data: dict[str, Any], key: bytes | None) -> bytes | None:
    if key is not None and hmac.compare_digest(check_value(key), str(data.get("check", ""))):
        return key
    return None


# -- unlocking ----------------------------------------------------------------------------------


def unlock(data_dir: Path, *, recovery_public: bytes | None = None, create: bool = True) -> bytes:
    """The data key of `data_dir`: unwrapped through the key store, else a passphrase; made
    (and wrapped) when the folder has none yet and `create`. A recovery wrap is added when
    the organisation's recovery key is known and the file has none for it yet."""
    folder = Path(data_dir).resolve()
    key = _unlocked.get(folder)
    path = key_file(folder)
    data = _read(path) if key is None or recovery_public is not None else None
    if key is None:
        if data is None:
            if not create:
                raise Locked(f"{folder} has no data key ({path} is missing).")
            key, data = _create(folder)
        else:
            key = _unwrap(folder, data)
        _unlocked[folder] = key
    if recovery_public is not None and data is not None:
        rid = recovery_key_id(recovery_public)
        if not any(w.get("kind") == "recovery" and w.get("key_id") == rid for w in data["wraps"]):
            data["wraps"].append(_recovery_wrap(key, data["key_id"], recovery_public))
            _write(path, data)
            log.info("the data key is now also sealed to the recovery key %s", rid)
    return key


def _create(folder: Path) -> tuple[bytes, dict[str, Any]]:
    key, key_id = os.urandom(32), uuid.uuid4().hex
    wrap = _keyring_wrap(key, key_id) or _passphrase_wrap(key, key_id, _new_passphrase(folder))
    data = {
        "format": FORMAT,
        "version": 1,
        "key_id": key_id,
        "check": check_value(key),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "wraps": [wrap],
    }
    _write(key_file(folder), data)
    log.info("a new data key was made, kept through the %s", wrap["kind"])
    return key, data


def _new_passphrase(folder: Path) -> str:
    from probdesk.passphrases import check_passphrase

    problem = ""
    for attempt in range(1, ATTEMPTS + 1):
        answer = _ask(PassphraseRequest(folder, True, attempt, problem))
        if answer is None:
            break
        try:
            check_passphrase(answer, (folder.name,), what="data passphrase")
            return answer
        except InputError as exc:
            problem = str(exc)
    raise Locked(
        f"This computer has no key store for the data key of {folder}, and no passphrase was "
        f"given{f' ({problem})' if problem else ''}. Start probdesk where it can ask for one, "
        f"or set {ENV_PASSPHRASE}; nothing was created."
    )


def _unwrap(folder: Path, data: dict[str, Any]) -> bytes:
    key_id, wraps = str(data["key_id"]), list(data.get("wraps") or [])
    for wrap in wraps:
        if wrap.get("kind") == "keyring":
            kek = _from_keyring(str(wrap.get("account", "")))
            key = _verified(data, _open(kek, wrap, key_id)) if kek else None
            if key is not None:
                return key
    phrased = [w for w in wraps if w.get("kind") == "passphrase"]
    if phrased:
        problem = ""
        for attempt in range(1, ATTEMPTS + 1):
            answer = _ask(PassphraseRequest(folder, False, attempt, problem))
            if answer is None:
                break
            for wrap in phrased:
                kek = _scrypt(answer, _unb64(wrap["salt"]), wrap)
                key = _verified(data, _open(kek, wrap, key_id))
                if key is not None:
                    return key
            problem = "That passphrase does not open this data folder."
        raise Locked(
            f"The data of {folder} is locked: {problem or 'no passphrase was given'}. Nothing "
            f"was opened or changed. Give its passphrase (or set {ENV_PASSPHRASE}), or use "
            "the organisation's recovery key: probdesk recover --recovery-key FILE."
        )
    raise Locked(
        f"The data of {folder} is encrypted with a key this computer's key store does not "
        "hold (was the folder copied from another computer, or the key store reset?). Nothing "
        "was opened or changed. Ask whoever holds the organisation's recovery key to run: "
        f"probdesk --data-dir {folder} recover --recovery-key FILE"
    )


def recover(data_dir: Path, recovery_private: X25519PrivateKey) -> list[str]:
    """The recovery drill: unwrap the data key with the organisation's recovery private key
    and wrap it anew for this computer (its key store, else a new passphrase). The recovery
    wrap is kept. Returns what was done, in words."""
    folder = Path(data_dir).resolve()
    path = key_file(folder)
    data = _read(path)
    if data is None:
        raise InputError(f"{folder} has no data key file ({path}); there is nothing to recover.")
    public = recovery_private.public_key().public_bytes_raw()
    rid = recovery_key_id(public)
    wrap = next(
        (w for w in data["wraps"] if w.get("kind") == "recovery" and w.get("key_id") == rid), None
    )
    if wrap is None:
        known = [str(w.get("key_id")) for w in data["wraps"] if w.get("kind") == "recovery"]
        raise InputError(
            f"The data key of {folder} is not sealed to this recovery key ({rid}); "
            + (f"it is sealed to {', '.join(known)}." if known else "it has no recovery seal.")
        )
    try:
        info = _HPKE_INFO + str(data["key_id"]).encode()
        key = _verified(data, _HPKE.decrypt(_unb64(wrap["sealed"]), recovery_private, info))
    except (InvalidTag, ValueError):
        key = None
    if key is None:
        raise InputError(
            f"The recovery seal in {path} does not open with this key; nothing was changed."
        )
    key_id = str(data["key_id"])
    fresh = _keyring_wrap(key, key_id) or _passphrase_wrap(key, key_id, _new_passphrase(folder))
    kept = [w for w in data["wraps"] if w.get("kind") == "recovery"]
    data["wraps"] = [fresh, *kept]
    _write(path, data)
    _unlocked[folder] = key
    how = "this computer's key store" if fresh["kind"] == "keyring" else "the new passphrase"
    return [
        f"The data key of {folder} was unwrapped with the recovery key {rid}.",
        f"It is now kept through {how}; the recovery seal is kept as it was.",
    ]


def describe(data_dir: Path) -> list[str]:
    """The ways in to a data folder's key, in words (no secret)."""
    data = _read(key_file(data_dir))
    if data is None:
        return ["no data key yet"]
    out = []
    for w in data["wraps"]:
        kind = w.get("kind")
        if kind == "keyring":
            out.append(f"key store entry {w.get('service')}/{w.get('account')}")
        elif kind == "passphrase":
            out.append("passphrase (scrypt)")
        elif kind == "recovery":
            out.append(f"recovery key {w.get('key_id')}")
    return out
