"""The calendar picture: its day rows and bars as data (which day, from what hour to what hour, cutoff or not),
the zone it shows, its legend; valid and deterministic PNG and SVG files; clear errors."""

from __future__ import annotations

import errno
import os
import struct
import sys
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mw.calendar import (
    CUTOFF_LEGEND,
    MAX_DAYS,
    OUTSIDE_LEGEND,
    Bar,
    CalendarRow,
    layout,
    output_problem,
    render_calendar,
)
from mw_core.errors import MWError
from mw_core.schedule import openings

START = datetime(2026, 11, 1, tzinfo=UTC)
END = datetime(2026, 12, 1, tzinfo=UTC)
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def rows() -> list[CalendarRow]:
    return [
        CalendarRow(
            "patch-tuesday",
            openings("cron(0 2 ? * TUE#2 *)", after=START, days=30, offset_days=2, duration_hours=4, cutoff_hours=1),
        ),
        CalendarRow(
            "nightly-berlin",
            openings(
                "cron(0 1 ? * * *)", after=START, days=30, timezone="Europe/Berlin", duration_hours=3, cutoff_hours=1
            ),
            "Europe/Berlin",
        ),
        CalendarRow("every-6-hours", openings("rate(6 hours)", after=START, days=30, duration_hours=2, cutoff_hours=1)),
    ]


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_png_is_written(tmp_path: Path, rows: list[CalendarRow]) -> None:
    from matplotlib import image

    target = tmp_path / "calendar.png"
    render_calendar(rows, target, start=START, end=END)
    width, height = png_size(target)
    assert 400 <= width <= 4000
    assert 150 <= height <= 4000
    pixels = image.imread(target)
    assert pixels.shape[:2] == (height, width)
    assert pixels.std() > 0  # something was drawn, not a blank canvas


@pytest.mark.slow  # draws 92 days: about 2 s
def test_a_quarter_is_one_panel_per_month_as_high_as_a_month(tmp_path: Path, rows: list[CalendarRow]) -> None:
    render_calendar(rows, tmp_path / "month.png", start=START, end=END)
    render_calendar(rows, tmp_path / "quarter.png", start=START, end=START + timedelta(days=92))
    month, quarter = png_size(tmp_path / "month.png"), png_size(tmp_path / "quarter.png")
    assert quarter[0] > month[0]  # panels side by side
    assert abs(quarter[1] - month[1]) < 0.1 * month[1]  # not 3 months of rows stacked


def test_svg_has_each_windows_bars(tmp_path: Path, rows: list[CalendarRow]) -> None:
    target = tmp_path / "calendar.svg"
    render_calendar(rows, str(target), start=START, end=END)
    root = ET.parse(target).getroot()
    assert root.tag == f"{SVG}svg"
    plan = layout(rows, start=START, end=END)
    groups = {element.get("id", ""): element for element in root.iter(f"{SVG}g")}
    for index in range(len(rows)):
        for part, cutoff in (("open", False), ("cutoff", True)):
            # One group per window and part, with one rectangle per bar of the layout.
            drawn = groups[f"window-{index}-{part}"].findall(f".//{SVG}path")
            assert len(drawn) == len([b for b in plan.bars if b.window == index and b.cutoff is cutoff]) > 0
    assert len([i for i in groups if i.startswith("ytick_")]) == len(plan.days)
    assert "legend_1" in groups


def test_svg_is_deterministic(tmp_path: Path, rows: list[CalendarRow]) -> None:
    render_calendar(rows, tmp_path / "a.svg", start=START, end=END)
    render_calendar(rows, tmp_path / "b.svg", start=START, end=END)
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()
    assert b"<dc:date>" not in (tmp_path / "a.svg").read_bytes()


def test_no_rows_still_draws(tmp_path: Path) -> None:
    render_calendar([], tmp_path / "empty.png", start=START, end=END)
    assert png_size(tmp_path / "empty.png")[0] > 0


@pytest.mark.parametrize("name", ["calendar.pdf", "calendar.jpeg", "calendar"])
def test_unsupported_suffix(tmp_path: Path, rows: list[CalendarRow], name: str) -> None:
    with pytest.raises(MWError, match=r"not supported; allowed: \.png, \.svg") as caught:
        render_calendar(rows, tmp_path / name, start=START, end=END)
    assert repr(Path(name).suffix) in str(caught.value)
    assert not (tmp_path / name).exists()


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (datetime(2026, 11, 1), END, "need a timezone"),
        (END, START, "is not after start"),
    ],
)
def test_bad_time_range(tmp_path: Path, start: datetime, end: datetime, message: str) -> None:
    with pytest.raises(MWError, match=message):
        render_calendar([], tmp_path / "calendar.png", start=start, end=end)


