"""Error and warning types of the project, defined in its lowest layer so every package uses them.

Bad input raises `InputError` (a `ValueError`) naming the argument, the expected and the actual
value (see ARCHITECTURE.md, "Errors"); a missing file or folder raises `MissingPathError`, which is
also a `FileNotFoundError`. Front ends turn exactly these into one `error:` line and exit code 2;
any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations


class InputError(ValueError):
    """A user-supplied video, mask, path or option is unusable; the message says why."""


class MissingPathError(InputError, FileNotFoundError):
    """A file or folder the user named does not exist."""


class MaskWarning(UserWarning):
    """A mask is usable but probably not what the user meant (for example, it is empty)."""
