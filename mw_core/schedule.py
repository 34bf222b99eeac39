"""AWS Systems Manager maintenance-window schedules: parse, validate and compute openings.

Standard library only (``zoneinfo``, with the ``tzdata`` package as fallback database),
because the CrossGuard policy pack imports this module without the program's dependencies.

What AWS documents, and what this module does with it
------------------------------------------------------
Sources: "Reference: Cron and rate expressions for Systems Manager" (SSM user guide,
``reference-cron-and-rate-expressions``), "Maintenance window scheduling and active period
options" (``maintenance-windows-schedule-options``) and the ``CreateMaintenanceWindow`` API
shapes shipped in botocore (``ssm/2014-11-06/service-2.json``).

* ``cron(minutes hours day-of-month month day-of-week year)``: "six required fields"; "a
  seventh field, the Seconds field (the first in a cron expression), is optional" and
  maintenance windows "support values in the seconds field". The year is one of the six,
  so it is required. Ranges: minutes 0-59, hours 0-23, day-of-month 1-31, month 1-12 or
  JAN-DEC, day-of-week 1-7 or SUN-SAT (1 = Sunday), year 1970-2199. Wildcards ``, - * /``
  everywhere, ``? L W`` in day-of-month, ``? L #`` in day-of-week. Exactly one of
  day-of-month and day-of-week must be ``?``. "Cron expressions that lead to rates faster
  than five (5) minutes are not supported": enforced (see ``_check_minimum_interval``).
  The guide also says "Zero (0) is not supported in the seconds field", yet its own
  schedule-offset example is the 7-field ``cron(0 30 23 ? * TUE#3 *)``; seconds 0-59 are
  accepted here.
* Not documented by AWS, taken from Quartz's ``CronExpression`` (whose syntax AWS's is, field
  for field): names and letters are case-insensitive (Quartz upper-cases the expression);
  ``L`` alone in day-of-week is Saturday; ``nL`` is the last weekday *n* of the month;
  ``n#k`` takes k in 1-5 and must be the whole field (the EventBridge guide: "3#1,6#3" is
  invalid); ``LW`` is the last weekday (Mon-Fri) of the month; ``nW`` never leaves the month
  (1st on a Saturday -> Monday 3rd; last day on a Sunday -> Friday) and does not match in a
  month without day *n*; ``L``, ``LW`` and ``nW`` must be the whole field; ranges may wrap
  (``FRI-MON``, ``22-2``); an increment may not exceed the field's largest value. ``L-n``
  (Quartz's offset from the last day) is not in AWS's docs and is rejected.
* ``rate(N unit)``: "If the value is equal to 1, then the unit must be singular. Similarly,
  for values greater than 1, the unit must be plural": ``rate(1 day)`` is valid,
  ``rate(1 days)`` and ``rate(2 day)`` are not. Units minute(s), hour(s), day(s). The guide
  gives no lower or upper bound for maintenance-window rates (the 30-minute floor is for
  State Manager associations only), so none is enforced.
* ``at(yyyy-mm-ddThh:mm:ss)``: one run. The guide calls it a UTC timestamp, yet its CLI
  example pairs it with ``--schedule-timezone``; here it is read in the schedule timezone
  (UTC when none), like cron. Its year must be 1970-2199, as in cron's year field.
* ``ScheduleOffset``: 1-6 (botocore shape ``MaintenanceWindowOffset``), cron only ("schedule
  offsets for cron expressions only"); the window opens that many calendar days after the
  cron match, at the same local wall time.
* ``StartDate``/``EndDate``: "ISO-8601 Extended format", "with or without an offset"; a value
  without an offset is read as UTC. The window runs only from StartDate (inclusive: the
  guide's ``rate(7 days)`` example first runs at the start date itself) until EndDate
  (exclusive: at EndDate the window "becomes inactive"). Neither the API model (shape
  ``MaintenanceWindowStringDateTime`` is a plain string, no bounds) nor the API reference
  gives a range, so the only calendar AWS names for schedules is used: instants from
  1970-01-01T00:00:00Z up to, not including, 2200-01-01T00:00:00Z (cron's years 1970-2199).
  Out-of-range values raise :class:`ScheduleRangeError` when parsed, before any arithmetic
  (``0001-01-01T00:00:00+05:00`` cannot even be converted to UTC by ``datetime``).
* ``rate()`` anchor: the guide's example 2 counts ``rate(7 days)`` from StartDate, and botocore
  says "if you provide a start date that occurs in the past, the current date and time are
  used". Creation time is unknown before deploy, so the anchor is StartDate when given, else
  ``after`` (so the first opening is one interval after ``after``). Intervals are elapsed
  time: ``rate(1 day)`` drifts by an hour of wall time across a DST change.
* ``Duration`` 1-24 and ``Cutoff`` 0-23 hours (botocore); the service also rejects a cutoff
  not below the duration ("Cuttoff was 12 but must be smaller than ...",
  awsdocs/aws-cloudformation-user-guide#891), so cutoff < duration is required.
* ``ScheduleTimezone``: an IANA name; cron fields are local wall-clock time there. AWS does
  not document DST handling. Decision, following Quartz (``setCalendarHour`` moves a
  missing hour forward) and ``java.time``: a wall time that does not exist (spring forward)
  runs at the same wall time shifted by the gap (02:30 -> 03:30 EDT), merged with a real
  03:30 match if there is one; a wall time that happens twice (fall back) runs once, at its
  first occurrence (daylight time). Python's ``fold=0`` gives exactly this.
* Whitespace: none is trimmed. Leading/trailing spaces, inside or outside the parentheses,
  are rejected; fields inside may be separated by one or more spaces.

Libraries measured (not used)
-----------------------------
Run in a throwaway venv with croniter 7.0.0, pyawscron 1.0.7 and aws-croniter 2.1.1: 15
expressions whose next runs after 2026-10-25T00:00Z were worked out by hand from a calendar,
and 10 expressions AWS's rules reject.

* croniter: 0/15 as AWS 6-field text (it reads the 6th field as seconds, so ``*`` year means
  "every second"; ``6L``, ``L``, ``LW`` raise; year 2028 raises "out of range"). Translated
  to 5 fields with day-of-week renumbered, 7/11: ``TUE#2``, ``L``, ``15W``, ``1W`` fine;
  ``6L``/``L``/``LW`` unsupported; ``31W`` matches Nov 30 (AWS: no day 31, no run).
  Accepts ``* *`` for both day fields and day-of-week 0. It is the only one with timezones,
  and on the 2026-11-01 New York fall-back runs ``30 1 * * *`` twice (EDT and EST).
* pyawscron: 12/15. ``? * L *`` raises "this shouldn't happen", ``LW`` raises ValueError,
  ``cron(0 0 31 2 ? *)`` raises ValueError; rejects invalid input mostly by crashing
  (IndexError, a generic Exception after 10 iterations) and accepts ``* *`` and year 2200.
  UTC only.
* aws-croniter: 13/15 and 10/10 rejections, 4319 runs of ``0/30`` over 90 days in 42 ms. But
  ``L`` alone in day-of-week raises AttributeError, ``LW`` raises ValueError, the 7-field
  seconds form is rejected, and ``occurrence()`` refuses any non-UTC datetime, so
  ScheduleTimezone, DST and scheduleOffset would all still be ours to write.

None gets AWS's semantics right enough, and none may be a policy-pack dependency anyway, so
this module implements the grammar itself and steps field by field (year -> month -> matching
days -> hours -> minutes -> seconds), never minute by minute. Measured on the development
machine (Python 3.11, best of 5): 90 days of ``rate(30 minutes)`` 3.8 ms in UTC and 10 ms in
America/New_York; ``cron(0 2 ? * * *)`` 0.2 ms (UTC) / 0.5 ms (New York); ``cron(0/30 * ? * *
*)`` 7 ms / 18 ms (Berlin); ``cron(0 0 31 2 ? *)`` with ``count=1`` searches to 2199 in 0.1 ms;
``parse`` 50 us uncached, 0.14 us cached. The first ``validate_timezone`` call lists the zone
database once (about 40 ms).

Range: every instant this module computes lies between 1969-12-23 and 2200-01-10 (the calendar,
widened by the largest zone offset, DST gap, scheduleOffset and duration), far inside
``datetime``'s years 1-9999, so no arithmetic can overflow. :func:`iter_openings` yields
openings lazily, so a caller that stops early never holds more than it asked for.
"""