def test_missing_matplotlib_names_the_group(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    with pytest.raises(MWError, match=r"install the viz dependency group: make .*, or uv sync --group viz$"):
        render_calendar([], tmp_path / "calendar.png", start=START, end=END)


# --------------------------------------------------------------------------- where it is written


@pytest.mark.parametrize(
    ("name", "prepare", "problem"),
    [
        ("calendar.png", None, None),
        ("calendar.SVG", None, None),
        ("calendar.png", b"an older picture", None),  # replaced
        ("calendar.pdf", None, "suffix '.pdf' is not supported; allowed: .png, .svg"),
        ("calendar.png", "directory", "Is a directory"),
        ("missing/calendar.png", None, "cannot create a file in directory '{tmp}/missing': No such file or directory"),
        ("notes.txt/calendar.png", None, "cannot create a file in directory '{tmp}/notes.txt': Not a directory"),
    ],
)
def test_output_problem(tmp_path: Path, name: str, prepare: bytes | str | None, problem: str | None) -> None:
    (tmp_path / "notes.txt").write_text("a file, not a directory")
    target = tmp_path / name
    if prepare == "directory":
        target.mkdir()
    elif isinstance(prepare, bytes):
        target.write_bytes(prepare)
    before = sorted(tmp_path.rglob("*"))
    assert output_problem(target) == (problem.format(tmp=tmp_path) if problem else None)
    assert sorted(tmp_path.rglob("*")) == before  # the probe file is gone, no directory was made


def test_a_missing_directory_is_not_created(tmp_path: Path, rows: list[CalendarRow]) -> None:
    target = tmp_path / "nested" / "calendar.svg"
    with pytest.raises(MWError) as caught:
        render_calendar(rows, target, start=START, end=END)
    assert str(caught.value) == (
        f"cannot write a calendar to '{target}': cannot create a file in directory '{tmp_path / 'nested'}': "
        "No such file or directory"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_new_picture_gets_the_mode_of_a_plain_new_file(tmp_path: Path, rows: list[CalendarRow]) -> None:
    umask = os.umask(0o022)
    try:
        render_calendar(rows, tmp_path / "calendar.png", start=START, end=END)
    finally:
        os.umask(umask)
    assert (tmp_path / "calendar.png").stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("failure", [OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), KeyboardInterrupt()])
def test_a_failed_write_leaves_no_partial_file(
    tmp_path: Path, rows: list[CalendarRow], monkeypatch: pytest.MonkeyPatch, failure: BaseException
) -> None:
    from matplotlib.figure import Figure

    def fail_half_way(self: Figure, stream: object, **kwargs: object) -> None:
        stream.write(b"<svg half")  # type: ignore[attr-defined]
        raise failure

    monkeypatch.setattr(Figure, "savefig", fail_half_way)
    target = tmp_path / "calendar.svg"
    target.write_bytes(b"old picture")
    expected = MWError if isinstance(failure, OSError) else KeyboardInterrupt
    with pytest.raises(expected) as caught:
        render_calendar(rows, target, start=START, end=END)
    if expected is MWError:
        assert str(caught.value) == f"cannot write a calendar to '{target}': No space left on device"
    assert [p.name for p in tmp_path.iterdir()] == ["calendar.svg"]
    assert target.read_bytes() == b"old picture"


# --------------------------------------------------------------------------- the layout: rows and bars as data


def row(label: str, expression: str, duration: int, cutoff: int, *, after: datetime, days: float,
        timezone: str = "UTC") -> CalendarRow:
    found = openings(expression, after=after, days=days, timezone=None if timezone == "UTC" else timezone,
                     duration_hours=duration, cutoff_hours=cutoff)
    return CalendarRow(label, found, timezone)


def test_an_opening_across_midnight_continues_on_the_next_row_and_nothing_is_cut() -> None:
    late = row("late", "cron(0 22 ? * * *)", 4, 1, after=START, days=2)
    plan = layout([late], start=START, end=START + timedelta(days=2))
    nov = [date(2026, 11, day) for day in (1, 2, 3)]
    # Nov 3 is a row although the range ends at its midnight: the last opening closes at 02:00 that day.
    assert plan.days == tuple(nov)
    assert plan.bars == (
        Bar(0, nov[0], 22.0, 24.0, False), Bar(0, nov[1], 0.0, 1.0, False), Bar(0, nov[1], 1.0, 2.0, True),
        Bar(0, nov[1], 22.0, 24.0, False), Bar(0, nov[2], 0.0, 1.0, False), Bar(0, nov[2], 1.0, 2.0, True),
    )
    assert plan.outside == ((nov[2], 0.0, 24.0),)  # after the range; the tail of Nov 2's opening is drawn over it
    assert plan.hours == {}


@pytest.mark.parametrize(("after", "day", "bars", "hours"), [
    # Fall back, Oct 25 2026: 01:30 CEST for 3 h closes at 03:30 CET. The wall clock repeats 02:00-03:00, so the
    # open part is two pieces (01:30-03:00 CEST, 02:00-02:30 CET); the day lasts 25 hours.
    (datetime(2026, 10, 24, tzinfo=UTC), date(2026, 10, 25),
     [(1.5, 3.0, False), (2.0, 2.5, False), (2.5, 3.5, True)], 25),
    # Spring forward, Mar 29 2026: 01:30 CET for 3 h closes at 05:30 CEST; 02:00-03:00 does not exist.
    (datetime(2026, 3, 28, tzinfo=UTC), date(2026, 3, 29), [(1.5, 2.0, False), (3.0, 4.5, False), (4.5, 5.5, True)],
     23),
])
def test_dst_days_split_the_bars_at_the_change_and_are_marked(after, day, bars, hours) -> None:
    sunday = row("sunday", "cron(30 1 ? * SUN *)", 3, 1, after=after, days=2, timezone="Europe/Berlin")
    plan = layout([sunday], start=after, end=after + timedelta(days=2))
    assert [(b.start, b.end, b.cutoff) for b in plan.bars if b.day == day] == bars
    assert {b.day for b in plan.bars} == {day}
    assert plan.hours == {day: hours}
    assert plan.zone == "Europe/Berlin"


def test_one_zone_is_shown_in_that_zone_and_named() -> None:
    berlin = row("nightly-berlin", "cron(0 1 ? * * *)", 3, 1, after=START, days=30, timezone="Europe/Berlin")
    plan = layout([berlin], start=START, end=END)
    assert (plan.zone, plan.zone_label) == ("Europe/Berlin", "Europe/Berlin (CET)")
    assert plan.title == ("Maintenance windows, Sun 2026-11-01 to Tue 2026-12-01. "
                          "Times in Europe/Berlin (CET), the windows' zone")
    assert {(b.start, b.end, b.cutoff) for b in plan.bars} == {(1.0, 3.0, False), (3.0, 4.0, True)}
    assert plan.legend == ("nightly-berlin (Europe/Berlin)", CUTOFF_LEGEND, OUTSIDE_LEGEND)


def test_several_zones_are_shown_in_utc_and_the_title_says_so(rows: list[CalendarRow]) -> None:
    plan = layout(rows, start=START, end=END)
    assert (plan.zone, plan.zone_label) == ("UTC", "UTC")
    assert plan.title == ("Maintenance windows, Sun 2026-11-01 to Mon 2026-11-30. Times in UTC: the windows use "
                          "several zones (UTC, Europe/Berlin)")
    assert plan.days == tuple(date(2026, 11, day) for day in range(1, 31))
    # 01:00 in Berlin (CET, UTC+1) is midnight UTC: the nightly window's bars start at 0.
    assert {(b.start, b.end, b.cutoff) for b in plan.bars if b.window == 1} == {(0.0, 2.0, False), (2.0, 3.0, True)}
    assert plan.legend == ("patch-tuesday (UTC)", "nightly-berlin (Europe/Berlin)", "every-6-hours (UTC)",
                           CUTOFF_LEGEND)  # the range is whole days: nothing outside it


def test_more_days_than_a_picture_shows_is_an_error() -> None:
    with pytest.raises(MWError, match=f"a calendar picture shows at most {MAX_DAYS} days; this range covers 367 "):
        layout([], start=START, end=START + timedelta(days=367))
    assert len(layout([], start=START, end=START + timedelta(days=MAX_DAYS)).days) == MAX_DAYS


def test_a_range_starting_at_noon_greys_the_morning_before_it() -> None:
    noon = datetime(2026, 11, 1, 12, tzinfo=ZoneInfo("Europe/Berlin"))
    plan = layout([CalendarRow("none", [], "Europe/Berlin")], start=noon, end=noon + timedelta(days=1))
    assert plan.outside == ((date(2026, 11, 1), 0.0, 12.0), (date(2026, 11, 2), 12.0, 24.0))
