"""The one exception family: every error a user can cause derives from :class:`MWError`.

The ``mw`` command and ``__main__.py`` print an ``MWError`` as its message, without a
traceback; anything else is a bug in this project and keeps its traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


class MWError(Exception):
    """A mistake in input or environment that the user can fix; shown without a traceback."""

    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One problem in a config: where (``windows[0].duration``) and what is wrong."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ConfigError(MWError):
    """A stack config that cannot be deployed; lists every problem found, not just the first."""

    def __init__(self, problems: list[Problem], source: str = "stack config") -> None:
        self.problems = list(problems)
        self.source = source
        count = len(self.problems)
        header = f"invalid {source}: {count} problem{'s' if count != 1 else ''}"
        super().__init__("\n".join([header, *(f"  - {p}" for p in self.problems)]))

    @classmethod
    def check(cls, problems: list[Problem], source: str) -> None:
        """Raise one error listing ``problems``, if there are any."""
        if problems:
            raise cls(problems, source)


class ScheduleError(MWError, ValueError):
    """A schedule expression AWS would reject, naming the field and the value received."""

    def __init__(self, expression: str, field: str, value: str, allowed: str) -> None:
        self.expression = expression
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"{expression!r}: {field} {value!r} is not valid; allowed: {allowed}")
