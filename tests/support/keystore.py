"""The tests' stand-in for the operating system's key store (a CI machine has no Secret
Service): a keyring backend keeping its entries in one JSON file, PROBDESK_TEST_KEYSTORE,
shared by the test process and every command it starts (whatever HOME they are given), as a
user's login key store is. Chosen through PYTHON_KEYRING_BACKEND=keystore.FileKeyring with
this folder on PYTHONPATH (tests/conftest.py; benchmarks/_common.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

ENV = "PROBDESK_TEST_KEYSTORE"


class FileKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]  # chosen by name, never found by itself

    @staticmethod
    def _file() -> Path:
        return Path(os.environ[ENV])

    def _load(self) -> dict[str, str]:
        try:
            return dict(json.loads(self._file().read_text(encoding="utf-8")))
        except FileNotFoundError:
            return {}

    def _save(self, entries: dict[str, str]) -> None:
        part = self._file().with_name(f"{self._file().name}.{os.getpid()}.part")
        part.write_text(json.dumps(entries), encoding="utf-8")
        os.replace(part, self._file())

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        entries = self._load()
        entries[f"{service}/{username}"] = password
        self._save(entries)

    def delete_password(self, service: str, username: str) -> None:
        entries = self._load()
        if entries.pop(f"{service}/{username}", None) is None:
            raise PasswordDeleteError(username)
        self._save(entries)
