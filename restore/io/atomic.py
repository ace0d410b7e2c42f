"""Atomic file writes: write a hidden temporary file beside the target, then ``os.replace`` it.

A reader (or an interrupted run) therefore sees either the old file or the complete new one, never
a partial file. Temporary names start with a dot (``.name.tmp-1a2b3c4d.ext``) so frame-folder
readers skip them.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path


def temporary_sibling(path: Path) -> Path:
    """Create and return an empty, uniquely named hidden file in ``path``'s directory.

    The suffix of ``path`` is kept (``.out.tmp-1a2b3c4d.mp4``) because encoders pick the container
    from it. The file is created with ``O_EXCL`` and mode 0o666 minus the umask, like a normal file.

    Args:
        path: the final destination; its parent directory must exist.

    Returns:
        The temporary file's path.
    """
    while True:
        candidate = path.with_name(f".{path.stem}.tmp-{secrets.token_hex(4)}{path.suffix}")
        try:
            descriptor = os.open(candidate, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
        except FileExistsError:
            continue
        os.close(descriptor)
        return candidate


@contextlib.contextmanager
def atomic_destination(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path to write; on success move it onto ``path``, on error delete it.

    Parent directories of ``path`` are created.

    Args:
        path: the final destination.

    Yields:
        The temporary path to write the whole content to.
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_sibling(final)
    try:
        yield temporary
        os.replace(temporary, final)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (creating parent directories).

    Args:
        path: the destination file.
        data: the complete content.

    Returns:
        ``path`` as a ``Path``.
    """
    with atomic_destination(path) as temporary:
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    return Path(path)


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically (creating parent directories).

    Args:
        path: the destination file, e.g. ``metrics.json`` or ``config.json``.
        text: the complete content.
        encoding: text encoding.

    Returns:
        ``path`` as a ``Path``.
    """
    return atomic_write_bytes(path, text.encode(encoding))