from __future__ import annotations

import heapq
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from itertools import pairwise
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from mw_core.errors import ScheduleError

__all__ = [
    "TIMESTAMP_RANGE",
    "AtSchedule",
    "CronSchedule",
    "Opening",
    "RateSchedule",
    "Schedule",
    "ScheduleRangeError",
    "iter_openings",
    "matches",
    "openings",
    "overlaps",
    "parse",
    "parse_timestamp",
    "validate_timezone",
]

_UTC = UTC
_MIN_YEAR = 1970
_MAX_YEAR = 2199
# The calendar AWS's year field can name; startDate, endDate and at() must lie in it.
_CALENDAR_START = datetime(_MIN_YEAR, 1, 1, tzinfo=_UTC)
_CALENDAR_END = datetime(_MAX_YEAR + 1, 1, 1, tzinfo=_UTC)
TIMESTAMP_RANGE = (
    f"a time from {_CALENDAR_START:%Y-%m-%dT%H:%M:%SZ} up to, not including, {_CALENDAR_END:%Y-%m-%dT%H:%M:%SZ}, "
    f"in UTC (the years {_MIN_YEAR}-{_MAX_YEAR} of AWS's cron year field)"
)
_MAX_EXPRESSION_LENGTH = 256  # botocore shape MaintenanceWindowSchedule: max 256
_MIN_CRON_INTERVAL_MINUTES = 5
_OFFSET_RANGE = (1, 6)  # botocore shape MaintenanceWindowOffset
_DURATION_RANGE = (1, 24)  # botocore shape MaintenanceWindowDurationHours
_CUTOFF_RANGE = (0, 23)  # botocore shape MaintenanceWindowCutoff
# Largest gap between a wall-clock time and its instant in any zone (UTC-12..UTC+14), plus a
# DST gap of up to a day (Pacific/Apia skipped 2011-12-30): bounds the reordering of runs.
_WALL_SLACK = timedelta(hours=40)
# Latest instant any schedule can open at: a cron match late on 2199-12-31, read in UTC-12 and
# moved by the largest scheduleOffset (6 days), still opens before this. Bounds rate() and
# count-only searches; years 1970-2199 only decide which cron matches exist.
_OPENINGS_END = _CALENDAR_END + timedelta(days=_OFFSET_RANGE[1] + 2)
# Earliest opening: 1970-01-01 00:00 read in UTC+14 is 1969-12-31T10:00Z; rate() runs from here too.
_OPENINGS_START = _CALENDAR_START - timedelta(days=1)

