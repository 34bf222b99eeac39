"""`mw schedule --ics`: the openings as an iCalendar file, parsed back with icalendar and checked against the
command's own JSON; stable UIDs and bytes; time zones across a DST change; bad paths and a missing library."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import ROOT

from mw import ics
from mw import schedule as schedule_view
from mw_core import schedule
from mw_core.errors import MWError

icalendar = pytest.importorskip("icalendar")

# March 2027: New York springs forward on Sunday the 14th, the day the prod fleet window opens (at 03:00 EDT,
# 02:00 does not exist that day), three days after the canary opened in EST.
MARCH = "2027-03-01T00:00:00Z"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``mw schedule`` on this repository's stacks, as `mw` runs it (MWError: the message, exit 2)."""
    parser = argparse.ArgumentParser(prog="mw")
    schedule_view.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["schedule", "--project-dir", str(ROOT), *argv])
    try:
        code = args.handler(args)
    except MWError as err:
        print(f"error: {err}", file=sys.stderr)
        code = err.exit_code
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code, out, _ = run(capsys, *argv, "--json")
    assert code == 0
    return json.loads(out)


def count_openings_made(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many windows ``mw schedule`` asks the schedule module for openings of (none: no stack was read)."""
    made: list[int] = []
    real = schedule.iter_openings

    def counting(*args: Any, **kwargs: Any) -> Any:
        made.append(0)
        yield from real(*args, **kwargs)

    monkeypatch.setattr(schedule, "iter_openings", counting)
    return made


def export(capsys: pytest.CaptureFixture[str], path: Path, *argv: str) -> tuple[Any, bytes]:
    code, out, err = run(capsys, *argv, "--ics", str(path))
    assert (code, err) == (0, "")
    assert out.endswith(f"\niCalendar file written to {path}\n")
    data = path.read_bytes()
    return icalendar.Calendar.from_ical(data), data


def events(calendar: Any) -> list[Any]:
    return list(calendar.walk("VEVENT"))


@pytest.mark.parametrize("stack", ["prod", "dev", "org"])
def test_one_event_per_opening_and_place_with_its_times_in_the_zone_and_in_utc(tmp_path, capsys, stack):
    document = run_json(capsys, "--stack", stack, "--from", MARCH, "--days", "31")
    calendar, _ = export(capsys, tmp_path / "w.ics", "--stack", stack, "--from", MARCH, "--days", "31")
    found = events(calendar)
    expected = [(w, o) for w in document["windows"] for o in w["openings"]]
    assert len(found) == len(expected) > 0
    for event, (w, opening) in zip(found, expected, strict=True):
        opens, closes = event.decoded("DTSTART"), event.decoded("DTEND")
        # The same instants as the JSON (which carries the window's UTC offset) ...
        assert opens == datetime.fromisoformat(opening["opens"])
        assert closes == datetime.fromisoformat(opening["closes"])
        # ... in the window's zone, or in UTC for a window without one.
        if w["timezone"] == "UTC":
            assert (event["DTSTART"].to_ical()[-1:], event["DTEND"].to_ical()[-1:]) == (b"Z", b"Z")
            assert "TZID" not in event["DTSTART"].params
        else:
            assert opens.tzinfo == ZoneInfo(w["timezone"])
            assert event["DTSTART"].params["TZID"] == w["timezone"]
        place = f"account {w['account']}" if w["account"] and not w["accountName"] else (
            f"{w['accountName']} ({w['account']})" if w["account"] else "")
        assert event["SUMMARY"] == f"{w['name']} ({stack}, {place + ', ' if place else ''}{w['region']})"
        stops = datetime.fromisoformat(opening["stopsStarting"])
        assert f"\nCutoff: no new task starts from {stops:%a %Y-%m-%d %H:%M}" in event["DESCRIPTION"]
        assert event.decoded("DTSTAMP") == datetime(2027, 3, 1, tzinfo=UTC)  # --from, not the clock


def test_the_dst_change_in_new_york(tmp_path, capsys):
    calendar, data = export(capsys, tmp_path / "prod.ics", "--stack", "prod", "--from", MARCH, "--days", "31")
    canary, fleet = events(calendar)
    assert [(e.decoded("DTSTART").isoformat(), e.decoded("DTEND").isoformat()) for e in (canary, fleet)] == [
        ("2027-03-11T02:00:00-05:00", "2027-03-11T06:00:00-05:00"),  # EST
        ("2027-03-14T03:00:00-04:00", "2027-03-14T09:00:00-04:00"),  # EDT: 02:00 did not exist
    ]
    assert [e.decoded("DTSTART").astimezone(UTC).strftime("%H:%M") for e in (canary, fleet)] == ["07:00", "07:00"]
    assert b"DTSTART;TZID=America/New_York:20270314T030000\r\n" in data
    # One VTIMEZONE for the one zone used, with both offsets of the year.
    (zone,) = calendar.walk("VTIMEZONE")
    assert zone["TZID"] == "America/New_York"
    assert {str(part["TZNAME"]) for part in zone.walk() if part.name in ("STANDARD", "DAYLIGHT")} == {"EST", "EDT"}


def test_a_utc_window_is_in_utc_without_a_vtimezone(tmp_path, capsys):
    calendar, data = export(capsys, tmp_path / "dev.ics", "--stack", "dev", "--from", MARCH, "--count", "2")
    assert b"DTSTART:20270301T020000Z\r\n" in data
    assert calendar.walk("VTIMEZONE") == []


def test_the_description_gives_the_cutoff_targets_and_tasks(tmp_path, capsys):
    calendar, _ = export(capsys, tmp_path / "prod.ics", "--stack", "prod", "--from", MARCH, "--days", "31")
    assert events(calendar)[0]["DESCRIPTION"] == (
        "Maintenance window PatchProdCanary of stack prod, account 123456789012, us-east-1.\n"
        "Opens: Thu 2027-03-11 02:00 EST (2027-03-11 07:00 UTC)\n"
        "Cutoff: no new task starts from Thu 2027-03-11 05:00 EST (2027-03-11 10:00 UTC) (1 h before the close)\n"
        "Closes: Thu 2027-03-11 06:00 EST (2027-03-11 11:00 UTC)\n"
        "Schedule: cron(0 2 ? * TUE#2 *) in America/New_York, offset 2 days, 4 h\n"
        "Targets:\n"
        "- ProdCanaryServers: Key=tag:Environment,Values=production; Key=tag:Patch Group,Values=prod-canary\n"
        "Tasks:\n"
        "- InstallPatchesCanary: RUN_COMMAND AWS-RunPatchBaseline, on ProdCanaryServers")


def test_required_properties_and_valid_lines(tmp_path, capsys):
    calendar, data = export(capsys, tmp_path / "org.ics", "--stack", "org", "--from", MARCH, "--days", "31")
    assert (str(calendar["VERSION"]), str(calendar["PRODID"])) == ("2.0", ics.PRODID)
    for event in events(calendar):
        assert {"UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "DESCRIPTION"} <= set(event)
    lines = data.split(b"\r\n")
    assert lines[-1] == b"" and all(b"\n" not in line for line in lines)  # CRLF only
    assert max(len(line) for line in lines) <= 75  # RFC 5545 section 3.1 (octets)


def test_the_same_input_gives_the_same_bytes(tmp_path, capsys):
    argv = ("--stack", "all", "--from", MARCH, "--days", "31")
    _, first = export(capsys, tmp_path / "a.ics", *argv)
    _, second = export(capsys, tmp_path / "b.ics", *argv)
    assert first == second


def test_an_opening_keeps_its_uid_across_runs_and_a_later_from(tmp_path, capsys):
    def uids(path: Path, start: str) -> dict[tuple[str, str], str]:
        calendar, _ = export(capsys, path, "--stack", "all", "--from", start, "--days", "62")
        return {(str(e["SUMMARY"]), e.decoded("DTSTART").astimezone(UTC).isoformat()): str(e["UID"])
                for e in events(calendar)}

    early = uids(tmp_path / "early.ics", MARCH)
    later = uids(tmp_path / "later.ics", "2027-03-20T00:00:00Z")
    shared = early.keys() & later.keys()
    assert len(shared) > 10  # the overlapping month
    assert {key: early[key] for key in shared} == {key: later[key] for key in shared}
    # Unique: the same opening in two accounts or regions (org) is two events.
    assert len(set(early.values())) == len(early)
    assert len({key[0] for key in early if key[0].startswith("PatchOrgFleet")}) == 2  # us-east-1 and eu-west-1


def test_with_json_stdout_stays_json(tmp_path, capsys):
    code, out, err = run(capsys, "--stack", "dev", "--from", MARCH, "--json", "--ics", str(tmp_path / "d.ics"))
    assert code == 0
    assert out.startswith("{")
    assert err == f"iCalendar file written to {tmp_path / 'd.ics'}\n"


@pytest.mark.parametrize(("name", "reason"), [
    ("cal.ical", "suffix '.ical' is not supported; allowed: .ics"),
    ("missing/cal.ics", "cannot create a file in directory '{tmp}/missing': No such file or directory"),
    ("dir.ics", "Is a directory"),
])
def test_a_path_that_cannot_be_written_fails_before_any_work(tmp_path, capsys, monkeypatch, name, reason):
    (tmp_path / "dir.ics").mkdir()
    made = count_openings_made(monkeypatch)
    code, out, err = run(capsys, "--stack", "dev", "--from", MARCH, "--ics", str(tmp_path / name))
    assert (code, out) == (2, "")
    assert err == f"error: --ics '{tmp_path / name}': {reason.format(tmp=tmp_path)}\n"
    assert made == []  # no stack was read


def test_without_icalendar_it_names_the_group_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "icalendar", None)  # `import icalendar` now raises ImportError
    made = count_openings_made(monkeypatch)
    code, out, err = run(capsys, "--stack", "dev", "--from", MARCH, "--ics", str(tmp_path / "d.ics"))
    assert (code, out, made) == (2, "", [])
    assert err == ("error: writing an iCalendar file needs icalendar; install the viz dependency group: make (it "
                   "installs it into .venv), or uv sync --group viz\n")
    assert not (tmp_path / "d.ics").exists()
