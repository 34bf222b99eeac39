"""IAM policy documents: statements, wildcard matching of actions and ARNs, condition keys.

IAM matches actions case-insensitively and resources case-sensitively, both with the ``*`` and ``?``
wildcards (IAM User Guide, "IAM JSON policy elements: Action / Resource"); condition keys are
case-insensitive, and an operator ending in ``IfExists`` also passes when the key is absent, so it does
not count as a guard here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ._props import UNKNOWN, contains_unknown, parse_json

POLICY_VERSIONS = ("2012-10-17", "2008-10-17")


@dataclass(frozen=True)
class Statement:
    """One statement, normalised: every list element a string, keys of conditions lower-cased."""

    index: int
    sid: str
    effect: str
    actions: tuple[str, ...] | None
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...] | None
    not_resources: tuple[str, ...] | None
    principal: Any
    # lower-cased condition key -> [(operator, values)]
    conditions: dict[str, list[tuple[str, tuple[str, ...]]]] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"statement {self.sid!r}" if self.sid else f"statement {self.index + 1}"

    @property
    def allows(self) -> bool:
        return self.effect == "Allow"

    def grants(self, action: str) -> bool:
        """Whether this statement allows ``action`` (through Action, or through NotAction not naming it)."""
        if not self.allows:
            return False
        if self.actions is not None:
            return any(action_matches(pattern, action) for pattern in self.actions)
        if self.not_actions is not None:
            return not any(action_matches(pattern, action) for pattern in self.not_actions)
        return False

    def guard(self, key: str) -> tuple[str, ...] | None:
        """The values a condition requires for ``key`` (any operator but ``...IfExists``), or None."""
        values: list[str] = []
        found = False
        for operator, vals in self.conditions.get(key.lower(), []):
            if operator.lower().endswith("ifexists"):
                continue
            found = True
            values.extend(vals)
        return tuple(values) if found else None


def _strings(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return (str(value),)


def _conditions(raw: Any) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    out: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    if not isinstance(raw, dict):
        return out
    for operator, block in raw.items():
        if not isinstance(block, dict):
            continue
        for key, values in block.items():
            out.setdefault(str(key).lower(), []).append((str(operator), _strings(values) or ()))
    return out


@dataclass(frozen=True)
class Document:
    """A parsed policy document, or why it could not be read. ``unknown`` during preview."""

    statements: tuple[Statement, ...] = ()
    error: str | None = None
    unknown: bool = False
    raw: Any = None


def read(value: Any) -> Document:
    """Parse a policy document property (a JSON string, or an already parsed object)."""
    parsed, error = parse_json(value)
    if parsed is UNKNOWN or contains_unknown(parsed):
        return Document(unknown=True)
    if error is not None:
        return Document(error=error)
    if not isinstance(parsed, dict):
        return Document(error="the document is not a JSON object", raw=parsed)
    raw_statements = parsed.get("Statement")
    if isinstance(raw_statements, dict):
        raw_statements = [raw_statements]
    if not isinstance(raw_statements, list) or not raw_statements:
        return Document(error="the document has no Statement", raw=parsed)
    statements = []
    for index, raw in enumerate(raw_statements):
        if not isinstance(raw, dict):
            return Document(error=f"statement {index + 1} is not a JSON object", raw=parsed)
        statements.append(
            Statement(
                index=index,
                sid=str(raw.get("Sid") or ""),
                effect=str(raw.get("Effect")),
                actions=_strings(raw.get("Action")),
                not_actions=_strings(raw.get("NotAction")),
                resources=_strings(raw.get("Resource")),
                not_resources=_strings(raw.get("NotResource")),
                principal=raw.get("Principal"),
                conditions=_conditions(raw.get("Condition")),
            )
        )
    return Document(statements=tuple(statements), raw=parsed)


def problems(document: Document, *, trust: bool) -> list[str]:
    """What IAM would reject in a parsed document (a trust policy needs principals, others resources)."""
    if document.unknown:
        return []
    if document.error is not None:
        return [document.error]
    out: list[str] = []
    version = document.raw.get("Version") if isinstance(document.raw, dict) else None
    if version is not None and version not in POLICY_VERSIONS:
        out.append(f"Version {version!r} is not one of {', '.join(POLICY_VERSIONS)}")
    for statement, raw in zip(document.statements, _raw_statements(document.raw), strict=True):
        where = statement.label
        if statement.effect not in ("Allow", "Deny"):
            out.append(f"{where}: Effect {raw.get('Effect')!r} is not Allow or Deny")
        if (statement.actions is None) == (statement.not_actions is None):
            out.append(f"{where}: needs exactly one of Action and NotAction")
        elif not (statement.actions or statement.not_actions):
            out.append(f"{where}: the action list is empty")
        if trust:
            if raw.get("Principal") is None and raw.get("NotPrincipal") is None:
                out.append(f"{where}: a trust policy statement needs a Principal")
        elif (statement.resources is None) == (statement.not_resources is None):
            out.append(f"{where}: needs exactly one of Resource and NotResource")
        if "Condition" in raw and not isinstance(raw["Condition"], dict):
            out.append(f"{where}: Condition is not a JSON object")
    return out


def _raw_statements(raw: Any) -> list[dict[str, Any]]:
    statements = raw.get("Statement") if isinstance(raw, dict) else None
    return [statements] if isinstance(statements, dict) else list(statements or [])


@lru_cache(maxsize=1024)
def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    parts = ("." if ch == "?" else ".*" if ch == "*" else re.escape(ch) for ch in pattern)
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def action_matches(pattern: str, action: str) -> bool:
    """IAM action matching: case-insensitive, ``*`` and ``?`` wildcards."""
    return _wildcard(pattern, True).fullmatch(action) is not None


def arn_matches(pattern: str, arn: str) -> bool:
    """IAM resource matching: case-sensitive, ``*`` and ``?`` wildcards."""
    return _wildcard(pattern, False).fullmatch(arn) is not None


def has_wildcard(value: str) -> bool:
    return "*" in value or "?" in value


def service_wide(action: str) -> bool:
    """``*`` or ``service:*`` (every action of a service)."""
    return action == "*" or (action.endswith(":*") and ":" not in action[:-2])


def service_principals(principal: Any) -> tuple[str, ...]:
    """The ``Service`` principals of a statement's Principal."""
    if isinstance(principal, dict):
        return _strings(principal.get("Service")) or ()
    return ()


def other_principals(principal: Any) -> tuple[str, ...]:
    """Everything a Principal trusts that is not a service: ``*``, AWS accounts, federated, canonical."""
    if principal is None:
        return ()
    if not isinstance(principal, dict):
        return tuple(f"{p}" for p in (_strings(principal) or ()))
    out: list[str] = []
    for kind, values in principal.items():
        if kind == "Service":
            continue
        out.extend(f"{kind}:{v}" for v in (_strings(values) or ()))
    return tuple(out)