_MONTH_NAMES = {
    name: number
    for number, name in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1
    )
}
# AWS numbers days of the week 1-7 from Sunday.
_DAY_NAMES = {name: number for number, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], 1)}
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

_RATE_UNITS: dict[str, tuple[Literal["minute", "hour", "day"], int]] = {
    "minute": ("minute", 60),
    "hour": ("hour", 3600),
    "day": ("day", 86400),
}

_DIGITS = re.compile(r"[0-9]{1,6}")
_FORM = re.compile(r"(cron|rate|at)\((.*)\)", re.DOTALL)
_RATE = re.compile(r"(\S+) +(\S+)")
_AT = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})")
_TIMESTAMP = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})"
    r"(?:T(?P<time>[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?)"
    r"(?P<zone>Z|[+-][0-9]{2}:[0-9]{2})?)?"
)


class ScheduleRangeError(ScheduleError):
    """A well-formed date or time outside the calendar AWS schedules in (see ``TIMESTAMP_RANGE``).

    Separate from :class:`~mw_core.errors.ScheduleError` so that callers can say "out of range"
    rather than "not a timestamp"; ``allowed`` names the range.
    """


# --------------------------------------------------------------------------- schedules


@dataclass(frozen=True, slots=True)
class _DaySpec:
    """Which days of a month run: day-of-month or day-of-week, whichever is not ``?``.

    ``kind`` is ``values`` (``values`` are days of the month), ``weekdays`` (``values`` are
    AWS day numbers 1-7), ``last`` (L), ``last_weekday`` (LW), ``nearest_weekday`` (nW, day
    ``n``), ``last_of_month`` (nL, weekday ``n``) or ``nth`` (n#k).
    """

    kind: Literal["values", "weekdays", "last", "last_weekday", "nearest_weekday", "last_of_month", "nth"]
    values: tuple[int, ...] = ()
    n: int = 0
    k: int = 0


@dataclass(frozen=True, slots=True)
class CronSchedule:
    """A parsed ``cron(...)`` expression; each field holds its sorted matching values."""

    expression: str
    seconds: tuple[int, ...]
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: _DaySpec
    months: tuple[int, ...]
    years: tuple[int, ...]
    kind: Literal["cron"] = "cron"


@dataclass(frozen=True, slots=True)
class RateSchedule:
    """A parsed ``rate(N unit)`` expression; ``seconds`` is the interval."""

    expression: str
    value: int
    unit: Literal["minute", "hour", "day"]
    seconds: int
    kind: Literal["rate"] = "rate"


@dataclass(frozen=True, slots=True)
class AtSchedule:
    """A parsed ``at(...)`` expression; ``when`` is naive wall-clock time in the schedule's zone."""

    expression: str
    when: datetime
    kind: Literal["at"] = "at"


Schedule = CronSchedule | RateSchedule | AtSchedule


@dataclass(frozen=True, slots=True)
class Opening:
    """One run of a window, as tz-aware datetimes in the window's timezone.

    ``closes = opens + duration`` and ``stops_starting = closes - cutoff``, both in elapsed
    time. Compare openings through ``.timestamp()`` or UTC: Python compares two datetimes
    sharing a tzinfo by wall time, which is wrong in the hour repeated at a DST change.
    """

    opens: datetime
    stops_starting: datetime
    closes: datetime


# --------------------------------------------------------------------------- parsing


def parse(expression: str) -> Schedule:
    """Parse and validate a maintenance-window schedule expression.

    Raises :class:`~mw_core.errors.ScheduleError` naming the field and value AWS would reject.
    Results are cached: the policy pack parses the same expressions for many resources.
    """
    if not isinstance(expression, str):
        raise ScheduleError(repr(expression), "expression", repr(expression), "a string")
    return _parse_cached(expression)


@lru_cache(maxsize=2048)
def _parse_cached(expression: str) -> Schedule:
    if len(expression) > _MAX_EXPRESSION_LENGTH:
        raise ScheduleError(
            expression, "expression", expression[:40] + "...", f"at most {_MAX_EXPRESSION_LENGTH} characters"
        )
    form = _FORM.fullmatch(expression)
    if form is None:
        raise ScheduleError(expression, "expression", expression, "cron(...), rate(...) or at(...)")
    name, body = form.groups()
    if body != body.strip():
        raise ScheduleError(expression, name, body, "no spaces just inside the parentheses")
    if name == "cron":
        return _parse_cron(expression, body)
    if name == "rate":
        return _parse_rate(expression, body)
    return _parse_at(expression, body)


def _parse_rate(expression: str, body: str) -> RateSchedule:
    match = _RATE.fullmatch(body)
    if match is None:
        raise ScheduleError(expression, "rate", body, "'<value> <unit>', e.g. rate(30 minutes)")
    value_text, unit_text = match.groups()
    if not value_text.isascii() or not value_text.isdigit() or value_text.startswith("0"):
        raise ScheduleError(expression, "rate value", value_text, "a positive whole number, e.g. 1 or 15")
    value = int(value_text)
    units = _RATE_UNITS if value == 1 else {name + "s": unit for name, unit in _RATE_UNITS.items()}
    if unit_text not in units:
        number = "singular, as the value is 1" if value == 1 else "plural, as the value is above 1"
        raise ScheduleError(expression, "rate unit", unit_text, f"{', '.join(units)} ({number})")
    unit, seconds = units[unit_text]
    return RateSchedule(expression, value, unit, value * seconds)


