"""Errors a user can cause and fix: the command line prints them as one sentence."""

from __future__ import annotations

import re

import difflib
import typing

from pydantic import BaseModel, ValidationError


class UserError(Exception):
    """A mistake in a user's input: printed as one sentence, no traceback, exit code 2."""


def _section(model: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """The model class of the section at ``loc`` (field names into nested models), if there is one."""
    for key in loc:
        field = model.model_fields.get(str(key))
        if field is None:
            return None
        inner = [t for t in (field.annotation, *typing.get_args(field.annotation)) if isinstance(t, type) and issubclass(t, BaseModel)]
        if not inner:
            return None
        model = inner[0]
    return model


def _unknown_field(path: str, model: type[BaseModel] | None, loc: tuple) -> str:
    """Why a field is unknown: the closest allowed name, or the allowed names of its section."""
    section = _section(model, loc[:-1]) if model is not None else None
    if section is None:
        return f"unknown field '{path}' (check its spelling and its section)"
    allowed = list(section.model_fields)
    close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
    if close:
        return f"unknown field '{path}'; did you mean '{close[0]}'?"
    return f"unknown field '{path}'; its section allows: {', '.join(allowed)}"


def describe_validation(source: str, error: ValidationError, prefix: str = "", model: type[BaseModel] | None = None) -> str:
    """One sentence naming the file, the field path and what is allowed, for the first error (``model``: the
    validated class, to name the allowed fields when one is unknown)."""
    first = error.errors()[0]
    path = ".".join(str(p) for p in first["loc"] if not str(p).startswith("function-"))
    if prefix:
        path = f"{prefix}.{path}" if path else prefix
    kind = first["type"]
    if kind == "extra_forbidden":
        reason = _unknown_field(path, model, tuple(first["loc"]))
        return f"{source}: {reason}" + ("" if reason.endswith("?") else ".")
    if kind == "missing":
        return f"{source}: field '{path}' is required."
    got = first.get("input")
    message = first["msg"]
    if kind == "value_error":  # a validator's own sentence; "FIELD: what is wrong" names the field within the one validated
        message = message.removeprefix("Value error, ")
        named = re.match(r"^([A-Za-z_][\w.\[\]=-]*): (.*)$", message, re.S)
        if named:
            path = f"{path}.{named.group(1)}" if path else named.group(1)
            message = named.group(2)
        return f"{source}: field '{path}': {message}."
    message = message[0].lower() + message[1:] if message else message
    if isinstance(got, (dict, list)) or got is None:
        return f"{source}: field '{path}': {message}."
    return f"{source}: field '{path}': {message} (got {got!r})."
