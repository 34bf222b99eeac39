"""Schedule expressions: parsing, validation and openings checked against a calendar by hand.

Calendar used for the hand-worked expectations (2026 unless said otherwise):
October 1 is a Thursday, November 1 a Sunday, December 1 a Tuesday, January 1 2027 a
Friday, August 1 a Saturday. New York: DST ends 2026-11-01 02:00 EDT (01:00-02:00 happens
twice), starts 2026-03-08 02:00 EST (02:00-03:00 does not exist). Berlin: DST starts
2026-03-29 02:00 CET, ends 2026-10-25 03:00 CEST (02:00-03:00 happens twice).
"""

from __future__ import annotations

import threading
import tracemalloc
from datetime import UTC, datetime, timedelta, timezone
from itertools import islice, pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import examples
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from mw_core.errors import MWError, ScheduleError
from mw_core.schedule import (
    TIMESTAMP_RANGE,
    AtSchedule,
    CronSchedule,
    Opening,
    RateSchedule,
    ScheduleRangeError,
    iter_openings,
    matches,
    openings,
    overlaps,
    parse,
    parse_timestamp,
    validate_timezone,
)

NEW_YORK = ZoneInfo("America/New_York")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def opens(expression: str, after: str, **kwargs: object) -> list[str]:
    return [o.opens.isoformat() for o in openings(expression, after=at(after), **kwargs)]  # type: ignore[arg-type]