def _parse_at(expression: str, body: str) -> AtSchedule:
    match = _AT.fullmatch(body)
    allowed = "yyyy-mm-ddThh:mm:ss, e.g. at(2026-11-05T10:00:00)"
    if match is None:
        raise ScheduleError(expression, "at timestamp", body, allowed)
    try:
        when = datetime(*(int(part) for part in match.groups()))
    except ValueError:
        raise ScheduleError(expression, "at timestamp", body, allowed) from None
    if not _MIN_YEAR <= when.year <= _MAX_YEAR:
        # Wall time in the schedule's zone, which is not known here: the year is the bound.
        raise ScheduleRangeError(
            expression, "at timestamp", body, f"a year from {_MIN_YEAR} to {_MAX_YEAR}, as in cron's year field"
        )
    return AtSchedule(expression, when)


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    low: int
    high: int
    names: dict[str, int] | None
    max_step: int


_SECONDS = _Field("seconds", 0, 59, None, 59)
_MINUTES = _Field("minutes", 0, 59, None, 59)
_HOURS = _Field("hours", 0, 23, None, 23)
_DAY_OF_MONTH = _Field("day-of-month", 1, 31, None, 31)
_MONTH = _Field("month", 1, 12, _MONTH_NAMES, 12)
_DAY_OF_WEEK = _Field("day-of-week", 1, 7, _DAY_NAMES, 7)
_YEAR = _Field("year", _MIN_YEAR, _MAX_YEAR, None, _MAX_YEAR - _MIN_YEAR)

_ALLOWED = {
    "seconds": "0-59 with , - * /",
    "minutes": "0-59 with , - * /",
    "hours": "0-23 with , - * /",
    "day-of-month": "1-31 with , - * / ?, or L, LW, nW (n 1-31) alone",
    "month": "1-12 or JAN-DEC with , - * /",
    "day-of-week": "1-7 or SUN-SAT (1 = SUN) with , - * / ?, or L, nL, n#k (k 1-5) alone",
    "year": f"{_MIN_YEAR}-{_MAX_YEAR} with , - * /",
}


def _parse_cron(expression: str, body: str) -> CronSchedule:
    fields = re.split(" +", body)
    if len(fields) not in (6, 7):
        raise ScheduleError(
            expression,
            "cron fields",
            body,
            "6 space-separated fields: minutes hours day-of-month month day-of-week year "
            "(7 with a leading seconds field)",
        )
    seconds_text = fields.pop(0) if len(fields) == 7 else "0"
    minutes_text, hours_text, dom_text, month_text, dow_text, year_text = fields
    seconds = _parse_list(expression, _SECONDS, seconds_text)
    minutes = _parse_list(expression, _MINUTES, minutes_text)
    hours = _parse_list(expression, _HOURS, hours_text)
    months = _parse_list(expression, _MONTH, month_text)
    years = _parse_list(expression, _YEAR, year_text)
    if (dom_text == "?") == (dow_text == "?"):
        # AWS: "If you specify a value in one of the fields, you must use a ? in the other."
        field, value = ("day-of-month", dom_text) if dom_text == "?" else ("day-of-week", dow_text)
        raise ScheduleError(
            expression, field, value, "? in exactly one of day-of-month and day-of-week, a value in the other"
        )
    days = _parse_day_of_month(expression, dom_text) if dow_text == "?" else _parse_day_of_week(expression, dow_text)
    _check_minimum_interval(expression, seconds_text, seconds, minutes_text, minutes, hours)
    return CronSchedule(expression, seconds, minutes, hours, days, months, years)


def _fail(expression: str, field: _Field, text: str) -> ScheduleError:
    return ScheduleError(expression, field.name, text, _ALLOWED[field.name])


def _parse_value(expression: str, field: _Field, text: str, whole: str) -> int:
    """One number or name of ``field``, within its range."""
    if _DIGITS.fullmatch(text):
        value = int(text)
    elif field.names is not None and text.upper() in field.names:
        value = field.names[text.upper()]
    else:
        raise _fail(expression, field, whole)
    if not field.low <= value <= field.high:
        raise _fail(expression, field, whole)
    return value


def _parse_list(expression: str, field: _Field, text: str) -> tuple[int, ...]:
    """A field made of ``,``-separated values, ``a-b`` ranges (may wrap), ``*`` and ``/`` steps."""
    values: set[int] = set()
    for item in text.split(","):
        base, slash, step_text = item.partition("/")
        step = 1
        if slash:
            if not _DIGITS.fullmatch(step_text) or not 1 <= int(step_text) <= field.max_step:
                raise _fail(expression, field, text)
            step = int(step_text)
        if base == "*":
            start, end = field.low, field.high
        elif "-" in base:
            first, _, last = base.partition("-")
            start = _parse_value(expression, field, first, text)
            end = _parse_value(expression, field, last, text)
        else:
            start = _parse_value(expression, field, base, text)
            # Quartz and AWS: "a/b" runs from a to the end of the field.
            end = field.high if slash else start
        span = field.high - field.low + 1
        length = (end - start) % span  # a range like FRI-MON or 22-2 wraps around
        values.update(field.low + (start - field.low + offset) % span for offset in range(0, length + 1, step))
    return tuple(sorted(values))


