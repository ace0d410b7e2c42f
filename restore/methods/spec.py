"""Method specs: a method's name with its options, ``name[:key=value[,key=value...]]``.

Wherever a method is named (the CLI's ``--method``, the harness's ``--methods``, the app's advanced
settings), options can ride along: ``telea:radius=5``, ``hybrid:network=none,temporal_passes=0``.
Values are typed by the option's default (bool, int, float, str; ``none`` for an option whose
default is None), so ``hybrid:temporal_passes=two`` is a one-line error, not a traceback deep in
the method. A list of specs (``--methods hybrid,hybrid:network=none,telea``) is split on commas;
a ``key=value`` item continues the spec before it (method names never contain ``=``).

This module is syntax and typing only; which options a method takes comes from its registry
entry (``restore.methods.Method.options``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from masks.checks import fail
from masks.errors import InputError

_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


@dataclass(frozen=True)
class MethodSpec:
    """A registered method's name and the options given with it (typed)."""

    name: str
    options: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        if not self.options:
            return self.name
        return f"{self.name}:" + ",".join(f"{k}={_format(v)}" for k, v in self.options.items())


def _format(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def split_specs(text: str) -> list[str]:
    """``"a,b:x=1,y=2,c"`` -> ``["a", "b:x=1,y=2", "c"]``; empty items are dropped."""
    specs: list[str] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        if "=" in item and ":" not in item.split("=", 1)[0] and specs and ":" in specs[-1]:
            specs[-1] += "," + item
        else:
            specs.append(item)
    return specs


def split_name(text: str) -> tuple[str, dict[str, str]]:
    """``"hybrid:network=none"`` -> ``("hybrid", {"network": "none"})``, values still text."""
    name, _, rest = text.strip().partition(":")
    raw: dict[str, str] = {}
    for item in (part.strip() for part in rest.replace(":", ",").split(",")):
        if not item:
            continue
        key, equals, value = item.partition("=")
        if not equals or not key.strip():
            raise fail("method options", "key=value items such as network=none", repr(item))
        raw[key.strip().replace("-", "_")] = value.strip()
    return name.strip(), raw


def coerce(method: str, key: str, value: Any, default: Any) -> Any:
    """``value`` (text from a command line, or already typed) as the type of ``default``."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    argument = f"{method}:{key}"
    if default is None:
        if text.lower() == "none":
            return None
        for kind in (int, float):
            try:
                return kind(text)
            except ValueError:
                pass
        return text
    if isinstance(default, bool):
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise fail(argument, "true or false", repr(text))
    if isinstance(default, int):
        try:
            return int(text)
        except ValueError:
            raise fail(argument, "an integer", repr(text)) from None
    if isinstance(default, float):
        try:
            return float(text)
        except ValueError:
            raise fail(argument, "a number", repr(text)) from None
    return text


def resolve_options(
    method: str, given: Mapping[str, Any], defaults: Mapping[str, Any]
) -> dict[str, Any]:
    """``given`` checked against the method's option ``defaults`` and typed like them.

    Raises:
        InputError: an option the method does not take (the valid ones listed), or a value that
            does not read as the option's type.
    """
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        valid = ", ".join(sorted(defaults)) or f"none ({method} takes no options)"
        raise InputError(f"unknown {method} option(s) {', '.join(unknown)}; valid: {valid}")
    return {key: coerce(method, key, value, defaults[key]) for key, value in given.items()}
