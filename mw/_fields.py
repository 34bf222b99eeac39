"""Reading untyped config (YAML/JSON values) into typed values, collecting problems with key paths.

Every reader appends a :class:`~mw.errors.Problem` and returns ``None`` instead of raising, so one
pass over a stack config reports every mistake at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from mw import limits
from mw.errors import Problem
from mw.limits import Limit, check
from mw.limits import describe_value as describe


def join(path: str, key: str | int) -> str:
    """``join('windows', 0)`` is ``windows[0]``; ``join('windows[0]', 'name')`` is ``windows[0].name``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


class Fields:
    """One mapping of config at ``path``; typed getters that record problems instead of raising.

    Unknown keys are problems (they are usually typos), reported with the closest allowed key.
    """

    def __init__(self, raw: Any, path: str, problems: list[Problem], allowed: Iterable[str]) -> None:
        self.path = path
        self.problems = problems
        self.allowed = tuple(allowed)
        if raw is None:
            raw = {}
        if not isinstance(raw, Mapping):
            self.problem("", f"expected a mapping of keys, got {describe(raw)}")
            raw = {}
        self.raw: Mapping[str, Any] = raw
        for key in raw:
            if key not in self.allowed:
                self._unknown(key)

    def _unknown(self, key: Any) -> None:
        hint = difflib.get_close_matches(str(key), self.allowed, n=1)
        suggestion = f"did you mean '{hint[0]}'? " if hint else ""
        self.problem(str(key), f"unknown key ({suggestion}allowed: {', '.join(self.allowed)})")

    def at(self, key: str | int) -> str:
        return join(self.path, key)

    def problem(self, key: str | int, message: str) -> None:
        self.problems.append(Problem(self.at(key) if key != "" else self.path, message))

    def has(self, key: str) -> bool:
        return self.raw.get(key) is not None

    def given(self, *keys: str) -> list[str]:
        """The keys among ``keys`` that are set (not missing, not null)."""
        return [k for k in keys if self.has(k)]

    def _get(self, key: str, required: bool, expected: str) -> Any:
        value = self.raw.get(key)
        if value is None and required:
            self.problem(key, f"required key is missing (expected {expected})")
        return value

    def string(self, key: str, *, required: bool = False, default: str | None = None,
               choices: Iterable[str] | None = None) -> str | None:
        value = self._get(key, required, "a string")
        if value is None:
            return default
        if not isinstance(value, str):
            self.problem(key, f"expected a string, got {describe(value)}")
            return None
        if choices is not None:
            allowed = tuple(choices)
            if value not in allowed:
                self.problem(key, f"{describe(value)} is not allowed (allowed: {', '.join(allowed)})")
                return None
        return value

    def integer(self, key: str, *, required: bool = False, default: int | None = None,
                minimum: int | None = None, maximum: int | None = None, unit: str = "") -> int | None:
        expected = "a whole number" + (f" of {unit}" if unit else "")
        value = self._get(key, required, expected)
        if value is None:
            return default
        # YAML gives ints; a float with no fraction (JSON tools) is accepted, bools and strings are not.
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(key, f"expected {expected}, got {describe(value)}")
            return None
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            self.problem(key, f"{value} is out of range (allowed: {_range(minimum, maximum, unit)})")
            return None
        return value

    def boolean(self, key: str, *, default: bool) -> bool:
        value = self.raw.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            # The Pulumi CLI reads stack files as YAML 1.2 (Go's yaml.v3), where yes/no/on/off are text.
            hint = " (YAML 1.2 reads it as text; write true or false)" if str(value).lower() in _YAML11_BOOLS else ""
            self.problem(key, f"expected true or false, got {describe(value)}{hint}")
            return default
        return value

    def strings(self, key: str, *, required: bool = False, single: bool = False) -> tuple[str, ...]:
        """A list of strings; with ``single``, one string is accepted as a list of one."""
        value = self._get(key, required, "a list of strings")
        if value is None:
            return ()
        if single and isinstance(value, str):
            return (value,)
        return string_list(value, self.at(key), self.problems)

    def mapping(self, key: str) -> Mapping[str, Any] | None:
        value = self.raw.get(key)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            self.problem(key, f"expected a mapping, got {describe(value)}")
            return None
        return value

    def items(self, key: str) -> Iterator[tuple[str, Any]]:
        """The entries of a list value, each with its path (``windows[0]``)."""
        value = self.raw.get(key)
        if value is None:
            return
        if not isinstance(value, (list, tuple)):
            self.problem(key, f"expected a list, got {describe(value)}")
            return
        for index, item in enumerate(value):
            yield join(self.at(key), index), item


