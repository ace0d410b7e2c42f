"""Per-visitor state: a private temporary folder, a stop flag and the last result.

Gradio identifies a browser tab (or a `gradio_client.Client`) by its session hash. The store maps
each hash to a `Session`; folders get random names, so a session hash never becomes a path. A
session's folder is removed when the tab closes (`Blocks.unload`), when it has been idle longer
than ``idle_seconds``, or when the app shuts down.

Gradio keeps its own copy of every upload and of every file a component shows, in its cache
folder, mostly at ``<cache>/<sha256 of the content>/<name>``. Each session records the cache
entries (the top-level folder or file of the cache) that hold its files: the ones a handler sees
(`Session.track_cached`, `Session.track_output`) and every one that crosses Gradio's boundary for
the session's events (`SessionStore.record`, fed by `apps.cache.SessionBlocks`). They are removed
with the session, unless another open session uses the same content or the app keeps them (the
example clip); so a closed tab leaves nothing in the cache, and its results are no longer served.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass
class RunResult:
    """What the before/after slider needs after a run: ``(T, H, W, 3)`` uint8 RGB frames."""

    before: np.ndarray
    after: np.ndarray


SCRATCH_KEPT = 3
"""Earlier scratch folders of one name kept besides the newest (handlers still reading them)."""

SCRATCH_GRACE_SECONDS = 60.0
"""A scratch folder younger than this is never removed, however many came after it: handlers
saving at once could otherwise remove a folder another one has not written yet."""


@dataclass
class Session:
    """One visitor's files and flags."""

    directory: Path
    stop: threading.Event = field(default_factory=threading.Event)
    busy: bool = False  # a fit (or a timing probe) is running for this session
    tracking: bool = False  # what runs is the tracked-mask preview (the tracker only)
    closed: bool = False  # the tab went away; remove the folder once the fit ends
    last_used: float = field(default_factory=time.monotonic)
    result: RunResult | None = None
    runs: int = 0
    cache_entries: set[Path] = field(default_factory=set)  # Gradio's copies of our files

    def track_cached(self, path: str | Path) -> None:
        """Remember the Gradio cache entry that holds ``path`` (an upload, a cached copy)."""
        entry = cache_entry(path)
        if entry is not None:
            self.cache_entries.add(entry)

    def track_output(self, path: Path) -> None:
        """Remember where Gradio will keep its copy of a file a handler returns."""
        from gradio.processing_utils import hash_file

        if Path(path).is_file():
            self.cache_entries.add(gradio_cache() / hash_file(path))

    def new_run_directory(self) -> Path:
        """A fresh folder for one run's outputs; the previous run's files are removed."""
        for old in self.directory.glob("run-*"):
            shutil.rmtree(old, ignore_errors=True)
        self.runs += 1
        path = self.directory / f"run-{self.runs}"
        path.mkdir(parents=True)
        return path

    def scratch_directory(self, name: str) -> Path:
        """A new, empty sub-folder for inputs the app writes (a drawn mask, mask frames).

        Handlers of one tab run at once (the mask preview and the estimate both save the
        drawing while a run reads it), so each call gets a folder of its own; the older ones
        of ``name`` are removed except the last few and the young ones, which a handler may
        still be writing or reading.
        """
        parent = self.directory / name
        parent.mkdir(parents=True, exist_ok=True)
        now = time.time_ns()
        path = parent / f"{now:020d}-{uuid.uuid4().hex[:8]}"  # names sort by age
        path.mkdir()
        older = sorted(entry for entry in parent.iterdir() if entry != path)
        oldest_kept = now - int(SCRATCH_GRACE_SECONDS * 1e9)
        for stale in older[:-SCRATCH_KEPT]:
            created = stale.name.split("-", 1)[0]
            if created.isdigit() and int(created) >= oldest_kept:
                continue
            shutil.rmtree(stale, ignore_errors=True)
        return path


def gradio_cache() -> Path:
    """Gradio's cache folder (``GRADIO_TEMP_DIR``, else ``<tmp>/gradio``)."""
    from gradio.utils import get_upload_folder

    return Path(get_upload_folder()).resolve()


def cache_entry(path: str | Path, cache: Path | None = None) -> Path | None:
    """The top-level folder or file of Gradio's cache that holds ``path``; None outside it.

    Gradio writes each cached file into a folder of its own (named by the content's hash, or a
    fresh temporary name); a few temporary files sit in the cache folder itself. Removing the
    entry removes the file and whatever Gradio derived from it next to it (a re-encoded video).
    """
    cache = gradio_cache() if cache is None else cache
    path = Path(path)
    if not path.is_absolute():
        return None
    path = path.resolve()
    if path == cache or not path.is_relative_to(cache):
        return None
    return cache / path.relative_to(cache).parts[0]


