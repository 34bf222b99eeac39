"""JSON Schema keywords for the config models, from the same declarations validation uses.

Each model's JSON Schema gets, per property, the bounds of the AWS limits its component's checks name
(:class:`~mw_components.checks.Limited`: lengths, ranges, counts, enums, and patterns where AWS's pattern reads
the same in JSON Schema's regular expressions) and the values of a :class:`~mw_components.checks.OneOf`. A key
that is not required also takes ``null``, as validation does (``description:`` with nothing after it is absent).
The schema may accept what validation refuses (a rule across keys, a pattern only Python can say), never the
other way round: an editor must not flag a stack file the program takes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mw_components.checks import Each, Limited, OneOf

from mw_core.limits import INT32_MAX, Limit

__all__ = ["schema_extra"]

_TYPES = {"string": "string", "blob": "string", "integer": "integer", "list": "array", "map": "object"}


def keywords(limit: Limit) -> tuple[str | None, dict[str, Any]]:
    """The JSON type a limit applies to, and its keywords."""
    if limit.kind == "enum":
        return "string", {"enum": list(limit.values)}
    lower, upper = {"string": ("minLength", "maxLength"), "blob": ("minLength", "maxLength"),
                    "integer": ("minimum", "maximum"), "list": ("minItems", "maxItems"),
                    "map": ("minProperties", "maxProperties")}[limit.kind]
    out: dict[str, Any] = {}
    if limit.min is not None:
        out[lower] = limit.min
    if limit.max is not None or limit.kind == "integer":
        out[upper] = INT32_MAX if limit.max is None else limit.max
    # A blob's maximum is in bytes: as characters it is looser, never stricter.
    pattern = limit.aws_pattern if limit.python_pattern is None and limit.kind == "string" else None
    if pattern is not None and r"\p{" not in pattern:
        out["pattern"] = f"^(?:{pattern})$"  # AWS means the whole value (limits.check: fullmatch); JSON Schema searches
    return _TYPES[limit.kind], out


def _branches(schema: dict[str, Any], json_type: str | None) -> Iterable[dict[str, Any]]:
    """The parts of a property's schema a keyword for ``json_type`` belongs in."""
    options = schema.get("anyOf", [schema])
    for option in options:
        if json_type is None or option.get("type") == json_type:
            yield option


def _apply(schema: dict[str, Any], checks: Iterable[Any]) -> None:
    for check in checks:
        if isinstance(check, Limited):
            json_type, found = keywords(check.limit)
            for branch in _branches(schema, json_type):
                branch.update(found)
        elif isinstance(check, OneOf):
            for branch in _branches(schema, None):
                if branch.get("type") != "null":
                    branch["enum"] = list(check.values)
        elif isinstance(check, Each):
            for branch in _branches(schema, "array"):
                if isinstance(branch.get("items"), dict):
                    _apply(branch["items"], check.checks)


def schema_extra(schema: dict[str, Any], model: type) -> None:
    """``json_schema_extra`` of the config models: bounds from the component checks, ``null`` for optional keys,
    no generated titles."""
    if "description" in schema:
        schema["description"] = " ".join(schema["description"].split())
    checks = model.field_checks()  # type: ignore[attr-defined]
    names = {info.alias or name: name for name, info in model.model_fields.items()}  # type: ignore[attr-defined]
    required = set(schema.get("required", ()))
    for key, prop in schema.get("properties", {}).items():
        prop.pop("title", None)
        if "description" in prop:
            prop["description"] = " ".join(prop["description"].split())  # attribute docstrings keep their lines
        _apply(prop, checks.get(names.get(key, key), ()))
        if key not in required and not _takes_null(prop):
            _allow_null(prop)


def _takes_null(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "null" or any(option.get("type") == "null" for option in schema.get("anyOf", ()))


def _allow_null(schema: dict[str, Any]) -> None:
    """Let ``schema`` take ``null`` too, as plainly as it allows (so errors stay where the value is)."""
    if isinstance(schema.get("type"), str) and "anyOf" not in schema and "$ref" not in schema:
        schema["type"] = [schema["type"], "null"]
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
    elif "anyOf" in schema:
        schema["anyOf"].append({"type": "null"})
    else:
        keep = {k: schema.pop(k) for k in ("description", "default") if k in schema}
        inner = dict(schema)
        schema.clear()
        schema.update({"anyOf": [inner, {"type": "null"}], **keep})
