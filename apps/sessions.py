"""Per-visitor state: a private temporary folder, a stop flag and the last result.

Gradio identifies a browser tab (or a `gradio_client.Client`) by its session hash. The store maps
each hash to a `Session`; folders get random names, so a session hash never becomes a path. A
session's folder is removed when the tab closes (`Blocks.unload`), when it has been idle longer
than ``idle_seconds``, or when the app shuts down.

Gradio keeps its own copy of every upload and of every file a handler returns, in its cache
folder, at ``<cache>/<sha256 of the content>/<name>``. Each session records those folders
(`Session.track_upload`, `Session.track_output`) and they are removed with the session, unless
another open session uses the same content; so a closed tab's results are no longer served.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass
class RunResult:
    """What the before/after slider needs after a run: ``(T, H, W, 3)`` uint8 RGB frames."""

    before: np.ndarray
    after: np.ndarray


@dataclass
class Session:
    """One visitor's files and flags."""

    directory: Path
    stop: threading.Event = field(default_factory=threading.Event)
    busy: bool = False  # a fit (or a timing probe) is running for this session
    closed: bool = False  # the tab went away; remove the folder once the fit ends
    last_used: float = field(default_factory=time.monotonic)
    result: RunResult | None = None
    runs: int = 0
    cache_folders: set[Path] = field(default_factory=set)  # Gradio's copies of our files

    def track_upload(self, path: Path) -> None:
        """Remember the Gradio cache folder of an upload (``<cache>/<hash>/<name>``)."""
        path = Path(path).resolve()
        if path.parent != gradio_cache() and path.is_relative_to(gradio_cache()):
            self.cache_folders.add(path.parent)

    def track_output(self, path: Path) -> None:
        """Remember where Gradio will keep its copy of a file a handler returns."""
        from gradio.processing_utils import hash_file

        if Path(path).is_file():
            self.cache_folders.add(gradio_cache() / hash_file(path))

    def new_run_directory(self) -> Path:
        """A fresh folder for one run's outputs; the previous run's files are removed."""
        for old in self.directory.glob("run-*"):
            shutil.rmtree(old, ignore_errors=True)
        self.runs += 1
        path = self.directory / f"run-{self.runs}"
        path.mkdir(parents=True)
        return path

    def scratch_directory(self, name: str) -> Path:
        """An emptied sub-folder for inputs the app writes (a drawn mask, mask frames)."""
        path = self.directory / name
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        return path


def gradio_cache() -> Path:
    """Gradio's cache folder (``GRADIO_TEMP_DIR``, else ``<tmp>/gradio``)."""
    from gradio.utils import get_upload_folder

    return Path(get_upload_folder()).resolve()


class SessionStore:
    """Sessions by Gradio session hash, each with its own folder under one root."""

    def __init__(self, root: Path | None = None, idle_seconds: float = 3 * 3600) -> None:
        self.root = Path(root) if root else Path(tempfile.mkdtemp(prefix="hnerv-restore-app-"))
        self.root.mkdir(parents=True, exist_ok=True)
        self.idle_seconds = idle_seconds
        self._sessions: dict[str, Session] = {}
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

    def close(self, session_hash: str | None) -> None:
        """End a session: stop its fit and remove its folder (after the fit, if one runs)."""
        with self._lock:
            session = self._sessions.pop(session_hash or "", None)
        if session is None:
            return
        session.closed = True
        session.stop.set()
        session.result = None
        self._forget_cache(session)
        if not session.busy:
            shutil.rmtree(session.directory, ignore_errors=True)

    def _forget_cache(self, session: Session) -> None:
        """Remove the session's Gradio cache folders that no open session still uses."""
        with self._lock:
            used = set().union(*(other.cache_folders for other in self._sessions.values()))
        for folder in session.cache_folders - used:
            shutil.rmtree(folder, ignore_errors=True)
        session.cache_folders.clear()

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
            for folder in session.cache_folders:
                shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(self.root, ignore_errors=True)

    def __len__(self) -> int:
        return len(self._sessions)