# (id, expression, after, keyword arguments, expected `opens`, worked out from a calendar)
OPENINGS = [
    (
        "patch-tuesday",
        "cron(0 2 ? * TUE#2 *)",
        "2026-10-01T00:00:00+00:00",
        {"count": 3},
        ["2026-10-13T02:00:00+00:00", "2026-11-10T02:00:00+00:00", "2026-12-08T02:00:00+00:00"],
    ),
    (
        "patch-tuesday-offset-2-is-thursday",
        "cron(0 2 ? * TUE#2 *)",
        "2026-10-01T00:00:00+00:00",
        {"count": 3, "offset_days": 2},
        ["2026-10-15T02:00:00+00:00", "2026-11-12T02:00:00+00:00", "2026-12-10T02:00:00+00:00"],
    ),
    (
        "aws-doc-offset-example-third-tuesday-plus-2",
        "cron(30 23 ? * TUE#3 *)",
        "2026-11-01T00:00:00+00:00",
        {"count": 2, "offset_days": 2},
        ["2026-11-19T23:30:00+00:00", "2026-12-17T23:30:00+00:00"],
    ),
    (
        "offset-crosses-month-and-year",
        # October 31 + 3 days opens after `after` although its cron match is before it.
        "cron(0 22 L * ? *)",
        "2026-11-01T00:00:00+00:00",
        {"count": 3, "offset_days": 3},
        ["2026-11-03T22:00:00+00:00", "2026-12-03T22:00:00+00:00", "2027-01-03T22:00:00+00:00"],
    ),
    (
        "lowercase-names",
        "cron(0 2 ? * tue#2 *)",
        "2026-11-01T00:00:00+00:00",
        {"count": 1},
        ["2026-11-10T02:00:00+00:00"],
    ),
    (
        "last-day-of-month",
        "cron(0 2 L * ? *)",
        "2026-11-01T00:00:00+00:00",
        {"count": 3},
        ["2026-11-30T02:00:00+00:00", "2026-12-31T02:00:00+00:00", "2027-01-31T02:00:00+00:00"],
    ),
    (
        "last-friday-6L",
        "cron(15 10 ? * 6L *)",
        "2026-11-01T00:00:00+00:00",
        {"count": 3},
        ["2026-11-27T10:15:00+00:00", "2026-12-25T10:15:00+00:00", "2027-01-29T10:15:00+00:00"],
    ),
    (
        "last-saturday-7L",
        "cron(0 2 ? * 7L *)",
        "2026-11-01T00:00:00+00:00",
        {"count": 3},
        ["2026-11-28T02:00:00+00:00", "2026-12-26T02:00:00+00:00", "2027-01-30T02:00:00+00:00"],
    ),
    (
        "L-alone-in-day-of-week-is-every-saturday",
        "cron(0 2 ? * L *)",
        "2026-11-01T00:00:00+00:00",
        {"count": 3},
        ["2026-11-07T02:00:00+00:00", "2026-11-14T02:00:00+00:00", "2026-11-21T02:00:00+00:00"],
    ),
    (
        "15W-sunday-moves-to-monday",
        "cron(0 3 15W * ? *)",
        "2026-11-01T00:00:00+00:00",
        {"count": 3},
        ["2026-11-16T03:00:00+00:00", "2026-12-15T03:00:00+00:00", "2027-01-15T03:00:00+00:00"],
    ),
    (
        "14W-saturday-moves-to-friday",
        "cron(0 3 14W * ? *)",
        "2026-11-01T00:00:00+00:00",
        {"count": 3},
        ["2026-11-13T03:00:00+00:00", "2026-12-14T03:00:00+00:00", "2027-01-14T03:00:00+00:00"],
    ),
    (
        "1W-saturday-first-moves-to-monday-3rd-not-july",
        "cron(0 3 1W * ? *)",
        "2026-07-15T00:00:00+00:00",
        {"count": 3},
        ["2026-08-03T03:00:00+00:00", "2026-09-01T03:00:00+00:00", "2026-10-01T03:00:00+00:00"],
    ),
    (
        "31W-stays-in-month-and-skips-short-months",
        "cron(0 3 31W * ? *)",
        "2026-10-01T00:00:00+00:00",
        {"count": 3},
        ["2026-10-30T03:00:00+00:00", "2026-12-31T03:00:00+00:00", "2027-01-29T03:00:00+00:00"],
    ),
    (
        "LW-last-weekday",
        "cron(0 3 LW * ? *)",
        "2026-10-01T00:00:00+00:00",
        {"count": 3},
        ["2026-10-30T03:00:00+00:00", "2026-11-30T03:00:00+00:00", "2026-12-31T03:00:00+00:00"],
    ),
    (
        "day-of-week-1-is-sunday",
        "cron(0 8 ? * 1 *)",
        "2026-11-01T00:00:00+00:00",
        {"count": 2},
        ["2026-11-01T08:00:00+00:00", "2026-11-08T08:00:00+00:00"],
    ),
    (
        "day-of-week-range-wraps-fri-to-mon",
        "cron(0 8 ? * FRI-MON *)",
        "2026-11-05T12:00:00+00:00",
        {"count": 5},
        [
            "2026-11-06T08:00:00+00:00",
            "2026-11-07T08:00:00+00:00",
            "2026-11-08T08:00:00+00:00",
            "2026-11-09T08:00:00+00:00",
            "2026-11-13T08:00:00+00:00",
        ],
    ),
    (
        "weekday-increments-every-5-minutes-from-8",
        "cron(0/5 8-17 ? * MON-FRI *)",
        "2026-11-06T17:44:00+00:00",
        {"count": 4},
        [
            "2026-11-06T17:45:00+00:00",
            "2026-11-06T17:50:00+00:00",
            "2026-11-06T17:55:00+00:00",
            "2026-11-09T08:00:00+00:00",
        ],
    ),
    (
        "seven-fields-with-seconds",
        "cron(24 30 09 ? * * *)",
        "2026-11-01T00:00:00+00:00",
        {"count": 2},
        ["2026-11-01T09:30:24+00:00", "2026-11-02T09:30:24+00:00"],
    ),
    (
        "year-field-single-year",
        "cron(0 12 1 JAN ? 2028)",
        "2026-11-01T00:00:00+00:00",
        {"count": 3},
        ["2028-01-01T12:00:00+00:00"],
    ),
    (
        "leap-days-in-a-year-range",
        "cron(0 0 29 FEB ? 2027-2032)",
        "2026-11-01T00:00:00+00:00",
        {"count": 5},
        ["2028-02-29T00:00:00+00:00", "2032-02-29T00:00:00+00:00"],
    ),
    (
        "new-york-fall-back-ambiguous-runs-once-at-first-occurrence",
        "cron(30 1 ? * * *)",
        "2026-10-31T00:00:00+00:00",
        {"count": 3, "timezone": "America/New_York"},
        ["2026-10-31T01:30:00-04:00", "2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"],
    ),
    (
        "new-york-fall-back-repeated-hour-not-repeated",
        "cron(0/30 0-2 ? * * *)",
        "2026-11-01T03:00:00+00:00",
        {"days": 0.5, "timezone": "America/New_York"},
        [
            "2026-11-01T00:00:00-04:00",
            "2026-11-01T00:30:00-04:00",
            "2026-11-01T01:00:00-04:00",
            "2026-11-01T01:30:00-04:00",
            "2026-11-01T02:00:00-05:00",
            "2026-11-01T02:30:00-05:00",
        ],
    ),
    (
        "new-york-spring-forward-missing-time-shifted-by-the-gap",
        "cron(30 2 ? * * *)",
        "2026-03-07T00:00:00+00:00",
        {"count": 3, "timezone": "America/New_York"},
        ["2026-03-07T02:30:00-05:00", "2026-03-08T03:30:00-04:00", "2026-03-09T02:30:00-04:00"],
    ),
    (
        "new-york-spring-forward-shifted-times-merge-with-real-ones",
        "cron(0/30 1-3 ? * * *)",
        "2026-03-08T05:00:00+00:00",
        {"days": 0.5, "timezone": "America/New_York"},
        [
            "2026-03-08T01:00:00-05:00",
            "2026-03-08T01:30:00-05:00",
            "2026-03-08T03:00:00-04:00",
            "2026-03-08T03:30:00-04:00",
        ],
    ),
    (
        "berlin-spring-forward",
        "cron(30 2 ? * SUN *)",
        "2026-03-21T00:00:00+00:00",
        {"count": 3, "timezone": "Europe/Berlin"},
        ["2026-03-22T02:30:00+01:00", "2026-03-29T03:30:00+02:00", "2026-04-05T02:30:00+02:00"],
    ),
    (
        "berlin-fall-back",
        "cron(30 2 ? * SUN *)",
        "2026-10-17T00:00:00+00:00",
        {"count": 3, "timezone": "Europe/Berlin"},
        ["2026-10-18T02:30:00+02:00", "2026-10-25T02:30:00+02:00", "2026-11-01T02:30:00+01:00"],
    ),
    (
        "aws-doc-example-1-start-date-los-angeles",
        # The guide says the first run is "Wednesday, January 4, 2021"; January 4, 2021 was a
        # Monday, and the first Wednesday after the start date is January 6.
        "cron(0 09 ? * WED *)",
        "2020-12-01T00:00:00+00:00",
        {"count": 2, "timezone": "America/Los_Angeles", "start_date": "2021-01-01T00:00:00-08:00"},
        ["2021-01-06T09:00:00-08:00", "2021-01-13T09:00:00-08:00"],
    ),
    (
        "rate-30-minutes-from-start-date",
        "rate(30 minutes)",
        "2026-10-31T00:00:00+00:00",
        {"days": 2, "start_date": "2026-11-01T00:00:00Z"},
        [f"2026-11-01T{hour:02d}:{minute:02d}:00+00:00" for hour in range(24) for minute in (0, 30)],
    ),
    (
        "rate-without-start-date-counts-from-after",
        "rate(30 minutes)",
        "2026-11-01T00:10:00+00:00",
        {"count": 3},
        ["2026-11-01T00:40:00+00:00", "2026-11-01T01:10:00+00:00", "2026-11-01T01:40:00+00:00"],
    ),
    (
        "rate-1-day-is-elapsed-time-across-dst",
        "rate(1 day)",
        "2026-10-30T00:00:00+00:00",
        {"count": 3, "timezone": "America/New_York", "start_date": "2026-10-31T12:00:00-04:00"},
        ["2026-10-31T12:00:00-04:00", "2026-11-01T11:00:00-05:00", "2026-11-02T11:00:00-05:00"],
    ),
    (
        "at-in-the-schedule-timezone",
        "at(2026-11-05T10:00:00)",
        "2026-11-01T00:00:00+00:00",
        {"count": 3, "timezone": "Europe/Berlin"},
        ["2026-11-05T10:00:00+01:00"],
    ),
    (
        "at-without-timezone-is-utc",
        "at(2026-11-05T10:00:00)",
        "2026-11-01T00:00:00+00:00",
        {"days": 30},
        ["2026-11-05T10:00:00+00:00"],
    ),
    (
        "at-already-past",
        "at(2026-11-05T10:00:00)",
        "2026-11-05T10:00:00+00:00",
        {"count": 1},
        [],
    ),
    (
        "start-inclusive-end-exclusive",
        "cron(0 2 ? * * *)",
        "2026-11-01T00:00:00+00:00",
        {"count": 10, "start_date": "2026-11-03T02:00:00+00:00", "end_date": "2026-11-05T02:00:00Z"},
        ["2026-11-03T02:00:00+00:00", "2026-11-04T02:00:00+00:00"],
    ),
    (
        "start-and-end-with-offsets",
        "cron(0 6 ? * * *)",
        "2026-11-01T00:00:00+00:00",
        {"count": 10, "start_date": "2026-11-03T01:00:00-05:00", "end_date": "2026-11-05T00:00:00-05:00"},
        ["2026-11-03T06:00:00+00:00", "2026-11-04T06:00:00+00:00"],
    ),
    ("february-31-never", "cron(0 0 31 2 ? *)", "2026-11-01T00:00:00+00:00", {"count": 5}, []),
    ("year-already-past", "cron(0 0 1 1 ? 2020)", "2026-11-01T00:00:00+00:00", {"count": 5}, []),
]


