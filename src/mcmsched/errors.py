"""The one error type for user mistakes.

Every mistake a user can make (a malformed file, an unknown name, an impossible value) raises
:class:`MCMSchedError` with the file, the field and the reason. The CLI prints ``str(err)`` without
a traceback and exits with code 2.
"""

from __future__ import annotations

from typing import Any

#: Longest error message (characters) the CLI prints; longer ones are cut with an ellipsis.
MAX_MESSAGE_CHARS = 300
#: Longest excerpt of a user's value (or of an offending line) an error message quotes.
MAX_EXCERPT_CHARS = 60


def excerpt(value: Any, limit: int = MAX_EXCERPT_CHARS) -> str:
    """A short, one-line ``repr`` of ``value`` for error messages (at most ``limit`` characters;
    longer values end with ``...``), so a bad value is never echoed whole."""
    try:
        text = repr(value) if not isinstance(value, str) else repr(value[: limit + 8])
    except Exception:  # a hostile __repr__ or an int too large to print
        text = f"<{type(value).__name__}>"
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def one_line(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` on one line (whitespace runs collapsed), cut to ``limit`` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


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
            name = " ".join(str(self.file).split())
            parts.append(name if len(name) <= 100 else f"{name[:45]}...{name[-45:]}")
        if self.field:
            parts.append(f"field '{self.field}'")
        prefix = ": ".join(parts)
        return one_line(f"{prefix}: {self.reason}" if prefix else self.reason)

    def with_file(self, file: str) -> MCMSchedError:
        """Return a copy of this error that also names ``file`` (keeps an existing file)."""
        return MCMSchedError(self.reason, file=self.file or file, field=self.field)