def remove_entry(entry: Path) -> None:
    """Delete a cache entry (a folder or a file); gone already is fine."""
    if entry.is_dir() and not entry.is_symlink():
        shutil.rmtree(entry, ignore_errors=True)
    else:
        entry.unlink(missing_ok=True)


class SessionStore:
    """Sessions by Gradio session hash, each with its own folder under one root."""

    def __init__(self, root: Path | None = None, idle_seconds: float = 3 * 3600) -> None:
        self.root = Path(root) if root else Path(tempfile.mkdtemp(prefix="hnerv-restore-app-"))
        self.root.mkdir(parents=True, exist_ok=True)
        self.idle_seconds = idle_seconds
        # The cache entries the app itself keeps for every visitor (the example clip's copy):
        # never a session's to remove. The app sets it once its components exist.
        self.kept: Callable[[], set[Path]] = set
        self._sessions: dict[str, Session] = {}
        self._closed: dict[str, float] = {}  # session hash -> when its tab closed
        self._lock = threading.Lock()
        atexit.register(self.close_all)

    def get(self, session_hash: str | None) -> Session:
        """The session of ``session_hash`` (created on first use)."""
        key = session_hash or f"anonymous-{uuid.uuid4().hex}"
        self.sweep()
        with self._lock:
            session = self._sessions.get(key)
            if session is None or session.closed:
                directory = self.root / uuid.uuid4().hex
                directory.mkdir()
                session = Session(directory)
                self._sessions[key] = session
            session.last_used = time.monotonic()
            return session

    def record(self, session_hash: str | None, paths: Iterable[str | Path]) -> None:
        """Files Gradio read or wrote for an event of ``session_hash``: kept on its session, so
        they go when the tab closes; removed at once if the tab has closed already (a fit that
        outlived its tab hands its result over afterwards). Events without a session (Gradio's
        own example caching) are left to ``delete_cache``."""
        if not session_hash:
            return
        entries = {entry for path in paths if (entry := cache_entry(path)) is not None}
        if not entries:
            return
        with self._lock:
            closed = session_hash in self._closed and session_hash not in self._sessions
        if closed:
            self._remove_unused(entries)
            return
        session = self.get(session_hash)
        with self._lock:  # a close elsewhere reads every session's entries under the lock
            session.cache_entries.update(entries)

    def close(self, session_hash: str | None) -> None:
        """End a session: stop its fit and remove its folder (after the fit, if one runs)."""
        with self._lock:
            session = self._sessions.pop(session_hash or "", None)
            if session_hash:
                self._closed[session_hash] = time.monotonic()
        if session is None:
            return
        session.closed = True
        session.stop.set()
        session.result = None
        self._forget_cache(session)
        if not session.busy:
            shutil.rmtree(session.directory, ignore_errors=True)

    def _forget_cache(self, session: Session) -> None:
        """Remove the session's Gradio cache entries that no open session still uses."""
        self._remove_unused(session.cache_entries)
        session.cache_entries.clear()

    def _remove_unused(self, entries: set[Path]) -> None:
        """Delete the cache entries that no open session uses and the app does not keep."""
        with self._lock:
            used = set().union(*(other.cache_entries for other in self._sessions.values()))
        self._remove_ours(set(entries) - used)

    def _remove_ours(self, entries: Iterable[Path]) -> None:
        """Delete cache entries, but never one the app keeps, nor one that holds the sessions'
        own root (a cache folder set above the app's work folder)."""
        kept, root = self.kept(), self.root.resolve()
        for entry in entries:
            if entry not in kept and not root.is_relative_to(entry):
                remove_entry(entry)

    def release(self, session: Session) -> None:
        """Called when a fit ends: finish a close that waited for it."""
        session.busy = False
        session.last_used = time.monotonic()
        if session.closed:
            self._forget_cache(session)  # what the finished fit handed to Gradio meanwhile
            shutil.rmtree(session.directory, ignore_errors=True)

    def sweep(self) -> None:
        """Remove sessions idle for longer than ``idle_seconds`` (clients that never unload)."""
        now = time.monotonic()
        with self._lock:
            for key, closed_at in list(self._closed.items()):
                if now - closed_at > self.idle_seconds:  # no late event comes after this long
                    del self._closed[key]
            stale = [
                key
                for key, session in self._sessions.items()
                if not session.busy and now - session.last_used > self.idle_seconds
            ]
        for key in stale:
            self.close(key)

    def close_all(self) -> None:
        """Remove every session folder and the root (app shutdown)."""
        with self._lock:
            sessions = list(self._sessions.values())
            self._sessions.clear()
        for session in sessions:
            session.stop.set()
            self._remove_ours(session.cache_entries)
        shutil.rmtree(self.root, ignore_errors=True)

    def __len__(self) -> int:
        return len(self._sessions)