@pytest.mark.parametrize(
    ("expression", "after", "kwargs", "expected"),
    [case[1:] for case in OPENINGS],
    ids=[case[0] for case in OPENINGS],
)
def test_openings_match_the_calendar(
    expression: str, after: str, kwargs: dict[str, object], expected: list[str]
) -> None:
    assert opens(expression, after, **kwargs) == expected


def test_aws_doc_example_2_rate_seven_days_in_tokyo() -> None:
    # "The last execution is at 3:15 AM Japan Standard Time on Tuesday, June 25, 2019."
    result = openings(
        "rate(7 days)",
        after=at("2018-12-31T00:00:00+00:00"),
        count=100,
        timezone="Asia/Tokyo",
        start_date="2019-01-01T03:15:00+09:00",
        end_date="2019-06-30T06:15:00+09:00",
    )
    assert result[0].opens.isoformat() == "2019-01-01T03:15:00+09:00"
    assert result[-1].opens.isoformat() == "2019-06-25T03:15:00+09:00"
    assert len(result) == 26  # January 1 to June 25 is 175 days: 25 weeks, 26 runs
    assert {o.opens.strftime("%a %H:%M") for o in result} == {"Tue 03:15"}


def test_an_opening_spans_duration_with_cutoff_at_the_end() -> None:
    (opening,) = openings(
        "cron(0 2 ? * TUE#2 *)", after=at("2026-11-01T00:00:00+00:00"), count=1, duration_hours=4, cutoff_hours=1
    )
    assert opening == Opening(
        opens=at("2026-11-10T02:00:00+00:00"),
        stops_starting=at("2026-11-10T05:00:00+00:00"),
        closes=at("2026-11-10T06:00:00+00:00"),
    )


def test_duration_is_elapsed_time_across_the_repeated_hour() -> None:
    opening = openings(
        "cron(30 1 ? * * *)",
        after=at("2026-11-01T00:00:00+00:00"),
        count=1,
        timezone="America/New_York",
        duration_hours=2,
        cutoff_hours=1,
    )[0]
    assert opening.opens.isoformat() == "2026-11-01T01:30:00-04:00"
    assert opening.stops_starting.isoformat() == "2026-11-01T01:30:00-05:00"
    assert opening.closes.isoformat() == "2026-11-01T02:30:00-05:00"
    assert opening.closes - opening.opens != timedelta(hours=2)  # same-zone subtraction is wall time
    assert opening.closes.timestamp() - opening.opens.timestamp() == 2 * 3600


def test_never_matching_schedule_returns() -> None:
    """February 30th never comes: the search gives up rather than scanning for ever. How long it takes is measured
    by benchmarks/bench.py; here a generous bound turns a hang into a failure."""
    found: list[list[Any]] = []

    def search() -> None:
        found.append(openings("cron(0 0 30 2 ? *)", after=at("2026-11-01T00:00:00+00:00"), count=1))
        found.append(openings("cron(0 0 30 2 ? *)", after=at("2026-11-01T00:00:00+00:00"), days=3650))

    worker = threading.Thread(target=search, daemon=True)
    worker.start()
    worker.join(120)
    assert not worker.is_alive(), "no answer within 120 s"
    assert found == [[], []]


def test_ninety_days_of_rate_30_minutes() -> None:
    result = openings(
        "rate(30 minutes)", after=at("2026-10-31T23:59:00+00:00"), days=90, start_date="2026-11-01T00:00:00Z"
    )
    assert len(result) == 90 * 48
    assert result[-1].opens.isoformat() == "2027-01-29T23:30:00+00:00"


# --------------------------------------------------------------------------- invalid input

