"""MaintenanceWindow under Pulumi mocks: the window, targets and tasks it registers and how they are wired."""

from __future__ import annotations

import pytest
from conftest import deploy
from mw_components import MaintenanceWindow, MaintenanceWindowArgs, TargetArgs, TaskArgs
from mw_components.task import LAMBDA, RUN_COMMAND, STEP_FUNCTIONS

from mw_core.errors import ConfigError

ROLE = "arn:aws:iam::123456789012:role/MwRole"
WINDOW = "aws:ssm/maintenanceWindow:MaintenanceWindow"
TARGET = "aws:ssm/maintenanceWindowTarget:MaintenanceWindowTarget"
TASK = "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask"


def args(**overrides):
    values = dict(
        schedule="cron(0 2 ? * * *)", duration=3, cutoff=1, service_role_arn=ROLE,
        targets=(TargetArgs("WebServers", tags={"Role": ("Web",)}),),
        tasks=(TaskArgs("Patch", RUN_COMMAND, document="AWS-RunPatchBaseline", targets=("WebServers",),
                        parameters={"Operation": ("Install",)}),),
    )
    values.update(overrides)
    return MaintenanceWindowArgs(**values)


def test_window_targets_and_tasks(mocks):
    deploy(lambda: MaintenanceWindow("Nightly", args(description="nightly", tags={"Env": "dev"})).window_id)
    (window,) = mocks.of_type(WINDOW)
    assert window.name == "Nightly"
    assert {k: window.inputs[k] for k in ("name", "schedule", "duration", "cutoff", "allowUnassociatedTargets",
                                          "enabled", "description", "tags")} == {
        "name": "Nightly", "schedule": "cron(0 2 ? * * *)", "duration": 3, "cutoff": 1,
        "allowUnassociatedTargets": False, "enabled": True, "description": "nightly", "tags": {"Env": "dev"}}
    (target,) = mocks.of_type(TARGET)
    assert target.name == "Nightly-WebServers"
    assert target.inputs["windowId"] == "Nightly-id"
    (task,) = mocks.of_type(TASK)
    assert task.name == "Nightly-Patch"
    assert task.inputs["targets"] == [{"key": "WindowTargetIds", "values": ["Nightly-WebServers-id"]}]
    assert task.inputs["serviceRoleArn"] == ROLE


def test_tasks_without_targets_send_no_rate_control(mocks):
    tasks = (
        TaskArgs("Invoke", LAMBDA, function_arn="arn:aws:lambda:us-east-1:123456789012:function:SSMTidy"),
        TaskArgs("Flow", STEP_FUNCTIONS, state_machine_arn="arn:aws:states:us-east-1:123456789012:stateMachine:SSMx",
                 priority=2),
    )
    deploy(lambda: MaintenanceWindow("Nightly", args(targets=(), tasks=tasks)).window_id)
    registered = {t.inputs["name"]: t.inputs for t in mocks.of_type(TASK)}
    for inputs in registered.values():
        assert "maxConcurrency" not in inputs and "maxErrors" not in inputs and "targets" not in inputs
    assert registered["Invoke"]["taskArn"].endswith(":function:SSMTidy")
    assert registered["Flow"]["priority"] == 2


def test_unregistered_instances(mocks):
    task = TaskArgs("Direct", RUN_COMMAND, document="AWS-RunShellScript", instance_ids=("i-0123456789abcdef0",),
                    max_concurrency="2", max_errors="0")
    deploy(lambda: MaintenanceWindow("Nightly", args(targets=(), tasks=(task,),
                                                     allow_unregistered_targets=True)).window_id)
    (registered,) = mocks.of_type(TASK)
    assert registered.inputs["targets"] == [{"key": "InstanceIds", "values": ["i-0123456789abcdef0"]}]
    assert (registered.inputs["maxConcurrency"], registered.inputs["maxErrors"]) == ("2", "0")


