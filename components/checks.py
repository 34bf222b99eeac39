"""Checks of one argument each, declared on the dataclass field they check, in Python terms.

A component's args are a frozen dataclass. Each field AWS constrains carries its checks in its metadata
(:func:`checks`); :func:`field_problems` runs them, and the component's ``problems()`` adds those of its
``rules()``, which span several fields (a target gives exactly one mode, a window's tasks name its targets).
Paths are field names (``max_concurrency``, ``targets[0]``, ``output_s3.bucket``); another field named in a
message is written in backticks (```instance_ids```), so that a caller speaking other names (the stack config's
camelCase) can rename it.

A field's checks run in order, and the first that finds a problem ends them: each may assume the ones before it
passed. A check sees the value, never ``None`` (not set) nor a ``pulumi.Output`` (known at deploy time only: AWS
judges it then), and a :class:`Context`: the other arguments, by field name, and whether wildcards are allowed in
the ARNs that become grants. A check that compares its field with another (a cutoff with the duration) names
fields declared before its own, so that it can run as soon as those are known.

Usage::

    @dataclass(frozen=True)
    class TaskArgs:
        priority: int = field(default=1, metadata=checks(limited(limits.TASK_PRIORITY)))

    field_problems(TaskArgs(priority=-1))   # [Problem("priority", "-1 is out of range (allowed: at least 0)")]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from mw_core import limits
from mw_core.errors import Problem
from mw_core.limits import Limit

__all__ = ["Check", "Context", "Each", "Limited", "OneOf", "checks", "checks_of", "distinct", "each", "field_problems",
           "is_set", "limited", "rule", "run_checks", "under"]

CHECKS = "checks"


@dataclass(frozen=True)
class Context:
    """What a check may consult besides its value.

    :param fields: the other arguments of the same dataclass, by field name. A component passes all of them;
        the config layer those it has already validated (a check skips what is missing).
    :param allow_wildcards: whether ARNs that become grants may hold wildcards (``allow_wildcards``).
    """

    fields: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    allow_wildcards: bool = False


Check = Callable[[Any, Context], list[Problem]]


def checks(*found: Check) -> dict[str, tuple[Check, ...]]:
    """The ``metadata`` of a dataclass field that has these checks: ``field(default=1, metadata=checks(...))``."""
    return {CHECKS: found}


def checks_of(cls: type) -> dict[str, tuple[Check, ...]]:
    """The checks of each field of a dataclass of arguments, by field name."""
    return {f.name: f.metadata.get(CHECKS, ()) for f in dataclasses.fields(cls)}


def is_set(value: Any) -> bool:
    """Whether a check should look at ``value``: set, and plain (an Output is known at deploy time only)."""
    return value is not None and not isinstance(value, pulumi.Output)


def field_problems(args: Any, *, allow_wildcards: bool = False) -> list[Problem]:
    """Every field check of ``args``, and of the dataclass values it holds that have no ``problems()`` of their
    own (``output_s3.bucket``), with paths by field name."""
    values = {f.name: getattr(args, f.name) for f in dataclasses.fields(args)}
    context = Context(values, allow_wildcards)
    out: list[Problem] = []
    for f in dataclasses.fields(args):
        value = values[f.name]
        if not is_set(value):
            continue
        out += [under(f.name, p) for p in run_checks(f.metadata.get(CHECKS, ()), value, context)]
        if dataclasses.is_dataclass(value) and not hasattr(value, "problems"):
            out += [under(f.name, p) for p in field_problems(value, allow_wildcards=allow_wildcards)]
    return out


def run_checks(checks: Iterable[Check], value: Any, context: Context) -> list[Problem]:
    """The problems of the first of ``checks`` that finds any: each check may assume the ones before it passed
    (a cutoff in range before it is compared with the duration)."""
    for check in checks:
        found = check(value, context)
        if found:
            return found
    return []


def under(name: str, problem: Problem) -> Problem:
    """``problem`` (relative to a field: ``''``, ``[0]``, ``Env``) with the field's name in front."""
    if not problem.path:
        return Problem(name, problem.message)
    separator = "" if problem.path.startswith("[") else "."
    return Problem(f"{name}{separator}{problem.path}", problem.message)


@dataclass(frozen=True)
class Limited:
    """The check that a value is within one AWS limit (:mod:`mw_core.limits`); the config layer also turns
    ``limit`` into JSON Schema bounds."""

    limit: Limit
    suffix: str = ""

    def __call__(self, value: Any, context: Context) -> list[Problem]:
        problem = limits.check(self.limit, value)
        return [] if problem is None else [Problem("", problem + self.suffix)]


@dataclass(frozen=True)
class OneOf:
    """The check that a value is one of ``values`` (the config layer makes them a JSON Schema ``enum``)."""

    values: tuple[Any, ...]

    def __call__(self, value: Any, context: Context) -> list[Problem]:
        if value in self.values and type(value) in {type(v) for v in self.values}:
            return []
        return [Problem("", f"{limits.describe_value(value)} is not allowed (allowed: "
                            f"{', '.join(map(str, self.values))})")]


def limited(limit: Limit, suffix: str = "") -> Limited:
    """Within ``limit``; ``suffix`` is added to the message (``; 0 keeps output forever``)."""
    return Limited(limit, suffix)


@dataclass(frozen=True)
class Each:
    """``checks`` on every item of a list, with paths ``[index]``."""

    checks: tuple[Check, ...]

    def __call__(self, value: Any, context: Context) -> list[Problem]:
        if isinstance(value, str) or not isinstance(value, Sequence):
            return []
        return [under(f"[{index}]", p) for index, item in enumerate(value) if is_set(item)
                for p in run_checks(self.checks, item, context)]


def each(*checks: Check) -> Each:
    """``checks`` on every item of a list."""
    return Each(checks)


def rule(function: Callable[[Any], str | None]) -> Check:
    """A check from a function that says why a value is wrong (a message), or returns None."""

    def check(value: Any, context: Context) -> list[Problem]:
        problem = function(value)
        return [] if problem is None else [Problem("", problem)]

    check.__name__ = getattr(function, "__name__", "rule")
    return check


def distinct(message: str) -> Check:
    """No item twice in a list."""

    def check(value: Any, context: Context) -> list[Problem]:
        items = list(value) if isinstance(value, Iterable) and not isinstance(value, str) else []
        hashable = [item for item in items if isinstance(item, str)]
        return [Problem("", message)] if len(set(hashable)) != len(hashable) else []

    return check
