"""The one bounded, validated way to read a user's file (and to parse YAML).

Every loader (scenario, package and sweep YAML, MAESTRO ``.m`` model and hardware files, ONNX
files) reads through :func:`read_bytes` / :func:`read_text`, and every YAML text is parsed by
:func:`load_yaml`. What they guarantee (each failure is one :class:`MCMSchedError` line naming
the file and the reason, never the file's content):

- only regular files are read: a directory, a FIFO (which would block forever), a socket or a
  device (``/dev/zero``, also through a symlink: the target is checked) is refused before any
  read; the file is opened non-blocking and checked again on the open descriptor;
- a size cap (:data:`MAX_TEXT_BYTES` for text files, :data:`MAX_BINARY_BYTES` for ONNX); at most
  cap + 1 bytes are ever read, so a file that grows while read is refused too;
- text is UTF-8 (a leading BOM is allowed): UTF-16/32 (by their BOM) and binary files (NUL bytes)
  are refused with a message saying so;
- path components longer than :data:`MAX_NAME_CHARS` and NUL characters in paths are refused
  (before the operating system turns them into an ``OSError``);
- YAML: safe constructors only; at most :data:`MAX_YAML_DEPTH` nested collections,
  :data:`MAX_YAML_ALIASES` aliases and :data:`MAX_YAML_NODES` nodes *after alias expansion*
  (an anchor/alias "billion laughs" bomb is refused in one linear scan of the event stream, before
  anything is built); mapping keys must be scalars and unique; integers have at most
  :data:`MAX_INT_DIGITS` digits.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import functools
import os
import re
import shutil
import stat
import tempfile
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import yaml

from mcmsched.errors import MCMSchedError, excerpt

#: Largest text file read (bytes): scenario/package/sweep YAML and MAESTRO files.
MAX_TEXT_BYTES = 16 * 1024 * 1024
#: Largest binary file read (bytes): ONNX models (weights included; only shapes are used).
MAX_BINARY_BYTES = 2 * 1024**3
#: Longest file-name component (characters; the common file-system limit).
MAX_NAME_CHARS = 255
#: Deepest nesting of YAML collections.
MAX_YAML_DEPTH = 64
#: Most YAML aliases (``*name``) in one document.
MAX_YAML_ALIASES = 1000
#: Most YAML nodes after expanding every alias (a scenario or sweep file has a few thousand).
MAX_YAML_NODES = 1_000_000
#: Most digits of a YAML integer.
MAX_INT_DIGITS = 30


def check_path(path: str | Path, *, what: str = "path") -> Path:
    """``path`` as a Path after checking it is not empty, has no NUL character and no component
    longer than :data:`MAX_NAME_CHARS`."""
    text = os.fspath(path)
    if not str(text).strip():
        raise MCMSchedError(f"empty {what}")
    if "\x00" in str(text):
        raise MCMSchedError(f"{what} contains a NUL character", file=excerpt(str(text)))
    for part in Path(text).parts:
        if len(part) > MAX_NAME_CHARS:
            raise MCMSchedError(
                f"a {what} component is {len(part)} characters long (limit {MAX_NAME_CHARS})",
                file=excerpt(str(text)),
            )
    return Path(text)


def is_file(path: str | Path) -> bool:
    """``Path(path).is_file()`` that never raises (a name too long, a NUL character or any other
    OS error means "no such file")."""
    try:
        return Path(path).is_file()
    except (OSError, ValueError):
        return False


def exists(path: str | Path) -> bool:
    """``Path(path).exists()`` that never raises."""
    try:
        return Path(path).exists()
    except (OSError, ValueError):
        return False


def _os_error(err: OSError, source: str) -> MCMSchedError:
    if err.errno == errno.ENOENT:
        return MCMSchedError("cannot read file: file not found", file=source)
    if err.errno == errno.ENAMETOOLONG:
        return MCMSchedError("file name too long", file=source)
    return MCMSchedError(f"cannot read file: {err.strerror or type(err).__name__}", file=source)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def read_bytes(path: str | Path, *, max_bytes: int = MAX_TEXT_BYTES) -> bytes:
    """The bytes of the regular file ``path`` (at most ``max_bytes``; see the module
    docstring). Raises :class:`MCMSchedError` naming the file."""
    p = check_path(path, what="file path")
    source = str(p)
    try:
        st = os.stat(p)  # follows symlinks: /dev/zero behind a link is a device
    except OSError as err:
        raise _os_error(err, source) from None
    except ValueError as err:  # e.g. embedded NUL on some platforms
        raise MCMSchedError(f"invalid path: {err}", file=excerpt(source)) from None
    if not stat.S_ISREG(st.st_mode):
        raise MCMSchedError(f"{_kind(st.st_mode)}, not a regular file", file=source)
    if st.st_size > max_bytes:
        raise MCMSchedError(
            f"file is {st.st_size:,} bytes, larger than the limit of {max_bytes:,} bytes",
            file=source,
        )
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(p, flags)
    except OSError as err:
        raise _os_error(err, source) from None
    try:
        fst = os.fstat(fd)
        if not stat.S_ISREG(fst.st_mode):  # swapped between stat and open
            raise MCMSchedError(f"{_kind(fst.st_mode)}, not a regular file", file=source)
        chunks: list[bytes] = []
        total = 0
        while total <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > max_bytes:
            raise MCMSchedError(
                f"file is larger than the limit of {max_bytes:,} bytes", file=source
            )
        return b"".join(chunks)
    except OSError as err:
        raise _os_error(err, source) from None
    finally:
        os.close(fd)


def decode_text(data: bytes, source: str | None = None) -> str:
    """UTF-8 text of ``data`` (a leading BOM is dropped); UTF-16/32 and binary data are refused
    with a clear message."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise MCMSchedError("the file is UTF-32 text; save it as UTF-8", file=source)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise MCMSchedError("the file is UTF-16 text; save it as UTF-8", file=source)
    if b"\x00" in data:
        raise MCMSchedError(
            "binary data (NUL bytes), not a text file (UTF-16 text? save it as UTF-8)",
            file=source,
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise MCMSchedError(
            f"not UTF-8 text (invalid byte at offset {err.start}); save the file as UTF-8",
            file=source,
        ) from None


def read_text(path: str | Path, *, max_bytes: int = MAX_TEXT_BYTES) -> str:
    """The UTF-8 text of the regular file ``path`` (see :func:`read_bytes`, :func:`decode_text`)."""
    return decode_text(read_bytes(path, max_bytes=max_bytes), str(path))


# ---- YAML -----------------------------------------------------------------------------------


def _mark(node_or_event: Any) -> str:
    m = getattr(node_or_event, "start_mark", None)
    return f"line {m.line + 1}, column {m.column + 1}: " if m is not None else ""


class _Loader(yaml.SafeLoader):
    """A safe loader: scalar, unique mapping keys; bounded integers."""


def _require_scalar_key(key_node: yaml.Node) -> None:
    if not isinstance(key_node, yaml.ScalarNode):
        raise yaml.constructor.ConstructorError(
            None,
            None,
            "a mapping key must be a plain value, not a list or mapping",
            key_node.start_mark,
        )


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        _require_scalar_key(key_node)
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {excerpt(key)}", key_node.start_mark
            )
        seen.add(key)
    loader.flatten_mapping(node)
    for key_node, _ in node.value:  # merged keys must be scalars too
        _require_scalar_key(key_node)
    return dict(loader.construct_pairs(node))


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> int:
    digits = sum(ch.isalnum() for ch in str(node.value))
    if digits > MAX_INT_DIGITS:
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"integer with {digits} digits is too large (limit {MAX_INT_DIGITS})",
            node.start_mark,
        )
    value: int = yaml.SafeLoader.construct_yaml_int(loader, node)
    return value


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def _check_events(text: str) -> None:
    """One linear scan of the YAML event stream: nesting depth, alias count and the node count
    after alias expansion (each anchor's expanded size is remembered)."""
    depth = 0
    nodes = 0
    aliases = 0
    sizes: dict[str, int] = {}
    open_: list[tuple[str | None, int]] = []
    for ev in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(ev, yaml.CollectionStartEvent):
            depth += 1
            nodes += 1
            if depth > MAX_YAML_DEPTH:
                raise MCMSchedError(f"{_mark(ev)}YAML nested deeper than {MAX_YAML_DEPTH} levels")
            open_.append((ev.anchor, nodes))
        elif isinstance(ev, yaml.CollectionEndEvent):
            depth -= 1
            anchor, start = open_.pop()
            if anchor is not None:
                sizes[anchor] = nodes - start + 1
        elif isinstance(ev, yaml.ScalarEvent):
            nodes += 1
            if ev.anchor is not None:
                sizes[ev.anchor] = 1
        elif isinstance(ev, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_YAML_ALIASES:
                raise MCMSchedError(f"{_mark(ev)}more than {MAX_YAML_ALIASES} YAML aliases")
            nodes += sizes.get(str(ev.anchor), 1)
        if nodes > MAX_YAML_NODES:
            raise MCMSchedError(
                f"{_mark(ev)}YAML document expands to more than {MAX_YAML_NODES:,} nodes "
                "(an alias bomb?)"
            )


def load_yaml(text: str, source: str | None = None) -> Any:
    """Parse one YAML document safely (see the module docstring); any problem becomes one
    :class:`MCMSchedError` naming ``source``, the line and the column."""
    try:
        _check_events(text)
        return yaml.load(text, Loader=_Loader)
    except MCMSchedError as err:
        raise MCMSchedError(err.reason, file=source) from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        what = err.problem or err.context or "invalid YAML"
        cm = err.context_mark
        if err.problem and err.context and cm is not None:
            what += f" ({err.context} at line {cm.line + 1}, column {cm.column + 1})"
        raise MCMSchedError(f"{where}YAML syntax error: {what}", file=source) from None
    except yaml.YAMLError as err:
        raise MCMSchedError(f"YAML error: {excerpt(str(err), 120)}", file=source) from None
    except (RecursionError, ValueError, OverflowError) as err:
        raise MCMSchedError(f"YAML error: {type(err).__name__}", file=source) from None


def read_yaml(path: str | Path) -> Any:
    """Read (bounded, UTF-8) and parse (bounded) the YAML file ``path``."""
    return load_yaml(read_text(path), str(path))


# ---- outputs --------------------------------------------------------------------------------


@contextlib.contextmanager
def atomic_dir(out: str | Path) -> Iterator[Path]:
    """Write an output folder all or nothing: yields a fresh temporary folder beside ``out``;
    when the block finishes without an exception its files are moved into ``out`` (created if
    needed; each move is an atomic ``os.replace`` on the same file system, existing files of the
    same name are replaced, other files in ``out`` are left alone). On any exception (including
    Ctrl-C) the temporary folder is removed and ``out`` is untouched: a failure while writing
    never leaves new and old result files mixed."""
    p = check_path(out, what="output folder")
    if p.exists() and not p.is_dir():
        raise MCMSchedError("exists and is not a directory", file=str(p))
    parent = p.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{p.name[:40]}.", suffix=".tmp", dir=parent))
    except OSError as err:
        raise MCMSchedError(
            f"cannot create output folder: {err.strerror or type(err).__name__}", file=str(p)
        ) from None
    try:
        yield tmp
        p.mkdir(parents=True, exist_ok=True)
        for item in sorted(tmp.iterdir()):
            target = p / item.name
            if item.is_dir() and target.is_dir():
                shutil.rmtree(target)
            os.replace(item, target)
    except OSError as err:
        raise MCMSchedError(
            f"cannot write results: {err.strerror or type(err).__name__}", file=str(p)
        ) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---- output hygiene -------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet cannot run as a formula: text starting with ``=``, ``+``,
    ``-``, ``@``, a tab or a carriage return gets a leading ``'`` unless it is a plain number
    (``-1.5e-3`` stays as it is). Non-strings pass through."""
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    try:
        float(value)
        return value
    except ValueError:
        return "'" + value


_HTML_TAG = re.compile(r"<(?=[A-Za-z/!?][^<>]*>)")


def md_cell(text: str) -> str:
    """Text safe inside a Markdown table cell: one line, ``|`` escaped, and the ``<`` of anything
    that would be raw HTML (a complete tag such as ``<script>``) escaped, so it shows as text
    and never as markup (``x<y`` stays as it is)."""
    out = " ".join(str(text).split())
    out = out.replace("\\", "\\\\").replace("|", "\\|")
    return _HTML_TAG.sub(r"\\<", out)


_F = TypeVar("_F", bound=Callable[..., Any])


def no_mathtext(func: _F) -> _F:
    """Decorator for functions that build matplotlib figures: every text artist they create
    is drawn literally (``text.parse_math`` off), so a model named ``$\\frac{$`` is a label,
    not a mathtext error. (A figure's texts keep the setting when it is saved later.)"""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import matplotlib

        with matplotlib.rc_context({"text.parse_math": False}):
            return func(*args, **kwargs)

    return typing.cast(_F, wrapper)


__all__ = [
    "MAX_BINARY_BYTES",
    "MAX_TEXT_BYTES",
    "atomic_dir",
    "check_path",
    "csv_cell",
    "decode_text",
    "exists",
    "is_file",
    "load_yaml",
    "md_cell",
    "no_mathtext",
    "read_bytes",
    "read_text",
    "read_yaml",
]