def test_a_task_role_overrides_the_window_role(mocks):
    own = "arn:aws:iam::123456789012:role/Other"
    task = TaskArgs("Patch", RUN_COMMAND, document="AWS-RunPatchBaseline", targets=("WebServers",),
                    service_role_arn=own)
    deploy(lambda: MaintenanceWindow("Nightly", args(tasks=(task,))).window_id)
    assert mocks.of_type(TASK)[0].inputs["serviceRoleArn"] == own


def test_region_is_passed_to_every_child(mocks):
    deploy(lambda: MaintenanceWindow("Nightly", args(region="eu-west-1")).window_id)
    assert {r.inputs.get("region") for r in mocks.resources if r.typ.startswith("aws:")} == {"eu-west-1"}


@pytest.mark.parametrize(("overrides", "message"), [
    ({"duration": 2, "cutoff": 2}, "cutoff: 2 must be less than `duration`"),
    ({"schedule": "cron(0 2 * * * *)"}, "schedule: "),
    ({"service_role_arn": None}, "tasks\\[0\\].service_role_arn: no service role"),
    ({"tasks": (TaskArgs("Patch", RUN_COMMAND, document="AWS-RunPatchBaseline", targets=("Nope",)),)},
     "tasks\\[0\\].targets\\[0\\]: 'Nope' is not a target of this window"),
    ({"tags": {"aws:owner": "me"}}, "tags.aws:owner: 'aws:owner' starts with 'aws:'"),
    ({"tags": {"Env": "prod\x00"}}, "tags.Env: value 'prod\\\\x00' is not allowed"),
    ({"tags": {"k" * 129: "v"}}, "tags: tag key 'kkk"),
    ({"tasks": (TaskArgs("Patch", RUN_COMMAND, document="AWS RunPatchBaseline", targets=("WebServers",)),)},
     "tasks\\[0\\].document: 'AWS RunPatchBaseline' is not allowed"),
    ({"tasks": (TaskArgs("Patch", RUN_COMMAND, document="AWS-RunPatchBaseline", targets=("WebServers",),
                         priority=2**31),)}, "tasks\\[0\\].priority: 2147483648 is out of range"),
    ({"targets": (TargetArgs("WebServers", tags={"Role\x07": ("Web",)}),)}, "targets\\[0\\].tags: tag key 'Role"),
])
def test_invalid_args_raise_before_anything_is_registered(mocks, overrides, message):
    with pytest.raises(ConfigError, match=message):
        MaintenanceWindow("Nightly", args(**overrides))
    assert mocks.resources == []


# The calendar AWS schedules in: 1970-01-01T00:00:00Z up to, not including, 2200-01-01T00:00:00Z.
RANGE = ("a time from 1970-01-01T00:00:00Z up to, not including, 2200-01-01T00:00:00Z, in UTC "
         "(the years 1970-2199 of AWS's cron year field)")


@pytest.mark.parametrize(("overrides", "problem"), [
    ({"start_date": "0001-01-01T00:00:00+05:00"}, f"start_date: '0001-01-01T00:00:00+05:00' is out of range (allowed: {RANGE})"),
    ({"end_date": "9999-12-31"}, f"end_date: '9999-12-31' is out of range (allowed: {RANGE})"),
    ({"end_date": "2199-12-31T23:00:00-05:00"}, f"end_date: '2199-12-31T23:00:00-05:00' is out of range (allowed: {RANGE})"),
    ({"start_date": "1969-12-31T23:59:59Z"}, f"start_date: '1969-12-31T23:59:59Z' is out of range (allowed: {RANGE})"),
    ({"schedule": "at(0001-01-01T00:00:00)"},
     "schedule: at timestamp '0001-01-01T00:00:00' is not valid in 'at(0001-01-01T00:00:00)' (allowed: a year from "
     "1970 to 2199, as in cron's year field)"),
])
def test_dates_outside_the_calendar_are_problems(overrides, problem):
    assert [str(p) for p in args(**overrides).problems()] == [problem]


