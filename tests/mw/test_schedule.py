"""`mw schedule`: openings per window in its timezone and UTC, JSON, pictures, errors, and overlap warnings."""

from __future__ import annotations

import argparse
import errno
import json
import os
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT
from mw_components.target import ResourceGroup, TargetArgs

from mw import schedule as schedule_view
from mw.schedule import targets_may_intersect
from mw_core import schedule
from mw_core.errors import MWError
from mw_core.targets import wire_targets_may_intersect

FROM = "2026-11-22T12:00:00Z"
RANGE = ("a time from 1970-01-01T00:00:00Z up to, not including, 2200-01-01T00:00:00Z, in UTC "
         "(the years 1970-2199 of AWS's cron year field)")
DEV_WINDOW = "PatchTestWorkloadWebServers"
SVG = "{http://www.w3.org/2000/svg}"


def main(argv: Sequence[str]) -> int:
    """What `mw` does with this command: its own parser, MWError printed as a message, exit 2."""
    parser = argparse.ArgumentParser(prog="mw")
    schedule_view.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    try:
        return args.handler(args)
    except MWError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code


def run(capsys: pytest.CaptureFixture[str], *argv: str, project: Path = ROOT) -> tuple[int, str, str]:
    code = main(["schedule", "--project-dir", str(project), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str, project: Path = ROOT) -> dict[str, Any]:
    code, out, _ = run(capsys, *argv, "--json", project=project)
    assert code == 0
    return json.loads(out)


def table_rows(out: str, window: str) -> list[str]:
    """The data rows of one window's table (after its column header, up to the blank line)."""
    lines = out.splitlines()
    start = lines.index(window) + 3
    end = lines.index("", start)
    return [line.strip() for line in lines[start:end]]


def window(name: str, schedule: str, duration: int, *, targets: list[dict[str, Any]] | None = None,
           **extra: Any) -> dict[str, Any]:
    """A stack-config window with one Run Command task on all its targets."""
    targets = targets or []
    task: dict[str, Any] = {"name": "Patch", "type": "RUN_COMMAND", "document": "AWS-RunPatchBaseline",
                            "targets": [t["name"] for t in targets]}
    return {"name": name, "schedule": schedule, "duration": duration, "targets": targets, "tasks": [task], **extra}


def make_project(tmp_path: Path, stacks: dict[str, dict[str, Any]]) -> Path:
    """A project dir with the real program and ``Pulumi.<stack>.yaml`` per entry (config keys namespaced)."""
    for name in ("__main__.py", "Pulumi.yaml"):
        shutil.copy(ROOT / name, tmp_path / name)
    for stack, config in stacks.items():
        document = {"config": {"aws:region": "us-east-1",
                               **{key if ":" in key else f"maintenance-windows:{key}": value
                                  for key, value in config.items()}}}
        (tmp_path / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return tmp_path


# ------------------------------------------------------------------------------------------------ tables


def test_dev_table_lists_the_next_five_daily_openings_in_utc(capsys):
    code, out, err = run(capsys, "--stack", "dev", "--from", FROM)
    assert (code, err) == (0, "")
    assert out.startswith("Stack dev: 1 window, next 5 openings after Sun 2026-11-22 12:00 UTC\n")
    assert "  schedule: cron(0 2 ? * * *)  timezone: UTC  offset: none  duration: 3h  cutoff: 1h" in out
    # A UTC window's own table is the UTC table: one set of columns.
    assert table_rows(out, DEV_WINDOW) == [
        f"{day} 2026-11-{date} 02:00  04:00           05:00"
        for day, date in (("Mon", 23), ("Tue", 24), ("Wed", 25), ("Thu", 26), ("Fri", 27))
    ]
    assert out.rstrip().endswith("Overlaps: none (no two windows that may select the same instance are open at "
                                 "once in the openings listed)")


def test_prod_shows_new_york_time_and_utc_after_patch_tuesday(capsys):
    code, out, _ = run(capsys, "--stack", "prod", "--from", FROM, "--count", "1")
    assert code == 0
    assert ("  schedule: cron(0 2 ? * TUE#2 *)  timezone: America/New_York  offset: 2 days  duration: 4h  "
            "cutoff: 1h") in out
    # December 2026: second Tuesday Dec 8, +2 days = Thursday Dec 10, 02:00 EST = 07:00 UTC.
    assert table_rows(out, "PatchProdCanary") == [
        "Thu 2026-12-10 02:00 EST  05:00 EST       06:00 EST  |  Thu 2026-12-10 07:00  10:00           11:00"]
    # +5 days = Sunday Dec 13; open 6h, cutoff 2h.
    assert table_rows(out, "PatchProdFleet") == [
        "Sun 2026-12-13 02:00 EST  06:00 EST       08:00 EST  |  Sun 2026-12-13 07:00  11:00           13:00"]


def test_prod_follows_daylight_saving_time(capsys):
    code, out, _ = run(capsys, "--stack", "prod", "--from", "2027-03-01T00:00:00Z", "--count", "2")
    assert code == 0
    # 2027-03-14 is the spring-forward Sunday: 02:00 does not exist in New York, so the fleet opens at 03:00 EDT.
    assert table_rows(out, "PatchProdFleet") == [
        "Sun 2027-03-14 03:00 EDT  07:00 EDT       09:00 EDT  |  Sun 2027-03-14 07:00  11:00           13:00",
        "Sun 2027-04-18 02:00 EDT  06:00 EDT       08:00 EDT  |  Sun 2027-04-18 06:00  10:00           12:00",
    ]


def test_a_window_closing_after_midnight_marks_the_next_day(tmp_path, capsys):
    project = make_project(tmp_path, {"test": {"windows": [
        window("LateNight", "cron(0 22 ? * * *)", 4, cutoff=1,
               targets=[{"name": "All", "tags": {"Env": "prod"}}])]}})
    code, out, _ = run(capsys, "--stack", "test", "--from", FROM, "--count", "1", project=project)
    assert code == 0
    assert table_rows(out, "LateNight") == ["Sun 2026-11-22 22:00  01:00 +1d       02:00 +1d"]


@pytest.mark.parametrize("start", ["2026-11-22T12:00:00Z", "2026-11-22T12:00:00", "2026-11-22T07:00:00-05:00",
                                   "2026-11-22T12:00Z", "2026-11-22T12:00:00.000+00:00"])
def test_from_without_an_offset_is_utc_and_every_spelling_of_one_instant_agrees(capsys, start):
    document = run_json(capsys, "--stack", "dev", "--from", start, "--count", "1")
    assert document["windows"][0]["openings"][0]["opens"] == "2026-11-23T02:00:00+00:00"


def test_from_is_exclusive(capsys):
    document = run_json(capsys, "--stack", "dev", "--from", "2026-11-23T02:00:00Z", "--count", "1")
    assert document["windows"][0]["openings"][0]["opens"] == "2026-11-24T02:00:00+00:00"


def test_from_defaults_to_now(capsys):
    before = datetime.now().astimezone()
    document = run_json(capsys, "--stack", "dev")
    opens = [datetime.fromisoformat(o["opens"]) for o in document["windows"][0]["openings"]]
    assert len(opens) == schedule_view.DEFAULT_COUNT
    # Daily at 02:00 UTC: the first opening is within a day of now.
    assert before < opens[0] <= before + timedelta(days=1)


def test_days_lists_every_opening_in_the_range_and_says_when_there_is_none(capsys):
    code, out, _ = run(capsys, "--stack", "all", "--from", FROM, "--days", "3")
    assert code == 0
    assert "Stack dev: 1 window, openings from Sun 2026-11-22 12:00 UTC to Wed 2026-11-25 12:00 UTC" in out
    assert [row[:20] for row in table_rows(out, DEV_WINDOW)] == [
        "Mon 2026-11-23 02:00", "Tue 2026-11-24 02:00", "Wed 2026-11-25 02:00"]
    lines = out.splitlines()
    for name in ("PatchProdCanary", "PatchProdFleet"):
        assert lines[lines.index(name) + 2] == "  no openings in this range"


def test_days_may_be_a_fraction_and_ends_the_range(capsys):
    # 20 days from Nov 22 12:00 UTC ends Dec 12 12:00: the canary (Dec 10) is in, the fleet (Dec 13) is not.
    document = run_json(capsys, "--stack", "prod", "--from", FROM, "--days", "20.5")
    assert [len(w["openings"]) for w in document["windows"]] == [1, 0]


def test_a_window_past_its_end_date_has_no_openings(tmp_path, capsys):
    project = make_project(tmp_path, {"test": {"windows": [
        window("Ended", "cron(0 2 ? * * *)", 2, endDate="2026-01-01T00:00:00Z",
               targets=[{"name": "All", "tags": {"Env": "prod"}}])]}})
    code, out, _ = run(capsys, "--stack", "test", "--from", FROM, project=project)
    assert code == 0
    assert "  active: from creation until 2026-01-01T00:00:00Z\n  no openings after Sun 2026-11-22 12:00 UTC\n" in out


# ------------------------------------------------------------------------------------------------ JSON


def test_json_shape_and_offsets(capsys):
    document = run_json(capsys, "--stack", "prod", "--from", FROM, "--count", "2")
    assert set(document) == {"windows", "overlaps", "stacks", "warnings"}
    assert document["overlaps"] == []
    assert (document["stacks"], document["warnings"]) == ([{"name": "prod", "windows": 2}], [])
    canary, fleet = document["windows"]
    assert set(canary) == {"stack", "name", "account", "accountName", "region", "schedule", "timezone", "enabled",
                           "openings"}
    assert (canary["stack"], canary["name"], canary["schedule"], canary["timezone"], canary["enabled"]) == (
        "prod", "PatchProdCanary", "cron(0 2 ? * TUE#2 *)", "America/New_York", True)
    assert canary["openings"][0] == {"opens": "2026-12-10T02:00:00-05:00",
                                     "stopsStarting": "2026-12-10T05:00:00-05:00",
                                     "closes": "2026-12-10T06:00:00-05:00"}
    assert fleet["openings"][1]["opens"] == "2027-01-17T02:00:00-05:00"
    for w in document["windows"]:
        for opening in w["openings"]:
            assert set(opening) == {"opens", "stopsStarting", "closes"}
            moments = [datetime.fromisoformat(opening[k]) for k in ("opens", "stopsStarting", "closes")]
            assert all(m.utcoffset() is not None for m in moments)
            assert moments[0] < moments[1] < moments[2]


def test_json_of_a_utc_window_carries_a_zero_offset(capsys):
    document = run_json(capsys, "--stack", "dev", "--from", FROM, "--count", "1")
    assert document["windows"] == [{
        "stack": "dev", "name": DEV_WINDOW, "account": None, "accountName": None, "region": "us-east-1",
        "schedule": "cron(0 2 ? * * *)", "timezone": "UTC", "enabled": True,
        "openings": [{"opens": "2026-11-23T02:00:00+00:00", "stopsStarting": "2026-11-23T04:00:00+00:00",
                      "closes": "2026-11-23T05:00:00+00:00"}],
    }]


def test_stack_all_reads_every_stack_sorted_by_name(capsys):
    document = run_json(capsys, "--stack", "all", "--from", FROM, "--count", "1")
    assert list(dict.fromkeys((w["stack"], w["name"]) for w in document["windows"])) == [
        ("dev", DEV_WINDOW), ("org", "PatchOrgCanary"), ("org", "PatchOrgFleet"), ("prod", "PatchProdCanary"),
        ("prod", "PatchProdFleet")]
    code, out, _ = run(capsys, "--stack", "all", "--from", FROM, "--count", "1")
    assert code == 0
    headings = [line for line in out.splitlines() if line.startswith("Stack ")]
    assert [h.split(":")[0] for h in headings] == ["Stack dev", "Stack org", "Stack prod"]


def test_stack_names_ignore_pulumi_yaml(tmp_path):
    project = make_project(tmp_path, {"b": {}, "a.b": {}, "a": {}})
    assert schedule_view.stack_names(project) == ["a", "a.b", "b"]


# ------------------------------------------------------------------------------------------------ errors


def test_count_and_days_together_are_rejected(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["schedule", "--count", "3", "--days", "3"])
    assert exited.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "message"), [
    (["--count", "0"], "'0' is out of range (allowed: 1 to 10000)"),
    (["--count", "-1"], "'-1' is out of range (allowed: 1 to 10000)"),
    (["--count", "10001"], "'10001' is out of range (allowed: 1 to 10000)"),
    (["--count", "100000000"], "'100000000' is out of range (allowed: 1 to 10000)"),
    (["--count", "2.5"], "'2.5' is not a whole number"),
    (["--days", "0"], "'0' is out of range (allowed: more than 0 and at most 84006)"),
    (["--days", "-3"], "'-3' is out of range (allowed: more than 0 and at most 84006)"),
    (["--days", "84006.5"], "'84006.5' is out of range (allowed: more than 0 and at most 84006)"),
    (["--days", "2999999"], "'2999999' is out of range (allowed: more than 0 and at most 84006)"),
    (["--days", "nan"], "'nan' is out of range (allowed: more than 0 and at most 84006)"),
    (["--days", "inf"], "'inf' is out of range (allowed: more than 0 and at most 84006)"),
    (["--days", "soon"], "'soon' is not a number"),
])
def test_count_and_days_are_bounded(capsys, argv, message):
    with pytest.raises(SystemExit) as exited:
        main(["schedule", *argv])
    assert exited.value.code == 2
    assert capsys.readouterr().err.endswith(f"argument {argv[0]}: {message}\n")


