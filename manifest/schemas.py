"""Offline validation against the official manifest and card schemas, with readable messages."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from importlib import resources
from typing import Any

# types-jsonschema is not among the test dependencies; the ignore covers both cases.
from jsonschema import (  # type: ignore[import-untyped,unused-ignore]
    Draft4Validator,
    Draft6Validator,
)
from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped,unused-ignore]
from jsonschema.protocols import Validator  # type: ignore[import-untyped,unused-ignore]
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource

MANIFEST_SCHEMA = "teams-manifest-1.30.schema.json"
CARD_SCHEMA = "adaptive-card-1.5.schema.json"
MANIFEST_VERSION = "1.30"
MANIFEST_SCHEMA_URL = (
    "https://developer.microsoft.com/json-schemas/teams/v1.30/MicrosoftTeams.schema.json"
)

# Teams reads `msteams` on the card (width "Full", mention entities); the published 1.5 schema
# does not list it and forbids unlisted properties, so the Teams variant adds it, and only it.
TEAMS_CARD_EXTRAS: dict[str, Any] = {
    "msteams": {
        "type": "object",
        "properties": {
            "width": {"enum": ["Full"]},
            "entities": {"type": "array", "items": {"type": "object"}},
        },
    }
}


def _refuse(uri: str) -> Resource[Any]:
    # The default registry of jsonschema downloads unknown $refs; the package must build offline.
    raise NoSuchResource(uri)


OFFLINE = Registry(retrieve=_refuse)  # type: ignore[call-arg]


def load(name: str) -> dict[str, Any]:
    """One of the bundled schemas, parsed."""
    text = resources.files("manifest.schema").joinpath(name).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def manifest_validator() -> Validator:
    return Draft4Validator(load(MANIFEST_SCHEMA), registry=OFFLINE)


@cache
def card_validator(*, teams: bool = True) -> Validator:
    """The Adaptive Cards 1.5 validator; `teams=True` also accepts the card's `msteams` property."""
    schema = load(CARD_SCHEMA)
    # The root is `anyOf` one branch; checking that branch directly gives errors with a path.
    del schema["anyOf"]
    schema["allOf"] = [{"$ref": "#/definitions/AdaptiveCard"}]
    if teams:
        card = schema["definitions"]["AdaptiveCard"]
        card["properties"] = {**card["properties"], **TEAMS_CARD_EXTRAS}
    return Draft6Validator(schema, registry=OFFLINE)


def problems(validator: Validator, instance: Any) -> list[str]:
    """Every schema violation as `path: what is wrong (rule)`, sorted by path."""
    found = [describe(leaf) for error in validator.iter_errors(instance) for leaf in _leaves(error)]
    return sorted(set(found))


def _leaves(error: ValidationError) -> Iterator[ValidationError]:
    """For anyOf/oneOf, the failures of the branch the instance was meant for (by its `type`)."""
    if not error.context:
        yield error
        return
    branches: dict[int, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0] if sub.relative_schema_path else 0,
                            []).append(sub)
    meant = [errs for errs in branches.values() if not any(_is_type_mismatch(e) for e in errs)]
    if len(meant) == 1:
        for sub in meant[0]:
            yield from _leaves(sub)
    else:
        yield error


def _is_type_mismatch(error: ValidationError) -> bool:
    """Whether this branch was for another element type (its `type` enum did not match)."""
    if error.validator in ("enum", "const") and list(error.path)[-1:] == ["type"]:
        return True
    return any(_is_type_mismatch(sub) for sub in error.context or ())


def path_of(parts: Iterable[str | int]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def short(value: Any, limit: int = 40) -> str:
    if isinstance(value, str) and len(value) > limit:
        return repr(value[: limit - 1] + "…")
    text = repr(value)
    return text if len(text) <= limit + 2 else text[: limit - 1] + "…"


def describe(error: ValidationError) -> str:
    path = list(error.absolute_path)
    rule = error.validator
    limit = error.validator_value
    if rule == "required" and isinstance(error.instance, Mapping):
        missing = [name for name in limit if name not in error.instance]
        return f"{path_of([*path, missing[0]])}: is required but missing (required)"
    where = path_of(path) or "(root)"
    value = short(error.instance)
    if rule == "maxLength":
        return f"{where}: {value} is too long (maximum {limit} characters)"
    if rule == "minLength":
        return f"{where}: {value} is too short (minimum {limit} characters)"
    if rule == "maxItems":
        return f"{where}: has {len(error.instance)} items (maximum {limit})"
    if rule == "pattern":
        return f"{where}: {value} does not match the pattern {limit!r}"
    if rule in ("enum", "const"):
        return f"{where}: {value} is not allowed (must be one of {short(limit, 80)})"
    if rule == "additionalProperties":
        return f"{where}: {error.message} (additionalProperties)"
    if rule == "type":
        return f"{where}: {value} is not of type {limit!r} (type)"
    return f"{where}: {error.message[:200]} ({rule})"
