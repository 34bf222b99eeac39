"""Reading resource properties as the engine sends them, and writing violation messages.

The engine sends camelCase keys, every number as a float, nested objects as mappings, and, during a
preview, *unknown* values for whatever depends on a resource not created yet. pulumi_policy wraps the
properties in proxies that raise ``UnknownValueError`` when an unknown is touched (even by ``in`` or
``.get``). :func:`plain` walks the proxies once and returns ordinary dicts and lists in which every
unknown is the :data:`UNKNOWN` sentinel, so a rule tests ``value is UNKNOWN`` and skips that check
instead of crashing or being reported as "can't run during preview" as a whole.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import ResourceValidationArgs

from mw_core.limits import Limit, check, describe_value, whole

from . import _pulumi_policy as internals
from ._pulumi_policy import UnknownValueError

# The engine's placeholders for unknown values; a plain dict built by hand in a test, or a value read past the
# proxies, carries these strings rather than raising.
_UNKNOWN_SENTINELS = internals.UNKNOWN_SENTINELS


class _Unknown:
    """A value that is not known during preview."""

    __slots__ = ()
    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<unknown>"

    def __bool__(self) -> bool:
        raise TypeError("an unknown value has no truth value; test `is UNKNOWN` first")


UNKNOWN: Any = _Unknown()


def plain(value: Any) -> Any:
    """``value`` with the proxies replaced by dicts and lists and every unknown by :data:`UNKNOWN`."""
    if isinstance(value, str):
        return UNKNOWN if value in _UNKNOWN_SENTINELS else value
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key in value:  # iterating keys never touches a value, so it never raises
            try:
                out[key] = plain(value[key])
            except UnknownValueError:
                out[key] = UNKNOWN
        return out
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        items: list[Any] = []
        for index in range(len(value)):
            try:
                items.append(plain(value[index]))
            except UnknownValueError:
                items.append(UNKNOWN)
        return items
    return value


def get(obj: Any, *path: str | int) -> Any:
    """The value at ``path``: ``None`` when a key is missing (the provider default applies), UNKNOWN when
    it, or anything on the way to it, is unknown."""
    for key in path:
        if obj is UNKNOWN:
            return UNKNOWN
        if isinstance(key, int):
            if not isinstance(obj, list) or not -len(obj) <= key < len(obj):
                return None
            obj = obj[key]
        else:
            if not isinstance(obj, dict):
                return None
            obj = obj.get(key)
    return obj


def contains_unknown(value: Any) -> bool:
    """Whether ``value`` is, or holds anywhere inside it, an unknown."""
    if value is UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_unknown(v) for v in value)
    return False


def show(value: Any) -> str:
    """A received value as a message shows it."""
    return "an unknown value" if value is UNKNOWN else describe_value(value)


def subject(type_label: str, name: str) -> str:
    """How a message names a resource: ``MaintenanceWindow 'nightly-patching'``."""
    return f"{type_label} '{name}'"


def type_name(resource_type: str) -> str:
    """The type a token names, as messages name it: ``MaintenanceWindow`` for
    ``aws:ssm/maintenanceWindow:MaintenanceWindow``."""
    return resource_type.rsplit(":", 1)[-1]


def message(who: str, what: str, fix: str) -> str:
    """A violation message: the resource, the value received with what is allowed, and the fix."""
    return f"{who}: {what}. Fix: {fix}"


# The attribute on a report_violation callback that reports at advisory level (set by the pack's servicer).
ADVISORY_REPORT = "advisory"


def advisory(report_violation: Any) -> Any:
    """The callback for a rule's notes about itself (e.g. a check cut short): advisory whatever the rule's
    level, so that such a note never fails a plan. The pack's servicer provides it; under another servicer
    (pulumi-policy's own, or a test calling the rule) it is ``report_violation``, at the rule's level."""
    return getattr(report_violation, ADVISORY_REPORT, report_violation)


def limit_problem(limit: Limit, field: str, value: Any) -> str | None:
    """``field: <why AWS rejects value>``, or None when the value is within ``limit`` (or unknown)."""
    if value is UNKNOWN:
        return None
    problem = check(limit, value)
    return None if problem is None else f"{field}: {problem}"


def field_problems(block: Any, fields: Iterable[tuple[Limit, str]], prefix: str = "") -> Iterator[str]:
    """``<prefix>.<field>: <why AWS rejects it>`` for each field of ``block`` that is set (not None) and outside its
    limit; a ``block`` that is not a mapping has no fields, an unknown one nothing to check."""
    for limit, field in fields:
        value = get(block, field)
        if value is not None:
            problem = limit_problem(limit, f"{prefix}.{field}" if prefix else field, value)
            if problem:
                yield problem


def report_limits(report_violation: Any, who: str, block: Any, checks: Iterable[tuple[Limit, str, str]],
                  prefix: str = "") -> None:
    """Report each field of ``block`` outside its limit (see :func:`field_problems`), with its ``(limit, field, fix)``
    check's fix: the one way the rules check optional fields against AWS's limits."""
    for limit, field, fix in checks:
        for problem in field_problems(block, ((limit, field),), prefix):
            report_violation(message(who, problem, fix))


def config(args: Any, key: str, default: Any) -> Any:
    """A rule's config value, or ``default`` when the engine sent none or one of the wrong type.

    The CLI fills schema defaults, but a direct caller (tests, other tools) may send nothing, so the
    prod-safe default lives here too.
    """
    try:
        raw = args.get_config() or {}
    except AttributeError:
        raw = {}
    value = raw.get(key) if isinstance(raw, Mapping) else None
    if value is None:
        return default
    if isinstance(default, bool):
        return value if isinstance(value, bool) else default
    if isinstance(default, int):
        number = whole(value)
        return default if number is None else number
    if isinstance(default, (list, tuple)):
        if isinstance(value, Sequence) and not isinstance(value, str) and all(isinstance(v, str) for v in value):
            return list(value)
        return default
    return value if isinstance(value, type(default)) else default


def props(args: ResourceValidationArgs | Any) -> dict[str, Any]:
    """The resource's properties as plain data (see :func:`plain`)."""
    return plain_props(args.props)


_PLAIN = "_mw_plain"
# pulumi-policy's read-only view of a resource's properties, on which the plain form is kept (see
# _pulumi_policy.DICT_PROXY); when it is not the one expected, nothing is kept.
_KEPT_ON: Any = internals.DICT_PROXY if not internals.proxy_problems() else ()


def plain_props(properties: Any) -> dict[str, Any]:
    """``properties`` (a resource's) as a plain dict, ``{}`` if they are not a mapping.

    Read once per pulumi_policy proxy: the pack's servicer hands the same read-only proxy to every rule
    of a request, so the result is kept on it. Rules must not change what they get.
    """
    cached = getattr(properties, _PLAIN, None)
    if cached is not None:
        return cached
    value = plain(properties)
    value = value if isinstance(value, dict) else {}
    if isinstance(properties, _KEPT_ON):
        setattr(properties, _PLAIN, value)
    return value


def parse_json(value: Any) -> tuple[Any, str | None]:
    """A JSON document property: (parsed, None), (None, why it is not valid JSON), or (UNKNOWN, None).

    Pulumi's AWS provider takes policy documents as strings; an object is accepted as already parsed.
    """
    if value is UNKNOWN:
        return UNKNOWN, None
    if isinstance(value, dict):
        return value, None
    if not isinstance(value, str):
        return None, f"expected a JSON string, got {show(value)}"
    try:
        return json.loads(value), None
    except ValueError as error:
        return None, f"not valid JSON ({error})"