def _parse_day_of_month(expression: str, text: str) -> _DaySpec:
    upper = text.upper()
    if upper == "L":
        return _DaySpec("last")
    if upper == "LW":
        return _DaySpec("last_weekday")
    if upper.endswith("W"):
        day = upper[:-1]
        if not _DIGITS.fullmatch(day) or not 1 <= int(day) <= 31:
            raise _fail(expression, _DAY_OF_MONTH, text)
        return _DaySpec("nearest_weekday", n=int(day))
    if "L" in upper or "W" in upper:
        raise _fail(expression, _DAY_OF_MONTH, text)
    return _DaySpec("values", _parse_list(expression, _DAY_OF_MONTH, text))


def _parse_day_of_week(expression: str, text: str) -> _DaySpec:
    upper = text.upper()
    if upper == "L":
        return _DaySpec("weekdays", (7,))  # Quartz: L alone is the last day of the week, Saturday
    if "#" in upper:
        day, _, nth = upper.partition("#")
        if not _DIGITS.fullmatch(nth) or not 1 <= int(nth) <= 5:
            raise _fail(expression, _DAY_OF_WEEK, text)
        return _DaySpec("nth", n=_parse_value(expression, _DAY_OF_WEEK, day, text), k=int(nth))
    if upper.endswith("L"):
        return _DaySpec("last_of_month", n=_parse_value(expression, _DAY_OF_WEEK, upper[:-1], text))
    return _DaySpec("weekdays", _parse_list(expression, _DAY_OF_WEEK, text))


def _check_minimum_interval(
    expression: str,
    seconds_text: str,
    seconds: tuple[int, ...],
    minutes_text: str,
    minutes: tuple[int, ...],
    hours: tuple[int, ...],
) -> None:
    """Reject runs closer than five minutes apart (AWS: "rates faster than five (5) minutes").

    Within an hour the gaps are the differences between minutes; across an hour boundary
    the gap is ``60 - last + first``, which counts only when two consecutive hours both run
    (23 and 0 are treated as consecutive, since the next day usually runs too).
    """
    allowed = f"runs at least {_MIN_CRON_INTERVAL_MINUTES} minutes apart"
    if len(seconds) > 1:
        raise ScheduleError(expression, "seconds", seconds_text, allowed)
    gaps = [later - earlier for earlier, later in pairwise(minutes)]
    hour_set = set(hours)
    if any((hour + 1) % 24 in hour_set for hour in hours):
        gaps.append(60 - minutes[-1] + minutes[0])
    if gaps and min(gaps) < _MIN_CRON_INTERVAL_MINUTES:
        raise ScheduleError(expression, "minutes", minutes_text, allowed)


# --------------------------------------------------------------------------- helpers


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    # The system database can hold a "localtime" copy of the host's zone: not an IANA name.
    return frozenset(available_timezones()) - {"localtime", "posixrules"}


def validate_timezone(name: str, *, expression: str | None = None) -> None:
    """Check that ``name`` is an IANA time zone AWS accepts as ``ScheduleTimezone``.

    Raises ScheduleError with field ``scheduleTimezone``.
    """
    _zone(name, expression)


def _zone(name: str | None, expression: str | None = None) -> tzinfo:
    if name is None:
        return _UTC
    allowed = "an IANA time zone name, e.g. America/Chicago, Europe/Berlin or UTC"
    if not isinstance(name, str) or name not in _zone_names():
        raise ScheduleError(expression or str(name), "scheduleTimezone", str(name), allowed)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ScheduleError(expression or name, "scheduleTimezone", name, allowed) from None


def parse_timestamp(value: str, field: str, *, expression: str | None = None) -> datetime:
    """Parse a ``startDate``/``endDate`` value (ISO-8601 extended format) to an aware datetime.

    AWS's example is ``2021-04-07T14:29:00-08:00``; it accepts values "with or without an
    offset". Accepted here: ``YYYY-MM-DD``, optionally ``THH:MM[:SS[.fraction]]`` and ``Z`` or
    ``±HH:MM``. Without an offset the value is UTC. Raises ScheduleError naming ``field``;
    ScheduleRangeError (a ScheduleError) when the instant is outside ``TIMESTAMP_RANGE``.
    """
    allowed = "an ISO-8601 timestamp such as 2021-04-07T14:29:00-08:00"
    if not isinstance(value, str) or (match := _TIMESTAMP.fullmatch(value)) is None:
        raise ScheduleError(expression or str(value), field, str(value), allowed)
    text = value if match["zone"] != "Z" else value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ScheduleError(expression or value, field, value, allowed) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_UTC)
    # The year first: converting year 1 or 9999 to UTC can leave datetime's range. A year next
    # to the calendar may still be inside it once its offset is applied (1969-12-31T20:00-05:00).
    if not _MIN_YEAR - 1 <= parsed.year <= _MAX_YEAR + 1 or not (
        _CALENDAR_START <= parsed.astimezone(_UTC) < _CALENDAR_END
    ):
        raise ScheduleRangeError(expression or value, field, value, TIMESTAMP_RANGE)
    return parsed


