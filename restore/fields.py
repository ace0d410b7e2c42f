"""Config fields that a front end exposes: declared once, with their help text, on the dataclass
that owns them (nerfstudio's habit). ``restore.config.FRONT_END_OPTIONS`` walks the config tree
and the CLI is generated from it, so an option is spelled in one place."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

MISSING: Any = dataclasses.MISSING


def option(
    default: Any = MISSING,
    *,
    help: str,  # noqa: A002 - the word every CLI library uses
    flag: str | None = None,
    parse: Callable[[str], Any] | None = None,
    default_factory: Callable[[], Any] | Any = MISSING,
) -> Any:
    """A dataclass field that front ends offer as an option.

    Args:
        default: The field's default (or ``default_factory``).
        help: One line for ``--help``.
        flag: The option's flat name when it is not the field's (``model_size`` for
            ``ModelOptions.size``); the CLI spells it ``--model-size``.
        parse: Turns the command line's text into the field's value (durations, sizes); None:
            the field's own type.
    """
    metadata = {"help": help, "flag": flag, "parse": parse}
    if default_factory is not MISSING:
        return dataclasses.field(default_factory=default_factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)
