"""Robustness: random stack configs, valid and broken, through the real program under the engine stand-in.

Whatever the config, the program either registers resources or raises ``ConfigError`` naming key paths, never
another exception; and a ``ConfigError`` always comes from ``mw_config.parse_stack``, which the program runs before
registering anything, so a bad config never leaves a half-registered stack. (Random *resource properties*
against the policy rules are covered by ``tests/test_policy_pack.py``; any-string schedules by
``tests/test_schedule.py``.)
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import ROOT, examples, stack_config
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from mw.plan import Plan, render
from mw_config import NAMESPACE, TOP_KEYS, namespaced, parse_stack
from mw_core import schedule
from mw_core.errors import ConfigError, MWError, ScheduleError
from mw_engine.engine import ProgramRun, config_to_pulumi, run_program

STACK = "fuzz"
WINDOW = "aws:ssm/maintenanceWindow:MaintenanceWindow"
TARGET = "aws:ssm/maintenanceWindowTarget:MaintenanceWindowTarget"
TASK = "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask"
# Each example runs the whole program (tens of milliseconds); that is the point, not a slow test.
FUZZ = settings(max_examples=examples(80), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# ------------------------------------------------------------------------------------------------ valid configs

# No '-' in generated names: `<window>-<target>` child names can then collide across windows, a known bug
# (test_child_names_never_collide_across_windows below) that would make the valid-config test fail at random.
_NAMES = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{2,11}", fullmatch=True)
_TAG_VALUES = st.from_regex(r"[A-Za-z0-9 _.:/=+@-]{1,20}", fullmatch=True)
_CRONS = st.sampled_from(["cron(0 2 ? * * *)", "cron(0 2 ? * TUE#2 *)", "cron(30 4 1 * ? *)",
                          "cron(15 10 ? * MON-FRI *)", "cron(0 0 L * ? *)"])
_OTHER_SCHEDULES = st.sampled_from(["rate(1 day)", "rate(12 hours)", "at(2031-01-01T00:00:00)"])
_ROLE_ARN = "arn:aws:iam::123456789012:role/Existing"
_FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:PatchHook"
_MACHINE_ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:PatchFlow"


@st.composite
def _target(draw: st.DrawFn, name: str) -> dict[str, Any]:
    mode = draw(st.sampled_from(["tags", "tagKeys", "instanceIds", "resourceGroup"]))
    if mode == "tags":
        keys = draw(st.lists(_NAMES, min_size=1, max_size=3, unique=True))
        body: dict[str, Any] = {"tags": {k: draw(st.one_of(_TAG_VALUES, st.lists(_TAG_VALUES, min_size=1,
                                                                                   max_size=3))) for k in keys}}
    elif mode == "tagKeys":
        body = {"tagKeys": draw(st.lists(_NAMES, min_size=1, max_size=3, unique=True))}
    elif mode == "instanceIds":
        body = {"instanceIds": draw(st.lists(st.from_regex(r"i-[0-9a-f]{17}", fullmatch=True), min_size=1,
                                             max_size=3, unique=True))}
    else:
        body = {"resourceGroup": {"name": draw(_NAMES), "resourceTypes": ["AWS::EC2::Instance"]}}
    if draw(st.booleans()):
        body["ownerInformation"] = draw(_TAG_VALUES)
    return {"name": name, **body}


@st.composite
def _task(draw: st.DrawFn, name: str, targets: list[str]) -> dict[str, Any]:
    kinds = ["AUTOMATION", "LAMBDA", "STEP_FUNCTIONS"] + (["RUN_COMMAND"] * 3 if targets else [])
    kind = draw(st.sampled_from(kinds))
    task: dict[str, Any] = {"name": name, "type": kind, "priority": draw(st.integers(0, 5))}
    chosen = draw(st.lists(st.sampled_from(targets), min_size=1, max_size=len(targets), unique=True)) if (
        targets and (kind == "RUN_COMMAND" or draw(st.booleans()))) else []
    if chosen:
        task["targets"] = chosen
        task["maxConcurrency"] = draw(st.sampled_from([1, "2", "10%", "25%"]))
        task["maxErrors"] = draw(st.sampled_from([0, 1, "5%"]))
        task["cutoffBehavior"] = draw(st.sampled_from(["CONTINUE_TASK", "CANCEL_TASK"]))
    if kind == "RUN_COMMAND":
        task["document"] = "AWS-RunPatchBaseline"
        task["parameters"] = {"Operation": draw(st.sampled_from(["Scan", "Install"]))}
        if draw(st.booleans()):
            task["timeoutSeconds"] = draw(st.integers(30, 2592000))
    elif kind == "AUTOMATION":
        task["document"] = "AWS-RestartEC2Instance"
        task["parameters"] = {"InstanceId": ["{{RESOURCE_ID}}"]}
    elif kind == "LAMBDA":
        task["functionArn"] = _FUNCTION_ARN
        task["payload"] = {"window": name}
    else:
        task["stateMachineArn"] = _MACHINE_ARN
        task["input"] = {"window": name}
    return task


@st.composite
def _window(draw: st.DrawFn, name: str) -> dict[str, Any]:
    duration = draw(st.integers(1, 24))
    window: dict[str, Any] = {"name": name, "duration": duration, "cutoff": draw(st.integers(0, duration - 1))}
    if draw(st.booleans()):
        window["schedule"] = draw(_CRONS)
        if draw(st.booleans()):
            window["scheduleOffset"] = draw(st.integers(1, 6))
    else:
        window["schedule"] = draw(_OTHER_SCHEDULES)
    if draw(st.booleans()):
        window["scheduleTimezone"] = draw(st.sampled_from(["America/New_York", "Europe/Berlin", "UTC"]))
    target_names = draw(st.lists(_NAMES, max_size=3, unique=True))
    window["targets"] = [draw(_target(t)) for t in target_names]
    task_names = draw(st.lists(_NAMES, max_size=3, unique=True))
    window["tasks"] = [draw(_task(t, target_names)) for t in task_names]
    return window


@st.composite
def valid_configs(draw: st.DrawFn) -> dict[str, Any]:
    """Stack configs (``maintenance-windows:`` keys without the namespace) that must deploy."""
    names = draw(st.lists(_NAMES, min_size=1, max_size=3, unique=True))
    config: dict[str, Any] = {"windows": [draw(_window(n)) for n in names]}
    config["serviceRole"] = draw(st.sampled_from([{}, {"name": "MWRole"}, {"arn": _ROLE_ARN}]))
    config["passRole"] = draw(st.sampled_from([{}, {"groups": ["Administrators"], "users": ["ops"]}]))
    if draw(st.booleans()):
        config["outputBucket"] = draw(st.sampled_from([{}, {"expirationDays": 30, "protect": True}]))
    if draw(st.booleans()):
        config["notifications"] = draw(st.sampled_from([{}, {"emailSubscriptions": ["ops@example.com"]}]))
    if draw(st.booleans()):
        config["cloudWatchOutput"] = {"retentionInDays": 30}
    if draw(st.booleans()):
        config["patchBaselines"] = [{"name": "Baseline1", "operatingSystem": "AMAZON_LINUX_2023",
                                     "approvalRules": [{"filters": {"CLASSIFICATION": ["Security"]}}],
                                     "patchGroups": ["fleet"]}]
    if draw(st.booleans()):
        config["regions"] = ["us-east-1", "eu-west-1"]
    return config


def _as_stack(config: dict[str, Any]) -> dict[str, Any]:
    """``Pulumi.<stack>.yaml``'s ``config:`` for these values."""
    return {"aws:region": "us-east-1", **{f"{NAMESPACE}:{k}": v for k, v in config.items()}}