# (expression, field, value)
INVALID = [
    ("cron(0 2 * * * *)", "day-of-week", "*"),
    ("cron(0 2 ? * ? *)", "day-of-month", "?"),
    ("cron(0 2 * * MON *)", "day-of-week", "MON"),
    ("cron(60 2 * * ? *)", "minutes", "60"),
    ("cron(0 24 * * ? *)", "hours", "24"),
    ("cron(0 2 32 * ? *)", "day-of-month", "32"),
    ("cron(0 2 0 * ? *)", "day-of-month", "0"),
    ("cron(0 2 L-2 * ? *)", "day-of-month", "L-2"),
    ("cron(0 2 32W * ? *)", "day-of-month", "32W"),
    ("cron(0 2 15W,20 * ? *)", "day-of-month", "15W,20"),
    ("cron(0 2 * 13 ? *)", "month", "13"),
    ("cron(0 2 * FOO ? *)", "month", "FOO"),
    ("cron(0 2 ? * 8 *)", "day-of-week", "8"),
    ("cron(0 2 ? * 0 *)", "day-of-week", "0"),
    ("cron(0 2 ? * TUE#6 *)", "day-of-week", "TUE#6"),
    ("cron(0 2 ? * TUE#2,THU#2 *)", "day-of-week", "TUE#2,THU#2"),
    ("cron(0 2 ? * 6L,2 *)", "day-of-week", "6L,2"),
    ("cron(0 2 * * ? 1969)", "year", "1969"),
    ("cron(0 2 * * ? 2200)", "year", "2200"),
    ("cron(0/2 * * * ? *)", "minutes", "0/2"),
    ("cron(58,1 * * * ? *)", "minutes", "58,1"),
    ("cron(*/0 2 * * ? *)", "minutes", "*/0"),
    ("cron(0,10 0/15 2 * * ? *)", "seconds", "0,10"),
    ("cron(1-2-3 2 * * ? *)", "minutes", "1-2-3"),
    ("cron(,5 2 * * ? *)", "minutes", ",5"),
    ("cron(0 2 * * ?)", "cron fields", "0 2 * * ?"),
    ("cron(0 0 0 2 * * ? *)", "cron fields", "0 0 0 2 * * ? *"),
    ("cron( 0 2 * * ? *)", "cron", " 0 2 * * ? *"),
    ("rate(1 days)", "rate unit", "days"),
    ("rate(2 day)", "rate unit", "day"),
    ("rate(5 weeks)", "rate unit", "weeks"),
    ("rate(0 minutes)", "rate value", "0"),
    ("rate(-5 minutes)", "rate value", "-5"),
    ("rate(1.5 hours)", "rate value", "1.5"),
    ("rate(05 minutes)", "rate value", "05"),
    ("rate(5minutes)", "rate", "5minutes"),
    ("at(2026-13-01T00:00:00)", "at timestamp", "2026-13-01T00:00:00"),
    ("at(2026-11-01 00:00:00)", "at timestamp", "2026-11-01 00:00:00"),
    ("at(2026-11-01T00:00)", "at timestamp", "2026-11-01T00:00"),
    ("", "expression", ""),
    ("cron (0 2 * * ? *)", "expression", "cron (0 2 * * ? *)"),
    (" cron(0 2 * * ? *)", "expression", " cron(0 2 * * ? *)"),
    ("cron(0 2 * * ? *) ", "expression", "cron(0 2 * * ? *) "),
    ("CRON(0 2 * * ? *)", "expression", "CRON(0 2 * * ? *)"),
    ("0 2 * * ? *", "expression", "0 2 * * ? *"),
]


@pytest.mark.parametrize(("expression", "field", "value"), INVALID, ids=[case[0] or "empty" for case in INVALID])
def test_invalid_expressions_name_field_and_value(expression: str, field: str, value: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse(expression)
    assert (caught.value.field, caught.value.value, caught.value.expression) == (field, value, expression)
    assert str(caught.value).startswith(f"{expression!r}: {field} {value!r} is not valid; allowed: ")
    assert isinstance(caught.value, MWError)
    assert isinstance(caught.value, ValueError)


def test_rate_singular_and_plural() -> None:
    assert parse("rate(1 day)") == RateSchedule("rate(1 day)", 1, "day", 86400)
    assert parse("rate(5 hours)") == RateSchedule("rate(5 hours)", 5, "hour", 5 * 3600)


def test_parse_gives_the_kind_of_schedule() -> None:
    assert isinstance(parse("cron(0 2 ? * TUE#2 *)"), CronSchedule)
    assert isinstance(parse("rate(30 minutes)"), RateSchedule)
    assert parse("at(2026-11-05T10:00:00)") == AtSchedule("at(2026-11-05T10:00:00)", datetime(2026, 11, 5, 10))
    assert parse("cron(0  2  ?  *  TUE#2  *)").hours == (2,)  # runs of spaces between fields


@pytest.mark.parametrize(
    ("kwargs", "field", "value"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "scheduleTimezone", "Mars/Olympus_Mons"),
        ({"timezone": "America/New York"}, "scheduleTimezone", "America/New York"),
        ({"timezone": "localtime"}, "scheduleTimezone", "localtime"),
        ({"offset_days": 7}, "scheduleOffset", "7"),
        ({"offset_days": 0}, "scheduleOffset", "0"),
        ({"start_date": "2026-11-01T25:00:00Z"}, "startDate", "2026-11-01T25:00:00Z"),
        ({"start_date": "next tuesday"}, "startDate", "next tuesday"),
        ({"end_date": "2026-11-01T00:00:00+25:00"}, "endDate", "2026-11-01T00:00:00+25:00"),
        ({"start_date": "2026-11-02T00:00:00Z", "end_date": "2026-11-01T00:00:00Z"}, "endDate", "2026-11-01T00:00:00Z"),
        ({"duration_hours": 25}, "duration", "25"),
        ({"duration_hours": 0}, "duration", "0"),
        ({"duration_hours": 3, "cutoff_hours": 3}, "cutoff", "3"),
        ({"cutoff_hours": -1}, "cutoff", "-1"),
    ],
)
def test_invalid_window_options(kwargs: dict[str, object], field: str, value: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        openings("cron(0 2 ? * TUE#2 *)", after=at("2026-11-01T00:00:00+00:00"), count=1, **kwargs)  # type: ignore[arg-type]
    assert (caught.value.field, caught.value.value) == (field, value)


@pytest.mark.parametrize("expression", ["rate(30 minutes)", "at(2026-11-05T10:00:00)"])
def test_schedule_offset_only_with_cron(expression: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        openings(expression, after=at("2026-11-01T00:00:00+00:00"), count=1, offset_days=2)
    assert (caught.value.field, caught.value.value) == ("scheduleOffset", "2")


@pytest.mark.parametrize(
    "kwargs", [{}, {"count": 1, "days": 1.0}], ids=["neither-count-nor-days", "both-count-and-days"]
)
def test_exactly_one_of_count_and_days(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="exactly one of count and days"):
        openings("rate(1 hour)", after=at("2026-11-01T00:00:00+00:00"), **kwargs)  # type: ignore[arg-type]


def test_after_must_be_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        openings("rate(1 hour)", after=datetime(2026, 11, 1), count=1)


def test_validate_timezone() -> None:
    for name in ("UTC", "America/Chicago", "Europe/Berlin", "Asia/Tokyo"):
        validate_timezone(name)
    with pytest.raises(ScheduleError) as caught:
        validate_timezone("Europe/Atlantis")
    assert (caught.value.field, caught.value.value) == ("scheduleTimezone", "Europe/Atlantis")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-04-07T14:29:00-08:00", "2021-04-07T22:29:00+00:00"),
        ("2021-04-07T14:29:00Z", "2021-04-07T14:29:00+00:00"),
        ("2021-04-07T14:29:00", "2021-04-07T14:29:00+00:00"),
        ("2021-04-07T14:29-08:00", "2021-04-07T22:29:00+00:00"),
        ("2021-04-07T14:29:00.250+09:00", "2021-04-07T05:29:00.250000+00:00"),
        ("2021-04-07", "2021-04-07T00:00:00+00:00"),
    ],
)
def test_parse_timestamp_accepts_iso_8601_extended(text: str, expected: str) -> None:
    assert parse_timestamp(text, "startDate").astimezone(UTC).isoformat() == expected