def _month_length(year: int, month: int) -> int:
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _DAYS_IN_MONTH[month - 1]


def _aws_weekday(day: date) -> int:
    """AWS day-of-week number: 1 = Sunday ... 7 = Saturday."""
    return (day.weekday() + 1) % 7 + 1


@lru_cache(maxsize=8192)
def _month_days(spec: _DaySpec, year: int, month: int) -> tuple[int, ...]:
    """Days of ``year-month`` on which ``spec`` runs, ascending."""
    length = _month_length(year, month)
    first = _aws_weekday(date(year, month, 1))  # weekday number of the 1st

    def weekday(day: int) -> int:
        return (first - 1 + day - 1) % 7 + 1

    if spec.kind == "values":
        return tuple(day for day in spec.values if day <= length)
    if spec.kind == "weekdays":
        return tuple(day for day in range(1, length + 1) if weekday(day) in spec.values)
    if spec.kind == "last":
        return (length,)
    if spec.kind == "last_weekday":
        return (length - {7: 1, 1: 2}.get(weekday(length), 0),)
    if spec.kind == "nearest_weekday":
        day = spec.n
        if day > length:
            return ()
        if weekday(day) == 7:  # Saturday: Friday before, unless that leaves the month
            return (3,) if day == 1 else (day - 1,)
        if weekday(day) == 1:  # Sunday: Monday after, unless that leaves the month
            return (day - 2,) if day == length else (day + 1,)
        return (day,)
    if spec.kind == "last_of_month":
        return (length - (weekday(length) - spec.n) % 7,)
    # nth: the k-th weekday n of the month, if the month has one
    day = 1 + (spec.n - first) % 7 + 7 * (spec.k - 1)
    return (day,) if day <= length else ()


# --------------------------------------------------------------------------- openings


def _cron_wall_times(
    schedule: CronSchedule, zone: tzinfo, start: datetime, stop: datetime | None
) -> Iterator[datetime]:
    """Wall-clock times in ``zone`` (``fold=0``) from naive ``start`` on that ``schedule`` names.

    Ascending by wall time. Steps field by field: each level only begins mid-list while
    every level above it is still on ``start``'s own value. Ends after naive ``stop``'s
    month, or after year 2199.
    """
    seconds, minutes, hours, months, spec = (
        schedule.seconds,
        schedule.minutes,
        schedule.hours,
        schedule.months,
        schedule.days,
    )
    for year in schedule.years[bisect_left(schedule.years, start.year) :]:
        on_year = year == start.year
        for month in months[bisect_left(months, start.month) if on_year else 0 :]:
            if stop is not None and (year, month) > (stop.year, stop.month):
                return
            on_month = on_year and month == start.month
            days = _month_days(spec, year, month)
            for day in days[bisect_left(days, start.day) if on_month else 0 :]:
                on_day = on_month and day == start.day
                for hour in hours[bisect_left(hours, start.hour) if on_day else 0 :]:
                    on_hour = on_day and hour == start.hour
                    for minute in minutes[bisect_left(minutes, start.minute) if on_hour else 0 :]:
                        on_minute = on_hour and minute == start.minute
                        for second in seconds[bisect_left(seconds, start.second) if on_minute else 0 :]:
                            yield datetime(year, month, day, hour, minute, second, tzinfo=zone)


def _cron_instants(
    schedule: CronSchedule, zone: tzinfo, start: datetime, stop: datetime | None, offset_days: int
) -> Iterator[datetime]:
    """UTC instants of the runs, ascending and without repeats.

    A wall time is resolved with ``fold=0``: the first of a repeated time, and a missing
    time shifted forward by the gap. Shifted times can overtake real ones and can coincide
    with them, so runs pass through a heap and leave it only once no later wall time can
    produce an earlier instant (``_WALL_SLACK`` before the current wall-clock day).
    """
    shift = timedelta(days=offset_days)
    walls = _cron_wall_times(schedule, zone, start, stop)
    if zone is _UTC:
        yield from (wall + shift for wall in walls) if offset_days else walls
        return
    pending: list[datetime] = []
    last: datetime | None = None
    day = 0
    settled = _CALENDAR_START
    for wall in walls:
        local = wall + shift if offset_days else wall  # wall-clock arithmetic: same time, later day
        heapq.heappush(pending, local.astimezone(_UTC))
        if local.toordinal() != day:
            day = local.toordinal()
            settled = datetime.fromordinal(day).replace(tzinfo=_UTC) - _WALL_SLACK
        while pending[0] < settled:
            instant = heapq.heappop(pending)
            if instant != last:
                last = instant
                yield instant
    while pending:
        instant = heapq.heappop(pending)
        if instant != last:
            last = instant
            yield instant


def _rate_instants(schedule: RateSchedule, anchor: datetime, after: datetime) -> Iterator[datetime]:
    """``anchor + k * interval`` strictly after ``after``, before ``_OPENINGS_END``, in UTC.

    ``anchor`` may be far before 1970 (any aware datetime): it is only subtracted from and
    added to, and the sum converted to UTC once it is in range.
    """
    interval = schedule.seconds
    if anchor >= _OPENINGS_END:
        return
    # Whole-number arithmetic: an interval of 10**200 days must not overflow a timedelta.
    total = (_OPENINGS_END - anchor) // timedelta(seconds=1)
    if interval > total:
        if anchor > after:
            yield anchor.astimezone(_UTC)
        return
    elapsed = (after - anchor) // timedelta(microseconds=1)
    first = 0 if elapsed < 0 else elapsed // (interval * 1_000_000) + 1
    step = timedelta(seconds=interval)
    instant = (anchor + first * step).astimezone(_UTC) if first * interval <= total else _OPENINGS_END
    while instant < _OPENINGS_END:
        yield instant
        instant += step