def test_the_largest_count_and_days_are_accepted(capsys):
    document = run_json(capsys, "--stack", "dev", "--from", FROM, "--count", "10000")
    assert len(document["windows"][0]["openings"]) == 10_000
    # Monthly windows over the whole calendar: 2 x 2,077 openings, up to the end of 2199.
    document = run_json(capsys, "--stack", "prod", "--from", FROM, "--days", "84006")
    assert [len(w["openings"]) for w in document["windows"]] == [2077, 2077]
    assert document["windows"][1]["openings"][-1]["opens"] == "2199-12-15T02:00:00-05:00"


def count_openings_made(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many openings ``mw schedule`` takes from the schedule module, per window."""
    made: list[int] = []
    real = schedule.iter_openings

    def counting(*args: Any, **kwargs: Any) -> Any:
        made.append(0)
        for opening in real(*args, **kwargs):
            made[-1] += 1
            yield opening

    monkeypatch.setattr(schedule, "iter_openings", counting)
    return made


def test_a_range_with_more_openings_than_can_be_listed_fails_after_making_one_more(capsys, monkeypatch):
    made = count_openings_made(monkeypatch)
    code, out, err = run(capsys, "--stack", "dev", "--from", FROM, "--days", "84006")
    assert (code, out) == (2, "")
    assert err == (f"error: --days 84006: window dev/{DEV_WINDOW} opens more than 10,000 times in that range, and "
                   "mw schedule lists at most 10,000 openings per window; use a smaller --days, or --count\n")
    assert made == [10_001]  # not the 63,000 daily openings left until 2200


def test_a_range_with_exactly_the_most_openings_is_listed(capsys, monkeypatch):
    made = count_openings_made(monkeypatch)
    document = run_json(capsys, "--stack", "dev", "--from", FROM, "--days", "10000")
    assert len(document["windows"][0]["openings"]) == 10_000
    assert made == [10_000]


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+05:00", "0001-01-01", "1969-12-31T23:59:59Z", "2200-01-01",
                                   "2199-12-31T23:00:00-05:00", "9999-12-31T23:59:59-05:00"])
def test_from_outside_the_calendar_is_out_of_range(capsys, value):
    code, out, err = run(capsys, "--stack", "dev", "--from", value)
    assert (code, out) == (2, "")
    assert err == f"error: --from {value!r} is out of range; allowed: {RANGE}\n"


@pytest.mark.parametrize(("value", "first"), [
    ("1969-12-31T19:00:00-05:00", "1970-01-01T02:00:00+00:00"),
    ("2199-12-31T01:59:59Z", "2199-12-31T02:00:00+00:00"),
    ("2199-12-31T23:59:59Z", None),
])
def test_from_at_the_edges_of_the_calendar(capsys, value, first):
    document = run_json(capsys, "--stack", "dev", "--from", value, "--count", "1")
    assert [o["opens"] for o in document["windows"][0]["openings"]] == ([first] if first else [])


@pytest.mark.parametrize(("key", "value"), [("startDate", "0001-01-01T00:00:00+05:00"),
                                            ("endDate", "9999-12-31T23:59:59-05:00")])
def test_a_window_date_outside_the_calendar_is_a_config_error(tmp_path, capsys, key, value):
    project = make_project(tmp_path, {"test": {"windows": [
        window("Extreme", "cron(0 2 ? * * *)", 2, targets=[{"name": "All", "tags": {"Env": "prod"}}],
               **{key: value})]}})
    code, out, err = run(capsys, "--stack", "test", "--from", FROM, project=project)
    assert (code, out) == (2, "")
    assert err == ("error: invalid config of stack 'test': 1 problem\n"
                   f"  - windows[0].{key}: {value!r} is out of range (allowed: {RANGE})\n")


@pytest.mark.parametrize("value", ["tomorrow", "2026-11-22 12:00", "2026-13-01", "2026-11-22T25:00:00Z",
                                   "2026-11-22T12:00:00+5", ""])
def test_a_bad_from_names_the_option_the_value_and_the_format(capsys, value):
    code, out, err = run(capsys, "--stack", "dev", "--from", value)
    assert (code, out) == (2, "")
    assert err == (f"error: --from {value!r} is not a timestamp; allowed: ISO-8601 such as 2026-11-22T12:00:00Z, "
                   "2026-11-22T07:00:00-05:00 or 2026-11-22 (without an offset: UTC)\n")


def test_an_unknown_stack_lists_the_stacks(capsys):
    code, out, err = run(capsys, "--stack", "staging")
    assert (code, out) == (2, "")
    assert err == f"error: no stack 'staging': no Pulumi.staging.yaml in {ROOT} (stacks: dev, org, prod)\n"


def test_a_bad_stack_config_gives_the_config_error(tmp_path, capsys):
    project = make_project(tmp_path, {"test": {"windows": [
        window("Broken", "cron(0 2 ? * * *)", 3, cutoff=3, targets=[{"name": "All", "tags": {"Env": "prod"}}]),
        window("AlsoBroken", "cron(0 2 ? * *)", 2, targets=[{"name": "All", "tags": {"Env": "prod"}}]),
    ]}})
    code, out, err = run(capsys, "--stack", "test", "--from", FROM, project=project)
    assert (code, out) == (2, "")
    assert err.startswith("error: invalid config of stack 'test': 2 problems\n")
    assert "  - windows[0].cutoff: 3 must be less than duration (3)" in err
    assert "  - windows[1].schedule: " in err


def test_a_bad_stack_among_all_fails_the_whole_command(tmp_path, capsys):
    project = make_project(tmp_path, {"good": {"windows": [window("Fine", "rate(1 day)", 1, targets=[
        {"name": "All", "tags": {"Env": "prod"}}])]}, "bad": {"windows": "not a list"}})
    code, out, err = run(capsys, "--stack", "all", "--from", FROM, project=project)
    assert (code, out) == (2, "")
    assert err.startswith("error: invalid config of stack 'bad'")


def test_outside_a_project(tmp_path, capsys):
    code, _, err = run(capsys, project=tmp_path)
    assert code == 2
    assert err.startswith("error: no Pulumi project here")


# ------------------------------------------------------------------------------------------------ pictures


def spy_on_calendar(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Record what reaches ``render_calendar`` while still drawing."""
    from mw import calendar

    calls: list[dict[str, Any]] = []
    real = calendar.render_calendar

    def spy(rows, path, *, start, end):
        calls.append({"labels": [r.label for r in rows], "counts": [len(r.openings) for r in rows],
                      "zones": [r.timezone for r in rows], "start": start, "end": end})
        real(rows, path, start=start, end=end)

    monkeypatch.setattr(calendar, "render_calendar", spy)
    return calls


def test_png_has_one_row_per_window_labelled_by_stack(tmp_path, capsys, monkeypatch):
    pytest.importorskip("matplotlib")
    calls = spy_on_calendar(monkeypatch)
    target = tmp_path / "calendar.png"
    code, out, _ = run(capsys, "--stack", "all", "--from", FROM, "--days", "31", "--output", str(target))
    assert code == 0
    assert out.endswith(f"\nCalendar written to {target}\n")
    data = target.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width > 400 and height > 150
    (call,) = calls
    # One row per window, however many accounts and regions it is deployed to (the openings are the same).
    assert call["labels"] == [f"dev/{DEV_WINDOW}", "org/PatchOrgCanary", "org/PatchOrgFleet", "prod/PatchProdCanary",
                              "prod/PatchProdFleet"]
    assert call["counts"] == [31, 1, 1, 1, 1]
    assert call["zones"] == ["UTC", *["America/New_York"] * 4]
    assert call["end"] - call["start"] == timedelta(days=31)


def test_svg_of_one_stack_draws_its_windows_up_to_the_last_close(tmp_path, capsys, monkeypatch):
    pytest.importorskip("matplotlib")
    calls = spy_on_calendar(monkeypatch)
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "calendar.svg"
    code, _, _ = run(capsys, "--stack", "prod", "--from", FROM, "--count", "2", "--output", str(target))
    assert code == 0
    root = ET.parse(target).getroot()
    assert root.tag == f"{SVG}svg"
    ids = {element.get("id") for element in root.iter()}
    assert {"window-0-open", "window-1-open"} <= ids
    assert "window-2-open" not in ids
    (call,) = calls
    assert call["labels"] == ["PatchProdCanary", "PatchProdFleet"]
    # The range shown with --count: from --from to the last close listed (fleet, Sun 2027-01-17 08:00 EST).
    assert call["end"] == datetime.fromisoformat("2027-01-17T13:00:00+00:00")


def test_json_with_output_keeps_stdout_json(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    target = tmp_path / "calendar.svg"
    code, out, err = run(capsys, "--stack", "dev", "--from", FROM, "--json", "--output", str(target))
    assert code == 0
    assert json.loads(out)["windows"][0]["name"] == DEV_WINDOW
    assert err == f"Calendar written to {target}\n"


def test_missing_matplotlib_is_the_calendar_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` now raises ImportError
    code, out, err = run(capsys, "--stack", "dev", "--from", FROM, "--output", str(tmp_path / "c.png"))
    assert (code, out) == (2, "")  # the picture is drawn before anything is printed
    assert err == ("error: drawing a calendar needs matplotlib; install the viz dependency group: make (it installs "
                   "it into .venv), or uv sync --group viz\n")
    assert not (tmp_path / "c.png").exists()


def test_an_unsupported_picture_suffix_fails_first(tmp_path, capsys):
    code, out, err = run(capsys, "--stack", "dev", "--output", str(tmp_path / "c.pdf"))
    assert (code, out) == (2, "")
    assert err == f"error: --output '{tmp_path / 'c.pdf'}': suffix '.pdf' is not supported; allowed: .png, .svg\n"


def _directory(tmp_path: Path) -> tuple[Path, str]:
    (tmp_path / "calendar.png").mkdir()
    return tmp_path / "calendar.png", "Is a directory"


def _missing_directory(tmp_path: Path) -> tuple[Path, str]:
    return (tmp_path / "missing" / "calendar.png",
            f"cannot create a file in directory '{tmp_path / 'missing'}': No such file or directory")


def _file_as_directory(tmp_path: Path) -> tuple[Path, str]:
    (tmp_path / "notes.txt").write_text("not a directory")
    return (tmp_path / "notes.txt" / "calendar.png",
            f"cannot create a file in directory '{tmp_path / 'notes.txt'}': Not a directory")


def _read_only_directory(tmp_path: Path) -> tuple[Path, str]:
    if os.geteuid() == 0:
        pytest.skip("root may write to a read-only directory")
    (tmp_path / "ro").mkdir(mode=0o555)
    return tmp_path / "ro" / "calendar.png", f"cannot create a file in directory '{tmp_path / 'ro'}': Permission denied"


def _read_only_file(tmp_path: Path) -> tuple[Path, str]:
    if os.geteuid() == 0:
        pytest.skip("root may write to a read-only file")
    (tmp_path / "calendar.png").write_bytes(b"old")
    (tmp_path / "calendar.png").chmod(0o444)
    return tmp_path / "calendar.png", "cannot overwrite it: Permission denied"


@pytest.mark.parametrize("case", [_directory, _missing_directory, _file_as_directory, _read_only_directory,
                                  _read_only_file])
def test_an_output_that_cannot_be_written_fails_before_any_work(tmp_path, capsys, monkeypatch, case):
    path, reason = case(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    made = count_openings_made(monkeypatch)
    code, out, err = run(capsys, "--stack", "dev", "--from", FROM, "--output", str(path))
    assert (code, out) == (2, "")
    assert err == f"error: --output '{path}': {reason}\n"
    assert made == []  # no stack was read
    assert sorted(tmp_path.rglob("*")) == before  # nothing created, not even the missing directory


def test_an_output_directory_the_os_refuses_gives_its_reason(tmp_path, capsys, monkeypatch):
    """A read-only directory, as the OS reports it to a user who is not root."""
    from mw import _output

    def refuse(**kwargs: Any) -> Any:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(kwargs["dir"]))

    monkeypatch.setattr(_output.tempfile, "mkstemp", refuse)
    code, out, err = run(capsys, "--stack", "dev", "--from", FROM, "--output", str(tmp_path / "c.svg"))
    assert (code, out) == (2, "")
    assert err == f"error: --output '{tmp_path / 'c.svg'}': cannot create a file in directory '{tmp_path}': " \
                  "Permission denied\n"


def test_a_failed_write_leaves_no_partial_file_and_keeps_the_old_one(tmp_path, capsys, monkeypatch):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    def full_disk(self: Any, stream: Any, **kwargs: Any) -> None:
        stream.write(b"<svg half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Figure, "savefig", full_disk)
    target = tmp_path / "calendar.svg"
    target.write_bytes(b"old picture")
    code, out, err = run(capsys, "--stack", "dev", "--from", FROM, "--output", str(target))
    assert (code, out) == (2, "")
    assert err == f"error: cannot write a calendar to '{target}': No space left on device\n"
    assert [p.name for p in tmp_path.iterdir()] == ["calendar.svg"]
    assert target.read_bytes() == b"old picture"


# ------------------------------------------------------------------------------------------------ no windows


@pytest.mark.parametrize("config", [{}, {"windows": []}], ids=["no-key", "empty-list"])
def test_a_stack_without_windows_is_warned_about(tmp_path, capsys, config):
    project = make_project(tmp_path, {"empty": config})
    code, out, err = run(capsys, "--stack", "empty", "--from", FROM, project=project)
    assert code == 0
    assert err == "warning: stack 'empty' has no windows (Pulumi.empty.yaml sets no maintenance-windows:windows)\n"
    assert out.startswith("Stack empty: 0 windows, next 5 openings after Sun 2026-11-22 12:00 UTC\n")
    code, out, err = run(capsys, "--stack", "empty", "--from", FROM, "--json", project=project)
    assert code == 0
    assert json.loads(out) == {
        "windows": [], "overlaps": [], "stacks": [{"name": "empty", "windows": 0}],
        "warnings": ["stack 'empty' has no windows (Pulumi.empty.yaml sets no maintenance-windows:windows)"]}
    assert err == "warning: stack 'empty' has no windows (Pulumi.empty.yaml sets no maintenance-windows:windows)\n"


def test_only_the_stacks_without_windows_are_warned_about(tmp_path, capsys):
    project = make_project(tmp_path, {"a": {}, "c": {}, "b": {"windows": [
        window("Nightly", "cron(0 2 ? * * *)", 3, targets=[PROD_ALL])]}})
    document = run_json(capsys, "--stack", "all", "--from", FROM, "--count", "1", project=project)
    assert document["stacks"] == [{"name": "a", "windows": 0}, {"name": "b", "windows": 1}, {"name": "c", "windows": 0}]
    assert [w.split(" has")[0] for w in document["warnings"]] == ["stack 'a'", "stack 'c'"]


# ------------------------------------------------------------------------------------------------ intersect rule


def tags(**values: str | list[str]) -> list[dict[str, Any]]:
    return [{"key": f"tag:{k.replace('_', ' ')}", "values": v if isinstance(v, list) else [v]}
            for k, v in values.items()]


def ids(*values: str) -> list[dict[str, Any]]:
    return [{"key": "InstanceIds", "values": list(values)}]


def group(name: str, *types: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"key": "resource-groups:Name", "values": [name]}]
    if types:
        out.append({"key": "resource-groups:ResourceTypeFilters", "values": list(types)})
    return out


def tag_keys(*keys: str) -> list[dict[str, Any]]:
    return [{"key": "tag-key", "values": list(keys)}]


I1, I2, I3 = "i-0123456789abcdef0", "i-0fedcba9876543210", "mi-0123456789abcdef0"
EC2, RDS = "AWS::EC2::Instance", "AWS::RDS::DBInstance"


@pytest.mark.parametrize(("a", "b", "expected"), [
    # tags: AND across keys, OR within a key's values
    pytest.param(tags(Env="prod"), tags(Env="prod"), True, id="same tags"),
    pytest.param(tags(Env="prod"), tags(Env="prod", Role="web"), True, id="superset of tags"),
    pytest.param(tags(Env="prod"), tags(Env="dev"), False, id="disjoint values of one key"),
    pytest.param(tags(Env="prod", Role="web"), tags(Env="prod", Role="db"), False, id="one key disjoint is enough"),
    pytest.param(tags(Env=["prod", "stage"]), tags(Env=["stage", "dev"]), True, id="value lists share one"),
    pytest.param(tags(Env="prod"), tags(Role="web"), True, id="different keys: one instance can carry both"),
    pytest.param(tags(Env="prod"), tags(Env="Prod"), False, id="values are case-sensitive"),
    pytest.param(tags(Env="prod"), tags(env="dev"), True, id="keys are case-sensitive"),
    pytest.param(tags(Patch_Group="a"), tags(Patch_Group="b"), False, id="key with a space"),
    # tag-key: presence only, never separates
    pytest.param(tag_keys("Env"), tags(Env="prod"), True, id="tag-key vs tag"),
    pytest.param(tag_keys("Env"), tag_keys("Role"), True, id="tag-key vs tag-key"),
    pytest.param(tags(Env="prod") + tag_keys("Owner"), tags(Env="dev"), False, id="tag-key beside disjoint tags"),
    # instance IDs
    pytest.param(ids(I1, I2), ids(I2, I3), True, id="shared instance id"),
    pytest.param(ids(I1), ids(I2, I3), False, id="no shared instance id"),
    # resource groups
    pytest.param(group("web"), group("web"), True, id="same group"),
    pytest.param(group("web"), group("db"), False, id="different groups"),
    pytest.param(group("web", EC2), group("web"), True, id="same group, one filtered"),
    pytest.param(group("web", EC2), group("web", EC2, RDS), True, id="same group, filters share a type"),
    pytest.param(group("web", EC2), group("web", RDS), False, id="same group, disjoint type filters"),
    # mixed modes share no key: membership is AWS state, so they may intersect
    pytest.param(tags(Env="prod"), ids(I1), True, id="tags vs instance ids"),
    pytest.param(tags(Env="prod"), group("web"), True, id="tags vs group"),
    pytest.param(ids(I1), group("web"), True, id="instance ids vs group"),
    # unreadable pairs constrain nothing; contradictions select nothing
    pytest.param([], tags(Env="prod"), True, id="empty list"),
    pytest.param([{"key": "tag:Env", "values": None}], tags(Env="dev"), True, id="unknown values"),
    pytest.param([{"key": "tag:Env", "values": ["prod", None]}], tags(Env="dev"), True, id="partly unknown values"),
    pytest.param([{"key": "tag:Env", "values": []}], tags(Env="dev"), True, id="empty values"),
    pytest.param([{"key": "tag:Env", "values": "prod"}], tags(Env="dev"), True, id="values not a list"),
    pytest.param(None, tags(Env="prod"), True, id="targets unknown"),
    pytest.param(["junk", {"values": ["x"]}], ids(I1), True, id="malformed pairs"),
    pytest.param([{"key": "WindowTargetIds", "values": ["a"]}], [{"key": "WindowTargetIds", "values": ["b"]}], True,
                 id="other keys are not read"),
    pytest.param(tags(Env="prod") + tags(Env="dev"), tags(Role="web"), False, id="self-contradicting target"),
    pytest.param(tags(Env=["prod", "dev"]) + tags(Env="dev"), tags(Env="dev"), True, id="repeated key narrows"),
    pytest.param(tags(Env=["prod", "dev"]) + tags(Env="dev"), tags(Env="prod"), False, id="repeated key excludes"),
])
def test_wire_targets_may_intersect(a, b, expected):
    assert wire_targets_may_intersect(a, b) is expected
    assert wire_targets_may_intersect(b, a) is expected  # the rule is symmetric


@pytest.mark.parametrize(("a", "b", "expected"), [
    (TargetArgs("A", tags={"Env": ("prod",)}), TargetArgs("B", tags={"Env": ("prod",), "Role": ("web",)}), True),
    (TargetArgs("A", tags={"Env": ("prod",)}), TargetArgs("B", tags={"Env": ("dev",)}), False),
    (TargetArgs("A", tags={"Env": ("prod",)}, tag_keys=("Owner",)), TargetArgs("B", tag_keys=("Env",)), True),
    (TargetArgs("A", instance_ids=(I1,)), TargetArgs("B", instance_ids=(I1, I2)), True),
    (TargetArgs("A", instance_ids=(I1,)), TargetArgs("B", instance_ids=(I2,)), False),
    (TargetArgs("A", resource_group=ResourceGroup("web")), TargetArgs("B", resource_group=ResourceGroup("web")), True),
    (TargetArgs("A", resource_group=ResourceGroup("web", (EC2,))),
     TargetArgs("B", resource_group=ResourceGroup("web", (RDS,))), False),
    (TargetArgs("A", resource_group=ResourceGroup("web")), TargetArgs("B", instance_ids=(I1,)), True),
])
def test_targets_may_intersect_applies_the_wire_rule(a, b, expected):
    assert targets_may_intersect(a, b) is expected
    assert wire_targets_may_intersect(a.wire_targets(), b.wire_targets()) is expected


def test_importing_the_module_does_not_import_pulumi():
    # Every `mw` command imports it, `mw --help` included (tests/mw/test_imports.py has the whole list).
    code = ("import sys, mw.schedule\n"
            "loaded = sorted({m.split('.')[0] for m in sys.modules} & "
            "{'pulumi', 'pulumi_aws', 'mw_components', 'mw_config', 'yaml', 'matplotlib'})\n"
            "print(loaded)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout == "[]\n"


# ------------------------------------------------------------------------------------------------ overlaps


PROD_ALL = {"name": "AllProd", "tags": {"Env": "prod"}}
PROD_WEB = {"name": "ProdWeb", "tags": {"Env": "prod", "Role": "web"}}
DEV_ALL = {"name": "AllDev", "tags": {"Env": "dev"}}


@pytest.fixture
def overlapping(tmp_path: Path) -> Path:
    """Nightly 02:00-05:00 on all prod, a web window 03:00-05:00 on prod web servers (overlap 03:00-05:00),
    a dev window at the prod time (other instances) and a disabled window on prod."""
    return make_project(tmp_path, {"test": {"windows": [
        window("NightlyProd", "cron(0 2 ? * * *)", 3, cutoff=1, targets=[PROD_ALL]),
        window("WebHotfix", "cron(0 3 ? * * *)", 2, targets=[PROD_WEB]),
        window("DevNightly", "cron(0 2 ? * * *)", 3, targets=[DEV_ALL]),
        window("Paused", "cron(0 3 ? * * *)", 2, enabled=False, targets=[PROD_ALL]),
    ]}})


def test_overlap_warning_end_to_end(overlapping, capsys):
    code, out, _ = run(capsys, "--stack", "test", "--from", FROM, "--count", "2", project=overlapping)
    assert code == 0  # overlaps are warnings
    assert out.endswith(
        "Overlaps in the openings listed (1):\n"
        "  warning: NightlyProd and WebHotfix may select the same instances (targets AllProd / ProdWeb) "
        "and are both open 2 times:\n"
        "    Mon 2026-11-23 03:00 to 05:00 UTC\n"
        "    Tue 2026-11-24 03:00 to 05:00 UTC\n")
    lines = out.splitlines()
    assert lines[lines.index("Paused") + 2] == "  disabled (enabled: false): AWS never opens it"


def test_overlaps_in_json_and_long_lists_are_shortened(overlapping, capsys):
    document = run_json(capsys, "--stack", "test", "--from", FROM, "--days", "7", project=overlapping)
    (overlap,) = document["overlaps"]
    assert overlap["windows"] == [{"stack": "test", "name": "NightlyProd"}, {"stack": "test", "name": "WebHotfix"}]
    assert overlap["targets"] == [["AllProd", "ProdWeb"]]
    assert len(overlap["periods"]) == 7
    assert overlap["periods"][0] == {"start": "2026-11-23T03:00:00+00:00", "end": "2026-11-23T05:00:00+00:00"}
    paused = next(w for w in document["windows"] if w["name"] == "Paused")
    assert (paused["enabled"], paused["openings"]) == (False, [])
    _, out, _ = run(capsys, "--stack", "test", "--from", FROM, "--days", "7", project=overlapping)
    assert "are both open 7 times:\n" in out
    assert out.endswith("    Fri 2026-11-27 03:00 to 05:00 UTC\n    ... and 2 more\n")


def test_windows_that_touch_do_not_overlap(tmp_path, capsys):
    project = make_project(tmp_path, {"test": {"windows": [
        window("Early", "cron(0 2 ? * * *)", 3, targets=[PROD_ALL]),
        window("Late", "cron(0 5 ? * * *)", 2, targets=[PROD_ALL]),  # opens as Early closes
    ]}})
    document = run_json(capsys, "--stack", "test", "--from", FROM, "--days", "7", project=project)
    assert document["overlaps"] == []


def test_instance_ids_named_by_a_task_count_as_targets(tmp_path, capsys):
    adhoc = window("Adhoc", "cron(30 4 ? * * *)", 2, allowUnregisteredTargets=True)
    adhoc["tasks"] = [{"name": "Reboot", "type": "RUN_COMMAND", "document": "AWS-RestartEC2Instance",
                       "instanceIds": [I1]}]
    project = make_project(tmp_path, {"test": {"windows": [
        window("Pinned", "cron(0 4 ? * * *)", 2, targets=[{"name": "One", "instanceIds": [I1]}]),
        window("Others", "cron(0 4 ? * * *)", 2, targets=[{"name": "Two", "instanceIds": [I2]}]),
        adhoc,
    ]}})
    document = run_json(capsys, "--stack", "test", "--from", FROM, "--count", "1", project=project)
    assert [(o["windows"][0]["name"], o["windows"][1]["name"], o["targets"]) for o in document["overlaps"]] == [
        ("Pinned", "Adhoc", [["One", "instanceIds of task Reboot"]])]


@pytest.mark.parametrize(("region", "warned"), [("us-east-1", True), ("eu-west-1", False)])
def test_stacks_overlap_only_within_a_region(tmp_path, capsys, region, warned):
    project = make_project(tmp_path, {
        "a": {"windows": [window("Nightly", "cron(0 2 ? * * *)", 3, targets=[PROD_ALL])]},
        "b": {"aws:region": region, "windows": [window("Web", "cron(0 3 ? * * *)", 2, targets=[PROD_WEB])]},
    })
    code, out, _ = run(capsys, "--stack", "all", "--from", FROM, "--count", "1", project=project)
    assert code == 0
    assert ("  warning: a/Nightly and b/Web may select the same instances (targets AllProd / ProdWeb) "
            "and are both open once:\n    Mon 2026-11-23 03:00 to 05:00 UTC\n" in out) is warned
    assert ("Overlaps: none" in out) is not warned


def test_regions_list_replaces_the_provider_region(tmp_path, capsys):
    project = make_project(tmp_path, {
        "a": {"regions": ["eu-west-1", "eu-central-1"],
              "windows": [window("Nightly", "cron(0 2 ? * * *)", 3, targets=[PROD_ALL])]},
        "b": {"aws:region": "eu-central-1", "windows": [window("Web", "cron(0 3 ? * * *)", 2, targets=[PROD_WEB])]},
    })
    document = run_json(capsys, "--stack", "all", "--from", FROM, "--count", "1", project=project)
    assert [[w["stack"] for w in o["windows"]] for o in document["overlaps"]] == [["a", "b"]]


# ------------------------------------------------------------------------------------------------ through `mw`


@pytest.mark.parametrize(("argv", "fragment"), [
    (["--output", "{tmp}"], "--output '{tmp}': suffix '' is not supported"),
    (["--output", "{tmp}/picture.svg/"], "--output '{tmp}/picture.svg': Is a directory"),
    (["--output", "{tmp}/missing/c.png"], "cannot create a file in directory '{tmp}/missing': No such file or directory"),
    (["--from", "0001-01-01T00:00:00+05:00"], "--from '0001-01-01T00:00:00+05:00' is out of range"),
    (["--days", "2999999"], "argument --days: '2999999' is out of range"),
    (["--count", "100000000"], "argument --count: '100000000' is out of range"),
])
def test_issue_cases_exit_2_without_a_traceback_through_mw(tmp_path, capsys, argv, fragment):
    from mw import cli

    (tmp_path / "picture.svg").mkdir()
    argv = [arg.format(tmp=tmp_path) for arg in argv]
    try:
        code = cli.main(["schedule", "--project-dir", str(ROOT), "--stack", "dev", *argv])
    except SystemExit as exited:  # argparse's own errors
        code = exited.code
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert fragment.format(tmp=tmp_path) in err
    assert "Traceback" not in err


# ------------------------------------------------------------------------------------------------ accounts and regions


HOME, DEV_ACCOUNT, PROD_ACCOUNT = "123456789012", "111111111111", "222222222222"


@pytest.mark.parametrize(("stack", "places"), [
    ("dev", [(DEV_WINDOW, None, None, "us-east-1")]),  # no aws:allowedAccountIds: the account is not known
    ("prod", [("PatchProdCanary", HOME, None, "us-east-1"), ("PatchProdFleet", HOME, None, "us-east-1")]),
    ("org", [("PatchOrgCanary", HOME, "platform", "us-east-1"),
             ("PatchOrgCanary", DEV_ACCOUNT, "workloads-dev", "us-east-1"),
             ("PatchOrgFleet", PROD_ACCOUNT, "workloads-prod", "us-east-1"),
             ("PatchOrgFleet", PROD_ACCOUNT, "workloads-prod", "eu-west-1")]),
])
def test_json_has_one_complete_entry_per_window_account_and_region(capsys, stack, places):
    document = run_json(capsys, "--stack", stack, "--from", FROM, "--count", "2")
    assert [(w["name"], w["account"], w["accountName"], w["region"]) for w in document["windows"]] == places
    by_name: dict[str, list[Any]] = {}
    for w in document["windows"]:
        assert len(w["openings"]) == 2  # every entry complete, none pointing at another
        by_name.setdefault(w["name"], []).append(w["openings"])
    assert all(all(o == openings[0] for o in openings) for openings in by_name.values())
    assert document["stacks"] == [{"name": stack, "windows": len(by_name)}]


def test_text_of_a_stack_in_several_accounts_has_a_header_per_account_and_region(capsys):
    code, out, _ = run(capsys, "--stack", "org", "--from", FROM, "--count", "1")
    assert code == 0
    lines = out.splitlines()
    assert lines[:2] == [
        "Stack org: 2 windows in 4 account/region pairs, next 1 opening after Sun 2026-11-22 12:00 UTC",
        "A window opens at the same times in every account and region (its timezone sets them): its openings are "
        "listed where it first appears."]
    assert [line for line in lines if line.startswith("== ")] == [
        f"== platform ({HOME}), us-east-1: 1 window", f"== workloads-dev ({DEV_ACCOUNT}), us-east-1: 1 window",
        f"== workloads-prod ({PROD_ACCOUNT}), us-east-1: 1 window",
        f"== workloads-prod ({PROD_ACCOUNT}), eu-west-1: 1 window"]
    assert table_rows(out, "PatchOrgCanary") == [
        "Thu 2026-12-10 02:00 EST  05:00 EST       06:00 EST  |  Thu 2026-12-10 07:00  10:00           11:00"]
    assert [lines[i + 1] for i, line in enumerate(lines) if line.startswith("PatchOrg")] == [
        "  schedule: cron(0 2 ? * TUE#2 *)  timezone: America/New_York  offset: 2 days  duration: 4h  cutoff: 1h",
        f"  same openings as in platform ({HOME}), us-east-1",
        "  schedule: cron(0 2 ? * TUE#2 *)  timezone: America/New_York  offset: 5 days  duration: 6h  cutoff: 2h",
        f"  same openings as in workloads-prod ({PROD_ACCOUNT}), us-east-1"]


def accounts_stack(*accounts: dict[str, Any]) -> dict[str, Any]:
    """NightlyProd and WebHotfix (overlapping 03:00-05:00 on prod web servers) in ``accounts``."""
    return {"aws:allowedAccountIds": [HOME], "accounts": list(accounts), "windows": [
        window("NightlyProd", "cron(0 2 ? * * *)", 3, cutoff=1, targets=[PROD_ALL]),
        window("WebHotfix", "cron(0 3 ? * * *)", 2, targets=[PROD_WEB])]}


def member(account: str, name: str, windows: list[str], **extra: Any) -> dict[str, Any]:
    return {"id": account, "name": name, "roleArn": f"arn:aws:iam::{account}:role/Deploy", "windows": windows,
            **extra}


@pytest.mark.parametrize(("config", "places"), [
    # The same two windows in two accounts: the instances of one account are not the other's.
    (accounts_stack(member(DEV_ACCOUNT, "a", ["NightlyProd"]), member(PROD_ACCOUNT, "b", ["WebHotfix"])), []),
    # Both in one account, in two regions: one overlap, in both places.
    (accounts_stack(member(DEV_ACCOUNT, "a", ["NightlyProd", "WebHotfix"], regions=["us-east-1", "eu-west-1"])),
     [(DEV_ACCOUNT, "a", "us-east-1"), (DEV_ACCOUNT, "a", "eu-west-1")]),
    # Without accounts, regions as before: one overlap, in each region.
    ({"regions": ["us-east-1", "eu-west-1"], "windows": accounts_stack()["windows"]},
     [(None, None, "us-east-1"), (None, None, "eu-west-1")]),
], ids=["two-accounts", "one-account-two-regions", "no-accounts-two-regions"])
def test_windows_overlap_only_within_one_account_and_region(tmp_path, capsys, config, places):
    project = make_project(tmp_path, {"test": config})
    document = run_json(capsys, "--stack", "test", "--from", FROM, "--count", "1", project=project)
    assert [[(p["account"], p["accountName"], p["region"]) for p in o["places"]] for o in document["overlaps"]] == (
        [places] if places else [])
    code, out, _ = run(capsys, "--stack", "test", "--from", FROM, "--count", "1", project=project)
    assert code == 0
    if places:
        where = "; ".join(f"{name} ({account}), {region}" if account else region for account, name, region in places)
        assert (f"  warning: NightlyProd and WebHotfix may select the same instances (targets AllProd / ProdWeb) in "
                f"{where} and are both open once:\n") in out
    else:
        assert "Overlaps: none" in out


# ------------------------------------------------------------------------------------------------ README picture


README_PICTURE = ROOT / "docs" / "calendar-31-days.svg"
README_PICTURE_ARGS = ("--stack", "prod", "--from", "2026-12-01T00:00:00-05:00", "--days", "31")


def test_the_readme_picture_is_what_the_command_draws(tmp_path, capsys):
    """docs/calendar-31-days.svg stays true: regenerate it with
    `mw schedule --stack prod --from 2026-12-01T00:00:00-05:00 --days 31 --output docs/calendar-31-days.svg`."""
    pytest.importorskip("matplotlib")
    code, _, _ = run(capsys, *README_PICTURE_ARGS, "--output", str(tmp_path / "c.svg"))
    assert code == 0
    assert (tmp_path / "c.svg").read_bytes() == README_PICTURE.read_bytes()


def test_a_picture_of_more_days_than_it_can_show_fails_before_any_work(tmp_path, capsys, monkeypatch):
    made = count_openings_made(monkeypatch)
    code, out, err = run(capsys, "--stack", "dev", "--days", "367", "--output", str(tmp_path / "c.png"))
    assert (code, out, made) == (2, "", [])
    assert err == ("error: --output: a calendar picture shows at most 366 days, and --days is 367; use a smaller "
                   "--days (the text and --ics have no such limit)\n")
