"""Keys: each device's Ed25519 signing key and X25519 encryption key, recipients, recovery keys.

A device's private keys are PKCS8 PEM files encrypted (PBES2, AES-256-CBC) with a passphrase
derived from the data folder's data key (probdesk.store.datakey), readable by their owner
only; an unencrypted key file from an earlier probdesk is encrypted at its first loading.
Public keys travel as base64 of their 32 raw bytes; people compare them by `fingerprint`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from probdesk.errors import EnvironmentProblem, InputError
from probdesk.fs import atomic_write
from probdesk.packages.format import ROLES

log = logging.getLogger(__name__)
_Key = TypeVar("_Key", Ed25519PrivateKey, X25519PrivateKey)

SIGNING_FILE = "device-signing.pem"
ENCRYPTION_FILE = "device-encryption.pem"
PUBLIC_BYTES = 32
_RAW = (serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(public_raw: bytes) -> str:
    """What people compare by eye: SHA-256 of the raw key, 16 bytes, hex in groups of 4."""
    digest = hashlib.sha256(public_raw).hexdigest()[:32]
    return " ".join(digest[i : i + 4] for i in range(0, 32, 4))


def key_id(public_raw: bytes) -> str:
    """The short id of a public key in manifests: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(public_raw).hexdigest()[:16]


def b64(raw: bytes) -> str:
    """Standard base64 (with padding) of raw bytes, as public keys are written in JSON."""
    return base64.b64encode(raw).decode("ascii")


def unb64(text: object, *, size: int | None = None, what: str = "key") -> bytes:
    """The bytes of a base64 text; InputError saying what is wrong when it is not one."""
    if not isinstance(text, str):
        raise InputError(f"The {what} should be base64 text, not {type(text).__name__}")
    try:
        raw = base64.b64decode(text.strip().encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        raise InputError(f"The {what} is not valid base64 text: {text[:20]!r}...") from None
    if size is not None and len(raw) != size:
        raise InputError(f"The {what} should be {size} bytes, but the base64 gives {len(raw)}")
    return raw


@dataclass(frozen=True)
class Recipient:
    """Someone a package is encrypted to: a team lead, assessor or the organisation's recovery key.

    `name` is for the people managing keys and is never written into a package.
    """

    name: str
    role: str
    public: bytes  # raw X25519 public key, 32 bytes

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"recipient role must be one of {', '.join(ROLES)}, not {self.role!r}")
        if not isinstance(self.public, bytes) or len(self.public) != PUBLIC_BYTES:
            raise ValueError(f"recipient {self.name!r}: the public key must be 32 raw bytes")

    @property
    def key_id(self) -> str:
        return key_id(self.public)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public)


@dataclass(frozen=True)
class DeviceKeys:
    """One device's key pair for signing (Ed25519) and one for receiving packages (X25519)."""

    signing_key: Ed25519PrivateKey = field(repr=False)
    encryption_key: X25519PrivateKey = field(repr=False)

    @classmethod
    def generate(cls) -> DeviceKeys:
        return cls(Ed25519PrivateKey.generate(), X25519PrivateKey.generate())

    @classmethod
    def load_or_create(cls, folder: Path, password: bytes | None = None) -> DeviceKeys:
        """The keys in folder, creating whichever key file is missing (folder 0o700, files 0o600),
        encrypted with `password` (None: unencrypted, as tests and throwaway keys use).

        An existing key file that group or others can read is tightened to 0o600, with a
        warning in the log. A damaged key file is never replaced: EnvironmentProblem.
        """
        folder = Path(folder)
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as e:
            raise EnvironmentProblem(f"{folder}: cannot create the key folder: {e}") from e
        _tighten(folder, 0o700)
        signing = _load_or_create(
            folder / SIGNING_FILE, Ed25519PrivateKey.generate, Ed25519PrivateKey, password
        )
        encryption = _load_or_create(
            folder / ENCRYPTION_FILE, X25519PrivateKey.generate, X25519PrivateKey, password
        )
        return cls(signing, encryption)

    @property
    def signing_public(self) -> bytes:
        return self.signing_key.public_key().public_bytes(*_RAW)

    @property
    def encryption_public(self) -> bytes:
        return self.encryption_key.public_key().public_bytes(*_RAW)

    def recipient(self, name: str, role: str) -> Recipient:
        """This device as a recipient of packages (for example a team lead's own laptop)."""
        return Recipient(name, role, self.encryption_public)