@pytest.mark.parametrize("text", ["20210407T142900Z", "2021-04-07T14:29:00+0800", "2021-04-07T", "07/04/2021", ""])
def test_parse_timestamp_rejects(text: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_timestamp(text, "endDate")
    assert (caught.value.field, caught.value.value) == ("endDate", text)


# --------------------------------------------------------------------------- matches, overlaps


def test_matches_follows_the_dst_rules() -> None:
    daily = parse("cron(30 1 ? * * *)")
    first = datetime(2026, 11, 1, 1, 30, tzinfo=NEW_YORK)
    second = datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NEW_YORK)
    assert matches(daily, first)
    assert not matches(daily, second)  # the repeated 01:30 (EST) does not run again
    spring = parse("cron(30 2 ? * * *)")
    assert matches(spring, datetime(2026, 3, 8, 3, 30, tzinfo=NEW_YORK))  # where 02:30 moved to
    assert not matches(spring, datetime(2026, 3, 9, 3, 30, tzinfo=NEW_YORK))
    assert matches(spring, datetime(2026, 3, 9, 2, 30))  # naive: plain wall time


def test_matches_rate_needs_anchor() -> None:
    rate = parse("rate(30 minutes)")
    anchor = at("2026-11-01T00:00:00+00:00")
    assert matches(rate, at("2026-11-01T01:30:00+00:00"), anchor=anchor)
    assert not matches(rate, at("2026-11-01T01:31:00+00:00"), anchor=anchor)
    assert not matches(rate, at("2026-10-31T23:30:00+00:00"), anchor=anchor)
    with pytest.raises(ValueError, match="anchor"):
        matches(rate, anchor)


def window(opens_at: str, hours: int) -> Opening:
    start = at(opens_at)
    return Opening(start, start + timedelta(hours=hours), start + timedelta(hours=hours))


def test_overlaps_pairs_intersecting_windows() -> None:
    patching = window("2026-11-10T02:00:00+00:00", 4)  # 02:00-06:00 UTC
    before = window("2026-11-09T23:00:00+00:00", 3)  # ends 02:00: touches, no overlap
    straddles = window("2026-11-10T00:00:00+00:00", 3)  # 00:00-03:00
    inside_new_york = window("2026-11-09T23:30:00-05:00", 1)  # 04:30-05:30 UTC
    touching_after = window("2026-11-10T06:00:00+00:00", 1)
    later = window("2026-11-11T02:00:00+00:00", 4)
    result = overlaps([later, patching], [touching_after, inside_new_york, before, straddles])
    assert result == [(patching, straddles), (patching, inside_new_york)]
    assert overlaps([], [patching]) == []


def test_overlaps_of_generated_openings() -> None:
    after = at("2026-11-01T00:00:00+00:00")
    patch = openings("cron(0 2 ? * TUE#2 *)", after=after, days=60, duration_hours=4, cutoff_hours=1)
    nightly = openings("cron(0 4 ? * * *)", after=after, days=60, timezone="UTC", duration_hours=2)
    pairs = overlaps(patch, nightly)
    assert [(a.opens.isoformat(), b.opens.isoformat()) for a, b in pairs] == [
        ("2026-11-10T02:00:00+00:00", "2026-11-10T04:00:00+00:00"),
        ("2026-12-08T02:00:00+00:00", "2026-12-08T04:00:00+00:00"),
    ]


# --------------------------------------------------------------------------- properties

_TIMEZONES = [None, "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Chatham"]
_DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
_MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]


def _spaced_minutes(values: list[int]) -> bool:
    ordered = sorted(values)
    gaps = [b - a for a, b in pairwise(ordered)] + [60 - ordered[-1] + ordered[0]]
    return min(gaps) >= 5


def _ranges(low: int, high: int) -> st.SearchStrategy[str]:
    return st.tuples(st.integers(low, high), st.integers(low, high)).map(lambda r: f"{r[0]}-{r[1]}")


def _lists(low: int, high: int) -> st.SearchStrategy[str]:
    return st.lists(st.integers(low, high), min_size=2, max_size=4, unique=True).map(
        lambda values: ",".join(map(str, values))
    )


