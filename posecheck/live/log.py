"""The session log: one JSON object per line, appended and flushed to disk as each thing happens."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from ..errors import OutputError
from ..sinks.report import json_safe

LOG_NAME = "session.jsonl"


class SessionLog:
    """Appends records to ``path`` (JSON lines). Every record is flushed and synced before ``append``
    returns, so a crash, a power cut or an unplugged camera loses nothing already logged.

    Each record has ``type`` and ``time`` (local wall-clock time, ISO 8601) and the given fields.
    Raises :class:`OutputError` when the file cannot be opened or written.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._file: IO[str] | None = path.open("a", encoding="utf-8")
        except OSError as exc:
            raise OutputError(f"{path}: cannot write the session log ({exc.strerror})") from None

    def append(self, kind: str, **fields: Any) -> None:
        """Write one record ``{"type": kind, "time": now, **fields}`` and push it to disk."""
        if self._file is None:
            raise OutputError(f"{self.path}: the session log is already closed")
        record = {"type": kind, "time": datetime.now().astimezone().isoformat(timespec="milliseconds")}
        record.update(json_safe(fields))
        try:
            self._file.write(json.dumps(record, allow_nan=False) + "\n")
            self._file.flush()
            os.fsync(self._file.fileno())
        except OSError as exc:
            raise OutputError(f"{self.path}: cannot write the session log ({exc.strerror})") from None

    def close(self) -> None:
        """Close the file. Safe to call twice."""
        if self._file is not None:
            self._file.close()
            self._file = None


def read_log(path: Path) -> list[dict[str, Any]]:
    """Every record of a session log, in order (a torn last line, from a crash mid-write, is skipped)."""
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records
