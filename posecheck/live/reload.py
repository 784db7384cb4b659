"""Spec hot reload: notice that the spec file changed (by polling its modification time) and reload it."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import SpecError
from ..spec import load_spec
from ..spec.schema import ExerciseSpec


@dataclass(frozen=True)
class Reload:
    """The outcome of reloading a changed spec file: the new spec, or why it was not taken."""

    spec: ExerciseSpec | None = None
    error: str | None = None


class SpecWatcher:
    """Polls one spec file: ``poll()`` returns a :class:`Reload` when the file changed since the last
    poll, else None.

    A change is any difference in modification time, size or inode (editors that save by renaming a new
    file over the old one change the inode). A file that is briefly missing (mid-save) is not a change;
    an edit that does not load gives ``Reload(error=...)``, and the next change is tried again.
    ``check`` may reject a spec that loads but cannot replace the running one (raise SpecError).
    """

    def __init__(
        self,
        path: Path,
        *,
        load: Callable[[Path], ExerciseSpec] = load_spec,
        check: Callable[[ExerciseSpec], None] | None = None,
    ) -> None:
        self.path = Path(path)
        self._load = load
        self._check = check
        self._signature = self._stat()

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size, st.st_ino

    def poll(self) -> Reload | None:
        """Reload the spec if its file changed; None if it did not (or is missing right now)."""
        signature = self._stat()
        if signature is None or signature == self._signature:
            return None
        self._signature = signature
        try:
            spec = self._load(self.path)
            if self._check is not None:
                self._check(spec)
        except SpecError as exc:
            return Reload(error=str(exc))
        return Reload(spec=spec)