_minutes = st.one_of(
    st.integers(0, 59).map(str),
    st.sampled_from([5, 6, 10, 12, 15, 20, 30]).flatmap(
        lambda step: st.integers(0, step - 1).map(lambda first: f"{first}/{step}")
    ),
    st.lists(st.integers(0, 59), min_size=2, max_size=3, unique=True)
    .filter(_spaced_minutes)
    .map(lambda values: ",".join(map(str, values))),
)
_hours = st.one_of(
    st.just("*"),
    st.integers(0, 23).map(str),
    _ranges(0, 23),
    _lists(0, 23),
    st.tuples(st.integers(0, 23), st.integers(1, 23)).map(lambda r: f"{r[0]}/{r[1]}"),
)
_days_of_month = st.one_of(
    st.just("*"),
    st.integers(1, 31).map(str),
    _ranges(1, 31),
    _lists(1, 31),
    st.sampled_from(["L", "LW", "lw"]),
    st.integers(1, 31).map(lambda day: f"{day}W"),
)
_months = st.one_of(
    st.just("*"),
    st.integers(1, 12).map(str),
    st.sampled_from(_MONTH_NAMES + [name.lower() for name in _MONTH_NAMES]),
    _ranges(1, 12),
    _lists(1, 12),
    st.tuples(st.integers(1, 12), st.integers(1, 6)).map(lambda r: f"{r[0]}/{r[1]}"),
)
_days_of_week = st.one_of(
    st.just("*"),
    st.integers(1, 7).map(str),
    st.sampled_from(_DAY_NAMES),
    st.tuples(st.sampled_from(_DAY_NAMES), st.sampled_from(_DAY_NAMES)).map(lambda r: f"{r[0]}-{r[1]}"),
    _lists(1, 7),
    st.just("L"),
    st.integers(1, 7).map(lambda day: f"{day}L"),
    st.tuples(st.sampled_from([*_DAY_NAMES, "1", "7"]), st.integers(1, 5)).map(lambda r: f"{r[0]}#{r[1]}"),
)
_years = st.sampled_from(["*", "*", "2026", "2026-2030", "2026/2", "2027,2029"])


@st.composite
def cron_expressions(draw: st.DrawFn, *, dense: bool = False) -> str:
    """Valid AWS cron expressions; ``dense`` ones run on most days, every year."""
    seconds = draw(st.one_of(st.none(), st.integers(0, 59).map(str))) if not dense else None
    if dense:
        day_of_month, day_of_week = draw(
            st.sampled_from([("*", "?"), ("?", "*"), ("?", "MON-FRI"), ("?", "SAT,SUN"), ("?", "2,4,6")])
        )
        month, year = "*", "*"
    else:
        if draw(st.booleans()):
            day_of_month, day_of_week = draw(_days_of_month), "?"
        else:
            day_of_month, day_of_week = "?", draw(_days_of_week)
        month, year = draw(_months), draw(_years)
    # Dense ones favour the small hours, where the DST changes are.
    hours = draw(
        st.one_of(st.sampled_from(["*", "1", "2", "1-3", "0-5", "*/2", "1,2,3", "2,3"]), _hours) if dense else _hours
    )
    fields = [draw(_minutes), hours, day_of_month, month, day_of_week, year]
    return f"cron({' '.join(([seconds] if seconds else []) + fields)})"


_afters = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2029, 12, 31), timezones=st.just(UTC))


@settings(max_examples=examples(200), deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(expression=cron_expressions(), after=_afters, zone=st.sampled_from(_TIMEZONES))
def test_every_opening_matches_and_openings_increase(expression: str, after: datetime, zone: str | None) -> None:
    schedule = parse(expression)
    result = openings(expression, after=after, count=15, timezone=zone, duration_hours=3, cutoff_hours=1)
    instants = [o.opens.timestamp() for o in result]
    assert all(later > earlier for earlier, later in pairwise(instants))
    assert all(instant > after.timestamp() for instant in instants)
    for opening in result:
        assert matches(schedule, opening.opens), opening
        assert str(opening.opens.tzinfo) == (zone or "UTC")
        assert opening.closes.timestamp() - opening.opens.timestamp() == 3 * 3600
        assert opening.closes.timestamp() - opening.stops_starting.timestamp() == 3600


# Each DST change the tests use, with its zone, plus Lord Howe's 30-minute changes and a quiet day.
_DST_EVENTS = [
    (datetime(2026, 3, 7, 12, tzinfo=UTC), "America/New_York"),
    (datetime(2026, 10, 31, 12, tzinfo=UTC), "America/New_York"),
    (datetime(2026, 3, 28, 12, tzinfo=UTC), "Europe/Berlin"),
    (datetime(2026, 10, 24, 12, tzinfo=UTC), "Europe/Berlin"),
    (datetime(2026, 4, 4, 0, tzinfo=UTC), "Australia/Lord_Howe"),
    (datetime(2026, 10, 3, 0, tzinfo=UTC), "Australia/Lord_Howe"),
    (datetime(2026, 6, 15, 7, 3, tzinfo=UTC), "UTC"),
]


@settings(max_examples=examples(100), deadline=None, database=None)
@given(expression=cron_expressions(dense=True), event=st.sampled_from(_DST_EVENTS))
def test_no_run_is_missed_minute_by_minute(expression: str, event: tuple[datetime, str]) -> None:
    """Two days checked minute by minute: openings are exactly the instants ``matches`` accepts."""
    after, zone = event
    schedule = parse(expression)
    tz = ZoneInfo(zone)
    found = [o.opens.timestamp() for o in openings(expression, after=after, days=2, timezone=zone)]
    expected = []
    for minute in range(1, 2 * 24 * 60):
        instant = after + timedelta(minutes=minute)
        if matches(schedule, instant.astimezone(tz)):
            expected.append(instant.timestamp())
    assert found == expected


_cron_alphabet = "0123456789 */,-?LWlw#JANFEBMONTUESATSUNDEC"


@settings(max_examples=examples(300), deadline=None, database=None)
@given(
    text=st.one_of(
        st.text(max_size=40),
        st.builds(
            "{}({})".format,
            st.sampled_from(["cron", "rate", "at"]),
            st.text(alphabet=_cron_alphabet + "minuteshoursdaysT:", max_size=40),
        ),
        st.lists(st.text(alphabet=_cron_alphabet, min_size=1, max_size=6), min_size=5, max_size=7).map(
            lambda fields: f"cron({' '.join(fields)})"
        ),
    )
)
def test_any_string_parses_or_raises_schedule_error(text: str) -> None:
    try:
        schedule = parse(text)
    except ScheduleError as error:
        assert error.expression == text
    else:
        assert schedule.expression == text
        # What parses must also plan without crashing.
        openings(text, after=datetime(2026, 11, 1, tzinfo=UTC), count=3, timezone="Europe/Berlin")


# --------------------------------------------------------------------------- the calendar's edges

CALENDAR_START = datetime(1970, 1, 1, tzinfo=UTC)
CALENDAR_END = datetime(2200, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("1970-01-01T00:00:00Z", "1970-01-01T00:00:00+00:00"),
        ("1969-12-31T19:00:00-05:00", "1970-01-01T00:00:00+00:00"),  # year 1969 as written, 1970 in UTC
        ("1970-01-01", "1970-01-01T00:00:00+00:00"),
        ("2199-12-31T23:59:59.999999Z", "2199-12-31T23:59:59.999999+00:00"),
        ("2200-01-01T04:00:00+05:00", "2199-12-31T23:00:00+00:00"),  # year 2200 as written, 2199 in UTC
        ("2199-12-31", "2199-12-31T00:00:00+00:00"),
    ],
)
def test_parse_timestamp_accepts_the_whole_calendar(text: str, utc: str) -> None:
    assert parse_timestamp(text, "startDate").astimezone(UTC).isoformat() == utc


