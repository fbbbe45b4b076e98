"""Errors a user can cause and fix: the command line prints them as one sentence."""

from __future__ import annotations

from pydantic import ValidationError


class UserError(Exception):
    """A mistake in a user's input: printed as one sentence, no traceback, exit code 2."""


def describe_validation(source: str, error: ValidationError, prefix: str = "") -> str:
    """One sentence naming the file, the field path and what is allowed, for the first error."""
    first = error.errors()[0]
    path = ".".join(str(p) for p in first["loc"] if not str(p).startswith("function-"))
    if prefix:
        path = f"{prefix}.{path}" if path else prefix
    kind = first["type"]
    if kind == "extra_forbidden":
        return f"{source}: unknown field '{path}' (check its spelling and its section)."
    if kind == "missing":
        return f"{source}: field '{path}' is required."
    got = first.get("input")
    message = first["msg"]
    message = message[0].lower() + message[1:] if message else message
    if isinstance(got, (dict, list)) or got is None:
        return f"{source}: field '{path}': {message}."
    return f"{source}: field '{path}': {message} (got {got!r})."
