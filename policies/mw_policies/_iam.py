"""IAM policy documents: statements, wildcard matching of actions and ARNs, condition keys.

IAM matches actions case-insensitively and resources case-sensitively, both with the ``*`` (any run of
characters) and ``?`` (one character) wildcards (IAM User Guide, "IAM JSON policy elements: Action / Resource",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html "Using wildcards in
resource ARNs"). Patterns come from the stack (a task's function ARN is copied into its grant), so matching
must stay polynomial whatever they hold: see :class:`_Glob`. Condition keys are
case-insensitive, and an operator ending in ``IfExists`` also passes when the key is absent, so it does
not count as a guard here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
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

    @cached_property
    def _resource_index(self) -> _PatternIndex:
        return _PatternIndex(self.resources or ())

    def resource_matches(self, arn: str) -> bool:
        """Whether some pattern of Resource matches ``arn`` (:func:`arn_matches`), through an index built once:
        a statement naming thousands of functions is not scanned once per task."""
        return self._resource_index.matches(arn)

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


@dataclass(frozen=True)
class _Glob:
    """A wildcard pattern cut at its ``*``: the pieces between stars, each a regex without quantifiers
    (literal characters and ``.`` for ``?``), so one attempt to match a piece at one position takes at
    most ``len(piece)`` steps and nothing ever backtracks into an earlier piece."""

    pieces: tuple[re.Pattern[str], ...]
    lengths: tuple[int, ...]

    def matches(self, text: str) -> bool:
        """Whether the whole of ``text`` matches: O(len(text) * len(pattern)) at worst, whatever the pattern.

        ``P0*P1*...*Pk`` matches iff ``text`` starts with P0, ends with Pk (not overlapping P0), and P1 ...
        Pk-1 occur in that order in between. Taking each middle piece at its leftmost occurrence after the
        previous one is never worse than any other choice (it leaves the most room for the rest), so no
        other placement needs trying: the regex ``.*a.*a...b`` tried them all, exponentially many.
        """
        if len(self.pieces) == 1:
            return self.pieces[0].fullmatch(text) is not None
        low, high = self.lengths[0], len(text) - self.lengths[-1]
        if high < low or self.pieces[0].fullmatch(text, 0, low) is None:
            return False
        if self.pieces[-1].fullmatch(text, high) is None:
            return False
        position = low
        for piece, length in zip(self.pieces[1:-1], self.lengths[1:-1], strict=True):
            if length == 0:
                continue  # "**"
            found = piece.search(text, position, high)
            if found is None:
                return False
            position = found.end()
        return True


@lru_cache(maxsize=1024)
def _glob(pattern: str, ignore_case: bool) -> _Glob:
    # One regex character per pattern character (IGNORECASE never matches one character with two), so a
    # piece matches exactly len(piece) characters; DOTALL: ``?`` matches any character, a newline too.
    flags = re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL
    pieces = pattern.split("*")
    return _Glob(
        tuple(re.compile("".join("." if ch == "?" else re.escape(ch) for ch in piece), flags) for piece in pieces),
        tuple(len(piece) for piece in pieces),
    )


def action_matches(pattern: str, action: str) -> bool:
    """IAM action matching: case-insensitive, ``*`` and ``?`` wildcards (time bounded: see :class:`_Glob`)."""
    return _glob(pattern, True).matches(action)


def arn_matches(pattern: str, arn: str) -> bool:
    """IAM resource matching: case-sensitive, ``*`` and ``?`` wildcards (time bounded: see :class:`_Glob`)."""
    return _glob(pattern, False).matches(arn)


class _PatternIndex:
    """Resource patterns for :func:`arn_matches` against many ARNs: the patterns without a wildcard in a set, the
    others by their literal start (what comes before the first ``*`` or ``?``), so an ARN is tried only against
    the patterns whose start it begins with, found with one lookup per distinct length of start."""

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self.exact = frozenset(p for p in patterns if not has_wildcard(p))
        self.by_start: dict[str, list[str]] = {}
        for pattern in patterns:
            if has_wildcard(pattern):
                cut = min(i for i in (pattern.find("*"), pattern.find("?")) if i >= 0)
                self.by_start.setdefault(pattern[:cut], []).append(pattern)
        self.lengths = sorted({len(start) for start in self.by_start})

    def matches(self, arn: str) -> bool:
        if arn in self.exact:
            return True
        for length in self.lengths:
            if length > len(arn):
                break
            if any(arn_matches(p, arn) for p in self.by_start.get(arn[:length], ())):
                return True
        return False


def has_wildcard(value: str) -> bool:
    return "*" in value or "?" in value


def service_wide(action: str) -> bool:
    """``*`` or ``service:*`` (every action of a service)."""
    return action == "*" or (action.endswith(":*") and ":" not in action[:-2])


def anyone(principal: Any) -> bool:
    """Whether a statement's Principal is any AWS principal: ``*``, or ``*`` among its ``AWS`` principals."""
    if principal == "*":
        return True
    if isinstance(principal, dict):
        values = principal.get("AWS")
        return values == "*" or (isinstance(values, list) and "*" in values)
    return False


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