@pytest.mark.parametrize(
    "text",
    [
        "0001-01-01T00:00:00+05:00",  # the issue's: before 1970, and out of datetime's range in UTC
        "0001-01-01",
        "9999-12-31T23:59:59-05:00",
        "9999-12-31",
        "1969-12-31T23:59:59.999Z",
        "1970-01-01T00:00:00+00:01",
        "2200-01-01T00:00:00Z",
        "2199-12-31T23:00:00-05:00",  # 2200-01-01T04:00Z
        "1000-06-15T12:00:00Z",
    ],
)
def test_parse_timestamp_rejects_dates_outside_the_calendar(text: str) -> None:
    with pytest.raises(ScheduleRangeError) as caught:
        parse_timestamp(text, "endDate")
    assert (caught.value.field, caught.value.value, caught.value.allowed) == ("endDate", text, TIMESTAMP_RANGE)
    assert str(caught.value) == (
        f"{text!r}: endDate {text!r} is not valid; allowed: a time from 1970-01-01T00:00:00Z up to, not including, "
        "2200-01-01T00:00:00Z, in UTC (the years 1970-2199 of AWS's cron year field)"
    )
    assert isinstance(caught.value, ScheduleError)


@pytest.mark.parametrize(
    "expression", ["at(1969-12-31T23:59:59)", "at(2200-01-01T00:00:00)", "at(0001-01-01T00:00:00)", "at(9999-12-31T23:59:59)"]
)
def test_at_years_outside_the_calendar_are_rejected(expression: str) -> None:
    with pytest.raises(ScheduleRangeError) as caught:
        parse(expression)
    assert (caught.value.field, caught.value.value) == ("at timestamp", expression[3:-1])
    assert caught.value.allowed == "a year from 1970 to 2199, as in cron's year field"


@pytest.mark.parametrize(
    ("expression", "kwargs", "field"),
    [
        ("cron(0 2 ? * * *)", {"start_date": "0001-01-01T00:00:00+05:00", "count": 3}, "startDate"),
        ("cron(0 2 ? * * *)", {"start_date": "0001-01-01T00:00:00+05:00", "days": 30}, "startDate"),
        ("rate(1 day)", {"start_date": "0001-01-01T00:00:00+05:00", "count": 3}, "startDate"),
        ("cron(0 2 ? * * *)", {"end_date": "9999-12-31T23:59:59-05:00", "days": 30}, "endDate"),
        ("rate(30 minutes)", {"end_date": "2200-01-01T00:00:00Z", "count": 1}, "endDate"),
    ],
)
def test_openings_reject_out_of_range_dates_instead_of_overflowing(
    expression: str, kwargs: dict[str, object], field: str
) -> None:
    with pytest.raises(ScheduleRangeError) as caught:
        openings(expression, after=at("2026-01-01T00:00:00+00:00"), **kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("expression", "kwargs", "expected"),
    [
        # A cron match on the calendar's last day, read in UTC-11 and moved 6 days, opens in 2200.
        (
            "cron(0 23 31 12 ? 2199)",
            {"timezone": "Pacific/Pago_Pago", "offset_days": 6, "count": 2},
            ["2200-01-06T23:00:00-11:00"],
        ),
        ("cron(0 23 31 12 ? 2199)", {"timezone": "America/New_York", "days": 84006}, ["2199-12-31T23:00:00-05:00"]),
        ("at(2199-12-31T23:59:59)", {"timezone": "Etc/GMT+12", "count": 1}, ["2199-12-31T23:59:59-12:00"]),
        # 1969-12-31T15:00Z: year 1970 where it is written, so it runs
        ("at(1970-01-01T00:00:00)", {"timezone": "Asia/Tokyo", "count": 1}, ["1970-01-01T00:00:00+09:00"]),
    ],
)
def test_openings_at_the_top_of_the_calendar(expression: str, kwargs: dict[str, object], expected: list[str]) -> None:
    assert opens(expression, "2199-12-20T00:00:00+00:00" if "2199" in expression else "1969-12-01T00:00:00Z",
                 **kwargs) == expected


@pytest.mark.parametrize(
    ("expression", "after", "kwargs", "expected"),
    [
        # `after` in year 1 at +05:00 cannot be converted to UTC; nothing opens before the last day of
        # 1969, and a rate without startDate still counts from `after` itself (0000-12-31T19:00Z, daily).
        ("rate(1 day)", "0001-01-01T00:00:00+05:00", {"count": 2},
         ["1969-12-31T19:00:00+00:00", "1970-01-01T19:00:00+00:00"]),
        ("cron(0 0 1 1 ? 1970)", "0001-01-01T00:00:00+05:00", {"count": 2}, ["1970-01-01T00:00:00+00:00"]),
        ("cron(0 0 1 1 ? 1970)", "0001-01-01T00:00:00+05:00", {"days": 10}, []),  # ten days of year 1
        ("cron(0 0 1 1 ? 1970)", "1969-12-31T00:00:00+00:00", {"days": 1}, []),  # ends at 1970, exclusive
        ("cron(0 0 1 1 ? 1970)", "0001-01-01T00:00:00+05:00", {"days": 719_162}, []),  # to 1969-12-31T19:00Z
        ("cron(0 2 ? * * *)", "9999-12-31T23:59:59-05:00", {"count": 2}, []),
        ("rate(5 minutes)", "9999-12-31T00:00:00+00:00", {"days": 3_000_000}, []),
    ],
)
def test_any_after_is_accepted_without_overflow(
    expression: str, after: str, kwargs: dict[str, object], expected: list[str]
) -> None:
    assert opens(expression, after, **kwargs) == expected


