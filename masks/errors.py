"""Error and warning types of the masks package.

Bad input raises `ValueError` naming the argument, the expected and the actual value (see
ARCHITECTURE.md, "Errors"); a missing file or folder raises `MissingPathError`, which is both a
`FileNotFoundError` and a `ValueError` so that front ends catching either report it.
"""

from __future__ import annotations


class MissingPathError(FileNotFoundError, ValueError):
    """A file or folder the user named does not exist."""


class MaskWarning(UserWarning):
    """A mask is usable but probably not what the user meant (for example, it is empty)."""
