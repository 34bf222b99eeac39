"""Field checks: declared on the dataclass field they check, run in order, paths by field name."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pytest
from mw_components.checks import Context, OneOf, checks, checks_of, distinct, each, field_problems, limited, rule, under

from mw_core import limits
from mw_core.errors import Problem


def _longer_than_b(value: str, context: Context) -> list[Problem]:
    other = context.fields.get("b")
    return [Problem("", f"longer than `b` ({other!r})")] if other is not None and len(value) > len(other) else []


@dataclass(frozen=True)
class Part:
    x: str | None = field(default=None, metadata=checks(limited(limits.COMMENT)))


@dataclass(frozen=True)
class Args:
    b: str = "bb"
    a: str | None = field(default=None, metadata=checks(limited(limits.WINDOW_NAME), _longer_than_b))
    items: tuple[str, ...] = field(default=(), metadata=checks(each(limited(limits.INSTANCE_ID)), distinct("twice")))
    days: int = field(default=1, metadata=checks(OneOf((1, 3))))
    part: Part | None = None


@pytest.mark.parametrize(("args", "expected"), [
    (Args(), []),
    (Args(a="abcd"), ["a: longer than `b` ('bb')"]),
    # The first check that finds a problem ends the field's checks.
    (Args(a="a b"), ["a: 'a b' is not allowed (allowed: 3 to 128 characters, matching ^[a-zA-Z0-9_\\-.]{3,128}$)"]),
    (Args(items=("i-123", "i-0123456789abcdef0", "i-1")), ["items[0]: 'i-123' is not allowed (allowed: i- followed by "
                                                           "8 or 17 characters, or mi- followed by 17)",
                                                           "items[2]: 'i-1' is not allowed (allowed: i- followed by 8 "
                                                           "or 17 characters, or mi- followed by 17)"]),
    (Args(items=("i-01234567", "i-01234567")), ["items: twice"]),
    (Args(days=2), ["days: 2 is not allowed (allowed: 1, 3)"]),
    (Args(days=True), ["days: true is not allowed (allowed: 1, 3)"]),
    # A dataclass value without problems() of its own is checked field by field, under its name.
    (Args(part=Part("x" * 101)), ["part.x: '" + "x" * 77 + "...' is 101 characters long (allowed: at most 100 "
                                                             "characters)"]),
    # Not set, or known at deploy time only: nothing to check.
    (Args(a=None, part=Part(None)), []),
    (Args(a=pulumi.Output.from_input("a b")), []),
    (Args(items=(pulumi.Output.from_input("i-1"),)), []),
])
def test_field_problems(args, expected):
    assert [str(p) for p in field_problems(args)] == expected


def test_checks_are_found_by_field_name():
    found = checks_of(Args)
    assert set(found) == {"b", "a", "items", "days", "part"}
    assert found["b"] == () and len(found["a"]) == 2


@pytest.mark.parametrize(("name", "path", "expected"), [
    ("tags", "", "tags"), ("tags", "Env", "tags.Env"), ("targets", "[0]", "targets[0]"),
    ("targets", "[0].name", "targets[0].name"),
])
def test_under(name, path, expected):
    assert under(name, Problem(path, "m")).path == expected


def test_a_rule_says_why():
    check = rule(lambda value: None if value else "empty")
    assert check("x", Context()) == []
    assert check("", Context()) == [Problem("", "empty")]
