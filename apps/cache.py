"""Which files in Gradio's cache belong to which visitor, read where they cross Gradio's boundary.

Gradio 6 keeps every upload and every file a component shows in its cache folder
(``GRADIO_TEMP_DIR``, else ``<tmp>/gradio``), one sub-folder per content hash. Its own clean-up,
``gr.Blocks(delete_cache=(frequency, age))``, deletes by age the files it registered (not their
folders), whichever tab they belong to, and it does not delete per session (gradio-app/gradio
issue 8098). Many of a tab's files reach no handler as a path: the image editor's uploaded
background, composite and layers arrive as arrays, the first frame the editor shows is encoded by
its postprocess, an upload a handler rejects is never kept. So `SessionBlocks` reads the cached
paths of every event's inputs (before any preprocessing, so a rejected upload counts) and of its
postprocessed outputs, and hands them to `apps.sessions.SessionStore.record`, which removes them
with the session when the tab closes. ``delete_cache`` stays the backstop for clients that never
close.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import gradio as gr
from gradio import utils as gradio_utils
from gradio.data_classes import FileData, ListFiles
from gradio_client import utils as client_utils

from apps.sessions import cache_entry, gradio_cache

# The session of the event whose outputs are being postprocessed (set around each event).
_event_session: ContextVar[str | None] = ContextVar("event_session", default=None)


def file_paths(value: Any) -> Iterator[str]:
    """The ``path`` of every file value (a ``FileData``, as a dict or a model) in ``value``."""
    if hasattr(value, "model_dump"):
        value = value.model_dump()
    if isinstance(value, dict):
        path = value.get("path")
        if isinstance(path, str):
            yield path
        for item in value.values():
            yield from file_paths(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from file_paths(item)


class SessionBlocks(gr.Blocks):
    """`gr.Blocks` that reports, per event, the cached files it read or wrote for the session.

    Args:
        on_files: called with the session hash and the file paths of one event's inputs, then
            with those of its outputs (every postprocess of a streaming event).
        **kwargs: `gr.Blocks`' own.
    """

    def __init__(self, *, on_files: Callable[[str | None, list[str]], None], **kwargs: Any):
        super().__init__(**kwargs)
        self.on_files = on_files

    async def process_api(
        self,
        block_fn,
        inputs,
        state=None,
        request=None,
        iterator=None,
        session_hash=None,
        *args: Any,
        **kwargs: Any,
    ) -> dict[str, Any]:
        session = session_hash or getattr(request, "session_hash", None)
        self.on_files(session, list(file_paths(inputs)))  # before a check can reject them
        token = _event_session.set(session)
        try:
            return await super().process_api(
                block_fn, inputs, state, request, iterator, session_hash, *args, **kwargs
            )
        finally:
            _event_session.reset(token)

    async def postprocess_data(self, block_fn, predictions, state) -> list[Any]:
        # Full values, before a streaming event's outputs are turned into diffs.
        data = await super().postprocess_data(block_fn, predictions, state)
        session = _event_session.get()
        if session is not None:
            self.on_files(session, list(file_paths(data)))
        return data

    def kept_in_cache(self) -> set[Path]:
        """The cache entries Gradio keeps for every visitor: examples and default values."""
        cache = gradio_cache()
        blocks = self.blocks.values()
        paths = (path for block in blocks for path in getattr(block, "keep_in_cache", ()))
        return {entry for path in paths if (entry := cache_entry(path, cache)) is not None}


def without_empty_temp_files(files: gr.File) -> gr.File:
    """``files`` (a `gr.File` of type ``filepath``), its preprocess handing over the uploads' own
    paths and nothing more.

    `gr.File`'s preprocess also creates an empty temporary file in the cache folder for every
    file of every event, and never deletes it; nothing reads it, and no session could tell which
    of them are its own. The method is replaced on the instance: a subclass would make Gradio
    write a ``.pyi`` stub next to this module at import. The app never updates this component,
    so Gradio never swaps the instance for a per-session copy. The file-type check is
    `gr.File`'s.
    """
    own_preprocess = files.preprocess

    def preprocess(payload: FileData | ListFiles | None) -> Any:
        if payload is None or files.type != "filepath":
            return own_preprocess(payload)
        items = list(payload.root) if isinstance(payload, ListFiles) else [payload]
        for item in items:
            if files.file_types and not client_utils.is_valid_file(item.path, files.file_types):
                raise gr.Error(
                    "Invalid file type. Please upload a file that is one of these formats: "
                    f"{files.file_types}"
                )
        paths = [gradio_utils.NamedString(item.path) for item in items]
        return paths[0] if files.file_count == "single" else paths

    files.preprocess = preprocess  # type: ignore[method-assign]
    return files