# ------------------------------------------------------------------------------------------------ mutations

_JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 30), st.integers(min_value=2**31), st.integers(max_value=-(2**31)),
    st.sampled_from([0.5, 3.0, -1.0, float("nan"), float("inf"), 1e300]),
    st.text(max_size=12), st.sampled_from(["", " ", "*", "10%", "101%", "-1", "0%", "cron(", "rate(0 days)",
                                           "cron(0 2 ? * * *)", "arn:aws:iam::123456789012:role/*", "i-123",
                                           "Administrators", "RUN_COMMAND", "us-east-1", "${x}", "{{x}}",
                                           "a" * 200, "é" * 5, "line\nbreak", "nul\x00"]),
    st.lists(st.one_of(st.none(), st.integers(), st.text(max_size=5)), max_size=3),
    st.dictionaries(st.text(max_size=6), st.one_of(st.none(), st.integers(), st.text(max_size=5)), max_size=3),
)
# Keys the schema knows, so that an "unknown" key is sometimes a known key in the wrong place.
_KEYS = st.one_of(st.text(min_size=1, max_size=10), st.sampled_from(
    ["name", "schedule", "duration", "cutoff", "targets", "tasks", "type", "document", "tags", "arn", "bucket",
     "topicArn", "logGroup", "parameters", "instanceIds", "resourceGroup", "functionArn", "outputS3",
     "notifications", "cloudWatch", "events", "priority", "maxErrors", "scheduleOffset", "regions"]))


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every location in a config: mapping keys and list indexes, depth first."""
    out = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += _paths(item, (*path, index))
    return out


def _at(root: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        root = root[key]
    return root


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    """``base`` after 1-4 random edits: a value replaced or removed, a key added, an item duplicated."""
    config = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in _paths(config) if p]
        if not paths:
            break
        # Half the edits go to names and to the references between them (a task's targets), where one
        # wrong value must be caught by a cross-check rather than a type check.
        linked = [p for p in paths if p[-1] == "name" or (len(p) > 1 and p[-2] == "targets"
                                                           and isinstance(_at(config, p), str))]
        path = draw(st.sampled_from(linked if linked and draw(st.booleans()) else paths))
        parent, key = _at(config, path[:-1]), path[-1]
        edit = draw(st.sampled_from(["replace", "replace", "remove", "add", "duplicate", "rename"]))
        if edit == "replace":
            parent[key] = draw(_JUNK)
        elif edit == "remove":
            del parent[key]
        elif edit == "add" and isinstance(parent, dict):
            parent[draw(_KEYS)] = draw(_JUNK)
        elif edit == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))  # same names twice
        elif edit == "rename" and isinstance(parent[key], str):
            # Cross-references: another part's name (duplicates, references that now point elsewhere) or a
            # fresh one (references to a name that is no longer there).
            names = [_at(config, p) for p in paths if p[-1] == "name" and isinstance(_at(config, p), str)]
            parent[key] = draw(st.sampled_from(names) if names and draw(st.booleans()) else _NAMES)
    return config


def _seed_configs() -> list[dict[str, Any]]:
    return [namespaced(stack_config(stack)) for stack in ("dev", "prod")]


_SEEDS = _seed_configs()

# ------------------------------------------------------------------------------------------------ checks


def _program_view(config: dict[str, Any]) -> dict[str, Any]:
    """The values the program reads: each config value as the CLI hands it over (a string), for
    :func:`mw_config.parse_stack` to decode as ``mw_program.main`` does."""
    values, _ = config_to_pulumi(_as_stack(config))
    return values


def _run(config: dict[str, Any]) -> ProgramRun | ConfigError:
    try:
        return run_program(ROOT, project="maintenance-windows", stack=STACK, config=_as_stack(config))
    except ConfigError as err:
        return err


def _check(config: dict[str, Any]) -> ProgramRun | None:
    """Run the program on ``config``; a ConfigError must be exactly what ``parse`` reports up front."""
    source = f"config of stack {STACK!r}"
    try:
        parse_stack(_program_view(config), source=source, stack=STACK)
        expected: ConfigError | None = None
    except ConfigError as err:
        expected = err
    outcome = _run(config)  # any exception other than ConfigError fails the test here
    event("rejected" if isinstance(outcome, ConfigError) else "registered")
    if isinstance(outcome, ConfigError):
        # From a component after parse passed, this would mean resources were already registered.
        assert expected is not None, f"ConfigError that parse() does not raise, after registering:\n{outcome}"
        # The same problems (their order follows how the program happens to read its keys).
        assert sorted(map(str, outcome.problems)) == sorted(map(str, expected.problems))
        assert outcome.problems
        for problem in outcome.problems:
            assert any(problem.path == key or problem.path.startswith((f"{key}.", f"{key}["))
                       for key in {*TOP_KEYS, *config}), problem
            assert f"  - {problem.path}: " in str(outcome)
        return None
    assert expected is None, f"parse() rejects the config but the program ran:\n{expected}"
    assert outcome.resources
    return outcome


def _count(run: ProgramRun, token: str) -> int:
    return sum(1 for r in run.resources if r.type == token)


@settings(FUZZ, max_examples=examples(50))  # valid stacks are the largest (regions double them)
@given(config=valid_configs())
def test_valid_configs_register_every_window_target_and_task(config: dict[str, Any]) -> None:
    run = _check(config)
    assert run is not None, "a valid config was rejected"
    regions = len(config.get("regions", [])) or 1
    windows = config["windows"]
    assert _count(run, WINDOW) == regions * len(windows)
    assert _count(run, TARGET) == regions * sum(len(w["targets"]) for w in windows)
    assert _count(run, TASK) == regions * sum(len(w["tasks"]) for w in windows)
    assert len({r.urn for r in run.resources}) == len(run.resources)
    # `mw plan` renders what the program registered.
    assert "Resources:" in render(Plan(STACK, run))


@FUZZ
@given(config=st.one_of(valid_configs(), st.sampled_from(_SEEDS)).flatmap(mutated))
def test_mutated_configs_register_or_raise_config_error_before_registering(config: dict[str, Any]) -> None:
    _check(config)


_TOP_JUNK = st.dictionaries(st.one_of(st.sampled_from(TOP_KEYS), _KEYS), st.one_of(_JUNK, st.just({}), st.just([])),
                            max_size=4)


@FUZZ
@given(config=_TOP_JUNK)
def test_any_top_level_values_register_or_raise_config_error(config: dict[str, Any]) -> None:
    assume(all(":" not in k for k in config))  # other namespaces are not the program's
    _check(config)


def test_child_names_never_collide_across_windows(run_stack: Any) -> None:
    """'web-db' + 'fleet' and 'web' + 'db-fleet' would both name a target 'web-db-fleet'."""
    def window(name: str, target: str) -> dict[str, Any]:
        return {"name": name, "schedule": "rate(1 day)", "duration": 2,
                "targets": [{"name": target, "tags": {"Env": "dev"}}],
                "tasks": [{"name": "Patch", "type": "RUN_COMMAND", "document": "AWS-RunPatchBaseline",
                           "targets": [target]}]}

    with pytest.raises(ConfigError) as caught:
        run_stack({"windows": [window("web-db", "fleet"), window("web", "db-fleet")]})
    assert [str(p) for p in caught.value.problems] == [
        "windows[1].targets[0].name: the target resource would be named 'web-db-fleet', as "
        "windows[0].targets[0].name already is (names are <parent>-<child>); rename one of them"]


def test_the_engine_stand_in_refuses_a_duplicate_urn(tmp_path: Any) -> None:
    (tmp_path / "__main__.py").write_text(
        "import pulumi_aws as aws\n"
        "aws.sns.Topic('same')\n"
        "aws.sns.Topic('same')\n")
    with pytest.raises(MWError, match=r"duplicate resource URN .*::same"):
        run_program(tmp_path, project="p", stack="s", config={})


# ------------------------------------------------------------------------------------------------ schedules

_VALID_FIELDS = {
    "minutes": ["0", "30", "0/15", "5,35"],
    "hours": ["*", "2", "1-3", "0/6"],
    "day-of-month": ["1", "L", "15W", "1-7"],
    "month": ["*", "1", "JAN-MAR", "1/3"],
    "day-of-week": ["*", "MON-FRI", "TUE#2", "6L", "L"],
    "year": ["*", "2027", "2026-2030"],
}
_CRON_FIELDS = ("minutes", "hours", "day-of-month", "month", "day-of-week", "year")
# Tokens one edit away from valid: out-of-range numbers, empty parts, bad steps and specials in the wrong field.
_NEAR = st.sampled_from(["60", "24", "32", "0", "13", "8", "-1", "1-", "-5", "5-1", "*/0", "0/0", "1/", "/5", "1,,2",
                         ",", "L-3", "LW", "32W", "0W", "W", "L", "#", "TUE#6", "TUE#0", "8#1", "MON#", "?", "*?",
                         "JAN-", "FOO", "1970", "2200", "99999999999999999999", "0" * 30, "1.5", "\uff11", "*/1",
                         "0-59/61", "SUN-SAT/2", "lw", "2L", "0L", "MON-FRI,SAT", ""])


@st.composite
def near_valid_crons(draw: st.DrawFn) -> str:
    """A valid cron expression with one field replaced by a near-valid token."""
    fields = {k: draw(st.sampled_from(v)) for k, v in _VALID_FIELDS.items()}
    # AWS: a value in exactly one of day-of-month and day-of-week, ? in the other.
    fields["day-of-month" if draw(st.booleans()) else "day-of-week"] = "?"
    fields[draw(st.sampled_from(_CRON_FIELDS))] = draw(_NEAR)
    return f"cron({' '.join(fields[k] for k in _CRON_FIELDS)})"


@settings(max_examples=examples(100), deadline=None)
@given(expression=near_valid_crons(), offset=st.none() | st.integers(1, 6),
       zone=st.sampled_from([None, "America/New_York", "Australia/Lord_Howe"]))
def test_near_valid_cron_parses_or_raises_schedule_error_and_plans(expression: str, offset: int | None,
                                                                  zone: str | None) -> None:
    """One field of an otherwise valid cron broken reaches that field's own checks, past the others'."""
    try:
        schedule.parse(expression)
    except ScheduleError as err:
        assert err.expression == expression and err.field
        return
    # What parses must also plan, offset and zone included, without crashing.
    result = schedule.openings(expression, after=datetime(2026, 11, 1, tzinfo=UTC), count=2, timezone=zone,
                               offset_days=offset, duration_hours=3, cutoff_hours=1)
    assert all(o.opens < o.stops_starting < o.closes for o in result)
