"""Reading untyped config (YAML/JSON values) into typed values, collecting problems with key paths.

Every reader appends a :class:`~mw_core.errors.Problem` and returns ``None`` instead of raising, so one
pass over a stack config reports every mistake at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from mw_core.errors import Problem
from mw_core.limits import describe_value as describe
from mw_core.problems import join


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