def patterns_overlap(first: str, second: str, *, ignore_case: bool = True) -> bool:
    """Whether some text matches both wildcard patterns (``*``: any run of characters, ``?``: one character),
    e.g. whether an Action pattern such as ``lambda:*`` or ``*:Invoke*`` grants an action of the family
    ``states:*``. Compared case-insensitively by default, as IAM compares actions.

    A table over (position in first, position in second), filled from the ends: O(len(first) * len(second))
    steps whatever the patterns hold (a family pattern is short, so this stays linear in the statement's).
    """
    if ignore_case:
        first, second = first.lower(), second.lower()
    n, m = len(first), len(second)
    # after[j]: whether first[i+1:] and second[j:] can match a common text (the row below the current one).
    after = [False] * (m + 1)
    after[m] = True
    for j in range(m - 1, -1, -1):
        after[j] = second[j] == "*" and after[j + 1]
    for i in range(n - 1, -1, -1):
        row = [False] * (m + 1)
        a = first[i]
        row[m] = a == "*" and after[m]
        for j in range(m - 1, -1, -1):
            b = second[j]
            if a == "*":
                # first's star matches nothing, or takes the next character (or star) of second.
                row[j] = after[j] or row[j + 1]
            elif b == "*":
                row[j] = row[j + 1] or after[j]
            else:
                row[j] = (a == "?" or b == "?" or a == b) and after[j + 1]
        after = row
    return after[0]


def action_may_be(pattern: str, family: str) -> bool:
    """Whether an Action pattern grants some action of ``family`` (``lambda:InvokeFunction``, ``states:*``: a
    literal service, then a pattern of action names). Action names hold no ``:`` (``service:ActionName``,
    "IAM JSON policy elements: Action"), so a wildcard never stands for a second one: ``*:Get*`` grants no
    ``s3:Put*`` action, though as bare patterns they share the text ``s3:Put:Get``."""
    service, _, name = family.partition(":")
    text, prefix = pattern.lower(), service.lower() + ":"
    # The positions of the pattern that can follow a match of the service prefix (a small NFA: a star may take
    # any run of it).
    states = _star_closure(text, {0})
    for character in prefix:
        following: set[int] = set()
        for i in states:
            if i < len(text):
                if text[i] == "*":
                    following.add(i)
                elif text[i] == "?" or text[i] == character:
                    following.add(i + 1)
        states = _star_closure(text, following)
    return any(":" not in text[i:] and patterns_overlap(text[i:], name) for i in states)


def _star_closure(text: str, states: set[int]) -> set[int]:
    out = set(states)
    for i in sorted(states):
        while i < len(text) and text[i] == "*":
            i += 1
            out.add(i)
    return out