def openings(
    expression: str,
    *,
    after: datetime,
    count: int | None = None,
    days: float | None = None,
    timezone: str | None = None,
    offset_days: int | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    duration_hours: int = 1,
    cutoff_hours: int = 0,
) -> list[Opening]:
    """The window's openings strictly after ``after``: the first ``count``, or those within ``days``.

    Exactly one of ``count`` and ``days`` is required. ``timezone`` is ScheduleTimezone (UTC
    when None), ``offset_days`` ScheduleOffset (cron only), ``start_date``/``end_date`` the
    active period (ISO-8601, within ``TIMESTAMP_RANGE``). A schedule that never matches returns
    ``[]``: searches end at ``after + days``, at ``end_date`` or just after year 2199. See the
    module docstring for the DST, offset and rate-anchor rules. Raises ScheduleError for invalid
    input. The whole list is built: use :func:`iter_openings` to stop early.
    """
    if (count is None) == (days is None):
        raise ValueError("openings() needs exactly one of count and days")
    return list(
        iter_openings(
            expression,
            after=after,
            count=count,
            days=days,
            timezone=timezone,
            offset_days=offset_days,
            start_date=start_date,
            end_date=end_date,
            duration_hours=duration_hours,
            cutoff_hours=cutoff_hours,
        )
    )


def iter_openings(
    expression: str,
    *,
    after: datetime,
    count: int | None = None,
    days: float | None = None,
    timezone: str | None = None,
    offset_days: int | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    duration_hours: int = 1,
    cutoff_hours: int = 0,
) -> Iterator[Opening]:
    """The openings of :func:`openings`, one at a time, in order.

    ``count`` and ``days`` are both optional here: with neither, the openings run to
    ``end_date`` or just past year 2199. Arguments are validated when this is called, not
    when iteration starts, so errors surface where the call is. Each opening is computed only
    when asked for: memory does not grow with ``count`` or ``days``. ``after`` may be any
    aware datetime: nothing opens before 1969-12-31T00:00Z (a cron or at() time in 1970 is 1969
    in UTC in zones ahead of it) or after the first days of 2200, and a rate()
    without ``start_date`` still counts its intervals from ``after`` itself.
    """
    if count is not None and count < 0:
        raise ValueError(f"count must not be negative, got {count}")
    if days is not None and not days >= 0:  # also NaN
        raise ValueError(f"days must not be negative, got {days}")
    if after.tzinfo is None or after.utcoffset() is None:
        raise ValueError(f"after must be timezone-aware, got {after!r}")

    schedule = parse(expression)
    zone = _zone(timezone, expression)
    _check_window_numbers(expression, schedule, offset_days, duration_hours, cutoff_hours)
    start = parse_timestamp(start_date, "startDate", expression=expression) if start_date is not None else None
    end = parse_timestamp(end_date, "endDate", expression=expression) if end_date is not None else None
    if start is not None and end is not None and end <= start:
        raise ScheduleError(expression, "endDate", str(end_date), f"a time after startDate {start_date}")
    if count == 0 or after >= _OPENINGS_END:
        return iter(())
    # Comparing aware datetimes never overflows; converting year 1 (+05:00) to UTC would.
    after_utc = max(after, _OPENINGS_START).astimezone(_UTC)

    limits = [_OPENINGS_END]
    if end is not None:
        limits.append(end.astimezone(_UTC))
    if days is not None and days < (_OPENINGS_END - after) / timedelta(days=1):
        horizon = after + timedelta(days=days)  # from `after` itself, which may be long before 1970
        if horizon <= _OPENINGS_START:
            return iter(())
        limits.append(horizon.astimezone(_UTC))
    limit = min(limits)
    low = max(after_utc, start.astimezone(_UTC)) if start is not None else after_utc
    if low >= limit:
        return iter(())

    instants: Iterator[datetime]
    if isinstance(schedule, CronSchedule):
        shift = offset_days or 0
        wall_start = (
            max(low, _CALENDAR_START).astimezone(zone).replace(tzinfo=None) - timedelta(days=shift) - _WALL_SLACK
        )
        wall_stop = (
            None
            if limit == _OPENINGS_END
            else limit.astimezone(zone).replace(tzinfo=None) - timedelta(days=shift) + _WALL_SLACK
        )
        instants = _cron_instants(schedule, zone, wall_start, wall_stop, shift)
    elif isinstance(schedule, RateSchedule):
        anchor = start.astimezone(_UTC) if start is not None else after
        instants = _rate_instants(schedule, anchor, after_utc)
    else:  # at(): its year is 1970-2199 (checked by parse), so any zone keeps it in range
        instants = iter([schedule.when.replace(tzinfo=zone).astimezone(_UTC)])
    return _openings_from(instants, zone, after_utc, low, limit, count, duration_hours, cutoff_hours)


