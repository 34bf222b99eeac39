"""The calendar picture: valid PNG and SVG files, one row per window, clear errors."""

from __future__ import annotations

import errno
import os
import struct
import sys
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mw.calendar import CalendarRow, output_problem, render_calendar
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


def test_more_rows_make_a_taller_picture(tmp_path: Path, rows: list[CalendarRow]) -> None:
    render_calendar(rows[:1], tmp_path / "one.png", start=START, end=END)
    render_calendar(rows * 4, tmp_path / "twelve.png", start=START, end=END)
    assert png_size(tmp_path / "twelve.png")[1] > png_size(tmp_path / "one.png")[1]


def test_svg_has_one_row_per_window(tmp_path: Path, rows: list[CalendarRow]) -> None:
    target = tmp_path / "calendar.svg"
    render_calendar(rows, str(target), start=START, end=END)
    root = ET.parse(target).getroot()
    assert root.tag == f"{SVG}svg"
    ids = [element.get("id", "") for element in root.iter(f"{SVG}g")]
    assert len([i for i in ids if i.startswith("ytick_")]) == len(rows)
    assert {i for i in ids if i.startswith("window-")} == {
        f"window-{index}-{part}" for index in range(len(rows)) for part in ("open", "cutoff")
    }
    # Each window's groups hold one bar per opening in range.
    for index, row in enumerate(rows):
        group = next(g for g in root.iter(f"{SVG}g") if g.get("id") == f"window-{index}-open")
        assert len(group.findall(f".//{SVG}path")) == len(row.openings)
    assert "legend_1" in ids


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


def test_missing_matplotlib_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    with pytest.raises(MWError, match=r"install the viz extra: pip install -e '\.\[viz\]'"):
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
