"""Errors raised for bad user input, and the one handler every front end wraps its commands in.

``InputError`` (a ``ValueError``) and ``MissingPathError`` (also a ``FileNotFoundError``) are
defined in ``masks.errors``, the lowest layer, so that every package raises the same types.
"""

from __future__ import annotations

import sys

from masks.errors import InputError, MissingPathError

__all__ = ["ExitOnBadInput", "InputError", "MissingPathError"]


class ExitOnBadInput:
    """Turns the project's input errors into one line on stderr and exit code 2.

    Only ``InputError`` (``MissingPathError`` included) counts as bad input: any other exception
    is a bug in our code and keeps its traceback (and Python's exit code 1). Ctrl-C prints
    ``interrupt_message`` and exits with 130. With ``debug`` every traceback is shown.
    """

    def __init__(self, debug: bool = False, interrupt_message: str = "interrupted") -> None:
        self.debug = debug
        self.interrupt_message = interrupt_message

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, error, traceback) -> bool:
        if error is None or self.debug:
            return False
        if isinstance(error, InputError):
            print(f"error: {error}", file=sys.stderr)
            raise SystemExit(2)
        if isinstance(error, KeyboardInterrupt):
            print(self.interrupt_message, file=sys.stderr)
            raise SystemExit(130)
        return False