def _openings_from(
    instants: Iterator[datetime],
    zone: tzinfo,
    after_utc: datetime,
    low: datetime,
    limit: datetime,
    count: int | None,
    duration_hours: int,
    cutoff_hours: int,
) -> Iterator[Opening]:
    """Openings from run instants: those in ``[low, limit)`` and after ``after_utc``, at most ``count``."""
    duration = timedelta(hours=duration_hours)
    to_stop = timedelta(hours=duration_hours - cutoff_hours)
    found = 0
    for instant in instants:
        if instant >= limit:
            return
        if instant <= after_utc or instant < low:
            continue
        if zone is _UTC:
            yield Opening(instant, instant + to_stop, instant + duration)
        else:
            # Elapsed-time arithmetic in UTC, then shown in the window's zone.
            yield Opening(
                instant.astimezone(zone),
                (instant + to_stop).astimezone(zone),
                (instant + duration).astimezone(zone),
            )
        found += 1
        if count is not None and found >= count:
            return


def _check_window_numbers(
    expression: str, schedule: Schedule, offset_days: int | None, duration_hours: int, cutoff_hours: int
) -> None:
    if offset_days is not None:
        if not isinstance(schedule, CronSchedule):
            raise ScheduleError(expression, "scheduleOffset", str(offset_days), "only with a cron() schedule")
        if not _OFFSET_RANGE[0] <= offset_days <= _OFFSET_RANGE[1]:
            raise ScheduleError(expression, "scheduleOffset", str(offset_days), "1-6 days")
    if not _DURATION_RANGE[0] <= duration_hours <= _DURATION_RANGE[1]:
        raise ScheduleError(expression, "duration", str(duration_hours), "1-24 hours")
    if not _CUTOFF_RANGE[0] <= cutoff_hours <= _CUTOFF_RANGE[1] or cutoff_hours >= duration_hours:
        raise ScheduleError(expression, "cutoff", str(cutoff_hours), "0-23 hours and less than the duration")


# --------------------------------------------------------------------------- matching


def _wall_matches(schedule: CronSchedule, wall: datetime) -> bool:
    return (
        wall.second in schedule.seconds
        and wall.minute in schedule.minutes
        and wall.hour in schedule.hours
        and wall.month in schedule.months
        and wall.year in schedule.years
        and wall.day in _month_days(schedule.days, wall.year, wall.month)
    )


def matches(schedule: Schedule, dt: datetime, *, anchor: datetime | None = None) -> bool:
    """Whether ``dt`` is a time at which ``schedule`` opens (before offset and active period).

    For cron and at, ``dt`` is read in its own timezone (a naive ``dt`` as plain wall time),
    with the DST rules of :func:`openings`: the second occurrence of a repeated wall time
    does not match, and the time a missing wall time is shifted to does. Checks the fields
    one by one, independently of the stepping in :func:`openings`. A rate schedule needs its
    ``anchor`` and matches whole intervals from it.
    """
    if isinstance(schedule, RateSchedule):
        if anchor is None:
            raise ValueError("matching a rate() schedule needs its anchor")
        elapsed = dt - anchor
        return elapsed >= timedelta(0) and elapsed % timedelta(seconds=schedule.seconds) == timedelta(0)
    wall = dt.replace(tzinfo=None, fold=0)
    zone = dt.tzinfo
    if isinstance(schedule, AtSchedule):
        if zone is None:
            return wall == schedule.when
        return dt == schedule.when.replace(tzinfo=zone).astimezone(_UTC)
    if zone is None or dt.utcoffset() is None:
        return _wall_matches(schedule, wall)
    if _wall_matches(schedule, wall):
        # Of a wall time that happens twice only the first occurrence runs.
        return not (dt.fold == 1 and wall.replace(tzinfo=zone).utcoffset() != dt.utcoffset())
    if not _MIN_YEAR <= wall.year <= _MAX_YEAR + 1:
        return False  # no run so far from the cron years; and the arithmetic below could overflow
    # dt may be where a missing wall time (spring forward) was moved to.
    instant = dt.astimezone(_UTC)
    offset_now = dt.utcoffset()
    offset_before = (instant - _WALL_SLACK).astimezone(zone).utcoffset()
    if offset_now is None or offset_before is None or offset_now <= offset_before:
        return False
    missing = wall - (offset_now - offset_before)
    return _wall_matches(schedule, missing) and missing.replace(tzinfo=zone).astimezone(_UTC) == instant


def overlaps(a: list[Opening], b: list[Opening]) -> list[tuple[Opening, Opening]]:
    """Pairs ``(x, y)``, x from ``a`` and y from ``b``, whose open periods intersect.

    Periods are half-open, ``[opens, closes)``: a window closing exactly when the other
    opens does not overlap it. Pairs come ordered by ``x.opens`` then ``y.opens``.
    """
    if not a or not b:
        return []
    ordered = sorted(b, key=lambda o: o.opens.timestamp())
    starts = [o.opens.timestamp() for o in ordered]
    longest = max(o.closes.timestamp() - o.opens.timestamp() for o in ordered)
    pairs: list[tuple[Opening, Opening]] = []
    for x in sorted(a, key=lambda o: o.opens.timestamp()):
        x_opens, x_closes = x.opens.timestamp(), x.closes.timestamp()
        # Only a y opening within `longest` before x can still be open when x opens.
        first = bisect_right(starts, x_opens - longest)
        last = bisect_left(starts, x_closes)
        pairs.extend((x, y) for y in ordered[first:last] if y.closes.timestamp() > x_opens)
    return pairs
