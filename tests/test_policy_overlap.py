"""stack-window-overlap: windows that may run on the same instances must not be open at the same time.

Hand-built stacks in wire form, linked as during a preview (property dependencies), with "now" fixed so the
periods in the messages are known.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from mw_policies import overlap
from policy_cases.harness import (
    POLICIES,
    UNKNOWN_ARRAY,
    UNKNOWN_BOOL,
    UNKNOWN_NUMBER,
    UNKNOWN_STRING,
    StackBuilder,
    level,
    rule_config,
    run_stack,
    urn,
)
from policy_cases.lab import TARGET, TARGET_TYPE, TASK, TASK_TYPE, WINDOW, WINDOW_TYPE
from pulumi_policy import PolicyProviderResource, StackValidationArgs, StackValidationPolicy

RULE = "stack-window-overlap"
NOW = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday, in winter (New York is UTC-5)


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(overlap, "now", lambda: NOW)
    yield


def tags(**pairs: str | list[str]) -> list[dict[str, Any]]:
    return [{"key": f"tag:{k}", "values": v if isinstance(v, list) else [v]} for k, v in pairs.items()]


def add_window(stack: StackBuilder, name: str, targets: Mapping[str, list[dict[str, Any]]] | None = None,
               **window: Any) -> StackBuilder:
    """A window (the lab's: daily 02:00 UTC, 3 hours) and its targets, registered through windowId."""
    stack.add(WINDOW_TYPE, name, {**WINDOW, "name": name, **window})
    for target, wire in (targets or {}).items():
        stack.add(TARGET_TYPE, target, {**TARGET, "windowId": UNKNOWN_STRING, "name": target, "targets": wire},
                  deps={"windowId": [name]})
    return stack


def two(first: Mapping[str, Any] | None = None, second: Mapping[str, Any] | None = None, *,
        web: list[dict[str, Any]] | None = None, app: list[dict[str, Any]] | None = None) -> StackBuilder:
    """Windows 'web' and 'app' whose targets may select the same instances (Env=prod, and Env=prod Role=app)."""
    stack = add_window(StackBuilder(), "web", {"web-servers": web or tags(Env="prod")}, **(first or {}))
    return add_window(stack, "app", {"app-servers": app or tags(Env="prod", Role="app")}, **(second or {}))


def with_instance_task(stack: StackBuilder, window: str, ids: list[str]) -> StackBuilder:
    return stack.add(TASK_TYPE, f"{window}-task", {**TASK, "windowId": UNKNOWN_STRING, "targets": [
        {"key": "InstanceIds", "values": ids}]}, deps={"windowId": [window]})


# (id, build, expected fragments or None for no violation)
CASES: list[tuple[str, Callable[[], StackBuilder], list[str] | None]] = [
    ("same-time", two, ["MaintenanceWindow 'web': open at the same time as MaintenanceWindow 'app'",
                        "('web-servers' / 'app-servers')",
                        "both open from 2026-01-05T02:00:00Z to 2026-01-05T05:00:00Z",
                        "the first of 90 overlapping period(s) in the next 90 days"]),
    ("partly", lambda: two(second={"schedule": "cron(0 4 ? * * *)"}),
     ["both open from 2026-01-05T04:00:00Z to 2026-01-05T05:00:00Z"]),
    ("weekly-vs-daily", lambda: two(second={"schedule": "cron(30 3 ? * SAT *)", "duration": 1.0, "cutoff": 0.0}),
     ["both open from 2026-01-10T03:30:00Z to 2026-01-10T04:30:00Z", "the first of 13 overlapping period(s)"]),
    ("time-zones", lambda: two({"schedule": "cron(0 2 ? * * *)", "scheduleTimezone": "America/New_York"},
                               {"schedule": "cron(0 8 ? * * *)"}),
     ["both open from 2026-01-05T08:00:00Z to 2026-01-05T10:00:00Z"]),
    ("offset", lambda: two({"schedule": "cron(0 2 ? * MON#1 *)", "scheduleOffset": 2.0},
                           {"schedule": "cron(0 3 ? * WED *)"}),
     ["both open from 2026-01-07T03:00:00Z to 2026-01-07T05:00:00Z"]),
    ("one-shot", lambda: two(second={"schedule": "at(2026-02-01T04:00:00)"}),
     ["both open from 2026-02-01T04:00:00Z to 2026-02-01T05:00:00Z", "the first of 1 overlapping"]),
    ("several-targets", lambda: two(web=tags(Env="prod", Role=["web", "app"])),
     ["('web-servers' / 'app-servers')"]),
    ("instance-ids-task", lambda: with_instance_task(
        two(web=tags(Env="dev"), first={"allowUnassociatedTargets": True}), "web", ["i-0123456789abcdef0"]),
     ["(InstanceIds of task 'web-task' / 'app-servers')"]),
    ("no-shared-key", lambda: two(web=tags(Team="blue")), ["('web-servers' / 'app-servers')"]),
    ("disjoint-tags", lambda: two(web=tags(Env="dev")), None),
    ("disjoint-instance-ids", lambda: two(web=[{"key": "InstanceIds", "values": ["i-0123456789abcdef0"]}],
                                          app=[{"key": "InstanceIds", "values": ["i-0fedcba9876543210"]}]), None),
    ("different-regions", lambda: two({"region": "us-east-1"}, {"region": "eu-west-1"}), None),
    ("same-region", lambda: two({"region": "eu-west-1"}, {"region": "eu-west-1"}), ["open at the same time"]),
    ("one-disabled", lambda: two(second={"enabled": False}), None),
    ("touching", lambda: two({"duration": 2.0}, {"schedule": "cron(0 4 ? * * *)", "duration": 2.0}), None),
    ("never-together", lambda: two(second={"schedule": "cron(0 12 ? * * *)"}), None),
    ("after-the-range", lambda: two(second={"startDate": "2026-05-01T00:00:00Z"}), None),
    ("ended-before", lambda: two(second={"endDate": "2026-01-04T00:00:00Z"}), None),
    ("single-window", lambda: add_window(StackBuilder(), "web", {"a": tags(Env="prod"), "b": tags(Env="prod")}), None),
    ("window-without-targets", lambda: add_window(two(web=tags(Env="dev")), "spare"), None),
    # Unknown during a preview: nothing is reported for what cannot be known.
    ("unknown-schedule", lambda: two(second={"schedule": UNKNOWN_STRING}), None),
    ("unknown-duration", lambda: two(second={"duration": UNKNOWN_NUMBER}), None),
    ("unknown-enabled", lambda: two(second={"enabled": UNKNOWN_BOOL}), None),
    ("unknown-region", lambda: two({"region": "us-east-1"}, {"region": UNKNOWN_STRING}), None),
    ("unknown-targets", lambda: two(app=UNKNOWN_ARRAY), None),  # type: ignore[arg-type]
    ("unknown-tag-value", lambda: two(app=tags(Env=[UNKNOWN_STRING])), None),
    # Invalid windows are other rules' business (window-schedule, window-cutoff): no crash, no overlap.
    ("invalid-schedule", lambda: two(second={"schedule": "cron(0 2 * * * *)"}), None),
    ("cutoff-too-long", lambda: two(second={"cutoff": 3.0}), None),
]

# (rule, compliant) of every case above, for the pack-wide check that each rule has both kinds.
RULE_CASES: list[tuple[str, bool]] = [(RULE, expect is None) for _, _, expect in CASES]


@pytest.mark.parametrize("env", ["dev", "prod"])
@pytest.mark.parametrize(("case_id", "build", "expect"), CASES, ids=[c[0] for c in CASES])
def test_stack_window_overlap(case_id: str, build: Callable[[], StackBuilder], expect: list[str] | None,
                              env: str) -> None:
    found = run_stack(RULE, build(), env=env)
    if expect is None:
        assert found == []
        return
    assert len(found) == 1, [v.message for v in found]
    violation = found[0]
    assert violation.rule == RULE and violation.level == "advisory"
    assert violation.urn == urn(WINDOW_TYPE, "web")
    assert "'web'" in violation.message and "'app'" in violation.message and "Fix: " in violation.message
    for fragment in expect:
        assert fragment in violation.message, f"{fragment!r} not in {violation.message}"


def test_levels_and_config() -> None:
    assert (level(RULE, "dev"), level(RULE, "prod")) == ("advisory", "advisory")
    assert rule_config(RULE, "dev") == rule_config(RULE, "prod") == {"days": 90}
    schema = overlap.stack_window_overlap.config_schema
    assert schema is not None and schema.properties["days"]["default"] == overlap.OVERLAP_DEFAULTS["days"] == 90


@pytest.mark.parametrize(("days", "expect"), [(90, False), (120, True)])
def test_days_config(days: int, expect: bool) -> None:
    stack = two(second={"startDate": "2026-05-01T00:00:00Z"})  # 116 days after NOW
    assert bool(run_stack(RULE, stack, config={"days": days})) == expect


def test_defaults_apply_without_config() -> None:
    assert run_stack(RULE, two(second={"startDate": "2026-03-01T00:00:00Z"}), config={})
    assert not run_stack(RULE, two(second={"startDate": "2026-05-01T00:00:00Z"}), config={})


def _with_provider_regions(stack: StackBuilder, regions: Mapping[str, Any]) -> list[Any]:
    resources = stack.build()
    for resource in resources:
        if resource.name in regions:
            resource.provider = PolicyProviderResource("pulumi:providers:aws", {"region": regions[resource.name]},
                                                       f"urn:pulumi:test::mw::pulumi:providers:aws::{resource.name}",
                                                       resource.name)
    return resources


@pytest.mark.parametrize(("regions", "expect"), [
    ({"web": "us-east-1", "app": "eu-west-1"}, False),
    ({"web": "us-east-1", "app": "us-east-1"}, True),
    ({"web": "us-east-1"}, True),  # app: no region known, so it may be the same one
    ({"web": "us-east-1", "app": UNKNOWN_STRING}, False),
])
def test_regions_from_the_provider(regions: dict[str, Any], expect: bool) -> None:
    assert bool(run_stack(RULE, _with_provider_regions(two(), regions))) == expect


def test_each_pair_reported_once_on_the_earlier_window() -> None:
    stack = add_window(two(), "db", {"db-servers": tags(Env="prod", Role="db")}, schedule="cron(0 3 ? * * *)")
    found = run_stack(RULE, stack)
    pairs = [re.match(r"MaintenanceWindow '(\w+)': open at the same time as MaintenanceWindow '(\w+)'",
                      v.message).groups() for v in found]  # type: ignore[union-attr]
    # web and app share Env=prod and may share Role; db's Role=db excludes app's Role=app, not web.
    assert pairs == [("web", "app"), ("web", "db")]
    assert [v.urn for v in found] == [urn(WINDOW_TYPE, "web")] * 2


# --- speed -----------------------------------------------------------------------------------------------------

def many_windows(count: int, groups: int) -> StackBuilder:
    """``count`` windows in ``groups`` applications; a window targets its application's production instances,
    so only windows of one application may share instances. Each application's windows open a few hours
    apart on different weekdays, some of them overlapping."""
    stack = StackBuilder()
    for index in range(count):
        group = index % groups
        add_window(stack, f"w{index:03d}", {f"t{index:03d}": tags(Env="prod", App=f"app-{group}")},
                   schedule=f"cron({index % 4 * 15} {index % 24} ? * {'MON' if index % 2 else 'SUN,WED'} *)",
                   scheduleTimezone="Europe/Paris" if index % 3 else "UTC", duration=3.0, cutoff=1.0)
    return stack


@pytest.mark.parametrize(("groups", "label"), [(200, "every window its own application"),
                                               (50, "50 applications of 4 windows"),
                                               (1, "one application: every pair may share instances")])
def test_two_hundred_windows(groups: int, label: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Measured, not asserted: the rule's own time (the engine's report callback is a list append) is printed
    for the record (shown without -s too)."""
    resources = many_windows(200, groups).build()
    policy = POLICIES[RULE]
    assert isinstance(policy, StackValidationPolicy)
    found: list[str] = []
    started = time.perf_counter()
    policy.validate(StackValidationArgs(resources, rule_config(RULE, "prod")), lambda m, u=None: found.append(m))
    elapsed = time.perf_counter() - started
    with capsys.disabled():
        print(f"\nstack-window-overlap, 200 windows, {label}: {elapsed * 1000:.0f} ms, {len(found)} overlaps")
    assert all("Fix: " in m for m in found)
    assert bool(found) == (groups < 200)