_YAML11_BOOLS = frozenset(("yes", "no", "on", "off", "y", "n"))


def nest(prefix: str, problems: Iterable[Problem]) -> list[Problem]:
    """Problems found relative to a part of the config, with that part's path in front."""
    return [Problem(join(prefix, p.path) if p.path else prefix, p.message) for p in problems]


def string_list(value: Any, path: str, problems: list[Problem]) -> tuple[str, ...]:
    """A list of strings at ``path``; numbers are not coerced (an instance ID is never a number)."""
    if not isinstance(value, (list, tuple)):
        problems.append(Problem(path, f"expected a list of strings, got {describe(value)}"))
        return ()
    out: list[str] = []
    for index, item in enumerate(value):
        if isinstance(item, str):
            out.append(item)
        else:
            problems.append(Problem(join(path, index), f"expected a string, got {describe(item)}"))
    return tuple(out)


def string_or_strings(value: Any, path: str, problems: list[Problem]) -> tuple[str, ...]:
    """A value that may be one string or a list of strings (``Operation: Install``)."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, bool) or value is None:
        problems.append(Problem(path, f"expected a string or a list of strings, got {describe(value)}"))
        return ()
    if isinstance(value, (int, float)):
        # YAML turns `Version: 2` into an int; AWS takes every parameter as a string.
        return (str(value),)
    return string_list(value, path, problems)


def _range(minimum: int | None, maximum: int | None, unit: str) -> str:
    suffix = f" {unit}" if unit else ""
    if minimum is not None and maximum is not None:
        return f"{minimum} to {maximum}{suffix}"
    if minimum is not None:
        return f"at least {minimum}{suffix}"
    return f"at most {maximum}{suffix}"


def checker(problems: list[Problem]) -> Callable[[str, Limit, Any], None]:
    """``check(path, limit, value)`` appends a problem when a set value breaks an AWS limit.

    ``None`` (not set) and ``pulumi.Output`` values (known only at deploy time) are skipped.
    """

    def check_value(path: str, limit: Limit, value: Any) -> None:
        if value is None or type(value).__name__ == "Output":
            return
        problem = check(limit, value)
        if problem is not None:
            problems.append(Problem(path, problem))

    return check_value


# Most AWS resources take at most 50 tags: IAM (tagListType, max 50, in the IAM API model), S3 ("A tag set can
# contain as many as 50 tags", S3 User Guide, cost allocation tagging), CloudWatch Logs ("as many as 50 tags",
# TagResource) and SSM ("Most resources can have a maximum of 50 tags", AddTagsToResource).
MAX_TAGS = 50


def tag_problems(tags: Mapping[Any, Any] | None) -> list[Problem]:
    """What AWS would refuse in a resource's tags, with paths relative to its ``tags`` key.

    Each tag by :func:`mw.limits.tag_problems`: 1-128 character keys and 0-256 character values of letters,
    numbers, spaces and ``_ . : / = + - @`` (so no NUL or other control character), and no ``aws:`` prefix in
    any case, which AWS reserves for the tags it sets itself. At most :data:`MAX_TAGS` tags. A problem is
    reported at the tag (``tags.Env``) when its key can be shown in a key path, else at ``tags``.
    """
    if not tags:
        return []
    out: list[Problem] = []
    if len(tags) > MAX_TAGS:
        out.append(Problem("", f"{len(tags)} tags is too many (allowed: at most {MAX_TAGS})"))
    for key, problem in limits.tag_problems(dict(tags)):
        out.append(Problem(key, problem) if showable_key(key) else Problem("", f"tag key {problem}"))
    return out


def showable_key(key: Any) -> bool:
    """Whether a mapping key can stand in a key path (``tags.<key>``): printable and of a tag key's length."""
    return isinstance(key, str) and 0 < len(key) <= limits.TAG_KEY.max and key.isprintable()
