"""Errors raised for bad user input; front ends turn them into one-line messages (exit code 2)."""


class InputError(ValueError):
    """A user-supplied video, mask, path or option is unusable; the message says why."""
