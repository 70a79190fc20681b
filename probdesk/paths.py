"""Data, config, log and outbox folders: resolved once at start-up; --data-dir overrides all."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP = "probdesk"


@dataclass(frozen=True)
class Paths:
    data: Path
    config: Path
    log: Path
    outbox: Path

    @classmethod
    def resolve(cls, data_dir: str | Path | None = None) -> Paths:
        if data_dir is not None:
            base = Path(data_dir).expanduser().resolve()
            return cls(base, base / "config", base / "logs", base / "outbox")
        dirs = platformdirs.PlatformDirs(APP, appauthor=False)
        data = Path(dirs.user_data_dir)
        return cls(data, Path(dirs.user_config_dir), Path(dirs.user_log_dir), data / "outbox")

    def ensure(self) -> Paths:
        """Make the folders, each readable by its owner only (0700 on POSIX)."""
        from probdesk.fs import private_folder

        for p in (self.data, self.config, self.log, self.outbox):
            private_folder(p)
        return self

    @property
    def log_file(self) -> Path:
        return self.log / "probdesk.log"
