"""The one error type for user mistakes.

Every mistake a user can make (a malformed file, an unknown name, an impossible value) raises
:class:`MCMSchedError` with the file, the field and the reason. The CLI prints ``str(err)`` without
a traceback and exits with code 2.
"""

from __future__ import annotations


class MCMSchedError(Exception):
    """A user-facing error: names the file (if any), the field (if any) and the reason."""

    def __init__(self, reason: str, *, file: str | None = None, field: str | None = None) -> None:
        self.reason = reason
        self.file = file
        self.field = field
        super().__init__(self._format())

    def _format(self) -> str:
        parts: list[str] = []
        if self.file:
            parts.append(str(self.file))
        if self.field:
            parts.append(f"field '{self.field}'")
        prefix = ": ".join(parts)
        return f"{prefix}: {self.reason}" if prefix else self.reason

    def with_file(self, file: str) -> MCMSchedError:
        """Return a copy of this error that also names ``file`` (keeps an existing file)."""
        return MCMSchedError(self.reason, file=self.file or file, field=self.field)
