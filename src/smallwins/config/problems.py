"""pydantic's validation errors said in smallwins' words: the bad value and what is expected.

pydantic's own messages ("Input should be a valid dictionary or instance of QuietHours")
name its types, not the config's; a person reads what they wrote and what to write instead.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

from pydantic_core import ErrorDetails

# Variables that choose where the config is, not what it says.
NOT_KEYS = {
    "SMALLWINS_HOME",
    "SMALLWINS_CONFIG",
    "SMALLWINS_LOAD_PLUGINS",
    "SMALLWINS_TRACE_PLUGINS",
}


def key_path(loc: Sequence[str | int]) -> str:
    """``notify.urls[0].tags``: the key as a person finds it in the file."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def show(value: Any) -> str:
    """A value as it is written in TOML, short."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict):
        return "a table" if value else "{}"
    if isinstance(value, list | tuple):
        return "a list" if value else "[]"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _bounded(error: ErrorDetails, shown: str) -> str | None:
    ctx = error.get("ctx") or {}
    bounds = {
        "greater_than": ("too small", "more than", "gt"),
        "greater_than_equal": ("too small", "at least", "ge"),
        "less_than": ("too large", "less than", "lt"),
        "less_than_equal": ("too large", "at most", "le"),
    }
    if error["type"] not in bounds:
        return None
    size, relation, name = bounds[error["type"]]
    return f"{shown} is {size}: it must be {relation} {show(ctx.get(name))}"


def describe(error: ErrorDetails) -> str:
    """One error: the value that was given and what the key takes."""
    kind = error["type"]
    shown = show(error.get("input"))
    ctx = error.get("ctx") or {}
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    if kind == "extra_forbidden":
        return "unknown key; check its spelling in docs/configuration.md"
    if kind == "missing":
        return "this key is required"
    bounded = _bounded(error, shown)
    if bounded:
        return bounded
    said = {
        ("float_parsing", "float_type"): "is not a number",
        ("int_parsing", "int_type", "int_from_float"): "is not a whole number",
        ("bool_parsing", "bool_type"): "is not true or false",
        ("string_type",): "is not text; write it in quotes",
        ("time_parsing", "time_type"): "is not a time like 07:30",
        ("path_type",): "is not a path; write it in quotes",
        ("list_type", "tuple_type", "set_type"): 'is not a list; write it as ["..."]',
        ("dict_type", "model_type", "model_attributes_type", "dataclass_type"): (
            "is not a table; write it as [name] with its keys below, or { key = value }"
        ),
    }
    for kinds, words in said.items():
        if kind in kinds:
            return f"{shown} {words}"
    if kind == "literal_error":
        return f"{shown} is not one of {ctx.get('expected')}"
    if kind in ("too_short", "string_too_short"):
        least = ctx.get("min_length")
        noun = "character" if kind == "string_too_short" else "item"
        return f"{shown} is too short: it needs at least {least} {noun}{'s' * (least != 1)}"
    if kind in ("too_long", "string_too_long"):
        most = ctx.get("max_length")
        return f"{shown} is too long: it takes at most {most}"
    # A kind not listed above: pydantic's words, with the value they are about.
    return f"{shown}: {str(error['msg']).removeprefix('Value error, ')}"


def relevant(errors: Sequence[ErrorDetails]) -> list[ErrorDetails]:
    """The errors worth telling, the cause first: a typo before the key it makes "missing",
    and no "too short" for a list whose item was the real problem."""
    locs = [tuple(e["loc"]) for e in errors]
    kept = [
        error
        for error, loc in zip(errors, locs, strict=True)
        if not (
            error["type"] == "too_short"
            and any(other[: len(loc)] == loc and other != loc for other in locs)
        )
    ]
    return sorted(kept, key=lambda e: e["type"] != "extra_forbidden")


def env_not_json(field: str) -> tuple[str, str] | None:
    """The variable for ``field`` that holds what should be JSON, and the key it sets."""
    prefix = "SMALLWINS_" + field.upper()
    for name, value in sorted(os.environ.items()):
        if name in NOT_KEYS or not (name == prefix or name.startswith(prefix + "__")):
            continue
        try:
            json.loads(value)
        except ValueError:
            key = ".".join(part.lower() for part in name.removeprefix("SMALLWINS_").split("__"))
            return name, key
    return None
