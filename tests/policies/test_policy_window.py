"""Window rules: compliant and non-compliant property sets in wire form, per rule."""

from __future__ import annotations

from typing import Any

import pytest
from policy_cases.harness import (
    DELETE,
    UNKNOWN_NUMBER,
    UNKNOWN_STRING,
    assert_violations,
    run_resource,
    variant,
)
from policy_cases.lab import WINDOW, WINDOW_TYPE

# (rule, id, changes to the lab window, expected fragments or None when compliant)
CASES: list[tuple[str, str, dict[str, Any], list[str] | None]] = [
    ("window-duration", "lab", {}, None),
    ("window-duration", "min", {"duration": 1.0, "cutoff": 0.0}, None),
    ("window-duration", "max", {"duration": 24.0}, None),
    ("window-duration", "zero", {"duration": 0.0}, ["duration: 0 is out of range", "allowed: 1 to 24"]),
    ("window-duration", "too-long", {"duration": 25.0}, ["duration: 25 is out of range", "1 to 24"]),
    ("window-duration", "fraction", {"duration": 2.5}, ["expected a whole number, got 2.5"]),
    ("window-duration", "string", {"duration": "3"}, ["expected a number, got '3'"]),
    ("window-duration", "missing", {"duration": DELETE}, ["duration is not set"]),
    ("window-cutoff", "lab", {}, None),
    ("window-cutoff", "zero", {"cutoff": 0.0}, None),
    ("window-cutoff", "max-below-duration", {"duration": 24.0, "cutoff": 23.0}, None),
    ("window-cutoff", "negative", {"cutoff": -1.0}, ["cutoff: -1 is out of range", "0 to 23"]),
    ("window-cutoff", "too-big", {"duration": 24.0, "cutoff": 24.0}, ["cutoff: 24 is out of range"]),
    ("window-cutoff", "equal-duration", {"cutoff": 3.0}, ["cutoff 3 is not less than duration 3"]),
    ("window-cutoff", "above-duration", {"duration": 2.0, "cutoff": 5.0}, ["cutoff 5 is not less than duration 2"]),
    ("window-cutoff", "missing", {"cutoff": DELETE}, ["cutoff is not set"]),
    ("window-task-time", "lab", {}, None),
    ("window-task-time", "quick", {"duration": 1.0, "cutoff": 0.0}, None),
    ("window-schedule", "lab", {}, None),
    ("window-schedule", "rate", {"schedule": "rate(30 minutes)"}, None),
    ("window-schedule", "seconds-field", {"schedule": "cron(0 30 23 ? * TUE#3 *)"}, None),
    ("window-schedule", "missing", {"schedule": DELETE}, ["schedule is not set"]),
    ("window-schedule", "five-fields", {"schedule": "cron(0 2 * * ?)"}, ["schedule 'cron(0 2 * * ?)'"]),
    ("window-schedule", "rate-plural", {"schedule": "rate(1 days)"}, ["'days' is not valid"]),
    ("window-schedule", "hour-25", {"schedule": "cron(0 25 ? * * *)"}, ["hours", "'25'"]),
    ("window-schedule", "too-long", {"schedule": "cron(" + "0," * 130 + "0 2 ? * * *)"}, ["is 277 characters long", "1 to 256"]),
    ("window-schedule", "not-string", {"schedule": 5.0}, ["expected a string, got 5"]),
    ("window-schedule-offset", "lab", {"scheduleOffset": 2.0}, None),
    ("window-schedule-offset", "max", {"scheduleOffset": 6.0}, None),
    ("window-schedule-offset", "zero", {"scheduleOffset": 0.0}, ["scheduleOffset: 0 is out of range", "1 to 6"]),
    ("window-schedule-offset", "seven", {"scheduleOffset": 7.0}, ["scheduleOffset: 7 is out of range"]),
    ("window-schedule-offset", "with-rate", {"schedule": "rate(1 day)", "scheduleOffset": 1.0},
     ["only with a cron expression", "'rate(1 day)'"]),
    ("window-timezone", "none", {}, None),
    ("window-timezone", "paris", {"scheduleTimezone": "Europe/Paris"}, None),
    ("window-timezone", "utc", {"scheduleTimezone": "UTC"}, None),
    ("window-timezone", "invented", {"scheduleTimezone": "Mars/Olympus"}, ["scheduleTimezone 'Mars/Olympus'"]),
    ("window-timezone", "offset", {"scheduleTimezone": "+02:00"}, ["is not valid", "IANA"]),
    ("window-timezone", "not-string", {"scheduleTimezone": 2.0}, ["expected a string, got 2"]),
    ("window-active-period", "none", {}, None),
    ("window-active-period", "both", {"startDate": "2025-01-01T00:00:00Z", "endDate": "2026-01-01T00:00:00+01:00"},
     None),
    ("window-active-period", "start-only", {"startDate": "2025-01-31T02:00:00-08:00"}, None),
    ("window-active-period", "reversed", {"startDate": "2026-01-01T00:00:00Z", "endDate": "2025-01-01T00:00:00Z"},
     ["startDate '2026-01-01T00:00:00Z' is not before endDate"]),
    ("window-active-period", "equal", {"startDate": "2025-06-01T10:00:00+02:00", "endDate": "2025-06-01T08:00:00Z"},
     ["is not before endDate"]),
    ("window-active-period", "not-iso", {"endDate": "01/02/2025"}, ["endDate '01/02/2025' is not an ISO-8601"]),
    ("window-active-period", "not-string", {"startDate": 20250101.0}, ["startDate: expected a string"]),
    ("window-active-period", "year-1", {"startDate": "0001-01-01T00:00:00+05:00"},
     ["startDate '0001-01-01T00:00:00+05:00' is out of range (allowed: "]),
    ("window-active-period", "year-2200", {"endDate": "2200-01-01T00:00:00Z"},
     ["endDate '2200-01-01T00:00:00Z' is out of range (allowed: "]),
    ("window-name-description", "lab", {}, None),
    ("window-name-description", "no-name", {"name": DELETE, "description": DELETE}, None),
    ("window-name-description", "short-name", {"name": "ab"}, ["name: 'ab' is 2 characters long", "3 to 128"]),
    ("window-name-description", "space", {"name": "Patch web servers"}, ["name: 'Patch web servers' is not allowed"]),
    ("window-name-description", "long-name", {"name": "n" * 129}, ["is 129 characters long"]),
    ("window-name-description", "empty-description", {"description": ""}, ["description: '' is 0 characters"]),
    ("window-name-description", "long-description", {"description": "d" * 129},
     ["description:", "129 characters", "1 to 128"]),
    ("window-registered-targets", "off", {}, None),
    ("window-registered-targets", "default", {"allowUnassociatedTargets": DELETE}, None),
    ("window-registered-targets", "on", {"allowUnassociatedTargets": True}, ["allowUnassociatedTargets is true"]),
]