def test_days_must_be_a_number() -> None:
    with pytest.raises(ValueError, match="days must not be negative, got nan"):
        openings("rate(1 hour)", after=at("2026-11-01T00:00:00+00:00"), days=float("nan"))


def test_iter_openings_is_lazy() -> None:
    """Asking for every daily run until 2200 (63,000) costs only what is taken from it."""
    after = at("2026-01-01T00:00:00+00:00")
    tracemalloc.start()
    try:
        taken = list(islice(iter_openings("rate(1 day)", after=after, count=100_000_000), 1_000))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(taken) == 1_000
    assert taken[-1].opens == after + timedelta(days=1_000)
    assert peak < 2_000_000  # 1,000 openings take about 0.4 MB; all 63,000 would take about 25 MB


def test_iter_openings_validates_when_called() -> None:
    with pytest.raises(ScheduleRangeError):
        iter_openings("rate(1 day)", after=at("2026-01-01T00:00:00+00:00"), start_date="0001-01-01")
    assert next(iter_openings("rate(1 day)", after=at("2026-01-01T00:00:00+00:00"))).opens == at(
        "2026-01-02T00:00:00+00:00"
    )


# Any instant datetime can hold, at any UTC offset it allows, instants in the calendar and close to its edges.
_OFFSETS = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda minutes: timezone(timedelta(minutes=minutes)))
_EDGES = [datetime(1970, 1, 1), datetime(2200, 1, 1)]
_ANYWHERE = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59), timezones=_OFFSETS)
_IN_CALENDAR = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2199, 12, 30), timezones=_OFFSETS)
_NEAR_EDGES = st.builds(
    lambda edge, seconds, offset: (edge + timedelta(seconds=seconds)).replace(tzinfo=offset),
    st.sampled_from(_EDGES),
    st.integers(-3 * 86400, 3 * 86400),
    _OFFSETS,
)
# Weighted towards dates that are accepted, so that openings are computed and checked often.
_INSTANTS = st.sampled_from([_ANYWHERE, _IN_CALENDAR, _IN_CALENDAR, _NEAR_EDGES]).flatmap(lambda kind: kind)
_DATES = st.sampled_from([st.none(), st.none(), _INSTANTS]).flatmap(lambda kind: kind)
# (expression, dense): dense ones open so often that a range of years would take long to list.
_EXPRESSIONS = [
    ("cron(0 2 ? * * *)", True),
    ("cron(0/5 * ? * * *)", True),
    ("rate(5 minutes)", True),
    ("rate(1 day)", True),
    ("cron(59 23 31 12 ? 2199)", False),
    ("cron(0 0 1 1 ? 1970)", False),
    ("cron(0 2 ? * TUE#2 1970-1975,2195-2199)", False),
    ("rate(100000 days)", False),
]
_RANGE_ZONES = [None, "Pacific/Kiritimati", "Etc/GMT+12", "Pacific/Apia", "America/New_York", "Asia/Kolkata"]


def _in_calendar(moment: datetime) -> bool:
    return CALENDAR_START <= moment < CALENDAR_END


@settings(max_examples=examples(400), deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_no_date_in_or_near_datetimes_range_overflows(data: st.DataObject) -> None:
    """Dates anywhere in datetime's range: inside the calendar they are accepted, outside they are a
    ScheduleRangeError naming the field; never an OverflowError, whatever the zone, offset or duration."""
    start = data.draw(_DATES, label="startDate")
    end = data.draw(_DATES, label="endDate")
    after = data.draw(_INSTANTS, label="after")
    if data.draw(st.integers(0, 3), label="at()?") == 0:
        year = data.draw(st.sampled_from([1, 1969, 1970, 2199, 2200, 9999]) | st.integers(1, 9999), label="year")
        expression, dense = f"at({year:04d}-12-31T23:59:59)", False
    else:
        expression, dense = data.draw(st.sampled_from(_EXPRESSIONS), label="expression")
        year = None
    offset = data.draw(st.none() | st.integers(1, 6), label="offset") if expression.startswith("cron") else None
    duration = data.draw(st.integers(1, 24), label="duration")
    cutoff = data.draw(st.integers(0, duration - 1), label="cutoff")
    amount: dict[str, float]
    if data.draw(st.booleans(), label="count?"):
        amount = {"count": data.draw(st.integers(1, 5), label="count")}
    else:
        days = st.floats(0, 2) if dense else st.sampled_from([0.0, 0.5, 31.0, 84006.0, 3e6, 1e300])
        amount = {"days": data.draw(days, label="days")}
    kwargs = dict(
        after=after, timezone=data.draw(st.sampled_from(_RANGE_ZONES), label="zone"), offset_days=offset,
        start_date=start.isoformat() if start else None, end_date=end.isoformat() if end else None,
        duration_hours=duration, cutoff_hours=cutoff, **amount,
    )
    wrong = [field for field, moment in (("startDate", start), ("endDate", end))
             if moment is not None and not _in_calendar(moment)]
    if year is not None and not 1970 <= year <= 2199:
        wrong.insert(0, "at timestamp")
    event("out of range" if wrong else "in range")
    if wrong:
        with pytest.raises(ScheduleRangeError) as caught:
            openings(expression, **kwargs)  # type: ignore[arg-type]
        assert caught.value.field == wrong[0]
        return
    if start is not None and end is not None and end <= start:
        with pytest.raises(ScheduleError, match="endDate"):
            openings(expression, **kwargs)  # type: ignore[arg-type]
        return
    result = openings(expression, **kwargs)  # type: ignore[arg-type]
    event("some openings" if result else "no openings")
    for opening in result:
        assert opening.opens > after
        assert start is None or opening.opens >= start
        assert end is None or opening.opens < end
        assert CALENDAR_START - timedelta(days=1) <= opening.opens < CALENDAR_END + timedelta(days=8)
        assert opening.opens < opening.closes and opening.stops_starting <= opening.closes