@pytest.mark.parametrize("overrides", [
    {"start_date": "1969-12-31T19:00:00-05:00", "end_date": "2199-12-31T23:59:59Z"},
    {"start_date": "1970-01-01", "end_date": "2200-01-01T04:00:00+05:00"},
    {"schedule": "at(2199-12-31T23:59:59)"},
])
def test_dates_at_the_edges_of_the_calendar_are_accepted(overrides):
    assert args(**overrides).problems() == []


WILDCARD_TASK = TaskArgs("Invoke", LAMBDA, function_arn="arn:aws:lambda:*:*:function:*")


def test_wildcards_in_task_arns_are_problems_unless_the_window_allows_them(mocks):
    refused = args(targets=(), tasks=(WILDCARD_TASK,))
    assert [p.path for p in refused.problems()] == ["tasks[0].function_arn"]
    with pytest.raises(ConfigError, match=r"tasks\[0\]\.function_arn: .*`allow_wildcards`: true"):
        MaintenanceWindow("Nightly", refused)
    assert mocks.resources == []
    deploy(lambda: MaintenanceWindow("Nightly", args(targets=(), tasks=(WILDCARD_TASK,), allow_wildcards=True)).window_id)
    (task,) = mocks.of_type(TASK)
    assert task.inputs["taskArn"] == "arn:aws:lambda:*:*:function:*"


@pytest.mark.parametrize(("overrides", "problem"), [
    # Paths are the dataclasses' field names, down into targets and tasks; other fields are named in backticks.
    ({"tasks": (TaskArgs("Patch", RUN_COMMAND, document="AWS-RunPatchBaseline", targets=("WebServers",),
                         max_concurrency="0"),)},
     "tasks[0].max_concurrency: '0' is not allowed"),
    ({"tasks": (TaskArgs("Patch", RUN_COMMAND, document="AWS-RunPatchBaseline", targets=("Nope",)),)},
     "tasks[0].targets[0]: 'Nope' is not a target of this window (its targets: WebServers)"),
    ({"tasks": (TaskArgs("Patch", RUN_COMMAND, document="AWS-RunPatchBaseline", instance_ids=("i-0123456789abcdef0",)),)},
     "tasks[0].instance_ids: a task can name unregistered instances only in a window with "
     "`allow_unregistered_targets`: true"),
    ({"targets": (TargetArgs("WebServers", tags={"Role": ("Web",)}, owner_information=""),)},
     "targets[0].owner_information: '' is 0 characters long"),
    ({"targets": (TargetArgs("WebServers", tags={"Role": ("Web",)}),) * 2},
     "targets[1].name: 'WebServers' is already used by another target"),
    ({"schedule_offset": 2, "schedule": "rate(1 day)"}, "schedule_offset: 2 is only allowed with a cron() schedule"),
    ({"start_date": "2027-01-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"},
     "end_date: '2026-01-01T00:00:00Z' must be after `start_date` '2027-01-01T00:00:00Z'"),
    # The window's own role is one role, as a task's is (plain values only: an Output is AWS's to judge).
    ({"service_role_arn": "arn:aws:iam::123456789012:role/*"}, "service_role_arn: 'arn:aws:iam::123456789012:role/*' "
                                                               "has a wildcard in the resource's name"),
])
def test_problems_are_in_python_terms(overrides, problem):
    found = [str(p) for p in args(**overrides).problems()]
    assert any(p.startswith(problem) for p in found), found


def test_a_check_that_fails_ends_the_fields_checks():
    # A cutoff of 24 hours is out of range: comparing it with the duration too would only repeat it.
    assert [str(p) for p in args(cutoff=24).problems()] == ["cutoff: 24 is out of range (allowed: 0 to 23)"]


def test_a_role_known_at_deploy_time_is_left_to_aws():
    import pulumi

    assert args(service_role_arn=pulumi.Output.from_input("*")).problems() == []