@pytest.mark.parametrize("env", ["dev", "prod"])
@pytest.mark.parametrize(("rule", "case_id", "changes", "expect"), CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_window_rule(rule: str, case_id: str, changes: dict[str, Any], expect: list[str] | None, env: str) -> None:
    found = run_resource(rule, WINDOW_TYPE, variant(WINDOW, changes), env=env, name="nightly")
    if expect is None:
        assert found == []
    else:
        assert_violations(found, rule, env, expect, "nightly")


@pytest.mark.parametrize(
    ("config", "changes", "expect"),
    [
        ({"minDurationHours": 4}, {}, ["duration 3 is shorter than the 4 hour(s)"]),
        ({"minTaskHours": 3}, {}, ["leaves 2 hour(s) to start tasks", "at least 3"]),
        ({"minDurationHours": 2, "minTaskHours": 2}, {"duration": 4.0, "cutoff": 2.0}, None),
        ({"minTaskHours": 2}, {"duration": 2.0, "cutoff": 1.0}, ["duration - cutoff >= 2"]),
        # An out-of-range cutoff is window-cutoff's to report, not a task-time problem.
        ({"minTaskHours": 2}, {"duration": 2.0, "cutoff": 3.0}, None),
    ],
)
def test_window_task_time_config(config: dict[str, Any], changes: dict[str, Any], expect: list[str] | None) -> None:
    found = run_resource("window-task-time", WINDOW_TYPE, variant(WINDOW, changes), name="nightly", config=config)
    if expect is None:
        assert found == []
    else:
        assert_violations(found, "window-task-time", "prod", expect, "nightly")


def test_window_rules_skip_unknown_values() -> None:
    """During preview a computed duration or schedule is unknown: those checks are skipped, not failed."""
    props = variant(WINDOW, {"duration": UNKNOWN_NUMBER, "schedule": UNKNOWN_STRING, "scheduleOffset": 2.0})
    for rule in ("window-duration", "window-cutoff", "window-task-time", "window-schedule", "window-schedule-offset"):
        assert run_resource(rule, WINDOW_TYPE, props) == [], rule
    # The cutoff's own range is still checked when only the duration is unknown.
    found = run_resource("window-cutoff", WINDOW_TYPE, variant(props, {"cutoff": 30.0}), name="nightly")
    assert_violations(found, "window-cutoff", "prod", ["cutoff: 30 is out of range"], "nightly")


def test_window_rules_ignore_other_types() -> None:
    for rule in ("window-duration", "window-cutoff", "window-schedule"):
        assert run_resource(rule, "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask", {}) == []