def generate_recovery_key(private_out: Path) -> bytes:
    """Write a new X25519 private key (PEM, 0o600) to private_out; return its raw public key.

    Never overwrites: an existing file is an InputError. The private key belongs offline (the
    organisation's safe); only the public key goes into team configuration.
    """
    key = X25519PrivateKey.generate()
    try:
        _write_new(Path(private_out), _pem(key))
    except FileExistsError:
        raise InputError(f"{private_out}: already exists; choose a new file name") from None
    except OSError as e:
        raise EnvironmentProblem(f"{private_out}: cannot write the recovery key: {e}") from e
    return key.public_key().public_bytes(*_RAW)


def load_private_x25519(path: Path) -> X25519PrivateKey:
    """An X25519 private key from a PEM file (a recovery key or a device encryption key)."""
    key = _load(Path(path), InputError)
    if not isinstance(key, X25519PrivateKey):
        raise InputError(f"{path}: is a {_describe(key)}, not an X25519 (encryption) private key")
    return key


def _pem(key: Ed25519PrivateKey | X25519PrivateKey, password: bytes | None = None) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def _write_new(path: Path, data: bytes) -> None:
    """A new key file, 0o600, written whole before it has its name (probdesk.fs.atomic_write);
    FileExistsError if the name is taken, also by another process meanwhile."""
    atomic_write(path, data, mode=0o600, exclusive=True)


def _load(
    path: Path, error: type[InputError] | type[EnvironmentProblem], password: bytes | None = None
) -> object:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise error(f"{path}: cannot read the key file: {e.strerror or e}") from e
    encrypted = b"ENCRYPTED PRIVATE KEY" in data[:64]
    if encrypted and password is None:
        raise error(f"{path}: is an encrypted private key; it opens with its data folder's key")
    try:
        key = serialization.load_pem_private_key(data, password=password if encrypted else None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as e:
        # ValueError: not PEM, not a key, or (encrypted) not this data folder's key.
        what = "this data folder's key does not open it" if encrypted else e
        raise error(f"{path}: is not a private key probdesk can read ({what})") from None
    if password is not None and not encrypted:
        _rewrite_encrypted(path, key, password)
    return key


def _rewrite_encrypted(path: Path, key: object, password: bytes) -> None:
    """An earlier probdesk's unencrypted key file, encrypted in place (atomically)."""
    if isinstance(key, (Ed25519PrivateKey, X25519PrivateKey)):
        atomic_write(path, _pem(key, password), mode=0o600)
        log.info("%s is now encrypted", path.name)


def _describe(key: object) -> str:
    return type(key).__name__.removeprefix("_").replace("PrivateKey", " private key")


def _load_or_create(
    path: Path, generate: Callable[[], _Key], kind: type[Any], password: bytes | None
) -> _Key:
    raced = False
    if not path.exists():
        key = generate()
        try:
            _write_new(path, _pem(key, password))
            log.info("created %s", path.name)
            return key
        except FileExistsError:
            raced = True  # another process created it first: use that one
        except OSError as e:
            raise EnvironmentProblem(f"{path}: cannot create the key file: {e}") from e
    _tighten(path, 0o600)
    deadline = time.monotonic() + (2.0 if raced else 0.0)
    while True:
        try:
            loaded = _load(path, EnvironmentProblem, password)
            break
        except EnvironmentProblem:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.05)  # the other process may still be writing it
    if not isinstance(loaded, kind):
        raise EnvironmentProblem(f"{path}: is a {_describe(loaded)}, not the expected key type")
    return cast(_Key, loaded)


def _tighten(path: Path, mode: int) -> None:
    """On POSIX, remove group/other access from path, with a warning when there was some."""
    if os.name != "posix":
        return
    try:
        current = stat.S_IMODE(path.stat().st_mode)
        if current & 0o077:
            os.chmod(path, mode)
            log.warning(
                "%s was accessible to other users (mode %03o); tightened to %03o",
                path,
                current,
                mode,
            )
    except OSError as e:
        raise EnvironmentProblem(f"{path}: cannot restrict access to the key file: {e}") from e
